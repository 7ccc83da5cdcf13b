//! The `rgenn` command: parse arguments, run one command, render its error, map it to an exit code.

mod cli;
mod commands;
mod progress;
mod ranks;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use commands::CliError;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let ranks = ranks::Ranks::start();
    let comm = ranks.comm();
    let result = match cli.command {
        cli::Command::Check(args) => commands::check::run(&args),
        cli::Command::Generate(args) => commands::generate::run(&args),
        cli::Command::Build(args) => commands::build::run(&args),
        cli::Command::Simulate(args) => commands::simulate::run(&args, comm),
        cli::Command::Grad(args) => commands::grad::run(&args, comm),
        cli::Command::Train(args) => commands::train::run(&args, comm),
        cli::Command::Eval(args) => commands::eval::run(&args, comm),
        cli::Command::Bench(args) => commands::bench::run(&args),
        cli::Command::Data(args) => commands::data::run(&args),
        cli::Command::Nir(args) => commands::nir::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => ranks.fail(&e, report),
    }
}

fn report(e: &CliError) {
    let stderr = std::io::stderr();
    let out = match e {
        CliError::Load(load) => load.render(stderr.is_terminal()),
        other => {
            let mut out = format!("error: {other}\n");
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                out.push_str(&format!("  caused by: {s}\n"));
                source = s.source();
            }
            out
        }
    };
    let _ = stderr.lock().write_all(out.as_bytes());
}
