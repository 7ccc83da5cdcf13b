//! The CPU [`Simulator`] behind the drivers' [`Engine`]: a batch is its lanes, reset, fed and run
//! on threads (`lanes.rs`), with gradients summed on the host by the fixed lane tree (and, for a
//! batch shared with other processes, combined with theirs).

use rgenn_codegen::ir::{Adam, Network, Regularisation};

use super::{LaneRecord, Recording, Simulator, TrialInput};
use crate::error::SimError;
use crate::passes::grad::{Gradients, Passes};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::sim::engine::{BatchShare, Engine, adam_hyper, require_adjoint};

impl Simulator {
    /// The training passes of `lanes` (fed): every lane forward with its loss and
    /// dLoss/dReadout; then the spike-count regulariser, which needs every lane's counts (over
    /// every process with `share`); then every lane's adjoint pass.
    #[allow(clippy::too_many_arguments)]
    fn train_lanes(
        &mut self,
        lanes: &[u32],
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        threads: usize,
        regularisation: Option<&Regularisation>,
        share: Option<&mut dyn BatchShare>,
    ) -> Result<Vec<TrialLoss>, SimError> {
        require_adjoint(Simulator::network(self))?;
        let losses = self.forward_losses(lanes, labels, spec, Some(scale), threads);
        self.write_count_grads(lanes, regularisation, share)?;
        self.backward_lanes(lanes, threads)?;
        Ok(losses)
    }

    /// The optimiser step after a batch: lanes `0..n_lanes` summed on the host by the fixed lane
    /// tree, a block of parameters per thread (so the sums do not depend on `threads`), combined
    /// with the other processes' sums through `share`, then the generated Adam step from lane 0.
    /// A process sharing a batch may have no lanes of its own.
    fn step_lanes(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        threads: usize,
        share: Option<&mut dyn BatchShare>,
    ) -> Result<(), SimError> {
        if n_lanes > Simulator::network(self).batch_size {
            return Err(SimError::Network(format!(
                "optimiser step over {n_lanes} lanes rejected"
            )));
        }
        self.sum_learned_gradients(n_lanes, threads);
        let batch_lanes = match share {
            Some(share) => {
                let mut bits = self.lane0_gradient_bits();
                share.combine_gradients(&mut bits)?;
                self.set_lane0_gradient_bits(&bits);
                share.batch_lanes()
            }
            None => n_lanes,
        };
        self.adam_step(batch_lanes, &adam_hyper(t, weights, delays))
    }

    /// Reset lanes `0..inputs.len()` and set lane `i`'s input to `inputs[i]`; the lanes.
    fn feed(&mut self, inputs: &[TrialInput]) -> Result<Vec<u32>, SimError> {
        let lanes: Vec<u32> = (0..inputs.len() as u32).collect();
        for (input, &lane) in inputs.iter().zip(&lanes) {
            self.reset(lane);
            self.set_input(lane, input)?;
        }
        Ok(lanes)
    }
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
        let lanes = self.feed(inputs)?;
        let regularisation = match passes {
            Passes::Forward => return Ok(self.forward_losses(&lanes, labels, spec, None, threads)),
            Passes::ForwardBackward(r) => {
                self.set_learned_only(false);
                r
            }
            Passes::Train(r) => {
                self.set_learned_only(true);
                r
            }
        };
        self.train_lanes(&lanes, labels, spec, scale, threads, regularisation, None)
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
        let lanes = self.feed(inputs)?;
        self.set_learned_only(true);
        self.train_lanes(
            &lanes,
            labels,
            spec,
            scale,
            threads,
            regularisation,
            Some(share),
        )
    }

    fn optimizer_step_shared(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        threads: usize,
        share: &mut dyn BatchShare,
    ) -> Result<(), SimError> {
        self.step_lanes(n_lanes, t, weights, delays, threads, Some(share))
    }

    fn optimizer_step(
        &mut self,
        n_lanes: u32,
        t: u64,
        weights: (&Adam, f64),
        delays: (&Adam, f64),
        threads: usize,
    ) -> Result<(), SimError> {
        if n_lanes == 0 {
            return Err(SimError::Network(
                "optimiser step over 0 lanes rejected".to_string(),
            ));
        }
        self.step_lanes(n_lanes, t, weights, delays, threads, None)
    }

    fn read_buffer(&mut self, index: usize) -> Result<Vec<f64>, SimError> {
        Ok(self.read_f64(index))
    }

    fn write_buffer(&mut self, index: usize, values: &[f64]) -> Result<(), SimError> {
        self.write_f64(index, values);
        Ok(())
    }

    fn input_pop(&self) -> Option<usize> {
        self.input_pop
    }

    fn run_recorded(
        &mut self,
        inputs: &[TrialInput],
        recording: &Recording,
        threads: usize,
    ) -> Result<Vec<LaneRecord>, SimError> {
        let lanes = self.feed(inputs)?;
        Ok(self.run_lanes(&lanes, threads, recording))
    }

    fn add_gradients(&mut self, n_lanes: u32, total: &mut Gradients) -> Result<(), SimError> {
        let lanes: Vec<u32> = (0..n_lanes).collect();
        self.add_lane_gradients(&lanes, total);
        Ok(())
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
