//! `rgenn generate MODEL.yaml [--emit-ir]`: print the IR or write the sources of a backend.

use crate::cli::GenerateArgs;

use super::{CliError, print};

/// Run the command.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let loaded = rgenn_codegen::load_file(&args.model)?;
    if args.emit_ir || args.out.is_none() {
        let mut json = loaded.ir.to_json();
        json.push('\n');
        return print(&json);
    }
    Err(CliError::Io(
        "generating sources".into(),
        std::io::Error::other("the cpu backend is not available yet in this build; use --emit-ir"),
    ))
}
