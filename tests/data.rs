//! `rgenn data verify` and `rgenn data convert` through the real binary.

mod common;

use common::{rgenn, stderr};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn verify_checks_given_and_published_sums() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("fox.txt");
    std::fs::write(&f, b"The quick brown fox jumps over the lazy dog").unwrap();
    let fs = f.to_str().unwrap();
    let ok = rgenn(
        &[
            "data",
            "verify",
            fs,
            "--md5",
            "9e107d9d372bb6826bd81d3542a419d6",
        ],
        tmp.path(),
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).starts_with("ok "), "{}", stdout(&ok));

    let bad = rgenn(
        &[
            "data",
            "verify",
            fs,
            "--md5",
            "0123456789abcdef0123456789abcdef",
        ],
        tmp.path(),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("MISMATCH"), "{}", stdout(&bad));
    assert!(
        stderr(&bad).contains("could not be verified"),
        "{}",
        stderr(&bad)
    );

    // A published name with other contents: checked against the Zenke lab's sum.
    let g = tmp.path().join("shd_train.h5.gz");
    std::fs::write(&g, b"truncated download").unwrap();
    let o = rgenn(&["data", "verify", g.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("expected d47c9825dee33347913e8ce0f2be08b0"),
        "{}",
        stdout(&o)
    );
    // No sum known and none given: not verified.
    let o = rgenn(&["data", "verify", fs], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("UNKNOWN"), "{}", stdout(&o));
    let o = rgenn(&["data", "verify", "no/such/file.h5.gz"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/file.h5.gz"), "{}", stderr(&o));
}

#[cfg(not(feature = "hdf5"))]
#[test]
fn convert_without_the_feature_says_how_to_enable_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.npz");
    let o = rgenn(
        &[
            "data",
            "convert",
            "shd_train.h5",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--features hdf5"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[cfg(feature = "hdf5")]
#[test]
fn convert_writes_the_spike_dataset_and_leaves_nothing_on_failure() {
    use rgenn_runtime::data::SpikeDataset;
    let tmp = tempfile::tempdir().unwrap();
    let h5 = tmp.path().join("shd_test.h5");
    let d = SpikeDataset {
        times: vec![250.0, 500.0, 1000.0],
        units: vec![3, 699, 0],
        offsets: vec![0, 2, 3],
        labels: Some(vec![5, 19]),
    };
    rgenn_runtime::data::shd::write_h5::write(&h5, &d, Some(&[1, 2])).unwrap();
    let out = tmp.path().join("out.npz");
    let o = rgenn(
        &[
            "data",
            "convert",
            h5.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 examples, 3 spikes, 20 classes, speakers"));
    let back = SpikeDataset::read(&out).unwrap();
    assert_eq!(back.times, d.times);
    assert_eq!(back.labels, d.labels);

    let broken = tmp.path().join("broken.h5");
    std::fs::write(&broken, b"\x89HDF\r\n\x1a\n").unwrap();
    let out2 = tmp.path().join("out2.npz");
    let o = rgenn(
        &[
            "data",
            "convert",
            broken.to_str().unwrap(),
            "--out",
            out2.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("broken.h5"), "{}", stderr(&o));
    assert!(!out2.exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 3, "only the inputs and out.npz remain");
}
