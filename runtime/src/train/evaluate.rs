//! Splits ready to run (examples and labels) and their evaluation: mean loss and accuracy of the
//! current parameters, forward passes only.

use std::path::Path;

use rgenn_codegen::ir::{Network, Split};

use super::loader;
use super::metrics::Score;
use crate::data::SpikeDataset;
use crate::data::splits::{self, LoadedSplit};
use crate::dist::tree::Layout;
use crate::dist::{Communicator, Single, checked};
use crate::error::{DataError, SimError};
use crate::passes::grad::Passes;
use crate::passes::grad::labels;
use crate::passes::loss::LossSpec;
use crate::sim::cpu::Simulator;
use crate::sim::engine::Engine;

/// A split ready to run: examples and their labels.
pub(super) struct Ready {
    pub split: LoadedSplit,
    pub labels: Vec<u32>,
}

pub(super) fn ready(
    net: &Network,
    base_dir: &Path,
    which: Split,
    classes: u32,
) -> Result<Option<Ready>, SimError> {
    ready_split(splits::load(net, base_dir, which)?, classes)
}

pub(super) fn ready_split(
    split: Option<LoadedSplit>,
    classes: u32,
) -> Result<Option<Ready>, SimError> {
    let Some(split) = split else {
        return Ok(None);
    };
    if split.data.is_empty() {
        return Err(DataError::Invalid {
            path: split.path.clone(),
            message: "the split has no trials".into(),
        }
        .into());
    }
    let labels = labels(&split.data, &split.path, classes)?;
    Ok(Some(Ready { split, labels }))
}

/// Set up lanes `0..trials.len()` with the given trials of `data`.
pub fn load_batch(
    sim: &mut Simulator,
    data: &SpikeDataset,
    path: &Path,
    trials: &[usize],
) -> Result<Vec<u32>, SimError> {
    let net = sim.network().clone();
    let input = sim.input_pop.ok_or_else(|| {
        SimError::Network("the network has no spike-source population to feed".into())
    })?;
    let n_units = net.populations[input].size;
    let lanes: Vec<u32> = (0..trials.len() as u32).collect();
    for (&k, &lane) in trials.iter().zip(&lanes) {
        let binned = data.bin(k, net.dt_ms, net.n_steps, n_units, path)?;
        sim.reset(lane);
        sim.set_input(lane, &binned)?;
    }
    Ok(lanes)
}

/// Mean loss and accuracy of the current parameters over a split (forward passes only), each
/// rank of `comm` running its lanes of every batch; the same on every rank.
pub(super) fn evaluate<E: Engine + ?Sized>(
    sim: &mut E,
    r: &Ready,
    spec: &LossSpec,
    threads: usize,
    comm: &dyn Communicator,
) -> Result<Score, SimError> {
    let net = sim.network().clone();
    let batch = net.batch_size as usize;
    let n = r.split.data.len();
    let n_units = loader::input_units(&net)?;
    let (mut loss, mut correct) = (0.0, 0usize);
    let jobs: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(batch)
        .map(|first| first..(first + batch).min(n))
        .collect();
    let (layout, rank) = (Layout::new(batch, comm.size(), 1), comm.rank());
    let mine = move |trials: &std::ops::Range<usize>| {
        let lanes = layout.lanes(rank, trials.len());
        trials.start + lanes.start..trials.start + lanes.end
    };
    // Each rank bins its trials only; an error reaches every rank through the losses' exchange.
    let make = |trials: &std::ops::Range<usize>| {
        Ok(mine(trials)
            .map(|k| {
                r.split
                    .data
                    .bin(k, net.dt_ms, net.n_steps, n_units, &r.split.path)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(SimError::from))
    };
    loader::ahead(&jobs, make, |trials, inputs| {
        let labels = &r.labels[trials.clone()];
        let local = inputs.and_then(|inputs| {
            let labels = &r.labels[mine(trials)];
            sim.run_batch(&inputs, labels, spec, 1.0, threads, Passes::Forward)
        });
        let out = checked::all_losses(comm, local)?;
        for (t, &l) in out.iter().zip(labels) {
            loss += t.loss;
            correct += usize::from(t.prediction == l);
        }
        Ok(())
    })?;
    Ok(Score {
        loss: loss / n as f64,
        accuracy: correct as f64 / n as f64,
    })
}

/// Evaluate parameters already uploaded to `sim` on one split of its network (`rgenn eval`).
pub fn evaluate_split<E: Engine + ?Sized>(
    sim: &mut E,
    base_dir: &Path,
    which: Split,
    threads: usize,
) -> Result<Option<Score>, SimError> {
    evaluate_split_on(sim, base_dir, which, threads, &Single)
}

/// [`evaluate_split`] as one of the processes of `comm`, each running its lanes of every batch;
/// the same score on every rank, and the same as one process gets.
pub fn evaluate_split_on<E: Engine + ?Sized>(
    sim: &mut E,
    base_dir: &Path,
    which: Split,
    threads: usize,
    comm: &dyn Communicator,
) -> Result<Option<Score>, SimError> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net)?;
    match ready(&net, base_dir, which, spec.classes)? {
        Some(r) => Ok(Some(evaluate(sim, &r, &spec, threads, comm)?)),
        None => Ok(None),
    }
}

/// Evaluate the parameters in `sim` on a dataset file (`rgenn eval --data`).
pub fn evaluate_data<E: Engine + ?Sized>(
    sim: &mut E,
    data: SpikeDataset,
    path: &Path,
    threads: usize,
) -> Result<Score, SimError> {
    evaluate_data_on(sim, data, path, threads, &Single)
}

/// [`evaluate_data`] as one of the processes of `comm` (see [`evaluate_split_on`]).
pub fn evaluate_data_on<E: Engine + ?Sized>(
    sim: &mut E,
    data: SpikeDataset,
    path: &Path,
    threads: usize,
    comm: &dyn Communicator,
) -> Result<Score, SimError> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net)?;
    let labels = labels(&data, path, spec.classes)?;
    let r = Ready {
        split: LoadedSplit {
            data,
            path: path.to_path_buf(),
            speakers: None,
        },
        labels,
    };
    evaluate(sim, &r, &spec, threads, comm)
}
