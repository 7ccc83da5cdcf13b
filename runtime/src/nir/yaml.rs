//! Write an imported network as rgenn YAML text, with the weights and delays inline when small
//! and otherwise in a parameter `.npz` beside it (keys `<conn>.weight`, `<conn>.delay`, dense
//! `[n_pre, n_post]`, so the file also works as `--params`).

use super::import::{Imported, Kind, Spike, TimeUnit};
use crate::data::npz::OutArray;

/// Matrices with at most this many entries are written inline.
pub const INLINE_MAX: usize = 256;

/// What was asked for, for the comment at the top.
pub struct Header<'a> {
    /// The `.nir` file, as given.
    pub source: &'a str,
    /// Network name.
    pub name: &'a str,
    /// Spike convention.
    pub spike: Spike,
    /// Time unit.
    pub time_unit: TimeUnit,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Trial length (ms).
    pub duration_ms: f64,
}

/// The YAML text and the arrays for the parameter file (empty when everything is inline).
pub struct Written {
    /// YAML.
    pub yaml: String,
    /// `(name, shape, values)` for the `.npz`.
    pub arrays: Vec<(String, Vec<u64>, OutArray)>,
}

/// A number as YAML reads it back exactly.
fn num(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

fn rows(values: &[f64], n_post: usize) -> String {
    let rows: Vec<String> = values
        .chunks(n_post)
        .map(|r| {
            format!(
                "[{}]",
                r.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

fn convention(spike: Spike) -> String {
    match spike {
        Spike::Dirac => {
            "dirac (a spike is a Dirac impulse: weight = W * r * w_in / tau_syn)".into()
        }
        Spike::Jump => {
            "jump (a spike adds its weight to the current: weight = W * r * w_in)".into()
        }
        Spike::Step(s) => {
            format!("step:{s} (a unit pulse of {s} s: weight = W * r * w_in * {s} s / tau_syn)")
        }
    }
}

/// Write `net` as YAML; `npz_name` is the parameter file's name beside the YAML.
pub fn write(net: &Imported, h: &Header, npz_name: &str) -> Written {
    let unit = match h.time_unit {
        TimeUnit::Seconds => "seconds",
        TimeUnit::Millis => "milliseconds",
    };
    let mut y = format!(
        "# Imported from {} by `rgenn nir import`.\n# Spike convention: {}.\n# Time unit of the file: {unit} (rgenn times are in ms).\n",
        h.source,
        convention(h.spike)
    );
    y += "# NIR files carry no time step or trial length: `dt` and `duration` are this import's choice.\n";
    y += &format!(
        "name: {}\ndt: {}\nduration: {}\nprecision: f32\nbatch_size: 1\nseed: 1\n\npopulations:\n",
        h.name,
        num(h.dt_ms),
        num(h.duration_ms)
    );
    for p in &net.populations {
        let model = match &p.kind {
            Kind::Input => "model: spike_input".to_string(),
            Kind::Lif {
                tau_mem,
                tau_syn,
                v_thresh,
                v_reset,
            } => format!(
                "model: lif, params: {{tau_mem: {}, tau_syn: {}, v_thresh: {}, v_reset: {}}}",
                num(*tau_mem),
                num(*tau_syn),
                num(*v_thresh),
                num(*v_reset)
            ),
            Kind::Li { tau_mem, tau_syn } => format!(
                "model: li, params: {{tau_mem: {}, tau_syn: {}}}",
                num(*tau_mem),
                num(*tau_syn)
            ),
        };
        let readout = match (&p.kind, p.readout) {
            (Kind::Lif { .. }, true) => ", readout: first_spike",
            (Kind::Li { .. }, true) => ", readout: max",
            _ => "",
        };
        y += &format!(
            "  {}: {{size: {}, {model}{readout}}}  # node `{}`\n",
            p.name, p.size, p.node
        );
    }
    let mut arrays = Vec::new();
    if !net.connections.is_empty() {
        y += "\nconnections:\n";
    }
    for c in &net.connections {
        let (n_pre, n_post) = (
            net.populations[c.source].size,
            net.populations[c.target].size,
        );
        y += &format!(
            "  {}:\n    source: {}\n    target: {}\n",
            c.name, net.populations[c.source].name, net.populations[c.target].name
        );
        let inline = c.weight.len() <= INLINE_MAX;
        let mut matrix = |what: &str, values: &[f64]| -> String {
            if inline {
                format!("{{values: {}}}", rows(values, n_post))
            } else {
                let key = format!("{}.{what}", c.name);
                arrays.push((
                    key.clone(),
                    vec![n_pre as u64, n_post as u64],
                    OutArray::F64(values.to_vec()),
                ));
                format!("{{file: {npz_name}, key: {key}}}")
            }
        };
        y += &format!("    weight: {}\n", matrix("weight", &c.weight));
        let first = c.delay_ms.first().copied().unwrap_or(0.0);
        let longest = c.delay_ms.iter().copied().fold(0.0, f64::max);
        if c.delay_ms.iter().any(|&d| d != first) {
            y += &format!("    delay: {}\n", matrix("delay", &c.delay_ms));
        } else if first != 0.0 {
            y += &format!("    delay: {}\n", num(first));
        }
        if longest > 0.0 {
            y += &format!("    max_delay: {}\n", num(longest));
        }
    }
    Written { yaml: y, arrays }
}
