//! EventProp gradients of generated CPU simulators against central finite differences of the same
//! loss (f64, small dt), for every readout and both losses, plus exact properties: zero weight
//! gives zero delay gradient, silent presynaptic neurons give zero gradients, batch lanes and
//! thread counts do not change results, and buffers are sized as the IR says.

mod common;

use common::{load, simulator};
use std::path::Path;

use rgenn_codegen::ir::Network;
use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::rng::Rng;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::{GradOutput, grad};
use rgenn_runtime::passes::simulate::simulate;
use rgenn_runtime::sim::init::{self, Params};
use rgenn_runtime::{SimError, Simulator};

/// A small network: 4 inputs -> 5 recurrent LIF (delays) -> 3 outputs, f64.
fn network(dt: f64, batch: u32, output: &str, loss: &str) -> Network {
    network_with(
        dt,
        batch,
        output,
        loss,
        "delay: {uniform: {min: 0.5, max: 3.0}}\n    max_delay: 4.0\n    learn: [weight, delay]",
    )
}

/// [`network`] with the given `delay`/`max_delay`/`learn` lines for `hid_out`.
fn network_with(dt: f64, batch: u32, output: &str, loss: &str, hid_out: &str) -> Network {
    network_of(dt, batch, LIF_HIDDEN, output, loss, hid_out)
}

/// The hidden population of [`network`].
const LIF_HIDDEN: &str = "{size: 5, model: lif, params: {tau_mem: 10.0, tau_syn: 5.0}}";

/// [`network_with`] with the given hidden population.
fn network_of(
    dt: f64,
    batch: u32,
    hidden: &str,
    output: &str,
    loss: &str,
    hid_out: &str,
) -> Network {
    load(&format!(
        r#"
name: fd
dt: {dt}
duration: 30.0
precision: f64
batch_size: {batch}
seed: 5
populations:
  input: {{size: 4, model: spike_input}}
  hidden: {hidden}
  output: {output}
connections:
  in_hid:
    source: input
    target: hidden
    weight: {{normal: {{mean: 1.6, sd: 0.5}}}}
    delay: {{uniform: {{min: 1.0, max: 6.0}}}}
    max_delay: 8.0
    learn: [weight, delay]
  hid_hid:
    source: hidden
    target: hidden
    weight: {{normal: {{mean: 0.0, sd: 0.6}}}}
    delay: {{uniform: {{min: 1.0, max: 4.0}}}}
    max_delay: 5.0
    learn: [weight, delay]
  hid_out:
    source: hidden
    target: output
    weight: {{normal: {{mean: 1.0, sd: 1.0}}}}
    {hid_out}
training:
  epochs: 1
  loss: {loss}
"#
    ))
}

fn li_output(readout: &str) -> String {
    format!("{{size: 3, model: li, params: {{tau_mem: 10.0, tau_syn: 5.0}}, readout: {readout}}}")
}

/// Three trials of random input spikes (input 3 stays silent) with labels 0, 1, 2.
fn dataset() -> SpikeDataset {
    let mut rng = Rng::new(42);
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(vec![0, 1, 2]),
        ..Default::default()
    };
    for _ in 0..3 {
        let mut spikes: Vec<(f64, u32)> = Vec::new();
        let per_unit: usize = std::env::var("RGENN_FD_SPIKES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4);
        for unit in 0..3 {
            for _ in 0..per_unit {
                spikes.push((0.5 + 20.0 * rng.uniform(), unit));
            }
        }
        spikes.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (t, u) in spikes {
            d.times.push(t);
            d.units.push(u);
        }
        d.offsets.push(d.times.len() as u64);
    }
    d
}

struct Harness {
    sim: Simulator,
    data: SpikeDataset,
    params: Params,
}

impl Harness {
    fn new(net: &Network) -> Harness {
        let mut sim = simulator(net);
        let params = init::initial_params(net, Path::new(".")).expect("params");
        init::upload(&mut sim, &params).expect("upload");
        Harness {
            sim,
            data: dataset(),
            params,
        }
    }

    fn grad(&mut self, params: &Params, threads: usize) -> GradOutput {
        init::upload(&mut self.sim, params).expect("upload");
        grad(&mut self.sim, &self.data, Path::new("data.npz"), threads).expect("grad")
    }

    /// Spikes per trial of every spiking non-input population.
    fn spike_counts(&mut self, params: &Params) -> Vec<u64> {
        init::upload(&mut self.sim, params).expect("upload");
        let out = simulate(&mut self.sim, &self.data, Path::new("data.npz"), 1).expect("sim");
        out.spikes
            .iter()
            .filter(|s| s.pop != 0)
            .flat_map(|s| s.offsets.windows(2).map(|w| w[1] - w[0]))
            .collect()
    }
}

/// Compare analytic gradients with central differences over every weight and delay whose
/// perturbation leaves every spike count unchanged. Returns (cosine, relative L2 error, used).
fn finite_difference_check(net: &Network) -> (f64, f64, usize) {
    let mut h = Harness::new(net);
    let base = h.params.clone();
    let analytic = h.grad(&base, 1);
    let counts = h.spike_counts(&base);
    assert!(
        counts.iter().sum::<u64>() > 10,
        "the test network should spike: {counts:?}"
    );
    let (mut fd, mut an) = (Vec::new(), Vec::new());
    for c in 0..net.connections.len() {
        let env = |k: &str, d: f64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        for (kind, eps) in [
            ("weight", env("RGENN_FD_EPS_W", 0.02)),
            ("delay", env("RGENN_FD_EPS_D", 0.3)),
        ] {
            if kind == "delay" && base.delays_ms[c].is_empty() {
                continue; // one fixed delay for the whole connection: nothing to perturb
            }
            let n = base.weights[c].len();
            for s in 0..n {
                let value = |p: &Params| match kind {
                    "weight" => p.weights[c][s],
                    _ => p.delays_ms[c][s],
                };
                let set = |p: &mut Params, v: f64| match kind {
                    "weight" => p.weights[c][s] = v,
                    _ => p.delays_ms[c][s] = v,
                };
                let (mut up, mut down) = (base.clone(), base.clone());
                set(&mut up, value(&base) + eps);
                set(&mut down, value(&base) - eps);
                if h.spike_counts(&up) != counts || h.spike_counts(&down) != counts {
                    continue;
                }
                let diff = (h.grad(&up, 1).loss - h.grad(&down, 1).loss) / (2.0 * eps);
                let a = match kind {
                    "weight" => analytic.grads.weight[c][s],
                    _ => analytic.grads.delay[c][s],
                };
                if std::env::var_os("RGENN_FD_DEBUG").is_some() {
                    eprintln!(
                        "{} {kind} {s}: fd {diff:+.6e} analytic {a:+.6e}",
                        net.connections[c].name
                    );
                }
                fd.push(diff);
                an.push(a);
            }
        }
    }
    let dot: f64 = fd.iter().zip(&an).map(|(a, b)| a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let err: Vec<f64> = fd.iter().zip(&an).map(|(a, b)| a - b).collect();
    let cosine = dot / (norm(&fd) * norm(&an));
    let rel = norm(&err) / norm(&fd);
    (cosine, rel, fd.len())
}

fn assert_close_to_finite_differences(output: &str, loss: &str) {
    assert_model_close_to_finite_differences(LIF_HIDDEN, output, loss);
}

/// The finite-difference gate on the test network with `hidden` as its recurrent population.
fn assert_model_close_to_finite_differences(hidden: &str, output: &str, loss: &str) {
    let dt = std::env::var("RGENN_FD_DT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.002);
    let hid_out =
        "delay: {uniform: {min: 0.5, max: 3.0}}\n    max_delay: 4.0\n    learn: [weight, delay]";
    let net = network_of(dt, 3, hidden, output, loss, hid_out);
    let (cosine, rel, used) = finite_difference_check(&net);
    eprintln!(
        "{hidden} -> {output} / {loss}: cosine {cosine:.5}, relative L2 error {rel:.4} over {used} parameters"
    );
    assert!(used >= 60, "only {used} parameters kept their spike counts");
    assert!(cosine >= 0.99, "cosine similarity {cosine}");
    assert!(rel <= 0.05, "relative L2 error {rel}");
}

#[test]
fn ode_lif_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: lif_ode, params: {tau_mem: 10.0, tau_syn: 5.0}}",
        &li_output("mean_exp"),
        "sparse_categorical_crossentropy",
    );
}

#[test]
fn alif_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: alif, params: {tau_mem: 10.0, tau_syn: 5.0, tau_adapt: 30.0}}",
        &li_output("mean_exp"),
        "sparse_categorical_crossentropy",
    );
}

#[test]
fn alpha_current_lif_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: lif_alpha, params: {tau_mem: 10.0, tau_syn: 3.0}}",
        &li_output("sum"),
        "sparse_categorical_crossentropy",
    );
}

#[test]
fn alif_first_spike_readout_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: alif, params: {tau_mem: 10.0, tau_syn: 5.0, tau_adapt: 30.0}}",
        "{size: 3, model: alif, params: {tau_mem: 10.0, tau_syn: 5.0, v_thresh: 0.6, tau_adapt: 20.0}, readout: first_spike}",
        "sparse_categorical_crossentropy",
    );
}

/// The nonlinear built-in: explicit midpoint steps, an adjoint that reads the state history.
#[test]
fn qif_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: qif, params: {tau_mem: 10.0, tau_syn: 5.0, sharpness: 2.0}}",
        &li_output("mean_exp"),
        "sparse_categorical_crossentropy",
    );
}

#[test]
fn qif_first_spike_readout_gradients_match_finite_differences() {
    assert_model_close_to_finite_differences(
        "{size: 5, model: qif, params: {tau_mem: 10.0, tau_syn: 5.0}}",
        "{size: 3, model: qif, params: {tau_mem: 10.0, tau_syn: 5.0, v_thresh: 0.8}, readout: first_spike}",
        "sparse_categorical_crossentropy",
    );
}

/// Arrivals split between two currents (`jump:`), for a linear and a nonlinear model.
#[test]
fn split_arrival_gradients_match_finite_differences() {
    for model in [
        "../examples/models/two_current_lif.yaml, params: {tau_mem: 10.0}",
        "tests/data/models/qif_two_currents.yaml",
    ] {
        assert_model_close_to_finite_differences(
            &format!("{{size: 5, model: {model}}}"),
            &li_output("mean_exp"),
            "sparse_categorical_crossentropy",
        );
    }
}

/// The two alternative spike-jump denominators shipped as model files (docs/adjoint.md).
#[test]
fn alternative_jump_denominators_match_finite_differences() {
    for model in ["lif_raw_current_jump", "lif_secant_jump"] {
        assert_model_close_to_finite_differences(
            &format!(
                "{{size: 5, model: ../examples/models/{model}.yaml, params: {{tau_mem: 10.0, tau_syn: 5.0}}}}"
            ),
            &li_output("mean_exp"),
            "sparse_categorical_crossentropy",
        );
    }
}

#[test]
fn sum_readout_gradients_match_finite_differences() {
    assert_close_to_finite_differences(&li_output("sum"), "sparse_categorical_crossentropy");
}

#[test]
fn mean_readout_gradients_match_finite_differences() {
    assert_close_to_finite_differences(&li_output("mean"), "sparse_categorical_crossentropy");
}

#[test]
fn mean_exp_readout_gradients_match_finite_differences() {
    assert_close_to_finite_differences(&li_output("mean_exp"), "sparse_categorical_crossentropy");
}

#[test]
fn max_readout_gradients_match_finite_differences() {
    assert_close_to_finite_differences(&li_output("max"), "sparse_categorical_crossentropy");
}

#[test]
fn first_spike_readout_gradients_match_finite_differences() {
    assert_close_to_finite_differences(
        "{size: 3, model: lif, params: {tau_mem: 10.0, tau_syn: 5.0, v_thresh: 0.6}, readout: first_spike}",
        "sparse_categorical_crossentropy",
    );
}

#[test]
fn mean_squared_error_gradients_match_finite_differences() {
    assert_close_to_finite_differences(&li_output("mean_exp"), "mean_squared_error");
}

#[test]
fn fixed_delay_connections_match_finite_differences() {
    for hid_out in ["delay: 1.5", "delay: 0.0"] {
        let net = network_with(
            0.002,
            3,
            &li_output("mean_exp"),
            "sparse_categorical_crossentropy",
            &format!("{hid_out}\n    learn: [weight]"),
        );
        let (cosine, rel, used) = finite_difference_check(&net);
        eprintln!("hid_out {hid_out}: cosine {cosine:.5}, relative L2 error {rel:.4} over {used}");
        assert!(cosine >= 0.99, "{hid_out}: cosine similarity {cosine}");
        assert!(rel <= 0.05, "{hid_out}: relative L2 error {rel}");
    }
}

#[test]
fn zero_weight_and_silent_presynaptic_neurons_give_exact_zeros() {
    let net = network(
        0.01,
        3,
        &li_output("mean_exp"),
        "sparse_categorical_crossentropy",
    );
    let mut h = Harness::new(&net);
    let mut params = h.params.clone();
    // Synapse input 1 -> hidden 2 of `in_hid` (dense: pre * 5 + post) gets weight 0.
    params.weights[0][7] = 0.0;
    let out = h.grad(&params, 1);
    assert_eq!(
        out.grads.delay[0][7], 0.0,
        "zero weight, zero delay gradient"
    );
    assert_ne!(
        out.grads.weight[0][7], 0.0,
        "its weight still gets a gradient"
    );
    // Input 3 never fires: its synapses 15..20 get exactly zero.
    for s in 15..20 {
        assert_eq!(out.grads.weight[0][s], 0.0);
        assert_eq!(out.grads.delay[0][s], 0.0);
    }
    assert!(out.grads.weight[0][..15].iter().any(|&g| g != 0.0));
}

#[test]
fn batch_lanes_and_threads_do_not_change_gradients() {
    let one = network(
        0.01,
        1,
        &li_output("sum"),
        "sparse_categorical_crossentropy",
    );
    let three = network(
        0.01,
        3,
        &li_output("sum"),
        "sparse_categorical_crossentropy",
    );
    let mut h1 = Harness::new(&one);
    let mut h3 = Harness::new(&three);
    let (p1, p3) = (h1.params.clone(), h3.params.clone());
    assert_eq!(p1, p3);
    let alone = h1.grad(&p1, 1);
    let batched = h3.grad(&p3, 1);
    let threaded = h3.grad(&p3, 2);
    assert_eq!(
        alone, batched,
        "a batch of 3 equals the trials run one by one"
    );
    assert_eq!(batched, threaded, "two threads equal one");
    // Running twice on the same simulator leaks nothing between trials.
    assert_eq!(h3.grad(&p3, 2), threaded);
}

#[test]
fn adjoint_buffers_are_sized_as_the_ir_says() {
    let net = network(
        0.01,
        3,
        &li_output("max"),
        "sparse_categorical_crossentropy",
    );
    let len = |name: &str| {
        let b = net
            .buffers
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no buffer {name}"));
        assert!(b.batched, "{name} is per lane");
        b.len
    };
    let hidden = &net.populations[1];
    let output = &net.populations[2];
    // hidden: delays up to 8 ms (in_hid) at dt 0.01 -> ring 801; capacity defaults to 500.
    assert_eq!(hidden.ring_len, 801);
    assert_eq!(output.ring_len, 401);
    assert_eq!(hidden.spike_capacity, 500);
    for ring in ["ring", "weight_grad_ring", "delay_grad_ring"] {
        assert_eq!(len(&format!("pop_hidden_{ring}")), 801 * 5);
        assert_eq!(len(&format!("pop_output_{ring}")), 401 * 3);
    }
    assert_eq!(len("pop_hidden_tape_step"), 5 * 500);
    assert_eq!(len("pop_hidden_tape_i_minus_v"), 5 * 500);
    assert_eq!(len("pop_hidden_lambda_v"), 5);
    assert_eq!(len("pop_output_readout_grad"), 3);
    assert_eq!(len("conn_hid_hid_weight_grad"), 25);
    // Outputs (li) have no tape; inputs have no adjoint state at all.
    assert!(
        !net.buffers
            .iter()
            .any(|b| b.name.starts_with("pop_output_tape"))
    );
    let input_backward = net.buffers.iter().any(|b| {
        b.owner == Owner::Population(0) && b.role.is_backward() && b.role != Role::DlossDt
    });
    assert!(!input_backward);
}

#[test]
fn a_full_spike_tape_is_an_error_naming_the_population() {
    let yaml = r#"
name: overflow
dt: 0.1
duration: 30.0
precision: f64
populations:
  input: {size: 1, model: spike_input}
  hidden: {size: 2, model: lif, spike_capacity: 1}
  output: {size: 2, model: li, readout: sum}
connections:
  in_hid: {source: input, target: hidden, weight: 5.0}
  hid_out: {source: hidden, target: output, weight: 1.0}
"#;
    let net = load(yaml);
    let mut sim = simulator(&net);
    init::upload(
        &mut sim,
        &init::initial_params(&net, Path::new(".")).unwrap(),
    )
    .unwrap();
    let data = SpikeDataset {
        times: vec![1.0, 5.0, 9.0, 13.0],
        units: vec![0, 0, 0, 0],
        offsets: vec![0, 4],
        labels: Some(vec![1]),
    };
    match grad(&mut sim, &data, Path::new("d.npz"), 1) {
        Err(SimError::TapeOverflow {
            population,
            capacity,
        }) => {
            assert_eq!(population, "hidden");
            assert_eq!(capacity, 1);
        }
        other => panic!("expected a tape overflow, got {other:?}"),
    }
}

/// How the agreement with finite differences improves as dt shrinks (finite-difference steps
/// fixed). Run: `cargo test --release -p rgenn-runtime --test gradients convergence -- --ignored
/// --nocapture`.
#[test]
#[ignore]
fn convergence_as_dt_shrinks() {
    for dt in [0.05, 0.02, 0.01, 0.005, 0.002, 0.001] {
        let net = network(
            dt,
            3,
            &li_output("mean_exp"),
            "sparse_categorical_crossentropy",
        );
        let (cosine, rel, used) = finite_difference_check(&net);
        println!("dt {dt:<6} cosine {cosine:.5}  relative L2 error {rel:.4}  ({used} parameters)");
    }
}
