//! `rgenn eval MODEL.yaml --params P.npz [--data D.npz]`.

use rgenn_codegen::ir::Split;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::train::{self, metrics::Score};

use crate::cli::EvalArgs;

use super::{CliError, build_model, print, threads};

fn line(name: &str, s: Score) -> String {
    format!(
        "{name}: accuracy {:.2}%  loss {:.6}\n",
        100.0 * s.accuracy,
        s.loss
    )
}

/// Run the command.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let mut b = build_model(&args.model, Some(&args.params))?;
    let threads = threads(args.threads);
    if let Some(path) = &args.data {
        let data = SpikeDataset::read(path)?;
        let s = train::evaluate_data(&mut b.sim, data, path, threads)?;
        return print(&line(&path.display().to_string(), s));
    }
    let base_dir = b.loaded.base_dir.clone();
    let mut out = String::new();
    for (name, split) in [("validation", Split::Validation), ("test", Split::Test)] {
        if let Some(s) = train::evaluate_split(&mut b.sim, &base_dir, split, threads)? {
            out.push_str(&line(name, s));
        }
    }
    if out.is_empty() {
        return Err(CliError::Sim(rgenn_runtime::SimError::Network(
            "nothing to evaluate: give --data or add `validation:`/`test:` under `data:`".into(),
        )));
    }
    print(&out)
}
