//! Zero-adjoint stretches (`plan::quiet`): the CPU simulator as generated, whose connection
//! kernels return at once while their target's histories are zero at every arrival step they
//! read, against the same source with those early returns cut out. Training steps and full
//! gradient passes leave every buffer of the two equal bit for bit (signs of zeros included),
//! and the early returns are taken.

mod common;

use std::path::{Path, PathBuf};

use rgenn_codegen::backend::{self, Backend};
use rgenn_codegen::ir::Network;
use rgenn_runtime::Simulator;
use rgenn_runtime::build::compile;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::passes::grad::{self, Passes};
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::engine::Engine;

/// Every kind of connection (dense, sparse and one-to-one; per-synapse, fixed and no delays; from
/// an input and recurrent), into an output population `OUTPUT`.
const NET: &str = "
name: quiet
dt: 0.5
duration: 30.0
precision: PRECISION
batch_size: 3
seed: 11
populations:
  input: {size: 10, model: spike_input}
  hid: {size: 24, model: lif, params: {tau_mem: 10.0, v_thresh: 0.5}}
  copy: {size: 24, model: lif, params: {v_thresh: 0.1}}
  out: OUTPUT
connections:
  in_hid: {source: input, target: hid, weight: {normal: {mean: 0.3, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [weight, delay]}
  in_hid_sparse: {source: input, target: hid, connectivity: {fixed_probability: 0.5}, weight: {normal: {mean: 0.2, sd: 0.2}}, delay: 1.5, learn: [weight]}
  hid_hid: {source: hid, target: hid, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.0, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  hid_copy: {source: hid, target: copy, connectivity: one_to_one, weight: 1.0, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [delay]}
  copy_out: {source: copy, target: out, weight: {normal: {mean: 0.2, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  hid_out: {source: hid, target: out, weight: {normal: {mean: 0.1, sd: 0.3}}, learn: [weight]}
training:
  epochs: 1
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {adam: {lr: 0.01}}
    delay: {adam: {lr: 0.5}}
";

/// The first line of every early return of a quiet stretch in generated C++ (three more follow:
/// the test, `return;` and the closing brace).
const SKIP_NOTE: &str = "// the target's histories are zero at every arrival step read";

/// `source` with each early return counted in `rgenn_test_quiet_skips()` (`count`), or cut out.
fn variant(source: &str, count: bool) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    if count {
        out.push_str(
            "#include <atomic>\nstatic std::atomic<unsigned long long> rgenn_test_skips{0};\n\
             extern \"C\" unsigned long long rgenn_test_quiet_skips(void) { return rgenn_test_skips.load(); }\n",
        );
    }
    let mut k = 0;
    let mut found = 0;
    while k < lines.len() {
        if lines[k].trim_start().starts_with(SKIP_NOTE) {
            assert_eq!(lines[k + 2].trim(), "return;", "the early return's shape");
            found += 1;
            if count {
                out.push_str(&format!(
                    "{}\n{}\n        rgenn_test_skips++;\n",
                    lines[k],
                    lines[k + 1]
                ));
                k += 2;
                continue;
            }
            k += 4;
            continue;
        }
        out.push_str(lines[k]);
        out.push('\n');
        k += 1;
    }
    assert!(found >= 6, "one early return per connection, found {found}");
    out
}

/// Build `source` for `net` in `dir` and load it.
fn load(net: &Network, dir: &Path, name: &str, source: &str) -> (Simulator, PathBuf) {
    let key = source
        .lines()
        .find_map(|l| l.strip_prefix("const char* rgenn_cache_key(void) { return \""))
        .and_then(|rest| rest.split('"').next())
        .expect("the source names its cache key")
        .to_string();
    let src = dir.join(format!("{name}.cpp"));
    std::fs::write(&src, source).unwrap();
    let library = dir.join(format!("lib{name}.so"));
    compile::find(Backend::Cpu)
        .expect("a C++ compiler")
        .build_shared(&src, &library, &dir.join(format!("{name}.log")))
        .expect("builds");
    let sim = Simulator::load(net, &library, &key).expect("loads");
    (common::with_params(sim), library)
}

/// Every buffer of `sim`, as bits.
fn state(sim: &mut Simulator) -> Vec<(String, Vec<u64>)> {
    let net = sim.network().clone();
    (0..net.buffers.len())
        .map(|i| {
            let bits = sim.read_f64(i).iter().map(|x| x.to_bits()).collect();
            (net.buffers[i].name.clone(), bits)
        })
        .collect()
}

/// One training step (trials `trials`, step `t`) with learned-only gradients, then Adam.
fn train_step(sim: &mut Simulator, data: &SpikeDataset, trials: &[usize], t: u64) {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net).expect("a loss");
    let (inputs, labels) = common::batch_of(&net, data, trials);
    sim.run_batch(&inputs, &labels, &spec, 1.0 / 3.0, 2, Passes::Train(None))
        .expect("a batch runs");
    let adam = common::adam(0.01);
    sim.optimizer_step(3, t, (&adam, 0.01), (&adam, 0.5), 2)
        .expect("an optimiser step");
}

fn check(precision: &str, output: &str) {
    let net = common::load(
        &NET.replace("PRECISION", precision)
            .replace("OUTPUT", output),
    );
    let files = backend::render(&net, Backend::Cpu).expect("renders");
    let source = &files
        .iter()
        .find(|f| f.name == "simulator.cpp")
        .expect("a simulator")
        .contents;
    let dir = tempfile::tempdir().unwrap();
    for f in files.iter().filter(|f| f.name.ends_with(".h")) {
        std::fs::write(dir.path().join(&f.name), &f.contents).unwrap();
    }
    let (mut skipping, library) = load(&net, dir.path(), "skipping", &variant(source, true));
    let (mut every, _) = load(&net, dir.path(), "every_step", &variant(source, false));
    let data = common::random_data(7, 9, 10, net.duration_ms, 3);
    for (k, first) in [0usize, 3, 6].into_iter().enumerate() {
        let trials: Vec<usize> = (first..first + 3).collect();
        train_step(&mut skipping, &data, &trials, k as u64 + 1);
        train_step(&mut every, &data, &trials, k as u64 + 1);
        for ((name, a), (_, b)) in state(&mut skipping).iter().zip(&state(&mut every)) {
            assert!(a == b, "{precision} {output}: `{name}` after step {k}");
        }
    }
    let at = Path::new("random.npz");
    let ga = grad::grad(&mut skipping, &data, at, 2).expect("grad");
    let gb = grad::grad(&mut every, &data, at, 2).expect("grad");
    assert_eq!(ga, gb, "{precision} {output}: rgenn grad");
    for ((name, a), (_, b)) in state(&mut skipping).iter().zip(&state(&mut every)) {
        assert!(a == b, "{precision} {output}: `{name}` after grad");
    }
    // SAFETY: the library the simulator already loaded; the symbol is the counter added above.
    let skips = unsafe {
        let lib = libloading::Library::new(&library).expect("opens");
        let f: libloading::Symbol<unsafe extern "C" fn() -> u64> =
            lib.get(b"rgenn_test_quiet_skips").expect("the counter");
        f()
    };
    assert!(
        skips > 0,
        "{precision} {output}: no kernel call was skipped"
    );
}

#[test]
fn skipping_quiet_stretches_changes_no_bit_with_a_max_readout() {
    check("f64", "{size: 3, model: li, readout: max}");
    check("f32", "{size: 3, model: li, readout: max}");
}

#[test]
fn skipping_quiet_stretches_changes_no_bit_with_a_first_spike_readout() {
    check(
        "f64",
        "{size: 3, model: lif, readout: first_spike, params: {v_thresh: 0.2}}",
    );
    check(
        "f32",
        "{size: 3, model: lif, readout: first_spike, params: {v_thresh: 0.2}}",
    );
}
