//! `rgenn._rgenn.Model`: a loaded network, its current parameters and the simulator it last ran
//! on; simulation, gradients and parameters through the runtime's own passes and files.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, TryLockError};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::{Network, Precision};
use rgenn_runtime::SimError;
use rgenn_runtime::passes::{grad, simulate};
use rgenn_runtime::sim::engine::Engine;
use rgenn_runtime::sim::init::{self, Params};

use crate::dataset::Dataset;
use crate::{ModelError, arrays, sim_error};

/// A simulator opened for one backend.
pub(crate) struct Opened {
    pub(crate) backend: Backend,
    pub(crate) engine: Box<dyn Engine + Send>,
}

/// Everything a model holds; behind a lock, as the passes run with the GIL released.
pub(crate) struct State {
    /// The network file as given.
    pub(crate) path: PathBuf,
    /// The network.
    pub(crate) ir: Network,
    /// Its folder (relative paths in the network are relative to it).
    pub(crate) base_dir: PathBuf,
    /// The parameters every pass starts from.
    pub(crate) params: Params,
    /// The simulator of the last backend used, holding `params`.
    pub(crate) opened: Option<Opened>,
}

impl State {
    /// The simulator for `backend` holding `params` (built, or reused from the build cache, on
    /// first use of that backend).
    pub(crate) fn engine(
        &mut self,
        backend: Backend,
    ) -> Result<&mut (dyn Engine + Send), SimError> {
        if self.opened.as_ref().is_none_or(|o| o.backend != backend) {
            self.opened = None;
            let (mut engine, _) = rgenn_runtime::open(&self.ir, &self.base_dir, backend, None)
                .map_err(|e| unavailable(backend, e))?;
            engine.upload(&self.params)?;
            self.opened = Some(Opened { backend, engine });
        }
        match self.opened.as_mut() {
            Some(o) => Ok(o.engine.as_mut()),
            None => Err(SimError::Network("no simulator is open".into())),
        }
    }

    /// Run `pass` on the simulator for `backend`, with `params` uploaded for it when given (and
    /// the model's own parameters put back after it).
    fn with_params<T>(
        &mut self,
        backend: Backend,
        params: Option<&Params>,
        pass: impl FnOnce(&mut (dyn Engine + Send)) -> Result<T, SimError>,
    ) -> Result<T, SimError> {
        let own = self.params.clone();
        let sim = self.engine(backend)?;
        if let Some(p) = params {
            sim.upload(p)?;
        }
        let out = pass(sim);
        if params.is_some() {
            sim.upload(&own)?;
        }
        out
    }
}

/// A CUDA simulator that built but could not be loaded or created (no CUDA runtime, driver or
/// GPU) as a device error, which Python sees as `BackendError`.
pub(crate) fn unavailable(backend: Backend, e: SimError) -> SimError {
    match e {
        SimError::Build(rgenn_runtime::BuildError::Load { path, message })
            if backend == Backend::Cuda =>
        {
            SimError::Device {
                what: format!("loading the CUDA simulator `{}`", path.display()),
                message,
            }
        }
        e => e,
    }
}

/// A network loaded from its YAML file, with its current parameters.
#[pyclass(frozen, module = "rgenn._rgenn")]
pub struct Model {
    state: Mutex<State>,
}

impl Model {
    /// The state, or an error while another thread uses the model (never waits with the GIL
    /// held).
    pub(crate) fn state(&self) -> PyResult<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(s) => Ok(s),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the network is running in another thread; use one Network per thread",
            )),
        }
    }
}

/// True once a signal (Ctrl-C) is pending, keeping the exception its handler raised in `pending`;
/// called between batches with the GIL released.
fn signalled(pending: &mut Option<PyErr>) -> bool {
    if pending.is_none()
        && let Err(e) = Python::attach(|py| py.check_signals())
    {
        *pending = Some(e);
    }
    pending.is_some()
}

/// A pass's error as a Python exception: the pending signal's when it stopped the pass.
fn pass_error(e: SimError, pending: Option<PyErr>) -> PyErr {
    match (e, pending) {
        (SimError::Interrupted, Some(err)) => err,
        (e, _) => sim_error(e),
    }
}

/// The parameters of a call: the model's, replaced by those of a dict or a parameter file.
fn call_params(
    st: &State,
    params: Option<&Bound<'_, PyDict>>,
    params_file: Option<&Path>,
) -> PyResult<Option<Params>> {
    Ok(match (params, params_file) {
        (Some(d), _) => Some(arrays::params_from(&st.ir, &st.params, d)?),
        (None, Some(f)) => {
            let mut p = st.params.clone();
            init::read_params(&st.ir, f, &mut p).map_err(|e| sim_error(e.into()))?;
            Some(p)
        }
        (None, None) => None,
    })
}

#[pymethods]
impl Model {
    /// Read, parse and validate the network file at `path`, with its initial parameters.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let loaded = py
            .detach(|| rgenn_runtime::load_network(&path))
            .map_err(|e| ModelError::new_err(e.render(false)))?;
        let params =
            init::initial_params(&loaded.ir, &loaded.base_dir).map_err(|e| sim_error(e.into()))?;
        Ok(Model {
            state: Mutex::new(State {
                path,
                ir: loaded.ir,
                base_dir: loaded.base_dir,
                params,
                opened: None,
            }),
        })
    }

    /// The text of `rgenn check`.
    fn summary(&self) -> PyResult<String> {
        Ok(rgenn_codegen::summary::render(&self.state()?.ir))
    }

    /// The network's name.
    #[getter]
    fn name(&self) -> PyResult<String> {
        Ok(self.state()?.ir.name.clone())
    }

    /// "float32" or "float64": the dtype of the network's outputs and parameters.
    #[getter]
    fn precision(&self) -> PyResult<&'static str> {
        Ok(match self.state()?.ir.precision {
            Precision::F32 => "float32",
            Precision::F64 => "float64",
        })
    }

    /// Steps per trial and the step in ms.
    #[getter]
    fn steps(&self) -> PyResult<(u32, f64)> {
        let st = self.state()?;
        Ok((st.ir.n_steps, st.ir.dt_ms))
    }

    /// The network file as given.
    #[getter]
    fn path(&self) -> PyResult<PathBuf> {
        Ok(self.state()?.path.clone())
    }

    /// Every trial of `data` forward: the arrays `rgenn simulate` writes.
    #[pyo3(signature = (data, backend, threads=None, params=None, params_file=None))]
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        data: PyRef<'py, Dataset>,
        backend: &str,
        threads: Option<usize>,
        params: Option<&Bound<'py, PyDict>>,
        params_file: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (backend, threads) = (crate::backend(backend)?, crate::threads(threads)?);
        let mut guard = self.state()?;
        let p = call_params(&guard, params, params_file.as_deref())?;
        let st: &mut State = &mut guard;
        let d: &Dataset = &data;
        let mut pending = None;
        let out = py
            .detach(|| {
                st.with_params(backend, p.as_ref(), |sim| {
                    let mut stop = || signalled(&mut pending);
                    simulate::simulate_until(sim, &d.data, &d.origin, threads, &mut stop)
                })
            })
            .map_err(|e| pass_error(e, pending.take()))?;
        arrays::to_dict(py, simulate::output_arrays(&st.ir, &out))
    }

    /// Every trial of `data` forward and backward: the arrays `rgenn grad` writes.
    #[pyo3(signature = (data, backend, threads=None, params=None, params_file=None))]
    fn grad<'py>(
        &self,
        py: Python<'py>,
        data: PyRef<'py, Dataset>,
        backend: &str,
        threads: Option<usize>,
        params: Option<&Bound<'py, PyDict>>,
        params_file: Option<PathBuf>,
    ) -> PyResult<(Bound<'py, PyDict>, f64)> {
        let (backend, threads) = (crate::backend(backend)?, crate::threads(threads)?);
        let mut guard = self.state()?;
        let p = call_params(&guard, params, params_file.as_deref())?;
        let st: &mut State = &mut guard;
        let d: &Dataset = &data;
        let mut pending = None;
        let out = py
            .detach(|| {
                st.with_params(backend, p.as_ref(), |sim| {
                    let mut stop = || signalled(&mut pending);
                    grad::grad_until(sim, &d.data, &d.origin, threads, &mut stop)
                })
            })
            .map_err(|e| pass_error(e, pending.take()))?;
        let dict = arrays::to_dict(py, grad::output_arrays(&st.ir, &out))?;
        Ok((dict, out.accuracy))
    }

    /// The current parameters in the layout of a parameter file.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let st = self.state()?;
        let a = rgenn_runtime::train::state::param_arrays(&st.ir, &st.params);
        arrays::to_dict(py, a)
    }

    /// Replace parameters by those of a dict (missing ones keep their values) or a file.
    #[pyo3(signature = (params=None, params_file=None))]
    fn set_params(
        &self,
        params: Option<&Bound<'_, PyDict>>,
        params_file: Option<PathBuf>,
    ) -> PyResult<()> {
        let mut guard = self.state()?;
        let st: &mut State = &mut guard;
        if let Some(p) = call_params(st, params, params_file.as_deref())? {
            st.params = p;
            if let Some(o) = st.opened.as_mut() {
                o.engine.upload(&st.params).map_err(sim_error)?;
            }
        }
        Ok(())
    }

    /// Train on the network's `data:` splits, or on the datasets given in their place; writes the
    /// run folder `out` as `rgenn train` does. Returns the final metrics.
    #[pyo3(signature = (backend, out, train=None, validation=None, test=None, epochs=None,
        threads=None, resume=false, on_epoch=None, on_batch=None))]
    #[allow(clippy::too_many_arguments)]
    fn train<'py>(
        &self,
        py: Python<'py>,
        backend: &str,
        out: PathBuf,
        train: Option<PyRef<'py, Dataset>>,
        validation: Option<PyRef<'py, Dataset>>,
        test: Option<PyRef<'py, Dataset>>,
        epochs: Option<u32>,
        threads: Option<usize>,
        resume: bool,
        on_epoch: Option<Py<PyAny>>,
        on_batch: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let run = crate::train::Run {
            backend: crate::backend(backend)?,
            threads: crate::threads(threads)?,
            out,
            epochs,
            resume,
            splits: [train.as_deref(), validation.as_deref(), test.as_deref()],
        };
        let mut st = self.state()?;
        crate::train::train(py, &mut st, &run, on_epoch, on_batch)
    }
}
