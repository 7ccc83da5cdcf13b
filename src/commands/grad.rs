//! `rgenn grad MODEL.yaml --data D.npz [--params P.npz] --out G.npz`.

use rgenn_runtime::grad;

use crate::cli::GradArgs;

use super::{CliError, plural, prepare, threads};

/// Run the command.
pub fn run(args: &GradArgs) -> Result<(), CliError> {
    let mut p = prepare(&args.model, &args.data, args.params.as_deref())?;
    let net = &p.loaded.ir;
    let threads = threads(args.threads);
    let start = std::time::Instant::now();
    let out = grad::grad(&mut p.sim, &p.data, &args.data, threads)?;
    let elapsed = start.elapsed();
    grad::write_output(net, &out, &args.out)?;
    eprintln!(
        "forward and backward over {} trial{} in {:.3} s ({threads} thread{}): loss {:.6}, accuracy {:.1}%; wrote {}",
        out.n_trials,
        plural(out.n_trials),
        elapsed.as_secs_f64(),
        plural(threads),
        out.loss,
        100.0 * out.accuracy,
        args.out.display()
    );
    Ok(())
}
