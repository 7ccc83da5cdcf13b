//! End-to-end: `--backend rust` through the real binary gives the same files as `--backend cpu`
//! (simulate, grad, train), builds every example without compiler output, and fails clearly
//! without rustc.

mod common;

use std::path::Path;

use common::{rgenn, stderr};

const MODEL: &str = "examples/sequence_detection.yaml";
const DATA: &str = "examples/data/sequence_detection.npz";

/// Run `rgenn args` and require success.
fn ok(args: &[&str], cache: &Path) {
    let o = rgenn(args, cache);
    assert!(o.status.success(), "rgenn {args:?}: {}", stderr(&o));
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn simulate_and_grad_write_the_same_files_as_cpu() {
    let tmp = tempfile::tempdir().unwrap();
    for command in ["simulate", "grad"] {
        let out = |b: &str| tmp.path().join(format!("{command}_{b}.npz"));
        for backend in ["cpu", "rust"] {
            let path = out(backend);
            let args = [command, MODEL, "--data", DATA, "--backend", backend];
            let mut args = args.to_vec();
            args.extend(["--out", path.to_str().unwrap(), "--threads", "2"]);
            ok(&args, tmp.path());
        }
        // Same operations in the same order: the outputs are equal byte for byte.
        assert_eq!(
            bytes(&out("cpu")),
            bytes(&out("rust")),
            "{command}: rust output differs from cpu"
        );
    }
}

#[test]
fn training_gives_the_same_parameters_as_cpu() {
    let tmp = tempfile::tempdir().unwrap();
    for backend in ["cpu", "rust"] {
        let run = tmp.path().join(backend);
        ok(
            &[
                "train",
                MODEL,
                "--epochs",
                "2",
                "--quiet",
                "--backend",
                backend,
                "--out",
                run.to_str().unwrap(),
            ],
            tmp.path(),
        );
    }
    for file in ["params.npz", "params_last.npz"] {
        assert_eq!(
            bytes(&tmp.path().join("cpu").join(file)),
            bytes(&tmp.path().join("rust").join(file)),
            "{file}"
        );
    }
    // `eval` of the trained parameters prints the same scores on both backends.
    let params = tmp.path().join("cpu").join("params.npz");
    let scores: Vec<String> = ["cpu", "rust"]
        .iter()
        .map(|backend| {
            let args = [
                "eval",
                MODEL,
                "--params",
                params.to_str().unwrap(),
                "--backend",
                backend,
            ];
            let o = rgenn(&args, tmp.path());
            assert!(o.status.success(), "{}", stderr(&o));
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .collect();
    assert!(scores[0].contains("test: accuracy"), "{}", scores[0]);
    assert_eq!(scores[0], scores[1]);
}

#[test]
fn every_example_builds_with_rustc_without_output() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let p = path.to_str().unwrap();
            let o = rgenn(&["build", p, "--backend", "rust"], tmp.path());
            assert!(o.status.success(), "{p}: {}", stderr(&o));
            let lib = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let log = std::fs::read_to_string(Path::new(&lib).with_file_name("build.log")).unwrap();
            assert_eq!(log, "", "{p}: rustc output");
        }
    }
}

#[test]
fn a_missing_rustc_names_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rgenn"))
        .args(["build", MODEL, "--backend", "rust"])
        .current_dir(common::root())
        .env("RGENN_CACHE_DIR", tmp.path())
        .env("RUSTC", "/nonexistent/rustc")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no Rust compiler found") && err.contains("RUSTC"),
        "{err}"
    );
}
