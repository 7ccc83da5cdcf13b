//! NIR graph to rgenn network: populations from `Input`, `CubaLIF` and `CubaLI` nodes, one dense
//! connection per source/target pair (paths through masked branches merged), weights scaled by
//! the spike-size convention, delays from `Delay` nodes before and after the weights, in ms.

use std::collections::{BTreeMap, BTreeSet};

use super::flatten::{Flat, Op, flatten};
use super::graph::{Array, Graph};
use super::paths::{Path, is_population, paths};

/// How big one NIR spike is (NIR leaves it open).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spike {
    /// A Dirac impulse: the current jumps by `w_in * W / tau_syn`.
    Dirac,
    /// The weight is added to the current: a jump of `w_in * W`.
    Jump,
    /// A unit pulse one export step long (seconds): a jump of `w_in * W * dt / tau_syn`.
    Step(f64),
}

/// The time unit of the file's time constants and delays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeUnit {
    /// Seconds (what real files hold).
    Seconds,
    /// Milliseconds.
    Millis,
}

impl TimeUnit {
    /// Milliseconds per file time unit.
    pub fn ms(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1000.0,
            TimeUnit::Millis => 1.0,
        }
    }
}

/// Import settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImportOptions {
    /// The spike-size convention.
    pub spike: Spike,
    /// The file's time unit.
    pub time_unit: TimeUnit,
    /// The rgenn time step (ms).
    pub dt_ms: f64,
}

/// What a population is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `spike_input`.
    Input,
    /// `lif` (times in ms).
    Lif {
        /// ms.
        tau_mem: f64,
        /// ms.
        tau_syn: f64,
        /// Threshold.
        v_thresh: f64,
        /// Reset value.
        v_reset: f64,
    },
    /// `li` (times in ms).
    Li {
        /// ms.
        tau_mem: f64,
        /// ms.
        tau_syn: f64,
    },
}

/// A population.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// rgenn name.
    pub name: String,
    /// The NIR node it came from.
    pub node: String,
    /// Neurons.
    pub size: usize,
    /// Model and parameters.
    pub kind: Kind,
    /// Read by an `Output` node.
    pub readout: bool,
}

/// A dense connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// rgenn name.
    pub name: String,
    /// Source population index.
    pub source: usize,
    /// Target population index.
    pub target: usize,
    /// `[n_pre, n_post]` row-major, rgenn-sized.
    pub weight: Vec<f64>,
    /// `[n_pre, n_post]` row-major, ms.
    pub delay_ms: Vec<f64>,
}

/// An imported network.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    /// Populations.
    pub populations: Vec<Population>,
    /// Connections.
    pub connections: Vec<Connection>,
}

/// `s` as an rgenn identifier: other characters become `_`, a leading digit gets an `n`.
pub fn identifier(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'n');
    }
    out
}

fn unique(base: String, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.clone();
    let mut k = 2;
    while taken.contains(&name) {
        name = format!("{base}_{k}");
        k += 1;
    }
    taken.insert(name.clone());
    name
}

/// Round a converted time to 15 significant digits, so that `0.02 s` reads back as `20 ms`.
fn snap(x: f64) -> f64 {
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// The length of an array that broadcasts (0-d and single values broadcast: `None`).
fn length(a: &Array) -> Option<usize> {
    (a.values.len() != 1 || a.shape.iter().product::<usize>() != 1).then_some(a.values.len())
}

fn element(a: &Array, i: usize) -> f64 {
    if a.values.len() == 1 {
        a.values[0]
    } else {
        a.values[i]
    }
}

/// A size a node implies for a population, and where it comes from.
struct Claim {
    node: usize,
    field: &'static str,
    len: usize,
}

fn delay_of(flat: &Flat, i: usize) -> &Array {
    match &flat.nodes[i].op {
        Op::Delay(a) => a,
        _ => unreachable!("paths hold Delay nodes only in their delay lists"),
    }
}

fn linear_of(flat: &Flat, i: usize) -> &Array {
    match &flat.nodes[i].op {
        Op::Linear(a) => a,
        _ => unreachable!("paths hold a Linear node only as their weight"),
    }
}

/// The sizes a path implies for its source and its target.
fn claims(flat: &Flat, p: &Path) -> (Vec<Claim>, Vec<Claim>) {
    let delays = |list: &[usize]| -> Vec<Claim> {
        list.iter()
            .filter_map(|&i| {
                length(delay_of(flat, i)).map(|len| Claim {
                    node: i,
                    field: "delay",
                    len,
                })
            })
            .collect()
    };
    let (mut src, mut tgt) = (delays(&p.pre_delays), delays(&p.post_delays));
    match p.linear {
        Some(l) => {
            let w = linear_of(flat, l);
            src.push(Claim {
                node: l,
                field: "weight",
                len: w.shape[1],
            });
            tgt.insert(
                0,
                Claim {
                    node: l,
                    field: "weight",
                    len: w.shape[0],
                },
            );
        }
        None => {
            src.extend(delays(&p.post_delays));
            tgt.extend(delays(&p.pre_delays));
        }
    }
    (src, tgt)
}

fn own_size(flat: &Flat, pop: usize) -> Result<Option<(usize, String)>, String> {
    let node = &flat.nodes[pop];
    let Op::Neuron { fields, .. } = &node.op else {
        return Ok(None);
    };
    let mut found: Option<(usize, &str)> = None;
    for (f, a) in fields {
        if let Some(len) = length(a) {
            match found {
                Some((n, g)) if n != len => {
                    return Err(format!(
                        "node `{}` field `{f}` has {len} values but field `{g}` has {n}",
                        node.name
                    ));
                }
                _ => found = Some((len, f)),
            }
        }
    }
    Ok(found.map(|(n, f)| (n, format!("node `{}` field `{f}`", node.name))))
}

/// The size of every population (by flat index), checked against every claim.
fn sizes(flat: &Flat, paths: &[Path]) -> Result<BTreeMap<usize, usize>, String> {
    let mut claimed: BTreeMap<usize, Vec<Claim>> = BTreeMap::new();
    for p in paths {
        let (src, tgt) = claims(flat, p);
        claimed.entry(p.target).or_default().extend(tgt);
        claimed.entry(p.source).or_default().extend(src);
    }
    let mut sizes = BTreeMap::new();
    for (i, node) in flat.nodes.iter().enumerate() {
        if !is_population(&node.op) {
            continue;
        }
        let list = claimed.remove(&i).unwrap_or_default();
        let from_paths = list.first().map(|c| {
            (
                c.len,
                format!("node `{}` field `{}`", flat.nodes[c.node].name, c.field),
            )
        });
        let from_shape = match &node.op {
            Op::Input(Some(s)) => Some((
                s.iter().product(),
                format!("node `{}` field `shape`", node.name),
            )),
            _ => None,
        };
        let Some((size, origin)) = own_size(flat, i)?.or(from_paths).or(from_shape) else {
            return Err(format!(
                "node `{}`: its size cannot be told (no array longer than one, no Linear or Delay next to it)",
                node.name
            ));
        };
        if size == 0 {
            return Err(format!("node `{}` ({origin}) has no neurons", node.name));
        }
        for c in &list {
            if c.len != size {
                return Err(format!(
                    "node `{}` field `{}` has {} entries on the side of `{}`, which has {size} neurons ({origin})",
                    flat.nodes[c.node].name, c.field, c.len, node.name
                ));
            }
        }
        sizes.insert(i, size);
    }
    Ok(sizes)
}

/// A neuron node's parameters: one shared value per field, and the per-neuron factor
/// `r * w_in` that folds into the weights.
struct Neuron {
    kind: Kind,
    /// `tau_syn` in the file's unit.
    tau_syn: f64,
    /// `r_i * w_in_i` per neuron.
    gain: Vec<f64>,
}

fn neuron(
    name: &str,
    spiking: bool,
    fields: &BTreeMap<String, Array>,
    n: usize,
    ms: f64,
) -> Result<Neuron, String> {
    let get = |f: &str| -> Result<&Array, String> {
        fields.get(f).ok_or_else(|| {
            format!(
                "node `{name}` ({}) has no field `{f}`",
                if spiking { "CubaLIF" } else { "CubaLI" }
            )
        })
    };
    let shared = |f: &str, default: Option<f64>| -> Result<f64, String> {
        let Some(a) = fields.get(f) else {
            return default.ok_or_else(|| format!("node `{name}` has no field `{f}`"));
        };
        let first = *a
            .values
            .first()
            .ok_or_else(|| format!("node `{name}` field `{f}` is empty"))?;
        if let Some(x) = a.values.iter().find(|&&x| x != first) {
            return Err(format!(
                "node `{name}` field `{f}`: its values differ between neurons ({first} and {x}); an rgenn population shares one value"
            ));
        }
        Ok(first)
    };
    let tau_mem = shared("tau_mem", None)?;
    let tau_syn = shared("tau_syn", None)?;
    for (f, t) in [("tau_mem", tau_mem), ("tau_syn", tau_syn)] {
        if t <= 0.0 {
            return Err(format!(
                "node `{name}` field `{f}` is {t}; time constants must be positive"
            ));
        }
    }
    let v_leak = shared("v_leak", Some(0.0))?;
    if v_leak != 0.0 {
        return Err(format!(
            "node `{name}` field `v_leak` is {v_leak}; rgenn's neurons rest at 0 (v_leak = 0)"
        ));
    }
    let (r, w_in) = (get("r")?, get("w_in")?);
    let gain = (0..n).map(|i| element(r, i) * element(w_in, i)).collect();
    let (tau_mem, tau_syn_ms) = (snap(tau_mem * ms), snap(tau_syn * ms));
    let kind = if spiking {
        Kind::Lif {
            tau_mem,
            tau_syn: tau_syn_ms,
            v_thresh: shared("v_threshold", None)?,
            v_reset: shared("v_reset", Some(0.0))?,
        }
    } else {
        Kind::Li {
            tau_mem,
            tau_syn: tau_syn_ms,
        }
    };
    Ok(Neuron {
        kind,
        tau_syn,
        gain,
    })
}

/// The rgenn weight factor of each target neuron under `spike`.
fn scale(n: &Neuron, opts: &ImportOptions) -> Vec<f64> {
    let per_unit = match opts.spike {
        Spike::Dirac => 1.0 / n.tau_syn,
        Spike::Jump => 1.0,
        Spike::Step(seconds) => seconds * 1000.0 / opts.time_unit.ms() / n.tau_syn,
    };
    n.gain.iter().map(|g| g * per_unit).collect()
}

/// The dense weight and delay (ms) matrices `[n_pre, n_post]` of one path.
fn path_matrices(
    flat: &Flat,
    p: &Path,
    n_pre: usize,
    n_post: usize,
    scale: &[f64],
    ms: f64,
) -> (Vec<f64>, Vec<f64>) {
    let sum = |list: &[usize], n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| list.iter().map(|&d| element(delay_of(flat, d), i)).sum())
            .collect()
    };
    let (pre, post) = (sum(&p.pre_delays, n_pre), sum(&p.post_delays, n_post));
    let mut w = vec![0.0; n_pre * n_post];
    let mut d = vec![0.0; n_pre * n_post];
    for j in 0..n_pre {
        for i in 0..n_post {
            let raw = match p.linear {
                Some(l) => linear_of(flat, l).values[i * n_pre + j],
                None => f64::from(u8::from(i == j)),
            };
            w[j * n_post + i] = raw * scale[i];
            d[j * n_post + i] = snap((pre[j] + post[i]) * ms);
        }
    }
    (w, d)
}

/// The base name of a connection: its Linear node's name without a `_k<steps>` branch suffix.
fn base_name(flat: &Flat, p: &Path, pops: &BTreeMap<usize, String>) -> String {
    match p.linear {
        Some(l) => {
            let name = identifier(&flat.nodes[l].name);
            match name.rsplit_once("_k") {
                Some((base, k))
                    if !base.is_empty()
                        && !k.is_empty()
                        && k.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    base.to_string()
                }
                _ => name,
            }
        }
        None => format!("{}_{}", pops[&p.source], pops[&p.target]),
    }
}

/// Map a graph to an rgenn network.
pub fn import(graph: &Graph, opts: &ImportOptions) -> Result<Imported, String> {
    let flat = flatten(graph)?;
    let found = paths(&flat)?;
    let sizes = sizes(&flat, &found.paths)?;
    let ms = opts.time_unit.ms();
    let mut taken = BTreeSet::new();
    let mut names = BTreeMap::new();
    let mut index = BTreeMap::new();
    let mut out = Imported::default();
    let mut scales = BTreeMap::new();
    // Inputs first, then neurons, each in node order.
    let order = sizes
        .keys()
        .copied()
        .filter(|&i| matches!(flat.nodes[i].op, Op::Input(_)))
        .chain(
            sizes
                .keys()
                .copied()
                .filter(|&i| !matches!(flat.nodes[i].op, Op::Input(_))),
        );
    for i in order.collect::<Vec<_>>() {
        let node = &flat.nodes[i];
        let size = sizes[&i];
        let kind = match &node.op {
            Op::Neuron { spiking, fields } => {
                let n = neuron(&node.name, *spiking, fields, size, ms)?;
                scales.insert(i, scale(&n, opts));
                n.kind
            }
            _ => Kind::Input,
        };
        let name = unique(identifier(&node.name), &mut taken);
        names.insert(i, name.clone());
        index.insert(i, out.populations.len());
        out.populations.push(Population {
            name,
            node: node.name.clone(),
            size,
            kind,
            readout: found.outputs.contains(&i),
        });
    }
    // Paths into connections: a path joins an earlier connection between the same populations
    // when their nonzero weights do not overlap (the masked branches of per-synapse delays).
    let mut bases: Vec<String> = Vec::new();
    for p in &found.paths {
        let (n_pre, n_post) = (sizes[&p.source], sizes[&p.target]);
        if p.linear.is_none() && n_pre != n_post {
            return Err(format!(
                "`{}` ({n_pre} neurons) feeds `{}` ({n_post} neurons) with no Linear between; without weights the signal passes one to one, so the sizes must agree",
                flat.nodes[p.source].name, flat.nodes[p.target].name
            ));
        }
        let (w, d) = path_matrices(&flat, p, n_pre, n_post, &scales[&p.target], ms);
        let (s, t) = (index[&p.source], index[&p.target]);
        let base = base_name(&flat, p, &names);
        let joinable = out.connections.iter().zip(&bases).position(|(c, b)| {
            c.source == s
                && c.target == t
                && *b == base
                && c.weight.iter().zip(&w).all(|(a, b)| *a == 0.0 || *b == 0.0)
        });
        match joinable {
            Some(k) => {
                let c = &mut out.connections[k];
                for (x, (wv, dv)) in w.iter().zip(&d).enumerate() {
                    if *wv != 0.0 {
                        c.weight[x] = *wv;
                        c.delay_ms[x] = *dv;
                    }
                }
            }
            None => {
                bases.push(base);
                out.connections.push(Connection {
                    name: String::new(),
                    source: s,
                    target: t,
                    weight: w,
                    delay_ms: d,
                });
            }
        }
    }
    for (c, base) in out.connections.iter_mut().zip(bases) {
        c.name = unique(base, &mut taken);
    }
    Ok(out)
}
