//! An NIR graph in memory: named nodes with their type and numeric fields, nested graphs, and
//! edges. The HDF5 reader produces it, the writer consumes it, and import/export map it to and
//! from rgenn networks.

use std::collections::BTreeMap;

/// A numeric array of any shape, in row-major order, held as f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// Dimensions (empty for a 0-d value).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<f64>,
    /// Stored as 64-bit integers (shapes) rather than float64.
    pub integer: bool,
}

impl Array {
    /// A 1-D float64 array.
    pub fn vector(values: Vec<f64>) -> Array {
        Array {
            shape: vec![values.len()],
            values,
            integer: false,
        }
    }

    /// A 2-D float64 array of `rows x cols` (row-major `values`).
    pub fn matrix(rows: usize, cols: usize, values: Vec<f64>) -> Array {
        Array {
            shape: vec![rows, cols],
            values,
            integer: false,
        }
    }

    /// A 1-D int64 array (a shape).
    pub fn shape_of(dims: &[usize]) -> Array {
        Array {
            shape: vec![dims.len()],
            values: dims.iter().map(|&d| d as f64).collect(),
            integer: true,
        }
    }
}

/// One node: its NIR type name, numeric fields and, for a `NIRGraph`, the graph it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The `type` string (`CubaLIF`, `Linear`, `NIRGraph`, ...).
    pub kind: String,
    /// Numeric datasets by field name.
    pub fields: BTreeMap<String, Array>,
    /// The nested graph of a `NIRGraph` node.
    pub graph: Option<Graph>,
}

impl Node {
    /// A node of type `kind` with `fields`.
    pub fn new(kind: &str, fields: Vec<(&str, Array)>) -> Node {
        Node {
            kind: kind.into(),
            fields: fields
                .into_iter()
                .map(|(k, a)| (k.to_string(), a))
                .collect(),
            graph: None,
        }
    }
}

/// A graph: nodes by name and edges between node names (`"G.B"` names node `B` of subgraph `G`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// Nodes by name.
    pub nodes: BTreeMap<String, Node>,
    /// Directed edges `(from, to)`; several inputs of a node are summed.
    pub edges: Vec<(String, String)>,
}

impl Graph {
    /// Add a node.
    pub fn add(&mut self, name: &str, node: Node) {
        self.nodes.insert(name.to_string(), node);
    }

    /// Add an edge.
    pub fn edge(&mut self, from: &str, to: &str) {
        self.edges.push((from.to_string(), to.to_string()));
    }
}
