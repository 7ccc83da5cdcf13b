//! The training loop: epochs of shuffled batches, forward + adjoint pass per batch, gradient
//! reduction and Adam as generated code, evaluation of the validation and test splits after each
//! epoch, best and last parameters, metrics, checkpoints and resuming.
//!
//! A run is deterministic: shuffling uses a stream seeded from the network's seed and the epoch,
//! learning rates depend only on the step and epoch counters, lane gradients are summed by a
//! fixed tree over the batch's lanes (the same for any number of threads and processes), and a checkpoint holds everything else (parameters, Adam moments in f64, counters), so a
//! resumed run continues exactly as an uninterrupted one. A NaN or infinity stops the run at the
//! batch where it appeared ([`finite`]), before the epoch's files are written.
//!
//! Nothing here prints: a run reports its progress as typed events to an [`Observer`]
//! ([`train_with`]); [`train`] reports to none.

pub mod bench;
mod evaluate;
pub mod finite;
pub mod loader;
pub mod metrics;
pub mod observer;
pub mod plots;
pub mod report;
pub mod result;
mod run;
mod shared;
pub mod state;

pub use evaluate::{
    evaluate_data, evaluate_data_on, evaluate_split, evaluate_split_on, load_batch,
};
pub use observer::Observer;
pub use run::{train, train_on, train_with};

use std::path::{Path, PathBuf};
use std::time::Instant;

use rgenn_codegen::ir::{Network, Split, Training};
use rgenn_codegen::rng::{self, Rng};

use crate::data::SpikeDataset;
use crate::error::SimError;
use crate::passes::grad::Passes;
use crate::passes::loss::LossSpec;
use crate::sim::engine::Engine;
use crate::sim::init::Params;
use crate::sim::profile::Profile;
use metrics::EpochRecord;

/// File names inside a run folder.
pub mod files {
    /// Best parameters (by validation accuracy, else test, else training accuracy).
    pub const BEST: &str = "params.npz";
    /// Parameters after the last epoch.
    pub const LAST: &str = "params_last.npz";
    /// Everything needed to resume.
    pub const CHECKPOINT: &str = "checkpoint.npz";
    /// One row per epoch.
    pub const METRICS: &str = "metrics.csv";
    /// The network file as given.
    pub const MODEL: &str = "model.yaml";
    /// The resolved network (IR) as JSON.
    pub const IR: &str = "model.ir.json";
    /// The selected epoch, its scores and the protocol that selected it.
    pub const RESULT: &str = "result.json";
}

/// How to run `train`.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Epochs in total (default: the YAML's `training.epochs`).
    pub epochs: Option<u32>,
    /// Threads for batch lanes.
    pub threads: usize,
    /// The run folder.
    pub out_dir: PathBuf,
    /// Continue from the run folder's checkpoint.
    pub resume: bool,
    /// Report progress to the observer: the start, each batch, each epoch, an early stop.
    pub progress: bool,
    /// Time where each epoch's training time went and report it to the observer.
    pub profile: bool,
}

/// One optimiser step on a batch: reset and feed the lanes, forward, loss and adjoint passes on
/// every lane, then gradient reduction and Adam (generated code).
pub struct BatchStep<'a> {
    /// The split's examples.
    pub data: &'a SpikeDataset,
    /// Where they came from (for messages).
    pub path: &'a Path,
    /// Which examples form the batch.
    pub trials: &'a [usize],
    /// Their labels.
    pub labels: &'a [u32],
    /// The loss.
    pub spec: &'a LossSpec,
    /// Optimisers and regularisation.
    pub training: &'a Training,
    /// Epoch (from 0), for the learning-rate decay.
    pub epoch: u32,
    /// Threads for the lanes.
    pub threads: usize,
}

impl BatchStep<'_> {
    /// Run the step; `steps` counts optimiser steps (incremented here). Returns the trials' losses
    /// and the weight and delay learning rates used. With `profile`, times the host phases and
    /// counts examples and forward synaptic events.
    pub fn run<E: Engine + ?Sized>(
        &self,
        sim: &mut E,
        steps: &mut u64,
        profile: Option<&mut Profile>,
    ) -> Result<(Vec<crate::passes::loss::TrialLoss>, f64, f64), SimError> {
        let clock = Instant::now();
        let net = sim.network();
        let n_units = loader::input_units(net)?;
        let inputs = self
            .trials
            .iter()
            .map(|&k| self.data.bin(k, net.dt_ms, net.n_steps, n_units, self.path))
            .collect::<Result<Vec<_>, _>>()?;
        self.run_binned(sim, &inputs, clock, steps, profile)
    }

    /// [`BatchStep::run`] with the trials already binned (`inputs[i]` is `trials[i]`); `clock`
    /// started when making the batch began (for the profile's reset time).
    pub fn run_binned<E: Engine + ?Sized>(
        &self,
        sim: &mut E,
        inputs: &[crate::sim::cpu::TrialInput],
        clock: Instant,
        steps: &mut u64,
        profile: Option<&mut Profile>,
    ) -> Result<(Vec<crate::passes::loss::TrialLoss>, f64, f64), SimError> {
        let t = self.training;
        let loaded = clock.elapsed().as_secs_f64();
        let out = sim.run_batch(
            inputs,
            self.labels,
            self.spec,
            1.0 / self.trials.len() as f64,
            self.threads,
            Passes::Train(t.regularisation.as_ref()),
        )?;
        let ran = clock.elapsed().as_secs_f64();
        let lr_w = t.weight_optimizer.lr_at(*steps, self.epoch);
        let lr_d = t.delay_optimizer.lr_at(*steps, self.epoch);
        *steps += 1;
        sim.optimizer_step(
            inputs.len() as u32,
            *steps,
            (&t.weight_optimizer, lr_w),
            (&t.delay_optimizer, lr_d),
            self.threads,
        )?;
        if let Some(p) = profile {
            let done = clock.elapsed().as_secs_f64();
            p.resets_s += loaded;
            p.lanes_s += ran - loaded;
            p.optimizer_s += done - ran;
            p.examples += self.trials.len() as u64;
            // a batch runs its lanes on at most one thread each
            p.add_kernel_time(sim.take_profile(), self.threads.min(self.trials.len()));
            p.synaptic_events += sim.forward_events(inputs.len() as u32);
        }
        Ok((out, lr_w, lr_d))
    }
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSummary {
    /// Every epoch's metrics (earlier runs' included when resumed).
    pub records: Vec<EpochRecord>,
    /// The split whose accuracy chose `params.npz` (`None`: the training split).
    pub selection: Option<Split>,
    /// How that split was made, in words ("held-out validation: 82 of the 816 training
    /// examples ..."), so a reported number always says what produced it.
    pub protocol: String,
    /// The best selection accuracy.
    pub best_accuracy: f64,
    /// True when early stopping ended the run.
    pub stopped_early: bool,
    /// The final (last) parameters.
    pub params: Params,
}

/// The order of the training examples in `epoch` (from 0).
pub fn epoch_order(net: &Network, n: usize, epoch: u32, shuffle: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        let mut rng = Rng::new(rng::stream_seed(net.seed, "shuffle", &epoch.to_string()));
        for i in (1..n).rev() {
            let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
            order.swap(i, j);
        }
    }
    order
}

/// A failed write of `path` (a run folder's file or plot) as a [`SimError`].
fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// One line per epoch: losses, accuracies and speed.
pub fn describe(r: &EpochRecord, epochs: u32) -> String {
    let mut s = format!(
        "epoch {}/{epochs}  train loss {:.4} accuracy {:.1}%",
        r.epoch,
        r.train.loss,
        100.0 * r.train.accuracy
    );
    for (name, score) in [("validation", r.validation), ("test", r.test)] {
        if let Some(sc) = score {
            s.push_str(&format!(
                "  {name} loss {:.4} accuracy {:.1}%",
                sc.loss,
                100.0 * sc.accuracy
            ));
        }
    }
    s.push_str(&format!(
        "  {:.0} examples/s  ({:.2} s)",
        r.examples_per_second, r.seconds
    ));
    if !r.tape_growths.is_empty() {
        let grown = metrics::growths_text(&r.tape_growths);
        s.push_str(&format!("  spike tape grew: {grown}"));
    }
    s
}
