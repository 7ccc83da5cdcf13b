//! Forward semantics of generated CPU simulators against analytic and hand-computed results
//! (DESIGN.md section 4), plus batch-lane independence and no leaks between trials.

mod common;

use common::{load, simulator_with_params as simulator};
use std::path::Path;

use rgenn_codegen::ir::Network;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::simulate::{SimOutput, simulate};

fn dataset(trials: &[Vec<(f64, u32)>]) -> SpikeDataset {
    let mut d = SpikeDataset {
        offsets: vec![0],
        ..Default::default()
    };
    for t in trials {
        for &(time, unit) in t {
            d.times.push(time);
            d.units.push(unit);
        }
        d.offsets.push(d.times.len() as u64);
    }
    d
}

fn run(net: &Network, trials: &[Vec<(f64, u32)>], threads: usize) -> SimOutput {
    let mut sim = simulator(net);
    simulate(&mut sim, &dataset(trials), Path::new("data.npz"), threads).expect("simulate")
}

/// One-input, one-output network in f64 with a given output model and delay.
fn single(
    model: &str,
    params: &str,
    delay_ms: f64,
    max_delay_ms: f64,
    steps: u32,
    dt: f64,
) -> Network {
    load(&format!(
        "name: single\ndt: {dt}\nduration: {}\nprecision: f64\npopulations:\n  input: {{size: 1, model: spike_input}}\n  out: {{size: 1, model: {model}, params: {params}, record: [v, i]}}\nconnections:\n  c: {{source: input, target: out, weight: 0.7, delay: {delay_ms}, max_delay: {max_delay_ms}, learn: [delay]}}\n",
        steps as f64 * dt
    ))
}

#[test]
fn li_neuron_matches_the_closed_form_discrete_solution() {
    let (dt, tau_m, tau_s, w) = (0.5, 10.0, 5.0, 0.7);
    let net = single("li", "{tau_mem: 10.0, tau_syn: 5.0}", 0.0, 0.0, 40, dt);
    let out = run(&net, &[vec![(1.2, 0)]], 1);
    let v = &out.traces[0].2;
    let i = &out.traces[1].2;
    let (alpha, beta) = ((-dt / tau_m).exp(), (-dt / tau_s).exp());
    let c = tau_s / dt * (1.0 - beta);
    // The spike at 1.2 ms lies in step 2 (dt 0.5) and first moves V in step 3.
    let arrival = 3;
    for n in 0..40 {
        let (expect_v, expect_i) = if n < arrival {
            (0.0, 0.0)
        } else {
            let m = n - arrival;
            let v: f64 = (0..=m)
                .map(|j| alpha.powi((m - j) as i32) * (1.0 - alpha) * c * w * beta.powi(j as i32))
                .sum();
            (v, w * beta.powi(m as i32 + 1))
        };
        // f64, at most ~40 multiply-adds: rtol 1e-12.
        assert!(
            (v[n] - expect_v).abs() <= 1e-12 * expect_v.abs().max(1e-300),
            "V step {n}: {} vs {expect_v}",
            v[n]
        );
        assert!(
            (i[n] - expect_i).abs() <= 1e-12 * expect_i.abs().max(1e-300),
            "I step {n}: {} vs {expect_i}",
            i[n]
        );
    }
}

#[test]
fn lif_neuron_fires_in_the_predicted_step_and_resets() {
    let net = load(
        "name: lif1\ndt: 1.0\nduration: 60.0\nprecision: f64\npopulations:\n  input: {size: 1, model: spike_input}\n  h: {size: 1, model: lif, params: {tau_mem: 20.0, tau_syn: 5.0, v_thresh: 1.0, v_reset: 0.0}, record: [v]}\nconnections:\n  c: {source: input, target: h, weight: 9.0}\n",
    );
    let inputs: Vec<(f64, u32)> = [0.0, 3.0, 20.0].iter().map(|&t| (t, 0)).collect();
    let out = run(&net, std::slice::from_ref(&inputs), 1);
    // Reference recursion of DESIGN.md section 4 in f64.
    let (alpha, beta) = ((-1.0f64 / 20.0).exp(), (-1.0f64 / 5.0).exp());
    let c = 5.0 * (1.0 - beta);
    let (mut v, mut i) = (0.0f64, 0.0f64);
    let mut expected = Vec::new();
    for n in 0..60u32 {
        if inputs.iter().any(|&(t, _)| t as u32 + 1 == n) {
            i += 9.0;
        }
        v = alpha * v + (1.0 - alpha) * c * i;
        i *= beta;
        if v >= 1.0 {
            expected.push(n as f64);
            v = 0.0;
        }
    }
    let h = &out.spikes[1];
    assert!(
        !expected.is_empty(),
        "the test input must make the neuron fire"
    );
    assert_eq!(h.times, expected);
    for &t in &expected {
        assert_eq!(
            out.traces[0].2[t as usize], 0.0,
            "V is reset to v_reset in the spike step"
        );
    }
}

/// Step in which the output first moves, for an input spike at step `s` through delay `d` ms.
fn first_moving_step(
    delay_ms: f64,
    max_delay_ms: f64,
    spike_step: u32,
    steps: u32,
) -> Option<usize> {
    let net = single(
        "li",
        "{tau_mem: 10.0, tau_syn: 5.0}",
        delay_ms,
        max_delay_ms,
        steps,
        1.0,
    );
    let out = run(&net, &[vec![(spike_step as f64, 0)]], 1);
    out.traces[0].2.iter().position(|&v| v != 0.0)
}

#[test]
fn a_spike_through_delay_k_first_moves_the_target_in_step_n_plus_1_plus_k() {
    // k = 0, k = D - 1 (D = 16), and across the ring's wrap-around (spike at step 20, ring of 16).
    assert_eq!(first_moving_step(0.0, 15.0, 2, 40), Some(3));
    assert_eq!(first_moving_step(15.0, 15.0, 2, 40), Some(18));
    assert_eq!(first_moving_step(7.0, 15.0, 20, 40), Some(28));
    assert_eq!(first_moving_step(15.0, 15.0, 30, 60), Some(46));
    // Non-integer delays round half away from zero: 2.5 ms -> 3 steps, 2.49 ms -> 2 steps.
    assert_eq!(first_moving_step(2.5, 15.0, 2, 40), Some(6));
    assert_eq!(first_moving_step(2.49, 15.0, 2, 40), Some(5));
}

fn recurrent(batch: u32) -> Network {
    load(&format!(
        "name: rec\ndt: 1.0\nduration: 80.0\nprecision: f64\nbatch_size: {batch}\nseed: 3\npopulations:\n  input: {{size: 5, model: spike_input}}\n  h: {{size: 8, model: lif, record: [v]}}\n  out: {{size: 3, model: li, readout: mean_exp}}\nconnections:\n  in_h: {{source: input, target: h, weight: {{normal: {{mean: 1.5, sd: 0.5}}}}, delay: {{uniform: {{min: 0.0, max: 9.0}}}}, max_delay: 9.0, learn: [weight, delay]}}\n  h_h: {{source: h, target: h, weight: {{normal: {{mean: 0.0, sd: 0.8}}}}, delay: {{uniform: {{min: 0.0, max: 12.0}}}}, max_delay: 12.0, learn: [delay]}}\n  h_out: {{source: h, target: out, connectivity: {{fixed_probability: 0.7}}, weight: {{normal: {{mean: 0.5, sd: 0.2}}}}}}\n"
    ))
}

fn random_trials(n: usize) -> Vec<Vec<(f64, u32)>> {
    let mut rng = rgenn_codegen::rng::Rng::new(11);
    (0..n)
        .map(|_| {
            (0..40)
                .map(|_| ((rng.uniform() * 70.0).floor(), (rng.uniform() * 5.0) as u32))
                .collect()
        })
        .collect()
}

#[test]
fn batch_lanes_equal_trials_run_alone_and_nothing_leaks_between_trials() {
    let trials = random_trials(3);
    let batched = run(&recurrent(3), &trials, 2);
    let hidden_spikes = batched.spikes[1].units.len();
    assert!(
        hidden_spikes > 20,
        "the test network must be active ({hidden_spikes} hidden spikes)"
    );
    // Each trial alone on a batch-1 simulator, and all three in sequence on one batch-1 simulator.
    let single = recurrent(1);
    let sequence = run(&single, &trials, 1);
    assert_eq!(
        sequence, batched,
        "lanes of a batch must equal the same trials run one after another"
    );
    for (k, t) in trials.iter().enumerate() {
        let alone = run(&single, std::slice::from_ref(t), 1);
        for (a, b) in alone.spikes.iter().zip(&batched.spikes) {
            let (s, e) = (b.offsets[k] as usize, b.offsets[k + 1] as usize);
            assert_eq!(
                a.units,
                b.units[s..e],
                "trial {k}: spikes differ from the batch lane"
            );
            assert_eq!(a.times, b.times[s..e]);
        }
        assert_eq!(
            alone.readouts[0].1,
            batched.readouts[0].1[k * 3..(k + 1) * 3]
        );
    }
    // The thread count does not change results.
    assert_eq!(run(&recurrent(3), &trials, 1), batched);
}
