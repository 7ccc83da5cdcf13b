//! The one factory of simulators: build the right one for a backend (CPU `Simulator` for C++ or
//! Rust kernels, `CudaSimulator` for CUDA), with its parameters built once and uploaded, its
//! `spike_capacity: auto` tapes growing on overflow.

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;

use crate::error::SimError;
use crate::sim::engine::Engine;
use crate::sim::grow::{self, Growing};
use crate::sim::init::{self, Params};

/// Build (or reuse from the cache) and load the simulator of `net` for `backend`, and upload its
/// parameters: the initial ones (files they name are read relative to `base_dir`), replaced by
/// those of the parameter file `params` when given. Returns the simulator and the parameters
/// uploaded. When a population's `spike_capacity` is `auto`, the simulator grows its tape on
/// overflow ([`Growing`]). CUDA fails with an explanation on a machine without nvcc, a GPU or its
/// driver. Every simulator is `Send`, so a program may run it on another thread (or with a lock
/// released).
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
    let mut sim = grow::build(net, backend)?;
    if net.populations.iter().any(|p| !p.spike_capacity_fixed) {
        sim = Box::new(Growing::new(sim, backend));
    }
    sim.upload(&values)?;
    Ok((sim, values))
}
