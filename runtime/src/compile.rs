//! Find the C++ compiler (through the `cc` crate's detection, which honours `CXX`) and build
//! generated sources into a shared library.

use std::path::Path;
use std::process::Command;

use crate::error::BuildError;

/// A C++ compiler and the flags rgenn always passes.
#[derive(Clone, Debug)]
pub struct Compiler {
    program: std::path::PathBuf,
    base_args: Vec<std::ffi::OsString>,
    /// First line of `--version`: part of the cache key.
    pub identity: String,
}

/// Flags for every generated simulator. `-ffp-contract=off` keeps floating-point results the same
/// on every machine (no fused multiply-adds chosen by the optimiser).
const FLAGS: &[&str] = &[
    "-std=c++17",
    "-O3",
    "-ffp-contract=off",
    "-fPIC",
    "-shared",
    "-Wall",
    "-Wextra",
];

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
    Ok(Compiler {
        program,
        base_args: Vec::new(),
        identity: format!("{} ({identity})", tool.path().display()),
    })
}

impl Compiler {
    /// Compile `source` into the shared library `output`; the compiler's output goes to `log`.
    pub fn build_shared(&self, source: &Path, output: &Path, log: &Path) -> Result<(), BuildError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.base_args)
            .args(FLAGS)
            .arg("-o")
            .arg(output)
            .arg(source);
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
