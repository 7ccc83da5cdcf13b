//! The training driver (`rgenn train`) on the GPU next to the CPU: the same epochs from the same
//! start, with per-epoch accuracies, the largest parameter difference at the end and the time
//! per epoch.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rgenn_codegen::backend::Backend;
use rgenn_runtime::sim::cuda::CudaSimulator;
use rgenn_runtime::sim::engine::Engine;
use rgenn_runtime::train::{self, TrainOptions, TrainSummary};
use rgenn_runtime::{Simulator, build::cache, sim::init};

/// One network trained on both.
pub struct TrainingCase {
    /// Example and precision.
    pub name: String,
    /// Epochs run.
    pub epochs: u32,
    /// Per epoch: (CPU, GPU) training accuracy.
    pub accuracies: Vec<(f64, f64)>,
    /// Largest relative difference of any final weight or delay.
    pub max_param_diff: f64,
    /// Seconds per epoch (CPU, GPU), validation and test passes included.
    pub seconds: (f64, f64),
    /// Why the case did not run, if it did not.
    pub error: Option<String>,
}

/// Train `example` (switched to `precision`) for `epochs` on the CPU and on the GPU.
pub fn run(
    examples: &Path,
    root: &Path,
    example: &str,
    precision: &str,
    epochs: u32,
) -> TrainingCase {
    let mut case = TrainingCase {
        name: format!("{example} ({precision})"),
        epochs,
        accuracies: Vec::new(),
        max_param_diff: f64::NAN,
        seconds: (f64::NAN, f64::NAN),
        error: None,
    };
    if let Err(e) = run_inner(examples, root, example, precision, &mut case) {
        case.error = Some(e);
    }
    case
}

fn run_inner(
    examples: &Path,
    root: &Path,
    example: &str,
    precision: &str,
    case: &mut TrainingCase,
) -> Result<(), String> {
    let text = std::fs::read_to_string(examples.join(format!("{example}.yaml")))
        .map_err(|e| e.to_string())?
        .replacen("precision: f32", &format!("precision: {precision}"), 1);
    let dir: PathBuf = root.join(format!("training-{example}-{precision}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let model = dir.join(format!("{example}.yaml"));
    std::fs::write(&model, &text).map_err(|e| e.to_string())?;
    let net = rgenn_codegen::load_file(&model)
        .map_err(|e| format!("{e:?}"))?
        .ir;
    let params = init::initial_params(&net, &dir).map_err(|e| e.to_string())?;
    let opts = |name: &str| TrainOptions {
        epochs: Some(case.epochs),
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        out_dir: dir.join(name),
        resume: false,
        progress: false,
        profile: false,
    };
    let built = cache::build_in(&net, Backend::Cpu, root).map_err(|e| e.to_string())?;
    let mut cpu =
        Simulator::load(&net, &built.library, &built.cache_key).map_err(|e| e.to_string())?;
    let mut gpu = CudaSimulator::build_in(&net, root).map_err(|e| e.to_string())?;
    let (a, ta) = timed(&mut cpu, &model, &dir, &params, &opts("cpu"))?;
    let (b, tb) = timed(&mut gpu, &model, &dir, &params, &opts("gpu"))?;
    case.seconds = (ta / case.epochs as f64, tb / case.epochs as f64);
    case.accuracies = a
        .records
        .iter()
        .zip(&b.records)
        .map(|(x, y)| (x.train.accuracy, y.train.accuracy))
        .collect();
    let flat = |s: &TrainSummary| -> Vec<f64> {
        s.params
            .weights
            .iter()
            .chain(&s.params.delays_ms)
            .flatten()
            .copied()
            .collect()
    };
    case.max_param_diff = flat(&a)
        .iter()
        .zip(flat(&b))
        .map(|(x, y)| (x - y).abs() / x.abs().max(1e-12))
        .fold(0.0, f64::max);
    Ok(())
}

fn timed<E: Engine>(
    sim: &mut E,
    model: &Path,
    dir: &Path,
    params: &init::Params,
    opts: &TrainOptions,
) -> Result<(TrainSummary, f64), String> {
    let clock = Instant::now();
    let summary = train::train(sim, model, dir, params.clone(), opts).map_err(|e| e.to_string())?;
    Ok((summary, clock.elapsed().as_secs_f64()))
}
