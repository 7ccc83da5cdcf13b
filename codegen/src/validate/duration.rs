//! The trial length when `duration:` is absent: taken from the data.
//!
//! Codegen reads no data files, so the runtime registers a reader ([`set_data_extent`]) that
//! returns the latest spike time over the network's `data:` splits; `rgenn` does so at start-up.
//! The trial then has `n_steps = floor(t_max / dt + 1e-9) + 1` steps, the fewest that keep the
//! latest spike under the binning rule (a spike at `t` fires in step `floor(t / dt + 1e-9)`), and
//! `duration = n_steps * dt`. Without a registered reader (a `build.rs` using codegen alone), or
//! without data, a missing `duration:` is an error reported at `dt:`.

use std::path::Path;
use std::sync::OnceLock;

use crate::diag::Diagnostic;
use crate::ir;
use crate::span::Span;

use super::Cx;

/// Returns the latest spike time in ms over `splits` (file paths relative to the folder given),
/// or a message saying why it cannot.
pub type DataExtent = fn(&[ir::DataSplit], &Path) -> Result<f64, String>;

static DATA_EXTENT: OnceLock<DataExtent> = OnceLock::new();

/// Register the reader used when `duration:` is absent (the first registration wins).
pub fn set_data_extent(f: DataExtent) {
    let _ = DATA_EXTENT.set(f);
}

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
    let Some(reader) = DATA_EXTENT.get() else {
        cx.error(missing(
            "this program reads no data files; add `duration: MS`, or use the rgenn CLI or runtime, which take it from the latest spike",
        ));
        return None;
    };
    match reader(&run.data, &cx.base_dir) {
        Ok(t_max) if t_max.is_finite() => {
            let n = steps_for(t_max, dt_ms);
            Some((n * dt_ms, n))
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
