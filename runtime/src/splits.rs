//! The dataset splits of a network's `data:` section, loaded or generated.

use std::path::{Path, PathBuf};

use rgenn_codegen::ir::{DataSource, Network, Split};

use crate::data::SpikeDataset;
use crate::error::DataError;
use crate::generators;

/// One split's examples and where they came from (for messages).
#[derive(Clone, Debug)]
pub struct LoadedSplit {
    /// The examples.
    pub data: SpikeDataset,
    /// The file, or `generator:NAME` for generated data.
    pub path: PathBuf,
}

/// The split `which` of `net` (paths relative to `base_dir`), or `None` when the YAML has none.
pub fn load(
    net: &Network,
    base_dir: &Path,
    which: Split,
) -> Result<Option<LoadedSplit>, DataError> {
    let Some(split) = net.run.data.iter().find(|s| s.split == which) else {
        return Ok(None);
    };
    Ok(Some(match &split.source {
        DataSource::Generator { name, trials, seed } => {
            let path = PathBuf::from(format!("generator:{name}"));
            let data = generators::generate(name, *trials, *seed, which).ok_or_else(|| {
                DataError::Invalid {
                    path: path.clone(),
                    message: format!("unknown generator `{name}`"),
                }
            })?;
            LoadedSplit { data, path }
        }
        DataSource::Npz { path } => {
            let path = base_dir.join(path);
            LoadedSplit {
                data: SpikeDataset::read(&path)?,
                path,
            }
        }
        DataSource::Shd { path } => {
            return Err(DataError::Invalid {
                path: base_dir.join(path),
                message: "reading SHD/SSC HDF5 files is not built into this rgenn yet; convert the data to a spike-dataset .npz (times, units, offsets, labels) and use `{npz: PATH}`".into(),
            });
        }
    }))
}
