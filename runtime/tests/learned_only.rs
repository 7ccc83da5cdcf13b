//! Training computes only the gradients it reads (`Passes::Train`, `rgenn_set_learned_only`):
//! on a network with frozen delays, frozen connections and an input connection that learns
//! nothing, training steps with and without it leave every buffer of the simulator equal bit for
//! bit, except the gradients of parameters nobody learns, which read zero under `Train`; and a
//! later full pass (`rgenn grad`) on the same simulator reports every gradient again.

mod common;

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Network, Regularisation};
use rgenn_runtime::Simulator;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::{self, Passes};
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::engine::Engine;

/// Every kind of connection by what it learns: weights and delays (`in_hid`), weights only on
/// per-synapse delays (`in_hid_frozen`: frozen delays), nothing from an input (`in_hid_fixed`,
/// whose kernel has nothing to do while learned-only), delays only one-to-one (`hid_copy`),
/// sparse recurrent weights and delays (`hid_hid`), nothing on a dense readout (`copy_out`).
const NET: &str = "
name: learned_only
dt: 0.5
duration: 30.0
precision: f64
batch_size: 3
seed: 5
populations:
  input: {size: 10, model: spike_input}
  hid: {size: 24, model: lif, params: {tau_mem: 10.0, v_thresh: 0.5}}
  copy: {size: 24, model: lif, params: {v_thresh: 0.1}}
  out: {size: 3, model: li, readout: max}
connections:
  in_hid: {source: input, target: hid, weight: {normal: {mean: 0.3, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [weight, delay]}
  in_hid_frozen: {source: input, target: hid, connectivity: {fixed_probability: 0.5}, weight: {normal: {mean: 0.2, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 4.0}}, max_delay: 4.0, learn: [weight]}
  in_hid_fixed: {source: input, target: hid, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.1, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0}
  hid_hid: {source: hid, target: hid, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.0, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  hid_copy: {source: hid, target: copy, connectivity: one_to_one, weight: 1.0, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [delay]}
  copy_out: {source: copy, target: out, weight: {normal: {mean: 0.2, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0}
  hid_out: {source: hid, target: out, weight: {normal: {mean: 0.1, sd: 0.3}}, learn: [weight]}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.01}}
    delay: {adam: {lr: 0.5}}
";

/// A gradient buffer training does not read: of a parameter no connection learns.
fn unread(net: &Network, index: usize) -> bool {
    let b = &net.buffers[index];
    match b.owner {
        Owner::Connection(c) => {
            matches!(b.role, Role::WeightGrad | Role::DelayGrad)
                && !net.connections[c as usize].trains_gradient(b.role)
        }
        _ => false,
    }
}

/// Every buffer of the simulator, by name.
fn state(sim: &mut Simulator) -> Vec<(String, Vec<f64>)> {
    let net = sim.network().clone();
    (0..net.buffers.len())
        .map(|i| (net.buffers[i].name.clone(), sim.read_f64(i)))
        .collect()
}

/// One training step on `sim` (trials `trials` of `data`) with `passes`, then the Adam step;
/// the batch's losses.
fn step(
    sim: &mut Simulator,
    data: &SpikeDataset,
    trials: &[usize],
    t: u64,
    passes: Passes,
) -> Vec<f64> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net).expect("a loss");
    let (inputs, labels) = common::batch_of(&net, data, trials);
    let losses = sim
        .run_batch(
            &inputs,
            &labels,
            &spec,
            1.0 / trials.len() as f64,
            2,
            passes,
        )
        .expect("a batch runs");
    let adam = common::adam(0.01);
    sim.optimizer_step(trials.len() as u32, t, (&adam, 0.01), (&adam, 0.5), 2)
        .expect("an optimiser step");
    losses.iter().map(|l| l.loss).collect()
}

fn check(backend: Backend) {
    let net = common::load(NET);
    let data = common::random_data(3, 9, 10, net.duration_ms, 3);
    let simulator = || common::with_params(common::simulator_for(&net, backend));
    let (mut trained, mut full) = (simulator(), simulator());
    let reg = Regularisation {
        mlgenn_lambda: None,
        target_spikes: 1.0,
        strength: 0.01,
    };
    let n_unread = (0..net.buffers.len()).filter(|&i| unread(&net, i)).count();
    // the weight and delay gradients of in_hid_fixed and copy_out, the delay gradients of
    // in_hid_frozen and hid_out, the weight gradient of hid_copy
    assert_eq!(n_unread, 7, "the network's frozen gradients");
    for (k, first) in [0usize, 3, 6].into_iter().enumerate() {
        let trials: Vec<usize> = (first..first + 3).collect();
        let t = k as u64 + 1;
        let a = step(&mut trained, &data, &trials, t, Passes::Train(Some(&reg)));
        let b = step(
            &mut full,
            &data,
            &trials,
            t,
            Passes::ForwardBackward(Some(&reg)),
        );
        assert_eq!(a, b, "{backend:?}: losses of step {t}");
        let (sa, sb) = (state(&mut trained), state(&mut full));
        let mut nonzero_unread = 0;
        for (i, ((name, x), (_, y))) in sa.iter().zip(&sb).enumerate() {
            if unread(&net, i) {
                assert!(
                    x.iter().all(|&v| v == 0.0),
                    "{backend:?}: `{name}` is not learned and reads zero under Train"
                );
                nonzero_unread += usize::from(y.iter().any(|&v| v != 0.0));
            } else {
                assert_eq!(x, y, "{backend:?}: `{name}` after step {t}");
            }
        }
        assert_eq!(
            nonzero_unread, n_unread,
            "{backend:?}: the full pass gives every frozen parameter a gradient"
        );
    }
    // Back to every gradient on the same simulator: as on the one that never skipped any.
    let at = Path::new("random.npz");
    let ga = grad::grad(&mut trained, &data, at, 2).expect("grad after training");
    let gb = grad::grad(&mut full, &data, at, 2).expect("grad");
    assert_eq!(ga, gb, "{backend:?}: rgenn grad after Train steps");
    // ... and back to training once more: the skipped gradients read zero again.
    step(&mut trained, &data, &[0, 1, 2], 4, Passes::Train(None));
    for i in (0..net.buffers.len()).filter(|&i| unread(&net, i)) {
        assert!(
            trained.read_f64(i).iter().all(|&v| v == 0.0),
            "{}",
            net.buffers[i].name
        );
    }
}

#[test]
fn training_skips_only_unread_gradients_in_the_cpu_backend() {
    check(Backend::Cpu);
}

#[test]
fn training_skips_only_unread_gradients_in_the_rust_backend() {
    check(Backend::Rust);
}
