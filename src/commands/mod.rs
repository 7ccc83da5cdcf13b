//! One module per subcommand; each turns arguments into library calls.

pub mod bench;
pub mod build;
pub mod check;
pub mod data;
pub mod eval;
pub mod generate;
pub mod grad;
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

/// A network loaded, its simulator built and its parameters (initial, or from `params`) uploaded.
pub struct Built {
    /// The loaded network.
    pub loaded: rgenn_codegen::Loaded,
    /// The parameters uploaded.
    pub params: rgenn_runtime::sim::init::Params,
    /// The simulator.
    pub sim: rgenn_runtime::Simulator,
}

/// Load `model`, build its simulator for `backend` (`cpu` or `rust`: both run behind
/// `Simulator`) and upload its parameters.
pub fn build_model_with(
    model: &std::path::Path,
    params: Option<&std::path::Path>,
    backend: rgenn_codegen::backend::Backend,
) -> Result<Built, CliError> {
    use rgenn_runtime::sim::init;
    let loaded = rgenn_runtime::load_network(model)?;
    let net = &loaded.ir;
    let mut values = init::initial_params(net, &loaded.base_dir)?;
    if let Some(p) = params {
        init::read_params(net, p, &mut values)?;
    }
    let mut sim = rgenn_runtime::Simulator::build_with(net, backend)?;
    init::upload(&mut sim, &values)?;
    Ok(Built {
        loaded,
        params: values,
        sim,
    })
}

/// Load `model`, build its CUDA simulator (nvcc) and upload its parameters (initial, or from
/// `params`). Fails with an explanation on a machine without nvcc, a GPU or its driver.
pub fn cuda_model(
    model: &std::path::Path,
    params: Option<&std::path::Path>,
) -> Result<
    (
        rgenn_codegen::Loaded,
        rgenn_runtime::sim::cuda::CudaSimulator,
    ),
    CliError,
> {
    use rgenn_runtime::sim::init;
    let loaded = rgenn_runtime::load_network(model)?;
    let net = &loaded.ir;
    let mut values = init::initial_params(net, &loaded.base_dir)?;
    if let Some(p) = params {
        init::read_params(net, p, &mut values)?;
    }
    let mut sim = rgenn_runtime::sim::cuda::CudaSimulator::build(net)?;
    sim.upload(&values)?;
    Ok((loaded, sim))
}

/// Load `model` and build its simulator for any backend behind the drivers' common interface
/// (`engine::Engine`), with its parameters (initial, or from `params`) uploaded; returns the
/// network, the parameters and the simulator.
pub fn engine_model(
    model: &std::path::Path,
    params: Option<&std::path::Path>,
    backend: rgenn_codegen::backend::Backend,
) -> Result<
    (
        rgenn_codegen::Loaded,
        rgenn_runtime::sim::init::Params,
        Box<dyn rgenn_runtime::sim::engine::Engine>,
    ),
    CliError,
> {
    use rgenn_codegen::backend::Backend;
    if backend == Backend::Cuda {
        let (loaded, sim) = cuda_model(model, params)?;
        let mut values = rgenn_runtime::sim::init::initial_params(&loaded.ir, &loaded.base_dir)?;
        if let Some(p) = params {
            rgenn_runtime::sim::init::read_params(&loaded.ir, p, &mut values)?;
        }
        return Ok((loaded, values, Box::new(sim)));
    }
    let b = build_model_with(model, params, backend)?;
    Ok((b.loaded, b.params, Box::new(b.sim)))
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
