//! The generated CUDA simulators, run without a GPU: each `.cu` is compiled as host C++ against a
//! small emulation of the CUDA runtime (`cuda_emu/cuda_runtime.h`: blocks one after the other,
//! each block's threads as host threads meeting at a barrier), loaded through `CudaSimulator`,
//! and compared with the CPU simulator on the same data: forward spikes and readouts, loss and
//! gradients. This checks the CUDA code's logic (indices, kernel order, spike lists, block sums,
//! the batch-wide API, per-lane resets) in CI; races and timing need a real GPU
//! (`scripts/gpu-check.sh`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rgenn_codegen::backend::{self, Backend};
use rgenn_codegen::ir::Network;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::sim::cuda::{self, CudaSimulator, parity};
use rgenn_runtime::{Simulator, build::cache, passes::grad, passes::simulate, sim::init};

/// Every kernel launch `k<<<grid, block, shmem, stream>>>(args);` as an emulated launch.
fn emulate_launches(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(open) = rest.find("<<<") {
        let name_start = rest[..open]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        out.push_str(&rest[..name_start]);
        let name = &rest[name_start..open];
        let close = open + rest[open..].find(">>>").expect("a launch ends with >>>");
        let config = split_top_level(&rest[open + 3..close]);
        let args_end = close + rest[close..].find(");").expect("a launch ends with );");
        let args = &rest[close + 4..args_end];
        out.push_str(&format!(
            "emu::launch(dim3({}), {}, [&] {{ {name}({args}); }});",
            config[0], config[1]
        ));
        rest = &rest[args_end + 2..];
    }
    out.push_str(rest);
    out
}

/// Split `a, f(b, c), d` at the commas outside parentheses.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_string());
    parts
}

/// Render `net` for CUDA, compile it against the emulation and load it.
fn emulated(net: &Network, dir: &Path) -> CudaSimulator {
    std::fs::create_dir_all(dir).expect("a scratch folder");
    for f in backend::render(net, Backend::Cuda).expect("renders") {
        let text = if f.name.ends_with(".cu") {
            emulate_launches(&f.contents)
        } else {
            f.contents
        };
        std::fs::write(dir.join(&f.name), text).expect("writable");
    }
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cuda_emu");
    let library = dir.join("libemulated.so");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let out = Command::new(&cxx)
        .args(["-std=c++17", "-O1", "-fPIC", "-shared"])
        .args(["-ffp-contract=off", "-Wall", "-Wextra", "-x", "c++"])
        .arg("-I")
        .arg(&shim)
        .arg(dir.join("simulator.cu"))
        .arg("-o")
        .arg(&library)
        .output()
        .expect("the C++ compiler runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {log}", net.name);
    let key = backend::cache_key(net, Backend::Cuda).expect("renders");
    CudaSimulator::load(net, &library, &key).expect("the emulated library loads")
}

fn load(name: &str, yaml: &str, base: &Path) -> Network {
    rgenn_codegen::load_str(name, yaml, base)
        .unwrap_or_else(|e| panic!("{name}: {:?}", e.reports()))
        .ir
}

/// CPU and emulated-GPU runs of `net` on `data` agree: identical spikes and readouts (f64, same
/// operations in the same order), gradients to `1e-9` relative (the rows' dloss_dt sums are formed
/// in another order).
fn check(net: &Network, base: &Path, data: &SpikeDataset) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda-emulated");
    let params = init::initial_params(net, base).expect("params");
    let built = cache::build_in(net, Backend::Cpu, &scratch.join("cache")).expect("CPU build");
    let mut cpu = Simulator::load(net, &built.library, &built.cache_key).expect("CPU load");
    init::upload(&mut cpu, &params).expect("upload");
    let mut gpu = emulated(net, &scratch.join(&net.name));
    gpu.upload(&params).expect("upload");
    let at = Path::new("random.npz");
    let a = simulate::simulate(&mut cpu, data, at, 1).expect("CPU simulate");
    let b = cuda::simulate(&mut gpu, data, at).expect("emulated simulate");
    let (spikes, arrays) = parity::compare_simulations(net, &a, &b);
    let total: usize = spikes.iter().map(|s| s.reference_spikes).sum();
    assert!(
        total > 0,
        "{}: the test should make neurons spike",
        net.name
    );
    for s in spikes {
        assert_eq!(s.differing_trials, 0, "{}: {s:?}", net.name);
    }
    for d in arrays {
        assert!(d.relative() <= 1e-12, "{}: {d:?}", net.name);
    }
    let a = grad::grad(&mut cpu, data, at, 1).expect("CPU grad");
    let b = cuda::grad(&mut gpu, data, at).expect("emulated grad");
    for d in parity::compare_gradients(net, &a, &b) {
        assert!(d.relative() <= 1e-9, "{}: {d:?}", net.name);
    }
    let nonzero = b.grads.delay.iter().flatten().any(|&g| g != 0.0);
    assert!(
        nonzero,
        "{}: the test should give delay gradients",
        net.name
    );
}

#[test]
fn examples_match_the_cpu_in_emulation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["recurrent_delays", "sequence_detection", "ode_models"] {
        let path: PathBuf = dir.join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).expect("readable");
        let text = text.replacen("precision: f32", "precision: f64", 1);
        let net = load(&format!("{name}.yaml"), &text, &dir);
        let inputs = net.populations[0].size;
        let classes = net.populations.last().expect("an output").size;
        // Batches of 3 trials leave a short last batch in recurrent_delays (batch 4).
        let data = common::random_data(5, 7, inputs, net.duration_ms, classes);
        check(&net, &dir, &data);
    }
}

/// Every connectivity, random connectivity with a fixed delay, several spikes per neuron, and (with
/// `WIDE` above 256) dense rows longer than a block and a spiking population of several warps.
const COVERAGE: &str = "
name: emulated_coverage
dt: 0.5
duration: 15.0
precision: f64
batch_size: 3
seed: 9
populations:
  input: {size: 12, model: spike_input}
  wide: {size: WIDE, model: lif, params: {tau_mem: 10.0, v_thresh: 0.6}}
  sparse: {size: 40, model: lif, params: {v_thresh: 0.4}}
  copy: {size: 40, model: lif, params: {v_thresh: 0.3}}
  out: OUT
connections:
  in_wide: {source: input, target: wide, weight: {normal: {mean: 0.5, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 4.0}}, max_delay: 4.0, learn: [weight, delay]}
  wide_sparse: {source: wide, target: sparse, connectivity: {fixed_probability: 0.2}, weight: {normal: {mean: 0.05, sd: 0.2}}, delay: 1.5}
  sparse_sparse: {source: sparse, target: sparse, connectivity: {fixed_probability: 0.3}, weight: {normal: {mean: 0.0, sd: 0.3}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  sparse_copy: {source: sparse, target: copy, connectivity: one_to_one, weight: 1.0, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0, learn: [delay]}
  copy_out: {source: copy, target: out, weight: {normal: {mean: 0.3, sd: 0.2}}, delay: {uniform: {min: 0.0, max: 2.0}}, max_delay: 2.0, learn: [weight, delay]}
  wide_out: {source: wide, target: out, weight: {normal: {mean: 0.0, sd: 0.05}}}
";

#[test]
fn every_kernel_variant_matches_the_cpu_in_emulation() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (wide, out) in [
        (
            "300",
            "{size: 3, model: lif, readout: first_spike, params: {v_thresh: 0.2}}",
        ),
        ("40", "{size: 3, model: li, readout: sum}"),
        ("40", "{size: 3, model: li, readout: max}"),
    ] {
        let text = COVERAGE.replace("WIDE", wide).replace("OUT", out);
        let net = load("emulated_coverage.yaml", &text, base);
        let data = common::random_data(8, 5, 12, net.duration_ms, 3);
        check(&net, base, &data);
    }
}

#[test]
fn launches_become_emulated_calls() {
    let src = "    k_a<<<dim3(2, lanes), 32, 0, s.stream>>>(s.b, f(x, y), step);\n    k_b<<<1, 64, 0, s.stream>>>(s.b);\n";
    assert_eq!(
        emulate_launches(src),
        "    emu::launch(dim3(dim3(2, lanes)), 32, [&] { k_a(s.b, f(x, y), step); });\n    emu::launch(dim3(1), 64, [&] { k_b(s.b); });\n"
    );
}

/// One Adam step on the emulated GPU equals the same step computed on the host from the lane sums
/// of the gradients (f64: the same operations in the same order, so exactly equal).
#[test]
fn the_optimiser_step_matches_adam_on_the_host() {
    use rgenn_codegen::ir::buffers::{Owner, Role};
    use rgenn_runtime::passes::loss::LossSpec;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let text = std::fs::read_to_string(dir.join("recurrent_delays.yaml")).expect("readable");
    let text = text.replacen("precision: f32", "precision: f64", 1);
    let net = load("recurrent_delays.yaml", &text, &dir);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda-emulated");
    let mut gpu = emulated(&net, &scratch.join("optimiser"));
    gpu.upload(&init::initial_params(&net, &dir).expect("params"))
        .expect("upload");
    let data = common::random_data(3, 3, 20, net.duration_ms, 4);
    let inputs: Vec<_> = (0..3)
        .map(|k| {
            data.bin(k, net.dt_ms, net.n_steps, 20, Path::new("x"))
                .expect("bins")
        })
        .collect();
    let labels = [0, 1, 2];
    gpu.forward(&inputs, None).expect("forward");
    let spec = LossSpec::of(&net).expect("a loss");
    gpu.backward(&labels, &spec, 1.0 / 3.0).expect("backward");
    let sums = gpu.gradient_sums(3).expect("sums");
    let (lr, b1, b2, eps, t) = (0.01, 0.9, 0.999, 1e-8, 1.0);
    let h = [
        lr,
        b1,
        b2,
        eps,
        1.0 / (1.0 - f64::powf(b1, t)),
        1.0 / (1.0 - f64::powf(b2, t)),
        lr * 10.0,
        b1,
        b2,
        eps,
        1.0 / (1.0 - f64::powf(b1, t)),
        1.0 / (1.0 - f64::powf(b2, t)),
    ];
    let c = 0; // in_hid: learned weights and delays
    let owner = Owner::Connection(c);
    let read = |gpu: &mut CudaSimulator, role| {
        gpu.read_f64(gpu.find(owner, role).expect("buffer"))
            .expect("read")
    };
    let (w0, d0) = (read(&mut gpu, Role::Weight), read(&mut gpu, Role::DelayMs));
    gpu.optimizer_step(3, &h).expect("optimiser step");
    let (w1, d1) = (read(&mut gpu, Role::Weight), read(&mut gpu, Role::DelayMs));
    let steps = read(&mut gpu, Role::DelaySteps);
    let max_ms = net.connections[0].max_delay_steps as f64 * net.dt_ms;
    let mut moved = 0;
    for k in 0..w0.len() {
        let adam = |x: f64, g: f64, o: usize| {
            let m = h[o + 1] * 0.0 + (1.0 - h[o + 1]) * g;
            let v = h[o + 2] * 0.0 + (1.0 - h[o + 2]) * g * g;
            x - h[o] * m * h[o + 4] / ((v * h[o + 5]).sqrt() + h[o + 3])
        };
        assert_eq!(w1[k], adam(w0[k], sums.weight[0][k], 0), "weight {k}");
        let d = adam(d0[k], sums.delay[0][k], 6).clamp(0.0, max_ms);
        assert_eq!(d1[k], d, "delay {k}");
        assert_eq!(
            steps[k],
            (d / net.dt_ms).round().min(max_ms / net.dt_ms),
            "steps {k}"
        );
        moved += usize::from(w1[k] != w0[k]);
    }
    assert!(moved > 0, "the step should move some weights");
}

/// Training steps through the drivers' common interface (`engine::Engine`: a batch forward with
/// the spike-count regulariser and the adjoint pass of `Passes::Train`, then the generated Adam
/// step) give the same parameters on the emulated GPU, which accumulates every gradient, as on
/// the CPU, which skips those of unlearned parameters (f64; the gradients' lane sums differ in
/// order only, so the parameters agree to 1e-9 relative).
#[test]
fn training_steps_through_the_engine_match_the_cpu() {
    use rgenn_codegen::ir::buffers::Role;
    use rgenn_codegen::ir::{Adam, Regularisation};
    use rgenn_runtime::passes::grad::Passes;
    use rgenn_runtime::passes::loss::LossSpec;
    use rgenn_runtime::sim::engine::Engine;

    fn steps<E: Engine>(e: &mut E, data: &SpikeDataset, n_units: u32) -> Vec<Vec<f64>> {
        let net = e.network().clone();
        let spec = LossSpec::of(&net).expect("a loss");
        let adam = Adam {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            decay: 1.0,
            ease_in: None,
        };
        let reg = Regularisation {
            mlgenn_lambda: None,
            target_spikes: 0.5,
            strength: 0.01,
        };
        let batch = net.batch_size as usize;
        let mut t = 0;
        for first in (0..data.len()).step_by(batch) {
            let trials: Vec<usize> = (first..(first + batch).min(data.len())).collect();
            let inputs: Vec<_> = trials
                .iter()
                .map(|&k| data.bin(k, net.dt_ms, net.n_steps, n_units, Path::new("x")))
                .collect::<Result<_, _>>()
                .expect("bins");
            let labels: Vec<u32> = trials
                .iter()
                .map(|&k| data.labels.as_ref().expect("labels")[k] as u32)
                .collect();
            let scale = 1.0 / trials.len() as f64;
            let passes = Passes::Train(Some(&reg));
            e.run_batch(&inputs, &labels, &spec, scale, 2, passes)
                .expect("a batch runs");
            t += 1;
            e.optimizer_step(trials.len() as u32, t, (&adam, 0.05), (&adam, 0.5), 2)
                .expect("an optimiser step");
        }
        net.buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b.role, Role::Weight | Role::DelayMs))
            .map(|(i, _)| e.read_buffer(i).expect("readable"))
            .collect()
    }

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let text = std::fs::read_to_string(dir.join("recurrent_delays.yaml")).expect("readable");
    let text = text.replacen("precision: f32", "precision: f64", 1);
    let net = load("recurrent_delays.yaml", &text, &dir);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda-emulated");
    let params = init::initial_params(&net, &dir).expect("params");
    let built = cache::build_in(&net, Backend::Cpu, &scratch.join("cache")).expect("CPU build");
    let mut cpu = Simulator::load(&net, &built.library, &built.cache_key).expect("CPU load");
    init::upload(&mut cpu, &params).expect("upload");
    let mut gpu = emulated(&net, &scratch.join("engine"));
    gpu.upload(&params).expect("upload");
    let n_units = net.populations[0].size;
    // 10 trials in batches of 4: a short last batch too.
    let data = common::random_data(11, 10, n_units, net.duration_ms, 4);
    let a = steps(&mut cpu, &data, n_units);
    let b = steps(&mut gpu, &data, n_units);
    assert!(!a.is_empty());
    for (x, y) in a.iter().zip(&b) {
        let d = parity::diff("parameters", x, y);
        assert!(d.relative() <= 1e-9, "{d:?}");
    }
    let initial: Vec<f64> = params.weights.concat();
    let trained: Vec<f64> = a.iter().take(1).flatten().copied().collect();
    assert_ne!(
        initial[..trained.len()],
        trained[..],
        "training moved the weights"
    );
}

/// `train::train`, the driver behind `rgenn train`, on the emulated CUDA simulator: the same
/// epochs, losses, accuracies and learned delays as on the CPU (sequence detection in f64), and
/// the same run folder.
#[test]
fn the_training_driver_runs_on_cuda_like_on_the_cpu() {
    use rgenn_runtime::train::{self, TrainOptions};

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let text = std::fs::read_to_string(dir.join("sequence_detection.yaml")).expect("readable");
    let text = text.replacen("precision: f32", "precision: f64", 1);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda-emulated-train");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let model = scratch.join("sequence_detection.yaml");
    std::fs::write(&model, &text).expect("writable");
    let net = load("sequence_detection.yaml", &text, &scratch);
    let params = init::initial_params(&net, &scratch).expect("params");
    let opts = |name: &str| TrainOptions {
        epochs: Some(6),
        threads: 1,
        out_dir: scratch.join(name),
        resume: false,
        progress: false,
        profile: false,
    };
    let built = cache::build_in(&net, Backend::Cpu, &scratch.join("cache")).expect("CPU build");
    let mut cpu = Simulator::load(&net, &built.library, &built.cache_key).expect("CPU load");
    let a = train::train(&mut cpu, &model, &scratch, params.clone(), &opts("cpu")).expect("CPU");
    let mut gpu = emulated(&net, &scratch.join("emulated"));
    let b = train::train(&mut gpu, &model, &scratch, params, &opts("cuda")).expect("CUDA");
    assert_eq!(a.records.len(), 6);
    assert_eq!(a.records.len(), b.records.len());
    for (x, y) in a.records.iter().zip(&b.records) {
        assert_eq!(x.train.accuracy, y.train.accuracy, "epoch {}", x.epoch);
        assert!((x.train.loss - y.train.loss).abs() <= 1e-9 * x.train.loss.abs());
    }
    let d = parity::diff("delays", &a.params.delays_ms[0], &b.params.delays_ms[0]);
    assert!(d.relative() <= 1e-9, "{d:?}");
    assert_ne!(
        a.params.delays_ms[0],
        [0.0, 10.0, 10.0, 0.0],
        "delays were learned"
    );
    for file in [
        "metrics.csv",
        "params.npz",
        "checkpoint.npz",
        "curves.png",
        "raster.png",
    ] {
        assert!(scratch.join("cuda").join(file).is_file(), "{file}");
    }
}
