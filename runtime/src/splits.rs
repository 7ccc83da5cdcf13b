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
            let generated = if name == crate::synthetic::NAME {
                Some(crate::synthetic::generate(*trials, *seed, which))
            } else {
                generators::generate(name, *trials, *seed, which)
            };
            let data = generated.ok_or_else(|| DataError::Invalid {
                path: path.clone(),
                message: format!("unknown generator `{name}`"),
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
            let path = base_dir.join(path);
            LoadedSplit {
                data: crate::shd::read(&path)?.data,
                path,
            }
        }
    }))
}

#[cfg(all(test, feature = "hdf5"))]
mod tests {
    use super::*;

    #[test]
    fn shd_and_ssc_sources_read_hdf5_files_relative_to_the_network() {
        let dir = tempfile::tempdir().unwrap();
        let d = SpikeDataset {
            times: vec![250.0, 500.0],
            units: vec![3, 699],
            offsets: vec![0, 1, 2],
            labels: Some(vec![1, 0]),
        };
        std::fs::create_dir(dir.path().join("shd")).unwrap();
        crate::shd::write_h5::write(&dir.path().join("shd/train.h5"), &d, None).unwrap();
        let yaml = "name: n\ndt: 1.0\nduration: 1000.0\npopulations:\n  input: {size: 700, model: spike_input}\n  out: {size: 2, model: li, readout: mean_exp}\nconnections:\n  c: {source: input, target: out, weight: 0.1}\ndata:\n  train: {shd: shd/train.h5}\n  test: {ssc: shd/absent.h5}\n";
        let model = dir.path().join("n.yaml");
        std::fs::write(&model, yaml).unwrap();
        let loaded = rgenn_codegen::load_file(&model).unwrap();
        let train = load(&loaded.ir, &loaded.base_dir, Split::Train)
            .unwrap()
            .unwrap();
        assert_eq!(train.data.times, d.times);
        assert_eq!(train.data.labels, d.labels);
        let e = load(&loaded.ir, &loaded.base_dir, Split::Test).unwrap_err();
        assert!(e.to_string().contains("absent.h5"), "{e}");
    }
}
