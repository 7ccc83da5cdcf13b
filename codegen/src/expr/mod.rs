//! Code strings: parse (Rust syntax via `syn`), resolve and type-check, evaluate constants.
//!
//! Printing into C++/CUDA/Rust belongs to the backends, which walk the typed tree in `crate::ir::expr`.

pub mod ast;
pub mod check;
pub mod eval;
pub mod parse;

pub use check::{Scope, Type, check_block, check_expr};
pub use parse::{CodeError, parse_block, parse_expr};
