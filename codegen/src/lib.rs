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
