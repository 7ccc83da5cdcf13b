//! `rgenn simulate MODEL.yaml --data D.npz [--params P.npz] --out OUT.npz`.

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::{Simulator, init, simulate};

use crate::cli::SimulateArgs;

use super::CliError;

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let loaded = rgenn_codegen::load_file(&args.model)?;
    let net = &loaded.ir;
    let data = SpikeDataset::read(&args.data)?;
    let mut params = init::initial_params(net, &loaded.base_dir)?;
    if let Some(p) = &args.params {
        init::read_params(net, p, &mut params)?;
    }
    let mut sim = Simulator::build(net)?;
    init::upload(&mut sim, &params)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = std::time::Instant::now();
    let out = simulate::simulate(&mut sim, &data, &args.data, threads)?;
    let elapsed = start.elapsed();
    simulate::write_output(net, &out, &args.out)?;
    eprintln!(
        "simulated {} trial{} of {} steps in {:.3} s ({threads} thread{}); wrote {}",
        out.n_trials,
        if out.n_trials == 1 { "" } else { "s" },
        net.n_steps,
        elapsed.as_secs_f64(),
        if threads == 1 { "" } else { "s" },
        args.out.display()
    );
    Ok(())
}
