//! The bad-data corpus: spike datasets and parameter files that are wrong in one way each (NaN,
//! negative or huge times, units or labels out of range, offsets that go back, wrong dtypes,
//! truncated or foreign files, archives whose headers lie, zip bombs). Every one must make `rgenn`
//! exit with status 1 and a message naming the file and the field, never panic; the messages are
//! snapshots (`tests/snapshots/bad_inputs__*.snap`). Unsorted times within a trial are accepted
//! (binning sorts them), which the last test shows.

mod common;

use std::io::Write as _;
use std::path::Path;

use common::{root, stderr};
use rgenn_runtime::data::npz::{OutArray, write};

const MODEL: &str = "examples/sequence_detection.yaml";
const DATA: &str = "examples/data/sequence_detection.npz";

/// What a case feeds `rgenn` and how.
enum Input {
    /// `simulate --data FILE`.
    Data,
    /// `grad --data FILE` (needs labels).
    Labels,
    /// `simulate --params FILE` on the example data.
    Params,
}

fn arrays(list: Vec<(&str, Vec<u64>, OutArray)>) -> Vec<(String, Vec<u64>, OutArray)> {
    list.into_iter()
        .map(|(n, s, a)| (n.to_string(), s, a))
        .collect()
}

/// A good two-trial dataset with `change` applied to its arrays.
fn dataset(change: impl FnOnce(&mut Vec<(String, Vec<u64>, OutArray)>)) -> Vec<u8> {
    let mut a = arrays(vec![
        ("times", vec![4], OutArray::F32(vec![0.0, 10.0, 0.0, 10.0])),
        ("units", vec![4], OutArray::U32(vec![0, 1, 1, 0])),
        ("offsets", vec![3], OutArray::U64(vec![0, 2, 4])),
        ("labels", vec![2], OutArray::I64(vec![0, 1])),
    ]);
    change(&mut a);
    npz_bytes(&a)
}

fn npz_bytes(a: &[(String, Vec<u64>, OutArray)]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npz");
    write(&p, a).unwrap();
    std::fs::read(p).unwrap()
}

fn set(a: &mut [(String, Vec<u64>, OutArray)], name: &str, shape: Vec<u64>, v: OutArray) {
    let e = a.iter_mut().find(|e| e.0 == name).unwrap();
    e.1 = shape;
    e.2 = v;
}

fn drop_array(a: &mut Vec<(String, Vec<u64>, OutArray)>, name: &str) {
    a.retain(|e| e.0 != name);
}

/// A `.npy` entry with a hand-written header (`descr`, `shape`) and raw data.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// A zip of raw `.npy` entries, deflated or stored.
fn zip_of(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::FileOptions::default().compression_method(method);
        for (name, bytes) in entries {
            z.start_file(format!("{name}.npy"), opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn u64s(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

type Case = (
    &'static str,
    Input,
    Vec<u8>,
    &'static [(&'static str, &'static str)],
);

use Input::{Data, Labels, Params};

fn cases() -> Vec<Case> {
    let mut c: Vec<Case> = Vec::new();
    data_cases(&mut c);
    label_cases(&mut c);
    archive_cases(&mut c);
    param_cases(&mut c);
    c
}

/// Spike datasets with one array wrong.
fn data_cases(c: &mut Vec<Case>) {
    let f32a = |v: Vec<f32>| (vec![v.len() as u64], OutArray::F32(v));
    let mut data = |name, change: Box<dyn FnOnce(&mut Vec<_>)>| {
        c.push((name, Data, dataset(change), &[]));
    };
    data(
        "nan_time",
        Box::new(|a| {
            let (s, v) = f32a(vec![0.0, f32::NAN, 0.0, 1.0]);
            set(a, "times", s, v)
        }),
    );
    data(
        "infinite_time",
        Box::new(|a| {
            let (s, v) = f32a(vec![0.0, f32::INFINITY, 0.0, 1.0]);
            set(a, "times", s, v)
        }),
    );
    data(
        "negative_time",
        Box::new(|a| {
            let (s, v) = f32a(vec![0.0, 1.0, -3.0, 1.0]);
            set(a, "times", s, v)
        }),
    );
    data(
        "unit_out_of_range",
        Box::new(|a| set(a, "units", vec![4], OutArray::U32(vec![0, 1, 7, 0]))),
    );
    data(
        "unit_beyond_32_bits",
        Box::new(|a| set(a, "units", vec![4], OutArray::U64(vec![0, 1, 1 << 40, 0]))),
    );
    data(
        "negative_unit",
        Box::new(|a| set(a, "units", vec![4], OutArray::I64(vec![0, -1, 1, 0]))),
    );
    data(
        "offsets_decreasing",
        Box::new(|a| set(a, "offsets", vec![3], OutArray::U64(vec![0, 3, 2]))),
    );
    data(
        "offsets_not_from_zero",
        Box::new(|a| set(a, "offsets", vec![3], OutArray::U64(vec![1, 2, 4]))),
    );
    data(
        "offsets_past_the_end",
        Box::new(|a| set(a, "offsets", vec![3], OutArray::U64(vec![0, 2, 9]))),
    );
    data(
        "offsets_empty",
        Box::new(|a| set(a, "offsets", vec![0], OutArray::U64(vec![]))),
    );
    data(
        "times_units_lengths_differ",
        Box::new(|a| set(a, "units", vec![3], OutArray::U32(vec![0, 1, 1]))),
    );
    data("no_times", Box::new(|a| drop_array(a, "times")));
    data("no_units", Box::new(|a| drop_array(a, "units")));
    data("no_offsets", Box::new(|a| drop_array(a, "offsets")));
    data(
        "times_integers",
        Box::new(|a| set(a, "times", vec![4], OutArray::U32(vec![0, 10, 0, 10]))),
    );
    data(
        "units_floats",
        Box::new(|a| set(a, "units", vec![4], OutArray::F32(vec![0.0, 1.0, 1.0, 0.0]))),
    );
    data(
        "offsets_floats",
        Box::new(|a| set(a, "offsets", vec![3], OutArray::F64(vec![0.0, 2.0, 4.0]))),
    );
    data(
        "times_two_dimensional",
        Box::new(|a| {
            set(
                a,
                "times",
                vec![2, 2],
                OutArray::F32(vec![0.0, 10.0, 0.0, 10.0]),
            )
        }),
    );
}

/// Datasets whose labels are wrong (run through `grad`).
fn label_cases(c: &mut Vec<Case>) {
    let mut labels = |name, change: Box<dyn FnOnce(&mut Vec<_>)>| {
        c.push((name, Labels, dataset(change), &[]));
    };
    labels(
        "label_out_of_range",
        Box::new(|a| set(a, "labels", vec![2], OutArray::I64(vec![0, 2]))),
    );
    labels(
        "negative_label",
        Box::new(|a| set(a, "labels", vec![2], OutArray::I64(vec![-1, 0]))),
    );
    labels(
        "labels_count_differs",
        Box::new(|a| set(a, "labels", vec![3], OutArray::I64(vec![0, 1, 0]))),
    );
    labels(
        "labels_floats",
        Box::new(|a| set(a, "labels", vec![2], OutArray::F32(vec![0.0, 1.0]))),
    );
    labels("no_labels", Box::new(|a| drop_array(a, "labels")));
}

/// Damaged, foreign and lying archives.
fn archive_cases(c: &mut Vec<Case>) {
    let good = dataset(|_| {});
    c.push(("truncated_zip", Data, good[..good.len() / 2].to_vec(), &[]));
    c.push(("zip_tail_cut", Data, good[..good.len() - 30].to_vec(), &[]));
    c.push(("not_a_zip", Data, b"times,units\n0.0,1\n".to_vec(), &[]));
    c.push(("empty_file", Data, Vec::new(), &[]));
    let mut flipped = good.clone();
    let mid = flipped.len() / 3;
    flipped[mid..mid + 16].iter_mut().for_each(|b| *b ^= 0xff);
    c.push(("corrupted_zip", Data, flipped, &[]));
    let offsets = npy("<u8", "(3,)", &u64s(&[0, 2, 4]));
    let units = npy("<u4", "(4,)", &[0u8; 16]);
    let lying = npy("<f4", "(1000000000000,)", &f32s(&[0.0, 1.0, 2.0, 3.0]));
    let entries = [
        ("times", lying),
        ("units", units.clone()),
        ("offsets", offsets.clone()),
    ];
    c.push(("shape_larger_than_data", Data, zip_of(&entries, false), &[]));
    let overflow = npy("<f4", "(4294967296, 4294967296, 16)", &f32s(&[0.0]));
    let entries = [
        ("times", overflow),
        ("units", units.clone()),
        ("offsets", offsets.clone()),
    ];
    c.push(("shape_overflows", Data, zip_of(&entries, false), &[]));
    let n = 8_000_000u64;
    let bomb = npy("<f4", &format!("({n},)"), &vec![0u8; 4 * n as usize]);
    let entries = [
        ("times", bomb),
        ("units", units.clone()),
        ("offsets", offsets.clone()),
    ];
    c.push((
        "zip_bomb",
        Data,
        zip_of(&entries, true),
        &[("RGENN_MAX_ARRAY_BYTES", "1000000")],
    ));
    let object = npy("|O", "(4,)", &[0u8; 32]);
    let entries = [("times", object), ("units", units), ("offsets", offsets)];
    c.push(("times_objects", Data, zip_of(&entries, false), &[]));
}

/// Parameter files with a wrong array.
fn param_cases(c: &mut Vec<Case>) {
    let mut params = |name, a: Vec<(&str, Vec<u64>, OutArray)>| {
        c.push((name, Params, npz_bytes(&arrays(a)), &[]));
    };
    params(
        "weight_wrong_shape",
        vec![("in_out.weight", vec![3, 2], OutArray::F32(vec![1.0; 6]))],
    );
    params(
        "weight_nan",
        vec![(
            "in_out.weight",
            vec![2, 2],
            OutArray::F32(vec![1.0, f32::NAN, 1.0, 1.0]),
        )],
    );
    params(
        "weight_infinite",
        vec![(
            "in_out.weight",
            vec![2, 2],
            OutArray::F64(vec![1.0, 1.0, f64::INFINITY, 1.0]),
        )],
    );
    params(
        "weight_integers",
        vec![("in_out.weight", vec![2, 2], OutArray::U32(vec![1; 4]))],
    );
    params(
        "delay_negative",
        vec![(
            "in_out.delay",
            vec![2, 2],
            OutArray::F32(vec![0.0, -2.0, 10.0, 0.0]),
        )],
    );
    params(
        "delay_nan",
        vec![(
            "in_out.delay",
            vec![2, 2],
            OutArray::F32(vec![0.0, f32::NAN, 10.0, 0.0]),
        )],
    );
    params(
        "delay_wrong_shape",
        vec![("in_out.delay", vec![4], OutArray::F32(vec![0.0; 4]))],
    );
    c.push(("params_not_a_zip", Params, b"weights".to_vec(), &[]));
}

/// Run one case; returns the exit code and stderr with the temporary folder's path replaced.
fn run(
    dir: &Path,
    name: &str,
    input: &Input,
    bytes: &[u8],
    envs: &[(&str, &str)],
) -> (i32, String) {
    let file = dir.join(format!("{name}.npz"));
    std::fs::write(&file, bytes).unwrap();
    let out = dir.join("out.npz");
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let args: Vec<&str> = match input {
        Input::Data => vec!["simulate", MODEL, "--data", f, "--out", o],
        Input::Labels => vec!["grad", MODEL, "--data", f, "--out", o],
        Input::Params => vec!["simulate", MODEL, "--data", DATA, "--params", f, "--out", o],
    };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rgenn"));
    cmd.args(&args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", dir.join("cache"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(!out.exists(), "{name}: a failed run left its output");
    let text = stderr(&o).replace(dir.to_str().unwrap(), "<tmp>");
    (o.status.code().unwrap_or(-1), text)
}

#[test]
fn every_bad_data_or_params_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let all = cases();
    assert!(all.len() >= 40, "{} cases", all.len());
    for (name, input, bytes, envs) in &all {
        let (code, err) = run(tmp.path(), name, input, bytes, envs);
        let file = format!("<tmp>/{name}.npz");
        if code != 1 || err.contains("panicked") || !err.contains(&file) {
            problems.push(format!("{name}: exit {code}, stderr:\n{err}"));
            continue;
        }
        insta::assert_snapshot!(*name, err);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn unsorted_times_within_a_trial_are_accepted_and_binned_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let sorted = dataset(|_| {});
    let unsorted = dataset(|a| {
        set(
            a,
            "times",
            vec![4],
            OutArray::F32(vec![10.0, 0.0, 10.0, 0.0]),
        );
        set(a, "units", vec![4], OutArray::U32(vec![1, 0, 0, 1]));
    });
    let mut outs = Vec::new();
    for (name, bytes) in [("sorted", sorted), ("unsorted", unsorted)] {
        let file = tmp.path().join(format!("{name}.npz"));
        std::fs::write(&file, bytes).unwrap();
        let out = tmp.path().join(format!("{name}_out.npz"));
        let o = common::rgenn(
            &[
                "simulate",
                MODEL,
                "--data",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &tmp.path().join("cache"),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(std::fs::read(out).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn a_huge_time_without_duration_is_refused_not_allocated() {
    let tmp = tempfile::tempdir().unwrap();
    let data = dataset(|a| {
        set(
            a,
            "times",
            vec![4],
            OutArray::F32(vec![0.0, 1.0e12, 0.0, 1.0]),
        );
    });
    std::fs::write(tmp.path().join("huge.npz"), data).unwrap();
    let model = std::fs::read_to_string(root().join(MODEL))
        .unwrap()
        .replace("duration: 25.0           # ms per trial\n", "")
        .replace("{generator: sequence_detection}", "{npz: huge.npz}");
    let path = tmp.path().join("net.yaml");
    std::fs::write(&path, model).unwrap();
    let o = common::rgenn(&["check", path.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("net.yaml:"), "{err}");
    assert!(err.contains("spike times are in ms"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
