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

/// `examples/yin_yang.yaml` made small: `hidden` hidden neurons, `epochs` epochs and
/// `[train, validation, test]` generated points. Panics when the example no longer has a line
/// this rewrites, so a changed example cannot silently give the tests another network.
pub fn small_yin_yang(hidden: u32, epochs: u32, trials: [u32; 3]) -> String {
    let text = std::fs::read_to_string(root().join("examples/yin_yang.yaml")).unwrap();
    let splits = ["train:     ", "validation:", "test:      "];
    let mut rewrites = vec![
        ("size: 128".to_string(), format!("size: {hidden}")),
        ("epochs: 40".to_string(), format!("epochs: {epochs}")),
    ];
    for (split, n) in splits.iter().zip(trials) {
        rewrites.push((
            format!("{split} {{generator: yin_yang}}"),
            format!("{split} {{generator: yin_yang, trials: {n}}}"),
        ));
    }
    rewrites.iter().fold(text, |t, (from, to)| {
        assert!(
            t.contains(from.as_str()),
            "examples/yin_yang.yaml has no `{from}`"
        );
        t.replacen(from.as_str(), to, 1)
    })
}
