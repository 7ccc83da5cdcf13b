//! Which example sets a trial length taken from the data, and how it compares with the others.
//!
//! Without `duration:`, every trial lasts until the latest spike of the whole dataset, so a single
//! noisy recording can stretch every trial (and the cost of every example). [`trial_lengths`]
//! finds that example and the 99.9th percentile of the other examples' last spikes, for `rgenn check`
//! and `rgenn train` to report, and [`TrialLengths::warning`] says when one example stretches
//! every trial by more than [`STRETCH_WARNING`].

use std::path::{Path, PathBuf};

use rgenn_codegen::ir::{DataSource, Network};

use crate::error::DataError;

/// A trial length this many times the 99.9th percentile of the examples' ends is warned about.
pub const STRETCH_WARNING: f64 = 2.0;

/// The examples' last spikes over every file and generator split.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialLengths {
    /// The latest spike in ms.
    pub latest_ms: f64,
    /// The split and file (or generator) of the example that holds it.
    pub split: &'static str,
    /// Its file, or `generator:<name>`.
    pub path: PathBuf,
    /// Its index in that split.
    pub example: usize,
    /// Examples with at least one spike, over all splits.
    pub n_examples: usize,
    /// 99.9th percentile of the other examples' last spikes, in ms.
    pub p999_ms: f64,
}

impl TrialLengths {
    /// The line `check` and `train` print.
    pub fn describe(&self, duration_ms: f64) -> String {
        format!(
            "trial length {duration_ms} ms from the data: the latest spike ({} ms) is in example {} \
             of the {} split ({}); 99.9 % of the other {} examples end by {} ms",
            self.latest_ms,
            self.example,
            self.split,
            self.path.display(),
            self.n_examples.saturating_sub(1),
            self.p999_ms
        )
    }

    /// A warning when one example stretches every trial by more than [`STRETCH_WARNING`].
    pub fn warning(&self) -> Option<String> {
        (self.latest_ms > STRETCH_WARNING * self.p999_ms).then(|| {
            format!(
                "example {} of the {} split makes every trial {:.1}x longer than 99.9 % of the \
                 other examples need; set `duration: {}` (or longer) to cut it, or check that example",
                self.example,
                self.split,
                self.latest_ms / self.p999_ms,
                self.p999_ms.ceil()
            )
        })
    }
}

/// The examples' last spikes of `net`'s data (paths relative to `base_dir`); `None` when the
/// data has no spikes. Validation splits cut from training add nothing.
pub fn trial_lengths(net: &Network, base_dir: &Path) -> Result<Option<TrialLengths>, DataError> {
    let mut ends: Vec<f64> = Vec::new();
    let mut latest: Option<TrialLengths> = None;
    for split in &net.run.data {
        if matches!(
            split.source,
            DataSource::HeldOut { .. } | DataSource::SpeakerFold { .. }
        ) {
            continue;
        }
        let loaded = super::splits::read(&split.source, base_dir, split.split)?;
        let d = &loaded.data;
        for k in 0..d.len() {
            let (a, b) = (d.offsets[k] as usize, d.offsets[k + 1] as usize);
            let Some(end) = d.times[a..b]
                .iter()
                .copied()
                .filter(|t| t.is_finite())
                .reduce(f64::max)
            else {
                continue;
            };
            ends.push(end);
            if latest.as_ref().is_none_or(|l| end > l.latest_ms) {
                latest = Some(TrialLengths {
                    latest_ms: end,
                    split: split.split.as_str(),
                    path: loaded.path.clone(),
                    example: k,
                    n_examples: 0,
                    p999_ms: 0.0,
                });
            }
        }
    }
    let Some(mut found) = latest else {
        return Ok(None);
    };
    ends.sort_by(f64::total_cmp);
    found.n_examples = ends.len();
    // The others: every example but the longest (with only one, itself).
    let others = &ends[..ends.len().saturating_sub(1).max(1)];
    let rank = ((0.999 * others.len() as f64).ceil() as usize).clamp(1, others.len());
    found.p999_ms = others[rank - 1];
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SpikeDataset;
    use crate::data::npz::{OutArray, write};

    fn write_dataset(path: &Path, ends: &[f64]) {
        let mut d = SpikeDataset {
            offsets: vec![0],
            ..Default::default()
        };
        for &end in ends {
            d.times.extend([1.0, end]);
            d.units.extend([0, 1]);
            d.offsets.push(d.times.len() as u64);
        }
        let n = d.times.len() as u64;
        write(
            path,
            &[
                ("times".into(), vec![n], OutArray::F64(d.times.clone())),
                ("units".into(), vec![n], OutArray::U32(d.units.clone())),
                (
                    "offsets".into(),
                    vec![d.offsets.len() as u64],
                    OutArray::U64(d.offsets.clone()),
                ),
            ],
        )
        .unwrap();
    }

    fn network(dir: &Path) -> Network {
        let yaml = "name: n\ndt: 1.0\npopulations:\n  input: {size: 2, model: spike_input}\n  out: {size: 2, model: li, readout: max}\nconnections:\n  c: {source: input, target: out, weight: 0.1}\ndata:\n  train: {npz: train.npz}\n  test: {npz: test.npz}\n";
        crate::data::splits::load_network_str("n.yaml", yaml, dir)
            .unwrap()
            .ir
    }

    #[test]
    fn one_outlier_is_found_and_warned_about() {
        let dir = tempfile::tempdir().unwrap();
        let mut ends: Vec<f64> = (0..2000).map(|k| 500.0 + (k % 280) as f64).collect();
        write_dataset(&dir.path().join("test.npz"), &ends);
        ends[1234] = 2200.0;
        write_dataset(&dir.path().join("train.npz"), &ends);
        let net = network(dir.path());
        assert!(net.run.duration_from_data);
        assert_eq!(net.duration_ms, 2201.0);
        let t = trial_lengths(&net, dir.path()).unwrap().unwrap();
        assert_eq!((t.split, t.example, t.latest_ms), ("train", 1234, 2200.0));
        assert_eq!(t.n_examples, 4000);
        assert_eq!(t.p999_ms, 779.0);
        let w = t.warning().expect("a 2.8x stretch is warned about");
        assert!(
            w.contains("example 1234 of the train split") && w.contains("2.8x"),
            "{w}"
        );
        assert!(w.contains("duration: 779"), "{w}");
    }

    #[test]
    fn evenly_long_data_gives_no_warning() {
        let dir = tempfile::tempdir().unwrap();
        let ends: Vec<f64> = (0..100).map(|k| 700.0 + k as f64).collect();
        write_dataset(&dir.path().join("train.npz"), &ends);
        write_dataset(&dir.path().join("test.npz"), &ends);
        let t = trial_lengths(&network(dir.path()), dir.path())
            .unwrap()
            .unwrap();
        assert_eq!(t.latest_ms, 799.0);
        assert!(t.warning().is_none());
        let line = t.describe(800.0);
        assert!(
            line.starts_with("trial length 800 ms from the data"),
            "{line}"
        );
    }
}
