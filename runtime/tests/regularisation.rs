//! The spike-count regulariser moves hidden activity toward its target.

use std::path::Path;

use rgenn_codegen::ir::Split;
use rgenn_runtime::train::{TrainOptions, train};
use rgenn_runtime::{Simulator, build::cache, data::splits, passes::simulate, sim::init};

/// Mean hidden spikes per neuron and trial on the validation split after four epochs of training,
/// with the given `regularisation:` line (or none).
fn hidden_rate_after_training(regularisation: &str) -> f64 {
    let yaml = format!(
        r#"
name: reg
dt: 0.1
duration: 30.0
precision: f32
batch_size: 16
seed: 3
populations:
  input: {{size: 5, model: spike_input}}
  hidden: {{size: 24, model: lif}}
  output: {{size: 3, model: li, readout: max}}
connections:
  in_hid: {{source: input, target: hidden, weight: {{normal: {{mean: 2.5, sd: 1.0}}}}, learn: [weight]}}
  hid_out: {{source: hidden, target: output, weight: {{normal: {{mean: 0.0, sd: 0.5}}}}, learn: [weight]}}
data:
  train: {{generator: yin_yang, trials: 160}}
  validation: {{generator: yin_yang, trials: 64}}
training:
  epochs: 4
  loss: sparse_categorical_crossentropy
  optimizer:
    weight: {{adam: {{lr: 0.05}}}}
{regularisation}
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let loaded = rgenn_codegen::load_str("reg.yaml", &yaml, dir.path()).expect("valid network");
    let net = loaded.ir;
    let model = dir.path().join("reg.yaml");
    std::fs::write(&model, &yaml).unwrap();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgenn-cache");
    let built = cache::build_in(&net, rgenn_codegen::backend::Backend::Cpu, &root).unwrap();
    let mut sim = Simulator::load(&net, &built.library, &built.cache_key).unwrap();
    let params = init::initial_params(&net, dir.path()).unwrap();
    init::upload(&mut sim, &params).unwrap();
    let opts = TrainOptions {
        epochs: None,
        threads: 2,
        out_dir: dir.path().join("run"),
        resume: false,
        progress: false,
        profile: false,
    };
    train(&mut sim, &model, dir.path(), params, &opts).unwrap();
    let valid = splits::load(&net, dir.path(), Split::Validation)
        .unwrap()
        .unwrap();
    let out = simulate::simulate(&mut sim, &valid.data, &valid.path, 2).unwrap();
    let hidden = out.spikes.iter().find(|s| s.pop == 1).unwrap();
    hidden.units.len() as f64 / (24.0 * valid.data.len() as f64)
}

#[test]
fn regularisation_pulls_spike_counts_toward_the_target() {
    let free = hidden_rate_after_training("");
    let held = hidden_rate_after_training("  regularisation: {target_spikes: 0.5, strength: 0.05}");
    eprintln!("hidden spikes per neuron and trial: {free:.3} free, {held:.3} regularised");
    assert!(
        free > 1.0,
        "the unregularised network should fire well above the target: {free}"
    );
    assert!(held < 0.75 * free, "regularised {held} vs free {free}");
    assert!(
        (held - 0.5).abs() < 0.3,
        "regularised rate {held} should approach 0.5"
    );
}
