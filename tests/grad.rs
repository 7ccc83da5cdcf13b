//! End-to-end tests of `rgenn grad` through the real binary: the output file, and clear errors for
//! data without labels, labels out of range and networks without a readout.

mod common;

use common::{rgenn, stderr};
use std::path::Path;

use rgenn_runtime::data::npz::{NpzFile, OutArray, write};

const MODEL: &str = "examples/sequence_detection.yaml";
const DATA: &str = "examples/data/sequence_detection.npz";

/// The sequence-detection inputs with the given labels (`None`: no labels array).
fn data_with_labels(path: &Path, labels: Option<Vec<i64>>) {
    let mut arrays = vec![
        (
            "times".to_string(),
            vec![4],
            OutArray::F32(vec![0.0, 10.0, 0.0, 10.0]),
        ),
        (
            "units".to_string(),
            vec![4],
            OutArray::U32(vec![0, 1, 1, 0]),
        ),
        ("offsets".to_string(), vec![3], OutArray::U64(vec![0, 2, 4])),
    ];
    if let Some(l) = labels {
        arrays.push(("labels".to_string(), vec![l.len() as u64], OutArray::I64(l)));
    }
    write(path, &arrays).unwrap();
}

#[test]
fn grad_writes_the_loss_and_gradients_shaped_like_the_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g.npz");
    let o = rgenn(
        &[
            "grad",
            MODEL,
            "--data",
            DATA,
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("forward and backward over 2 trials"));
    let mut f = NpzFile::open(&out).unwrap();
    let loss = f.floats("loss").unwrap();
    assert!(loss.shape.is_empty());
    // Both trials start from the worst-case delays: the loss exceeds ln 2 (chance).
    assert!(loss.values[0] > 2f64.ln(), "loss {}", loss.values[0]);
    let w = f.floats("in_out.weight_grad").unwrap();
    let d = f.floats("in_out.delay_grad").unwrap();
    assert_eq!(w.shape, [2, 2]);
    assert_eq!(d.shape, [2, 2]);
    assert!(d.values.iter().any(|&g| g != 0.0));
    // The two classes mirror each other, so the gradients are symmetric under swapping both
    // inputs and outputs.
    let g = &d.values;
    assert!((g[0] - g[3]).abs() <= 1e-6 * g[0].abs().max(1e-12));
    assert!((g[1] - g[2]).abs() <= 1e-6 * g[1].abs().max(1e-12));
}

/// Run `grad` on the sequence-detection inputs with `labels`; it must fail with `message` in its
/// error and leave no output.
fn grad_fails_with(labels: Option<Vec<i64>>, message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d.npz");
    data_with_labels(&data, labels);
    let out = tmp.path().join("g.npz");
    let o = rgenn(
        &[
            "grad",
            MODEL,
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(message), "{}", stderr(&o));
    assert!(!out.exists(), "no output on failure");
}

#[test]
fn data_without_labels_is_a_clear_error() {
    grad_fails_with(
        None,
        "the loss needs a class per trial, but the file has no `labels` array",
    );
}

#[test]
fn labels_out_of_range_are_a_clear_error() {
    grad_fails_with(
        Some(vec![0, 2]),
        "trial 1 has label 2, but the output population has 2 neurons (labels 0..1)",
    );
}

#[test]
fn a_network_without_a_readout_has_no_loss() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("net.yaml");
    std::fs::write(
        &model,
        "name: plain\ndt: 1.0\nduration: 25.0\npopulations:\n  input: {size: 2, model: spike_input}\n  output: {size: 2, model: li}\nconnections:\n  c: {source: input, target: output, weight: 1.0}\n",
    )
    .unwrap();
    let out = tmp.path().join("g.npz");
    let o = rgenn(
        &[
            "grad",
            model.to_str().unwrap(),
            "--data",
            DATA,
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no population has a `readout`"),
        "{}",
        stderr(&o)
    );
}
