//! `rgenn grad MODEL.yaml --data D.npz [--params P.npz] --out G.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::passes::grad;

use crate::cli::GradArgs;

use super::{CliError, Session, plural};

/// Run the command.
pub fn run(args: &GradArgs) -> Result<(), CliError> {
    let Session {
        net,
        mut sim,
        data,
        threads,
        how,
    } = Session::open(
        &args.model,
        args.params.as_deref(),
        &args.data,
        args.run.backend,
        args.run.threads,
    )?;
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
