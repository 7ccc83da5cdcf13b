//! Small random networks and spike datasets for the parity check: every connectivity, per-synapse
//! and fixed delays, recurrence, one or two hidden layers, every readout; sized so that neurons
//! spike a few times per trial. Deterministic in the seed.

use rgenn_codegen::rng::Rng;
use rgenn_runtime::data::SpikeDataset;

/// A random network's YAML and what its dataset needs.
pub struct RandomNet {
    /// The YAML text.
    pub yaml: String,
    /// Input units.
    pub inputs: u32,
    /// Output neurons (classes).
    pub classes: u32,
    /// Trial length in ms.
    pub duration_ms: f64,
    /// Trials per batch.
    pub batch: u32,
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[(rng.uniform() * items.len() as f64) as usize % items.len()]
}

fn int(rng: &mut Rng, lo: u32, hi: u32) -> u32 {
    lo + (rng.uniform() * (hi - lo + 1) as f64) as u32 % (hi - lo + 1)
}

/// A connection entry from `source` (size `n_pre`) to `target` (size `n_post`) whose summed
/// weights onto one target have mean `mean_total` and spread `sd_total`.
fn connection(
    rng: &mut Rng,
    name: &str,
    (source, n_pre): (&str, u32),
    (target, n_post): (&str, u32),
    mean_total: f64,
    sd_total: f64,
) -> String {
    let mut kinds = vec!["dense", "sparse"];
    if n_pre == n_post {
        kinds.push("one_to_one");
    }
    let (connectivity, fan_in) = match *pick(rng, &kinds) {
        "dense" => ("dense".to_string(), n_pre as f64),
        "sparse" => {
            let p = 0.2 + 0.6 * rng.uniform();
            (
                format!("{{fixed_probability: {p:.3}}}"),
                (n_pre as f64 * p).max(1.0),
            )
        }
        _ => ("one_to_one".to_string(), 1.0),
    };
    let mean = mean_total / fan_in;
    let sd = sd_total / fan_in.sqrt();
    let max_delay = int(rng, 0, 8) as f64;
    let delay = match int(rng, 0, 2) {
        0 => format!(
            "delay: {:.1}",
            (rng.uniform() * max_delay * 2.0).round() / 2.0
        ),
        1 => format!(
            "delay: {{uniform: {{min: 0.0, max: {max_delay:.1}}}}}, max_delay: {max_delay:.1}, learn: [weight, delay]"
        ),
        _ => format!(
            "delay: {{uniform: {{min: 0.0, max: {max_delay:.1}}}}}, max_delay: {max_delay:.1}, learn: [delay]"
        ),
    };
    format!(
        "  {name}: {{source: {source}, target: {target}, connectivity: {connectivity}, weight: {{normal: {{mean: {mean:.5}, sd: {sd:.5}}}}}, {delay}}}\n"
    )
}

/// Random network number `seed` in `precision` (`f32` or `f64`).
pub fn network(seed: u64, precision: &str) -> RandomNet {
    let mut rng = Rng::new(0x9e37_79b9 ^ seed);
    let dt = *pick(&mut rng, &[0.5, 1.0]);
    let duration_ms = 5.0 * int(&mut rng, 4, 12) as f64;
    let batch = *pick(&mut rng, &[1, 2, 3, 4, 6]);
    let inputs = int(&mut rng, 5, 30);
    let hidden = int(&mut rng, 5, 60);
    let second = rng.uniform() < 0.5;
    let hidden2 = if rng.uniform() < 0.5 {
        hidden
    } else {
        int(&mut rng, 5, 40)
    };
    let classes = int(&mut rng, 2, 5);
    let readout = *pick(&mut rng, &["sum", "mean", "mean_exp", "max", "first_spike"]);
    let output = if readout == "first_spike" {
        format!("{{size: {classes}, model: lif, params: {{v_thresh: 0.3}}, readout: first_spike}}")
    } else {
        format!("{{size: {classes}, model: li, readout: {readout}}}")
    };
    let tau_mem = 10.0 + 20.0 * rng.uniform();
    let recurrent = rng.uniform() < 0.6;
    let mut yaml = format!(
        "name: random_{seed}_{precision}\ndt: {dt}\nduration: {duration_ms}\nprecision: {precision}\n\
         batch_size: {batch}\nseed: {seed}\npopulations:\n  input: {{size: {inputs}, model: spike_input}}\n  \
         hidden: {{size: {hidden}, model: lif, params: {{tau_mem: {tau_mem:.2}, v_thresh: 0.8}}}}\n"
    );
    if second {
        yaml.push_str(&format!(
            "  hidden2: {{size: {hidden2}, model: lif, params: {{v_thresh: 0.5}}}}\n"
        ));
    }
    yaml.push_str(&format!("  output: {output}\nconnections:\n"));
    // Inputs fire at about 50 Hz, so a summed input weight of about 5 holds v near 1.2 (the
    // steady state is rate x weight x tau_syn): hidden neurons fire a few times per trial.
    let mut add = |yaml: &mut String, name, from, to, mean, sd| {
        yaml.push_str(&connection(&mut rng, name, from, to, mean, sd));
    };
    add(
        &mut yaml,
        "in_hid",
        ("input", inputs),
        ("hidden", hidden),
        5.0,
        2.0,
    );
    if recurrent {
        add(
            &mut yaml,
            "hid_hid",
            ("hidden", hidden),
            ("hidden", hidden),
            0.0,
            1.0,
        );
    }
    let last = if second {
        add(
            &mut yaml,
            "hid_hid2",
            ("hidden", hidden),
            ("hidden2", hidden2),
            6.0,
            2.0,
        );
        ("hidden2", hidden2)
    } else {
        ("hidden", hidden)
    };
    add(&mut yaml, "to_out", last, ("output", classes), 3.0, 2.0);
    RandomNet {
        yaml,
        inputs,
        classes,
        duration_ms,
        batch,
    }
}

/// `n_trials` trials of `spikes_per_trial` random spikes over `units` inputs in `duration_ms`,
/// with random labels below `classes`.
pub fn dataset(
    seed: u64,
    n_trials: usize,
    units: u32,
    spikes_per_trial: usize,
    duration_ms: f64,
    classes: u32,
) -> SpikeDataset {
    let mut rng = Rng::new(seed);
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::with_capacity(n_trials)),
        times: Vec::with_capacity(n_trials * spikes_per_trial),
        units: Vec::with_capacity(n_trials * spikes_per_trial),
    };
    for _ in 0..n_trials {
        for _ in 0..spikes_per_trial {
            d.times.push(rng.uniform() * duration_ms);
            d.units.push(int(&mut rng, 0, units - 1));
        }
        d.offsets.push(d.times.len() as u64);
        let label = int(&mut rng, 0, classes - 1) as i64;
        d.labels.as_mut().expect("labels").push(label);
    }
    d
}
