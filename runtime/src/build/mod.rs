//! Turning generated sources into a loaded library: compiler lookup ([`compile`], [`nvcc`],
//! [`rustc`]), the content-addressed build cache ([`cache`], its entries sealed by [`entry`]) and symbol loading with ABI checks
//! ([`library`]).

pub mod cache;
pub mod compile;
pub mod cxxflags;
pub mod entry;
pub mod library;
pub mod nvcc;
pub mod rustc;
