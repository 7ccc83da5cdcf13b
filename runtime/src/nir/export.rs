//! rgenn network to NIR graph: `Input` per spike source, `CubaLIF`/`CubaLI` per `lif`/`li`
//! population (times in seconds, `r = 1`, `w_in = tau_syn`, so a weight is the current's jump),
//! one `Linear` per connection (weight `[n_post, n_pre]`) and, for delays, one masked `Linear ->
//! Delay` branch per distinct delay in steps, and an `Output` per readout population.

use std::collections::{BTreeMap, BTreeSet};

use rgenn_codegen::ir::{Connection, Connectivity, Delays, Network, Population};

use super::graph::{Array, Graph, Node};
use crate::sim::init::{Params, sparse_rows};

/// `(pre, post)` of every synapse of `c`, in synapse order.
pub fn synapses(net: &Network, c: &Connection) -> Vec<(usize, usize)> {
    let (n_pre, n_post) = (
        net.pop(c.source).size as usize,
        net.pop(c.target).size as usize,
    );
    match c.connectivity {
        Connectivity::Dense => (0..n_pre)
            .flat_map(|j| (0..n_post).map(move |i| (j, i)))
            .collect(),
        Connectivity::OneToOne => (0..n_pre.min(n_post)).map(|i| (i, i)).collect(),
        Connectivity::FixedProbability { .. } => {
            let (rows, post) = sparse_rows(net, c).unwrap_or_default();
            let mut out = Vec::with_capacity(post.len());
            for (j, row) in rows.windows(2).enumerate() {
                let cells = post
                    .get(row[0] as usize..row[1] as usize)
                    .unwrap_or_default();
                out.extend(cells.iter().map(|&i| (j, i as usize)));
            }
            out
        }
    }
}

/// A step count: `round(d / dt)` half away from zero, clamped to `[0, max]`.
fn steps(d_ms: f64, dt_ms: f64, max: u32) -> u32 {
    (d_ms / dt_ms).round().clamp(0.0, f64::from(max)) as u32
}

fn param(net: &Network, p: &Population, name: &str) -> Result<f64, String> {
    let m = &net.models[p.model.0 as usize];
    m.params
        .iter()
        .position(|q| q == name)
        .map(|k| p.params[k])
        .ok_or_else(|| {
            format!(
                "population `{}`: model `{}` has no param `{name}`",
                p.name, m.name
            )
        })
}

fn neuron_node(net: &Network, p: &Population) -> Result<Node, String> {
    let m = &net.models[p.model.0 as usize];
    let builtin = m.origin.file == format!("models/{}.yaml", m.name);
    let n = p.size as usize;
    let fill = |x: f64| Array::vector(vec![x; n]);
    if builtin && m.name == "spike_input" {
        return Ok(Node::new("Input", vec![("shape", Array::shape_of(&[n]))]));
    }
    if !builtin || !(m.name == "lif" || m.name == "li") {
        return Err(format!(
            "population `{}` uses model `{}` ({}); NIR export knows the built-in `spike_input`, `lif` and `li` only",
            p.name, m.name, m.origin.file
        ));
    }
    if let Some((k, v)) = p.var_init.iter().enumerate().find(|(_, v)| **v != 0.0) {
        return Err(format!(
            "population `{}`: variable `{}` starts at {v}; NIR neurons start at rest (0)",
            p.name, m.vars[k]
        ));
    }
    let tau_mem = param(net, p, "tau_mem")? / 1000.0;
    let tau_syn = param(net, p, "tau_syn")? / 1000.0;
    let mut fields = vec![
        ("tau_mem", fill(tau_mem)),
        ("tau_syn", fill(tau_syn)),
        ("r", fill(1.0)),
        ("v_leak", fill(0.0)),
        ("w_in", fill(tau_syn)),
    ];
    if m.name == "lif" {
        fields.push(("v_threshold", fill(param(net, p, "v_thresh")?)));
        fields.push(("v_reset", fill(param(net, p, "v_reset")?)));
        return Ok(Node::new("CubaLIF", fields));
    }
    Ok(Node::new("CubaLI", fields))
}

/// Add connection `ci`: its branches from source to target, one per distinct step delay.
fn add_connection(
    g: &mut Graph,
    net: &Network,
    params: &Params,
    ci: usize,
    names: &mut BTreeSet<String>,
) -> Result<(), String> {
    let c = &net.connections[ci];
    let (src, tgt) = (net.pop(c.source), net.pop(c.target));
    let (n_pre, n_post) = (src.size as usize, tgt.size as usize);
    let syn = synapses(net, c);
    let weights = &params.weights[ci];
    if weights.len() != syn.len() {
        return Err(format!(
            "connection `{}`: {} weights for {} synapses",
            c.name,
            weights.len(),
            syn.len()
        ));
    }
    let k_of: Vec<u32> = match &c.delays {
        Delays::Uniform { steps } => vec![*steps; syn.len()],
        Delays::PerSynapse { .. } => params.delays_ms[ci]
            .iter()
            .map(|&d| steps(d, net.dt_ms, c.max_delay_steps))
            .collect(),
    };
    let mut branches: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (s, &(j, i)) in syn.iter().enumerate() {
        let w = branches
            .entry(k_of[s])
            .or_insert_with(|| vec![0.0; n_post * n_pre]);
        w[i * n_pre + j] = weights[s];
    }
    if branches.is_empty() {
        branches.insert(0, vec![0.0; n_post * n_pre]);
    }
    let single = branches.len() == 1;
    for (k, w) in branches {
        let mut claim = |base: String| -> Result<String, String> {
            if !names.insert(base.clone()) {
                return Err(format!(
                    "connection `{}`: the NIR node name `{base}` is taken twice",
                    c.name
                ));
            }
            Ok(base)
        };
        let lin = claim(if single {
            c.name.clone()
        } else {
            format!("{}_k{k}", c.name)
        })?;
        g.add(
            &lin,
            Node::new("Linear", vec![("weight", Array::matrix(n_post, n_pre, w))]),
        );
        g.edge(&src.name, &lin);
        if k == 0 {
            g.edge(&lin, &tgt.name);
            continue;
        }
        let del = claim(format!("{lin}_delay"))?;
        let seconds = f64::from(k) * net.dt_ms / 1000.0;
        g.add(
            &del,
            Node::new(
                "Delay",
                vec![("delay", Array::vector(vec![seconds; n_post]))],
            ),
        );
        g.edge(&lin, &del);
        g.edge(&del, &tgt.name);
    }
    Ok(())
}

/// The NIR graph of `net` with parameters `params`.
pub fn export(net: &Network, params: &Params) -> Result<Graph, String> {
    let mut g = Graph::default();
    let mut names: BTreeSet<String> = net.populations.iter().map(|p| p.name.clone()).collect();
    for p in &net.populations {
        g.add(&p.name, neuron_node(net, p)?);
    }
    for ci in 0..net.connections.len() {
        add_connection(&mut g, net, params, ci, &mut names)?;
    }
    for p in net.populations.iter().filter(|p| p.readout.is_some()) {
        let mut name = format!("{}_output", p.name);
        while !names.insert(name.clone()) {
            name.push('_');
        }
        g.add(
            &name,
            Node::new(
                "Output",
                vec![("shape", Array::shape_of(&[p.size as usize]))],
            ),
        );
        g.edge(&p.name, &name);
    }
    Ok(g)
}
