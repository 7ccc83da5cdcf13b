//! Per-epoch metrics of a training run and their CSV file.
//!
//! The last column, `spike_tape_growths`, lists the spike tapes that grew during the epoch's
//! training (`hidden 500->1000`, several separated by `; `; empty when none did). A file written
//! before that column existed is still read (to resume a run), with no growths.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{DataError, SimError};
use crate::fsutil::write_atomic;
use crate::sim::grow::TapeGrowth;

/// Loss and accuracy over one split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Mean loss.
    pub loss: f64,
    /// Fraction of correct predictions.
    pub accuracy: f64,
}

/// One epoch's metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: u32,
    /// Training loss and accuracy, averaged over the epoch's batches as they were trained.
    pub train: Score,
    /// Validation split after the epoch.
    pub validation: Option<Score>,
    /// Test split after the epoch.
    pub test: Option<Score>,
    /// Weight learning rate at the epoch's last batch.
    pub lr_weight: f64,
    /// Delay learning rate at the epoch's last batch.
    pub lr_delay: f64,
    /// Seconds the epoch's training took (evaluation excluded).
    pub seconds: f64,
    /// Training examples per second.
    pub examples_per_second: f64,
    /// Spike tapes grown during the epoch's training (`spike_capacity: auto`).
    pub tape_growths: Vec<TapeGrowth>,
}

const OLD_HEADER: &str = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,test_loss,test_accuracy,lr_weight,lr_delay,seconds,examples_per_second";
const HEADER: &str = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,test_loss,test_accuracy,lr_weight,lr_delay,seconds,examples_per_second,spike_tape_growths";

/// `hidden 500->1000; out 500->1000`: the growths in words (empty for none).
pub fn growths_text(growths: &[TapeGrowth]) -> String {
    let each: Vec<String> = growths
        .iter()
        .map(|g| format!("{} {}->{}", g.population, g.from, g.to))
        .collect();
    each.join("; ")
}

fn parse_growths(text: &str) -> Option<Vec<TapeGrowth>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split("; ")
        .map(|g| {
            let (population, range) = g.split_once(' ')?;
            let (from, to) = range.split_once("->")?;
            Some(TapeGrowth {
                population: population.to_string(),
                from: from.parse().ok()?,
                to: to.parse().ok()?,
            })
        })
        .collect()
}

fn opt(s: Option<Score>) -> (String, String) {
    match s {
        Some(s) => (format!("{}", s.loss), format!("{}", s.accuracy)),
        None => (String::new(), String::new()),
    }
}

/// The CSV text of `rows`.
pub fn csv(rows: &[EpochRecord]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        let (vl, va) = opt(r.validation);
        let (tl, ta) = opt(r.test);
        let _ = writeln!(
            s,
            "{},{},{},{vl},{va},{tl},{ta},{},{},{:.3},{:.1},{}",
            r.epoch,
            r.train.loss,
            r.train.accuracy,
            r.lr_weight,
            r.lr_delay,
            r.seconds,
            r.examples_per_second,
            growths_text(&r.tape_growths)
        );
    }
    s
}

/// Write `metrics.csv` atomically.
pub fn write(path: &Path, rows: &[EpochRecord]) -> Result<(), SimError> {
    write_atomic(path, csv(rows).as_bytes()).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Read back a `metrics.csv` written by [`write`] (to resume a run).
pub fn read(path: &Path) -> Result<Vec<EpochRecord>, DataError> {
    let bad = |message: String| DataError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut lines = text.lines();
    if !matches!(lines.next(), Some(HEADER | OLD_HEADER)) {
        return Err(bad("not a metrics file written by rgenn train".into()));
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |k: usize| -> Result<f64, DataError> {
                f.get(k)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(format!("line {}: field {} is not a number", i + 2, k + 1)))
            };
            let score = |k: usize| -> Result<Option<Score>, DataError> {
                if f.get(k).is_none_or(|v| v.is_empty()) {
                    return Ok(None);
                }
                Ok(Some(Score {
                    loss: num(k)?,
                    accuracy: num(k + 1)?,
                }))
            };
            Ok(EpochRecord {
                epoch: num(0)? as u32,
                train: Score {
                    loss: num(1)?,
                    accuracy: num(2)?,
                },
                validation: score(3)?,
                test: score(5)?,
                lr_weight: num(7)?,
                lr_delay: num(8)?,
                seconds: num(9)?,
                examples_per_second: num(10)?,
                tape_growths: parse_growths(f.get(11).copied().unwrap_or(""))
                    .ok_or_else(|| bad(format!("line {}: field 12 is not a growth list", i + 2)))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips() {
        let rows = vec![EpochRecord {
            epoch: 1,
            train: Score {
                loss: 0.5,
                accuracy: 0.75,
            },
            validation: None,
            test: Some(Score {
                loss: 0.25,
                accuracy: 1.0,
            }),
            lr_weight: 1e-3,
            lr_delay: 0.1,
            seconds: 1.5,
            examples_per_second: 100.0,
            tape_growths: vec![
                TapeGrowth {
                    population: "hidden".into(),
                    from: 500,
                    to: 1000,
                },
                TapeGrowth {
                    population: "out".into(),
                    from: 2,
                    to: 4,
                },
            ],
        }];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        write(&path, &rows).unwrap();
        assert_eq!(read(&path).unwrap(), rows);
    }
}
