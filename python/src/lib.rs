//! The native part of the `rgenn` Python package (`rgenn._rgenn`): networks, spike datasets and
//! the runtime's passes and training loop with numpy arrays in and out. The typed Python API in
//! `rgenn/__init__.py` wraps these classes; nothing here reimplements a kernel or a pass.

mod arrays;
mod dataset;
mod network;
mod train;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;

use rgenn_codegen::backend::Backend;
use rgenn_runtime::{BuildError, SimError};

create_exception!(
    rgenn,
    Error,
    PyException,
    "Base class of the errors rgenn raises."
);
create_exception!(
    rgenn,
    ModelError,
    Error,
    "A network file could not be read or is invalid; str(err) is the positioned report of `rgenn check`."
);
create_exception!(
    rgenn,
    BackendError,
    Error,
    "A backend cannot run here: no compiler for it (C++, rustc, nvcc) or no GPU and driver."
);
create_exception!(
    rgenn,
    DataError,
    Error,
    "A dataset or parameter array is missing, malformed or does not fit the network."
);
create_exception!(
    rgenn,
    SimulationError,
    Error,
    "Building, running or writing the results of a simulator failed."
);

/// The Python exception of a runtime error: [`BackendError`] when the backend cannot run on this
/// machine, [`DataError`] for bad input, `KeyboardInterrupt` for an interrupted run.
pub(crate) fn sim_error(e: SimError) -> PyErr {
    let text = report(&e);
    match e {
        SimError::Build(
            BuildError::CompilerNotFound { .. }
            | BuildError::NvccNotFound { .. }
            | BuildError::RustcNotFound { .. }
            | BuildError::CudaArch { .. }
            | BuildError::UnsafeCxxFlag { .. },
        )
        | SimError::Device { .. } => BackendError::new_err(text),
        SimError::Data(_) => DataError::new_err(text),
        SimError::Interrupted => PyKeyboardInterrupt::new_err(text),
        _ => SimulationError::new_err(text),
    }
}

/// The error and its causes, as the CLI prints them (without the `error: ` prefix).
fn report(e: &SimError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    out
}

/// The backend named `name` ("cpu", "rust" or "cuda").
pub(crate) fn backend(name: &str) -> PyResult<Backend> {
    match name {
        "cpu" => Ok(Backend::Cpu),
        "rust" => Ok(Backend::Rust),
        "cuda" => Ok(Backend::Cuda),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "unknown backend `{other}`; use \"cpu\", \"rust\" or \"cuda\""
        ))),
    }
}

/// Threads for batch lanes: `threads`, or every core (as the CLI's `--threads`).
pub(crate) fn threads(threads: Option<usize>) -> PyResult<usize> {
    match threads {
        Some(0) => Err(pyo3::exceptions::PyValueError::new_err(
            "threads must be at least 1",
        )),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

#[pymodule]
fn _rgenn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("BackendError", py.get_type::<BackendError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add_class::<dataset::Dataset>()?;
    m.add_class::<network::Model>()?;
    m.add_function(wrap_pyfunction!(dataset::read_dataset, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
