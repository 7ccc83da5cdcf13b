//! Models written as ODEs against the hand-written built-ins they restate. `lif_ode` (`lif` from
//! its ODEs, integrated exactly) and `lif` (current held at its step average) discretise the same
//! continuous model, so their spike times and gradients must agree better and better as dt -> 0.

mod common;

use common::{load, random_data, simulator};
use std::path::Path;

use rgenn_codegen::ir::Network;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::grad;
use rgenn_runtime::passes::simulate::simulate;
use rgenn_runtime::sim::init;

/// 3 inputs -> 6 recurrent `model` neurons (per-synapse delays) -> 3 leaky integrators, f64.
fn network(model: &str, dt: f64) -> Network {
    load(&format!(
        r#"
name: ode_vs_builtin
dt: {dt}
duration: 40.0
precision: f64
batch_size: 2
seed: 11
populations:
  input: {{size: 3, model: spike_input}}
  hidden: {{size: 6, model: {model}, params: {{tau_mem: 10.0, tau_syn: 5.0}}}}
  output: {{size: 3, model: li, params: {{tau_mem: 10.0, tau_syn: 5.0}}, readout: mean_exp}}
connections:
  in_hid: {{source: input, target: hidden, weight: {{normal: {{mean: 1.5, sd: 0.4}}}}, delay: {{uniform: {{min: 1.0, max: 6.0}}}}, max_delay: 6.0, learn: [weight, delay]}}
  hid_hid: {{source: hidden, target: hidden, weight: {{normal: {{mean: 0.0, sd: 0.5}}}}, delay: {{uniform: {{min: 1.0, max: 4.0}}}}, max_delay: 4.0, learn: [weight, delay]}}
  hid_out: {{source: hidden, target: output, weight: {{normal: {{mean: 1.0, sd: 0.5}}}}, learn: [weight]}}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
"#
    ))
}

/// Hidden spike times per (trial, neuron), and every weight and delay gradient.
fn run(net: &Network, data: &SpikeDataset) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut sim = simulator(net);
    let params = init::initial_params(net, Path::new(".")).expect("params");
    init::upload(&mut sim, &params).expect("upload");
    let out = simulate(&mut sim, data, Path::new("data.npz"), 1).expect("simulate");
    let hidden = out
        .spikes
        .iter()
        .find(|s| s.pop == 1)
        .expect("hidden spikes");
    let size = net.populations[1].size as usize;
    let mut trains = vec![Vec::new(); data.offsets.len().saturating_sub(1) * size];
    for k in 0..data.offsets.len() - 1 {
        for s in hidden.offsets[k] as usize..hidden.offsets[k + 1] as usize {
            trains[k * size + hidden.units[s] as usize].push(hidden.times[s]);
        }
    }
    let g = grad(&mut sim, data, Path::new("data.npz"), 1).expect("grad");
    let grads = g
        .grads
        .weight
        .iter()
        .chain(&g.grads.delay)
        .flatten()
        .copied()
        .collect();
    (trains, grads)
}

/// (spike trains whose counts differ, largest spike-time difference in ms among the others,
/// relative L2 difference of the gradients) between `lif_ode` and `lif` at `dt`.
fn compare(dt: f64) -> (usize, f64, f64) {
    let data = random_data(3, 3, 3, 25.0, 3);
    let (ode_trains, ode_grads) = run(&network("lif_ode", dt), &data);
    let (lif_trains, lif_grads) = run(&network("lif", dt), &data);
    let mut mismatched = 0;
    let mut worst: f64 = 0.0;
    for (a, b) in ode_trains.iter().zip(&lif_trains) {
        if a.len() != b.len() {
            mismatched += 1;
            continue;
        }
        for (x, y) in a.iter().zip(b) {
            worst = worst.max((x - y).abs());
        }
    }
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = ode_grads
        .iter()
        .zip(&lif_grads)
        .map(|(a, b)| a - b)
        .collect();
    let spikes: usize = lif_trains.iter().map(Vec::len).sum();
    assert!(
        spikes > 20,
        "the test network should spike ({spikes} spikes)"
    );
    (mismatched, worst, norm(&diff) / norm(&lif_grads))
}

#[test]
fn ode_lif_converges_to_the_builtin_lif_as_dt_shrinks() {
    let mut rows = Vec::new();
    for dt in [0.1, 0.01, 0.001] {
        let (mismatched, worst, rel) = compare(dt);
        eprintln!(
            "dt {dt}: {mismatched} spike trains with other counts, largest spike-time difference \
             {worst:.4} ms, gradients differ by {:.3} % (relative L2)",
            100.0 * rel
        );
        rows.push((dt, mismatched, worst, rel));
    }
    // First order: ten times smaller steps, clearly smaller differences.
    for w in rows.windows(2) {
        let (coarse, fine) = (&w[0], &w[1]);
        assert!(fine.3 < coarse.3 / 3.0, "gradients: {rows:?}");
    }
    let finest = rows[rows.len() - 1];
    assert_eq!(finest.1, 0, "spike counts at dt {}: {rows:?}", finest.0);
    assert!(finest.2 <= 2.0 * finest.0, "spike times: {rows:?}");
}
