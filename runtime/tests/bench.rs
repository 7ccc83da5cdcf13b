//! `bench::bench` rounds: every round starts from the same parameters, so every round does the
//! same work whatever the training did in the rounds before.

mod common;

use std::path::Path;

use rgenn_runtime::sim::init;
use rgenn_runtime::train::bench::{BenchOptions, bench};

/// A hidden layer whose spike counts training changes, with a `training:` section.
const NET: &str = "
name: bench_rounds
dt: 1.0
duration: 60.0
precision: f32
batch_size: 4
seed: 2
populations:
  input: {size: 12, model: spike_input}
  hidden: {size: 40, model: lif, params: {v_thresh: 0.5}}
  out: {size: 3, model: li, readout: mean_exp}
connections:
  in_hid: {source: input, target: hidden, weight: {normal: {mean: 0.4, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 5.0}}, max_delay: 5.0, learn: [weight, delay]}
  hid_out: {source: hidden, target: out, weight: {normal: {mean: 0.0, sd: 0.3}}, learn: [weight]}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.05}}
    delay: {adam: {lr: 1.0}}
";

#[test]
fn every_round_trains_from_the_same_start() {
    let net = common::load(NET);
    let mut sim = common::simulator(&net);
    let initial = init::initial_params(&net, Path::new(".")).expect("initial parameters");
    let data = common::random_data(5, 8, 12, net.duration_ms, 3);
    let path = Path::new("random.npz");
    let opts = BenchOptions {
        threads: 2,
        warmup: 8,
        examples: 8,
        rounds: 3,
    };
    let rounds = bench(&mut sim, &initial, &data, path, &opts).expect("bench runs");
    assert_eq!(rounds.len(), 3);
    let events: Vec<u64> = rounds.iter().map(|p| p.synaptic_events).collect();
    assert!(events[0] > 0, "{events:?}");
    assert!(events.iter().all(|&e| e == events[0]), "{events:?}");
    // Training does change the hidden layer's spiking: a longer warm-up (more Adam steps) gives
    // other counts, so the equal counts above come from each round's fresh start.
    let longer = BenchOptions {
        warmup: 80,
        rounds: 1,
        ..opts
    };
    let after = bench(&mut sim, &initial, &data, path, &longer).expect("bench runs");
    assert_ne!(after[0].synaptic_events, events[0]);
}
