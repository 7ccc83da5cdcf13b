//! The human summary of a validated network that `rgenn check` prints: sizes, synapse counts,
//! delay-ring lengths and the memory the simulator allocates, computed from the IR's buffers.

use std::fmt::Write as _;

use crate::ir::{self, Delays, Network, buffers::Owner};

/// Bytes as a short human string (binary units).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Bytes of the buffers of `net` that `keep` selects.
fn bytes_where(net: &Network, keep: impl Fn(&ir::Buffer) -> bool) -> u64 {
    net.buffers
        .iter()
        .filter(|b| keep(b))
        .map(|b| b.bytes(net.scalar_bytes(), net.copies(b)))
        .sum()
}

/// Bytes the forward simulation allocates for one owner's buffers.
pub fn owner_bytes(net: &Network, owner: Owner) -> u64 {
    bytes_where(net, |b| b.owner == owner && !b.role.is_backward())
}

/// Bytes the adjoint pass adds for one owner's buffers.
pub fn owner_backward_bytes(net: &Network, owner: Owner) -> u64 {
    bytes_where(net, |b| b.owner == owner && b.role.is_backward())
}

/// Bytes the forward simulation allocates in total.
pub fn total_bytes(net: &Network) -> u64 {
    bytes_where(net, |b| !b.role.is_backward())
}

/// Bytes the adjoint pass and the optimiser add in total.
pub fn backward_bytes(net: &Network) -> u64 {
    bytes_where(net, |b| b.role.is_backward())
}

/// The summary text.
pub fn render(net: &Network) -> String {
    let mut s = String::new();
    let precision = match net.precision {
        ir::Precision::F32 => "f32",
        ir::Precision::F64 => "f64",
    };
    let _ = writeln!(
        s,
        "network `{}`: dt {} ms, {} steps ({} ms), {precision}, batch {}",
        net.name, net.dt_ms, net.n_steps, net.duration_ms, net.batch_size
    );
    let _ = writeln!(s, "\npopulations");
    let w = net
        .populations
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    let mw = net
        .populations
        .iter()
        .map(|p| net.model_of(p).name.len())
        .max()
        .unwrap_or(0);
    for (i, p) in net.populations.iter().enumerate() {
        let model = net.model_of(p);
        let mut details = Vec::new();
        if p.ring_len > 0 {
            details.push(format!(
                "delay ring {} slot{}",
                p.ring_len,
                plural(p.ring_len as u64)
            ));
        }
        if let Some(r) = p.readout {
            details.push(format!("readout {}", r.as_str()));
        }
        let bytes = owner_bytes(net, Owner::Population(i as u32));
        let _ = writeln!(
            s,
            "  {:w$}  {:>7} neuron{:1}  {:mw$}  [{}]{}{}",
            p.name,
            p.size,
            plural(p.size as u64),
            model.name,
            human_bytes(bytes),
            if details.is_empty() { "" } else { "  " },
            details.join(", ")
        );
    }
    ode_models(net, &mut s);
    if !net.connections.is_empty() {
        let _ = writeln!(s, "\nconnections");
        let w = net
            .connections
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for (i, c) in net.connections.iter().enumerate() {
            let kind = match c.connectivity {
                ir::Connectivity::Dense => "dense".to_string(),
                ir::Connectivity::OneToOne => "one-to-one".to_string(),
                ir::Connectivity::FixedProbability { probability, .. } => {
                    format!("p={probability}")
                }
            };
            let delays = match &c.delays {
                Delays::Uniform { steps: 0 } => "no delay".to_string(),
                Delays::Uniform { steps } => format!("delay {steps} step{}", plural(*steps as u64)),
                Delays::PerSynapse { .. } => format!("delays 0..={} steps", c.max_delay_steps),
            };
            let learn = match (c.learn_weight, c.learn_delay) {
                (true, true) => ", learns weights and delays",
                (true, false) => ", learns weights",
                (false, true) => ", learns delays",
                (false, false) => "",
            };
            let bytes = owner_bytes(net, Owner::Connection(i as u32));
            let _ = writeln!(
                s,
                "  {:w$}  {} -> {}  [{}]  {kind}, {} synapse{}, {delays}{learn}",
                c.name,
                net.pop(c.source).name,
                net.pop(c.target).name,
                human_bytes(bytes),
                c.n_synapses,
                plural(c.n_synapses)
            );
        }
    }
    let total = total_bytes(net);
    let n_backward = net.buffers.iter().filter(|b| b.role.is_backward()).count();
    let _ = writeln!(
        s,
        "\nmemory: {} in {} buffers ({} bytes)",
        human_bytes(total),
        net.buffers.len() - n_backward,
        total
    );
    if n_backward > 0 {
        let back = backward_bytes(net);
        let _ = writeln!(
            s,
            "training: the adjoint pass and the optimiser add {} in {} buffers ({} bytes)",
            human_bytes(back),
            n_backward,
            back
        );
    } else {
        let _ = writeln!(
            s,
            "training: not available (a model has no `adjoint:` section)"
        );
    }
    if let Some(r) = net
        .run
        .training
        .as_ref()
        .and_then(|t| t.regularisation.as_ref())
    {
        let from = match r.mlgenn_lambda {
            Some(l) => format!(" (mlgenn_lambda {} x the readout's tau_mem)", short(l)),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "regularisation: {} target spikes per neuron and trial, strength {}{from}",
            r.target_spikes,
            short(r.strength)
        );
    }
    s
}

/// `x` in exponent form to 10 significant digits (`1e-10`, not `9.999999999999999e-11`).
fn short(x: f64) -> String {
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{rounded:e}")
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How each model written as ODEs is integrated and where its adjoint comes from.
fn ode_models(net: &Network, s: &mut String) {
    let odes: Vec<(&str, &ir::OdeNote)> = net
        .models
        .iter()
        .filter_map(|m| Some((m.name.as_str(), m.ode.as_ref()?)))
        .collect();
    if odes.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nmodels written as ODEs");
    for (name, note) in odes {
        let adjoint = if note.derived_adjoint {
            "adjoint derived"
        } else {
            "adjoint from the model's own `adjoint:` section"
        };
        let _ = writeln!(s, "  {name}: {}; {adjoint}", note.method);
    }
    let _ = writeln!(
        s,
        "  (`rgenn check --show-adjoint` prints the derived code)"
    );
}

/// The code rgenn derived for every model written as ODEs, as model YAML.
pub fn derivations(net: &Network) -> String {
    let mut s = String::new();
    for m in &net.models {
        if let Some(note) = &m.ode {
            let _ = writeln!(
                s,
                "\n# model `{}` ({}), as rgenn derived it",
                m.name, m.origin
            );
            s.push_str(&note.derivation);
        }
    }
    s
}
