//! Backends: IR -> plan -> source files.
//!
//! [`plan`] makes, once and from the IR alone, every decision that does not depend on the
//! backend: each connection's delivery strategy, each population's update strategy, readout
//! semantics (start value, accumulation, finish, adjoint drive), reset values and their timing,
//! the tuning constants and C status codes, and the lookup of a buffer by owner and role. Each
//! backend is one folder whose root is small (an `Error` or [`RenderError`], a `render` entry
//! point): `cpu` and `cuda` fill tera template contexts (their shared parts in [`shared`],
//! C-family printing of model code in [`c_print`], the embedded templates in [`templates`]);
//! `rust` prints the kernels as Rust tokens. Templates switch on the plan's tags
//! (`{% if p.update == "flags" %}`) and never decide from combinations of flags.
//!
//! Rendering only reads the IR and the plan: every semantic decision was made when the IR was
//! built, every strategy when the plan was.

pub mod bindings;
pub mod c_print;
pub mod cpu;
pub mod cuda;
pub mod plan;
pub mod rust;
pub mod shared;
pub mod templates;

use crate::ir::Network;

/// The version of the C ABI between generated simulators and the runtime.
pub const ABI_VERSION: u32 = 3;

/// A backend to generate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// C++17 for CPUs.
    Cpu,
    /// CUDA C++17 for NVIDIA GPUs (compiled with nvcc).
    Cuda,
    /// The kernels themselves as Rust (compiled with rustc, or embedded in a Rust crate).
    Rust,
}

impl Backend {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda => "cuda",
            Backend::Rust => "rust",
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

/// The build-cache key of `net` for `backend`: a hash of the IR and of the generated sources
/// themselves (rendered with an empty key), so any change to what rgenn generates, whether from
/// the model, a template or the code that fills it, gives a new key.
pub fn cache_key(net: &Network, backend: Backend) -> Result<String, RenderError> {
    let files = render_with_key(net, backend, "")?;
    let texts: Vec<&str> = files
        .iter()
        .flat_map(|f| [f.name.as_str(), f.contents.as_str()])
        .collect();
    let mut extra = vec![backend.name(), env!("CARGO_PKG_VERSION")];
    extra.extend(texts);
    Ok(crate::ir::hash::cache_key(net, &extra))
}

fn render_with_key(
    net: &Network,
    backend: Backend,
    key: &str,
) -> Result<Vec<GeneratedFile>, RenderError> {
    match backend {
        Backend::Cpu => cpu::render(net, key),
        Backend::Cuda => cuda::render(net, key),
        Backend::Rust => rust::render(net, key),
    }
}

/// What of `net` `backend` cannot run, in words for an error message, or `None`: the CUDA
/// backend runs a batch's lanes at the same time, so lanes cannot share gradient copies there
/// (`lane_group:` above 1).
pub fn unsupported(net: &Network, backend: Backend) -> Option<String> {
    (backend == Backend::Cuda && net.lane_group > 1).then(|| {
        format!(
            "`lane_group: {}`: the cuda backend runs a batch's lanes at the same time, so each \
             needs its own gradients; use `lane_group: 1` there (the cpu and rust backends \
             support lane groups)",
            net.lane_group
        )
    })
}

/// Render every source file of `net` for `backend`, carrying its cache key.
pub fn render(net: &Network, backend: Backend) -> Result<Vec<GeneratedFile>, RenderError> {
    render_with_key(net, backend, &cache_key(net, backend)?)
}
