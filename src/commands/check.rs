//! `rgenn check MODEL.yaml [--show-adjoint]`: validate and print the summary (and the code derived
//! for models written as ODEs).

use crate::cli::CheckArgs;

use super::{CliError, print};

/// Run the command.
pub fn run(args: &CheckArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let mut text = rgenn_codegen::summary::render(&loaded.ir);
    if let Some((line, warning)) = super::trial_length_note(&loaded)? {
        text.push_str(&format!("{line}\n"));
        if let Some(w) = warning {
            eprintln!("warning: {w}");
        }
    }
    if args.show_adjoint {
        let derived = rgenn_codegen::summary::derivations(&loaded.ir);
        if derived.is_empty() {
            text.push_str("\nno model of this network is written as ODEs: nothing was derived\n");
        } else {
            text.push_str(&derived);
        }
    }
    print(&text)
}
