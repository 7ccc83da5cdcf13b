//! The `rust` backend against the `cpu` backend on the same networks, parameters and data:
//! forward spikes, readouts and traces, the loss and every gradient, and the parameters after a
//! few training steps. Both backends run the same operations in the same order through the same
//! libm, so every comparison here is exact (bit for bit), tighter than the 1e-12 relative the
//! backend promises for f64 gradients. The rust simulator runs its lanes on several threads while
//! the cpu one runs them on one, which also checks that concurrent lanes do not interfere.

mod common;

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;
use rgenn_codegen::ir::buffers::Role;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::cuda::parity;
use rgenn_runtime::train::BatchStep;
use rgenn_runtime::{Simulator, build::cache, passes::grad, passes::simulate, sim::init};

fn load(name: &str, yaml: &str, base: &Path) -> Network {
    rgenn_codegen::load_str(name, yaml, base)
        .unwrap_or_else(|e| panic!("{name}: {:?}", e.reports()))
        .ir
}

/// Build `net` for `backend` into the test cache, load it and upload its initial parameters.
fn simulator(net: &Network, base: &Path, backend: Backend) -> Simulator {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(net, backend, &root).expect("build");
    let mut sim = Simulator::load(net, &built.library, &built.cache_key).expect("load");
    let params = init::initial_params(net, base).expect("params");
    init::upload(&mut sim, &params).expect("upload");
    sim
}

/// Every parameter buffer (weights, delays in ms and in steps) as f64.
fn parameters(sim: &mut Simulator) -> Vec<(String, Vec<f64>)> {
    let net = sim.network().clone();
    net.buffers
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b.role, Role::Weight | Role::DelayMs | Role::DelaySteps))
        .map(|(i, b)| (b.name.clone(), sim.read_f64(i)))
        .collect()
}

/// What one comparison found, for the report.
struct Report {
    spikes: usize,
    worst_forward: f64,
    worst_gradient: f64,
}

/// Forward and gradient parity of `net` on `data`.
fn check(net: &Network, base: &Path, data: &SpikeDataset) -> Report {
    let mut cpu = simulator(net, base, Backend::Cpu);
    let mut rust = simulator(net, base, Backend::Rust);
    let at = Path::new("random.npz");
    let a = simulate::simulate(&mut cpu, data, at, 1).expect("cpu simulate");
    let b = simulate::simulate(&mut rust, data, at, 3).expect("rust simulate");
    let (spikes, arrays) = parity::compare_simulations(net, &a, &b);
    let total: usize = spikes.iter().map(|s| s.reference_spikes).sum();
    assert!(
        total > 0,
        "{}: the test should make neurons spike",
        net.name
    );
    for s in &spikes {
        assert_eq!(s.differing_trials, 0, "{}: {s:?}", net.name);
    }
    let mut worst_forward: f64 = 0.0;
    for d in &arrays {
        // Same operations in the same order: equal bit for bit.
        assert_eq!(d.relative(), 0.0, "{}: {d:?}", net.name);
        worst_forward = worst_forward.max(d.relative());
    }
    let mut worst_gradient: f64 = 0.0;
    if net.has_backward() {
        let a = grad::grad(&mut cpu, data, at, 1).expect("cpu grad");
        let b = grad::grad(&mut rust, data, at, 3).expect("rust grad");
        for d in parity::compare_gradients(net, &a, &b) {
            // The backend promises 1e-12 relative in f64; it delivers exact equality.
            assert_eq!(d.relative(), 0.0, "{}: {d:?}", net.name);
            worst_gradient = worst_gradient.max(d.relative());
        }
        for (c, g) in net.connections.iter().zip(&b.grads.delay) {
            assert!(
                g.iter().any(|&x| x != 0.0),
                "{}: the test should give `{}` delay gradients",
                net.name,
                c.name
            );
        }
    }
    Report {
        spikes: total,
        worst_forward,
        worst_gradient,
    }
}

/// Three optimiser steps (Adam on weights and delays, regularisation on) leave both backends with
/// identical parameters.
fn check_training(net: &Network, base: &Path, data: &SpikeDataset) {
    let training = net.run.training.as_ref().expect("a training section");
    let spec = LossSpec::of(net).expect("a loss");
    let mut cpu = simulator(net, base, Backend::Cpu);
    let mut rust = simulator(net, base, Backend::Rust);
    let before = parameters(&mut cpu);
    let labels: Vec<u32> = data
        .labels
        .as_ref()
        .expect("labels")
        .iter()
        .map(|&l| l as u32)
        .collect();
    let batch = net.batch_size as usize;
    let (mut steps_cpu, mut steps_rust) = (0, 0);
    for k in 0..3 {
        let trials: Vec<usize> = (0..batch).map(|i| (k * batch + i) % data.len()).collect();
        let labels: Vec<u32> = trials.iter().map(|&t| labels[t]).collect();
        let step = |threads| BatchStep {
            data,
            path: Path::new("random.npz"),
            trials: &trials,
            labels: &labels,
            spec: &spec,
            training,
            epoch: 0,
            threads,
        };
        let (la, ..) = step(1)
            .run(&mut cpu, &mut steps_cpu, None)
            .expect("cpu step");
        let (lb, ..) = step(3)
            .run(&mut rust, &mut steps_rust, None)
            .expect("rust step");
        assert_eq!(la, lb, "{}: losses of step {k}", net.name);
    }
    let (a, b) = (parameters(&mut cpu), parameters(&mut rust));
    assert_eq!(a, b, "{}: parameters after three steps", net.name);
    assert_ne!(
        a, before,
        "{}: training should move the parameters",
        net.name
    );
}

#[test]
fn examples_match_the_cpu_backend_in_f32_and_f64() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["recurrent_delays", "sequence_detection", "ode_models"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).expect("readable");
        for precision in ["f32", "f64"] {
            let text = text.replacen("precision: f32", &format!("precision: {precision}"), 1);
            let net = load(&format!("{name}.yaml"), &text, &dir);
            let inputs = net.populations[0].size;
            let classes = net.populations.last().expect("an output").size;
            let data = common::random_data(5, 7, inputs, net.duration_ms, classes);
            let r = check(&net, &dir, &data);
            eprintln!(
                "{name} {precision}: {} spikes identical; readouts/traces worst relative difference {:e}, gradients {:e}",
                r.spikes, r.worst_forward, r.worst_gradient
            );
        }
    }
}

/// Every connectivity with fixed and per-synapse delays, recurrent and one-to-one connections,
/// several spikes per neuron, every readout.
const COVERAGE: &str = "
name: rust_coverage
dt: 0.5
duration: 40.0
precision: PRECISION
batch_size: 3
seed: 9
populations:
  input: {size: 12, model: spike_input}
  wide: {size: 50, model: lif, params: {tau_mem: 10.0, v_thresh: 0.6}, record: [v]}
  sparse: {size: 40, model: lif, params: {v_thresh: 0.4}}
  copy: {size: 40, model: lif, params: {v_thresh: 0.05}}
  out: OUT
connections:
  in_wide: {source: input, target: wide, weight: {normal: {mean: 0.5, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 4.0}}, max_delay: 4.0, learn: [weight, delay]}
  wide_sparse: {source: wide, target: sparse, connectivity: {fixed_probability: 0.2}, weight: {normal: {mean: 0.15, sd: 0.2}}, delay: 1.5}
  sparse_sparse: {source: sparse, target: sparse, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.0, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  sparse_copy: {source: sparse, target: copy, connectivity: one_to_one, weight: 1.0, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [delay]}
  copy_copy: {source: copy, target: copy, connectivity: one_to_one, weight: 0.2, delay: 1.0}
  copy_out: {source: copy, target: out, weight: {normal: {mean: 0.3, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  wide_out: {source: wide, target: out, weight: {normal: {mean: 0.0, sd: 0.05}}}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.01}}
    delay: {adam: {lr: 0.5}}
  regularisation: {target_spikes: 1.0, strength: 0.01}
";

/// The built-in lif model with a threshold and also the `max` readout of `v`: a user model file
/// in the test's temporary folder.
fn spiking_max_model() -> std::path::PathBuf {
    let lif = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/models/lif.yaml"),
    )
    .expect("models/lif.yaml");
    let text = lif.replace("name: lif", "name: lif_max").replace(
        "readouts: [first_spike]",
        "readouts: [first_spike, max]\nreadout_var: v",
    );
    assert_ne!(text, lif, "models/lif.yaml changed shape");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lif_max.yaml");
    std::fs::write(&path, text).expect("write model");
    path
}

#[test]
fn every_kernel_variant_matches_the_cpu_backend() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (precision, out) in [
        (
            "f64",
            "{size: 3, model: lif, readout: first_spike, params: {v_thresh: 0.1}}",
        ),
        // a spiking model with a per-step readout (its C++ update stays one loop)
        (
            "f64",
            "{size: 3, model: SPIKING_MAX, readout: max, params: {v_thresh: 0.1}}",
        ),
        ("f64", "{size: 3, model: li, readout: sum, record: [v]}"),
        ("f64", "{size: 3, model: li, readout: max}"),
        ("f64", "{size: 3, model: li, readout: mean}"),
        ("f32", "{size: 3, model: li, readout: mean_exp}"),
        (
            "f32",
            "{size: 3, model: lif, readout: first_spike, params: {v_thresh: 0.1}}",
        ),
    ] {
        let text = COVERAGE
            .replace("PRECISION", precision)
            .replace("OUT", out)
            .replace("SPIKING_MAX", &spiking_max_model().display().to_string());
        let net = load("rust_coverage.yaml", &text, base);
        let data = common::random_data(8, 5, 12, net.duration_ms, 3);
        let r = check(&net, base, &data);
        eprintln!(
            "coverage {precision} {out}: {} spikes identical; worst relative differences {:e} (forward), {:e} (gradients)",
            r.spikes, r.worst_forward, r.worst_gradient
        );
    }
}

/// A spiking population larger than one chunk of spike flags (4096 neurons in the C++ kernels),
/// and not a multiple of 8: its spike lists, forward and reverse, cross chunk boundaries.
#[test]
fn populations_larger_than_a_flag_chunk_match_the_cpu_backend() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = "
name: big_population
dt: 0.5
duration: 20.0
precision: f64
batch_size: 2
seed: 4
populations:
  input: {size: 12, model: spike_input}
  big: {size: 9003, model: lif, params: {tau_mem: 10.0, v_thresh: 0.6}}
  out: {size: 3, model: li, readout: sum}
connections:
  in_big: {source: input, target: big, weight: {normal: {mean: 0.5, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [weight, delay]}
  big_out: {source: big, target: out, weight: {normal: {mean: 0.0, sd: 0.02}}}
";
    let net = load("big_population.yaml", text, base);
    let data = common::random_data(4, 6, 12, net.duration_ms, 3);
    let r = check(&net, base, &data);
    assert!(r.spikes > 4096, "spikes across chunks: {}", r.spikes);
    eprintln!("9003 neurons: {} spikes identical", r.spikes);
}

#[test]
fn training_steps_give_identical_parameters() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    for precision in ["f64", "f32"] {
        let text = COVERAGE
            .replace("PRECISION", precision)
            .replace("OUT", "{size: 3, model: li, readout: max}");
        let net = load("rust_coverage.yaml", &text, base);
        let data = common::random_data(11, 9, 12, net.duration_ms, 3);
        check_training(&net, base, &data);
    }
}

#[test]
fn the_cuda_backend_is_not_built_behind_simulator() {
    let net = common::load(
        "name: n\ndt: 1.0\nduration: 5.0\nprecision: f64\nbatch_size: 1\n\
         populations:\n  a: {size: 2, model: spike_input}\n  b: {size: 2, model: li, readout: max}\n\
         connections:\n  ab: {source: a, target: b, weight: 1.0}\n",
    );
    let e = Simulator::build_with(&net, Backend::Cuda)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("CudaSimulator"), "{e}");
}
