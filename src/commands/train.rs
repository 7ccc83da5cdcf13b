//! `rgenn train MODEL.yaml [--epochs N] [--out RUN_DIR] [--params P.npz | --resume]
//! [--backend cpu|rust|cuda]`.

use rgenn_codegen::ir::Split;
use rgenn_runtime::dist::Communicator;
use rgenn_runtime::train::observer::Silent;
use rgenn_runtime::train::{self, Observer, TrainOptions, files};

use crate::cli::TrainArgs;
use crate::progress::Printer;

use super::generate::backend_of;
use super::{CliError, threads};

/// Run the command as one of the processes of `comm` (docs/distributed.md): rank 0 reports and
/// writes the run folder.
pub fn run(args: &TrainArgs, comm: &dyn Communicator) -> Result<(), CliError> {
    let root = comm.rank() == 0;
    let loaded = rgenn_runtime::load_network(&args.model)?;
    if let Some((line, warning)) = super::trial_length_note(&loaded)?
        && root
    {
        if !args.quiet {
            eprintln!("{line}");
        }
        if let Some(w) = warning {
            eprintln!("warning: {w}");
        }
    }
    let backend = backend_of(args.backend);
    let (mut sim, params) = rgenn_runtime::open(
        &loaded.ir,
        &loaded.base_dir,
        backend,
        args.params.as_deref(),
    )?;
    let opts = TrainOptions {
        epochs: args.epochs,
        threads: threads(args.threads),
        out_dir: args.out.clone(),
        resume: args.resume,
        progress: !args.quiet && root,
        profile: args.profile && root,
    };
    let mut printer = Printer::stderr();
    let mut silent = Silent;
    let observer: &mut dyn Observer = if root { &mut printer } else { &mut silent };
    let summary = train::train_on(
        sim.as_mut(),
        &args.model,
        &loaded.base_dir,
        params,
        &opts,
        observer,
        comm,
    )?;
    if !root {
        return Ok(());
    }
    let last = summary.records.last();
    let chosen_by = match summary.selection {
        Some(Split::Validation) => "validation accuracy",
        Some(Split::Test) => {
            "test accuracy (no validation split: the test set chose these parameters)"
        }
        _ => "training accuracy (no validation or test split)",
    };
    eprintln!("parameters selected on {}", summary.protocol);
    if let Some(r) = train::result::selected_epoch(&summary)
        && let (Some(Split::Validation), Some(t)) = (summary.selection, r.test)
    {
        eprintln!(
            "test accuracy at the selected epoch {}: {:.1}% (loss {:.4})",
            r.epoch,
            100.0 * t.accuracy,
            t.loss
        );
    }
    eprintln!(
        "{} epoch{}{}; best {:.1}% by {chosen_by}; wrote {}/{{{}, {}, {}, {}, {}}}",
        summary.records.len(),
        if summary.records.len() == 1 { "" } else { "s" },
        if summary.stopped_early {
            " (stopped early)"
        } else {
            ""
        },
        100.0 * summary.best_accuracy,
        args.out.display(),
        files::BEST,
        files::LAST,
        files::METRICS,
        files::CHECKPOINT,
        files::RESULT
    );
    if let Some(r) = last
        && let Some(t) = r.test
    {
        eprintln!(
            "last epoch test accuracy {:.1}% (loss {:.4})",
            100.0 * t.accuracy,
            t.loss
        );
    }
    Ok(())
}
