//! The intermediate representation: everything a backend needs to generate a simulator.
//!
//! Plain, serialisable data in YAML order with typed ids. Every size is worked out before the IR
//! exists (step delays, ring lengths, synapse counts, buffer sizes, derived params, typed code), so
//! backends only read values. Each node keeps an [`Origin`] back to its YAML for comments in
//! generated code and for runtime messages. `hash::cache_key` of the canonical JSON is the
//! build-cache key.

pub mod buffers;
pub mod expr;
pub mod hash;

use serde::{Deserialize, Serialize};

pub use crate::model::neuron::ModelKind;
pub use crate::model::{Learn, Loss, Precision, Readout, Split};
pub use buffers::{Buffer, Elem};
pub use expr::{Block, Expr, Stmt, Sym};

/// Version of the IR format; bumped whenever its meaning changes.
pub const IR_VERSION: u32 = 1;

/// Index of a population in [`Network::populations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PopId(pub u32);

/// Index of a connection in [`Network::connections`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConnId(pub u32);

/// Index of a neuron model in [`Network::models`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModelId(pub u32);

/// Index of a state variable in [`NeuronModel::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VarId(pub u32);

/// Where something was written: file (as the user named it), line and column, 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// File name relative to the network file's folder (built-in models: `models/<name>.yaml`).
    pub file: String,
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A whole network, ready for code generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// [`IR_VERSION`].
    pub ir_version: u32,
    /// `name:`.
    pub name: String,
    /// The network file.
    pub origin: Origin,
    /// Time step in ms.
    pub dt_ms: f64,
    /// Trial length in ms.
    pub duration_ms: f64,
    /// Steps per trial: `round(duration / dt)`.
    pub n_steps: u32,
    /// Float precision of the simulator.
    pub precision: Precision,
    /// Trials simulated side by side.
    pub batch_size: u32,
    /// Lanes whose weight and delay gradients accumulate in one buffer, one lane after the other
    /// (`lane_group:`, a power of two; 1: every lane its own): see [`Network::gradient_copies`].
    #[serde(default = "one")]
    pub lane_group: u32,
    /// Seed of every random initialisation.
    pub seed: u64,
    /// The neuron models used, in order of first use.
    pub models: Vec<NeuronModel>,
    /// Populations in YAML order.
    pub populations: Vec<Population>,
    /// Connections in YAML order.
    pub connections: Vec<Connection>,
    /// Every array the simulator allocates, in allocation order.
    pub buffers: Vec<Buffer>,
    /// Data and training settings: used by the runtime, not by generated code.
    pub run: RunConfig,
}

fn one() -> u32 {
    1
}

impl Network {
    /// Copies of a gradient buffer that lanes `0..n_lanes` accumulate into: lane `l` adds to copy
    /// `l / lane_group`, so a group's lanes must run one after the other (the first one zeroes it).
    pub fn gradient_copies(&self, n_lanes: u32) -> u32 {
        n_lanes.div_ceil(self.lane_group.max(1))
    }

    /// Copies of buffer `b`: one per lane, one per lane group (the gradients) or one.
    pub fn copies(&self, b: &Buffer) -> u64 {
        match (b.batched, b.role.per_lane_group()) {
            (false, _) => 1,
            (true, true) => u64::from(self.gradient_copies(self.batch_size)),
            (true, false) => u64::from(self.batch_size),
        }
    }
}

/// A neuron model with its code resolved and typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronModel {
    /// `name:`.
    pub name: String,
    /// The model file.
    pub origin: Origin,
    /// Neuron or spike source.
    pub kind: ModelKind,
    /// Param names (values live in each population).
    pub params: Vec<String>,
    /// Derived param names (values live in each population).
    pub derived: Vec<String>,
    /// State variable names.
    pub vars: Vec<String>,
    /// The variable incoming spikes add to.
    pub input_var: Option<VarId>,
    /// Update code run every step.
    pub sim: Code<Block>,
    /// Spike condition.
    pub threshold: Option<Code<Expr>>,
    /// Code run after a spike.
    pub reset: Code<Block>,
    /// Readouts the model supports.
    pub readouts: Vec<Readout>,
    /// The variable value readouts read.
    pub readout_var: Option<VarId>,
    /// The EventProp adjoint, for models gradients can flow through.
    pub adjoint: Option<Adjoint>,
    /// For models written as ODEs: how they are integrated and what was derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ode: Option<OdeNote>,
}

/// What the ODE lowering did to a model written with `ode:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OdeNote {
    /// How the equations are integrated.
    pub method: String,
    /// Whether the adjoint was derived (false: the model's own `adjoint:` overrides it).
    pub derived_adjoint: bool,
    /// The derived code, as model YAML.
    pub derivation: String,
}

/// The adjoint of a neuron model (see `models/lif.yaml` for what each part means).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adjoint {
    /// Adjoint variable names; all start at zero at the end of a trial.
    pub vars: Vec<String>,
    /// Names of the values recorded on the spike tape.
    pub tape: Vec<String>,
    /// Their expressions, evaluated in forward scope just before the reset.
    pub tape_code: Vec<Code<Expr>>,
    /// Names of the values recorded at every step (`history:`), read by `sim`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<String>,
    /// Their expressions, evaluated in forward scope after the step's arrivals, before its update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history_code: Vec<Code<Expr>>,
    /// Statements at a recorded spike; inputs: the tape values, then `dloss_dt` and `count_grad`.
    pub jump: Code<Block>,
    /// One reverse step; inputs: `drive`, then the history values of the step it reverses.
    pub sim: Code<Block>,
    /// Weight gradient per arrival of an incoming spike.
    pub weight_grad: Code<Expr>,
    /// Loss gradient with respect to an arrival time, per unit weight (ms^-1).
    pub delay_grad: Code<Expr>,
}

impl Adjoint {
    /// Name of the loss gradient input of `sim`.
    pub const DRIVE: &'static str = "drive";
    /// Name of the spike-time gradient input of `jump`.
    pub const DLOSS_DT: &'static str = "dloss_dt";
    /// Name of the spike-count regularisation input of `jump`.
    pub const COUNT_GRAD: &'static str = "count_grad";

    /// The read-only inputs of `jump`, in `Sym::Input` order.
    pub fn jump_inputs(&self) -> Vec<String> {
        let mut v = self.tape.clone();
        v.push(Self::DLOSS_DT.to_string());
        v.push(Self::COUNT_GRAD.to_string());
        v
    }

    /// The read-only inputs of `sim`, in `Sym::Input` order.
    pub fn sim_inputs(&self) -> Vec<String> {
        let mut v = vec![Self::DRIVE.to_string()];
        v.extend(self.history.iter().cloned());
        v
    }
}

impl NeuronModel {
    /// True when neurons of this model can emit spikes.
    pub fn is_spiking(&self) -> bool {
        self.kind == ModelKind::SpikeSource || self.threshold.is_some()
    }
}

/// Typed code with the place it was written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Code<T> {
    /// The code.
    pub code: T,
    /// Where it was written (absent for empty code).
    pub origin: Option<Origin>,
}

/// A population of neurons of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// `name`.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// Its model.
    pub model: ModelId,
    /// Value of each model param, in the model's order.
    pub params: Vec<f64>,
    /// Value of each derived param, in the model's order.
    pub derived: Vec<f64>,
    /// Initial value of each state variable, in the model's order.
    pub var_init: Vec<f64>,
    /// Length of the delay ring: `1 + longest step delay` of incoming connections (0 for spike
    /// sources, which have no input).
    pub ring_len: u32,
    /// Readout, for output populations.
    pub readout: Option<Readout>,
    /// Variables whose traces `simulate` records.
    pub record: Vec<VarId>,
    /// Spikes per neuron and trial the adjoint pass can store (spiking populations).
    pub spike_capacity: u32,
    /// True when `spike_capacity:` was a number: the tape never grows and overflowing it is an
    /// error. False (`auto`, the default): the runtime grows the tape and re-runs the batch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spike_capacity_fixed: bool,
    /// Connections into this population.
    pub incoming: Vec<ConnId>,
    /// Connections out of this population.
    pub outgoing: Vec<ConnId>,
    /// The YAML entry.
    pub origin: Origin,
}

/// Which pairs are connected and how synapses are stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// All pairs; synapse `pre * n_post + post`.
    Dense,
    /// `pre i -> post i`; synapse `i`.
    OneToOne,
    /// Random pairs in row-major order (CSR), realised from [`Connection::seed`].
    FixedProbability {
        /// Probability of each pair.
        probability: f64,
        /// Longest row.
        max_row_len: u32,
    },
}

/// How weights or delays (ms) are initialised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// The same value everywhere.
    Constant(f64),
    /// One value per synapse, in synapse order.
    Values(Vec<f64>),
    /// Normal distribution.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Uniform on `[min, max)`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// From an `.npz` file (path relative to the network file).
    File {
        /// Path as written.
        path: String,
        /// Array name.
        key: String,
    },
}

/// How a connection's delays are stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delays {
    /// Every synapse has the same step delay, a compile-time constant.
    Uniform {
        /// The delay in steps.
        steps: u32,
    },
    /// Each synapse has its own delay.
    PerSynapse {
        /// How delays (ms) start.
        init: Init,
    },
}

/// Synapses from one population to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// `name`.
    pub name: String,
    /// Presynaptic population.
    pub source: PopId,
    /// Postsynaptic population.
    pub target: PopId,
    /// Connectivity and storage.
    pub connectivity: Connectivity,
    /// Number of synapses.
    pub n_synapses: u64,
    /// Seed of this connection's random initialisation.
    pub seed: u64,
    /// How weights start.
    pub weight: Init,
    /// How delays start.
    pub delays: Delays,
    /// Longest allowed delay in steps: `round(max_delay / dt)`.
    pub max_delay_steps: u32,
    /// Weights are trained.
    pub learn_weight: bool,
    /// Delays are trained.
    pub learn_delay: bool,
    /// The YAML entry.
    pub origin: Origin,
}

impl Connection {
    /// True when training updates the delays: `learn: [delay]` on per-synapse delays (a single
    /// delay shared by every synapse is never learned).
    pub fn trains_delay(&self) -> bool {
        self.learn_delay && matches!(self.delays, Delays::PerSynapse { .. })
    }

    /// True when training reads gradient buffer `role` (`WeightGrad` or `DelayGrad`) of this
    /// connection: its parameter is learned. `rgenn grad` reports every gradient; training
    /// accumulates only these.
    pub fn trains_gradient(&self, role: buffers::Role) -> bool {
        match role {
            buffers::Role::WeightGrad => self.learn_weight,
            buffers::Role::DelayGrad => self.trains_delay(),
            _ => false,
        }
    }
}

/// Data and training settings, read by the runtime.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Dataset splits.
    pub data: Vec<DataSplit>,
    /// Training settings.
    pub training: Option<Training>,
    /// True when the YAML has no `duration:` and the trial length came from the data's latest
    /// spike (`validate/duration.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duration_from_data: bool,
}

/// One dataset split and its source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSplit {
    /// Which split.
    pub split: Split,
    /// Where the examples come from.
    pub source: DataSource,
}

/// Where examples come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// A built-in generator.
    Generator {
        /// Its name.
        name: String,
        /// Number of trials.
        trials: Option<u64>,
        /// Seed.
        seed: u64,
    },
    /// A spike-dataset `.npz` (path relative to the network file).
    Npz {
        /// Path as written.
        path: String,
    },
    /// An SHD/SSC HDF5 file (path relative to the network file).
    Shd {
        /// Path as written.
        path: String,
    },
    /// Validation only: a seeded random part of the training split, removed from training.
    HeldOut {
        /// Fraction of the training examples, in (0, 1); `round(fraction * n)` of them, at least 1.
        fraction: f64,
        /// Seed of the selection.
        seed: u64,
    },
    /// Validation only: leave-one-speaker-out fold `fold` of the training split, removed from
    /// training: every example of the `fold`-th speaker (from 0, in increasing speaker id).
    SpeakerFold {
        /// The fold.
        fold: u32,
        /// Where the YAML asks for it, for runtime messages (a fold beyond the speakers).
        origin: Origin,
    },
}

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Passes over the training split.
    pub epochs: u32,
    /// Loss over the readout.
    pub loss: Loss,
    /// The population whose readout the loss reads.
    pub output: PopId,
    /// Adam for weights.
    pub weight_optimizer: Adam,
    /// Adam for delays.
    pub delay_optimizer: Adam,
    /// Spike-count regularisation.
    pub regularisation: Option<Regularisation>,
    /// Shuffle the training split each epoch.
    pub shuffle: bool,
    /// Stop after this many epochs without a better validation accuracy.
    pub patience: Option<u32>,
    /// Per-epoch augmentation of the training split (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<Augment>,
}

/// Per-epoch augmentation of the training split (runtime/src/augment.rs, docs/data.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    /// Shift every example's channels by a random integer in `[-shift, shift)` (0: no shift).
    pub shift_channels: u32,
    /// Blends of two same-class examples added per epoch (0: no blending); `None` with blending
    /// on: the paper's 7,644 per 8,156 training examples.
    pub blend_examples: Option<u64>,
    /// Blending is on.
    pub blend: bool,
}

/// Adam settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Learning rate (weights: per unit weight; delays: ms per step).
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub epsilon: f64,
    /// Learning-rate factor applied after each epoch.
    pub decay: f64,
    /// Start the learning rate at `start`, multiplying it by `factor` per batch until it reaches
    /// `lr`.
    pub ease_in: Option<EaseIn>,
}

/// A learning-rate ease-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EaseIn {
    /// First learning rate.
    pub start: f64,
    /// Growth per batch.
    pub factor: f64,
}

impl Adam {
    /// The learning rate of batch `batch` (counted from the start of training) in epoch `epoch`
    /// (from 0): the ease-in ramp, capped at `lr`, times `decay^epoch`.
    pub fn lr_at(&self, batch: u64, epoch: u32) -> f64 {
        let base = match &self.ease_in {
            Some(e) => (e.start * e.factor.powf(batch as f64)).min(self.lr),
            None => self.lr,
        };
        base * self.decay.powi(epoch as i32)
    }
}

/// Spike-count regularisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regularisation {
    /// Target spikes per neuron and trial.
    pub target_spikes: f64,
    /// Strength, in rgenn's units (the kick to `lambda_v` per unit of excess spikes).
    pub strength: f64,
    /// mlGeNN's `reg_lambda_upper` when the YAML gave `mlgenn_lambda:` (then `strength` is it
    /// times the readout population's `tau_mem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlgenn_lambda: Option<f64>,
}

impl Network {
    /// The population behind an id.
    pub fn pop(&self, id: PopId) -> &Population {
        &self.populations[id.0 as usize]
    }

    /// The connection behind an id.
    pub fn conn(&self, id: ConnId) -> &Connection {
        &self.connections[id.0 as usize]
    }

    /// The model of a population.
    pub fn model_of(&self, pop: &Population) -> &NeuronModel {
        &self.models[pop.model.0 as usize]
    }

    /// True when gradients can flow through every neuron population (each model has an
    /// `adjoint:`), so the simulator gets a backward pass.
    pub fn has_backward(&self) -> bool {
        self.populations.iter().all(|p| {
            let m = self.model_of(p);
            m.kind == ModelKind::SpikeSource || m.adjoint.is_some()
        })
    }

    /// Bytes of one float in this network's precision.
    pub fn scalar_bytes(&self) -> u64 {
        match self.precision {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }

    /// The IR as pretty JSON (what `rgenn generate --emit-ir` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the IR is plain data and always serialises")
    }

    /// Read an IR written by [`Network::to_json`] (by the same rgenn version).
    pub fn from_json(text: &str) -> Result<Network, serde_json::Error> {
        serde_json::from_str(text)
    }
}
