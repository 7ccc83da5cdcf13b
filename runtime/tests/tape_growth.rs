//! `spike_capacity: auto`: a spike tape that overflows grows and its batch re-runs, so training
//! gives bit for bit what a run with the larger capacity from the start gives; a fixed capacity
//! still stops with the overflow error.

mod common;

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;
use rgenn_runtime::SimError;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::engine::Engine;
use rgenn_runtime::sim::grow::{self, Growing, TapeGrowth};
use rgenn_runtime::sim::init;
use rgenn_runtime::train::observer::Observer;
use rgenn_runtime::train::state;
use rgenn_runtime::train::{BatchStep, TrainOptions, describe, metrics::EpochRecord, train_with};

fn yaml(capacity: &str) -> String {
    format!(
        r#"
name: growth
dt: 0.1
duration: 30.0
precision: f64
batch_size: 2
populations:
  input: {{size: 2, model: spike_input}}
  hidden: {{size: 3, model: lif, spike_capacity: {capacity}}}
  output: {{size: 2, model: li, readout: sum}}
connections:
  in_hid: {{source: input, target: hidden, weight: {{normal: {{mean: 4.0, sd: 1.0}}}}, learn: [weight]}}
  hid_out: {{source: hidden, target: output, weight: {{normal: {{mean: 0.5, sd: 0.5}}}}, learn: [weight]}}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {{adam: {{lr: 0.05}}}}
"#
    )
}

/// Four trials, each a burst of input spikes that makes every hidden neuron fire many times.
fn data() -> SpikeDataset {
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    };
    for k in 0..4 {
        for s in 0..(6 + 3 * k) {
            d.times.push(1.0 + 2.5 * s as f64);
            d.units.push((s % 2) as u32);
        }
        d.offsets.push(d.times.len() as u64);
        d.labels.as_mut().unwrap().push(k as i64 % 2);
    }
    d
}

/// `net` with `hidden`'s tape at `capacity`, its buffers re-planned.
fn with_capacity(mut net: Network, capacity: u32) -> Network {
    net.populations[1].spike_capacity = capacity;
    net.buffers = rgenn_codegen::ir::buffers::plan(&net);
    net
}

struct Trained {
    losses: Vec<u64>,
    params: Vec<Vec<u64>>,
    moments: state::Moments,
    capacity: u32,
    growths: Vec<TapeGrowth>,
}

/// Two epochs of two batches on `net` (wrapped so that its `auto` tapes grow).
fn train(net: &Network) -> Result<Trained, SimError> {
    let mut sim = Growing::new(grow::build(net, Backend::Cpu)?, Backend::Cpu);
    let initial = init::initial_params(net, Path::new("."))?;
    sim.upload(&initial)?;
    let data = data();
    let labels: Vec<u32> = data
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .map(|&l| l as u32)
        .collect();
    let spec = LossSpec::of(net)?;
    let training = net.run.training.clone().unwrap();
    let (mut steps, mut losses, mut growths) = (0u64, Vec::new(), Vec::new());
    for epoch in 0..2 {
        for trials in [[0usize, 1], [2, 3]] {
            let batch_labels: Vec<u32> = trials.iter().map(|&k| labels[k]).collect();
            let step = BatchStep {
                data: &data,
                path: Path::new("growth.npz"),
                trials: &trials,
                labels: &batch_labels,
                spec: &spec,
                training: &training,
                epoch,
                threads: 2,
            };
            let (out, _, _) = step.run(&mut sim, &mut steps, None)?;
            losses.extend(out.iter().map(|o| o.loss.to_bits()));
            growths.extend(sim.take_growths());
        }
    }
    let params = state::read_params(&mut sim, &initial)?;
    Ok(Trained {
        losses,
        params: params
            .weights
            .iter()
            .map(|w| w.iter().map(|x| x.to_bits()).collect())
            .collect(),
        moments: state::read_moments(&mut sim)?,
        capacity: sim.network().populations[1].spike_capacity,
        growths,
    })
}

#[test]
fn a_grown_tape_trains_exactly_like_a_large_one_and_a_fixed_one_still_overflows() {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    // SAFETY: the only test in this binary sets it before any thread reads it.
    unsafe { std::env::set_var("RGENN_CACHE_DIR", &cache) };

    let auto = common::load(&yaml("auto"));
    assert!(!auto.populations[1].spike_capacity_fixed);
    let grown = train(&with_capacity(auto.clone(), 1)).expect("auto grows");
    assert!(grown.capacity > 1, "the tape grew");
    assert_eq!(grown.growths.first().map(|g| (g.from, g.to)), Some((1, 2)));
    assert_eq!(grown.growths.last().map(|g| g.to), Some(grown.capacity));
    assert!(grown.growths.iter().all(|g| g.population == "hidden"));

    let large = train(&with_capacity(auto, grown.capacity)).expect("large enough");
    assert!(large.growths.is_empty());
    assert_eq!(grown.losses, large.losses, "losses bit for bit");
    assert_eq!(grown.params, large.params, "weights bit for bit");
    assert_eq!(grown.moments, large.moments, "Adam moments");

    growths_reach_the_observer_the_epoch_line_and_metrics_csv();

    let fixed = common::load(&yaml("1"));
    assert!(fixed.populations[1].spike_capacity_fixed);
    match train(&fixed) {
        Err(SimError::TapeOverflow {
            population,
            capacity,
        }) => assert_eq!((population.as_str(), capacity), ("hidden", 1)),
        Err(e) => panic!("expected a tape overflow, got {e}"),
        Ok(_) => panic!("expected a tape overflow"),
    }
}

#[derive(Default)]
struct Seen {
    growths: Vec<(u32, TapeGrowth)>,
    epochs: Vec<EpochRecord>,
}

impl Observer for Seen {
    fn on_tape_growth(&mut self, epoch: u32, growth: &TapeGrowth) {
        self.growths.push((epoch, growth.clone()));
    }
    fn on_epoch(&mut self, record: &EpochRecord, _epochs: u32) {
        self.epochs.push(record.clone());
    }
}

/// A whole training run whose hidden tape starts at 1: the growths are reported as they happen,
/// in the epoch's record and line, and in `metrics.csv`.
fn growths_reach_the_observer_the_epoch_line_and_metrics_csv() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/yin_yang.yaml"),
    )
    .unwrap()
    .replace("size: 128", "size: 8")
    .replace("mean: 1.5, sd: 1.5", "mean: 6.0, sd: 1.0")
    .replace("{generator: yin_yang}", "{generator: yin_yang, trials: 40}");
    let model = dir.path().join("yy.yaml");
    std::fs::write(&model, text).unwrap();
    let net = with_capacity(rgenn_runtime::load_network(&model).unwrap().ir, 1);
    let mut sim = Growing::new(grow::build(&net, Backend::Cpu).unwrap(), Backend::Cpu);
    let params = init::initial_params(&net, dir.path()).unwrap();
    let opts = TrainOptions {
        epochs: Some(2),
        threads: 2,
        out_dir: dir.path().join("run"),
        resume: false,
        progress: true,
        profile: false,
    };
    let mut seen = Seen::default();
    let summary = train_with(&mut sim, &model, dir.path(), params, &opts, &mut seen).unwrap();
    let first = &summary.records[0];
    assert_eq!(
        first.tape_growths.first().map(|g| (g.from, g.to)),
        Some((1, 2))
    );
    let reported: Vec<&TapeGrowth> = seen.growths.iter().map(|(_, g)| g).collect();
    let recorded: Vec<&TapeGrowth> = summary
        .records
        .iter()
        .flat_map(|r| &r.tape_growths)
        .collect();
    assert_eq!(reported, recorded);
    assert_eq!(seen.epochs, summary.records);
    assert!(describe(first, 2).contains("spike tape grew: hidden 1->2"));
    let csv = std::fs::read_to_string(dir.path().join("run/metrics.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",spike_tape_growths"));
    assert!(
        csv.lines().nth(1).unwrap().contains(",hidden 1->2"),
        "{csv}"
    );
}
