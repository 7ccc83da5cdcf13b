//! The typed API behind generated Rust bindings (`rgenn-build`, [`include_model!`]): a simulator
//! linked into the program, with typed handles on its buffers instead of names, and the same
//! drivers (trials, gradients, training steps, evaluation) as the CLI.
//!
//! Generated bindings define, per network, a handle struct with one field per population and per
//! connection (each a struct of [`LaneVar`] and [`Param`] handles) that implements [`Bindings`],
//! and `type Model = rgenn_runtime::embed::Model<Handles>`. A [`Model`] dereferences to its
//! handles, so `model.hidden.v` names a variable and `model.get(model.hidden.v, lane)` reads it.
//! Handles are plain indices checked on every use: a wrong lane, a wrong length or a handle of
//! another model is an [`EmbedError`], never a panic or undefined behaviour.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use rgenn_codegen::ir::Network;
use rgenn_codegen::ir::buffers::{Owner, Role};

use crate::Simulator;
use crate::build::library::EntryPoints;
use crate::data::SpikeDataset;
use crate::data::splits;
use crate::error::{BuildError, DataError, SimError};
use crate::passes::grad::{self, GradOutput};
use crate::passes::loss::{LossSpec, TrialLoss};
use crate::sim::cpu::{LaneRecord, Recording, SpikeSource, TrialInput, View};
use crate::sim::init::{self, Params};
use crate::train::BatchStep;
use crate::train::metrics::Score;

pub use rgenn_codegen::ir::Split;

/// Include the bindings that `rgenn-build` generated for the network called `$name` (from the
/// build script's `OUT_DIR`): defines `mod $name` with its `Model`.
#[macro_export]
macro_rules! include_model {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/rgenn/", $name, "/bindings.rs"));
    };
}

/// Misuse of an embedded model, or an error from the simulator underneath.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A batch lane outside `0..batch_size`.
    #[error("lane {lane} out of range: the network has {batch_size} batch lanes")]
    Lane {
        /// The lane asked for.
        lane: u32,
        /// Lanes the network has.
        batch_size: u32,
    },
    /// A step outside `0..n_steps`.
    #[error("step {step} out of range: a trial has {n_steps} steps")]
    Step {
        /// The step asked for.
        step: u32,
        /// Steps per trial.
        n_steps: u32,
    },
    /// Values of the wrong length for a buffer.
    #[error("`{name}` has {expected} values, {found} given")]
    Length {
        /// Buffer name.
        name: String,
        /// Its length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A handle that does not belong to this model.
    #[error("handle {index} does not name a {what} of network `{network}`")]
    Handle {
        /// Buffer index in the handle.
        index: usize,
        /// What the handle should name.
        what: &'static str,
        /// The model's network.
        network: String,
    },
    /// The embedded IR could not be read (bindings from another rgenn version).
    #[error(
        "the embedded IR of the bindings cannot be read ({0}); regenerate them with this rgenn"
    )]
    Ir(String),
    /// Linking the simulator failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Running it failed.
    #[error(transparent)]
    Sim(#[from] SimError),
}

impl From<DataError> for EmbedError {
    fn from(e: DataError) -> Self {
        EmbedError::Sim(e.into())
    }
}

/// An element type of simulator buffers: `f32`, `f64` (the network's precision), `u32` or `u16`.
pub trait Value: Copy + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn slice(view: View<'_>) -> Option<&mut [Self]>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for u32 {}
    impl Sealed for u16 {}
}

macro_rules! value {
    ($t:ty, $variant:ident) => {
        impl Value for $t {
            fn slice(view: View<'_>) -> Option<&mut [Self]> {
                match view {
                    View::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
value!(f32, F32);
value!(f64, F64);
value!(u32, U32);
value!(u16, U16);

/// A per-lane buffer (a state variable, readout, spike list or gradient) of element type `T`.
pub struct LaneVar<T> {
    index: usize,
    _t: PhantomData<fn() -> T>,
}

/// A buffer shared by all lanes (weights or delays of a connection) of element type `T`.
pub struct Param<T> {
    index: usize,
    _t: PhantomData<fn() -> T>,
}

macro_rules! handle {
    ($h:ident) => {
        impl<T> $h<T> {
            /// The handle of buffer `index` (generated bindings fill these in).
            pub const fn new(index: usize) -> Self {
                $h {
                    index,
                    _t: PhantomData,
                }
            }

            /// The buffer's index in the IR.
            pub const fn index(self) -> usize {
                self.index
            }
        }
        impl<T> Clone for $h<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for $h<T> {}
        impl<T> std::fmt::Debug for $h<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($h), self.index)
            }
        }
    };
}
handle!(LaneVar);
handle!(Param);

/// What generated bindings provide for one network: its IR, cache key, folder, linked entry
/// points and handles.
pub trait Bindings: Sized {
    /// The IR the simulator was generated from ([`Network::to_json`]).
    const IR: &'static str;
    /// Cache key of the simulator's sources.
    const CACHE_KEY: &'static str;
    /// Folder of the network file: relative data paths in it are resolved against this.
    const BASE_DIR: &'static str;
    /// The simulator's entry points.
    fn entry_points() -> EntryPoints;
    /// The handles (buffer indices) of every population and connection.
    fn handles() -> Self;
}

/// A generated simulator linked into the program, with its parameters uploaded; dereferences to
/// the network's handles `B`.
pub struct Model<B> {
    sim: Simulator,
    handles: B,
    base_dir: PathBuf,
    initial: Params,
    threads: usize,
    steps: u64,
}

impl<B> std::ops::Deref for Model<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.handles
    }
}

impl<B: Bindings> Model<B> {
    /// Start the simulator with the initial weights and delays of the network file.
    pub fn new() -> Result<Model<B>, EmbedError> {
        Self::with_base_dir(B::BASE_DIR)
    }

    /// As [`Model::new`], with relative data paths of the network resolved against `base_dir`.
    pub fn with_base_dir(base_dir: impl AsRef<Path>) -> Result<Model<B>, EmbedError> {
        let net = Network::from_json(B::IR).map_err(|e| EmbedError::Ir(e.to_string()))?;
        let mut sim = Simulator::from_entry_points(&net, B::entry_points(), B::CACHE_KEY)?;
        let base_dir = base_dir.as_ref().to_path_buf();
        let initial = init::initial_params(&net, &base_dir)?;
        init::upload(&mut sim, &initial)?;
        if net.has_backward() {
            crate::train::state::write_moments(&mut sim, None)?;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Model {
            sim,
            handles: B::handles(),
            base_dir,
            initial,
            threads,
            steps: 0,
        })
    }
}

impl<B> Model<B> {
    /// Split `which` of the network's `data:` section (a generator or a file relative to the
    /// network's folder), or `None` when the network has no such split.
    pub fn dataset(&self, which: Split) -> Result<Option<SpikeDataset>, EmbedError> {
        Ok(splits::load(self.network(), &self.base_dir, which)?.map(|s| s.data))
    }

    /// The network (IR) this model runs.
    pub fn network(&self) -> &Network {
        self.sim.network()
    }

    /// The simulator, for the runtime's drivers (`simulate`, `grad`, `train`).
    pub fn simulator(&mut self) -> &mut Simulator {
        &mut self.sim
    }

    /// Threads that lanes run on (default: all cores). Results do not depend on it.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Lane `lane`'s values of `var` (of a gradient with `lane_group` above 1: its group's sum).
    pub fn get<T: Value>(&mut self, var: LaneVar<T>, lane: u32) -> Result<&[T], EmbedError> {
        self.get_mut(var, lane).map(|x| &*x)
    }

    /// Lane `lane`'s values of `var`, writable.
    pub fn get_mut<T: Value>(
        &mut self,
        var: LaneVar<T>,
        lane: u32,
    ) -> Result<&mut [T], EmbedError> {
        self.check_lane(lane)?;
        let len = self.buffer(var.index, true, "per-lane buffer")?;
        // a gradient is held once per lane group (`lane_group`): the lane's group's copy
        let copy = if self.network().buffers[var.index].role.per_lane_group() {
            lane / self.network().lane_group.max(1)
        } else {
            lane
        };
        let all = self.typed::<T>(var.index, "per-lane buffer")?;
        let start = copy as usize * len;
        Ok(&mut all[start..start + len])
    }

    /// The values of a weight or delay (ms) buffer, in synapse order.
    pub fn param<T: Value>(&mut self, p: Param<T>) -> Result<&[T], EmbedError> {
        self.buffer(p.index, false, "weight or delay")?;
        self.typed::<T>(p.index, "weight or delay").map(|x| &*x)
    }

    /// Set a weight or delay (ms) buffer; delays also set the step delays the kernels use
    /// (rounded half away from zero, clamped to `[0, max_delay]`).
    pub fn set_param<T: Value>(&mut self, p: Param<T>, values: &[T]) -> Result<(), EmbedError>
    where
        f64: From<T>,
    {
        let len = self.buffer(p.index, false, "weight or delay")?;
        let name = self.network().buffers[p.index].name.clone();
        if values.len() != len {
            return Err(EmbedError::Length {
                name,
                expected: len,
                found: values.len(),
            });
        }
        let (owner, role) = {
            let b = &self.network().buffers[p.index];
            (b.owner, b.role)
        };
        let Owner::Connection(c) = owner else {
            return Err(self.handle_error(p.index, "weight or delay"));
        };
        let values: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let mut params = self.params();
        match role {
            Role::Weight => params.weights[c as usize] = values,
            Role::DelayMs => params.delays_ms[c as usize] = values,
            _ => return Err(self.handle_error(p.index, "weight or delay")),
        }
        self.set_params(&params)
    }

    /// Every connection's weights and delays (ms), in f64.
    pub fn params(&mut self) -> Params {
        // Reading the CPU simulator's buffers cannot fail.
        crate::train::state::read_params(&mut self.sim, &self.initial)
            .expect("CPU buffers are always readable")
    }

    /// Set every connection's weights and delays (ms).
    pub fn set_params(&mut self, params: &Params) -> Result<(), EmbedError> {
        let net = self.network();
        let shapes_match = params.weights.len() == net.connections.len()
            && params.delays_ms.len() == net.connections.len()
            && net.connections.iter().enumerate().all(|(i, c)| {
                let n = c.n_synapses as usize;
                params.weights[i].len() == n
                    && (params.delays_ms[i].len() == n
                        || params.delays_ms[i].len() == self.initial.delays_ms[i].len())
            });
        if !shapes_match {
            return Err(EmbedError::Sim(SimError::Network(
                "parameters do not match the network's connections".into(),
            )));
        }
        init::upload(&mut self.sim, params)?;
        Ok(())
    }

    /// Read weights and delays from a parameter `.npz` (as written by `save_params` or `rgenn
    /// train`); arrays missing from the file keep their values.
    pub fn load_params(&mut self, path: &Path) -> Result<(), EmbedError> {
        let mut params = self.params();
        init::read_params(self.sim.network(), path, &mut params)?;
        self.set_params(&params)
    }

    /// Write weights and delays as a parameter `.npz` (atomically).
    pub fn save_params(&mut self, path: &Path) -> Result<(), EmbedError> {
        let params = self.params();
        crate::train::state::write_params(self.sim.network(), &params, path)?;
        Ok(())
    }

    /// Reset lane `lane` to the initial state (no input spikes).
    pub fn reset(&mut self, lane: u32) -> Result<(), EmbedError> {
        self.check_lane(lane)?;
        self.sim.reset(lane);
        Ok(())
    }

    /// Set lane `lane`'s input spikes for its next trial.
    pub fn set_input(&mut self, lane: u32, input: &TrialInput) -> Result<(), EmbedError> {
        self.check_lane(lane)?;
        self.sim.set_input(lane, input)?;
        Ok(())
    }

    /// Advance lane `lane` by one time step (`step` counts from 0 within the trial).
    pub fn step(&mut self, lane: u32, step: u32) -> Result<(), EmbedError> {
        self.check_lane(lane)?;
        let n_steps = self.network().n_steps;
        if step >= n_steps {
            return Err(EmbedError::Step { step, n_steps });
        }
        self.sim.step(lane, step);
        Ok(())
    }

    /// Finish lane `lane`'s trial (final readouts).
    pub fn finish_trial(&mut self, lane: u32) -> Result<(), EmbedError> {
        self.check_lane(lane)?;
        self.sim.finish_trial(lane);
        Ok(())
    }

    /// Trial `k` of `data`, binned to this network's steps and input population.
    pub fn bin(&self, data: &SpikeDataset, k: usize) -> Result<TrialInput, EmbedError> {
        let net = self.network();
        let input = self.sim.input_pop.ok_or_else(|| {
            SimError::Network("the network has no spike-source population to feed".into())
        })?;
        if k >= data.len() {
            return Err(SimError::Network(format!(
                "trial {k} out of range: the dataset has {} trials",
                data.len()
            ))
            .into());
        }
        let size = net.populations[input].size;
        Ok(data.bin(k, net.dt_ms, net.n_steps, size, Path::new("<dataset>"))?)
    }

    /// Run a whole trial on lane `lane`: reset, set `input`, every step, finish. Returns the
    /// spikes of every population as `(step, unit)`; readouts and state stay in the simulator.
    pub fn run_trial(&mut self, lane: u32, input: &TrialInput) -> Result<LaneRecord, EmbedError> {
        self.reset(lane)?;
        self.set_input(lane, input)?;
        let net = self.network();
        let find = |pop: usize, role: Role| {
            crate::sim::engine::find(net, Owner::Population(pop as u32), role)
        };
        let spikes = (0..net.populations.len())
            .filter_map(|p| {
                Some(SpikeSource {
                    count: find(p, Role::SpikeCount)?,
                    units: find(p, Role::Spikes)?,
                    size: net.populations[p].size,
                })
            })
            .collect();
        let recording = Recording {
            spikes,
            traces: Vec::new(),
        };
        let mut records = self.sim.run_lanes(&[lane], 1, &recording);
        Ok(records.pop().unwrap_or_default())
    }

    /// Mean loss, accuracy and gradients of the mean loss over every trial of `data` (labelled),
    /// as `rgenn grad` computes them. Parameters are not changed.
    pub fn grad(&mut self, data: &SpikeDataset) -> Result<GradOutput, EmbedError> {
        let threads = self.threads;
        Ok(grad::grad(
            &mut self.sim,
            data,
            Path::new("<dataset>"),
            threads,
        )?)
    }

    /// One optimiser step (the network's `training:` settings) on the trials `trials` of
    /// `data`, as one batch of at most `batch_size` trials, in epoch `epoch` (for learning-rate
    /// decay). Returns each trial's loss and prediction.
    pub fn train_batch(
        &mut self,
        data: &SpikeDataset,
        trials: &[usize],
        epoch: u32,
    ) -> Result<Vec<TrialLoss>, EmbedError> {
        let net = self.network().clone();
        let training =
            net.run.training.as_ref().ok_or_else(|| {
                SimError::Network("the network has no `training:` section".into())
            })?;
        if trials.is_empty() || trials.len() > net.batch_size as usize {
            return Err(SimError::Network(format!(
                "a batch has 1 to {} trials, {} given",
                net.batch_size,
                trials.len()
            ))
            .into());
        }
        if let Some(&k) = trials.iter().find(|&&k| k >= data.len()) {
            return Err(SimError::Network(format!(
                "trial {k} out of range: the dataset has {} trials",
                data.len()
            ))
            .into());
        }
        let spec = LossSpec::of(&net)?;
        let path = Path::new("<dataset>");
        let labels = grad::labels(data, path, spec.classes)?;
        let batch_labels: Vec<u32> = trials.iter().map(|&k| labels[k]).collect();
        let step = BatchStep {
            data,
            path,
            trials,
            labels: &batch_labels,
            spec: &spec,
            training,
            epoch,
            threads: self.threads,
        };
        let (losses, _, _) = step.run(&mut self.sim, &mut self.steps, None)?;
        Ok(losses)
    }

    /// Mean loss and accuracy of the current parameters on `data` (forward passes only).
    pub fn evaluate(&mut self, data: &SpikeDataset) -> Result<Score, EmbedError> {
        let threads = self.threads;
        Ok(crate::train::evaluate_data(
            &mut self.sim,
            data.clone(),
            &PathBuf::from("<dataset>"),
            threads,
        )?)
    }

    fn check_lane(&self, lane: u32) -> Result<(), EmbedError> {
        let batch_size = self.network().batch_size;
        if lane < batch_size {
            Ok(())
        } else {
            Err(EmbedError::Lane { lane, batch_size })
        }
    }

    /// Check that `index` names a buffer batched as `batched`; its per-lane (or total) length.
    fn buffer(&self, index: usize, batched: bool, what: &'static str) -> Result<usize, EmbedError> {
        match self.network().buffers.get(index) {
            Some(b) if b.batched == batched => Ok(b.len as usize),
            _ => Err(self.handle_error(index, what)),
        }
    }

    fn typed<T: Value>(
        &mut self,
        index: usize,
        what: &'static str,
    ) -> Result<&mut [T], EmbedError> {
        let err = self.handle_error(index, what);
        T::slice(self.sim.view(index)).ok_or(err)
    }

    fn handle_error(&self, index: usize, what: &'static str) -> EmbedError {
        EmbedError::Handle {
            index,
            what,
            network: self.network().name.clone(),
        }
    }
}
