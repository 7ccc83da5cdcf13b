//! `rgenn eval MODEL.yaml --params P.npz [--data D.npz] [--backend cpu|rust|cuda]`.

use rgenn_codegen::ir::Split;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::dist::Communicator;
use rgenn_runtime::train::{self, metrics::Score};

use crate::cli::EvalArgs;

use super::{CliError, print, threads};

fn line(name: &str, s: Score) -> String {
    format!(
        "{name}: accuracy {:.2}%  loss {:.6}\n",
        100.0 * s.accuracy,
        s.loss
    )
}

/// Run the command as one of the processes of `comm`: each runs its lanes of every batch, and
/// rank 0 prints the scores.
pub fn run(args: &EvalArgs, comm: &dyn Communicator) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let backend = super::generate::backend_of(args.run.backend);
    let (mut sim, _) =
        rgenn_runtime::open(&loaded.ir, &loaded.base_dir, backend, Some(&args.params))?;
    let threads = threads(args.run.threads);
    if let Some(path) = &args.data {
        let data = SpikeDataset::read(path)?;
        let s = train::evaluate_data_on(sim.as_mut(), data, path, threads, comm)?;
        if comm.rank() != 0 {
            return Ok(());
        }
        return print(&line(&path.display().to_string(), s));
    }
    let base_dir = loaded.base_dir.clone();
    let mut out = String::new();
    for (name, split) in [("validation", Split::Validation), ("test", Split::Test)] {
        if let Some(s) = train::evaluate_split_on(sim.as_mut(), &base_dir, split, threads, comm)? {
            out.push_str(&line(name, s));
        }
    }
    if out.is_empty() {
        return Err(CliError::Sim(rgenn_runtime::SimError::Network(
            "nothing to evaluate: give --data or add `validation:`/`test:` under `data:`".into(),
        )));
    }
    if comm.rank() != 0 {
        return Ok(());
    }
    print(&out)
}
