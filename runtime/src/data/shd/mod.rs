//! The Heidelberg spiking datasets (SHD, SSC; Cramer et al. 2020) as rgenn spike datasets.
//!
//! In: the official HDF5 files (`spikes/times`: one variable-length float16 array of spike times in
//! seconds per example, `spikes/units`: one variable-length unsigned array of channels `0..700` per
//! example, `labels`, optionally `extra/speaker`). Out: a [`SpikeDataset`] in memory with times in
//! ms, plus the speaker of every example. Reading needs the cargo feature `hdf5` (hdf5-metno and the
//! system libhdf5); without it, [`read`] returns an error that says how to enable it. MD5 checks of
//! downloaded files ([`verify`]) and the `.npz` writer ([`write_npz`]) need no feature.
//! Nothing here bins, crops or augments: that happens per trial ([`SpikeDataset::bin`]) and per
//! epoch (`crate::data::augment`).

#[cfg(feature = "hdf5")]
mod read;
pub mod verify;
#[cfg(feature = "hdf5")]
pub mod write_h5;

use std::path::Path;

use crate::data::SpikeDataset;
use crate::data::npz::{self, OutArray};
use crate::error::DataError;

/// Input channels of SHD and SSC (the cochlea model's 700 bushy cells).
pub const CHANNELS: u32 = 700;

/// The contents of one SHD/SSC file.
#[derive(Clone, Debug)]
pub struct ShdFile {
    /// Every example: times in ms, units `0..CHANNELS`, labels.
    pub data: SpikeDataset,
    /// `extra/speaker` of every example, when the file has it.
    pub speakers: Option<Vec<i64>>,
}

/// True when this rgenn was built with the `hdf5` feature.
pub const HDF5_ENABLED: bool = cfg!(feature = "hdf5");

/// Read and check an SHD/SSC HDF5 file.
pub fn read(path: &Path) -> Result<ShdFile, DataError> {
    #[cfg(feature = "hdf5")]
    {
        read::read(path)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: "this rgenn was built without HDF5 support, so it cannot read SHD/SSC `.h5` files; \
                      rebuild with `cargo build --release --features hdf5` (needs the system HDF5 library: \
                      `apt-get install libhdf5-dev`), or convert the file to a spike-dataset .npz with an \
                      rgenn built that way (`rgenn data convert IN.h5 --out OUT.npz`) and use `{npz: OUT.npz}`"
                .into(),
        })
    }
}

/// Write a spike dataset as `.npz` (`times` f32 ms, `units` u32, `offsets` u64, `labels` i64 when
/// present, `speakers` i64 when given), atomically.
pub fn write_npz(
    path: &Path,
    data: &SpikeDataset,
    speakers: Option<&[i64]>,
) -> Result<(), DataError> {
    let n = data.times.len() as u64;
    let mut arrays = vec![
        (
            "times".to_string(),
            vec![n],
            OutArray::F32(data.times.iter().map(|&t| t as f32).collect()),
        ),
        (
            "units".to_string(),
            vec![n],
            OutArray::U32(data.units.clone()),
        ),
        (
            "offsets".to_string(),
            vec![data.offsets.len() as u64],
            OutArray::U64(data.offsets.clone()),
        ),
    ];
    if let Some(l) = &data.labels {
        arrays.push((
            "labels".into(),
            vec![l.len() as u64],
            OutArray::I64(l.clone()),
        ));
    }
    if let Some(s) = speakers {
        arrays.push((
            "speakers".into(),
            vec![s.len() as u64],
            OutArray::I64(s.to_vec()),
        ));
    }
    npz::write(path, &arrays).map_err(|e| DataError::Invalid {
        path: path.to_path_buf(),
        message: format!("cannot write the spike dataset: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "hdf5"))]
    #[test]
    fn without_the_feature_reading_says_how_to_enable_it() {
        let e = read(Path::new("data/shd_train.h5"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("data/shd_train.h5"), "{e}");
        assert!(e.contains("--features hdf5"), "{e}");
        assert!(e.contains("libhdf5-dev"), "{e}");
    }

    #[test]
    fn npz_round_trip_keeps_times_units_offsets_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.npz");
        let d = SpikeDataset {
            times: vec![0.5, 12.25, 3.0],
            units: vec![699, 0, 5],
            offsets: vec![0, 2, 3],
            labels: Some(vec![19, 0]),
        };
        write_npz(&path, &d, Some(&[4, 5])).unwrap();
        let back = SpikeDataset::read(&path).unwrap();
        assert_eq!(back.times, d.times);
        assert_eq!(back.units, d.units);
        assert_eq!(back.offsets, d.offsets);
        assert_eq!(back.labels, d.labels);
    }
}
