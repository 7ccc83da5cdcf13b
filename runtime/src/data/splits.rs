//! The dataset splits of a network's `data:` section, loaded or generated, and the validation
//! protocol they make.
//!
//! In: the IR's `data:` splits and the network file's folder. Out: each split's examples, their
//! speakers when the source has them, and a sentence that says how the validation split was made.
//! A validation split may be cut out of the training split (`{held_out: F}`, `{speaker_fold: K}`);
//! those examples are then removed from training, so a number measured on them was never trained
//! on. Never augments, bins or shuffles for training.

use std::path::{Path, PathBuf};

use rgenn_codegen::ir::{DataSource, DataSplit, Network, Split};
use rgenn_codegen::rng::Rng;
use rgenn_codegen::{LoadError, LoadOptions, Loaded};

use crate::data::SpikeDataset;
use crate::data::generators;
use crate::data::npz::NpzFile;
use crate::error::DataError;

/// One split's examples and where they came from (for messages).
#[derive(Clone, Debug)]
pub struct LoadedSplit {
    /// The examples.
    pub data: SpikeDataset,
    /// The file, or `generator:NAME` for generated data.
    pub path: PathBuf,
    /// The speaker of every example, when the source has them (`extra/speaker`, `speakers`).
    pub speakers: Option<Vec<i64>>,
}

/// The training and validation splits, and how the validation split was made.
#[derive(Clone, Debug)]
pub struct TrainAndValidation {
    /// The examples trained on (without those cut out for validation).
    pub train: Option<LoadedSplit>,
    /// The validation examples.
    pub validation: Option<LoadedSplit>,
    /// How the validation split was made, for reports ("held-out validation: ...").
    pub protocol: Option<String>,
}

fn source(net: &Network, which: Split) -> Option<&DataSource> {
    net.run
        .data
        .iter()
        .find(|s| s.split == which)
        .map(|s| &s.source)
}

/// Read one file or generator source (not a cut).
pub(crate) fn read(
    source: &DataSource,
    base_dir: &Path,
    which: Split,
) -> Result<LoadedSplit, DataError> {
    Ok(match source {
        DataSource::Generator { name, trials, seed } => {
            let path = PathBuf::from(format!("generator:{name}"));
            let generated = if name == crate::data::synthetic::NAME {
                Some(crate::data::synthetic::generate(*trials, *seed, which))
            } else {
                generators::generate(name, *trials, *seed, which)
            };
            let data = generated.ok_or_else(|| DataError::Invalid {
                path: path.clone(),
                message: format!("unknown generator `{name}`"),
            })?;
            LoadedSplit {
                data,
                path,
                speakers: None,
            }
        }
        DataSource::Npz { path } => {
            let path = base_dir.join(path);
            let data = SpikeDataset::read(&path)?;
            let speakers = crate::data::read_speakers(&path, data.len())?;
            LoadedSplit {
                data,
                path,
                speakers,
            }
        }
        DataSource::Shd { path } => {
            let path = base_dir.join(path);
            let file = crate::data::shd::read(&path)?;
            LoadedSplit {
                data: file.data,
                path,
                speakers: file.speakers,
            }
        }
        DataSource::HeldOut { .. } | DataSource::SpeakerFold { .. } => {
            unreachable!(
                "validated: held_out and speaker_fold are validation splits cut from train"
            )
        }
    })
}

/// The latest spike time in ms over the file and generator splits of `data` (paths relative to
/// `base_dir`; a validation split cut from training adds nothing): what a network without
/// `duration:` takes its trial length from (`rgenn_codegen::validate::duration`). An `.npz` is read
/// for its `times` only; an HDF5 file and a generator whole.
pub fn latest_spike_ms(data: &[DataSplit], base_dir: &Path) -> Result<f64, String> {
    let mut latest: Option<f64> = None;
    for split in data {
        let times = match &split.source {
            DataSource::HeldOut { .. } | DataSource::SpeakerFold { .. } => continue,
            DataSource::Npz { path } => {
                let path = base_dir.join(path);
                let mut f = NpzFile::open(&path).map_err(|e| e.to_string())?;
                f.floats("times").map_err(|e| e.to_string())?.values
            }
            other => {
                read(other, base_dir, split.split)
                    .map_err(|e| e.to_string())?
                    .data
                    .times
            }
        };
        if let Some(t) = times
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .reduce(f64::max)
        {
            latest = Some(latest.map_or(t, |l| l.max(t)));
        }
    }
    latest.ok_or_else(|| "the data has no spikes".to_string())
}

/// Load options under which a network without `duration:` takes it from its data (see
/// [`latest_spike_ms`]).
pub fn load_options() -> LoadOptions {
    LoadOptions {
        data_extent: Some(latest_spike_ms),
    }
}

/// Read, parse and validate a network file; without `duration:`, the trial length comes from
/// the data ([`load_options`]). What the `rgenn` CLI loads networks with.
pub fn load_network(path: &Path) -> Result<Loaded, LoadError> {
    rgenn_codegen::load_file_with(path, &load_options())
}

/// [`load_network`] from YAML `text` shown as `name`, its paths relative to `base_dir`.
pub fn load_network_str(name: &str, text: &str, base_dir: &Path) -> Result<Loaded, LoadError> {
    rgenn_codegen::load_str_with(name, text, base_dir, &load_options())
}

/// The split `which` of `net` (paths relative to `base_dir`), or `None` when the YAML has none.
/// `Train` and `Validation` are those of [`load_train_and_validation`].
pub fn load(
    net: &Network,
    base_dir: &Path,
    which: Split,
) -> Result<Option<LoadedSplit>, DataError> {
    match which {
        Split::Test => source(net, which)
            .map(|s| read(s, base_dir, which))
            .transpose(),
        Split::Train => Ok(load_train_and_validation(net, base_dir)?.train),
        Split::Validation => Ok(load_train_and_validation(net, base_dir)?.validation),
    }
}

/// The training and validation splits: read as given, or with the validation examples cut out of
/// the training split (`held_out`, `speaker_fold`), each part in the file's order.
pub fn load_train_and_validation(
    net: &Network,
    base_dir: &Path,
) -> Result<TrainAndValidation, DataError> {
    let train = source(net, Split::Train)
        .map(|s| read(s, base_dir, Split::Train))
        .transpose()?;
    let Some(v) = source(net, Split::Validation) else {
        return Ok(TrainAndValidation {
            train,
            validation: None,
            protocol: None,
        });
    };
    let (held, protocol) = match (v, &train) {
        (DataSource::HeldOut { fraction, seed }, Some(t)) => held_out(t, *fraction, *seed)?,
        (DataSource::SpeakerFold { fold, origin }, Some(t)) => {
            speaker_fold(t, *fold, &origin.to_string())?
        }
        (DataSource::HeldOut { .. } | DataSource::SpeakerFold { .. }, None) => {
            unreachable!("validated: a cut validation split has a training split")
        }
        (other, _) => {
            let validation = read(other, base_dir, Split::Validation)?;
            let protocol = format!(
                "validation split `{}` ({} examples)",
                validation.path.display(),
                validation.data.len()
            );
            return Ok(TrainAndValidation {
                train,
                validation: Some(validation),
                protocol: Some(protocol),
            });
        }
    };
    let t = train.expect("matched above: a cut has a training split");
    let (kept, cut) = t.partition(&held);
    Ok(TrainAndValidation {
        train: Some(kept),
        validation: Some(cut),
        protocol: Some(protocol),
    })
}

impl LoadedSplit {
    /// The examples not in `held` (ascending indices) and those in it, each in file order.
    fn partition(self, held: &[usize]) -> (LoadedSplit, LoadedSplit) {
        let mut is_held = vec![false; self.data.len()];
        for &k in held {
            is_held[k] = true;
        }
        let kept: Vec<usize> = (0..self.data.len()).filter(|&k| !is_held[k]).collect();
        let part = |idx: &[usize]| LoadedSplit {
            data: self.data.subset(idx),
            path: self.path.clone(),
            speakers: self
                .speakers
                .as_ref()
                .map(|s| idx.iter().map(|&k| s[k]).collect()),
        };
        (part(&kept), part(held))
    }
}

/// `round(fraction * n)` examples (at least 1, at most `n - 1`) chosen by a shuffle seeded with
/// `seed`, ascending, and the protocol's description.
fn held_out(t: &LoadedSplit, fraction: f64, seed: u64) -> Result<(Vec<usize>, String), DataError> {
    let n = t.data.len();
    if n < 2 {
        return Err(DataError::Invalid {
            path: t.path.clone(),
            message: format!(
                "`held_out` needs at least 2 training examples to hold some out, found {n}"
            ),
        });
    }
    let m = ((fraction * n as f64).round() as usize).clamp(1, n - 1);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    for i in (1..n).rev() {
        let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    let mut held = order[..m].to_vec();
    held.sort_unstable();
    let protocol = format!(
        "held-out validation: {m} of the {n} training examples of `{}` ({:.1}%, seed {seed}), not trained on",
        t.path.display(),
        100.0 * m as f64 / n as f64
    );
    Ok((held, protocol))
}

/// The examples of the `fold`-th speaker (from 0, in increasing id) and the protocol's description.
fn speaker_fold(
    t: &LoadedSplit,
    fold: u32,
    origin: &str,
) -> Result<(Vec<usize>, String), DataError> {
    let speakers = t.speakers.as_ref().ok_or_else(|| DataError::Invalid {
        path: t.path.clone(),
        message: format!(
            "`speaker_fold` ({origin}) needs the speaker of every training example, but this source has none \
             (SHD/SSC: `extra/speaker`; spike-dataset .npz: a `speakers` array)"
        ),
    })?;
    let mut ids = speakers.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Err(DataError::Invalid {
            path: t.path.clone(),
            message: format!(
                "`speaker_fold` ({origin}) leaves one speaker out, but the training examples have {} speaker{}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            ),
        });
    }
    let Some(&speaker) = ids.get(fold as usize) else {
        return Err(DataError::Invalid {
            path: t.path.clone(),
            message: format!(
                "`speaker_fold: {fold}` ({origin}): the training examples have {} speakers ({}), so the folds are 0..={}",
                ids.len(),
                ids.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                ids.len() - 1
            ),
        });
    };
    let held: Vec<usize> = (0..speakers.len())
        .filter(|&k| speakers[k] == speaker)
        .collect();
    let protocol = format!(
        "leave-one-speaker-out validation: fold {fold} of {} (speaker {speaker}, {} of the {} training examples of `{}`), not trained on",
        ids.len(),
        held.len(),
        speakers.len(),
        t.path.display()
    );
    Ok((held, protocol))
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
        crate::data::shd::write_h5::write(&dir.path().join("shd/train.h5"), &d, None).unwrap();
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

    #[test]
    fn speaker_fold_reads_extra_speaker_from_hdf5() {
        let dir = tempfile::tempdir().unwrap();
        let d = SpikeDataset {
            times: vec![250.0, 500.0, 750.0],
            units: vec![3, 699, 5],
            offsets: vec![0, 1, 2, 3],
            labels: Some(vec![1, 0, 1]),
        };
        crate::data::shd::write_h5::write(&dir.path().join("train.h5"), &d, Some(&[4, 7, 4]))
            .unwrap();
        let yaml = "name: n\ndt: 1.0\nduration: 1000.0\npopulations:\n  input: {size: 700, model: spike_input}\n  out: {size: 2, model: li, readout: mean_exp}\nconnections:\n  c: {source: input, target: out, weight: 0.1}\ndata:\n  train: {shd: train.h5}\n  validation: {speaker_fold: 1}\n";
        let net = rgenn_codegen::load_str("n.yaml", yaml, dir.path())
            .unwrap()
            .ir;
        let tv = load_train_and_validation(&net, dir.path()).unwrap();
        assert_eq!(tv.validation.unwrap().data.times, [500.0]);
        assert_eq!(tv.train.unwrap().data.times, [250.0, 750.0]);
        assert!(tv.protocol.unwrap().contains("speaker 7"));
    }
}

#[cfg(test)]
mod cut_tests {
    use super::*;

    /// 12 one-spike trials: trial `k` has class `k % 2`, speaker `10 + k % 3`, its spike at `k` ms.
    fn write_dataset(dir: &Path, speakers: bool) {
        let d = SpikeDataset {
            times: (0..12).map(f64::from).collect(),
            units: vec![0; 12],
            offsets: (0..=12).collect(),
            labels: Some((0..12).map(|k| k % 2).collect()),
        };
        let s: Vec<i64> = (0..12).map(|k| 10 + k % 3).collect();
        crate::data::shd::write_npz(&dir.join("train.npz"), &d, speakers.then_some(&s[..]))
            .unwrap();
    }

    fn network(dir: &Path, validation: &str) -> Network {
        let yaml = format!(
            "name: n\ndt: 1.0\nduration: 20.0\npopulations:\n  input: {{size: 1, model: spike_input}}\n  out: {{size: 2, model: li, readout: max}}\nconnections:\n  c: {{source: input, target: out, weight: 0.1}}\ndata:\n  train: {{npz: train.npz}}\n  validation: {validation}\n"
        );
        rgenn_codegen::load_str("n.yaml", &yaml, dir).unwrap().ir
    }

    fn first_times(s: &LoadedSplit) -> Vec<f64> {
        s.data.times.clone()
    }

    #[test]
    fn speaker_fold_holds_out_one_speaker_and_trains_on_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), true);
        let tv = load_train_and_validation(&network(dir.path(), "{speaker_fold: 1}"), dir.path())
            .unwrap();
        let (t, v) = (tv.train.unwrap(), tv.validation.unwrap());
        // Fold 1 is the second-smallest speaker id, 11: trials 1, 4, 7, 10.
        assert_eq!(first_times(&v), [1.0, 4.0, 7.0, 10.0]);
        assert_eq!(v.speakers.as_deref(), Some(&[11, 11, 11, 11][..]));
        assert_eq!(v.data.labels.as_deref(), Some(&[1, 0, 1, 0][..]));
        assert_eq!(t.data.len(), 8);
        assert!(t.speakers.unwrap().iter().all(|&s| s != 11));
        let p = tv.protocol.unwrap();
        assert!(p.contains("fold 1 of 3 (speaker 11, 4 of the 12"), "{p}");
        // Folds beyond the speakers name the YAML position and the speakers.
        let e = load_train_and_validation(&network(dir.path(), "{speaker_fold: 3}"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("n.yaml:11:30") && e.contains("3 speakers (10, 11, 12)"),
            "{e}"
        );
        // `load` gives the same parts.
        let net = network(dir.path(), "{speaker_fold: 0}");
        let v = load(&net, dir.path(), Split::Validation).unwrap().unwrap();
        assert_eq!(first_times(&v), [0.0, 3.0, 6.0, 9.0]);
        let t = load(&net, dir.path(), Split::Train).unwrap().unwrap();
        assert_eq!(t.data.len(), 8);
    }

    #[test]
    fn speaker_fold_without_speakers_says_where_they_come_from() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        let e = load_train_and_validation(&network(dir.path(), "{speaker_fold: 0}"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("train.npz") && e.contains("`speakers` array"),
            "{e}"
        );
        assert!(e.contains("extra/speaker"), "{e}");
    }

    #[test]
    fn without_duration_the_trial_ends_one_step_after_the_latest_spike() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false); // latest spike at 11 ms
        let yaml = |dt: &str, duration: &str| {
            format!(
                "name: n\ndt: {dt}\n{duration}populations:\n  input: {{size: 1, model: spike_input}}\n  out: {{size: 2, model: li, readout: max}}\nconnections:\n  c: {{source: input, target: out, weight: 0.1}}\ndata:\n  train: {{npz: train.npz}}\n  validation: {{held_out: 0.5}}\n"
            )
        };
        let net = |dt: &str, d: &str| {
            load_network_str("n.yaml", &yaml(dt, d), dir.path())
                .map(|l| (l.ir.n_steps, l.ir.duration_ms))
        };
        // 11 ms at dt 1 ms lies in step 11, so 12 steps; at dt 0.5 ms in step 22, so 23 steps.
        assert_eq!(net("1.0", "").unwrap(), (12, 12.0));
        assert_eq!(net("0.5", "").unwrap(), (23, 11.5));
        assert_eq!(net("1.0", "duration: 5.0\n").unwrap(), (5, 5.0));
        // Every spike then lands in a step: binning drops nothing.
        let d = SpikeDataset::read(&dir.path().join("train.npz")).unwrap();
        let t = d.bin(11, 1.0, 12, 1, Path::new("x")).unwrap();
        assert_eq!(t.units.len(), 1);
        // A missing file is reported against the network.
        std::fs::remove_file(dir.path().join("train.npz")).unwrap();
        let e = net("1.0", "").unwrap_err().to_string();
        assert!(e.contains("train.npz"), "{e}");
    }

    #[test]
    fn held_out_is_a_seeded_disjoint_part_of_the_training_split() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(dir.path(), false);
        let net = network(dir.path(), "{held_out: 0.25}");
        let tv = load_train_and_validation(&net, dir.path()).unwrap();
        let (t, v) = (tv.train.unwrap(), tv.validation.unwrap());
        assert_eq!((t.data.len(), v.data.len()), (9, 3));
        let mut all = [first_times(&t), first_times(&v)].concat();
        all.sort_by(f64::total_cmp);
        assert_eq!(all, (0..12).map(f64::from).collect::<Vec<_>>());
        assert!(v.data.times.windows(2).all(|w| w[0] < w[1]), "file order");
        assert!(
            tv.protocol
                .unwrap()
                .contains("3 of the 12 training examples")
        );
        // Same seed, same cut; another seed, (almost surely) another cut.
        let again = load_train_and_validation(&net, dir.path()).unwrap();
        assert_eq!(first_times(&again.validation.unwrap()), first_times(&v));
        let other = network(dir.path(), "{held_out: 0.25, seed: 99}");
        let other = load_train_and_validation(&other, dir.path()).unwrap();
        assert_ne!(first_times(&other.validation.unwrap()), first_times(&v));
    }
}
