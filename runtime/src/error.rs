//! Errors of the runtime: building a simulator, reading data, running it.

use std::path::PathBuf;

/// Building a generated simulator failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No usable C++ compiler.
    #[error(
        "no C++ compiler found ({detail}); install one, e.g. `apt-get install g++`, or point `CXX` at it"
    )]
    CompilerNotFound {
        /// What was tried and what happened.
        detail: String,
    },
    /// `RGENN_CXXFLAGS` holds a flag that would change floating-point results.
    #[error(
        "RGENN_CXXFLAGS: `{flag}` lets the compiler change floating-point results, which rgenn keeps identical on every machine and backend; remove it (flags such as `-march=native` keep results)"
    )]
    UnsafeCxxFlag {
        /// The refused flag.
        flag: String,
    },
    /// No usable nvcc for a CUDA build.
    #[error(
        "no CUDA compiler found ({detail}); install the CUDA toolkit and put nvcc on PATH (or set CUDA_PATH, or RGENN_NVCC to the nvcc program); for compile-only builds without a GPU, `scripts/install-nvcc.sh` installs nvcc from PyPI and prints its folder"
    )]
    NvccNotFound {
        /// What was tried and what happened.
        detail: String,
    },
    /// No usable rustc for a `rust` backend build.
    #[error(
        "no Rust compiler found ({detail}); install Rust 1.85 or newer (https://rustup.rs) and put rustc on PATH, or set RUSTC to the rustc program"
    )]
    RustcNotFound {
        /// What was tried and what happened.
        detail: String,
    },
    /// The network uses something the backend cannot run.
    #[error("the `{backend}` backend cannot run this network: {what}")]
    Unsupported {
        /// The backend.
        backend: &'static str,
        /// What it cannot run ([`rgenn_codegen::backend::unsupported`]).
        what: String,
    },
    /// A backend asked of a simulator handle that does not run it.
    #[error("the `{backend}` backend does not run behind `Simulator`; use `{handle}`")]
    WrongHandle {
        /// The backend.
        backend: &'static str,
        /// The handle that runs it.
        handle: &'static str,
    },
    /// `CUDA_ARCH` is not a list of compute capabilities.
    #[error(
        "CUDA_ARCH=`{value}` is not a list of compute capabilities such as `90` or `80,90` (or `native` on a machine with a GPU)"
    )]
    CudaArch {
        /// The value.
        value: String,
    },
    /// The compiler rejected the generated code (a bug in rgenn) or crashed.
    #[error("compiling `{source_path}` failed (full log: {log})\n{stderr}")]
    CompileFailed {
        /// The generated source.
        source_path: PathBuf,
        /// Where the compiler output was saved.
        log: PathBuf,
        /// The first lines of the compiler's output.
        stderr: String,
    },
    /// Rendering the sources failed (a bug in rgenn).
    #[error(transparent)]
    Render(#[from] rgenn_codegen::backend::RenderError),
    /// The build cache folder cannot be created or written.
    #[error(
        "cannot write the build cache `{path}`: {source}; set RGENN_CACHE_DIR to a writable folder (e.g. `export RGENN_CACHE_DIR=/tmp/rgenn-cache`)"
    )]
    CacheUnwritable {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file operation in the cache failed.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The library could not be loaded or does not match this rgenn.
    #[error("loading `{path}`: {message}")]
    Load {
        /// The library.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A simulator linked into the program does not match this rgenn or its network.
    #[error("simulator of network `{network}` linked into this program: {message}")]
    Linked {
        /// Network name.
        network: String,
        /// What went wrong.
        message: String,
    },
}

/// Input data (datasets, parameter files) is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or parsed as `.npz`.
    #[error(
        "cannot read `{path}` as .npz: {message}; the file is damaged or not a NumPy .npz archive (write one with numpy.savez)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A required array is absent.
    #[error("`{path}` has no array `{name}`{hint}")]
    MissingArray {
        /// The file.
        path: PathBuf,
        /// The array.
        name: String,
        /// Arrays that are there.
        hint: String,
    },
    /// An array has an unsupported element type.
    #[error("array `{name}` in `{path}` has dtype {found}; expected {expected}")]
    WrongDtype {
        /// The file.
        path: PathBuf,
        /// The array.
        name: String,
        /// Accepted types.
        expected: String,
        /// Its type.
        found: String,
    },
    /// An array has the wrong shape.
    #[error("array `{name}` in `{path}` has shape {found:?}; expected {expected:?}")]
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The array.
        name: String,
        /// Expected shape.
        expected: Vec<u64>,
        /// Its shape.
        found: Vec<u64>,
    },
    /// The contents are inconsistent.
    #[error("`{path}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Running a simulation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Building or loading the simulator failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Input data is wrong.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Something the network needs is missing (e.g. a spike-source population).
    #[error("{0}")]
    Network(String),
    /// More spikes than the spike tape holds.
    #[error(
        "population `{population}` fired more than {capacity} spikes in one neuron and trial, more than its fixed spike tape holds; raise `spike_capacity:` on that population, or set it to `auto` to let the tape grow"
    )]
    TapeOverflow {
        /// The population.
        population: String,
        /// Its capacity.
        capacity: u32,
    },
    /// A loss, gradient or parameter became NaN or infinite during training.
    #[error(
        "epoch {epoch}, batch {batch}: {what} (buffer `{buffer}`) holds {value} at element {index}; training stopped and the run folder still holds the last good epoch's checkpoint. Lower the learning rate (or clip the inputs), then continue with --resume"
    )]
    NonFinite {
        /// Epoch, from 1.
        epoch: u32,
        /// Batch within the epoch, from 1.
        batch: usize,
        /// What the buffer holds, in words ("the weight gradient of `in_hid`").
        what: String,
        /// The buffer's name in generated code (or `loss`).
        buffer: String,
        /// The first non-finite element.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The GPU or the CUDA runtime reported an error.
    #[error("{what}: {message}")]
    Device {
        /// What was being done.
        what: String,
        /// The status, explained.
        message: String,
    },
    /// The caller asked the run or pass to stop ([`crate::train::Observer::interrupted`],
    /// the `stop` of [`crate::passes::simulate::simulate_until`] and [`crate::passes::grad::grad_until`]).
    #[error("interrupted")]
    Interrupted,
    /// Rank `rank` of a run over several processes failed with `message`; every rank stopped
    /// at the same batch (docs/distributed.md).
    #[error("rank {rank} of {ranks}: {message}")]
    Rank {
        /// The failing rank (the lowest, when several failed together).
        rank: usize,
        /// The number of ranks.
        ranks: usize,
        /// Its error, with its causes.
        message: String,
    },
    /// Writing an output failed.
    #[error("writing `{path}`: {source}")]
    Write {
        /// The output.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
