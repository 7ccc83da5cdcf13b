//! The one factory of simulators: build the right one for a backend (CPU `Simulator` for C++ or
//! Rust kernels, `CudaSimulator` for CUDA), with its parameters built once and uploaded.

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;

use crate::error::SimError;
use crate::sim::cpu::Simulator;
use crate::sim::cuda::CudaSimulator;
use crate::sim::engine::Engine;
use crate::sim::init::{self, Params};

/// Build (or reuse from the cache) and load the simulator of `net` for `backend`, and upload its
/// parameters: the initial ones (files they name are read relative to `base_dir`), replaced by
/// those of the parameter file `params` when given. Returns the simulator and the parameters
/// uploaded. CUDA fails with an explanation on a machine without nvcc, a GPU or its driver. Every
/// simulator is `Send`, so a program may run it on another thread (or with a lock released).
pub fn open(
    net: &Network,
    base_dir: &Path,
    backend: Backend,
    params: Option<&Path>,
) -> Result<(Box<dyn Engine + Send>, Params), SimError> {
    let mut values = init::initial_params(net, base_dir)?;
    if let Some(p) = params {
        init::read_params(net, p, &mut values)?;
    }
    let mut sim: Box<dyn Engine + Send> = match backend {
        Backend::Cuda => Box::new(CudaSimulator::build(net)?),
        Backend::Cpu | Backend::Rust => Box::new(Simulator::build_with(net, backend)?),
    };
    sim.upload(&values)?;
    Ok((sim, values))
}
