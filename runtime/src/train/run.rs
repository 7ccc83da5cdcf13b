//! [`train_with`]: a training run from setting up its folder to the selected parameters, epoch by
//! epoch, reporting to an [`Observer`]; [`train_on`] the same run over several processes, each
//! running its share of every batch (`shared.rs`), rank 0 alone writing the run folder.

use std::path::Path;
use std::time::Instant;

use rgenn_codegen::ir::{Network, Split, Training};

use super::evaluate::{Ready, evaluate, ready, ready_split};
use super::finite;
use super::metrics::{self, EpochRecord, Score};
use super::observer::{BatchProgress, EarlyStop, EpochProfile, Observer, RunStart, Silent};
use super::state::{self, Moments, Progress};
use super::{
    BatchStep, TrainOptions, TrainSummary, epoch_order, files, loader, report, result, write_err,
};
use crate::data::splits;
use crate::dist::tree::Layout;
use crate::dist::{Communicator, Single, is_root};
use crate::error::SimError;
use crate::passes::loss::LossSpec;
use crate::sim::engine::Engine;
use crate::sim::grow::TapeGrowth;
use crate::sim::init::Params;
use crate::sim::profile::Profile;

/// Everything a run reads before its first epoch.
struct Setup {
    net: Network,
    training: Training,
    spec: LossSpec,
    train: Ready,
    validation: Option<Ready>,
    test: Option<Ready>,
    epochs: u32,
    /// The split whose accuracy chooses `params.npz` (`None`: the training split).
    selection: Option<Split>,
    protocol: String,
}

/// What an epoch's training batches produced.
struct Trained {
    train: Score,
    lr_weight: f64,
    lr_delay: f64,
    seconds: f64,
    examples: usize,
    tape_growths: Vec<TapeGrowth>,
}

fn training(net: &Network) -> Result<&Training, SimError> {
    net.run.training.as_ref().ok_or_else(|| {
        SimError::Network("the network has no `training:` section (loss, optimiser, epochs)".into())
    })
}

/// Train `sim` (built from `net`, whose file is `model_path`, with data paths relative to
/// `base_dir`) from `initial` parameters, writing the run folder; reports nothing (see
/// [`train_with`]).
pub fn train<E: Engine + ?Sized>(
    sim: &mut E,
    model_path: &Path,
    base_dir: &Path,
    initial: Params,
    opts: &TrainOptions,
) -> Result<TrainSummary, SimError> {
    train_with(sim, model_path, base_dir, initial, opts, &mut Silent)
}

/// [`train`], reporting progress, time profiles and early stopping to `observer`.
pub fn train_with<E: Engine + ?Sized>(
    sim: &mut E,
    model_path: &Path,
    base_dir: &Path,
    initial: Params,
    opts: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<TrainSummary, SimError> {
    train_on(sim, model_path, base_dir, initial, opts, observer, &Single)
}

/// [`train_with`] as one of the processes of `comm` (docs/distributed.md): every rank trains its
/// lanes of every batch and takes the same steps; only rank 0 writes the run folder (the others
/// read its checkpoint with `--resume`, so the folder must be on a file system all ranks see).
/// The parameters are the same bits for any number of processes.
pub fn train_on<E: Engine + ?Sized>(
    sim: &mut E,
    model_path: &Path,
    base_dir: &Path,
    initial: Params,
    opts: &TrainOptions,
    observer: &mut dyn Observer,
    comm: &dyn Communicator,
) -> Result<TrainSummary, SimError> {
    let root = is_root(comm);
    let s = setup(sim.network().clone(), model_path, base_dir, opts, root)?;
    let dir = &opts.out_dir;
    let (mut params, mut progress, mut records) = restore(sim, &s.net, initial, opts)?;
    if opts.progress {
        observer.on_start(&RunStart {
            epochs_done: progress.epochs_done,
            epochs: s.epochs,
            selection: s.selection,
            protocol: &s.protocol,
        });
    }
    let mut stopped_early = false;
    let mut profile = opts.profile.then(Profile::default);
    sim.set_profiling(opts.profile);
    for epoch in progress.epochs_done..s.epochs {
        let trained = train_epoch(
            sim,
            &s,
            epoch,
            opts,
            &mut progress,
            profile.as_mut(),
            observer,
            comm,
        )?;
        let record = finish_epoch(
            sim,
            &s,
            epoch,
            trained,
            opts,
            (&mut params, &mut progress, &mut records),
            comm,
        )?;
        if opts.progress {
            observer.on_epoch(&record, s.epochs);
        }
        if let (Some(patience), Some(_)) = (s.training.patience, &s.validation)
            && progress.since_best >= patience
        {
            stopped_early = true;
            if opts.progress {
                observer.on_early_stop(&EarlyStop {
                    epoch: epoch + 1,
                    patience,
                });
            }
            break;
        }
    }
    let (example_split, example) = match (&s.test, &s.validation) {
        (Some(r), _) | (None, Some(r)) => (r, 0),
        _ => (&s.train, 0),
    };
    if root {
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
    }
    let summary = TrainSummary {
        records,
        selection: s.selection,
        protocol: s.protocol,
        best_accuracy: progress.best,
        stopped_early,
        params,
    };
    if root {
        result::write(&dir.join(files::RESULT), &summary)?;
    }
    Ok(summary)
}

/// Read the splits, decide the selection split, and start the run folder (the network file as
/// given and its IR) when `root`.
fn setup(
    net: Network,
    model_path: &Path,
    base_dir: &Path,
    opts: &TrainOptions,
    root: bool,
) -> Result<Setup, SimError> {
    let training = training(&net)?.clone();
    let spec = LossSpec::of(&net)?;
    let tv = splits::load_train_and_validation(&net, base_dir)?;
    let train = ready_split(tv.train, spec.classes)?
        .ok_or_else(|| SimError::Network("training needs `data: {train: ...}`".into()))?;
    let validation = ready_split(tv.validation, spec.classes)?;
    let test = ready(&net, base_dir, Split::Test, spec.classes)?;
    let epochs = opts.epochs.unwrap_or(training.epochs);
    let dir = &opts.out_dir;
    if root {
        std::fs::create_dir_all(dir).map_err(write_err(dir))?;
        let model_text = std::fs::read(model_path).map_err(write_err(model_path))?;
        crate::fsutil::write_atomic(&dir.join(files::MODEL), &model_text)
            .map_err(write_err(dir))?;
        crate::fsutil::write_atomic(&dir.join(files::IR), net.to_json().as_bytes())
            .map_err(write_err(dir))?;
    }
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
    Ok(Setup {
        net,
        training,
        spec,
        train,
        validation,
        test,
        epochs,
        selection,
        protocol,
    })
}

/// The starting parameters, counters and earlier epochs' metrics (from the checkpoint with
/// `--resume`), uploaded to `sim` with their Adam moments.
fn restore<E: Engine + ?Sized>(
    sim: &mut E,
    net: &Network,
    initial: Params,
    opts: &TrainOptions,
) -> Result<(Params, Progress, Vec<EpochRecord>), SimError> {
    let dir = &opts.out_dir;
    let mut params = initial;
    let (moments, progress, records) = if opts.resume {
        let path = dir.join(files::CHECKPOINT);
        if !path.is_file() {
            return Err(SimError::Network(format!(
                "--resume: `{}` does not exist; start the run without --resume",
                path.display()
            )));
        }
        let (m, p) = state::read_checkpoint(net, &path, &mut params)?;
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
    Ok((params, progress, records))
}

/// One epoch's training batches (`epoch` from 0), the next batch made on another thread while
/// one runs.
#[allow(clippy::too_many_arguments)] // the loop's state, passed as it is used
fn train_epoch<E: Engine + ?Sized>(
    sim: &mut E,
    s: &Setup,
    epoch: u32,
    opts: &TrainOptions,
    progress: &mut Progress,
    mut profile: Option<&mut Profile>,
    observer: &mut dyn Observer,
    comm: &dyn Communicator,
) -> Result<Trained, SimError> {
    let net = &s.net;
    let start = Instant::now();
    if profile.is_some() {
        // the last epoch's evaluation ran kernels too: not this epoch's training time
        sim.take_profile();
    }
    // Per-epoch augmentation (`training.augment`, runtime/src/augment.rs): this epoch's
    // training examples and classes, made on demand; without it, the split as loaded.
    let examples =
        match crate::data::augment::epoch_plan(net, &s.train.split.data, &s.train.labels, epoch) {
            Some(plan) => loader::EpochExamples::Augmented(plan),
            None => loader::EpochExamples::Stored {
                data: &s.train.split.data,
                labels: &s.train.labels,
            },
        };
    let n_train = examples.len();
    let order = epoch_order(net, n_train, epoch, s.training.shuffle);
    let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
    let (mut lr_w, mut lr_d) = (0.0, 0.0);
    let n_units = loader::input_units(net)?;
    let path = &s.train.split.path;
    let jobs: Vec<&[usize]> = order.chunks(net.batch_size as usize).collect();
    // Each rank bins only the trials it runs; an error making them reaches every rank through
    // the batch's exchanges (shared.rs), so the loader hands it over instead of stopping.
    let (layout, rank) = (
        Layout::new(
            net.batch_size as usize,
            comm.size(),
            net.lane_group as usize,
        ),
        comm.rank(),
    );
    let make = |trials: &&[usize]| {
        let clock = Instant::now();
        let mine = &trials[layout.lanes(rank, trials.len())];
        let inputs = mine
            .iter()
            .map(|&k| Ok(examples.bin(k, net.dt_ms, net.n_steps, n_units, path)?))
            .collect::<Result<Vec<_>, SimError>>();
        Ok((inputs, clock.elapsed()))
    };
    let mut made_s = 0.0;
    let mut tape_growths = Vec::new();
    let mut batch = 0usize;
    let waited = loader::ahead(&jobs, make, |trials, (inputs, made_in)| {
        let labels: Vec<u32> = trials.iter().map(|&k| examples.labels()[k]).collect();
        let step = BatchStep {
            data: &s.train.split.data,
            path,
            trials,
            labels: &labels,
            spec: &s.spec,
            training: &s.training,
            epoch,
            threads: opts.threads,
        };
        let out;
        // The profile's reset time is the in-line part only (feeding the lanes).
        let clock = Instant::now();
        made_s += made_in.as_secs_f64();
        (out, lr_w, lr_d) = if comm.size() == 1 {
            step.run_binned(
                sim,
                &inputs?,
                clock,
                &mut progress.steps,
                profile.as_deref_mut(),
            )?
        } else {
            let inputs = if observer.interrupted() {
                Err(SimError::Interrupted)
            } else {
                inputs
            };
            step.run_shared(
                sim,
                comm,
                inputs,
                clock,
                &mut progress.steps,
                profile.as_deref_mut(),
            )?
        };
        batch += 1;
        let at = finite::At {
            epoch: epoch + 1,
            batch,
        };
        finite::check_step(sim, &out, at)?;
        for (o, &l) in out.iter().zip(&labels) {
            loss_sum += o.loss;
            correct += usize::from(o.prediction == l);
        }
        seen += trials.len();
        for g in sim.take_growths() {
            observer.on_tape_growth(epoch + 1, &g);
            tape_growths.push(g);
        }
        if opts.progress {
            observer.on_batch(&BatchProgress {
                epoch: epoch + 1,
                epochs: s.epochs,
                seen,
                examples: n_train,
                elapsed_s: start.elapsed().as_secs_f64(),
                loss: loss_sum / seen as f64,
                accuracy: correct as f64 / seen as f64,
            });
        }
        if observer.interrupted() {
            return Err(SimError::Interrupted);
        }
        Ok(())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(p) = profile {
        p.total_s = seconds;
        observer.on_profile(&EpochProfile {
            epoch: epoch + 1,
            profile: p,
            loader_s: made_s,
            waited_s: waited,
        });
        *p = Profile::default();
    }
    Ok(Trained {
        train: Score {
            loss: loss_sum / n_train as f64,
            accuracy: correct as f64 / n_train as f64,
        },
        lr_weight: lr_w,
        lr_delay: lr_d,
        seconds,
        examples: n_train,
        tape_growths,
    })
}

/// After an epoch's training (`epoch` from 0): evaluate the validation and test splits, keep the
/// best parameters, and write the last parameters, the metrics and the checkpoint.
fn finish_epoch<E: Engine + ?Sized>(
    sim: &mut E,
    s: &Setup,
    epoch: u32,
    trained: Trained,
    opts: &TrainOptions,
    (params, progress, records): (&mut Params, &mut Progress, &mut Vec<EpochRecord>),
    comm: &dyn Communicator,
) -> Result<EpochRecord, SimError> {
    let net = &s.net;
    let dir = &opts.out_dir;
    let root = is_root(comm);
    let score = |sim: &mut E, r: &Option<Ready>| {
        r.as_ref()
            .map(|r| evaluate(sim, r, &s.spec, opts.threads, comm))
            .transpose()
    };
    let validation = score(sim, &s.validation)?;
    let test = score(sim, &s.test)?;
    let record = EpochRecord {
        epoch: epoch + 1,
        train: trained.train,
        validation,
        test,
        lr_weight: trained.lr_weight,
        lr_delay: trained.lr_delay,
        seconds: trained.seconds,
        examples_per_second: trained.examples as f64 / trained.seconds.max(1e-9),
        tape_growths: trained.tape_growths,
    };
    let chosen = match s.selection {
        Some(Split::Validation) => validation.map_or(f64::NAN, |s| s.accuracy),
        Some(Split::Test) => test.map_or(f64::NAN, |s| s.accuracy),
        _ => trained.train.accuracy,
    };
    let current = state::read_params(sim, params)?;
    if progress.best.is_nan() || chosen > progress.best {
        progress.best = chosen;
        progress.since_best = 0;
        if root {
            state::write_params(net, &current, &dir.join(files::BEST))?;
        }
    } else {
        progress.since_best += 1;
    }
    progress.epochs_done = epoch + 1;
    records.push(record.clone());
    if root {
        state::write_params(net, &current, &dir.join(files::LAST))?;
        metrics::write(&dir.join(files::METRICS), records)?;
        let moments: Moments = state::read_moments(sim)?;
        state::write_checkpoint(
            net,
            &current,
            &moments,
            progress,
            &dir.join(files::CHECKPOINT),
        )?;
    }
    *params = current;
    Ok(record)
}
