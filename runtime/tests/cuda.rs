//! CUDA simulators through the runtime: every example is built with nvcc into the build cache
//! (compile only: skipped with a message when nvcc is absent, unless `RGENN_REQUIRE_NVCC=1`) and
//! its library loads; a missing nvcc is one clear error naming the fix; and, on a machine with a
//! GPU (`--ignored`, run by `scripts/gpu-check.sh`), the GPU matches the CPU on the examples.

use std::path::{Path, PathBuf};
use std::process::Command;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::Network;
use rgenn_codegen::rng::Rng;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::sim::cuda::{self, CudaSimulator, parity};
use rgenn_runtime::{
    BuildError, Simulator, build::cache, build::nvcc, passes::grad, passes::simulate, sim::init,
};

/// The examples the cuda backend runs (not those it refuses, e.g. lane groups), from the examples
/// folder: beside this crate, or `./examples` when the test binary was built on another machine
/// (scripts/gpu-check.sh runs it from the repository root).
fn examples() -> Vec<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let dir = if beside.is_dir() {
        beside
    } else {
        PathBuf::from("examples")
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the examples folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| {
            let net = rgenn_codegen::load_file(p).expect("examples are valid").ir;
            rgenn_codegen::backend::unsupported(&net, Backend::Cuda).is_none()
        })
        .collect();
    files.sort();
    files
}

/// `RGENN_CACHE_DIR` when set (scripts/gpu-check.sh), else a folder of the build's target.
fn cache_root() -> PathBuf {
    std::env::var_os("RGENN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache"))
}

/// True when nvcc is there; prints why not and returns false when it is not, unless
/// `RGENN_REQUIRE_NVCC=1`, where a missing nvcc fails.
fn have_nvcc() -> bool {
    match nvcc::find_nvcc() {
        Ok(_) => true,
        Err(e) if std::env::var("RGENN_REQUIRE_NVCC").as_deref() == Ok("1") => {
            panic!("{e}; RGENN_REQUIRE_NVCC=1 requires nvcc")
        }
        Err(e) => {
            println!("skipped: {e}");
            false
        }
    }
}

#[test]
fn every_example_builds_with_nvcc_through_the_cache_and_loads() {
    if !have_nvcc() {
        return;
    }
    for path in examples() {
        let net = rgenn_codegen::load_file(&path)
            .expect("examples are valid")
            .ir;
        let built = cache::build_in(&net, Backend::Cuda, &cache_root())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(built.library.is_file());
        assert!(built.dir.join("simulator.cu").is_file());
        assert!(built.dir.to_string_lossy().contains("-cuda-"));
        let again = cache::build_in(&net, Backend::Cuda, &cache_root()).expect("cached");
        assert!(!again.compiled, "an unchanged network is not rebuilt");
        assert_eq!(again.library, built.library);
        // Symbols, ABI version and cache key are checked before the GPU is touched, so without a
        // GPU the only possible failure is the CUDA runtime's, explained.
        match CudaSimulator::load(&net, &built.library, &built.cache_key) {
            Ok(mut sim) => sim.status().expect("a fresh simulator is healthy"),
            Err(BuildError::Load { message, .. }) => {
                assert!(message.contains("CUDA error"), "{message}");
                println!("{}: built; no usable GPU here ({message})", net.name);
            }
            Err(e) => panic!("{}: {e}", net.name),
        }
    }
}

#[test]
fn a_missing_nvcc_names_the_fix() {
    // The child runs `child_build_without_nvcc` with an environment in which no nvcc can be found.
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "child_build_without_nvcc",
            "--ignored",
            "--nocapture",
        ])
        .env("RGENN_CHILD_WITHOUT_NVCC", "1")
        .env("RGENN_NVCC", "")
        .env("CUDA_PATH", "/nonexistent-rgenn-cuda")
        .env("PATH", "/nonexistent-rgenn-bin")
        .output()
        .expect("the test binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("child checked the error"), "{text}");
}

#[test]
#[ignore = "run by a_missing_nvcc_names_the_fix in a child process"]
fn child_build_without_nvcc() {
    if std::env::var("RGENN_CHILD_WITHOUT_NVCC").as_deref() != Ok("1") {
        return;
    }
    let net = rgenn_codegen::load_file(&examples()[0]).expect("valid").ir;
    let root = cache_root().join("without-nvcc");
    let e = cache::build_in(&net, Backend::Cuda, &root).expect_err("there is no nvcc");
    let text = e.to_string();
    assert!(matches!(e, BuildError::NvccNotFound { .. }), "{text}");
    for needle in [
        "nvcc",
        "CUDA toolkit",
        "CUDA_PATH",
        "scripts/install-nvcc.sh",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
    println!("child checked the error: {text}");
}

/// A dataset of random spikes with labels.
fn random_data(n_trials: usize, units: u32, duration_ms: f64, classes: u32) -> SpikeDataset {
    let mut rng = Rng::new(11);
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    };
    for k in 0..n_trials {
        for _ in 0..(units as f64 * duration_ms / 10.0) as usize {
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

/// CPU and GPU simulators of `net` with the same initial parameters.
fn pair(net: &Network, base: &Path) -> (Simulator, CudaSimulator) {
    let params = init::initial_params(net, base).expect("params");
    let built = cache::build_in(net, Backend::Cpu, &cache_root()).expect("CPU build");
    let mut cpu = Simulator::load(net, &built.library, &built.cache_key).expect("CPU load");
    init::upload(&mut cpu, &params).expect("CPU upload");
    let mut gpu = CudaSimulator::build_in(net, &cache_root()).expect("GPU build and load");
    gpu.upload(&params).expect("GPU upload");
    (cpu, gpu)
}

#[test]
#[ignore = "needs a CUDA GPU"]
fn examples_match_the_cpu_on_the_gpu() {
    for path in examples() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let base = path.parent().expect("a folder");
        for precision in ["f64", "f32"] {
            let text = text.replacen("precision: f32", &format!("precision: {precision}"), 1);
            let net = rgenn_codegen::load_str("example.yaml", &text, base)
                .expect("valid")
                .ir;
            let inputs = net.populations[0].size;
            let classes = net.populations.last().expect("an output").size;
            let data = random_data(6, inputs, net.duration_ms, classes);
            let (mut cpu, mut gpu) = pair(&net, base);
            let at = Path::new("random.npz");
            let a = simulate::simulate(&mut cpu, &data, at, 1).expect("CPU simulate");
            let b = cuda::simulate(&mut gpu, &data, at).expect("GPU simulate");
            let (spikes, arrays) = parity::compare_simulations(&net, &a, &b);
            for s in &spikes {
                // f64 forward passes are the same operations in the same order: identical spikes.
                if precision == "f64" {
                    assert_eq!(s.differing_trials, 0, "{}: {s:?}", net.name);
                }
            }
            for d in &arrays {
                // Readouts of f64 runs agree to rounding (exp of mean_exp may differ by an ulp).
                if precision == "f64" {
                    assert!(d.relative() <= 1e-12, "{}: {d:?}", net.name);
                }
            }
            let a = grad::grad(&mut cpu, &data, at, 1).expect("CPU grad");
            let b = cuda::grad(&mut gpu, &data, at).expect("GPU grad");
            // Gradients: the same per-synapse sums; rows' dloss_dt sums are formed in another
            // order, so f64 agrees to 1e-9 relative and f32 to 1e-4.
            let tolerance = if precision == "f64" { 1e-9 } else { 1e-4 };
            for d in parity::compare_gradients(&net, &a, &b) {
                assert!(d.relative() <= tolerance, "{} {precision}: {d:?}", net.name);
            }
        }
    }
}
