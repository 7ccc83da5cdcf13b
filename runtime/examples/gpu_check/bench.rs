//! The GPU benchmark: one training epoch (8,156 trials, the size of SHD's training set: forward,
//! backward and an Adam step per batch) of a 700-256(recurrent)-20 network, 1,000 steps of 1 ms, batch 256, about
//! 5,000 input spikes per trial, learned weights and delays up to 62, 250 and 1,000 steps. Input
//! weights N(0.042, 0.02) make the hidden layer fire about 3,700 spikes per trial (15 Hz), as in
//! the shared SHD-shaped benchmark.
//!
//! Timed: input upload + forward, losses + backward, the optimiser step (lane sums of the gradients
//! and Adam on every weight and delay: lr 1e-3 and 0.1 as in the shared benchmark), each up to the
//! GPU finishing it. Not timed: making the random spikes and binning them on the host. A run that
//! passes its time budget stops early and extrapolates to the epoch. Memory: the simulator's
//! buffers, and the device's used memory (total - free, CUDA context included) at its lowest free.

use std::path::Path;
use std::time::Instant;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;
use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::cpu::TrialInput;
use rgenn_runtime::sim::cuda::CudaSimulator;
use rgenn_runtime::{Simulator, build::cache, passes::grad, sim::init};

use crate::random;

/// Trials in one epoch.
pub const EPOCH_TRIALS: usize = 8156;
/// Longest delays benchmarked, in steps (= ms).
pub const MAX_DELAYS: [u32; 3] = [62, 250, 1000];
/// Input spikes per trial (before removing repeats within a step).
const SPIKES_PER_TRIAL: usize = 5000;

/// The benchmark network with delays up to `max_delay` ms and `batch` lanes.
pub fn network(max_delay: u32, batch: u32) -> Result<Network, String> {
    let yaml = format!(
        "name: gpu_bench_delay{max_delay}\ndt: 1.0\nduration: 1000.0\nprecision: f32\n\
         batch_size: {batch}\nseed: 0\npopulations:\n  input: {{size: 700, model: spike_input}}\n  \
         hidden: {{size: 256, model: lif, params: {{tau_mem: 20.0, tau_syn: 5.0}}}}\n  \
         output: {{size: 20, model: li, params: {{tau_mem: 20.0, tau_syn: 5.0}}, readout: mean_exp}}\n\
         connections:\n  \
         in_hid: {{source: input, target: hidden, weight: {{normal: {{mean: 0.042, sd: 0.02}}}}, delay: {{uniform: {{min: 0.0, max: {max_delay}.0}}}}, max_delay: {max_delay}.0, learn: [weight, delay]}}\n  \
         hid_hid: {{source: hidden, target: hidden, weight: {{normal: {{mean: 0.0, sd: 0.02}}}}, delay: {{uniform: {{min: 0.0, max: {max_delay}.0}}}}, max_delay: {max_delay}.0, learn: [weight, delay]}}\n  \
         hid_out: {{source: hidden, target: output, weight: {{normal: {{mean: 0.0, sd: 0.03}}}}}}\n"
    );
    rgenn_codegen::load_str("gpu_bench.yaml", &yaml, Path::new("."))
        .map(|l| l.ir)
        .map_err(|e| format!("{:?}", e.reports()))
}

/// The binned inputs and labels of batch `index` (`n` trials).
fn batch(net: &Network, index: usize, n: usize) -> Result<(Vec<TrialInput>, Vec<u32>), String> {
    let data = random::dataset(1000 + index as u64, n, 700, SPIKES_PER_TRIAL, 1000.0, 20);
    let inputs = (0..n)
        .map(|k| data.bin(k, net.dt_ms, net.n_steps, 700, Path::new("synthetic")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let labels = data.labels.unwrap_or_default();
    Ok((inputs, labels.iter().map(|&l| l as u32).collect()))
}

/// Adam's arguments for step `t`: weights lr 1e-3, delays lr 0.1, betas 0.9 and 0.999.
fn adam(t: u64) -> [f64; 12] {
    let (b1, b2) = (0.9f64, 0.999f64);
    let (s1, s2) = (
        1.0 / (1.0 - b1.powf(t as f64)),
        1.0 / (1.0 - b2.powf(t as f64)),
    );
    [1e-3, b1, b2, 1e-8, s1, s2, 0.1, b1, b2, 1e-8, s1, s2]
}

/// What one GPU configuration measured.
#[derive(Default)]
pub struct GpuBench {
    /// Longest delay in steps.
    pub max_delay: u32,
    /// nvcc build (or cache lookup) and load, seconds.
    pub build_seconds: f64,
    /// Trials run.
    pub trials: usize,
    /// Seconds: upload + forward, loss + backward, optimiser step.
    pub phases: [f64; 3],
    /// Seconds for `EPOCH_TRIALS` (measured, or extrapolated from `trials`).
    pub epoch_seconds: f64,
    /// Hidden spikes per trial (first batch).
    pub hidden_spikes: f64,
    /// Mean loss of the trials run.
    pub loss: f64,
    /// Bytes of the simulator's buffers.
    pub buffer_bytes: u64,
    /// Device memory in use after loading, and at its peak (bytes), and the device's total.
    pub used: (u64, u64, u64),
    /// Why it did not run.
    pub error: Option<String>,
}

/// Benchmark delays up to `max_delay` on the GPU, stopping after `budget_s` seconds of GPU work.
pub fn gpu(root: &Path, max_delay: u32, budget_s: f64) -> GpuBench {
    let mut r = GpuBench {
        max_delay,
        ..Default::default()
    };
    if let Err(e) = gpu_inner(root, budget_s, &mut r) {
        r.error = Some(e);
    }
    r
}

fn gpu_inner(root: &Path, budget_s: f64, r: &mut GpuBench) -> Result<(), String> {
    let s = |e: rgenn_runtime::SimError| e.to_string();
    let net = network(r.max_delay, 256)?;
    let start = Instant::now();
    let mut sim = CudaSimulator::build_in(&net, root).map_err(|e| e.to_string())?;
    let params = init::initial_params(&net, Path::new(".")).map_err(|e| e.to_string())?;
    sim.upload(&params).map_err(s)?;
    r.build_seconds = start.elapsed().as_secs_f64();
    r.buffer_bytes = sim.buffer_bytes();
    let (free, total) = sim.device_memory().map_err(s)?;
    let mut lowest_free = free;
    let spec = LossSpec::of(&net).map_err(s)?;
    let tape = sim
        .find(Owner::Population(1), Role::TapeCount)
        .ok_or("the hidden population has no spike tape")?;
    let (mut done, mut loss_sum) = (0usize, 0.0);
    for index in 0..EPOCH_TRIALS.div_ceil(256) {
        let n = (EPOCH_TRIALS - done).min(256);
        let (inputs, labels) = batch(&net, index, n)?;
        let t0 = Instant::now();
        sim.forward(&inputs, None).map_err(s)?;
        let t1 = Instant::now();
        if index == 0 {
            let counts = sim.read_f64(tape).map_err(s)?;
            r.hidden_spikes = counts[..n * 256].iter().sum::<f64>() / n as f64;
        }
        let t2 = Instant::now();
        let losses = sim
            .backward(&labels, &spec, 1.0 / EPOCH_TRIALS as f64)
            .map_err(s)?;
        let t3 = Instant::now();
        sim.optimizer_step(n as u32, &adam(index as u64 + 1))
            .map_err(s)?;
        let t4 = Instant::now();
        r.phases[0] += (t1 - t0).as_secs_f64();
        r.phases[1] += (t3 - t2).as_secs_f64();
        r.phases[2] += (t4 - t3).as_secs_f64();
        loss_sum += losses.iter().map(|l| l.loss).sum::<f64>();
        done += n;
        lowest_free = lowest_free.min(sim.device_memory().map_err(s)?.0);
        if r.phases.iter().sum::<f64>() > budget_s {
            break;
        }
    }
    r.trials = done;
    r.loss = loss_sum / done as f64;
    r.epoch_seconds = r.phases.iter().sum::<f64>() * EPOCH_TRIALS as f64 / done as f64;
    r.used = (total - free, total - lowest_free, total);
    Ok(())
}

/// What the CPU reference measured.
#[derive(Default)]
pub struct CpuBench {
    /// Longest delay in steps.
    pub max_delay: u32,
    /// Trials run.
    pub trials: usize,
    /// Threads used.
    pub threads: usize,
    /// Milliseconds per trial (forward + backward).
    pub ms_per_trial: f64,
    /// Hidden spikes per trial.
    pub hidden_spikes: f64,
    /// Why it did not run.
    pub error: Option<String>,
}

/// Forward + backward of `trials` trials on the CPU simulator on `threads` threads.
pub fn cpu(root: &Path, max_delay: u32, trials: usize, threads: usize) -> CpuBench {
    let mut r = CpuBench {
        max_delay,
        trials,
        threads,
        ..Default::default()
    };
    let result = (|| -> Result<(), String> {
        let net = network(max_delay, trials as u32)?;
        let built = cache::build_in(&net, Backend::Cpu, root).map_err(|e| e.to_string())?;
        let mut sim =
            Simulator::load(&net, &built.library, &built.cache_key).map_err(|e| e.to_string())?;
        let params = init::initial_params(&net, Path::new(".")).map_err(|e| e.to_string())?;
        init::upload(&mut sim, &params).map_err(|e| e.to_string())?;
        let data = random::dataset(1000, trials, 700, SPIKES_PER_TRIAL, 1000.0, 20);
        let start = Instant::now();
        grad::grad(&mut sim, &data, Path::new("synthetic"), threads).map_err(|e| e.to_string())?;
        r.ms_per_trial = start.elapsed().as_secs_f64() * 1e3 / trials as f64;
        let tape = sim
            .buffer_index("pop_hidden_tape_count")
            .ok_or("no spike tape")?;
        r.hidden_spikes = sim.read_f64(tape).iter().sum::<f64>() / trials as f64;
        Ok(())
    })();
    r.error = result.err();
    r
}
