//! One interface over the simulators the drivers run: the CPU (C++ or Rust kernels, loaded or
//! linked) `Simulator` (its impl in `sim/cpu/engine_impl.rs`) and the `CudaSimulator`
//! (`sim/cuda/engine_impl.rs`). The dataset passes (`passes/`), training and evaluation are
//! written once against [`Engine`]; each simulator only runs a batch its own way (CPU lanes on
//! threads, CUDA lanes over the grid) and reports the same losses, gradients and parameters.

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Adam, ModelKind, Network, Regularisation};

use crate::error::SimError;
use crate::passes::grad::{Gradients, Passes};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::sim::cpu::{LaneRecord, Recording, TrialInput};
use crate::sim::init::Params;

/// A simulator the training and evaluation drivers can run.
pub trait Engine {
    /// The network it simulates.
    fn network(&self) -> &Network;

    /// Run one batch: trial `inputs[i]` on lane `i`, forward, each trial's loss against
    /// `labels[i]`; with [`Passes::ForwardBackward`] or [`Passes::Train`] also the spike-count
    /// regulariser over the batch and the adjoint pass with dLoss/dReadout scaled by `scale`,
    /// after which lanes `0..inputs.len()` hold their gradients for [`Engine::optimizer_step`].
    /// CPU lanes run on up to `threads` threads; results never depend on it.
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

    /// [`Engine::run_batch`] with [`Passes::Train`] for this process's share of a
    /// batch that other processes share (`dist/`): the spike-count regulariser counts the spikes
    /// of the whole batch through `share`. Every process calls it, one with no inputs too.
    #[allow(clippy::too_many_arguments)]
    fn run_batch_shared(
        &mut self,
        _inputs: &[TrialInput],
        _labels: &[u32],
        _spec: &LossSpec,
        _scale: f64,
        _threads: usize,
        _regularisation: Option<&Regularisation>,
        _share: &mut dyn BatchShare,
    ) -> Result<Vec<TrialLoss>, SimError> {
        Err(not_shared())
    }

    /// [`Engine::optimizer_step`] for a batch shared with other processes: this process's
    /// `n_lanes` lanes (possibly none) are summed, `share` combines the sum with the other
    /// processes', and every process takes the same Adam step from the combined sum.
    fn optimizer_step_shared(
        &mut self,
        _n_lanes: u32,
        _t: u64,
        _weights: (&Adam, f64),
        _delays: (&Adam, f64),
        _threads: usize,
        _share: &mut dyn BatchShare,
    ) -> Result<(), SimError> {
        Err(not_shared())
    }

    /// Buffer `index` (all lanes) as f64.
    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError>;

    /// Write buffer `index` (all lanes) from f64, rounded to its type.
    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError>;

    /// Write connectivity, weights and delays (with their step delays), through
    /// [`Engine::write_buffer`].
    fn upload(&mut self, params: &Params) -> Result<(), SimError> {
        crate::sim::init::upload(self, params)
    }

    /// The spike-source population datasets feed, if any.
    fn input_pop(&self) -> Option<usize>;

    /// Run trial `inputs[i]` forward on lane `i` (from reset), copying what `recording` asks for
    /// after every step; one record per input, in lane order. CPU lanes run on up to `threads`
    /// threads; results never depend on it.
    fn run_recorded(
        &mut self,
        inputs: &[TrialInput],
        recording: &Recording,
        threads: usize,
    ) -> Result<Vec<LaneRecord>, SimError>;

    /// After [`Engine::run_batch`] with the adjoint pass: add the gradients of lanes
    /// `0..n_lanes`, summed in lane order, to `total` (which starts empty).
    fn add_gradients(&mut self, n_lanes: u32, total: &mut Gradients) -> Result<(), SimError>;

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

    /// The spike tapes grown since the last call (see [`crate::sim::grow`]; none for a simulator
    /// whose tapes do not grow).
    fn take_growths(&mut self) -> Vec<crate::sim::grow::TapeGrowth> {
        Vec::new()
    }
}

/// What a process's share of a batch exchanges with the processes that run the batch's other
/// lanes (`dist/`, docs/distributed.md).
pub trait BatchShare {
    /// The lanes of the whole batch, over all processes.
    fn batch_lanes(&self) -> u32;

    /// `local` (this process's per-neuron spike counts, summed over its lanes, for the
    /// regularised populations one after another) summed over every process; the same on every
    /// process. A re-run batch (a grown spike tape) asks again and gets the same answer.
    fn sum_counts(&mut self, local: Vec<f64>) -> Result<Vec<f64>, SimError>;

    /// Combine this process's summed learned gradients (`bits`: raw values of the network's
    /// precision, as [`crate::dist::tree`] reads them) with the other processes' into the
    /// batch's sum, in place.
    fn combine_gradients(&mut self, bits: &mut [u8]) -> Result<(), SimError>;
}

fn not_shared() -> SimError {
    SimError::Network(
        "this simulator cannot share a batch with other processes; run the `cpu` or `rust` backend under mpirun".into(),
    )
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
    count_grad_of_sums(r, &count_sums(counts, size, lanes), lanes.len() as u32)
}

/// Per neuron, the spikes over the lanes `lanes` (`counts` holds every lane's per-neuron counts):
/// whole numbers, so their sum is exact in any order.
pub fn count_sums(counts: &[f64], size: usize, lanes: &[u32]) -> Vec<f64> {
    (0..size)
        .map(|n| lanes.iter().map(|&l| counts[l as usize * size + n]).sum())
        .collect()
}

/// [`count_grad`] from the per-neuron spike sums `sums` over a batch of `lanes` lanes.
pub fn count_grad_of_sums(r: &Regularisation, sums: &[f64], lanes: u32) -> Vec<f64> {
    let b = lanes as f64;
    sums.iter()
        .map(|&c| r.strength * (c - r.target_spikes * b) / (b * b))
        .collect()
}

/// The buffer of `owner` with `role`.
pub fn find(net: &Network, owner: Owner, role: Role) -> Option<usize> {
    net.buffers
        .iter()
        .position(|b| b.owner == owner && b.role == role)
}

/// An error naming the populations whose models have no adjoint, unless gradients can flow
/// through every population of `net`.
pub fn require_adjoint(net: &Network) -> Result<(), SimError> {
    if net.has_backward() {
        return Ok(());
    }
    let missing: Vec<String> = net
        .populations
        .iter()
        .filter(|p| {
            let m = net.model_of(p);
            m.kind == ModelKind::Neuron && m.adjoint.is_none()
        })
        .map(|p| format!("`{}` ({})", p.name, net.model_of(p).name))
        .collect();
    Err(SimError::Network(format!(
        "gradients cannot flow through population {}: its model has no `adjoint:` section",
        missing.join(", ")
    )))
}

/// The spike-source population `input_pop` that datasets feed, or an error where there is none.
pub fn input_population(input_pop: Option<usize>) -> Result<usize, SimError> {
    input_pop.ok_or_else(|| {
        SimError::Network("the network has no spike-source population to feed".into())
    })
}

/// Check that `input` fits `net`: one step boundary more than the network has steps.
pub fn check_input(net: &Network, input: &TrialInput) -> Result<(), SimError> {
    if input.step_start.len() == net.n_steps as usize + 1 {
        return Ok(());
    }
    Err(SimError::Network(format!(
        "input has {} step boundaries, the network needs {}",
        input.step_start.len(),
        net.n_steps + 1
    )))
}
