//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::{cuda, simulate};

use rgenn_codegen::backend::Backend;

use crate::cli::{BackendArg, SimulateArgs};

use super::{CliError, plural, prepare, threads};

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let start;
    let (net, out, how) = match args.backend {
        BackendArg::Cpu | BackendArg::Rust => {
            let backend = super::generate::backend_of(args.backend);
            let mut p = prepare(&args.model, &args.data, args.params.as_deref(), backend)?;
            let threads = threads(args.threads);
            start = std::time::Instant::now();
            let out = simulate::simulate(&mut p.sim, &p.data, &args.data, threads)?;
            (
                p.loaded.ir,
                out,
                format!(
                    "{threads} thread{}{}",
                    plural(threads),
                    if backend == Backend::Rust {
                        ", rust"
                    } else {
                        ""
                    }
                ),
            )
        }
        BackendArg::Cuda => {
            let (loaded, mut sim) = super::cuda_model(&args.model, args.params.as_deref())?;
            let data = SpikeDataset::read(&args.data)?;
            start = std::time::Instant::now();
            let out = cuda::simulate(&mut sim, &data, &args.data)?;
            (loaded.ir, out, "CUDA".to_string())
        }
    };
    let elapsed = start.elapsed();
    simulate::write_output(&net, &out, &args.out)?;
    eprintln!(
        "simulated {} trial{} of {} steps in {:.3} s ({how}); wrote {}",
        out.n_trials,
        plural(out.n_trials),
        net.n_steps,
        elapsed.as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
