//! rgenn-codegen: from a YAML network description to generated simulation code.
//!
//! Data flows one way: YAML text -> [`yaml`] node tree -> [`model`] (what the user wrote, with
//! spans) -> [`validate`] -> [`ir`] (what to generate, every size decided) -> backends (source text).
//! This crate never calls a compiler and never prints; problems come back as [`diag::LoadError`].

pub mod backend;
pub mod diag;
pub mod expr;
pub mod ir;
pub mod model;
pub mod ode;
pub mod rng;
pub mod span;
pub mod summary;
pub mod validate;
pub mod yaml;

pub use diag::LoadError;
pub use validate::duration::DataExtent;
pub use validate::{LoadOptions, Loaded, load_file, load_file_with, load_str, load_str_with};

/// The IR of a network written inline, for unit tests (panics on an invalid one).
#[cfg(test)]
pub(crate) fn test_network(yaml: &str) -> ir::Network {
    load_str("n.yaml", yaml, std::path::Path::new("."))
        .expect("a valid network")
        .ir
}

/// For unit tests: a spike source `a` of 3 units feeding population `b` (`b` is a YAML flow map's
/// contents, e.g. `size: 2, model: lif`) through connection `ab`, whose keys besides source,
/// target and weight are `ab`; dt 1 ms, 5 steps, batch 1.
#[cfg(test)]
pub(crate) fn test_source_into(b: &str, ab: &str) -> ir::Network {
    test_network(&format!(
        "name: n\ndt: 1.0\nduration: 5.0\nbatch_size: 1\n\
         populations:\n  a: {{size: 3, model: spike_input}}\n  b: {{{b}}}\n\
         connections:\n  ab: {{source: a, target: b, weight: 1.0{ab}}}\n"
    ))
}
