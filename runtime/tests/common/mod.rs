//! Helpers shared by the runtime's integration tests: networks from YAML text and simulators built
//! into a cache private to the test run.

#![allow(dead_code)]

use std::path::Path;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::{Adam, Network};
use rgenn_codegen::rng::Rng;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::sim::cpu::TrialInput;
use rgenn_runtime::{Simulator, build::cache, sim::init};

/// The IR of a network written inline (panics with the reports when it is invalid).
pub fn load(yaml: &str) -> Network {
    match rgenn_codegen::load_str("test.yaml", yaml, Path::new(".")) {
        Ok(l) => l.ir,
        Err(e) => panic!(
            "test network invalid: {:?}",
            e.reports()
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        ),
    }
}

/// Build (or reuse) and load the CPU simulator of `net`.
pub fn simulator(net: &Network) -> Simulator {
    simulator_for(net, Backend::Cpu)
}

/// Build (or reuse) and load the simulator of `net` for `backend` (`cpu` or `rust`).
pub fn simulator_for(net: &Network, backend: Backend) -> Simulator {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(net, backend, &root).expect("build");
    Simulator::load(net, &built.library, &built.cache_key).expect("load")
}

/// [`simulator`] with the network's initial parameters uploaded.
pub fn simulator_with_params(net: &Network) -> Simulator {
    with_params(simulator(net))
}

/// `sim` with its network's initial parameters uploaded.
pub fn with_params(mut sim: Simulator) -> Simulator {
    let net = sim.network().clone();
    let params = init::initial_params(&net, Path::new(".")).expect("params");
    init::upload(&mut sim, &params).expect("upload");
    sim
}

/// A dataset of random spikes with labels.
pub fn random_data(
    seed: u64,
    n_trials: usize,
    units: u32,
    duration_ms: f64,
    classes: u32,
) -> SpikeDataset {
    let mut rng = Rng::new(seed);
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    };
    for k in 0..n_trials {
        for _ in 0..(units as f64 * duration_ms / 8.0) as usize {
            d.times.push(rng.uniform() * duration_ms);
            d.units.push((rng.uniform() * units as f64) as u32 % units);
        }
        d.offsets.push(d.times.len() as u64);
        d.labels
            .as_mut()
            .expect("labels")
            .push((k as u32 % classes) as i64);
    }
    d
}

/// Trials `trials` of `data` binned for `net` (its first population is the input), with their
/// labels: one batch's inputs.
pub fn batch_of(
    net: &Network,
    data: &SpikeDataset,
    trials: &[usize],
) -> (Vec<TrialInput>, Vec<u32>) {
    let n_units = net.populations[0].size;
    let inputs = trials
        .iter()
        .map(|&k| data.bin(k, net.dt_ms, net.n_steps, n_units, Path::new("x")))
        .collect::<Result<_, _>>()
        .expect("bins");
    let labels = trials
        .iter()
        .map(|&k| data.labels.as_ref().expect("labels")[k] as u32)
        .collect();
    (inputs, labels)
}

/// Adam with learning rate `lr` and the usual moments, no decay.
pub fn adam(lr: f64) -> Adam {
    Adam {
        lr,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        decay: 1.0,
        ease_in: None,
    }
}
