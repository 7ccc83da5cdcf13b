//! `RGENN_CXXFLAGS` end to end: `-march=native` builds another cache entry and trains to the same
//! bytes as rgenn's own flags; a flag that would change floating-point results is refused with an
//! error naming it, before anything is built.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{root, stderr};

/// `rgenn args` with `RGENN_CACHE_DIR=cache` and `RGENN_CXXFLAGS=flags` (unset for `None`).
fn rgenn_with_flags(args: &[&str], cache: &Path, flags: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgenn"));
    cmd.args(args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache);
    match flags {
        Some(f) => cmd.env("RGENN_CXXFLAGS", f),
        None => cmd.env_remove("RGENN_CXXFLAGS"),
    };
    cmd.output().expect("the rgenn binary runs")
}

/// Two epochs of a small Yin-Yang network; the trained parameters' bytes.
fn trained(dir: &Path, cache: &Path, flags: Option<&str>) -> Vec<u8> {
    let model = dir.join("yin_yang.yaml");
    std::fs::write(&model, common::small_yin_yang(64, 2, [256, 64, 64])).unwrap();
    let run = dir.join(format!("run_{}", flags.is_some()));
    let o = rgenn_with_flags(
        &[
            "train",
            model.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--quiet",
            "--threads",
            "2",
        ],
        cache,
        flags,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(run.join("params_last.npz")).unwrap()
}

#[test]
fn native_code_trains_to_the_same_bytes_from_its_own_cache_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let plain = trained(tmp.path(), &cache, None);
    let native = trained(tmp.path(), &cache, Some("-march=native"));
    assert!(
        plain == native,
        "-march=native changed the trained parameters"
    );
    let entries = std::fs::read_dir(&cache)
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(entries, 2, "one library per set of flags");
}

#[test]
fn a_flag_that_changes_results_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let o = rgenn_with_flags(
        &["build", "examples/sequence_detection.yaml"],
        tmp.path(),
        Some("-march=native -ffast-math"),
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("RGENN_CXXFLAGS: `-ffast-math`"), "{err}");
    assert!(err.contains("floating-point results"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bench_names_the_added_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "bench",
        "examples/sequence_detection.yaml",
        "--data",
        "examples/data/sequence_detection.npz",
        "--warmup",
        "1",
        "--examples",
        "2",
    ];
    let o = rgenn_with_flags(&args, tmp.path(), Some("-march=native"));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        out.lines().nth(1),
        Some("C++ flags added by RGENN_CXXFLAGS: -march=native"),
        "{out}"
    );
    let o = rgenn_with_flags(&args, tmp.path(), None);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!out.contains("RGENN_CXXFLAGS"), "{out}");
}
