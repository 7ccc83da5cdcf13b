//! Helpers shared by the end-to-end tests: run the real `rgenn` binary with a private build cache.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (commands run there, so example paths are relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `rgenn args` with `RGENN_CACHE_DIR=cache`.
pub fn rgenn(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rgenn"))
        .args(args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache)
        .output()
        .expect("the rgenn binary runs")
}

/// A command's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `rgenn args` with `RGENN_CACHE_DIR=cache`, without the environment variables `unset`.
pub fn rgenn_without(args: &[&str], cache: &Path, unset: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgenn"));
    cmd.args(args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache);
    for k in unset {
        cmd.env_remove(k);
    }
    cmd.output().expect("the rgenn binary runs")
}
