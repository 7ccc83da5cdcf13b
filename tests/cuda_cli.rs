//! `--backend cuda` through the CLI on a machine without a GPU: sources are generated anywhere, and
//! running fails with a message that says what is missing.

mod common;

use common::{rgenn, rgenn_without, stderr};

#[test]
fn generate_writes_cuda_sources_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cu");
    let o = rgenn(
        &[
            "generate",
            "examples/sequence_detection.yaml",
            "--backend",
            "cuda",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cu = std::fs::read_to_string(out.join("simulator.cu")).unwrap();
    assert!(cu.contains("__global__"));
    assert!(out.join("rgenn.h").is_file());
}

#[test]
fn running_without_nvcc_names_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o.npz");
    let o = rgenn_without(
        &[
            "simulate",
            "examples/sequence_detection.yaml",
            "--data",
            "examples/data/sequence_detection.npz",
            "--out",
            out.to_str().unwrap(),
            "--backend",
            "cuda",
        ],
        tmp.path(),
        &["RGENN_NVCC", "CUDA_PATH", "PATH"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("no CUDA compiler found"), "{err}");
    assert!(err.contains("scripts/install-nvcc.sh"), "{err}");
    assert!(!out.exists());
}

#[test]
fn training_on_cuda_without_nvcc_names_the_fix_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let o = rgenn_without(
        &[
            "train",
            "examples/sequence_detection.yaml",
            "--epochs",
            "1",
            "--out",
            run.to_str().unwrap(),
            "--backend",
            "cuda",
        ],
        tmp.path(),
        &["RGENN_NVCC", "CUDA_PATH", "PATH"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("no CUDA compiler found"), "{err}");
    assert!(!run.exists(), "no run folder");
}

#[test]
fn lane_groups_are_refused_on_cuda_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("examples/sequence_detection.yaml")
        .unwrap()
        .replace("batch_size: 1", "batch_size: 2\nlane_group: 2");
    let model = tmp.path().join("grouped.yaml");
    std::fs::write(&model, text).unwrap();
    let out = tmp.path().join("cu");
    let o = rgenn(
        &[
            "generate",
            model.to_str().unwrap(),
            "--backend",
            "cuda",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the `cuda` backend cannot run this network: `lane_group: 2`"),
        "{err}"
    );
    assert!(err.contains("use `lane_group: 1` there"), "{err}");
    assert!(!out.exists(), "nothing is written");
    // the cpu backend takes it
    let o = rgenn(
        &[
            "generate",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cpp = std::fs::read_to_string(out.join("simulator.cpp")).unwrap();
    assert!(cpp.contains("constexpr uint32_t LANE_GROUP = 2;"), "{cpp}");
}
