//! Spike tapes that never end a run: [`Growing`] wraps a simulator and, when a population with
//! `spike_capacity: auto` overflows its tape in a batch, rebuilds the simulator with that tape
//! doubled, carries every shared buffer (connectivity, weights, delays, Adam moments) over and
//! re-runs the batch from the same state.
//!
//! Overflow is found in the adjoint pass, before the optimiser step, so nothing the batch would
//! change has changed yet; the tape's capacity only bounds how many spikes are kept, so the
//! re-run batch, and the whole run, equal a run that had the larger capacity from the start.
//! Growth doubles the capacity, never past the trial's step count (a neuron fires at most once
//! per step, so that capacity cannot overflow): at most `log2(steps / 500)` rebuilds per
//! population over a run. A population with a fixed `spike_capacity: N` never grows: its overflow
//! stays an error.

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::{Network, Regularisation};

use crate::error::SimError;
use crate::passes::grad::{Gradients, Passes};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::sim::cpu::{LaneRecord, Recording, Simulator, TrialInput};
use crate::sim::cuda::CudaSimulator;
use crate::sim::engine::{BatchShare, Engine};
use crate::sim::init::Params;

/// A spike tape grew: population `population` now keeps `to` spikes per neuron and trial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapeGrowth {
    /// The population.
    pub population: String,
    /// Its capacity before.
    pub from: u32,
    /// Its capacity now.
    pub to: u32,
}

/// Build the simulator of `net` for `backend` (from the build cache when it holds it).
pub fn build(net: &Network, backend: Backend) -> Result<Box<dyn Engine + Send>, SimError> {
    Ok(match backend {
        Backend::Cuda => Box::new(CudaSimulator::build(net)?),
        Backend::Cpu | Backend::Rust => Box::new(Simulator::build_with(net, backend)?),
    })
}

/// The capacity after `from` overflowed in a trial of `n_steps` steps: doubled, at most one spike
/// per step; `None` when it cannot grow.
pub fn grown(from: u32, n_steps: u32) -> Option<u32> {
    let to = from.saturating_mul(2).min(n_steps.max(1));
    (to > from).then_some(to)
}

/// A simulator whose `auto` spike tapes grow on overflow (see the module documentation).
pub struct Growing {
    inner: Box<dyn Engine + Send>,
    backend: Backend,
    profiling: bool,
    growths: Vec<TapeGrowth>,
}

impl Growing {
    /// Wrap `inner`, built from its network for `backend`.
    pub fn new(inner: Box<dyn Engine + Send>, backend: Backend) -> Growing {
        Growing {
            inner,
            backend,
            profiling: false,
            growths: Vec::new(),
        }
    }

    /// Rebuild with population `pop`'s tape at `to` spikes, every shared buffer copied over.
    fn regrow(&mut self, pop: usize, to: u32) -> Result<(), SimError> {
        let mut net = self.inner.network().clone();
        let from = net.populations[pop].spike_capacity;
        net.populations[pop].spike_capacity = to;
        net.buffers = rgenn_codegen::ir::buffers::plan(&net);
        let mut next = build(&net, self.backend)?;
        for (i, b) in net.buffers.iter().enumerate() {
            // lane buffers (tapes, states) are reset by every batch; shared ones carry the run
            if !b.batched {
                let values = self.inner.read_buffer(i)?;
                next.write_buffer(i, &values)?;
            }
        }
        next.set_profiling(self.profiling);
        self.inner = next;
        self.growths.push(TapeGrowth {
            population: net.populations[pop].name.clone(),
            from,
            to,
        });
        Ok(())
    }
}

impl Growing {
    /// Run `batch` on the simulator, growing a tape and running it again after each overflow of
    /// a tape that may grow.
    fn growing(
        &mut self,
        mut batch: impl FnMut(&mut dyn Engine) -> Result<Vec<TrialLoss>, SimError>,
    ) -> Result<Vec<TrialLoss>, SimError> {
        loop {
            match batch(self.inner.as_mut()) {
                Err(SimError::TapeOverflow {
                    population,
                    capacity,
                }) => {
                    let net = self.inner.network();
                    let found = net.populations.iter().position(|p| p.name == population);
                    let next = found
                        .filter(|&i| !net.populations[i].spike_capacity_fixed)
                        .and_then(|i| Some((i, grown(capacity, net.n_steps)?)));
                    let Some((pop, to)) = next else {
                        return Err(SimError::TapeOverflow {
                            population,
                            capacity,
                        });
                    };
                    self.regrow(pop, to)?;
                }
                other => return other,
            }
        }
    }
}

impl Engine for Growing {
    fn network(&self) -> &Network {
        self.inner.network()
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
        self.growing(|sim| sim.run_batch(inputs, labels, spec, scale, threads, passes))
    }

    fn run_batch_shared(
        &mut self,
        inputs: &[TrialInput],
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        threads: usize,
        regularisation: Option<&Regularisation>,
        share: &mut dyn BatchShare,
    ) -> Result<Vec<TrialLoss>, SimError> {
        self.growing(|sim| {
            sim.run_batch_shared(inputs, labels, spec, scale, threads, regularisation, share)
        })
    }

    fn optimizer_step_shared(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&rgenn_codegen::ir::Adam, f64),
        delays: (&rgenn_codegen::ir::Adam, f64),
        threads: usize,
        share: &mut dyn BatchShare,
    ) -> Result<(), SimError> {
        self.inner
            .optimizer_step_shared(n_lanes, t, weights, delays, threads, share)
    }

    fn optimizer_step(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&rgenn_codegen::ir::Adam, f64),
        delays: (&rgenn_codegen::ir::Adam, f64),
        threads: usize,
    ) -> Result<(), SimError> {
        self.inner
            .optimizer_step(n_lanes, t, weights, delays, threads)
    }

    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError> {
        self.inner.read_buffer(index)
    }

    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError> {
        self.inner.write_buffer(index, values)
    }

    fn upload(&mut self, params: &Params) -> Result<(), SimError> {
        self.inner.upload(params)
    }

    fn input_pop(&self) -> Option<usize> {
        self.inner.input_pop()
    }

    fn run_recorded(
        &mut self,
        inputs: &[TrialInput],
        recording: &Recording,
        threads: usize,
    ) -> Result<Vec<LaneRecord>, SimError> {
        self.inner.run_recorded(inputs, recording, threads)
    }

    fn add_gradients(&mut self, n_lanes: u32, total: &mut Gradients) -> Result<(), SimError> {
        self.inner.add_gradients(n_lanes, total)
    }

    fn set_profiling(&mut self, on: bool) {
        self.profiling = on;
        self.inner.set_profiling(on);
    }

    fn take_profile(&mut self) -> [u64; 4] {
        self.inner.take_profile()
    }

    fn forward_events(&mut self, n_lanes: u32) -> u64 {
        self.inner.forward_events(n_lanes)
    }

    fn take_growths(&mut self) -> Vec<TapeGrowth> {
        std::mem::take(&mut self.growths)
    }
}

#[cfg(test)]
mod tests {
    use super::grown;

    #[test]
    fn capacity_doubles_up_to_one_spike_per_step() {
        assert_eq!(grown(500, 2000), Some(1000));
        assert_eq!(grown(1000, 1500), Some(1500));
        assert_eq!(grown(1500, 1500), None);
        assert_eq!(grown(u32::MAX, u32::MAX), None);
    }
}
