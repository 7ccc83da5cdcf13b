//! Lane groups (`lane_group:`): the lanes of a group accumulate their weight and delay gradients
//! into one copy, one lane after the other. Forward results and losses are those of separate
//! lanes bit for bit; the batch's gradients differ from the per-lane sums only by rounding (the
//! order of the additions); and training is independent of the thread count and the same bits on
//! the cpu and rust backends, short last batches included.

mod common;

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::buffers::Role;
use rgenn_codegen::ir::{Network, Regularisation};
use rgenn_runtime::Simulator;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::{self, Passes};
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::engine::Engine;

/// Learned weights and delays on a dense input and a sparse recurrent connection, learned
/// readout weights, and an input connection that learns nothing (its gradients are zeroed by the
/// group's first lane only while `rgenn grad` runs, and left alone while training).
const NET: &str = "
name: lane_groups
dt: 0.5
duration: 25.0
precision: PRECISION
batch_size: 8
seed: 9
populations:
  input: {size: 10, model: spike_input}
  hid: {size: 20, model: lif, params: {tau_mem: 10.0, v_thresh: 0.5}}
  out: {size: 3, model: li, readout: max}
connections:
  in_hid: {source: input, target: hid, weight: {normal: {mean: 0.3, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [weight, delay]}
  in_hid_fixed: {source: input, target: hid, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.1, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0}
  hid_hid: {source: hid, target: hid, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.0, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  hid_out: {source: hid, target: out, weight: {normal: {mean: 0.2, sd: 0.3}}, learn: [weight]}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.01}}
    delay: {adam: {lr: 0.5}}
";

fn network(precision: &str, lane_group: u32) -> Network {
    let mut net = common::load(&NET.replace("PRECISION", precision));
    net.lane_group = lane_group;
    net
}

fn simulator(net: &Network, backend: Backend) -> Simulator {
    common::with_params(common::simulator_for(net, backend))
}

/// The largest difference between `a` and `b` relative to the largest magnitude of `a`.
fn relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let scale = a
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(f64::MIN_POSITIVE);
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

#[test]
fn lane_groups_change_the_batch_gradients_by_rounding_only() {
    // 11 trials: a full batch of 8, then a short one of 3 (a short last group at every size)
    let data = common::random_data(4, 11, 10, 25.0, 3);
    let at = Path::new("random.npz");
    for backend in [Backend::Cpu, Backend::Rust] {
        let reference = grad::grad(&mut simulator(&network("f64", 1), backend), &data, at, 2)
            .expect("grad, per-lane gradients");
        assert!(
            reference.grads.weight.iter().flatten().any(|&g| g != 0.0),
            "the network has gradients to compare"
        );
        for lane_group in [2, 4, 8, 16] {
            let net = network("f64", lane_group);
            let got = grad::grad(&mut simulator(&net, backend), &data, at, 2).expect("grad");
            assert_eq!(
                got.trial_losses, reference.trial_losses,
                "{backend:?}, groups of {lane_group}"
            );
            for (c, conn) in net.connections.iter().enumerate() {
                for (what, a, b) in [
                    ("weight", &reference.grads.weight[c], &got.grads.weight[c]),
                    ("delay", &reference.grads.delay[c], &got.grads.delay[c]),
                ] {
                    let d = relative_difference(a, b);
                    assert!(
                        d < 1e-12,
                        "{backend:?}, groups of {lane_group}: {} {what} gradients differ by {d:e}",
                        conn.name
                    );
                }
            }
        }
    }
}

/// Three regularised training steps on `sim` (the second and third batches short of the batch
/// size) on `threads` threads; every parameter and Adam moment afterwards, by buffer name.
fn train(sim: &mut Simulator, data: &SpikeDataset, threads: usize) -> Vec<(String, Vec<f64>)> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net).expect("a loss");
    let reg = Regularisation {
        mlgenn_lambda: None,
        target_spikes: 1.0,
        strength: 0.01,
    };
    let adam = common::adam(0.01);
    for (t, trials) in [(1u64, 0..8), (2, 8..14), (3, 14..17)] {
        let trials: Vec<usize> = trials.collect();
        let (inputs, labels) = common::batch_of(&net, data, &trials);
        let scale = 1.0 / trials.len() as f64;
        sim.run_batch(
            &inputs,
            &labels,
            &spec,
            scale,
            threads,
            Passes::Train(Some(&reg)),
        )
        .expect("a batch runs");
        sim.optimizer_step(trials.len() as u32, t, (&adam, 0.01), (&adam, 0.5), threads)
            .expect("an optimiser step");
    }
    let learned = [
        Role::Weight,
        Role::DelayMs,
        Role::DelaySteps,
        Role::WeightAdamM,
        Role::WeightAdamV,
        Role::DelayAdamM,
        Role::DelayAdamV,
    ];
    (0..net.buffers.len())
        .filter(|&i| learned.contains(&net.buffers[i].role))
        .map(|i| (net.buffers[i].name.clone(), sim.read_f64(i)))
        .collect()
}

#[test]
fn training_in_lane_groups_is_independent_of_threads_and_backend() {
    let data = common::random_data(6, 17, 10, 25.0, 3);
    for precision in ["f32", "f64"] {
        let net = network(precision, 4);
        let one = train(&mut simulator(&net, Backend::Cpu), &data, 1);
        for (backend, threads) in [(Backend::Cpu, 2), (Backend::Cpu, 3), (Backend::Rust, 2)] {
            let got = train(&mut simulator(&net, backend), &data, threads);
            assert_eq!(
                got, one,
                "{precision}, {backend:?} on {threads} threads against the cpu on one"
            );
        }
        // and the groups did change the parameters only by rounding
        let per_lane = train(
            &mut simulator(&network(precision, 1), Backend::Cpu),
            &data,
            2,
        );
        let tolerance = if precision == "f32" { 1e-3 } else { 1e-9 };
        for ((name, a), (_, b)) in per_lane.iter().zip(&one) {
            let d = relative_difference(a, b);
            assert!(d < tolerance, "{precision}: `{name}` differs by {d:e}");
        }
    }
}
