//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::dist::Communicator;
use rgenn_runtime::passes::simulate;
use rgenn_runtime::sim::engine::Engine;

use crate::cli::SimulateArgs;

use super::{CliError, plural, timed_pass};

/// Run the command as one of the processes of `comm`: each runs its lanes of every batch, and
/// rank 0 writes the (whole) output and reports.
pub fn run(args: &SimulateArgs, comm: &dyn Communicator) -> Result<(), CliError> {
    let pass = |sim: &mut dyn Engine, data: &SpikeDataset, threads| {
        simulate::simulate_on(sim, data, &args.input.data, threads, &mut || false, comm)
    };
    let run = timed_pass(&args.input, &args.run, pass)?;
    if comm.rank() != 0 {
        return Ok(());
    }
    let (net, out, how) = (&run.net, &run.out, &run.how);
    simulate::write_output(net, out, &args.out)?;
    eprintln!(
        "simulated {} trial{} of {} steps in {:.3} s ({how}); wrote {}",
        out.n_trials,
        plural(out.n_trials),
        net.n_steps,
        run.seconds,
        args.out.display()
    );
    Ok(())
}
