//! The [`CudaSimulator`] behind the drivers' [`Engine`]: a batch is one launch per kernel and
//! step over every lane (`batch.rs`), with gradients summed over lanes on the GPU.

use rgenn_codegen::ir::{Adam, Network};

use super::CudaSimulator;
use super::batch::add_gradients;
use crate::error::SimError;
use crate::passes::grad::{Gradients, Passes};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::sim::cpu::{LaneRecord, Recording, TrialInput};
use crate::sim::engine::{Engine, adam_hyper};

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
            // The CUDA kernels accumulate every gradient, also during training.
            Passes::ForwardBackward(r) | Passes::Train(r) => {
                self.backward_regularised(labels, spec, scale, r)
            }
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

    fn input_pop(&self) -> Option<usize> {
        self.input_pop
    }

    fn run_recorded(
        &mut self,
        inputs: &[TrialInput],
        recording: &Recording,
        _threads: usize,
    ) -> Result<Vec<LaneRecord>, SimError> {
        self.forward(inputs, Some(recording))
    }

    fn add_gradients(&mut self, n_lanes: u32, total: &mut Gradients) -> Result<(), SimError> {
        let sums = self.gradient_sums(n_lanes)?;
        add_gradients(total, sums);
        Ok(())
    }
}
