//! `rgenn nir import|export`: move networks between NIR graphs (`.nir` files) and rgenn YAML. The
//! clap types live here (not in `cli.rs`) so that the subcommand group stays in one file; the
//! work is in `rgenn_runtime::nir`. Reading and writing `.nir` files needs the `hdf5` feature.

use std::path::PathBuf;

use clap::Subcommand;
use rgenn_runtime::nir::{self, ImportOptions, Spike, TimeUnit};
use rgenn_runtime::sim::init;

use super::{CliError, plural};

/// `rgenn nir`.
#[derive(Debug, clap::Args)]
pub struct NirArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NirCommand,
}

/// `rgenn nir` subcommands.
#[derive(Debug, Subcommand)]
pub enum NirCommand {
    /// Convert a NIR graph (.nir) to a network YAML (needs the `hdf5` feature).
    Import(ImportArgs),
    /// Convert a network YAML and its parameters to a NIR graph (.nir; needs the `hdf5` feature).
    Export(ExportArgs),
}

/// `rgenn nir import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The NIR file.
    pub input: PathBuf,
    /// Output network YAML (large weight matrices go to a .npz of the same name beside it).
    #[arg(long)]
    pub out: PathBuf,
    /// Size of one spike: dirac (NIR read literally), jump (the weight is added to the current,
    /// as Norse exports) or step:SECONDS (a unit pulse one export step long, as snnTorch exports).
    #[arg(long, default_value = "dirac", value_parser = parse_spike)]
    pub spike: Spike,
    /// Time unit of the file's time constants and delays.
    #[arg(long, default_value = "s", value_parser = parse_unit)]
    pub time_unit: TimeUnit,
    /// rgenn time step in ms.
    #[arg(long, default_value_t = 1.0)]
    pub dt: f64,
    /// Trial length in ms written to the YAML (NIR files have none).
    #[arg(long, default_value_t = 100.0)]
    pub duration: f64,
}

/// `rgenn nir export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Weights and delays (.npz with <conn>.weight, <conn>.delay in ms), e.g. a run's params.npz
    /// (default: the YAML's initialisers).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Output NIR file.
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_spike(s: &str) -> Result<Spike, String> {
    match s {
        "dirac" => Ok(Spike::Dirac),
        "jump" => Ok(Spike::Jump),
        _ => match s.strip_prefix("step:").map(str::parse::<f64>) {
            Some(Ok(dt)) if dt > 0.0 && dt.is_finite() => Ok(Spike::Step(dt)),
            _ => Err("expected dirac, jump or step:SECONDS (e.g. step:0.0001)".into()),
        },
    }
}

fn parse_unit(s: &str) -> Result<TimeUnit, String> {
    match s {
        "s" => Ok(TimeUnit::Seconds),
        "ms" => Ok(TimeUnit::Millis),
        _ => Err("expected s or ms".into()),
    }
}

/// Run the command.
pub fn run(args: &NirArgs) -> Result<(), CliError> {
    match &args.command {
        NirCommand::Import(a) => import(a),
        NirCommand::Export(a) => export(a),
    }
}

fn import(a: &ImportArgs) -> Result<(), CliError> {
    let opts = ImportOptions {
        spike: a.spike,
        time_unit: a.time_unit,
        dt_ms: a.dt,
    };
    let s = nir::import_file(&a.input, &a.out, &opts, a.duration)?;
    let (np, nc) = (s.net.populations.len(), s.net.connections.len());
    let params = s
        .params
        .map(|p| format!(" and {}", p.display()))
        .unwrap_or_default();
    eprintln!(
        "imported {} ({np} population{}, {nc} connection{}); wrote {}{params}",
        a.input.display(),
        plural(np),
        plural(nc),
        a.out.display()
    );
    Ok(())
}

fn export(a: &ExportArgs) -> Result<(), CliError> {
    let loaded = rgenn_runtime::load_network(&a.model)?;
    let mut params = init::initial_params(&loaded.ir, &loaded.base_dir)?;
    if let Some(p) = &a.params {
        init::read_params(&loaded.ir, p, &mut params)?;
    }
    let g = nir::export_file(&a.model, &loaded.ir, &params, &a.out)?;
    eprintln!(
        "exported {} ({} NIR node{}, {} edge{}); wrote {}",
        a.model.display(),
        g.nodes.len(),
        plural(g.nodes.len()),
        g.edges.len(),
        plural(g.edges.len()),
        a.out.display()
    );
    Ok(())
}
