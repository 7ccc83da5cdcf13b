//! `rgenn bench MODEL.yaml --data D.npz [--params P.npz] [--threads N] [--batch B] [--lane-group G]
//! [--repeat R] [--backend cpu|rust|cuda]`.

use rgenn_codegen::backend::Backend;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::sim::profile::peak_rss_bytes;
use rgenn_runtime::train::bench::{self, BenchOptions};

use crate::cli::BenchArgs;

use super::{CliError, print, threads};

/// Run the command.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let mut net = loaded.ir.clone();
    if let Some(b) = args.batch {
        if b == 0 {
            return Err(CliError::Sim(rgenn_runtime::SimError::Network(
                "--batch must be at least 1".into(),
            )));
        }
        net.batch_size = b;
    }
    if let Some(g) = args.lane_group {
        if !g.is_power_of_two() {
            return Err(CliError::Sim(rgenn_runtime::SimError::Network(format!(
                "--lane-group must be a power of two (1, 2, 4, ...), found {g}"
            ))));
        }
        net.lane_group = g;
    }
    let data = SpikeDataset::read(&args.data)?;
    let backend = super::generate::backend_of(args.backend);
    let (mut sim, params) =
        rgenn_runtime::open(&net, &loaded.base_dir, backend, args.params.as_deref())?;
    let threads = threads(args.threads);
    let opts = BenchOptions {
        threads,
        warmup: args.warmup,
        examples: args.examples,
        rounds: args.repeat,
    };
    let rounds = bench::bench(sim.as_mut(), &params, &data, &args.data, &opts)?;
    let (profile, [min, median, max]) =
        bench::best_round(&rounds).expect("at least one timed round");
    let mut out = format!(
        "{} ({} backend): batch {}{}, {threads} thread{}, {} examples timed after {} warm-up{}\n",
        net.name,
        backend.name(),
        net.batch_size,
        if net.lane_group > 1 {
            format!(" in lane groups of {}", net.lane_group)
        } else {
            String::new()
        },
        if threads == 1 { "" } else { "s" },
        profile.examples,
        args.warmup,
        if rounds.len() > 1 {
            format!(", fastest of {} rounds", rounds.len())
        } else {
            String::new()
        }
    );
    if backend == Backend::Cpu {
        // (the build has already refused flags that change results)
        let extra = rgenn_runtime::build::cxxflags::from_env().unwrap_or_default();
        if !extra.is_empty() {
            out.push_str(&format!(
                "C++ flags added by {}: {}\n",
                rgenn_runtime::build::cxxflags::VAR,
                extra.join(" ")
            ));
        }
    }
    out.push_str(&profile.report());
    if rounds.len() > 1 {
        out.push_str(&format!(
            "{min:.2} / {median:.2} / {max:.2} ms per training example over {} rounds (min / median / max)\n",
            rounds.len()
        ));
    }
    if backend == Backend::Cuda {
        out.push_str(
            "(the CUDA kernels do not time their phases: only the host split is measured)\n",
        );
    }
    if let Some(rss) = peak_rss_bytes() {
        out.push_str(&format!(
            "{:.1} MB peak resident memory\n",
            rss as f64 / 1e6
        ));
    }
    print(&out)
}
