//! Find the compiler of a backend and build generated sources into a shared library: the C++
//! compiler through the `cc` crate's detection (honours `CXX`, and adds `RGENN_CXXFLAGS`), nvcc through `RGENN_NVCC`,
//! `CUDA_PATH` or `PATH` (see [`crate::build::nvcc`] for its flags), rustc through `RUSTC` or `PATH`
//! (see [`crate::build::rustc`]).

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use rgenn_codegen::backend::Backend;

use crate::error::BuildError;

/// A compiler and the flags rgenn always passes.
#[derive(Clone, Debug)]
pub struct Compiler {
    pub(crate) program: std::path::PathBuf,
    pub(crate) flags: Vec<OsString>,
    /// Path, version and flags that change the output: part of the cache key.
    pub identity: String,
}

/// Flags for every generated simulator. `-ffp-contract=off` keeps floating-point results the same
/// on every machine (no fused multiply-adds chosen by the optimiser).
const FLAGS: &[&str] = &[
    "-std=c++17",
    "-O3",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-fPIC",
    "-shared",
    "-Wall",
    "-Wextra",
];

/// The compiler of `backend`.
pub fn find(backend: Backend) -> Result<Compiler, BuildError> {
    match backend {
        Backend::Cpu => find_cxx(),
        Backend::Cuda => crate::build::nvcc::find_nvcc(),
        Backend::Rust => crate::build::rustc::find_rustc(),
    }
}

/// The generated file `backend`'s compiler builds.
pub fn source_file(backend: Backend) -> &'static str {
    match backend {
        Backend::Cpu => "simulator.cpp",
        Backend::Cuda => "simulator.cu",
        Backend::Rust => "cdylib.rs",
    }
}

/// Detect the C++ compiler.
pub fn find_cxx() -> Result<Compiler, BuildError> {
    let target = env!("RGENN_TARGET");
    let tool = cc::Build::new()
        .cpp(true)
        .target(target)
        .host(target)
        .opt_level(3)
        .debug(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .map_err(|e| BuildError::CompilerNotFound {
            detail: e.to_string(),
        })?;
    let program = tool.path().to_path_buf();
    let output = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(|e| BuildError::CompilerNotFound {
            detail: format!("running `{} --version`: {e}", program.display()),
        })?;
    if !output.status.success() {
        return Err(BuildError::CompilerNotFound {
            detail: format!("`{} --version` failed", program.display()),
        });
    }
    let identity = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let extra = crate::build::cxxflags::from_env()?;
    Ok(Compiler {
        program,
        flags: FLAGS
            .iter()
            .map(OsString::from)
            .chain(extra.iter().map(OsString::from))
            .collect(),
        identity: format!(
            "{} ({identity}){}",
            tool.path().display(),
            crate::build::cxxflags::identity(&extra)
        ),
    })
}

impl Compiler {
    /// Compile `source` into the shared library `output`; the compiler's output goes to `log`.
    pub fn build_shared(&self, source: &Path, output: &Path, log: &Path) -> Result<(), BuildError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.flags).arg("-o").arg(output).arg(source);
        let result = cmd.output().map_err(|e| BuildError::CompilerNotFound {
            detail: format!("running `{}`: {e}", self.program.display()),
        })?;
        let mut text = String::from_utf8_lossy(&result.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&result.stderr));
        std::fs::write(log, &text).map_err(|e| BuildError::Io {
            what: "writing",
            path: log.to_path_buf(),
            source: e,
        })?;
        if result.status.success() {
            return Ok(());
        }
        let stderr: Vec<&str> = text.lines().take(30).collect();
        Err(BuildError::CompileFailed {
            source_path: source.to_path_buf(),
            log: log.to_path_buf(),
            stderr: stderr.join("\n"),
        })
    }
}

/// The standard output of `program --version`, or the error `not_found` makes when it cannot run
/// or fails (the compiler lookups of nvcc and rustc).
pub(crate) fn version_output(
    program: &Path,
    not_found: fn(String) -> BuildError,
) -> Result<String, BuildError> {
    let output = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|e| not_found(format!("running `{} --version`: {e}", program.display())))?;
    if !output.status.success() {
        return Err(not_found(format!(
            "`{} --version` failed",
            program.display()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
