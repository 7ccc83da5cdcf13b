//! Read a `.nir` file (HDF5, feature `hdf5`) into a [`Graph`]: `/node` is the top graph, each
//! node a group with a `type` string and numeric datasets; `NIRGraph` nodes nest `nodes/` and
//! `edges`. Numbers of any float or integer type are read as f64; string and metadata entries
//! other than `type` and `edges` are skipped.

use std::path::Path;

use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5::{Conversion, Dataset, Group};

use super::graph::{Array, Graph, Node};
use crate::error::DataError;

struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> DataError {
        DataError::Invalid {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }

    fn strings(&self, ds: &Dataset, what: &str) -> Result<Vec<String>, DataError> {
        let bad = |e: hdf5::Error| self.err(format!("reading {what} failed: {e}"));
        let desc = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| self.err(format!("{what} has an unsupported type: {e}")))?;
        match desc {
            TypeDescriptor::VarLenUnicode => Ok(ds
                .read_raw::<VarLenUnicode>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect()),
            TypeDescriptor::VarLenAscii => Ok(ds
                .read_raw::<VarLenAscii>()
                .map_err(bad)?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect()),
            other => Err(self.err(format!(
                "{what} is stored as {other}; expected variable-length strings"
            ))),
        }
    }

    fn numbers(&self, ds: &Dataset, what: &str) -> Result<Option<Array>, DataError> {
        let desc = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| self.err(format!("{what} has an unsupported type: {e}")))?;
        let integer = match desc {
            TypeDescriptor::Float(_) => false,
            TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) | TypeDescriptor::Boolean => {
                true
            }
            _ => return Ok(None),
        };
        let values = ds
            .as_reader()
            .conversion(Conversion::Hard)
            .read_raw::<f64>()
            .map_err(|e| self.err(format!("reading {what} failed: {e}")))?;
        Ok(Some(Array {
            shape: ds.shape(),
            values,
            integer,
        }))
    }

    fn node(&self, group: &Group, name: &str) -> Result<Node, DataError> {
        let type_ds = group
            .dataset("type")
            .map_err(|_| self.err(format!("node `{name}` has no `type`")))?;
        let kind = self
            .strings(&type_ds, &format!("node `{name}` field `type`"))?
            .into_iter()
            .next()
            .ok_or_else(|| self.err(format!("node `{name}` has an empty `type`")))?;
        if kind == "NIRGraph" {
            let graph = self.graph(group, name)?;
            return Ok(Node {
                kind,
                fields: Default::default(),
                graph: Some(graph),
            });
        }
        let mut node = Node::new(&kind, Vec::new());
        for field in group.datasets().map_err(|e| self.err(e.to_string()))? {
            let full = field.name();
            let key = full.rsplit('/').next().unwrap_or_default().to_string();
            if key == "type" {
                continue;
            }
            if let Some(a) = self.numbers(&field, &format!("node `{name}` field `{key}`"))? {
                node.fields.insert(key, a);
            }
        }
        Ok(node)
    }

    fn graph(&self, group: &Group, name: &str) -> Result<Graph, DataError> {
        let label = if name.is_empty() {
            "the top graph"
        } else {
            name
        };
        let nodes = group
            .group("nodes")
            .map_err(|_| self.err(format!("graph `{label}` has no `nodes` group")))?;
        let mut graph = Graph::default();
        for member in nodes.member_names().map_err(|e| self.err(e.to_string()))? {
            let child = nodes.group(&member).map_err(|_| {
                self.err(format!("graph `{label}`: `nodes/{member}` is not a group"))
            })?;
            let full = if name.is_empty() {
                member.clone()
            } else {
                format!("{name}.{member}")
            };
            let node = self.node(&child, &full)?;
            graph.nodes.insert(member, node);
        }
        let edges = group
            .dataset("edges")
            .map_err(|_| self.err(format!("graph `{label}` has no `edges`")))?;
        let names = self.strings(&edges, &format!("graph `{label}` field `edges`"))?;
        if names.len() % 2 != 0 {
            return Err(self.err(format!(
                "graph `{label}` field `edges` has shape {:?}; expected (n, 2)",
                edges.shape()
            )));
        }
        graph.edges = names
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        Ok(graph)
    }
}

/// Read the graph of a `.nir` file.
pub fn read(path: &Path) -> Result<Graph, DataError> {
    let r = Reader { path };
    if !path.is_file() {
        return Err(r.err("no such file"));
    }
    let file = hdf5::File::open(path).map_err(|e| {
        r.err(format!(
            "cannot open as an HDF5 (.nir) file: {e}; is it a NIR file?"
        ))
    })?;
    let top = file
        .group("node")
        .map_err(|_| r.err("has no `/node` group; a NIR file keeps its graph there"))?;
    r.graph(&top, "")
}
