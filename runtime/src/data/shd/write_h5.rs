//! Write a spike dataset in the official SHD/SSC HDF5 layout (feature `hdf5`): `spikes/times` as
//! variable-length float16 seconds, `spikes/units` as variable-length uint16, `labels` and
//! `extra/speaker` as uint16. Used by tests and by the synthetic SHD-shaped data; float16 rounds
//! times exactly as the published files do.

use std::path::Path;

use hdf5::types::VarLenArray;

use crate::data::SpikeDataset;
use crate::error::DataError;

/// Write `data` (times in ms) and optional speakers to `path` (written to a temporary file in the
/// same folder and renamed).
pub fn write(path: &Path, data: &SpikeDataset, speakers: Option<&[i64]>) -> Result<(), DataError> {
    let err = |message: String| DataError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let n = data.len();
    let mut times = Vec::with_capacity(n);
    let mut units = Vec::with_capacity(n);
    for k in 0..n {
        let (a, b) = (data.offsets[k] as usize, data.offsets[k + 1] as usize);
        let t: Vec<half::f16> = data.times[a..b]
            .iter()
            .map(|&ms| half::f16::from_f64(ms / 1000.0))
            .collect();
        let u = data.units[a..b]
            .iter()
            .map(|&u| u16::try_from(u).map_err(|_| err(format!("unit {u} does not fit in uint16"))))
            .collect::<Result<Vec<u16>, _>>()?;
        times.push(VarLenArray::from_slice(&t));
        units.push(VarLenArray::from_slice(&u));
    }
    let to_u16 = |v: &[i64], what: &str| {
        v.iter()
            .map(|&x| {
                u16::try_from(x).map_err(|_| err(format!("{what} {x} does not fit in uint16")))
            })
            .collect::<Result<Vec<u16>, _>>()
    };
    let labels = to_u16(data.labels.as_deref().unwrap_or(&[]), "label")?;
    let speakers = speakers.map(|s| to_u16(s, "speaker")).transpose()?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| -> hdf5::Result<()> {
        let f = hdf5::File::create(&tmp)?;
        {
            // Every object is dropped before the file is closed, so the close is complete and no
            // handle (or file lock) outlives this function.
            let spikes = f.create_group("spikes")?;
            spikes
                .new_dataset_builder()
                .with_data(&times)
                .create("times")?;
            spikes
                .new_dataset_builder()
                .with_data(&units)
                .create("units")?;
        }
        f.new_dataset_builder()
            .with_data(&labels)
            .create("labels")?;
        if let Some(s) = &speakers {
            f.create_group("extra")?
                .new_dataset_builder()
                .with_data(s)
                .create("speaker")?;
        }
        f.close()
    })();
    let result = result
        .map_err(|e| err(format!("cannot write HDF5: {e}")))
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(|e| err(format!("cannot rename into place: {e}")))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
