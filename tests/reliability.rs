//! Long runs survive faults: a NaN or infinity stops training with a message naming the epoch,
//! batch and buffer, and leaves the last good checkpoint, from which `--resume` continues exactly.

mod common;

use std::path::{Path, PathBuf};

use common::{rgenn, stderr};

/// A small Yin-Yang network with `epochs` epochs and weight learning rate `lr`.
fn yin_yang(dir: &Path, name: &str, epochs: u32, lr: &str) -> PathBuf {
    let text = common::small_yin_yang(32, epochs, [200, 100, 100]);
    assert!(text.contains("lr: 0.005, decay"));
    let path = dir.join(name);
    std::fs::write(
        &path,
        text.replace("lr: 0.005, decay", &format!("lr: {lr}, decay")),
    )
    .unwrap();
    path
}

fn train(model: &Path, run: &Path, cache: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "train",
        model.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    rgenn(&args, cache)
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_nan_stops_training_naming_the_place_and_resume_continues_from_the_last_good_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let good = yin_yang(tmp.path(), "good.yaml", 2, "0.005");
    let bad = yin_yang(tmp.path(), "bad.yaml", 2, "1.0e30");
    let (whole, run) = (tmp.path().join("whole"), tmp.path().join("run"));
    assert!(train(&good, &whole, tmp.path(), &[]).status.success());
    assert!(
        train(&good, &run, tmp.path(), &["--epochs", "1"])
            .status
            .success()
    );
    let checkpoint = bytes(&run.join("checkpoint.npz"));
    let metrics = bytes(&run.join("metrics.csv"));

    // A learning rate of 1e30 overflows within the second epoch's first batches.
    let o = train(&bad, &run, tmp.path(), &["--resume"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("epoch 2, batch "), "{err}");
    assert!(err.contains("(buffer `conn_"), "{err}");
    assert!(err.contains("continue with --resume"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(bytes(&run.join("checkpoint.npz")), checkpoint);
    assert_eq!(bytes(&run.join("metrics.csv")), metrics);

    // Back to a sane learning rate: the run continues as if the fault had never happened.
    assert!(
        train(&good, &run, tmp.path(), &["--resume"])
            .status
            .success()
    );
    for file in ["params_last.npz", "params.npz", "checkpoint.npz"] {
        assert_eq!(
            bytes(&whole.join(file)),
            bytes(&run.join(file)),
            "{file} differs"
        );
    }
}

#[test]
fn a_nan_in_the_first_batches_leaves_no_checkpoint_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = yin_yang(tmp.path(), "bad.yaml", 1, "1.0e30");
    let run = tmp.path().join("run");
    let o = train(&bad, &run, tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("epoch 1, batch "), "{}", stderr(&o));
    assert!(!run.join("checkpoint.npz").exists());
    assert!(!run.join("params.npz").exists());
}
