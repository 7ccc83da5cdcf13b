//! `result.json`: the epoch that chose `params.npz`, its scores on every split, and the protocol
//! (which split selected it, and how that split was made), so that a reported number always says
//! what produced it and test-set selection is never silent.
//!
//! In: a finished run's [`TrainSummary`]. Out: one small JSON file, written atomically. Reads
//! nothing and changes no other output of the run.

use std::fmt::Write as _;
use std::path::Path;

use rgenn_codegen::ir::Split;

use super::TrainSummary;
use super::metrics::{EpochRecord, Score};
use crate::error::SimError;

/// The accuracy that selected parameters in `r` (`None`: the training split's).
pub fn selection_accuracy(r: &EpochRecord, selection: Option<Split>) -> f64 {
    match selection {
        Some(Split::Validation) => r.validation.map_or(f64::NAN, |s| s.accuracy),
        Some(Split::Test) => r.test.map_or(f64::NAN, |s| s.accuracy),
        _ => r.train.accuracy,
    }
}

/// The epoch whose parameters are in `params.npz`: the first with the best selection accuracy.
pub fn selected_epoch(s: &TrainSummary) -> Option<&EpochRecord> {
    s.records
        .iter()
        .find(|r| selection_accuracy(r, s.selection) == s.best_accuracy)
}

/// The name of the selecting split.
pub fn split_name(selection: Option<Split>) -> &'static str {
    match selection {
        Some(Split::Validation) => "validation",
        Some(Split::Test) => "test",
        _ => "train",
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

fn score(s: Option<Score>) -> String {
    match s {
        Some(s) => format!(
            "{{\"loss\": {}, \"accuracy\": {}}}",
            number(s.loss),
            number(s.accuracy)
        ),
        None => "null".into(),
    }
}

/// The JSON text of `s`.
pub fn json(s: &TrainSummary) -> String {
    let chosen = selected_epoch(s);
    let mut out = String::from("{\n");
    let _ = writeln!(
        out,
        "  \"selected_by\": {},",
        quoted(split_name(s.selection))
    );
    let _ = writeln!(out, "  \"protocol\": {},", quoted(&s.protocol));
    let _ = writeln!(
        out,
        "  \"test_set_selected\": {},",
        s.selection == Some(Split::Test)
    );
    let _ = writeln!(
        out,
        "  \"selected_epoch\": {},",
        chosen.map_or("null".into(), |r| r.epoch.to_string())
    );
    let _ = writeln!(out, "  \"best_accuracy\": {},", number(s.best_accuracy));
    let _ = writeln!(
        out,
        "  \"at_selected_epoch\": {{\"train\": {}, \"validation\": {}, \"test\": {}}},",
        score(chosen.map(|r| r.train)),
        score(chosen.and_then(|r| r.validation)),
        score(chosen.and_then(|r| r.test))
    );
    let _ = writeln!(out, "  \"epochs\": {},", s.records.len());
    let _ = writeln!(out, "  \"stopped_early\": {}", s.stopped_early);
    out.push_str("}\n");
    out
}

/// Write `result.json` atomically.
pub fn write(path: &Path, s: &TrainSummary) -> Result<(), SimError> {
    crate::fsutil::write_atomic(path, json(s).as_bytes()).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::init::Params;

    fn record(epoch: u32, validation: f64, test: f64) -> EpochRecord {
        let sc = |a| {
            Some(Score {
                loss: 1.0,
                accuracy: a,
            })
        };
        EpochRecord {
            epoch,
            train: Score {
                loss: 0.5,
                accuracy: 0.9,
            },
            validation: sc(validation),
            test: sc(test),
            lr_weight: 0.0,
            lr_delay: 0.0,
            seconds: 1.0,
            examples_per_second: 1.0,
            tape_growths: Vec::new(),
        }
    }

    #[test]
    fn result_names_the_selected_epoch_and_the_protocol() {
        let s = TrainSummary {
            records: vec![
                record(1, 0.5, 0.4),
                record(2, 0.75, 0.6),
                record(3, 0.75, 0.7),
            ],
            selection: Some(Split::Validation),
            protocol: "held-out validation: 3 of the \"30\" examples".into(),
            best_accuracy: 0.75,
            stopped_early: true,
            params: Params::default(),
        };
        let j = json(&s);
        assert!(j.contains("\"selected_by\": \"validation\""), "{j}");
        assert!(j.contains("\"test_set_selected\": false"), "{j}");
        assert!(j.contains("\"selected_epoch\": 2,"), "{j}");
        assert!(
            j.contains("\"test\": {\"loss\": 1, \"accuracy\": 0.6}"),
            "{j}"
        );
        assert!(j.contains("3 of the \\\"30\\\" examples"), "{j}");
        assert!(j.contains("\"stopped_early\": true"), "{j}");
    }
}
