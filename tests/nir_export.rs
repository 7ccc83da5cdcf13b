//! `rgenn nir export` through the real binary (feature `hdf5`): YAML -> NIR -> YAML keeps every
//! population and every synapse (weight, delay in steps), and an export reads back with the
//! python `nir` package's `nir.read` (type checks on) with every array equal to what rgenn wrote.
//! The python check is skipped when no python with `nir` is found, unless `RGENN_REQUIRE_NIR=1`;
//! `RGENN_NIR_PYTHON` names the interpreter (default `python3`).

#![cfg(feature = "hdf5")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{rgenn, root, stderr};
use rgenn_codegen::ir::{Delays, Network};
use rgenn_runtime::data::npz::NpzFile;
use rgenn_runtime::nir::export::synapses;
use rgenn_runtime::sim::init::{Params, initial_params};

const NET: &str = "name: rt
dt: 0.5
duration: 20.0
precision: f32
seed: 3
populations:
  input: {size: 5, model: spike_input}
  hidden: {size: 7, model: lif, params: {tau_mem: 15.0, tau_syn: 4.0, v_thresh: 0.8, v_reset: -0.1}}
  out: {size: 3, model: li, params: {tau_mem: 12.0, tau_syn: 6.0}, readout: mean}
connections:
  in_hid:
    source: input
    target: hidden
    weight: {normal: {mean: 0.5, sd: 0.5}}
    delay: {uniform: {min: 0.0, max: 6.0}}
    max_delay: 6.0
    learn: [weight, delay]
  hid_hid:
    source: hidden
    target: hidden
    weight: {normal: {mean: 0.0, sd: 0.3}}
    delay: 1.5
  hid_out:
    source: hidden
    target: out
    weight: {uniform: {min: -0.5, max: 0.5}}
";

fn run_ok(args: &[&str], cache: &Path) {
    let o = rgenn(args, cache);
    assert!(o.status.success(), "rgenn {args:?}: {}", stderr(&o));
}

/// Per connection name: (source, target, dense weights and step delays `[pre][post]` of every
/// synapse with a nonzero weight).
type Synapses = BTreeMap<String, (String, String, BTreeMap<(usize, usize), (f64, u32)>)>;

fn dense(net: &Network, p: &Params) -> Synapses {
    let mut out = BTreeMap::new();
    for (ci, c) in net.connections.iter().enumerate() {
        let mut m = BTreeMap::new();
        for (s, ji) in synapses(net, c).into_iter().enumerate() {
            let w = p.weights[ci][s];
            let k = match &c.delays {
                Delays::Uniform { steps } => *steps,
                Delays::PerSynapse { .. } => (p.delays_ms[ci][s] / net.dt_ms)
                    .round()
                    .clamp(0.0, f64::from(c.max_delay_steps))
                    as u32,
            };
            if w != 0.0 {
                m.insert(ji, (w, k));
            }
        }
        let names = (
            net.pop(c.source).name.clone(),
            net.pop(c.target).name.clone(),
        );
        out.insert(c.name.clone(), (names.0, names.1, m));
    }
    out
}

fn load(path: &Path) -> (Network, Params) {
    let l = rgenn_runtime::load_network(path).unwrap();
    let p = initial_params(&l.ir, &l.base_dir).unwrap();
    (l.ir, p)
}

#[test]
fn yaml_to_nir_to_yaml_keeps_every_synapse() {
    let tmp = tempfile::tempdir().unwrap();
    let (yaml, nir, back) = (
        tmp.path().join("rt.yaml"),
        tmp.path().join("rt.nir"),
        tmp.path().join("back.yaml"),
    );
    std::fs::write(&yaml, NET).unwrap();
    run_ok(
        &[
            "nir",
            "export",
            yaml.to_str().unwrap(),
            "--out",
            nir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    run_ok(
        &[
            "nir",
            "import",
            nir.to_str().unwrap(),
            "--out",
            back.to_str().unwrap(),
            "--dt",
            "0.5",
        ],
        tmp.path(),
    );
    let (a, pa) = load(&yaml);
    let (b, pb) = load(&back);
    assert_eq!(a.populations.len(), b.populations.len());
    for p in &a.populations {
        let q = b
            .populations
            .iter()
            .find(|q| q.name == p.name)
            .expect("population kept");
        assert_eq!(
            a.models[p.model.0 as usize].name, b.models[q.model.0 as usize].name,
            "{}",
            p.name
        );
        assert_eq!(p.size, q.size, "{}", p.name);
        for (x, y) in p.params.iter().zip(&q.params) {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{}: {x} vs {y}",
                p.name
            );
        }
        assert_eq!(p.readout.is_some(), q.readout.is_some(), "{}", p.name);
    }
    let (da, db) = (dense(&a, &pa), dense(&b, &pb));
    assert_eq!(da.keys().collect::<Vec<_>>(), db.keys().collect::<Vec<_>>());
    for (name, (s, t, m)) in &da {
        let (s2, t2, m2) = &db[name];
        assert_eq!((s, t), (s2, t2), "{name}");
        assert_eq!(m, m2, "{name}: synapse by synapse");
    }
    // The learned-delay connection spreads over several step values: several masked branches.
    let branches = std::fs::read_to_string(&back).unwrap();
    assert!(branches.contains("in_hid:"), "{branches}");
}

#[test]
fn exports_read_back_with_python_nir() {
    let python = std::env::var("RGENN_NIR_PYTHON").unwrap_or_else(|_| "python3".into());
    let required = std::env::var("RGENN_REQUIRE_NIR").as_deref() == Ok("1");
    let probe = std::process::Command::new(&python)
        .args(["-c", "import nir"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            !required,
            "RGENN_REQUIRE_NIR=1 but `{python} -c 'import nir'` fails: {probe:?}"
        );
        eprintln!("skipped: no python with the `nir` package ({python}); set RGENN_NIR_PYTHON");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("rt.yaml");
    std::fs::write(&yaml, NET).unwrap();
    for (i, model) in [yaml.clone(), root().join("examples/recurrent_delays.yaml")]
        .iter()
        .enumerate()
    {
        let nir = tmp.path().join(format!("m{i}.nir"));
        let (npz, js) = (
            tmp.path().join(format!("m{i}.npz")),
            tmp.path().join(format!("m{i}.json")),
        );
        run_ok(
            &[
                "nir",
                "export",
                model.to_str().unwrap(),
                "--out",
                nir.to_str().unwrap(),
            ],
            tmp.path(),
        );
        let script = root().join("tests/nir/read_back.py");
        let o = std::process::Command::new(&python)
            .args([script.as_path(), nir.as_path(), npz.as_path(), js.as_path()])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "nir.read failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let ours = rgenn_runtime::nir::read(&nir).unwrap();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap();
        let mut theirs = NpzFile::open(&npz).unwrap();
        let mut n_arrays = 0;
        for (name, node) in &ours.nodes {
            assert_eq!(meta["types"][name], node.kind.as_str(), "{name}");
            for (field, a) in &node.fields {
                let b = theirs.floats(&format!("{name}:{field}")).unwrap();
                assert_eq!(
                    b.shape.iter().map(|&d| d as usize).collect::<Vec<_>>(),
                    a.shape,
                    "{name}:{field}"
                );
                assert_eq!(b.values, a.values, "{name}:{field}");
                n_arrays += 1;
            }
        }
        assert_eq!(meta["types"].as_object().unwrap().len(), ours.nodes.len());
        let edges: Vec<(String, String)> = serde_json::from_value(meta["edges"].clone()).unwrap();
        assert_eq!(edges, ours.edges);
        assert!(n_arrays > 10);
    }
}

#[test]
fn custom_models_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("m.yaml"),
        "name: mine\nparams: {tau: 10.0}\nderived: {a: exp(-dt / tau)}\nvars: {v: 0.0}\ninput: v\nsim: |\n  v = a * v;\nthreshold: v >= 1.0\nreset: v = 0.0;\n",
    )
    .unwrap();
    let yaml = tmp.path().join("net.yaml");
    std::fs::write(
        &yaml,
        "name: c\ndt: 1.0\nduration: 10.0\npopulations:\n  input: {size: 2, model: spike_input}\n  h: {size: 2, model: m.yaml}\nconnections:\n  c:\n    source: input\n    target: h\n    weight: 1.0\n",
    )
    .unwrap();
    let out = tmp.path().join("x.nir");
    let o = rgenn(
        &[
            "nir",
            "export",
            yaml.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("population `h`") && e.contains("built-in"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn export_takes_trained_parameters_from_params() {
    use rgenn_runtime::data::npz::{OutArray, write};
    let tmp = tempfile::tempdir().unwrap();
    let (yaml, params, nir) = (
        tmp.path().join("rt.yaml"),
        tmp.path().join("p.npz"),
        tmp.path().join("rt.nir"),
    );
    std::fs::write(&yaml, NET).unwrap();
    let w: Vec<f64> = (0..21).map(|x| f64::from(x) / 8.0 - 1.0).collect();
    write(
        &params,
        &[(
            "hid_out.weight".into(),
            vec![7, 3],
            OutArray::F64(w.clone()),
        )],
    )
    .unwrap();
    run_ok(
        &[
            "nir",
            "export",
            yaml.to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
            "--out",
            nir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let g = rgenn_runtime::nir::read(&nir).unwrap();
    let lin = &g.nodes["hid_out"].fields["weight"];
    assert_eq!(lin.shape, vec![3, 7]);
    for j in 0..7 {
        for i in 0..3 {
            assert_eq!(lin.values[i * 7 + j], w[j * 3 + i], "[{i}, {j}]");
        }
    }
}
