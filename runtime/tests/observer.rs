//! A training run reports to its observer: one start, every batch with running totals, every
//! epoch's record (the same as the summary's), the early stop; nothing without `progress`.

use std::path::Path;

use rgenn_runtime::train::metrics::EpochRecord;
use rgenn_runtime::train::observer::{BatchProgress, EarlyStop, EpochProfile, RunStart};
use rgenn_runtime::train::{Observer, TrainOptions, TrainSummary, train_with};
use rgenn_runtime::{Simulator, build::cache, sim::init};

#[derive(Default)]
struct Recorder {
    starts: Vec<(u32, u32, String)>,
    batches: Vec<BatchProgress>,
    profiles: Vec<(u32, f64)>,
    epochs: Vec<EpochRecord>,
    stops: Vec<EarlyStop>,
}

impl Observer for Recorder {
    fn on_start(&mut self, s: &RunStart<'_>) {
        self.starts
            .push((s.epochs_done, s.epochs, s.protocol.to_string()));
    }
    fn on_batch(&mut self, b: &BatchProgress) {
        self.batches.push(*b);
    }
    fn on_profile(&mut self, p: &EpochProfile<'_>) {
        self.profiles.push((p.epoch, p.profile.total_s));
    }
    fn on_epoch(&mut self, record: &EpochRecord, epochs: u32) {
        assert_eq!(epochs, 3);
        self.epochs.push(record.clone());
    }
    fn on_early_stop(&mut self, stop: &EarlyStop) {
        self.stops.push(*stop);
    }
}

const NET: &str = r#"
name: obs
dt: 1.0
duration: 20.0
batch_size: 4
seed: 5
populations:
  input: {size: 5, model: spike_input}
  output: {size: 3, model: li, readout: max}
connections:
  in_out: {source: input, target: output, weight: {normal: {mean: 0.0, sd: 0.5}}, learn: [weight]}
data:
  train: {generator: yin_yang, trials: 10}
  validation: {generator: yin_yang, trials: 8}
training:
  epochs: 3
  patience: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.0}}
"#;

fn run(dir: &Path, name: &str, progress: bool, profile: bool) -> (TrainSummary, Recorder) {
    let model = dir.join("obs.yaml");
    std::fs::write(&model, NET).unwrap();
    let net = rgenn_codegen::load_file(&model).unwrap().ir;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(&net, rgenn_codegen::backend::Backend::Cpu, &root).unwrap();
    let mut sim = Simulator::load(&net, &built.library, &built.cache_key).unwrap();
    let params = init::initial_params(&net, dir).unwrap();
    let opts = TrainOptions {
        epochs: None,
        threads: 1,
        out_dir: dir.join(name),
        resume: false,
        progress,
        profile,
    };
    let mut recorder = Recorder::default();
    let summary = train_with(&mut sim, &model, dir, params, &opts, &mut recorder).unwrap();
    (summary, recorder)
}

#[test]
fn the_observer_sees_every_batch_and_epoch_and_the_early_stop() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, seen) = run(dir.path(), "run", true, false);
    // A learning rate of 0 never improves on the first epoch: patience 1 stops after the second.
    assert!(summary.stopped_early);
    assert_eq!(summary.records.len(), 2);
    assert_eq!(seen.starts, [(0, 3, summary.protocol.clone())]);
    assert_eq!(seen.epochs, summary.records);
    assert_eq!(
        seen.stops,
        [EarlyStop {
            epoch: 2,
            patience: 1
        }]
    );
    assert!(seen.profiles.is_empty());
    // 10 examples in batches of 4: 4, 8, 10 per epoch; the last batch's totals are the epoch's.
    let counts: Vec<(u32, usize, usize)> = seen
        .batches
        .iter()
        .map(|b| (b.epoch, b.seen, b.examples))
        .collect();
    assert_eq!(
        counts,
        [
            (1, 4, 10),
            (1, 8, 10),
            (1, 10, 10),
            (2, 4, 10),
            (2, 8, 10),
            (2, 10, 10)
        ]
    );
    for (last, record) in [&seen.batches[2], &seen.batches[5]]
        .iter()
        .zip(&seen.epochs)
    {
        assert_eq!(last.loss, record.train.loss);
        assert_eq!(last.accuracy, record.train.accuracy);
    }
}

#[test]
fn without_progress_only_profiles_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, seen) = run(dir.path(), "quiet", false, true);
    assert!(seen.starts.is_empty() && seen.batches.is_empty());
    assert!(seen.epochs.is_empty() && seen.stops.is_empty());
    let epochs: Vec<u32> = seen.profiles.iter().map(|p| p.0).collect();
    assert_eq!(epochs, [1, 2]);
    for ((_, total_s), record) in seen.profiles.iter().zip(&summary.records) {
        assert_eq!(*total_s, record.seconds);
    }
}

/// Asks to stop at the given batch (counting from 1).
struct StopAt {
    batch: usize,
    asked: usize,
}

impl Observer for StopAt {
    fn interrupted(&mut self) -> bool {
        self.asked += 1;
        self.asked == self.batch
    }
}

#[test]
fn an_interrupted_run_stops_at_that_batch_and_keeps_the_last_epochs_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("obs.yaml");
    std::fs::write(&model, NET).unwrap();
    let net = rgenn_codegen::load_file(&model).unwrap().ir;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(&net, rgenn_codegen::backend::Backend::Cpu, &root).unwrap();
    let mut sim = Simulator::load(&net, &built.library, &built.cache_key).unwrap();
    let params = init::initial_params(&net, dir.path()).unwrap();
    let out = dir.path().join("stopped");
    let opts = TrainOptions {
        epochs: None,
        threads: 1,
        out_dir: out.clone(),
        resume: false,
        progress: false,
        profile: false,
    };
    // 3 batches per epoch: the 5th is the second of epoch 2, asked even without progress.
    let mut stop = StopAt { batch: 5, asked: 0 };
    let err = train_with(&mut sim, &model, dir.path(), params, &opts, &mut stop).unwrap_err();
    assert!(matches!(err, rgenn_runtime::SimError::Interrupted), "{err}");
    assert_eq!(stop.asked, 5);
    let rows = rgenn_runtime::train::metrics::read(&out.join("metrics.csv")).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(out.join("checkpoint.npz").is_file());
}
