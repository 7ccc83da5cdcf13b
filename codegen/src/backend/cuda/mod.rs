//! The CUDA backend: one CUDA C++17 source, its C header and a Makefile per network, from the same
//! IR and printed model code as the CPU backend. Device memory, batching over the grid, event-driven
//! spike delivery and the adjoint pass are described in `docs/cuda.md`; this module only renders
//! the templates.

mod backward;
mod context;
mod launch;

use super::{GeneratedFile, RenderError, templates};
use crate::ir::Network;

/// Render `simulator.cu`, `rgenn.h` and a `Makefile` that builds them with nvcc.
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
        GeneratedFile {
            name: "Makefile".into(),
            contents: templates::render(&tera, "cuda/Makefile", &ctx)?,
        },
    ])
}
