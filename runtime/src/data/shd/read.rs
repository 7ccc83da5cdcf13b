//! Read an SHD/SSC HDF5 file with hdf5-metno (feature `hdf5`) and check its layout.
//!
//! Accepts the official layout — `spikes/times` vlen float16 (float32/float64 also accepted) in
//! seconds, `spikes/units` vlen unsigned integers below 700, `labels` 1-D integers, optional
//! `extra/speaker` 1-D integers — and rejects anything else with an error naming the file and the
//! dataset. Never panics on a bad file.

use std::path::Path;

use hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenArray};

use super::{CHANNELS, ShdFile};
use crate::data::SpikeDataset;
use crate::error::DataError;

const LAYOUT: &str = "the SHD/SSC layout is `spikes/times` (vlen float16, seconds), `spikes/units` (vlen uint16), `labels` (integers) and optionally `extra/speaker`";

struct Reader<'a> {
    path: &'a Path,
    file: hdf5::File,
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> DataError {
        DataError::Invalid {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }

    fn dataset(&self, name: &str) -> Result<hdf5::Dataset, DataError> {
        self.file
            .dataset(name)
            .map_err(|_| self.err(format!("has no dataset `{name}`; {LAYOUT}")))
    }

    fn descriptor(&self, ds: &hdf5::Dataset, name: &str) -> Result<TypeDescriptor, DataError> {
        if ds.ndim() != 1 {
            return Err(self.err(format!(
                "`{name}` has shape {:?}; expected one entry per example (1-D)",
                ds.shape()
            )));
        }
        ds.dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| self.err(format!("`{name}` has an unsupported element type: {e}")))
    }

    fn read_error(&self, name: &str, e: hdf5::Error) -> DataError {
        self.err(format!(
            "reading `{name}` failed (a truncated or damaged file?): {e}"
        ))
    }

    /// One `Vec<f64>` of seconds per example.
    fn times(&self) -> Result<Vec<Vec<f64>>, DataError> {
        let name = "spikes/times";
        let ds = self.dataset(name)?;
        macro_rules! vlen {
            ($t:ty, $conv:expr) => {
                ds.read_raw::<VarLenArray<$t>>()
                    .map_err(|e| self.read_error(name, e))?
                    .iter()
                    .map(|a| a.iter().map($conv).collect())
                    .collect()
            };
        }
        Ok(match self.descriptor(&ds, name)? {
            TypeDescriptor::VarLenArray(inner) => match *inner {
                TypeDescriptor::Float(FloatSize::U2) => {
                    vlen!(half::f16, |t: &half::f16| t.to_f64())
                }
                TypeDescriptor::Float(FloatSize::U4) => vlen!(f32, |&t: &f32| t as f64),
                TypeDescriptor::Float(FloatSize::U8) => vlen!(f64, |&t: &f64| t),
                other => {
                    return Err(self.err(format!(
                        "`{name}` holds variable-length arrays of {other}; expected float16 seconds"
                    )));
                }
            },
            other => {
                return Err(self.err(format!(
                    "`{name}` has element type {other}; expected variable-length float16 arrays (one per example)"
                )));
            }
        })
    }

    /// One `Vec<u64>` of channels per example.
    fn units(&self) -> Result<Vec<Vec<u64>>, DataError> {
        let name = "spikes/units";
        let ds = self.dataset(name)?;
        macro_rules! vlen {
            ($t:ty) => {
                ds.read_raw::<VarLenArray<$t>>()
                    .map_err(|e| self.read_error(name, e))?
                    .iter()
                    .map(|a| a.iter().map(|&u| u as u64).collect())
                    .collect()
            };
        }
        Ok(match self.descriptor(&ds, name)? {
            TypeDescriptor::VarLenArray(inner) => match *inner {
                TypeDescriptor::Unsigned(IntSize::U1) => vlen!(u8),
                TypeDescriptor::Unsigned(IntSize::U2) => vlen!(u16),
                TypeDescriptor::Unsigned(IntSize::U4) => vlen!(u32),
                TypeDescriptor::Unsigned(IntSize::U8) => vlen!(u64),
                other => {
                    return Err(self.err(format!(
                        "`{name}` holds variable-length arrays of {other}; expected unsigned channel numbers (uint16)"
                    )));
                }
            },
            other => {
                return Err(self.err(format!(
                    "`{name}` has element type {other}; expected variable-length uint16 arrays (one per example)"
                )));
            }
        })
    }

    /// A 1-D integer dataset as `i64`.
    fn integers(&self, name: &str) -> Result<Vec<i64>, DataError> {
        let ds = self.dataset(name)?;
        match self.descriptor(&ds, name)? {
            TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) => {
                ds.read_raw::<i64>().map_err(|e| self.read_error(name, e))
            }
            other => Err(self.err(format!(
                "`{name}` has element type {other}; expected integers"
            ))),
        }
    }
}

/// Read `path` (see the module comment for the accepted layout).
pub fn read(path: &Path) -> Result<ShdFile, DataError> {
    let file = hdf5::File::open(path).map_err(|e| DataError::Invalid {
        path: path.to_path_buf(),
        message: format!("cannot open it as an HDF5 file (missing, truncated or not HDF5?): {e}"),
    })?;
    let r = Reader { path, file };
    let times = r.times()?;
    let units = r.units()?;
    let labels = r.integers("labels")?;
    let speakers = if r.file.link_exists("extra") && r.file.link_exists("extra/speaker") {
        Some(r.integers("extra/speaker")?)
    } else {
        None
    };
    if times.len() != units.len() || times.len() != labels.len() {
        return Err(r.err(format!(
            "`spikes/times` has {} examples, `spikes/units` {} and `labels` {}; they must agree",
            times.len(),
            units.len(),
            labels.len()
        )));
    }
    if let Some(s) = &speakers
        && s.len() != labels.len()
    {
        return Err(r.err(format!(
            "`extra/speaker` has {} entries for {} examples",
            s.len(),
            labels.len()
        )));
    }
    if let Some((k, l)) = labels.iter().enumerate().find(|(_, l)| **l < 0) {
        return Err(r.err(format!("example {k} has the negative label {l}")));
    }
    let total = times.iter().map(Vec::len).sum();
    let mut data = SpikeDataset {
        times: Vec::with_capacity(total),
        units: Vec::with_capacity(total),
        offsets: Vec::with_capacity(times.len() + 1),
        labels: Some(labels),
    };
    data.offsets.push(0);
    for (k, (t, u)) in times.iter().zip(&units).enumerate() {
        if t.len() != u.len() {
            return Err(r.err(format!(
                "example {k} has {} spike times but {} units",
                t.len(),
                u.len()
            )));
        }
        for (&s, &c) in t.iter().zip(u) {
            if !(s.is_finite() && s >= 0.0) {
                return Err(r.err(format!(
                    "example {k} has the spike time {s} s; times must be finite and not negative"
                )));
            }
            if c >= CHANNELS as u64 {
                return Err(r.err(format!(
                    "example {k} has a spike on channel {c}; SHD/SSC have {CHANNELS} channels (0..{})",
                    CHANNELS - 1
                )));
            }
            data.times.push(s * 1000.0);
            data.units.push(c as u32);
        }
        data.offsets.push(data.times.len() as u64);
    }
    Ok(ShdFile { data, speakers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::shd::write_h5;

    fn sample() -> SpikeDataset {
        SpikeDataset {
            // ms; float16 seconds hold 1.953125 ms (2^-9 s), 250 ms and 1375 ms exactly.
            times: vec![1.953125, 250.0, 1375.0, 0.0, 1000.0],
            units: vec![0, 699, 350, 12, 12],
            offsets: vec![0, 3, 3, 5],
            labels: Some(vec![19, 0, 7]),
        }
    }

    #[test]
    fn official_layout_round_trips_with_times_in_ms() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shd_train.h5");
        write_h5::write(&p, &sample(), Some(&[4, 5, 6])).unwrap();
        // The file has exactly the official element types.
        let f = hdf5::File::open(&p).unwrap();
        let d = |n: &str| {
            f.dataset(n)
                .unwrap()
                .dtype()
                .unwrap()
                .to_descriptor()
                .unwrap()
        };
        assert_eq!(
            d("spikes/times"),
            TypeDescriptor::VarLenArray(Box::new(TypeDescriptor::Float(FloatSize::U2)))
        );
        assert_eq!(
            d("spikes/units"),
            TypeDescriptor::VarLenArray(Box::new(TypeDescriptor::Unsigned(IntSize::U2)))
        );
        let r = read(&p).unwrap();
        assert_eq!(r.data.times, sample().times);
        assert_eq!(r.data.units, sample().units);
        assert_eq!(r.data.offsets, sample().offsets);
        assert_eq!(r.data.labels, sample().labels);
        assert_eq!(r.speakers, Some(vec![4, 5, 6]));
    }

    #[test]
    fn float16_seconds_are_rounded_as_in_the_published_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.h5");
        let mut d = sample();
        d.times[1] = 100.0; // 0.1 s is not a float16: 0.0999755859375 s
        write_h5::write(&p, &d, None).unwrap();
        let r = read(&p).unwrap();
        // 0.1 s in float16 (10-bit mantissa): rounding error below 2^-14 s = 0.061 ms.
        assert!(
            (r.data.times[1] - 100.0).abs() < 0.062,
            "{}",
            r.data.times[1]
        );
        assert_eq!(r.speakers, None);
    }

    fn expect_error(p: &Path, needle: &str) {
        let e = read(p).unwrap_err().to_string();
        assert!(e.contains(&p.display().to_string()), "{e}");
        assert!(e.contains(needle), "expected `{needle}` in: {e}");
    }

    #[test]
    fn truncated_missing_and_non_hdf5_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shd_test.h5");
        write_h5::write(&p, &sample(), None).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let t = dir.path().join("truncated.h5");
        std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
        let e = read(&t).unwrap_err().to_string();
        assert!(e.contains("truncated.h5"), "{e}");
        assert!(e.contains("truncated"), "{e}");
        let n = dir.path().join("text.h5");
        std::fs::write(&n, "not hdf5").unwrap();
        expect_error(&n, "cannot open it as an HDF5 file");
        expect_error(&dir.path().join("absent.h5"), "cannot open");
    }

    #[test]
    fn wrong_layouts_name_the_dataset_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str, build: &dyn Fn(&hdf5::File) -> hdf5::Result<()>| {
            let p = dir.path().join(name);
            let f = hdf5::File::create(&p).unwrap();
            build(&f).unwrap();
            f.close().unwrap();
            p
        };
        let vlen_f16 = |v: &[f32]| {
            VarLenArray::from_slice(
                &v.iter()
                    .map(|&x| half::f16::from_f32(x))
                    .collect::<Vec<_>>(),
            )
        };
        // No spikes group at all.
        let p = make("no_spikes.h5", &|f| {
            f.new_dataset_builder()
                .with_data(&[1u16])
                .create("labels")?;
            Ok(())
        });
        expect_error(&p, "no dataset `spikes/times`");
        // Times stored as plain (not variable-length) floats.
        let p = make("flat_times.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[0.1f32, 0.2])
                .create("times")?;
            Ok(())
        });
        expect_error(&p, "expected variable-length float16 arrays");
        // Units as signed integers.
        let p = make("signed_units.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[vlen_f16(&[0.1])])
                .create("times")?;
            g.new_dataset_builder()
                .with_data(&[VarLenArray::from_slice(&[3i32])])
                .create("units")?;
            Ok(())
        });
        expect_error(&p, "expected unsigned channel numbers");
        // Counts that disagree: two examples of times, one of units.
        let p = make("counts.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[vlen_f16(&[0.1]), vlen_f16(&[0.2])])
                .create("times")?;
            g.new_dataset_builder()
                .with_data(&[VarLenArray::from_slice(&[3u16])])
                .create("units")?;
            f.new_dataset_builder()
                .with_data(&[1u16, 2])
                .create("labels")?;
            Ok(())
        });
        expect_error(
            &p,
            "`spikes/times` has 2 examples, `spikes/units` 1 and `labels` 2",
        );
        // One example with more times than units, a channel out of range, float labels.
        let p = make("lengths.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[vlen_f16(&[0.1, 0.2])])
                .create("times")?;
            g.new_dataset_builder()
                .with_data(&[VarLenArray::from_slice(&[3u16])])
                .create("units")?;
            f.new_dataset_builder()
                .with_data(&[1u16])
                .create("labels")?;
            Ok(())
        });
        expect_error(&p, "example 0 has 2 spike times but 1 units");
        let p = make("channel.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[vlen_f16(&[0.1])])
                .create("times")?;
            g.new_dataset_builder()
                .with_data(&[VarLenArray::from_slice(&[700u16])])
                .create("units")?;
            f.new_dataset_builder()
                .with_data(&[1u16])
                .create("labels")?;
            Ok(())
        });
        expect_error(&p, "channel 700");
        let p = make("float_labels.h5", &|f| {
            let g = f.create_group("spikes")?;
            g.new_dataset_builder()
                .with_data(&[vlen_f16(&[0.1])])
                .create("times")?;
            g.new_dataset_builder()
                .with_data(&[VarLenArray::from_slice(&[7u16])])
                .create("units")?;
            f.new_dataset_builder()
                .with_data(&[1.0f32])
                .create("labels")?;
            Ok(())
        });
        expect_error(&p, "`labels` has element type float32; expected integers");
    }
}
