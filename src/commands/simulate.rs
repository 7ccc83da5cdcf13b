//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz`.

use rgenn_runtime::simulate;

use crate::cli::SimulateArgs;

use super::{CliError, plural, prepare, threads};

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let mut p = prepare(&args.model, &args.data, args.params.as_deref())?;
    let net = &p.loaded.ir;
    let threads = threads(args.threads);
    let start = std::time::Instant::now();
    let out = simulate::simulate(&mut p.sim, &p.data, &args.data, threads)?;
    let elapsed = start.elapsed();
    simulate::write_output(net, &out, &args.out)?;
    eprintln!(
        "simulated {} trial{} of {} steps in {:.3} s ({threads} thread{}); wrote {}",
        out.n_trials,
        plural(out.n_trials),
        net.n_steps,
        elapsed.as_secs_f64(),
        plural(threads),
        args.out.display()
    );
    Ok(())
}
