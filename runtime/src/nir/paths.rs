//! Signal paths of a flat graph: from every population (spike input or neuron) through weights,
//! delays and pass-throughs to the next population or output. Sums in NIR are linear, so a graph
//! is the sum of its paths. Rejected here: a cycle with no neuron on it, an output fed through a
//! weight or delay, two weight matrices in series, edges into an input.

use super::flatten::{Flat, Op};

/// Paths enumerated before giving up (a graph of many diamonds in series).
const MAX_PATHS: usize = 100_000;

/// Weights, delays and pass-throughs in a row between two populations before giving up.
const MAX_DEPTH: usize = 1000;

/// One path from a population to a population.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The source population (a node index).
    pub source: usize,
    /// The target population (a node index).
    pub target: usize,
    /// `Delay` nodes before the weight (per source neuron).
    pub pre_delays: Vec<usize>,
    /// The `Linear` node, if any (none: one-to-one with weight 1).
    pub linear: Option<usize>,
    /// `Delay` nodes after the weight (per target neuron).
    pub post_delays: Vec<usize>,
}

/// Every path, and the populations that feed an `Output`.
#[derive(Clone, Debug, Default)]
pub struct Paths {
    /// Population-to-population paths.
    pub paths: Vec<Path>,
    /// Populations read by an `Output` node.
    pub outputs: Vec<usize>,
}

/// Is node `i` a population?
pub fn is_population(op: &Op) -> bool {
    matches!(op, Op::Input(_) | Op::Neuron { .. })
}

struct Walk<'a> {
    flat: &'a Flat,
    next: &'a [Vec<usize>],
    out: Paths,
}

impl Walk<'_> {
    fn name(&self, i: usize) -> &str {
        &self.flat.nodes[i].name
    }

    fn finish(&mut self, source: usize, target: usize, stack: &[usize]) -> Result<(), String> {
        let node = &self.flat.nodes[target];
        match &node.op {
            Op::Output => {
                if let Some(&via) = stack.iter().find(|&&i| self.flat.nodes[i].op != Op::Pass) {
                    return Err(format!(
                        "node `{}`: an Output fed through `{}` is not supported; rgenn reads out neuron populations, so connect the Output to a CubaLIF or CubaLI node",
                        node.name,
                        self.name(via)
                    ));
                }
                if matches!(self.flat.nodes[source].op, Op::Input(_)) {
                    return Err(format!(
                        "node `{}`: an Output fed directly by the Input `{}` is not supported",
                        node.name,
                        self.name(source)
                    ));
                }
                if !self.out.outputs.contains(&source) {
                    self.out.outputs.push(source);
                }
                Ok(())
            }
            Op::Input(_) => Err(format!(
                "node `{}` is an Input but has an incoming edge from `{}`",
                node.name,
                self.name(source)
            )),
            _ => {
                let mut path = Path {
                    source,
                    target,
                    pre_delays: Vec::new(),
                    linear: None,
                    post_delays: Vec::new(),
                };
                for &i in stack {
                    match &self.flat.nodes[i].op {
                        Op::Delay(_) if path.linear.is_none() => path.pre_delays.push(i),
                        Op::Delay(_) => path.post_delays.push(i),
                        Op::Linear(_) => {
                            if let Some(first) = path.linear {
                                return Err(format!(
                                    "node `{}` field `weight`: it follows Linear `{}` with no neuron between; rgenn connects two populations through one weight matrix",
                                    self.name(i),
                                    self.name(first)
                                ));
                            }
                            path.linear = Some(i);
                        }
                        _ => {}
                    }
                }
                if self.out.paths.len() >= MAX_PATHS {
                    return Err(format!(
                        "the graph has more than {MAX_PATHS} paths between populations"
                    ));
                }
                self.out.paths.push(path);
                Ok(())
            }
        }
    }

    fn walk(&mut self, source: usize, at: usize, stack: &mut Vec<usize>) -> Result<(), String> {
        for k in 0..self.next[at].len() {
            let j = self.next[at][k];
            if is_population(&self.flat.nodes[j].op) || self.flat.nodes[j].op == Op::Output {
                self.finish(source, j, stack)?;
                continue;
            }
            if let Some(pos) = stack.iter().position(|&s| s == j) {
                let cycle: Vec<&str> = stack[pos..]
                    .iter()
                    .chain(std::iter::once(&j))
                    .map(|&i| self.name(i))
                    .collect();
                return Err(format!(
                    "the cycle {} has no neuron on it; every cycle must pass through a CubaLIF or CubaLI node",
                    cycle.join(" -> ")
                ));
            }
            if stack.len() >= MAX_DEPTH {
                return Err(format!(
                    "node `{}` lies more than {MAX_DEPTH} nodes after a population",
                    self.name(j)
                ));
            }
            stack.push(j);
            self.walk(source, j, stack)?;
            stack.pop();
        }
        Ok(())
    }
}

/// Enumerate the paths of `flat`.
pub fn paths(flat: &Flat) -> Result<Paths, String> {
    let mut next = vec![Vec::new(); flat.nodes.len()];
    for &(a, b) in &flat.edges {
        next[a].push(b);
    }
    let mut w = Walk {
        flat,
        next: &next,
        out: Paths::default(),
    };
    for i in 0..flat.nodes.len() {
        if is_population(&flat.nodes[i].op) {
            w.walk(i, i, &mut Vec::new())?;
        }
    }
    // A cycle that no population reaches is still a cycle with no neuron on it.
    for i in 0..flat.nodes.len() {
        if !is_population(&flat.nodes[i].op) && flat.nodes[i].op != Op::Output {
            let mut stack = vec![i];
            let mut probe = Walk {
                flat,
                next: &next,
                out: Paths::default(),
            };
            probe.walk(i, i, &mut stack)?;
        }
    }
    Ok(w.out)
}
