//! The templates of every backend, embedded into the binary.

use tera::Tera;

use super::{Backend, RenderError};

/// `(name, text)` of the CPU templates.
const CPU: &[(&str, &str)] = &[
    (
        "cpu/simulator.cpp",
        include_str!("../../../templates/cpu/simulator.cpp.tera"),
    ),
    (
        "cpu/rgenn.h",
        include_str!("../../../templates/cpu/rgenn.h.tera"),
    ),
];

fn set(backend: Backend) -> &'static [(&'static str, &'static str)] {
    match backend {
        Backend::Cpu => CPU,
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

/// A stable fingerprint of a backend's template texts (part of the cache key).
pub fn fingerprint(backend: Backend) -> String {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for (name, text) in set(backend) {
        for b in name.bytes().chain(text.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    format!("{h:016x}")
}
