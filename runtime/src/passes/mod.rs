//! Passes over a whole dataset, written once against a simulator: forward with recording
//! ([`simulate`], `rgenn simulate`), forward and adjoint for the mean loss's gradients ([`grad`],
//! `rgenn grad`), and the per-trial losses both use ([`loss`]).

pub mod grad;
pub mod loss;
pub mod simulate;

use std::ops::Range;
use std::path::Path;

use rgenn_codegen::ir::Network;

use crate::data::SpikeDataset;
use crate::error::SimError;
use crate::sim::cpu::TrialInput;
use crate::sim::engine::Engine;

/// The spike-source population of `sim`'s network, which datasets feed.
fn input_of<E: Engine + ?Sized>(sim: &E) -> Result<usize, SimError> {
    crate::sim::engine::input_population(sim.input_pop())
}

/// The trials of each batch of `batch` lanes over `n` trials, in order (the last may be short).
fn batches(n: usize, batch: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n)
        .step_by(batch)
        .map(move |first| first..(first + batch).min(n))
}

/// Trials `trials` of `data` (read from `data_path`) binned for `net`'s input population `input`.
fn bin_trials(
    net: &Network,
    input: usize,
    data: &SpikeDataset,
    data_path: &Path,
    trials: Range<usize>,
) -> Result<Vec<TrialInput>, SimError> {
    let n_units = net.populations[input].size;
    trials
        .map(|k| Ok(data.bin(k, net.dt_ms, net.n_steps, n_units, data_path)?))
        .collect()
}
