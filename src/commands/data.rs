//! `rgenn data verify|convert`: check downloaded SHD/SSC files against their published MD5 sums
//! and convert SHD/SSC HDF5 files to spike-dataset `.npz` files. The clap types live here (not in
//! `cli.rs`) so that the subcommand group stays in one file; the work is in `rgenn_runtime::data::shd`.

use std::path::PathBuf;

use clap::Subcommand;
use rgenn_runtime::DataError;
use rgenn_runtime::data::shd::{self, verify::Verdict};

use super::{CliError, plural, print};

/// `rgenn data`.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DataCommand,
}

/// `rgenn data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Check files against the published MD5 sums (shd_train.h5.gz, shd_test.h5.gz, ...) or --md5.
    Verify(VerifyArgs),
    /// Convert an SHD/SSC HDF5 file to a spike-dataset .npz (needs the `hdf5` feature).
    Convert(ConvertArgs),
}

/// `rgenn data verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Files to check (matched to published sums by file name).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Expected MD5 (32 hex digits) instead of the published sum; only with one file.
    #[arg(long)]
    pub md5: Option<String>,
}

/// `rgenn data convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The SHD/SSC HDF5 file (e.g. shd_train.h5, unzipped).
    pub input: PathBuf,
    /// Output spike dataset (.npz: times in ms, units, offsets, labels, speakers).
    #[arg(long)]
    pub out: PathBuf,
}

/// Run the command.
pub fn run(args: &DataArgs) -> Result<(), CliError> {
    match &args.command {
        DataCommand::Verify(a) => verify(a),
        DataCommand::Convert(a) => convert(a),
    }
}

fn verify(args: &VerifyArgs) -> Result<(), CliError> {
    if args.md5.is_some() && args.files.len() > 1 {
        return Err(CliError::Io(
            "data verify".into(),
            std::io::Error::other("--md5 checks one file; give one file with it"),
        ));
    }
    let mut failed = Vec::new();
    for f in &args.files {
        let line = match shd::verify::verify(f, args.md5.as_deref())? {
            Verdict::Match { actual, source } => {
                format!("ok        {}  {actual}  ({source})\n", f.display())
            }
            Verdict::Mismatch {
                actual,
                expected,
                source,
            } => {
                failed.push(f.display().to_string());
                format!(
                    "MISMATCH  {}  {actual}, expected {expected} ({source}): damaged, incomplete or a different file\n",
                    f.display()
                )
            }
            Verdict::Unknown { actual } => {
                failed.push(f.display().to_string());
                format!(
                    "UNKNOWN   {}  {actual}  (no published sum for this file name; compare by hand or pass --md5)\n",
                    f.display()
                )
            }
        };
        print(&line)?;
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(DataError::Invalid {
        path: PathBuf::from(&failed[0]),
        message: format!(
            "{} of {} file{} could not be verified: {}",
            failed.len(),
            args.files.len(),
            plural(args.files.len()),
            failed.join(", ")
        ),
    }
    .into())
}

fn convert(args: &ConvertArgs) -> Result<(), CliError> {
    let file = shd::read(&args.input)?;
    shd::write_npz(&args.out, &file.data, file.speakers.as_deref())?;
    let classes = file
        .data
        .labels
        .as_ref()
        .and_then(|l| l.iter().max())
        .map_or(0, |m| m + 1);
    print(&format!(
        "wrote {}: {} examples, {} spikes, {} classes{}\n",
        args.out.display(),
        file.data.len(),
        file.data.times.len(),
        classes,
        if file.speakers.is_some() {
            ", speakers"
        } else {
            ""
        }
    ))
}
