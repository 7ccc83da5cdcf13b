//! `rgenn check MODEL.yaml`: validate and print the summary.

use crate::cli::CheckArgs;

use super::{CliError, print};

/// Run the command.
pub fn run(args: &CheckArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    print(&rgenn_codegen::summary::render(&loaded.ir))
}
