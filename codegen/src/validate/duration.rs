//! The trial length when `duration:` is absent: taken from the data.
//!
//! Codegen reads no data files, so the program loading the network passes a reader
//! ([`DataExtent`], in [`super::LoadOptions`]) that returns the latest spike time over the
//! network's `data:` splits; the runtime's `load_network` (used by `rgenn`) does. The trial then
//! has `n_steps = floor(t_max / dt + 1e-9) + 1` steps, the fewest that keep the latest spike under
//! the binning rule (a spike at `t` fires in step `floor(t / dt + 1e-9)`), and
//! `duration = n_steps * dt`. Without a reader ([`super::load_file`], a `build.rs` using codegen
//! alone), or without data, a missing `duration:` is an error reported at `dt:`.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::ir;
use crate::span::Span;

use super::Cx;

/// Returns the latest spike time in ms over `splits` (file paths relative to the folder given),
/// or a message saying why it cannot.
pub type DataExtent = fn(&[ir::DataSplit], &Path) -> Result<f64, String>;

/// The most steps a trial length taken from the data may have: a latest spike beyond it is
/// almost always a unit mistake (times in µs), and would allocate per-step buffers without end.
pub const MAX_DATA_STEPS: f64 = 10_000_000.0;

/// Steps for a latest spike at `t_max_ms`: the fewest that keep it.
pub fn steps_for(t_max_ms: f64, dt_ms: f64) -> f64 {
    (t_max_ms.max(0.0) / dt_ms + 1e-9).floor() + 1.0
}

/// `(duration_ms, n_steps)` from the data, or reported at `at` (the `dt:` value).
pub(crate) fn from_data(
    cx: &mut Cx,
    at: Span,
    run: Option<&ir::RunConfig>,
    dt_ms: f64,
) -> Option<(f64, f64)> {
    let missing = |help: &str| {
        Diagnostic::new(
            "rgenn::validate::missing_duration",
            at,
            "`duration` is not given and cannot be taken from the data",
        )
        .label("no `duration` for this time step")
        .help(help.to_string())
    };
    let Some(run) = run else {
        return None; // `data:`/`training:` had errors of their own, already reported
    };
    if run.data.is_empty() {
        cx.error(missing(
            "add `duration: MS` (the trial length), or `data:` to take it from the latest spike",
        ));
        return None;
    }
    let Some(reader) = cx.data_extent else {
        cx.error(missing(
            "this program reads no data files; add `duration: MS`, or use the rgenn CLI or runtime, which take it from the latest spike",
        ));
        return None;
    };
    match reader(&run.data, &cx.base_dir) {
        Ok(t_max) if t_max.is_finite() && steps_for(t_max, dt_ms) <= MAX_DATA_STEPS => {
            let n = steps_for(t_max, dt_ms);
            Some((n * dt_ms, n))
        }
        Ok(t_max) if t_max.is_finite() => {
            cx.error(missing(&format!(
                "the latest spike is at {t_max} ms, which makes {} steps of {dt_ms} ms, more than {MAX_DATA_STEPS}; spike times are in ms (convert seconds or microseconds), or add `duration: MS` to cut the trials",
                steps_for(t_max, dt_ms)
            )));
            None
        }
        Ok(t_max) => {
            cx.error(missing(&format!(
                "the latest spike time is {t_max}; add `duration: MS`"
            )));
            None
        }
        Err(message) => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::missing_duration",
                    at,
                    format!(
                        "`duration` is not given, and reading the data for it failed: {message}"
                    ),
                )
                .help("add `duration: MS`, or fix the data"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::ir::DataSplit;
    use crate::{LoadOptions, load_str, load_str_with};

    const NET: &str = "name: n\ndt: 0.5\npopulations:\n  input: {size: 1, model: spike_input}\n  out: {size: 2, model: li, readout: max}\nconnections:\n  c: {source: input, target: out, weight: 0.1}\ndata:\n  train: {npz: train.npz}\n";

    fn eleven_ms(_: &[DataSplit], _: &Path) -> Result<f64, String> {
        Ok(11.0)
    }

    #[test]
    fn the_data_reader_is_an_explicit_load_option() {
        let options = LoadOptions {
            data_extent: Some(eleven_ms),
        };
        let net = load_str_with("n.yaml", NET, Path::new("."), &options)
            .unwrap()
            .ir;
        // 11 ms at dt 0.5 ms lies in step 22, so 23 steps.
        assert_eq!((net.n_steps, net.duration_ms), (23, 11.5));
        let e = format!("{:?}", load_str("n.yaml", NET, Path::new(".")).unwrap_err());
        assert!(e.contains("this program reads no data files"), "{e}");
    }
}
