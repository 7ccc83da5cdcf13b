//! GPU check: CPU/GPU parity on every example and on small random networks, and the GPU
//! benchmark, written as one markdown report. `scripts/gpu-check.sh` builds and runs it on a GPU
//! machine; with `--cpu-only` it runs everything but the GPU (generation, builds, CPU reference
//! runs) anywhere. Exits with 1 when a parity case fails or (without `--cpu-only`) cannot run.
//!
//! Usage: `gpu_check [--out REPORT.md] [--cache DIR] [--examples DIR] [--random N] [--cpu-only]
//! [--quick] [--skip-bench] [--bench-seconds S] [--cpu-bench-trials N]`

mod bench;
mod parity;
mod random;
mod report;
mod training;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Command-line options.
struct Options {
    out: PathBuf,
    cache: PathBuf,
    examples: PathBuf,
    random: u64,
    cpu_only: bool,
    skip_bench: bool,
    bench_seconds: f64,
    cpu_bench_trials: usize,
}

fn options() -> Result<Options, String> {
    let examples = if std::path::Path::new("examples").is_dir() {
        PathBuf::from("examples")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
    };
    let mut o = Options {
        out: PathBuf::from("gpu-check-report.md"),
        cache: std::env::var_os("RGENN_CACHE_DIR")
            .map_or_else(|| PathBuf::from("target/gpu-check-cache"), PathBuf::from),
        examples,
        random: 12,
        cpu_only: false,
        skip_bench: false,
        bench_seconds: 60.0,
        cpu_bench_trials: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |v: String| v.parse::<f64>().map_err(|e| format!("`{v}`: {e}"));
        match a.as_str() {
            "--out" => o.out = value("--out")?.into(),
            "--cache" => o.cache = value("--cache")?.into(),
            "--examples" => o.examples = value("--examples")?.into(),
            "--random" => o.random = number(value("--random")?)? as u64,
            "--cpu-only" => o.cpu_only = true,
            "--skip-bench" => o.skip_bench = true,
            "--bench-seconds" => o.bench_seconds = number(value("--bench-seconds")?)?,
            "--cpu-bench-trials" => {
                o.cpu_bench_trials = number(value("--cpu-bench-trials")?)? as usize
            }
            "--quick" => {
                o.random = 3;
                o.bench_seconds = 5.0;
                o.cpu_bench_trials = 2;
            }
            "-h" | "--help" => {
                return Err("usage: gpu_check [--out REPORT.md] [--cache DIR] [--examples DIR] [--random N] [--cpu-only] [--quick] [--skip-bench] [--bench-seconds S] [--cpu-bench-trials N]".into());
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = Instant::now();
    let mut text = String::from("# rgenn GPU check\n\n");
    text.push_str(&format!(
        "- mode: {}\n- rgenn {}; CUDA_ARCH={}; cache {}\n- host threads: {threads}\n",
        if o.cpu_only {
            "CPU only (no GPU runs)"
        } else {
            "CPU and GPU"
        },
        env!("CARGO_PKG_VERSION"),
        std::env::var("CUDA_ARCH").unwrap_or_else(|_| "(default)".into()),
        o.cache.display()
    ));
    match rgenn_runtime::build::nvcc::find_nvcc() {
        Ok(c) => text.push_str(&format!("- nvcc: {}\n\n", c.identity)),
        Err(e) => text.push_str(&format!("- nvcc: {e}\n\n")),
    }
    let cases = match parity::cases(&o.examples, o.random) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("making the parity cases: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("gpu_check: building {} parity cases", cases.len());
    let builds = parity::build_all(&cases, &o.cache, true, threads);
    let mut outcomes = Vec::new();
    for (case, built) in cases.iter().zip(&builds) {
        let gpu = if o.cpu_only { None } else { built.1.clone() };
        let outcome = parity::run(case, &(built.0.clone(), gpu), threads);
        let status = match outcome.passed() {
            Some(true) => "pass".to_string(),
            Some(false) => "FAIL".to_string(),
            None => format!("not run: {}", outcome.error.as_deref().unwrap_or("")),
        };
        eprintln!("gpu_check: {}: {status}", case.name);
        outcomes.push(outcome);
    }
    report::parity(&mut text, &outcomes);
    if !o.skip_bench {
        let mut gpu = Vec::new();
        if !o.cpu_only {
            for d in bench::MAX_DELAYS {
                eprintln!("gpu_check: benchmark, delays up to {d} steps");
                gpu.push(bench::gpu(&o.cache, d, o.bench_seconds));
            }
        }
        eprintln!("gpu_check: CPU reference, delays up to 62 steps");
        let cpu = vec![bench::cpu(&o.cache, 62, o.cpu_bench_trials, threads)];
        report::bench(&mut text, &gpu, &cpu);
    }
    if !o.cpu_only {
        let cases = [("sequence_detection", "f64", 20), ("yin_yang", "f32", 3)];
        let mut trained = Vec::new();
        for (example, precision, epochs) in cases {
            eprintln!("gpu_check: training {example} ({precision}) on CPU and GPU");
            trained.push(training::run(
                &o.examples,
                &o.cache,
                example,
                precision,
                epochs,
            ));
        }
        report::training(&mut text, &trained);
    }
    let (_, failed, not_run) = report::tally(&outcomes);
    text.push_str(&format!(
        "\nTotal time of the check: {:.0} s.\n",
        start.elapsed().as_secs_f64()
    ));
    if let Err(e) = rgenn_runtime::fsutil::write_atomic(&o.out, text.as_bytes()) {
        eprintln!("writing {}: {e}", o.out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("gpu_check: wrote {}", o.out.display());
    if failed > 0 || (!o.cpu_only && not_run > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
