//! Spike datasets (`times`, `units`, `offsets`, `labels` in an `.npz`) and their binning to steps.

use std::path::Path;

use crate::data::npz::NpzFile;
use crate::error::DataError;
use crate::sim::cpu::TrialInput;

/// A spike dataset in memory.
#[derive(Clone, Debug, Default)]
pub struct SpikeDataset {
    /// Spike times in ms.
    pub times: Vec<f64>,
    /// Unit of every spike.
    pub units: Vec<u32>,
    /// Trial `k` is `offsets[k]..offsets[k + 1]`.
    pub offsets: Vec<u64>,
    /// Class of every trial, when present.
    pub labels: Option<Vec<i64>>,
}

impl SpikeDataset {
    /// Number of trials.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there are no trials.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read and check a spike-dataset `.npz`.
    pub fn read(path: &Path) -> Result<SpikeDataset, DataError> {
        let mut f = NpzFile::open(path)?;
        let invalid = |message: String| DataError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let flat = |name: &str, shape: &[u64]| {
            if shape.len() == 1 {
                Ok(())
            } else {
                Err(invalid(format!(
                    "`{name}` has shape {shape:?}; it must be one-dimensional"
                )))
            }
        };
        let times = f.floats("times")?;
        flat("times", &times.shape)?;
        let units = f.unsigned("units")?;
        flat("units", &units.shape)?;
        let offsets = f.unsigned("offsets")?;
        flat("offsets", &offsets.shape)?;
        let (times, units, offsets) = (times.values, units.values, offsets.values);
        let labels = if f.has("labels") {
            let l = f.unsigned("labels")?;
            flat("labels", &l.shape)?;
            Some(l.values.into_iter().map(|v| v as i64).collect::<Vec<i64>>())
        } else {
            None
        };
        if times.len() != units.len() {
            return Err(invalid(format!(
                "`times` has {} entries but `units` has {}",
                times.len(),
                units.len()
            )));
        }
        if offsets.first() != Some(&0)
            || offsets.windows(2).any(|w| w[0] > w[1])
            || offsets.last() != Some(&(times.len() as u64))
        {
            return Err(invalid(format!(
                "`offsets` must start at 0, never decrease and end at the number of spikes ({})",
                times.len()
            )));
        }
        if let Some(l) = &labels
            && l.len() != offsets.len() - 1
        {
            return Err(invalid(format!(
                "`labels` has {} entries for {} trials",
                l.len(),
                offsets.len() - 1
            )));
        }
        // Times may come in any order within a trial (binning sorts them); they must be finite
        // and not negative.
        if let Some(i) = times.iter().position(|t| !t.is_finite() || *t < 0.0) {
            let trial = offsets
                .partition_point(|&o| o <= i as u64)
                .saturating_sub(1);
            return Err(invalid(format!(
                "`times[{i}]` (trial {trial}) is {}; spike times must be finite and at least 0 ms",
                times[i]
            )));
        }
        let units = units
            .into_iter()
            .map(|u| {
                u32::try_from(u).map_err(|_| {
                    invalid(format!("`units` holds {u}, which does not fit in 32 bits"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(SpikeDataset {
            times,
            units,
            offsets,
            labels,
        })
    }

    /// The trials `idx` (in that order) as a new dataset.
    pub fn subset(&self, idx: &[usize]) -> SpikeDataset {
        let total = idx
            .iter()
            .map(|&k| (self.offsets[k + 1] - self.offsets[k]) as usize)
            .sum();
        let mut out = SpikeDataset {
            times: Vec::with_capacity(total),
            units: Vec::with_capacity(total),
            offsets: Vec::with_capacity(idx.len() + 1),
            labels: self.labels.as_ref().map(|_| Vec::with_capacity(idx.len())),
        };
        out.offsets.push(0);
        for &k in idx {
            let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
            out.times.extend_from_slice(&self.times[a..b]);
            out.units.extend_from_slice(&self.units[a..b]);
            out.offsets.push(out.times.len() as u64);
            if let (Some(o), Some(l)) = (out.labels.as_mut(), &self.labels) {
                o.push(l[k]);
            }
        }
        out
    }

    /// Bin trial `k` to steps: a unit fires in step `n` when one of its spike times lies in
    /// `[n dt, (n + 1) dt)`; several spikes in one step count once; times outside the trial are
    /// ignored (a time within 1e-9 steps below a boundary counts as on it). A unit outside `0..n_units` is an error.
    pub fn bin(
        &self,
        k: usize,
        dt_ms: f64,
        n_steps: u32,
        n_units: u32,
        path: &Path,
    ) -> Result<TrialInput, DataError> {
        let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
        let spikes = (a..b).map(|i| (self.times[i], self.units[i]));
        bin_spikes(spikes, k, dt_ms, n_steps, n_units, path)
    }
}

/// Bin the spikes `(time in ms, unit)` of trial `k` as [`SpikeDataset::bin`] does (`k` and `path`
/// only name the trial in errors).
pub fn bin_spikes(
    spikes: impl ExactSizeIterator<Item = (f64, u32)>,
    k: usize,
    dt_ms: f64,
    n_steps: u32,
    n_units: u32,
    path: &Path,
) -> Result<TrialInput, DataError> {
    let mut events: Vec<(u32, u32)> = Vec::with_capacity(spikes.len());
    for (t, u) in spikes {
        if u >= n_units {
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "`units`: trial {k} has a spike of unit {u}, but the input population has {n_units} neurons (units 0..{})",
                    n_units.saturating_sub(1)
                ),
            });
        }
        if t < 0.0 {
            continue;
        }
        // A time within 1e-9 of a step of a step boundary counts as on it, so that times written
        // as multiples of dt (0.3 ms at dt 0.1 ms) land in the step users expect.
        let n = (t / dt_ms + 1e-9).floor();
        if n < n_steps as f64 {
            events.push((n as u32, u));
        }
    }
    events.sort_unstable();
    events.dedup();
    let mut step_start = vec![0u32; n_steps as usize + 1];
    for &(n, _) in &events {
        step_start[n as usize + 1] += 1;
    }
    for n in 0..n_steps as usize {
        step_start[n + 1] += step_start[n];
    }
    Ok(TrialInput {
        step_start,
        units: events.into_iter().map(|(_, u)| u).collect(),
    })
}

/// The optional `speakers` array of a spike-dataset `.npz` (one non-negative integer per trial,
/// as `rgenn data convert` writes from SHD's `extra/speaker`), or `None` when absent.
pub fn read_speakers(path: &Path, n_trials: usize) -> Result<Option<Vec<i64>>, DataError> {
    let mut f = NpzFile::open(path)?;
    if !f.has("speakers") {
        return Ok(None);
    }
    let speakers = f.unsigned("speakers")?.values;
    if speakers.len() != n_trials {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "`speakers` has {} entries for {n_trials} trials",
                speakers.len()
            ),
        });
    }
    Ok(Some(speakers.into_iter().map(|s| s as i64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_dedups_and_respects_half_open_steps() {
        let d = SpikeDataset {
            times: vec![0.0, 0.99, 1.0, 0.3, 2.5, 3.0],
            units: vec![1, 1, 0, 0, 1, 0],
            offsets: vec![0, 6],
            labels: None,
        };
        let t = d.bin(0, 1.0, 3, 2, Path::new("x")).unwrap();
        // step 0: units 0 (0.3) and 1 (0.0, 0.99 -> once); step 1: unit 0 (1.0); step 2: unit 1; 3.0 is outside.
        assert_eq!(t.step_start, [0, 2, 3, 4]);
        assert_eq!(t.units, [0, 1, 0, 1]);
        // dt = 0.1: 0.3 ms lies in step 3 even though 0.3 / 0.1 < 3 in floating point.
        let d = SpikeDataset {
            times: vec![0.3],
            units: vec![0],
            offsets: vec![0, 1],
            labels: None,
        };
        let t = d.bin(0, 0.1, 5, 1, Path::new("x")).unwrap();
        assert_eq!(t.step_start, [0, 0, 0, 0, 1, 1]);
        assert!(d.bin(0, 0.1, 5, 0, Path::new("x")).is_err());
    }
}
