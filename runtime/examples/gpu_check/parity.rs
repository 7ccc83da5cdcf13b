//! CPU/GPU parity: every example (as written in f32 and switched to f64) and small random
//! networks, each run on the CPU simulator and the CUDA simulator with the same parameters and
//! data. Passing means: f64 forward spikes identical, readouts and traces within 1e-12 relative,
//! gradients within 1e-9 relative; f32 spikes identical and gradients within 1e-4 relative
//! (differences relative to each array's largest magnitude, see `rgenn_runtime::sim::cuda::parity`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::{Network, Precision};
use rgenn_runtime::build::cache::{self, Built};
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::cuda::parity::{self, ArrayDiff, SpikeDiff};
use rgenn_runtime::sim::cuda::{self, CudaSimulator};
use rgenn_runtime::{Simulator, passes::grad, passes::simulate, sim::init};

use crate::random;

/// One network and its data.
pub struct Case {
    /// Label in the report.
    pub name: String,
    /// The network.
    pub net: Network,
    /// Folder its relative paths start from.
    pub base: PathBuf,
    /// Trials to run.
    pub data: SpikeDataset,
}

/// What one case showed.
#[derive(Default)]
pub struct Outcome {
    /// Label.
    pub name: String,
    /// `f32` or `f64`.
    pub precision: &'static str,
    /// Trials and lanes per batch.
    pub trials: usize,
    /// Lanes.
    pub batch: u32,
    /// CPU spikes over every population and trial.
    pub cpu_spikes: usize,
    /// Spike comparison per population.
    pub spikes: Vec<SpikeDiff>,
    /// Readouts and traces.
    pub forward: Vec<ArrayDiff>,
    /// Loss and gradients.
    pub grads: Vec<ArrayDiff>,
    /// The case could not be run (build, load or run error), or the GPU part was skipped.
    pub error: Option<String>,
    /// Seconds on the CPU and the GPU (simulate + grad).
    pub seconds: (f64, f64),
}

impl Outcome {
    /// The tolerances of the module comment, or `None` when there was nothing to compare.
    pub fn passed(&self) -> Option<bool> {
        if self.error.is_some() {
            return None;
        }
        let f64 = self.precision == "f64";
        let spikes = self.spikes.iter().all(|s| s.differing_trials == 0);
        let forward = !f64 || self.forward.iter().all(|d| d.relative() <= 1e-12);
        let tolerance = if f64 { 1e-9 } else { 1e-4 };
        let grads = self.grads.iter().all(|d| d.relative() <= tolerance);
        Some(spikes && forward && grads)
    }

    /// The largest relative gradient difference.
    pub fn worst_grad(&self) -> Option<&ArrayDiff> {
        self.grads
            .iter()
            .max_by(|a, b| a.relative().total_cmp(&b.relative()))
    }
}

fn precision_name(net: &Network) -> &'static str {
    match net.precision {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    }
}

fn load(name: &str, yaml: &str, base: &Path) -> Result<Network, String> {
    rgenn_codegen::load_str(name, yaml, base)
        .map(|l| l.ir)
        .map_err(|e| {
            let reports: Vec<String> = e.reports().iter().map(|r| r.to_string()).collect();
            format!("{name}: {}", reports.join("; "))
        })
}

/// The examples in f32 and f64, then `n_random` random networks in f64 and f32.
pub fn cases(examples: &Path, n_random: u64) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples)
        .map_err(|e| format!("reading {}: {e}", examples.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        for precision in ["f32", "f64"] {
            let text = text.replacen("precision: f32", &format!("precision: {precision}"), 1);
            let net = load(&format!("{stem}.yaml"), &text, examples)?;
            let input = net.populations[0].size;
            let classes = LossSpec::of(&net).map_err(|e| e.to_string())?.classes;
            let trials = 2 * net.batch_size as usize + 1;
            let spikes = (input as f64 * net.duration_ms * 0.05).ceil() as usize;
            let data = random::dataset(7, trials, input, spikes, net.duration_ms, classes);
            out.push(Case {
                name: format!("{stem} ({precision})"),
                net,
                base: examples.to_path_buf(),
                data,
            });
        }
    }
    for seed in 0..n_random {
        for precision in ["f64", "f32"] {
            let r = random::network(seed, precision);
            let net = load(&format!("random_{seed}.yaml"), &r.yaml, examples)?;
            let trials = 2 * r.batch as usize + 1;
            let spikes = (r.inputs as f64 * r.duration_ms * 0.05).ceil() as usize;
            let data = random::dataset(seed, trials, r.inputs, spikes, r.duration_ms, r.classes);
            out.push(Case {
                name: format!("random {seed} ({precision})"),
                net,
                base: examples.to_path_buf(),
                data,
            });
        }
    }
    Ok(out)
}

/// Libraries of one case: CPU, and CUDA when asked for.
pub type Builds = (Result<Built, String>, Option<Result<Built, String>>);

/// Build every case's libraries on up to `threads` threads (nvcc and the C++ compiler are
/// separate processes, so this runs in parallel).
pub fn build_all(cases: &[Case], root: &Path, gpu: bool, threads: usize) -> Vec<Builds> {
    let jobs: Mutex<Vec<usize>> = Mutex::new((0..cases.len()).rev().collect());
    let results: Mutex<Vec<Option<Builds>>> = Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                while let Some(i) = jobs.lock().expect("no panics").pop() {
                    let net = &cases[i].net;
                    let build = |b| cache::build_in(net, b, root).map_err(|e| e.to_string());
                    let both = (build(Backend::Cpu), gpu.then(|| build(Backend::Cuda)));
                    results.lock().expect("no panics")[i] = Some(both);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no panics")
        .into_iter()
        .map(|r| r.expect("every case was built"))
        .collect()
}

/// Run `case` on the CPU (on `threads` threads) and, when `gpu` holds its CUDA library, on the
/// GPU, and compare.
pub fn run(case: &Case, builds: &Builds, threads: usize) -> Outcome {
    let net = &case.net;
    let mut out = Outcome {
        name: case.name.clone(),
        precision: precision_name(net),
        trials: case.data.len(),
        batch: net.batch_size,
        ..Default::default()
    };
    let result = (|| -> Result<(), String> {
        let params = init::initial_params(net, &case.base).map_err(|e| e.to_string())?;
        let cpu_built = builds.0.as_ref().map_err(|e| format!("CPU build: {e}"))?;
        let at = Path::new("random.npz");
        let start = Instant::now();
        let mut cpu = Simulator::load(net, &cpu_built.library, &cpu_built.cache_key)
            .map_err(|e| e.to_string())?;
        init::upload(&mut cpu, &params).map_err(|e| e.to_string())?;
        let cpu_sim = simulate::simulate(&mut cpu, &case.data, at, threads)
            .map_err(|e| format!("CPU simulate: {e}"))?;
        let cpu_grad =
            grad::grad(&mut cpu, &case.data, at, threads).map_err(|e| format!("CPU grad: {e}"))?;
        out.seconds.0 = start.elapsed().as_secs_f64();
        out.cpu_spikes = cpu_sim.spikes.iter().map(|s| s.units.len()).sum();
        let gpu_built = match &builds.1 {
            None => return Err("GPU part skipped (--cpu-only)".into()),
            Some(b) => b.as_ref().map_err(|e| format!("CUDA build: {e}"))?,
        };
        let start = Instant::now();
        let mut gpu = CudaSimulator::load(net, &gpu_built.library, &gpu_built.cache_key)
            .map_err(|e| e.to_string())?;
        gpu.upload(&params).map_err(|e| e.to_string())?;
        let gpu_sim =
            cuda::simulate(&mut gpu, &case.data, at).map_err(|e| format!("GPU simulate: {e}"))?;
        let gpu_grad =
            cuda::grad(&mut gpu, &case.data, at).map_err(|e| format!("GPU grad: {e}"))?;
        out.seconds.1 = start.elapsed().as_secs_f64();
        let (spikes, forward) = parity::compare_simulations(net, &cpu_sim, &gpu_sim);
        out.spikes = spikes;
        out.forward = forward;
        out.grads = parity::compare_gradients(net, &cpu_grad, &gpu_grad);
        Ok(())
    })();
    out.error = result.err();
    out
}
