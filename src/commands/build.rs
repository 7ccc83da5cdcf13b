//! `rgenn build MODEL.yaml`: compile into the build cache and print the library path.

use crate::cli::BuildArgs;

use super::generate::backend_of;
use super::{CliError, print};

/// Run the command.
pub fn run(args: &BuildArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&args.model)?;
    let built = rgenn_runtime::build::cache::build(&loaded.ir, backend_of(args.backend))?;
    let how = if built.compiled {
        "compiled"
    } else {
        "up to date"
    };
    eprintln!("{how}: `{}` ({})", loaded.ir.name, built.dir.display());
    print(&format!("{}\n", built.library.display()))
}
