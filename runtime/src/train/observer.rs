//! What a training run reports while it runs: typed events sent to an [`Observer`].
//!
//! The runtime never prints. [`super::train_with`] calls the observer's methods as the run goes
//! (start, each batch, each epoch's time profile, each epoch's metrics, an early stop, a spike
//! tape that grew); a program
//! decides what to show (the `rgenn` CLI prints them to stderr, a binding may log them or drive a
//! progress bar). Every method has an empty default, so an observer implements only what it
//! needs. [`Silent`] ignores everything.
//!
//! Which events come: the start and the batch, epoch and early-stop events when
//! [`super::TrainOptions::progress`] is on; the profile events when
//! [`super::TrainOptions::profile`] is on.

use rgenn_codegen::ir::Split;

use super::metrics::EpochRecord;
use crate::sim::grow::TapeGrowth;
use crate::sim::profile::Profile;

/// The run is about to train its first epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunStart<'a> {
    /// Epochs already done (a resumed run's earlier epochs), so the next epoch is this plus 1.
    pub epochs_done: u32,
    /// Epochs in total.
    pub epochs: u32,
    /// The split whose accuracy chooses the best parameters (`None`: the training split).
    pub selection: Option<Split>,
    /// How that split was made, in words.
    pub protocol: &'a str,
}

/// A training batch has run: the epoch's running totals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchProgress {
    /// Epoch, from 1.
    pub epoch: u32,
    /// Epochs in total.
    pub epochs: u32,
    /// Examples trained so far in this epoch.
    pub seen: usize,
    /// Examples in this epoch.
    pub examples: usize,
    /// Seconds since the epoch began.
    pub elapsed_s: f64,
    /// Mean loss of the examples seen.
    pub loss: f64,
    /// Fraction of the examples seen that were predicted correctly.
    pub accuracy: f64,
}

impl BatchProgress {
    /// Examples per second so far in this epoch.
    pub fn examples_per_second(&self) -> f64 {
        self.seen as f64 / self.elapsed_s.max(1e-9)
    }
}

/// Where an epoch's training time went (evaluation excluded).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochProfile<'a> {
    /// Epoch, from 1.
    pub epoch: u32,
    /// Time per phase; its `total_s` is the epoch's training time.
    pub profile: &'a Profile,
    /// Seconds the data loader's thread spent augmenting and binning the batches.
    pub loader_s: f64,
    /// Seconds training waited for the data loader (the first batch included).
    pub waited_s: f64,
}

/// Early stopping ended the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStop {
    /// The last epoch trained, from 1.
    pub epoch: u32,
    /// Epochs without a better validation accuracy that ended it (`training.patience`).
    pub patience: u32,
}

/// Receives a training run's events; every method does nothing unless implemented.
pub trait Observer {
    /// Before the first epoch of this run.
    fn on_start(&mut self, _start: &RunStart<'_>) {}

    /// After each training batch.
    fn on_batch(&mut self, _batch: &BatchProgress) {}

    /// After an epoch's training batches, before its evaluation (with profiling on).
    fn on_profile(&mut self, _profile: &EpochProfile<'_>) {}

    /// After an epoch: its metrics, once they and the run folder's files are written.
    fn on_epoch(&mut self, _record: &EpochRecord, _epochs: u32) {}

    /// When early stopping ends the run (after that epoch's [`Observer::on_epoch`]).
    fn on_early_stop(&mut self, _stop: &EarlyStop) {}

    /// Asked after every training batch, whatever [`super::TrainOptions::progress`] says: `true`
    /// ends the run there with [`crate::SimError::Interrupted`] (e.g. on Ctrl-C). The run folder
    /// keeps the files of the last finished epoch, its checkpoint included.
    fn interrupted(&mut self) -> bool {
        false
    }

    /// When a `spike_capacity: auto` tape overflowed in a training batch of `epoch` (from 1) and
    /// grew; the batch was re-run (always sent, with or without progress).
    fn on_tape_growth(&mut self, _epoch: u32, _growth: &TapeGrowth) {}
}

/// An observer that ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}
