//! Find `rustc` and decide its flags for building the `rust` backend's `cdylib.rs` into a shared
//! library.
//!
//! rustc is `$RUSTC`, else the first `rustc` on `PATH`. It must know edition 2024 (Rust 1.85 or
//! newer). Flags: a `cdylib` of crate name `rgenn_sim`, `-C opt-level=3`, and nothing that changes
//! floating-point results (no `target-cpu`, so no FMA: the results equal the C++ build's). The
//! version line is the compiler identity in the cache key.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::build::compile::Compiler;
use crate::error::BuildError;

/// Flags of every Rust build (the output and the source come after them).
const FLAGS: &[&str] = &[
    "--crate-type",
    "cdylib",
    "--crate-name",
    "rgenn_sim",
    "--edition",
    "2024",
    "-C",
    "opt-level=3",
    "-C",
    "debuginfo=0",
];

/// The oldest rustc with edition 2024.
const MIN_VERSION: (u32, u32) = (1, 85);

/// Where to look for rustc, given a way to read environment variables.
pub fn rustc_candidate(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, String> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(path) = env("RUSTC") {
        return Ok(PathBuf::from(path));
    }
    env("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("rustc"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| "no `rustc` on PATH, and RUSTC does not name one".into())
}

/// `(major, minor)` of a `rustc --version` line such as `rustc 1.90.0 (1159e78c4 2025-09-14)`.
pub fn parse_version(line: &str) -> Option<(u32, u32)> {
    let version = line.split_whitespace().nth(1)?;
    let mut parts = version.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn not_found(detail: String) -> BuildError {
    BuildError::RustcNotFound { detail }
}

/// Find rustc, check that it runs and knows edition 2024.
pub fn find_rustc() -> Result<Compiler, BuildError> {
    let program = rustc_candidate(|name| std::env::var_os(name)).map_err(not_found)?;
    let stdout = crate::build::compile::version_output(&program, not_found)?;
    let line = stdout.lines().next().unwrap_or_default().trim().to_string();
    if let Some(v) = parse_version(&line)
        && v < MIN_VERSION
    {
        return Err(not_found(format!(
            "`{}` is {line}; the generated code needs Rust {}.{} or newer (edition 2024)",
            program.display(),
            MIN_VERSION.0,
            MIN_VERSION.1
        )));
    }
    Ok(Compiler {
        identity: format!("{} ({line}) {}", program.display(), FLAGS.join(" ")),
        program,
        flags: FLAGS.iter().map(OsString::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_comes_from_the_environment_then_the_path() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            rustc_candidate(env(&[("RUSTC", "/opt/rust/bin/rustc")])),
            Ok(PathBuf::from("/opt/rust/bin/rustc"))
        );
        let missing = rustc_candidate(env(&[("RUSTC", ""), ("PATH", "/nonexistent")]));
        assert!(missing.unwrap_err().contains("no `rustc` on PATH"));
    }

    #[test]
    fn versions_parse_from_the_version_line() {
        assert_eq!(
            parse_version("rustc 1.90.0 (1159e78c4 2025-09-14)"),
            Some((1, 90))
        );
        assert_eq!(parse_version("rustc 1.86.0-nightly"), Some((1, 86)));
        assert_eq!(parse_version("garbage"), None);
    }
}
