//! Check every node's type and flatten nested graphs: the result is one list of typed nodes
//! (spike inputs, outputs, weights, delays, neurons, and pass-throughs for the inputs and outputs
//! of subgraphs) with edges between their indices. Unsupported node types are rejected here.

use std::collections::BTreeMap;

use super::graph::{Array, Graph, Node};

/// What a node does, once checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A top-level `Input`: a spike source, with its declared shape (if any).
    Input(Option<Vec<usize>>),
    /// A top-level `Output`.
    Output,
    /// `Linear` or a zero-bias `Affine`: weight `[out, in]`.
    Linear(Array),
    /// `Delay`: one delay per element of the signal.
    Delay(Array),
    /// `CubaLIF` (spiking) or `CubaLI`, with its fields.
    Neuron {
        /// `CubaLIF`.
        spiking: bool,
        /// Its numeric fields.
        fields: BTreeMap<String, Array>,
    },
    /// The `Input`/`Output` of a subgraph: passes its signal on unchanged.
    Pass,
}

/// A checked node: its full name (`G.B` inside subgraph `G`) and what it does.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatNode {
    /// Full dotted name.
    pub name: String,
    /// Its kind.
    pub op: Op,
}

/// A flat graph: nodes and edges between node indices.
#[derive(Clone, Debug, Default)]
pub struct Flat {
    /// Every node.
    pub nodes: Vec<FlatNode>,
    /// Directed edges.
    pub edges: Vec<(usize, usize)>,
}

fn reject_kind(name: &str, kind: &str) -> String {
    let why = match kind {
        "LIF" | "LI" | "IF" | "I" | "Integrator" => {
            "rgenn's neurons have a synaptic current; use CubaLIF or CubaLI"
        }
        "Threshold" => "a bare threshold is no rgenn neuron; use CubaLIF",
        "Conv1d" | "Conv2d" | "SumPool2d" | "AvgPool2d" | "Flatten" => {
            "convolutions, pooling and reshaping have no rgenn form; rgenn connects 1-D populations with weight matrices"
        }
        "Scale" => "element-wise scaling has no rgenn form; fold it into the Linear weights",
        _ => {
            "rgenn reads Input, Output, Linear, Affine (zero bias), Delay, CubaLIF, CubaLI and NIRGraph"
        }
    };
    format!("node `{name}` field `type`: `{kind}` is not supported: {why}")
}

fn field<'a>(node: &'a Node, name: &str, f: &str) -> Result<&'a Array, String> {
    node.fields
        .get(f)
        .ok_or_else(|| format!("node `{name}` ({}) has no field `{f}`", node.kind))
}

fn check_finite(name: &str, node: &Node) -> Result<(), String> {
    for (f, a) in &node.fields {
        if let Some(x) = a.values.iter().find(|x| !x.is_finite()) {
            return Err(format!("node `{name}` field `{f}` holds {x}"));
        }
    }
    Ok(())
}

fn op_of(name: &str, node: &Node, top: bool) -> Result<Op, String> {
    check_finite(name, node)?;
    Ok(match node.kind.as_str() {
        "Input" if !top => Op::Pass,
        "Output" if !top => Op::Pass,
        "Input" => {
            let shape = node.fields.get("shape").map(|a| {
                a.values
                    .iter()
                    .map(|&d| d.max(0.0) as usize)
                    .collect::<Vec<_>>()
            });
            if let Some(s) = &shape
                && s.iter().filter(|&&d| d != 1).count() > 1
            {
                return Err(format!(
                    "node `{name}` field `shape`: the input has shape {s:?}; rgenn's spike inputs are 1-D"
                ));
            }
            Op::Input(shape)
        }
        "Output" => Op::Output,
        "Linear" | "Affine" => {
            let w = field(node, name, "weight")?;
            if w.shape.len() != 2 {
                return Err(format!(
                    "node `{name}` field `weight` has shape {:?}; expected [out, in]",
                    w.shape
                ));
            }
            if node.kind == "Affine"
                && let Some(b) = node.fields.get("bias")
                && b.values.iter().any(|&x| x != 0.0)
            {
                return Err(format!(
                    "node `{name}` field `bias`: a nonzero bias is a constant input current, which rgenn's neurons do not have"
                ));
            }
            Op::Linear(w.clone())
        }
        "Delay" => Op::Delay(field(node, name, "delay")?.clone()),
        "CubaLIF" | "CubaLI" => Op::Neuron {
            spiking: node.kind == "CubaLIF",
            fields: node.fields.clone(),
        },
        other => return Err(reject_kind(name, other)),
    })
}

struct Builder {
    flat: Flat,
}

impl Builder {
    /// Add the nodes of `graph` (names prefixed with `prefix`); returns the index of each node
    /// name, and for subgraph nodes the indices of their `Input`s and `Output`s.
    fn add(&mut self, graph: &Graph, prefix: &str) -> Result<Scope, String> {
        let mut scope = Scope::default();
        for (name, node) in &graph.nodes {
            let full = format!("{prefix}{name}");
            if node.kind == "NIRGraph" {
                let sub = node
                    .graph
                    .as_ref()
                    .ok_or_else(|| format!("node `{full}` is an empty graph"))?;
                let inner = self.add(sub, &format!("{full}."))?;
                scope.subgraphs.insert(name.clone(), inner);
                continue;
            }
            let op = op_of(&full, node, prefix.is_empty())?;
            let index = self.flat.nodes.len();
            if op == Op::Pass {
                match node.kind.as_str() {
                    "Input" => scope.inputs.push(index),
                    _ => scope.outputs.push(index),
                }
            }
            scope.nodes.insert(name.clone(), index);
            self.flat.nodes.push(FlatNode { name: full, op });
        }
        let label = if prefix.is_empty() {
            "the top graph".to_string()
        } else {
            format!("graph `{}`", prefix.trim_end_matches('.'))
        };
        for (a, b) in &graph.edges {
            let from = scope
                .resolve(a, false)
                .map_err(|e| format!("{label} field `edges`: {e}"))?;
            let to = scope
                .resolve(b, true)
                .map_err(|e| format!("{label} field `edges`: {e}"))?;
            self.flat.edges.push((from, to));
        }
        Ok(scope)
    }
}

#[derive(Default)]
struct Scope {
    nodes: BTreeMap<String, usize>,
    subgraphs: BTreeMap<String, Scope>,
    /// The `Input` nodes of a subgraph.
    inputs: Vec<usize>,
    /// The `Output` nodes of a subgraph.
    outputs: Vec<usize>,
}

impl Scope {
    /// The flat index an edge endpoint names: a node here, `G.B` inside subgraph `G`, or a
    /// subgraph itself (its only `Input` as a target, its only `Output` as a source).
    fn resolve(&self, name: &str, as_target: bool) -> Result<usize, String> {
        if let Some(&i) = self.nodes.get(name) {
            return Ok(i);
        }
        let (head, rest) = match name.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (name, None),
        };
        let Some(sub) = self.subgraphs.get(head) else {
            return Err(format!("edge names `{name}`, which is no node"));
        };
        match rest {
            Some(r) => sub
                .resolve(r, as_target)
                .map_err(|e| format!("{e} (inside `{head}`)")),
            None => {
                let (ends, what) = if as_target {
                    (&sub.inputs, "Input")
                } else {
                    (&sub.outputs, "Output")
                };
                match ends.as_slice() {
                    [one] => Ok(*one),
                    _ => Err(format!(
                        "edge names subgraph `{name}`, which has {} {what} nodes; name one of them as `{name}.NODE`",
                        ends.len()
                    )),
                }
            }
        }
    }
}

/// Check and flatten `graph`.
pub fn flatten(graph: &Graph) -> Result<Flat, String> {
    let mut b = Builder {
        flat: Flat::default(),
    };
    b.add(graph, "")?;
    Ok(b.flat)
}
