//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::passes::simulate;

use crate::cli::SimulateArgs;

use super::{CliError, Session, plural};

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
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
    let out = simulate::simulate(sim.as_mut(), &data, &args.data, threads)?;
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
