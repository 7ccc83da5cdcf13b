//! The CPU backend: one C++17 source, its C header and a Makefile that builds it into a library,
//! per network.

mod backward;
mod context;

use super::{GeneratedFile, RenderError, templates};
use crate::ir::Network;

/// Render `simulator.cpp`, `rgenn.h` and `Makefile`.
pub fn render(net: &Network, cache_key: &str) -> Result<Vec<GeneratedFile>, RenderError> {
    let tera = templates::engine(super::Backend::Cpu)?;
    let ctx = context::build(net, cache_key);
    Ok(vec![
        GeneratedFile {
            name: "simulator.cpp".into(),
            contents: templates::render(&tera, "cpu/simulator.cpp", &ctx)?,
        },
        GeneratedFile {
            name: "rgenn.h".into(),
            contents: templates::render(&tera, "cpu/rgenn.h", &ctx)?,
        },
        GeneratedFile {
            name: "Makefile".into(),
            contents: templates::render(&tera, "cpu/Makefile", &ctx)?,
        },
    ])
}
