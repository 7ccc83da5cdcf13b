//! `rgenn grad MODEL.yaml --data D.npz [--params P.npz] --out G.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::dist::Communicator;
use rgenn_runtime::passes::grad;
use rgenn_runtime::sim::engine::Engine;

use crate::cli::GradArgs;

use super::{CliError, plural, timed_pass};

/// Run the command as one of the processes of `comm`: each runs its lanes of every batch, and
/// rank 0 writes the (same) gradients and reports.
pub fn run(args: &GradArgs, comm: &dyn Communicator) -> Result<(), CliError> {
    let pass = |sim: &mut dyn Engine, data: &SpikeDataset, threads| {
        grad::grad_on(sim, data, &args.input.data, threads, &mut || false, comm)
    };
    let run = timed_pass(&args.input, &args.run, pass)?;
    if comm.rank() != 0 {
        return Ok(());
    }
    let (net, out, how) = (&run.net, &run.out, &run.how);
    grad::write_output(net, out, &args.out)?;
    eprintln!(
        "forward and backward over {} trial{} in {:.3} s ({how}): loss {:.6}, accuracy {:.1}%; wrote {}",
        out.n_trials,
        plural(out.n_trials),
        run.seconds,
        out.loss,
        100.0 * out.accuracy,
        args.out.display()
    );
    Ok(())
}
