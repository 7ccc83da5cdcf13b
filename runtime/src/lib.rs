//! rgenn-runtime: build generated sources into a cached library, load it and drive the
//! simulation. Knows nothing about YAML: it works from the IR, and loads networks through
//! rgenn-codegen ([`load_network`], which lets a network without `duration:` take it from its data).
//!
//! The crate is laid out in rooms, one concept per file:
//! - [`build`]: find a compiler (C++, nvcc, rustc), compile, cache and load a simulator library;
//! - [`sim`]: the simulators ([`sim::cpu`] for C++ or Rust kernels, [`sim::cuda`]), the driver
//!   interface they share ([`sim::engine::Engine`]) and their parameters ([`sim::init`]);
//! - [`passes`]: whole-dataset passes written once over a simulator: forward recording
//!   ([`passes::simulate`]), gradients ([`passes::grad`]) and the losses they use ([`passes::loss`]);
//! - [`data`]: spike datasets, npz files, splits, augmentation, SHD/SSC files and generators;
//! - [`nir`]: NIR graphs (`.nir` files) to and from rgenn networks;
//! - [`dist`]: runs over several processes (MPI): the communicator, the lane layout and the
//!   fixed reduction tree;
//! - [`train`]: the training loop, its state, metrics, plots and the benchmark;
//! - [`embed`]: the typed API generated bindings build on.

pub mod build;
pub mod data;
pub mod dist;
pub mod embed;
pub mod error;
pub mod fsutil;
pub mod nir;
pub mod passes;
pub mod sim;
pub mod train;

pub use build::library::EntryPoints;
pub use data::splits::{load_network, load_network_str};
pub use error::{BuildError, DataError, SimError};
pub use sim::cpu::Simulator;
pub use sim::open::open;
