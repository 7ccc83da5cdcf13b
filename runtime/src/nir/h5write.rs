//! Write a [`Graph`] as a `.nir` file (HDF5, feature `hdf5`) in the layout NIR readers expect:
//! `/version`, `/node` with `type` and `edges` as variable-length UTF-8 strings, `nodes/<name>`
//! groups with gzip-compressed numeric datasets. Written to a temporary file and renamed.

use std::path::Path;

use hdf5::Group;
use hdf5::types::VarLenUnicode;

use super::graph::{Array, Graph, Node};
use crate::error::DataError;

/// The NIR format version written to `/version`.
pub const NIR_VERSION: &str = "1.0.8";

fn text(s: &str) -> hdf5::Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| hdf5::Error::from(format!("string {s:?}: {e}")))
}

fn write_string(group: &Group, name: &str, value: &str) -> hdf5::Result<()> {
    let ds = group.new_dataset::<VarLenUnicode>().create(name)?;
    ds.write_scalar(&text(value)?)
}

fn write_array(group: &Group, name: &str, a: &Array) -> hdf5::Result<()> {
    let shape = a.shape.clone();
    let mut builder = group.new_dataset_builder();
    if a.values.len() > 1 {
        builder = builder.deflate(4);
    }
    if a.integer {
        let v: Vec<i64> = a.values.iter().map(|&x| x as i64).collect();
        let ds = builder.empty::<i64>().shape(shape).create(name)?;
        ds.write_raw(&v)
    } else {
        let ds = builder.empty::<f64>().shape(shape).create(name)?;
        ds.write_raw(&a.values)
    }
}

fn write_node(group: &Group, node: &Node) -> hdf5::Result<()> {
    write_string(group, "type", &node.kind)?;
    for (name, a) in &node.fields {
        write_array(group, name, a)?;
    }
    if let Some(g) = &node.graph {
        write_graph(group, g)?;
    }
    Ok(())
}

fn write_graph(group: &Group, graph: &Graph) -> hdf5::Result<()> {
    let nodes = group.create_group("nodes")?;
    for (name, node) in &graph.nodes {
        write_node(&nodes.create_group(name)?, node)?;
    }
    let mut flat = Vec::with_capacity(graph.edges.len() * 2);
    for (a, b) in &graph.edges {
        flat.push(text(a)?);
        flat.push(text(b)?);
    }
    let ds = group
        .new_dataset::<VarLenUnicode>()
        .shape([graph.edges.len(), 2])
        .create("edges")?;
    ds.write_raw(&flat)
}

/// Write `graph` to `path` atomically.
pub fn write(path: &Path, graph: &Graph) -> Result<(), DataError> {
    let err = |message: String| DataError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> hdf5::Result<()> {
        let f = hdf5::File::create(&tmp)?;
        write_string(&f, "version", NIR_VERSION)?;
        let top = f.create_group("node")?;
        write_string(&top, "type", "NIRGraph")?;
        write_graph(&top, graph)?;
        drop(top);
        f.close()
    })();
    let result = result
        .map_err(|e| err(format!("cannot write the NIR file: {e}")))
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(|e| err(format!("cannot write the NIR file: {e}")))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
