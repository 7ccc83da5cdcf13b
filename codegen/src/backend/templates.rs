//! The templates of every backend, embedded into the binary.

use tera::Tera;

use super::{Backend, RenderError};

/// `(name, text)` of the CPU templates.
const CPU: &[(&str, &str)] = &[
    (
        "cpu/simulator.cpp",
        include_str!("../../templates/cpu/simulator.cpp.tera"),
    ),
    (
        "cpu/backward.cpp",
        include_str!("../../templates/cpu/backward.cpp.tera"),
    ),
    (
        "cpu/optimizer.cpp",
        include_str!("../../templates/cpu/optimizer.cpp.tera"),
    ),
    (
        "cpu/rgenn.h",
        include_str!("../../templates/cpu/rgenn.h.tera"),
    ),
    (
        "cpu/Makefile",
        include_str!("../../templates/cpu/Makefile.tera"),
    ),
];

/// `(name, text)` of the CUDA templates.
const CUDA: &[(&str, &str)] = &[
    (
        "cuda/simulator.cu",
        include_str!("../../templates/cuda/simulator.cu.tera"),
    ),
    (
        "cuda/kernels.cu",
        include_str!("../../templates/cuda/kernels.cu.tera"),
    ),
    (
        "cuda/backward.cu",
        include_str!("../../templates/cuda/backward.cu.tera"),
    ),
    (
        "cuda/optimizer.cu",
        include_str!("../../templates/cuda/optimizer.cu.tera"),
    ),
    (
        "cuda/rgenn.h",
        include_str!("../../templates/cuda/rgenn.h.tera"),
    ),
    (
        "cuda/Makefile",
        include_str!("../../templates/cuda/Makefile.tera"),
    ),
];

fn set(backend: Backend) -> &'static [(&'static str, &'static str)] {
    match backend {
        Backend::Cpu => CPU,
        Backend::Cuda => CUDA,
        // Built with quote, not templates (`backend::rust`).
        Backend::Rust => &[],
    }
}

/// A tera instance with the backend's templates, autoescape off.
pub fn engine(backend: Backend) -> Result<Tera, RenderError> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_templates(set(backend).iter().copied())
        .map_err(|e| RenderError {
            template: backend.name().to_string(),
            message: format!("{e:?}"),
        })?;
    Ok(tera)
}

/// Render one template with a serialisable context.
pub fn render(
    tera: &Tera,
    name: &str,
    context: &impl serde::Serialize,
) -> Result<String, RenderError> {
    let fail = |e: tera::Error| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        RenderError {
            template: name.to_string(),
            message,
        }
    };
    let ctx = tera::Context::from_serialize(context).map_err(fail)?;
    tera.render(name, &ctx).map_err(fail)
}
