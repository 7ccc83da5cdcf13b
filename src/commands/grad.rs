//! `rgenn grad MODEL.yaml --data D.npz [--params P.npz] --out G.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad;

use crate::cli::GradArgs;

use super::{CliError, plural, run_label, threads};

/// Run the command.
pub fn run(args: &GradArgs) -> Result<(), CliError> {
    let backend = super::generate::backend_of(args.backend);
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let (mut sim, _) = rgenn_runtime::open(
        &loaded.ir,
        &loaded.base_dir,
        backend,
        args.params.as_deref(),
    )?;
    let data = SpikeDataset::read(&args.data)?;
    let threads = threads(args.threads);
    let how = run_label(backend, threads);
    let net = loaded.ir;
    let start = std::time::Instant::now();
    let out = grad::grad(sim.as_mut(), &data, &args.data, threads)?;
    let elapsed = start.elapsed();
    grad::write_output(&net, &out, &args.out)?;
    eprintln!(
        "forward and backward over {} trial{} in {:.3} s ({how}): loss {:.6}, accuracy {:.1}%; wrote {}",
        out.n_trials,
        plural(out.n_trials),
        elapsed.as_secs_f64(),
        out.loss,
        100.0 * out.accuracy,
        args.out.display()
    );
    Ok(())
}
