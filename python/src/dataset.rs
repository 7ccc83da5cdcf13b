//! `rgenn._rgenn.Dataset`: a validated spike dataset (times in ms, units, trial offsets, labels)
//! held as the runtime's `SpikeDataset`, so passes read it without another conversion.

use std::path::{Path, PathBuf};

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::data::npz::{self, OutArray};

use crate::DataError;

/// A spike dataset: trial `k` is the spikes `offsets[k]..offsets[k + 1]` of `times` (ms) and
/// `units`; `labels` holds a class per trial when present.
#[pyclass(frozen, module = "rgenn._rgenn")]
pub struct Dataset {
    pub(crate) data: SpikeDataset,
    /// Where it came from, for messages (`<memory>` when built from arrays).
    pub(crate) origin: PathBuf,
}

type Arrays<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u64>>,
    Option<Bound<'py, PyArray1<i64>>>,
);

#[pymethods]
impl Dataset {
    /// Check and hold the arrays (copied once into the runtime's layout).
    #[new]
    #[pyo3(signature = (times, units, offsets, labels=None))]
    fn new(
        times: PyReadonlyArray1<'_, f64>,
        units: PyReadonlyArray1<'_, i64>,
        offsets: PyReadonlyArray1<'_, i64>,
        labels: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Self> {
        let data = checked(
            times.as_slice()?,
            units.as_slice()?,
            offsets.as_slice()?,
            labels.as_ref().map(|l| l.as_slice()).transpose()?,
        )
        .map_err(DataError::new_err)?;
        Ok(Dataset {
            data,
            origin: PathBuf::from("<memory>"),
        })
    }

    /// Number of trials.
    fn __len__(&self) -> usize {
        self.data.len()
    }

    /// Copies of the arrays: `(times float64, units uint32, offsets uint64, labels int64 or None)`.
    fn arrays<'py>(&self, py: Python<'py>) -> Arrays<'py> {
        let d = &self.data;
        (
            d.times.clone().into_pyarray(py),
            d.units.clone().into_pyarray(py),
            d.offsets.clone().into_pyarray(py),
            d.labels.clone().map(|l| l.into_pyarray(py)),
        )
    }

    /// Where the dataset came from (a file, or `<memory>`).
    #[getter]
    fn origin(&self) -> String {
        self.origin.display().to_string()
    }
}

/// Read and check a spike-dataset `.npz` (what `rgenn simulate --data` reads).
#[pyfunction]
pub fn read_dataset(py: Python<'_>, path: PathBuf) -> PyResult<Dataset> {
    let data = py
        .detach(|| SpikeDataset::read(&path))
        .map_err(|e| crate::sim_error(e.into()))?;
    Ok(Dataset { data, origin: path })
}

/// The dataset, if the arrays make one: equal lengths, offsets from 0 that never decrease and end
/// at the number of spikes, finite times, units that fit in 32 bits, non-negative labels, one per
/// trial.
fn checked(
    times: &[f64],
    units: &[i64],
    offsets: &[i64],
    labels: Option<&[i64]>,
) -> Result<SpikeDataset, String> {
    if times.len() != units.len() {
        return Err(format!(
            "`times` has {} entries but `units` has {}",
            times.len(),
            units.len()
        ));
    }
    if offsets.first() != Some(&0)
        || offsets.windows(2).any(|w| w[0] > w[1])
        || offsets.last() != Some(&(times.len() as i64))
    {
        return Err(format!(
            "`offsets` must start at 0, never decrease and end at the number of spikes ({})",
            times.len()
        ));
    }
    if let Some(l) = labels
        && l.len() != offsets.len() - 1
    {
        return Err(format!(
            "`labels` has {} entries for {} trials",
            l.len(),
            offsets.len() - 1
        ));
    }
    if let Some(t) = times.iter().find(|t| !t.is_finite()) {
        return Err(format!("`times` holds the non-finite value {t}"));
    }
    let units = units
        .iter()
        .map(|&u| u32::try_from(u).map_err(|_| format!("unit {u} is not in 0..2^32")))
        .collect::<Result<Vec<u32>, _>>()?;
    if let Some(&l) = labels.and_then(|l| l.iter().find(|&&l| l < 0)) {
        return Err(format!("`labels` holds the negative value {l}"));
    }
    Ok(SpikeDataset {
        times: times.to_vec(),
        units,
        offsets: offsets.iter().map(|&o| o as u64).collect(),
        labels: labels.map(<[i64]>::to_vec),
    })
}

/// Write `data` as a spike-dataset `.npz` the runtime reads back unchanged (float64 times).
pub(crate) fn write_npz(data: &SpikeDataset, path: &Path) -> std::io::Result<()> {
    let n = data.times.len() as u64;
    let mut arrays = vec![
        (
            "times".to_string(),
            vec![n],
            OutArray::F64(data.times.clone()),
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
            "labels".to_string(),
            vec![l.len() as u64],
            OutArray::I64(l.clone()),
        ));
    }
    npz::write(path, &arrays)
}
