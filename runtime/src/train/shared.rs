//! A training batch shared by the processes of a distributed run (docs/distributed.md): each
//! rank runs the lanes [`Layout`] gives it, the spike counts of the regulariser and the lanes'
//! losses are gathered, the lane gradients are summed by the fixed tree (`dist/tree.rs`), and
//! every rank takes the same Adam step. An error on any rank reaches every rank at the next
//! checked exchange (`dist/checked.rs`), so all stop at the same batch.

use std::time::Instant;

use rgenn_codegen::ir::Precision;

use super::BatchStep;
use crate::dist::tree::{self, Layout};
use crate::dist::{Communicator, checked};
use crate::error::SimError;
use crate::passes::loss::TrialLoss;
use crate::sim::cpu::TrialInput;
use crate::sim::engine::{BatchShare, Engine};
use crate::sim::profile::Profile;

/// One rank's part in one batch.
struct Share<'a> {
    comm: &'a dyn Communicator,
    layout: Layout,
    n: usize,
    precision: Precision,
    /// The batch's spike sums, once exchanged (a re-run batch asks again).
    counts: Option<Vec<f64>>,
    /// Wall seconds combining the gradients.
    reduce_s: f64,
}

impl BatchShare for Share<'_> {
    fn batch_lanes(&self) -> u32 {
        self.n as u32
    }

    fn sum_counts(&mut self, local: Vec<f64>) -> Result<Vec<f64>, SimError> {
        if let Some(c) = &self.counts {
            return Ok(c.clone());
        }
        let total = checked::sum_counts(self.comm, Ok(local))?;
        self.counts = Some(total.clone());
        Ok(total)
    }

    fn combine_gradients(&mut self, bits: &mut [u8]) -> Result<(), SimError> {
        let clock = Instant::now();
        tree::combine_blocks(self.comm, &self.layout, self.n, self.precision, bits);
        self.reduce_s += clock.elapsed().as_secs_f64();
        Ok(())
    }
}

impl BatchStep<'_> {
    /// [`BatchStep::run_binned`] for this rank's share of the batch: `inputs` are the trials of
    /// [`Layout::lanes`] (or the error making them). Returns every trial's loss in batch order (only
    /// `loss` and `prediction` for other ranks' trials) and the learning rates.
    pub(super) fn run_shared<E: Engine + ?Sized>(
        &self,
        sim: &mut E,
        comm: &dyn Communicator,
        inputs: Result<Vec<TrialInput>, SimError>,
        clock: Instant,
        steps: &mut u64,
        profile: Option<&mut Profile>,
    ) -> Result<(Vec<TrialLoss>, f64, f64), SimError> {
        let t = self.training;
        let net = sim.network();
        let n = self.trials.len();
        let layout = Layout::new(
            net.batch_size as usize,
            comm.size(),
            net.lane_group as usize,
        );
        let mine = layout.lanes(comm.rank(), n);
        let mut share = Share {
            comm,
            layout,
            n,
            precision: net.precision,
            counts: None,
            reduce_s: 0.0,
        };
        let loaded = clock.elapsed().as_secs_f64();
        let n_mine = inputs.as_ref().map_or(0, |i| i.len());
        let local = inputs.and_then(|inputs| {
            sim.run_batch_shared(
                &inputs,
                &self.labels[mine.clone()],
                self.spec,
                1.0 / n as f64,
                self.threads,
                t.regularisation.as_ref(),
                &mut share,
            )
        });
        // A rank that failed before the spike counts were exchanged still takes part, with its
        // error; an error from an exchange is already every rank's.
        let local = match local {
            Err(e) if t.regularisation.is_some() && share.counts.is_none() => {
                if matches!(e, SimError::Rank { .. }) {
                    return Err(e);
                }
                checked::sum_counts(comm, Err(e)).map(|_| unreachable!("an error was sent"))
            }
            other => other,
        };
        if let Err(e @ SimError::Rank { .. }) = local {
            return Err(e);
        }
        let out = checked::all_losses(comm, local)?;
        let ran = clock.elapsed().as_secs_f64();
        let lr_w = t.weight_optimizer.lr_at(*steps, self.epoch);
        let lr_d = t.delay_optimizer.lr_at(*steps, self.epoch);
        *steps += 1;
        sim.optimizer_step_shared(
            n_mine as u32,
            *steps,
            (&t.weight_optimizer, lr_w),
            (&t.delay_optimizer, lr_d),
            self.threads,
            &mut share,
        )?;
        if let Some(p) = profile {
            let done = clock.elapsed().as_secs_f64();
            p.resets_s += loaded;
            p.lanes_s += ran - loaded;
            p.optimizer_s += done - ran;
            p.reduce_s += share.reduce_s;
            // the job's examples: times per example are the whole job's
            p.examples += n as u64;
            p.add_kernel_time(sim.take_profile(), self.threads.min(n_mine.max(1)));
            p.synaptic_events += sim.forward_events(n_mine as u32);
        }
        Ok((out, lr_w, lr_d))
    }
}
