//! The typed API of generated bindings against the dynamic runtime the CLI uses (the same network
//! built into the cache and loaded with libloading): identical trials, gradients and training
//! steps, and misuse reported as typed errors.

use std::path::{Path, PathBuf};

use rgenn_runtime::Simulator;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::embed::{EmbedError, Split};
use rgenn_runtime::passes::grad::grad;
use rgenn_runtime::passes::loss::LossSpec;
use rgenn_runtime::sim::cpu::{Recording, SpikeSource};
use rgenn_runtime::sim::init::{initial_params, upload};
use rgenn_runtime::train::{BatchStep, state};

rgenn_runtime::include_model!("sequence_detection");
rgenn_runtime::include_model!("yin_yang");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// The network built and loaded the way the CLI does it, with its initial parameters.
fn dynamic(name: &str) -> Simulator {
    let path = example(name);
    let net = rgenn_codegen::load_file(&path)
        .expect("example is valid")
        .ir;
    let mut sim = Simulator::build(&net).expect("the CPU simulator builds");
    let params = initial_params(&net, path.parent().unwrap()).unwrap();
    upload(&mut sim, &params).unwrap();
    state::write_moments(&mut sim, None).unwrap();
    sim
}

fn subset(data: &SpikeDataset, n: usize) -> SpikeDataset {
    data.subset(&(0..n).collect::<Vec<_>>())
}

#[test]
fn trials_match_the_dynamic_runtime() {
    let mut typed = sequence_detection::Model::new().unwrap();
    let mut sim = dynamic("sequence_detection.yaml");
    let test = typed.dataset(Split::Test).unwrap().unwrap();
    for k in 0..test.len() {
        let input = typed.bin(&test, k).unwrap();
        let record = typed.run_trial(0, &input).unwrap();
        let readout = typed.get(typed.output.readout, 0).unwrap().to_vec();
        let v = typed.get(typed.output.v, 0).unwrap().to_vec();

        sim.reset(0);
        sim.set_input(0, &input).unwrap();
        let recording = Recording {
            spikes: vec![SpikeSource {
                count: sim.buffer_index("pop_input_spike_count").unwrap(),
                units: sim.buffer_index("pop_input_spikes").unwrap(),
                size: 2,
            }],
            traces: Vec::new(),
        };
        let dynamic_record = sim.run_lanes(&[0], 1, &recording).pop().unwrap();
        assert_eq!(record.spikes[0], dynamic_record.spikes[0]);
        assert!(!record.spikes[0].is_empty(), "the input spikes");
        let readout_index = sim.buffer_index("pop_output_readout").unwrap();
        let v_index = sim.buffer_index("pop_output_v").unwrap();
        assert_eq!(readout, f32s(&sim.read_f64(readout_index)));
        assert_eq!(v, f32s(&sim.read_f64(v_index)));
    }
}

fn f32s(x: &[f64]) -> Vec<f32> {
    x.iter().map(|&v| v as f32).collect()
}

#[test]
fn gradients_match_the_dynamic_runtime() {
    let mut typed = yin_yang::Model::new().unwrap();
    let mut sim = dynamic("yin_yang.yaml");
    let data = subset(&typed.dataset(Split::Validation).unwrap().unwrap(), 48);
    let a = typed.grad(&data).unwrap();
    let b = grad(&mut sim, &data, Path::new("<dataset>"), 2).unwrap();
    assert_eq!(a, b, "typed and dynamic gradients are identical");
    assert!(a.grads.weight[0].iter().any(|&g| g != 0.0));
}

#[test]
fn training_steps_match_the_dynamic_runtime() {
    let mut typed = yin_yang::Model::new().unwrap();
    typed.set_threads(2);
    let mut sim = dynamic("yin_yang.yaml");
    let train = subset(&typed.dataset(Split::Train).unwrap().unwrap(), 96);
    let net = sim.network().clone();
    let training = net.run.training.clone().unwrap();
    let spec = LossSpec::of(&net).unwrap();
    let labels: Vec<u32> = train
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .map(|&l| l as u32)
        .collect();
    let mut steps = 0;
    for batch in (0..train.len()).collect::<Vec<_>>().chunks(32) {
        let typed_losses = typed.train_batch(&train, batch, 0).unwrap();
        let batch_labels: Vec<u32> = batch.iter().map(|&k| labels[k]).collect();
        let step = BatchStep {
            data: &train,
            path: Path::new("<dataset>"),
            trials: batch,
            labels: &batch_labels,
            spec: &spec,
            training: &training,
            epoch: 0,
            threads: 1,
        };
        let (losses, _, _) = step.run(&mut sim, &mut steps, None).unwrap();
        assert_eq!(typed_losses, losses);
    }
    let initial = initial_params(&net, example("yin_yang.yaml").parent().unwrap()).unwrap();
    let trained = typed.params();
    let dynamic = state::read_params(&mut sim, &initial).unwrap();
    assert_eq!(trained, dynamic, "identical parameters");
    assert_ne!(trained, initial, "training changed the parameters");
}

#[test]
fn misuse_is_a_typed_error() {
    let mut model = yin_yang::Model::new().unwrap();
    let lane = yin_yang::BATCH_SIZE;
    assert!(matches!(
        model.get(model.hidden.v, lane),
        Err(EmbedError::Lane {
            lane: 32,
            batch_size: 32
        })
    ));
    assert!(matches!(
        model.step(0, yin_yang::N_STEPS),
        Err(EmbedError::Step { .. })
    ));
    let err = model.set_param(model.in_hid.weight, &[1.0; 3]).unwrap_err();
    assert!(
        matches!(
            err,
            EmbedError::Length {
                expected: 640,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
    // A handle of another network names no such buffer here.
    let other = sequence_detection::Model::new().unwrap();
    let err = model.param(other.in_out.delay);
    assert!(err.is_err());
    assert_eq!(model.get(model.hidden.v, 31).unwrap().len(), 128);
}

#[test]
fn parameters_round_trip_through_the_typed_api() {
    let mut model = sequence_detection::Model::new().unwrap();
    model
        .set_param(model.in_out.delay, &[1.0, 2.0, 3.0, 14.0])
        .unwrap();
    assert_eq!(
        model.param(model.in_out.delay).unwrap(),
        &[1.0, 2.0, 3.0, 14.0]
    );
    let dir = std::env::temp_dir().join(format!("rgenn-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("params.npz");
    model.save_params(&file).unwrap();
    let mut fresh = sequence_detection::Model::new().unwrap();
    fresh.load_params(&file).unwrap();
    assert_eq!(fresh.params(), model.params());
    std::fs::remove_dir_all(&dir).unwrap();
}

rgenn_runtime::include_model!("yin_yang_rust");

#[test]
fn rust_kernels_match_the_cpp_kernels() {
    let mut cpp = yin_yang::Model::new().unwrap();
    let mut rust = yin_yang_rust::Model::new().unwrap();
    let train = subset(&cpp.dataset(Split::Train).unwrap().unwrap(), 64);
    let data = subset(&cpp.dataset(Split::Validation).unwrap().unwrap(), 32);
    assert_eq!(cpp.grad(&data).unwrap(), rust.grad(&data).unwrap());
    for batch in (0..train.len()).collect::<Vec<_>>().chunks(32) {
        assert_eq!(
            cpp.train_batch(&train, batch, 0).unwrap(),
            rust.train_batch(&train, batch, 0).unwrap()
        );
    }
    assert_eq!(
        cpp.params(),
        rust.params(),
        "identical parameters after training"
    );
    let input = cpp.bin(&data, 3).unwrap();
    assert_eq!(
        cpp.run_trial(5, &input).unwrap(),
        rust.run_trial(5, &input).unwrap()
    );
    let (a, b) = (cpp.output.readout, rust.output.readout);
    assert_eq!(cpp.get(a, 5).unwrap(), rust.get(b, 5).unwrap());
}
