//! rgenn-runtime: build generated sources into a cached shared library, load it and drive the
//! simulation. Knows nothing about YAML: it works from the IR.

pub mod augment;
pub mod bench;
pub mod cache;
pub mod compile;
pub mod cuda;
pub mod data;
pub mod embed;
pub mod engine;
pub mod error;
pub mod fsutil;
pub mod generators;
pub mod grad;
pub mod init;
pub mod init_c;
pub mod library;
pub mod loss;
pub mod npz;
pub mod nvcc;
pub mod plots;
pub mod profile;
pub mod rustc;
pub mod shd;
pub mod simulate;
pub mod simulator;
pub mod splits;
pub mod synthetic;
pub mod train;

pub use error::{BuildError, DataError, SimError};
pub use library::EntryPoints;
pub use simulator::Simulator;
