//! `Model.train`: the runtime's training loop with the GIL released, its events sent to Python
//! callbacks and Ctrl-C checked between batches; datasets given in place of the network's
//! `data:` splits reach the loop as files in a temporary folder.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::{DataSource, DataSplit, Network, Split};
use rgenn_runtime::SimError;
use rgenn_runtime::train::metrics::EpochRecord;
use rgenn_runtime::train::observer::BatchProgress;
use rgenn_runtime::train::{Observer, TrainOptions, TrainSummary};

use crate::dataset::{Dataset, write_npz};
use crate::network::State;
use crate::{SimulationError, sim_error};

/// What a training call asks for.
pub(crate) struct Run<'a> {
    pub(crate) backend: Backend,
    pub(crate) threads: usize,
    pub(crate) out: PathBuf,
    pub(crate) epochs: Option<u32>,
    pub(crate) resume: bool,
    /// Datasets replacing the train, validation and test splits.
    pub(crate) splits: [Option<&'a Dataset>; 3],
}

/// Sends the loop's events to Python callbacks; the first exception (a callback's, or
/// `KeyboardInterrupt` from a signal) stops the run at the next batch.
struct Callbacks {
    on_epoch: Option<Py<PyAny>>,
    on_batch: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl Callbacks {
    fn call(&mut self, f: impl FnOnce(Python<'_>) -> PyResult<()>) {
        if self.error.is_none()
            && let Err(e) = Python::attach(f)
        {
            self.error = Some(e);
        }
    }

    /// Call `callback` (when given) with the dict `make` builds.
    fn send(
        &mut self,
        callback: &Option<Py<PyAny>>,
        make: impl FnOnce(Python<'_>) -> PyResult<Bound<'_, PyDict>>,
    ) {
        if let Some(f) = callback {
            self.call(|py| f.call1(py, (make(py)?,)).map(drop));
        }
    }
}

impl Observer for Callbacks {
    fn on_batch(&mut self, b: &BatchProgress) {
        let callback = self.on_batch.take();
        self.send(&callback, |py| {
            let d = PyDict::new(py);
            d.set_item("epoch", b.epoch)?;
            d.set_item("epochs", b.epochs)?;
            d.set_item("seen", b.seen)?;
            d.set_item("examples", b.examples)?;
            d.set_item("elapsed_s", b.elapsed_s)?;
            d.set_item("loss", b.loss)?;
            d.set_item("accuracy", b.accuracy)?;
            Ok(d)
        });
        self.on_batch = callback;
    }

    fn on_epoch(&mut self, r: &EpochRecord, epochs: u32) {
        let callback = self.on_epoch.take();
        self.send(&callback, |py| {
            let d = record(py, r)?;
            d.set_item("epochs", epochs)?;
            Ok(d)
        });
        self.on_epoch = callback;
    }

    fn interrupted(&mut self) -> bool {
        self.call(|py| py.check_signals());
        self.error.is_some()
    }
}

/// An epoch's metrics as a dict with the columns of `metrics.csv` (None where a split is absent).
fn record<'py>(py: Python<'py>, r: &EpochRecord) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("epoch", r.epoch)?;
    d.set_item("train_loss", r.train.loss)?;
    d.set_item("train_accuracy", r.train.accuracy)?;
    for (name, score) in [("validation", r.validation), ("test", r.test)] {
        d.set_item(format!("{name}_loss"), score.map(|s| s.loss))?;
        d.set_item(format!("{name}_accuracy"), score.map(|s| s.accuracy))?;
    }
    d.set_item("lr_weight", r.lr_weight)?;
    d.set_item("lr_delay", r.lr_delay)?;
    d.set_item("seconds", r.seconds)?;
    d.set_item("examples_per_second", r.examples_per_second)?;
    Ok(d)
}

/// The final metrics: the last epoch's, and how the run chose its parameters.
fn summary_dict<'py>(py: Python<'py>, s: &TrainSummary) -> PyResult<Bound<'py, PyDict>> {
    let d = match s.records.last() {
        Some(r) => record(py, r)?,
        None => PyDict::new(py),
    };
    d.set_item("epochs", s.records.len())?;
    d.set_item("best_accuracy", s.best_accuracy)?;
    let selection = match s.selection {
        Some(Split::Validation) => "validation",
        Some(Split::Test) => "test",
        _ => "train",
    };
    d.set_item("selection", selection)?;
    d.set_item("protocol", s.protocol.as_str())?;
    d.set_item("stopped_early", s.stopped_early)?;
    Ok(d)
}

/// `ir` with the given datasets in place of its splits, written as `.npz` files in `dir`.
fn with_splits(
    ir: &Network,
    splits: &[Option<&Dataset>; 3],
    dir: &std::path::Path,
) -> PyResult<Network> {
    let mut ir = ir.clone();
    for (split, data) in [Split::Train, Split::Validation, Split::Test]
        .into_iter()
        .zip(splits)
    {
        let Some(data) = data else { continue };
        let path = dir.join(format!("{split:?}.npz").to_lowercase());
        write_npz(&data.data, &path)
            .map_err(|e| SimulationError::new_err(format!("writing `{}`: {e}", path.display())))?;
        let source = DataSource::Npz {
            path: path.display().to_string(),
        };
        ir.run.data.retain(|s| s.split != split);
        ir.run.data.push(DataSplit { split, source });
    }
    Ok(ir)
}

/// Train the model in `st` as `run` says, reporting to the callbacks.
pub(crate) fn train<'py>(
    py: Python<'py>,
    st: &mut State,
    run: &Run<'_>,
    on_epoch: Option<Py<PyAny>>,
    on_batch: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let custom = run.splits.iter().any(Option::is_some);
    let temp = tempfile::tempdir()
        .map_err(|e| SimulationError::new_err(format!("making a temporary folder: {e}")))?;
    let ir = if custom {
        with_splits(&st.ir, &run.splits, temp.path())?
    } else {
        st.ir.clone()
    };
    let opts = TrainOptions {
        epochs: run.epochs,
        threads: run.threads,
        out_dir: run.out.clone(),
        resume: run.resume,
        progress: true,
        profile: false,
    };
    let mut callbacks = Callbacks {
        on_epoch,
        on_batch,
        error: None,
    };
    if custom {
        // the simulator of another data section must not outlive this call
        st.opened = None;
    }
    let result = py.detach(|| -> Result<TrainSummary, SimError> {
        let (path, base_dir, initial) = (st.path.clone(), st.base_dir.clone(), st.params.clone());
        let mut own;
        let sim = if custom {
            own = rgenn_runtime::open(&ir, &base_dir, run.backend, None)
                .map_err(|e| crate::network::unavailable(run.backend, e))?
                .0;
            own.as_mut()
        } else {
            st.engine(run.backend)?
        };
        rgenn_runtime::train::train_with(sim, &path, &base_dir, initial, &opts, &mut callbacks)
    });
    match result {
        Ok(summary) => {
            st.params = summary.params.clone();
            if let Some(o) = st.opened.as_mut() {
                o.engine.upload(&st.params).map_err(sim_error)?;
            }
            summary_dict(py, &summary)
        }
        Err(e) => {
            // the simulator holds parameters of a run that did not finish
            st.opened = None;
            Err(match (e, callbacks.error) {
                (SimError::Interrupted, Some(err)) => err,
                (e, _) => sim_error(e),
            })
        }
    }
}
