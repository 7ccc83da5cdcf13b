//! The CUDA backend: one CUDA C++17 source and one C header per network, from the same IR and
//! printed model code as the CPU backend. Device memory, batching over the grid, event-driven
//! spike delivery and the adjoint pass are described in `docs/cuda.md`; this module only renders
//! the templates.

mod backward;
mod context;
mod launch;

use super::{GeneratedFile, RenderError, templates};
use crate::ir::Network;

/// Render `simulator.cu` and `rgenn.h`.
pub fn render(net: &Network, cache_key: &str) -> Result<Vec<GeneratedFile>, RenderError> {
    let tera = templates::engine(super::Backend::Cuda)?;
    let ctx = context::build(net, cache_key);
    Ok(vec![
        GeneratedFile {
            name: "simulator.cu".into(),
            contents: templates::render(&tera, "cuda/simulator.cu", &ctx)?,
        },
        GeneratedFile {
            name: "rgenn.h".into(),
            contents: templates::render(&tera, "cuda/rgenn.h", &ctx)?,
        },
    ])
}
