//! Command-line arguments (clap derive types only).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// rgenn: generate, build and train spiking neural networks with exact gradients for weights
/// and delays.
#[derive(Debug, Parser)]
#[command(name = "rgenn", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a network and print a summary (sizes, ring lengths, memory).
    Check(CheckArgs),
    /// Generate simulator sources, or print the IR with --emit-ir.
    Generate(GenerateArgs),
    /// Compile the simulator into the build cache and print the library path.
    Build(BuildArgs),
    /// Run every trial of a spike dataset and write spikes, readouts and traces.
    Simulate(SimulateArgs),
    /// Run a dataset forward and backward and write the loss and the gradients of every weight
    /// and delay.
    Grad(GradArgs),
    /// Train the network on its `data:` with its `training:` settings.
    Train(TrainArgs),
    /// Report loss and accuracy of parameters on a dataset or on the YAML's splits.
    Eval(EvalArgs),
    /// Time training (forward + backward + optimiser) per example, split by phase.
    Bench(BenchArgs),
    /// Check (MD5) and convert datasets: SHD/SSC HDF5 files to spike-dataset .npz.
    Data(crate::commands::data::DataArgs),
    /// Import NIR graphs (.nir) as network YAML and export networks to NIR.
    Nir(crate::commands::nir::NirArgs),
}

/// `rgenn train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Epochs in total (default: `training.epochs`).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Run folder: metrics.csv, params.npz (best), params_last.npz, checkpoint.npz, plots.
    #[arg(long, default_value = "run")]
    pub out: PathBuf,
    /// Start from these weights and delays (.npz) instead of the YAML's initialisers.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long, conflicts_with = "params")]
    pub resume: bool,
    /// Threads for batch lanes (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print only the final summary.
    #[arg(long)]
    pub quiet: bool,
    /// Print where each epoch's training time went (kernel phases, optimiser, resets, host).
    #[arg(long)]
    pub profile: bool,
    /// Backend to train on (cpu or rust).
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendArg,
}

/// `rgenn bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The network YAML file (its `training:` section sets the optimisers).
    pub model: PathBuf,
    /// Labelled spike dataset to train on (cycled as needed).
    #[arg(long)]
    pub data: PathBuf,
    /// Weights and delays (.npz) to start from.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Threads for batch lanes (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Batch size (default: the YAML's).
    #[arg(long)]
    pub batch: Option<u32>,
    /// Lanes per gradient copy, a power of two (default: the YAML's `lane_group`).
    #[arg(long)]
    pub lane_group: Option<u32>,
    /// Examples trained before timing starts.
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// Examples timed per round.
    #[arg(long, default_value_t = 200)]
    pub examples: u64,
    /// Rounds, each the warm-up and the timed examples from the same parameters: the report is
    /// the fastest round's, with the minimum, median and maximum over all (on a shared machine
    /// the minimum is the code's own speed).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Backend to run on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendArg,
}

/// `rgenn eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Weights and delays (.npz), e.g. a run's params.npz.
    #[arg(long)]
    pub params: PathBuf,
    /// Labelled spike dataset (default: the YAML's validation and test splits).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where it runs.
    #[command(flatten)]
    pub run: RunOn,
}

/// `rgenn grad`.
#[derive(Debug, clap::Args)]
pub struct GradArgs {
    /// The network, its data and parameters (the data with labels).
    #[command(flatten)]
    pub input: PassInput,
    /// Output .npz (loss, <conn>.weight_grad, <conn>.delay_grad per ms).
    #[arg(long)]
    pub out: PathBuf,
    /// Where it runs.
    #[command(flatten)]
    pub run: RunOn,
}

/// `rgenn build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Backend to build for.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendArg,
}

/// `rgenn simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The network, its data and parameters.
    #[command(flatten)]
    pub input: PassInput,
    /// Output .npz (spikes, readouts, recorded traces).
    #[arg(long)]
    pub out: PathBuf,
    /// Where it runs.
    #[command(flatten)]
    pub run: RunOn,
}

/// What a pass over a dataset reads: the network, the dataset and the parameters.
#[derive(Debug, clap::Args)]
pub struct PassInput {
    /// The network YAML file.
    pub model: PathBuf,
    /// Spike dataset (.npz with times, units, offsets; `grad` also needs labels).
    #[arg(long)]
    pub data: PathBuf,
    /// Weights and delays (.npz with <conn>.weight, <conn>.delay in ms).
    #[arg(long)]
    pub params: Option<PathBuf>,
}

/// Where a command runs: the backend and the threads for batch lanes.
#[derive(Debug, clap::Args)]
pub struct RunOn {
    /// Threads for batch lanes (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Backend to run on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendArg,
}

/// `rgenn check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Also print the update and the adjoint rgenn derived for models written as ODEs.
    #[arg(long)]
    pub show_adjoint: bool,
}

/// Code-generation backends.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// C++17 for CPUs.
    Cpu,
    /// CUDA for NVIDIA GPUs (needs nvcc; running needs a GPU and its driver).
    Cuda,
    /// The kernels as Rust (needs rustc; the same results as cpu, no C++ compiler).
    Rust,
}

/// `rgenn generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The network YAML file.
    pub model: PathBuf,
    /// Backend to generate for.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendArg,
    /// Output folder for the sources.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the intermediate representation (JSON) to stdout instead of generating sources.
    #[arg(long)]
    pub emit_ir: bool,
}
