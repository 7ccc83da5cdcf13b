//! One interface over the simulators the drivers run: the CPU (C++ or Rust kernels, loaded or
//! linked) [`Simulator`] and the [`CudaSimulator`]. Training and evaluation are written once
//! against [`Engine`]; each simulator runs a batch its own way (CPU lanes on threads, CUDA lanes
//! over the grid) and reports the same losses, gradients and parameters.

use std::path::Path;

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Adam, Network, Regularisation};

use crate::data::SpikeDataset;
use crate::error::SimError;
use crate::passes::grad::{GradOutput, Passes};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::passes::simulate::SimOutput;
use crate::sim::cpu::{Simulator, TrialInput};
use crate::sim::cuda::CudaSimulator;
use crate::sim::init::Params;

/// A simulator the training and evaluation drivers can run.
pub trait Engine {
    /// The network it simulates.
    fn network(&self) -> &Network;

    /// Run one batch: trial `inputs[i]` on lane `i`, forward, each trial's loss against
    /// `labels[i]`; with [`Passes::ForwardBackward`] also the spike-count regulariser over the
    /// batch and the adjoint pass with dLoss/dReadout scaled by `scale`, after which lanes
    /// `0..inputs.len()` hold their gradients for [`Engine::optimizer_step`]. CPU lanes run on up
    /// to `threads` threads; results never depend on it.
    fn run_batch(
        &mut self,
        inputs: &[TrialInput],
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        threads: usize,
        passes: Passes,
    ) -> Result<Vec<TrialLoss>, SimError>;

    /// Sum the gradients of lanes `0..n_lanes` and take Adam step `t` (from 1) on every learned
    /// weight and delay with the given learning rates. The CPU sums lanes on up to `threads`
    /// threads; results never depend on it.
    fn optimizer_step(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        threads: usize,
    ) -> Result<(), SimError>;

    /// Buffer `index` (all lanes) as f64.
    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError>;

    /// Write buffer `index` (all lanes) from f64, rounded to its type.
    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError>;

    /// Write connectivity, weights and delays (with their step delays).
    fn upload(&mut self, params: &Params) -> Result<(), SimError>;

    /// Run every trial of `data` (read from `data_path`) forward, recording spikes, readouts and
    /// the variables the network records (`rgenn simulate`).
    fn simulate(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        threads: usize,
    ) -> Result<SimOutput, SimError>;

    /// Forward and backward over every trial of `data` (labelled): mean loss, accuracy and the
    /// gradients of the mean loss (`rgenn grad`).
    fn grad(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        threads: usize,
    ) -> Result<GradOutput, SimError>;

    /// Turn per-phase kernel timing on or off (CPU kernels only).
    fn set_profiling(&mut self, _on: bool) {}

    /// Nanoseconds per kernel phase since the last call (zeros where not timed).
    fn take_profile(&mut self) -> [u64; 4] {
        [0; 4]
    }

    /// Forward synaptic events of lanes `0..n_lanes` in the last batch (0 where not counted).
    fn forward_events(&mut self, _n_lanes: u32) -> u64 {
        0
    }
}

/// The 12 optimiser values the generated `rgenn_optimizer_step` reads: for weights then delays,
/// lr, beta1, beta2, epsilon, 1 / (1 - beta1^t), 1 / (1 - beta2^t).
pub fn adam_hyper(t: u64, weights: (&Adam, f64), delays: (&Adam, f64)) -> [f64; 12] {
    let mut h = [0.0f64; 12];
    for (k, (adam, lr)) in [weights, delays].into_iter().enumerate() {
        let o = 6 * k;
        h[o] = lr;
        h[o + 1] = adam.beta1;
        h[o + 2] = adam.beta2;
        h[o + 3] = adam.epsilon;
        h[o + 4] = 1.0 / (1.0 - adam.beta1.powf(t as f64));
        h[o + 5] = 1.0 / (1.0 - adam.beta2.powf(t as f64));
    }
    h
}

/// The spike-count regulariser's gradient of one population: `strength (C - target B) / B^2`
/// per neuron, with `C` its spikes over the `B` lanes `lanes` (`counts` holds every lane's
/// per-neuron counts). The heuristic of Mészáros et al., applied as a kick to the adjoint at each
/// spike.
pub fn count_grad(r: &Regularisation, counts: &[f64], size: usize, lanes: &[u32]) -> Vec<f64> {
    let b = lanes.len() as f64;
    (0..size)
        .map(|n| {
            let c: f64 = lanes.iter().map(|&l| counts[l as usize * size + n]).sum();
            r.strength * (c - r.target_spikes * b) / (b * b)
        })
        .collect()
}

/// The buffer of `owner` with `role`.
pub fn find(net: &Network, owner: Owner, role: Role) -> Option<usize> {
    net.buffers
        .iter()
        .position(|b| b.owner == owner && b.role == role)
}

impl Engine for Simulator {
    fn network(&self) -> &Network {
        Simulator::network(self)
    }

    fn run_batch(
        &mut self,
        inputs: &[TrialInput],
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        threads: usize,
        passes: Passes,
    ) -> Result<Vec<TrialLoss>, SimError> {
        let lanes: Vec<u32> = (0..inputs.len() as u32).collect();
        for (input, &lane) in inputs.iter().zip(&lanes) {
            self.reset(lane);
            self.set_input(lane, input)?;
        }
        self.run_loss_lanes(&lanes, labels, spec, scale, threads, passes)
    }

    fn optimizer_step(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        threads: usize,
    ) -> Result<(), SimError> {
        Simulator::optimizer_step(self, n_lanes, t, weights, delays, threads)
    }

    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError> {
        Ok(self.read_f64(index))
    }

    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError> {
        self.write_f64(index, values);
        Ok(())
    }

    fn upload(&mut self, params: &Params) -> Result<(), SimError> {
        crate::sim::init::upload(self, params)
    }

    fn simulate(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        threads: usize,
    ) -> Result<SimOutput, SimError> {
        crate::passes::simulate::simulate(self, data, data_path, threads)
    }

    fn grad(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        threads: usize,
    ) -> Result<GradOutput, SimError> {
        crate::passes::grad::grad(self, data, data_path, threads)
    }

    fn set_profiling(&mut self, on: bool) {
        Simulator::set_profiling(self, on);
    }

    fn take_profile(&mut self) -> [u64; 4] {
        Simulator::take_profile(self)
    }

    fn forward_events(&mut self, n_lanes: u32) -> u64 {
        let lanes: Vec<u32> = (0..n_lanes).collect();
        Simulator::forward_events(self, &lanes)
    }
}

impl Engine for CudaSimulator {
    fn network(&self) -> &Network {
        CudaSimulator::network(self)
    }

    fn run_batch(
        &mut self,
        inputs: &[TrialInput],
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        _threads: usize,
        passes: Passes,
    ) -> Result<Vec<TrialLoss>, SimError> {
        self.forward(inputs, None)?;
        match passes {
            Passes::Forward => self.losses(labels, spec, scale, false),
            Passes::ForwardBackward(r) => self.backward_regularised(labels, spec, scale, r),
        }
    }

    fn optimizer_step(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        _threads: usize,
    ) -> Result<(), SimError> {
        CudaSimulator::optimizer_step(self, n_lanes, &adam_hyper(t, weights, delays))
    }

    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError> {
        self.read_f64(index)
    }

    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError> {
        self.write_f64(index, values)
    }

    fn upload(&mut self, params: &Params) -> Result<(), SimError> {
        CudaSimulator::upload(self, params)
    }

    fn simulate(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        _threads: usize,
    ) -> Result<SimOutput, SimError> {
        crate::sim::cuda::simulate(self, data, data_path)
    }

    fn grad(
        &mut self,
        data: &SpikeDataset,
        data_path: &Path,
        _threads: usize,
    ) -> Result<GradOutput, SimError> {
        crate::sim::cuda::grad(self, data, data_path)
    }
}
