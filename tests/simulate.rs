//! End-to-end tests of `rgenn build` and `rgenn simulate` through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rgenn_runtime::data::npz::{NpzFile, OutArray, write};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rgenn(args: &[&str], cache: &Path, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgenn"));
    cmd.args(args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the rgenn binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const MODEL: &str = "examples/sequence_detection.yaml";
const DATA: &str = "examples/data/sequence_detection.npz";

#[test]
fn simulate_writes_spikes_readouts_and_traces() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.npz");
    let o = rgenn(
        &[
            "simulate",
            MODEL,
            "--data",
            DATA,
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut f = NpzFile::open(&out).unwrap();
    let readout = f.floats("output.readout").unwrap();
    assert_eq!(readout.shape, [2, 2]);
    // The two classes are mirror images and so are the initial delays: trial 0's readout is trial
    // 1's with the outputs swapped, and the coincident inputs win (output 1 in trial 0).
    let r = &readout.values;
    assert_eq!((r[0], r[1]), (r[3], r[2]));
    assert!(r[1] > r[0]);
    assert_eq!(f.floats("output.v").unwrap().shape, [2, 25, 2]);
    assert_eq!(f.unsigned("input.offsets").unwrap().values, [0, 2, 4]);
    assert_eq!(
        f.floats("input.times").unwrap().values,
        [0.0, 10.0, 0.0, 10.0]
    );
}

#[test]
fn build_compiles_once_and_then_reuses_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let first = rgenn(&["build", MODEL], tmp.path(), &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).starts_with("compiled"));
    let lib = String::from_utf8_lossy(&first.stdout).trim().to_string();
    assert!(Path::new(&lib).is_file());
    // -Wall -Wextra: the generated code compiles without a single warning.
    let log = std::fs::read_to_string(Path::new(&lib).with_file_name("build.log")).unwrap();
    assert_eq!(log, "", "compiler output for generated code");
    let second = rgenn(&["build", MODEL], tmp.path(), &[]);
    assert!(
        stderr(&second).starts_with("up to date"),
        "{}",
        stderr(&second)
    );
    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), lib);
}

#[test]
fn every_example_compiles_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let o = rgenn(&["build", path.to_str().unwrap()], tmp.path(), &[]);
            assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
            let lib = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let log = std::fs::read_to_string(Path::new(&lib).with_file_name("build.log")).unwrap();
            assert_eq!(log, "", "{}: compiler output", path.display());
        }
    }
}

fn assert_fails_cleanly(o: &Output, needle: &str, out: &Path) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    let err = stderr(o);
    assert!(
        err.contains(needle),
        "stderr should mention {needle:?}:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !out.exists(),
        "a failed run must not leave {}",
        out.display()
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().contains(".tmp")),
        "temporary files left: {leftovers:?}"
    );
}

#[test]
fn bad_data_and_params_are_clear_errors_and_leave_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out").join("o.npz");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let out_s = out.to_str().unwrap();
    let file = |name: &str, arrays: &[(&str, Vec<u64>, OutArray)]| {
        let p = tmp.path().join(name);
        let arrays: Vec<_> = arrays
            .iter()
            .map(|(n, s, a)| (n.to_string(), s.clone(), clone(a)))
            .collect();
        write(&p, &arrays).unwrap();
        p.to_str().unwrap().to_string()
    };
    // A dataset without offsets.
    let no_offsets = file(
        "no_offsets.npz",
        &[
            ("times", vec![1], OutArray::F32(vec![0.0])),
            ("units", vec![1], OutArray::U32(vec![0])),
        ],
    );
    let o = rgenn(
        &["simulate", MODEL, "--data", &no_offsets, "--out", out_s],
        tmp.path(),
        &[],
    );
    assert_fails_cleanly(&o, "has no array `offsets`", &out);
    // Times of the wrong dtype.
    let int_times = file(
        "int_times.npz",
        &[
            ("times", vec![1], OutArray::U32(vec![0])),
            ("units", vec![1], OutArray::U32(vec![0])),
            ("offsets", vec![2], OutArray::U64(vec![0, 1])),
        ],
    );
    let o = rgenn(
        &["simulate", MODEL, "--data", &int_times, "--out", out_s],
        tmp.path(),
        &[],
    );
    assert_fails_cleanly(&o, "expected float32 or float64", &out);
    // A spike of unit 5 for a 2-neuron input population.
    let bad_unit = file(
        "bad_unit.npz",
        &[
            ("times", vec![1], OutArray::F32(vec![1.0])),
            ("units", vec![1], OutArray::U32(vec![5])),
            ("offsets", vec![2], OutArray::U64(vec![0, 1])),
        ],
    );
    let o = rgenn(
        &["simulate", MODEL, "--data", &bad_unit, "--out", out_s],
        tmp.path(),
        &[],
    );
    assert_fails_cleanly(&o, "spike of unit 5", &out);
    // Weights of the wrong shape.
    let params = file(
        "params.npz",
        &[("in_out.weight", vec![3, 2], OutArray::F32(vec![1.0; 6]))],
    );
    let o = rgenn(
        &[
            "simulate", MODEL, "--data", DATA, "--params", &params, "--out", out_s,
        ],
        tmp.path(),
        &[],
    );
    assert_fails_cleanly(&o, "has shape [3, 2]; expected [2, 2]", &out);
}

#[test]
fn a_missing_compiler_names_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let o = rgenn(
        &["build", MODEL],
        tmp.path(),
        &[("CXX", "/nonexistent/c++")],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no C++ compiler found") && err.contains("apt-get install g++"),
        "{err}"
    );
}

fn clone(a: &OutArray) -> OutArray {
    match a {
        OutArray::F32(v) => OutArray::F32(v.clone()),
        OutArray::F64(v) => OutArray::F64(v.clone()),
        OutArray::U32(v) => OutArray::U32(v.clone()),
        OutArray::U64(v) => OutArray::U64(v.clone()),
        OutArray::I64(v) => OutArray::I64(v.clone()),
    }
}
