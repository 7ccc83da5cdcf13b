//! The training loop: epochs of shuffled batches, forward + adjoint pass per batch, gradient
//! reduction and Adam as generated code, evaluation of the validation and test splits after each
//! epoch, best and last parameters, metrics, checkpoints and resuming.
//!
//! A run is deterministic: shuffling uses a stream seeded from the network's seed and the epoch,
//! learning rates depend only on the step and epoch counters, lane gradients are summed in lane
//! order, and a checkpoint holds everything else (parameters, Adam moments in f64, counters), so a
//! resumed run continues exactly as an uninterrupted one.

pub mod bench;
pub mod loader;
pub mod metrics;
pub mod plots;
pub mod report;
pub mod result;
pub mod state;

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rgenn_codegen::ir::{Network, Split, Training};
use rgenn_codegen::rng::{self, Rng};

use crate::data::SpikeDataset;
use crate::data::splits::{self, LoadedSplit};
use crate::error::{DataError, SimError};
use crate::passes::grad::{Passes, labels};
use crate::passes::loss::LossSpec;
use crate::sim::cpu::Simulator;
use crate::sim::engine::Engine;
use crate::sim::init::Params;
use crate::sim::profile::Profile;
use metrics::{EpochRecord, Score};
use state::{Moments, Progress};

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
    /// Print progress to stderr.
    pub progress: bool,
    /// Print where each epoch's training time went.
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
            Passes::ForwardBackward(t.regularisation.as_ref()),
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

/// A split ready to run: examples and their labels.
struct Ready {
    split: LoadedSplit,
    labels: Vec<u32>,
}

fn ready(
    net: &Network,
    base_dir: &Path,
    which: Split,
    classes: u32,
) -> Result<Option<Ready>, SimError> {
    ready_split(splits::load(net, base_dir, which)?, classes)
}

fn ready_split(split: Option<LoadedSplit>, classes: u32) -> Result<Option<Ready>, SimError> {
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

/// Mean loss and accuracy of the current parameters over a split (forward passes only).
fn evaluate<E: Engine + ?Sized>(
    sim: &mut E,
    r: &Ready,
    spec: &LossSpec,
    threads: usize,
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
    let make = |trials: &std::ops::Range<usize>| {
        trials
            .clone()
            .map(|k| {
                r.split
                    .data
                    .bin(k, net.dt_ms, net.n_steps, n_units, &r.split.path)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(SimError::from)
    };
    loader::ahead(&jobs, make, |trials, inputs| {
        let labels = &r.labels[trials.clone()];
        let out = sim.run_batch(&inputs, labels, spec, 1.0, threads, Passes::Forward)?;
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

fn training(net: &Network) -> Result<&Training, SimError> {
    net.run.training.as_ref().ok_or_else(|| {
        SimError::Network("the network has no `training:` section (loss, optimiser, epochs)".into())
    })
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Train `sim` (built from `net`, whose file is `model_path`, with data paths relative to
/// `base_dir`) from `initial` parameters, writing the run folder.
pub fn train<E: Engine + ?Sized>(
    sim: &mut E,
    model_path: &Path,
    base_dir: &Path,
    initial: Params,
    opts: &TrainOptions,
) -> Result<TrainSummary, SimError> {
    let net = sim.network().clone();
    let t = training(&net)?.clone();
    let spec = LossSpec::of(&net)?;
    let tv = splits::load_train_and_validation(&net, base_dir)?;
    let train_split = ready_split(tv.train, spec.classes)?
        .ok_or_else(|| SimError::Network("training needs `data: {train: ...}`".into()))?;
    let validation = ready_split(tv.validation, spec.classes)?;
    let test = ready(&net, base_dir, Split::Test, spec.classes)?;
    let epochs = opts.epochs.unwrap_or(t.epochs);
    let dir = &opts.out_dir;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let model_text = std::fs::read(model_path).map_err(io_err(model_path))?;
    crate::fsutil::write_atomic(&dir.join(files::MODEL), &model_text).map_err(io_err(dir))?;
    crate::fsutil::write_atomic(&dir.join(files::IR), net.to_json().as_bytes())
        .map_err(io_err(dir))?;

    let mut params = initial;
    let (moments, mut progress, mut records) = if opts.resume {
        let path = dir.join(files::CHECKPOINT);
        if !path.is_file() {
            return Err(SimError::Network(format!(
                "--resume: `{}` does not exist; start the run without --resume",
                path.display()
            )));
        }
        let (m, p) = state::read_checkpoint(&net, &path, &mut params)?;
        let mut rows = metrics::read(&dir.join(files::METRICS))?;
        rows.truncate(p.epochs_done as usize);
        (Some(m), p, rows)
    } else {
        let p = Progress {
            best: f64::NAN,
            ..Default::default()
        };
        (None, p, Vec::new())
    };
    sim.upload(&params)?;
    state::write_moments(sim, moments.as_ref())?;

    let (selection, protocol) = if validation.is_some() {
        let p = tv.protocol.expect("a validation split has a protocol");
        (Some(Split::Validation), p)
    } else if test.is_some() {
        let p =
            "the test split, as there is no validation split: the test set chose these parameters";
        (Some(Split::Test), p.to_string())
    } else {
        (
            None,
            "the training split (there is no validation or test split)".to_string(),
        )
    };
    let batch = net.batch_size as usize;
    let tty = opts.progress && std::io::stderr().is_terminal();
    let mut stopped_early = false;
    let mut profile = opts.profile.then(Profile::default);
    sim.set_profiling(opts.profile);
    for epoch in progress.epochs_done..epochs {
        let start = Instant::now();
        if profile.is_some() {
            // the last epoch's evaluation ran kernels too: not this epoch's training time
            sim.take_profile();
        }
        // Per-epoch augmentation (`training.augment`, runtime/src/augment.rs): this epoch's
        // training examples and classes, made on demand; without it, the split as loaded.
        let examples = match crate::data::augment::epoch_plan(
            &net,
            &train_split.split.data,
            &train_split.labels,
            epoch,
        ) {
            Some(plan) => loader::EpochExamples::Augmented(plan),
            None => loader::EpochExamples::Stored {
                data: &train_split.split.data,
                labels: &train_split.labels,
            },
        };
        let n_train = examples.len();
        let order = epoch_order(&net, n_train, epoch, t.shuffle);
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        let (mut lr_w, mut lr_d) = (0.0, 0.0);
        let n_units = loader::input_units(&net)?;
        let path = &train_split.split.path;
        // The next batch is augmented and binned on another thread while this one runs.
        let jobs: Vec<&[usize]> = order.chunks(batch).collect();
        let make = |trials: &&[usize]| {
            let clock = Instant::now();
            let inputs = trials
                .iter()
                .map(|&k| examples.bin(k, net.dt_ms, net.n_steps, n_units, path))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((inputs, clock.elapsed()))
        };
        let mut made_s = 0.0;
        let waited = loader::ahead(&jobs, make, |trials, (inputs, made_in)| {
            let labels: Vec<u32> = trials.iter().map(|&k| examples.labels()[k]).collect();
            let step = BatchStep {
                data: &train_split.split.data,
                path,
                trials,
                labels: &labels,
                spec: &spec,
                training: &t,
                epoch,
                threads: opts.threads,
            };
            let out;
            // The profile's reset time is the in-line part only (feeding the lanes).
            let clock = Instant::now();
            made_s += made_in.as_secs_f64();
            (out, lr_w, lr_d) =
                step.run_binned(sim, &inputs, clock, &mut progress.steps, profile.as_mut())?;
            for (o, &l) in out.iter().zip(&labels) {
                loss_sum += o.loss;
                correct += usize::from(o.prediction == l);
            }
            seen += trials.len();
            if tty {
                let rate = seen as f64 / start.elapsed().as_secs_f64().max(1e-9);
                eprint!(
                    "\repoch {}/{epochs}  {seen}/{n_train}  {rate:.0} examples/s  loss {:.4}  accuracy {:.1}%   ",
                    epoch + 1,
                    loss_sum / seen as f64,
                    100.0 * correct as f64 / seen as f64
                );
                let _ = std::io::stderr().flush();
            }
            Ok(())
        })?;
        let seconds = start.elapsed().as_secs_f64();
        if let Some(p) = profile.as_mut() {
            p.total_s = seconds;
            eprintln!("{}", p.report().trim_end());
            eprintln!(
                "  data loader on its own thread: {made_s:.3} s augmenting and binning; training waited {waited:.3} s for it ({:.1}% of the epoch, the first batch included)",
                100.0 * waited / seconds.max(1e-9)
            );
            *p = Profile::default();
        }
        let train = Score {
            loss: loss_sum / n_train as f64,
            accuracy: correct as f64 / n_train as f64,
        };
        let validation_score = validation
            .as_ref()
            .map(|r| evaluate(sim, r, &spec, opts.threads))
            .transpose()?;
        let test_score = test
            .as_ref()
            .map(|r| evaluate(sim, r, &spec, opts.threads))
            .transpose()?;
        let record = EpochRecord {
            epoch: epoch + 1,
            train,
            validation: validation_score,
            test: test_score,
            lr_weight: lr_w,
            lr_delay: lr_d,
            seconds,
            examples_per_second: n_train as f64 / seconds.max(1e-9),
        };
        let chosen = match selection {
            Some(Split::Validation) => validation_score.map_or(f64::NAN, |s| s.accuracy),
            Some(Split::Test) => test_score.map_or(f64::NAN, |s| s.accuracy),
            _ => train.accuracy,
        };
        let current = state::read_params(sim, &params)?;
        if progress.best.is_nan() || chosen > progress.best {
            progress.best = chosen;
            progress.since_best = 0;
            state::write_params(&net, &current, &dir.join(files::BEST))?;
        } else {
            progress.since_best += 1;
        }
        progress.epochs_done = epoch + 1;
        state::write_params(&net, &current, &dir.join(files::LAST))?;
        records.push(record.clone());
        metrics::write(&dir.join(files::METRICS), &records)?;
        let moments: Moments = state::read_moments(sim)?;
        state::write_checkpoint(
            &net,
            &current,
            &moments,
            &progress,
            &dir.join(files::CHECKPOINT),
        )?;
        params = current;
        if opts.progress {
            eprintln!(
                "{}{}",
                if tty { "\r" } else { "" },
                describe(&record, epochs)
            );
        }
        if let (Some(patience), Some(_)) = (t.patience, &validation)
            && progress.since_best >= patience
        {
            stopped_early = true;
            if opts.progress {
                eprintln!(
                    "early stop: no better validation accuracy for {patience} epoch{}",
                    if patience == 1 { "" } else { "s" }
                );
            }
            break;
        }
    }
    let (example_split, example) = match (&test, &validation) {
        (Some(r), _) | (None, Some(r)) => (r, 0),
        _ => (&train_split, 0),
    };
    report::write_plots(
        sim,
        dir,
        &records,
        &params,
        (
            &example_split.split.data,
            example,
            &example_split.split.path,
        ),
    )?;
    let summary = TrainSummary {
        records,
        selection,
        protocol,
        best_accuracy: progress.best,
        stopped_early,
        params,
    };
    result::write(&dir.join(files::RESULT), &summary)?;
    Ok(summary)
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
    s
}

/// Evaluate parameters already uploaded to `sim` on one split of its network (`rgenn eval`).
pub fn evaluate_split<E: Engine + ?Sized>(
    sim: &mut E,
    base_dir: &Path,
    which: Split,
    threads: usize,
) -> Result<Option<Score>, SimError> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net)?;
    match ready(&net, base_dir, which, spec.classes)? {
        Some(r) => Ok(Some(evaluate(sim, &r, &spec, threads)?)),
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
    evaluate(sim, &r, &spec, threads)
}
