//! NIR (the Neuromorphic Intermediate Representation, `.nir` HDF5 files) import and export.
//!
//! [`import_file`] reads a graph, maps it to an rgenn network ([`import`]) and writes its YAML
//! (and a parameter `.npz` for large matrices, [`yaml`]); [`export_file`] maps a loaded network
//! and its parameters to a graph ([`export`]) and writes it. The mapping works on the in-memory
//! [`graph::Graph`] and needs no feature; reading and writing HDF5 need the cargo feature `hdf5`,
//! and without it both say how to enable it. `docs/nir.md` states the conventions.

pub mod export;
pub mod flatten;
pub mod graph;
#[cfg(feature = "hdf5")]
mod h5read;
#[cfg(feature = "hdf5")]
mod h5write;
pub mod import;
pub mod paths;
pub mod yaml;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::error::DataError;
use crate::sim::init::Params;
use graph::Graph;
pub use import::{ImportOptions, Imported, Spike, TimeUnit};

#[cfg(not(feature = "hdf5"))]
fn without_hdf5(path: &Path) -> DataError {
    DataError::Invalid {
        path: path.to_path_buf(),
        message: "this rgenn was built without HDF5 support, so it cannot read or write NIR `.nir` files; \
                  rebuild with `cargo build --release --features hdf5` (needs the system HDF5 library: \
                  `apt-get install libhdf5-dev`)"
            .into(),
    }
}

/// Read the graph of a `.nir` file.
pub fn read(path: &Path) -> Result<Graph, DataError> {
    #[cfg(feature = "hdf5")]
    {
        h5read::read(path)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        Err(without_hdf5(path))
    }
}

/// Write `graph` as a `.nir` file, atomically.
pub fn write(path: &Path, graph: &Graph) -> Result<(), DataError> {
    #[cfg(feature = "hdf5")]
    {
        h5write::write(path, graph)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        let _ = graph;
        Err(without_hdf5(path))
    }
}

/// What an import wrote.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    /// The network.
    pub net: Imported,
    /// The parameter file, when the matrices did not fit inline.
    pub params: Option<std::path::PathBuf>,
}

/// Import `nir` into the YAML `out` (and `<stem>.npz` beside it for large matrices); `duration_ms`
/// is the trial length written to the YAML.
pub fn import_file(
    nir: &Path,
    out: &Path,
    opts: &ImportOptions,
    duration_ms: f64,
) -> Result<ImportSummary, DataError> {
    let invalid = |path: &Path, message: String| DataError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    if !(opts.dt_ms > 0.0 && opts.dt_ms.is_finite()) {
        return Err(invalid(
            nir,
            format!(
                "`--dt` is {}; it must be a positive number of ms",
                opts.dt_ms
            ),
        ));
    }
    if !(duration_ms > 0.0 && duration_ms.is_finite()) {
        return Err(invalid(
            nir,
            format!("`--duration` is {duration_ms}; it must be a positive number of ms"),
        ));
    }
    let g = read(nir)?;
    let net = import::import(&g, opts).map_err(|m| invalid(nir, m))?;
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "net".into());
    let npz_name = format!("{stem}.npz");
    let source = nir.display().to_string();
    let name = import::identifier(&stem);
    let header = yaml::Header {
        source: &source,
        name: &name,
        spike: opts.spike,
        time_unit: opts.time_unit,
        dt_ms: opts.dt_ms,
        duration_ms,
    };
    let written = yaml::write(&net, &header, &npz_name);
    let mut params = None;
    if !written.arrays.is_empty() {
        let p = out.with_file_name(&npz_name);
        crate::data::npz::write(&p, &written.arrays)
            .map_err(|e| invalid(&p, format!("cannot write the parameter file: {e}")))?;
        params = Some(p);
    }
    crate::fsutil::write_atomic(out, written.yaml.as_bytes())
        .map_err(|e| invalid(out, format!("cannot write the network: {e}")))?;
    Ok(ImportSummary { net, params })
}

/// Export network `net` (loaded from `yaml`) with `params` to the `.nir` file `out`.
pub fn export_file(
    yaml: &Path,
    net: &rgenn_codegen::ir::Network,
    params: &Params,
    out: &Path,
) -> Result<Graph, DataError> {
    let g = export::export(net, params).map_err(|message| DataError::Invalid {
        path: yaml.to_path_buf(),
        message,
    })?;
    write(out, &g)?;
    Ok(g)
}
