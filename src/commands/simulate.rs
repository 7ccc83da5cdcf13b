//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz [--backend cpu|cuda|rust]`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::simulate;

use crate::cli::SimulateArgs;

use super::{CliError, plural, run_label, threads};

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
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
