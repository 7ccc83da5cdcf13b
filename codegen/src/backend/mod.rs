//! Backends: IR -> source files. Each backend is one folder; shared C-family printing lives in
//! `c_print`, the embedded templates in `templates`.
//!
//! Rendering only reads the IR; every semantic decision was made when the IR was built.

pub mod c_print;
pub mod cpu;
pub mod templates;

use crate::ir::Network;

/// The version of the C ABI between generated simulators and the runtime.
pub const ABI_VERSION: u32 = 1;

/// A backend to generate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// C++17 for CPUs.
    Cpu,
}

impl Backend {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
        }
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name (no folders).
    pub name: String,
    /// Contents.
    pub contents: String,
}

/// Rendering failed: always a bug in rgenn (a template that does not match its context).
#[derive(Debug, thiserror::Error)]
#[error("internal error while rendering `{template}` (this is a bug in rgenn): {message}")]
pub struct RenderError {
    /// Template name.
    pub template: String,
    /// What tera said.
    pub message: String,
}

/// The build-cache key of `net` for `backend`: IR, templates and rgenn version.
pub fn cache_key(net: &Network, backend: Backend) -> String {
    crate::ir::hash::cache_key(
        net,
        &[
            backend.name(),
            &templates::fingerprint(backend),
            env!("CARGO_PKG_VERSION"),
            &ABI_VERSION.to_string(),
        ],
    )
}

/// Render every source file of `net` for `backend`.
pub fn render(net: &Network, backend: Backend) -> Result<Vec<GeneratedFile>, RenderError> {
    match backend {
        Backend::Cpu => cpu::render(net, &cache_key(net, backend)),
    }
}
