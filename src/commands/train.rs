//! `rgenn train MODEL.yaml [--epochs N] [--out RUN_DIR] [--params P.npz | --resume]
//! [--backend cpu|rust|cuda]`.

use rgenn_codegen::ir::Split;
use rgenn_runtime::train::{self, TrainOptions, files};

use crate::cli::TrainArgs;
use crate::progress::Printer;

use super::generate::backend_of;
use super::{CliError, threads};

/// Run the command.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    if let Some((line, warning)) = super::trial_length_note(&loaded)? {
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
        progress: !args.quiet,
        profile: args.profile,
    };
    let summary = train::train_with(
        sim.as_mut(),
        &args.model,
        &loaded.base_dir,
        params,
        &opts,
        &mut Printer::stderr(),
    )?;
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
