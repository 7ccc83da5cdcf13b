//! One module per subcommand; each turns arguments into library calls.

pub mod bench;
pub mod build;
pub mod check;
pub mod data;
pub mod eval;
pub mod generate;
pub mod grad;
pub mod nir;
pub mod simulate;
pub mod train;

use std::fmt;

/// Anything a command can fail with.
#[derive(Debug)]
pub enum CliError {
    /// The network could not be loaded.
    Load(rgenn_codegen::LoadError),
    /// Writing output failed.
    Io(String, std::io::Error),
    /// Rendering generated code failed (a bug).
    Render(rgenn_codegen::backend::RenderError),
    /// Building, loading or running a simulator failed.
    Sim(rgenn_runtime::SimError),
    /// stdout was closed by the reader (e.g. `| head`): not an error.
    BrokenPipe,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Load(e) => write!(f, "{e}"),
            CliError::Io(what, e) => write!(f, "{what}: {e}"),
            CliError::Render(e) => write!(f, "{e}"),
            CliError::Sim(e) => write!(f, "{e}"),
            CliError::BrokenPipe => write!(f, "broken pipe"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<rgenn_runtime::SimError> for CliError {
    fn from(e: rgenn_runtime::SimError) -> Self {
        CliError::Sim(e)
    }
}

impl From<rgenn_runtime::BuildError> for CliError {
    fn from(e: rgenn_runtime::BuildError) -> Self {
        CliError::Sim(e.into())
    }
}

impl From<rgenn_runtime::DataError> for CliError {
    fn from(e: rgenn_runtime::DataError) -> Self {
        CliError::Sim(e.into())
    }
}

impl From<rgenn_codegen::LoadError> for CliError {
    fn from(e: rgenn_codegen::LoadError) -> Self {
        CliError::Load(e)
    }
}

/// How a run was made, for the summary line: the threads, and the backend unless it is `cpu`.
pub fn run_label(backend: rgenn_codegen::backend::Backend, threads: usize) -> String {
    use rgenn_codegen::backend::Backend;
    match backend {
        Backend::Cuda => "CUDA".into(),
        Backend::Rust => format!("{threads} thread{}, rust", plural(threads)),
        Backend::Cpu => format!("{threads} thread{}", plural(threads)),
    }
}

/// `--threads`, defaulting to every core.
pub fn threads(arg: Option<usize>) -> usize {
    arg.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// "s" for counts other than one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Print to stdout, treating a closed pipe as a quiet success.
pub fn print(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::BrokenPipe),
        Err(e) => Err(CliError::Io("writing to stdout".into(), e)),
    }
}

/// What a timed pass over a dataset produced (`simulate`, `grad`).
pub struct Timed<T> {
    /// The network.
    pub net: rgenn_codegen::ir::Network,
    /// The pass's output.
    pub out: T,
    /// Wall seconds of the pass itself.
    pub seconds: f64,
    /// How it ran, for the summary line (see [`run_label`]).
    pub how: String,
}

/// Load the input's model, open it where `run` says with its parameters (or the initial ones),
/// read its dataset and time `pass` over it (given the simulator, the dataset and the threads).
pub fn timed_pass<T>(
    input: &crate::cli::PassInput,
    run: &crate::cli::RunOn,
    pass: impl FnOnce(
        &mut dyn rgenn_runtime::sim::engine::Engine,
        &rgenn_runtime::data::SpikeDataset,
        usize,
    ) -> Result<T, rgenn_runtime::SimError>,
) -> Result<Timed<T>, CliError> {
    let backend = generate::backend_of(run.backend);
    let loaded = rgenn_runtime::load_network(&input.model)?;
    let params = input.params.as_deref();
    let (mut sim, _) = rgenn_runtime::open(&loaded.ir, &loaded.base_dir, backend, params)?;
    let dataset = rgenn_runtime::data::SpikeDataset::read(&input.data)?;
    let threads = threads(run.threads);
    let start = std::time::Instant::now();
    let out = pass(sim.as_mut(), &dataset, threads)?;
    Ok(Timed {
        net: loaded.ir,
        out,
        seconds: start.elapsed().as_secs_f64(),
        how: run_label(backend, threads),
    })
}

/// For a network whose trial length came from its data: the line saying which example set it,
/// and a warning when that example stretches every trial (`rgenn_runtime::data::extent`).
pub fn trial_length_note(
    loaded: &rgenn_codegen::Loaded,
) -> Result<Option<(String, Option<String>)>, CliError> {
    if !loaded.ir.run.duration_from_data {
        return Ok(None);
    }
    let lengths = rgenn_runtime::data::extent::trial_lengths(&loaded.ir, &loaded.base_dir)?;
    Ok(lengths.map(|t| (t.describe(loaded.ir.duration_ms), t.warning())))
}
