//! The network as the user wrote it: serde-free types mirroring the YAML, every value with its span.
//!
//! `parse` turns a YAML file into a [`Network`] (and each referenced neuron model file into a
//! [`NeuronModel`]), checking only shapes and types: that `size` is a whole number, that `readout`
//! is a known word. Meaning (does the target exist? is the delay within `max_delay`?) is checked
//! when the model is lowered to the IR (`crate::validate`).

pub mod constraints;
pub mod decode;
pub mod library;
pub mod network;
pub mod neuron;

use crate::span::{Span, Spanned};
use crate::yaml::Node;

pub use network::parse_network;
pub use neuron::{NeuronModel, parse_neuron_model};

/// Floating-point precision of the generated simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
}

/// A whole network file.
#[derive(Clone, Debug)]
pub struct Network {
    /// `name:`.
    pub name: Spanned<String>,
    /// `dt:` in ms.
    pub dt_ms: Spanned<f64>,
    /// `duration:` in ms; absent: taken from the data (`validate/duration.rs`).
    pub duration_ms: Option<Spanned<f64>>,
    /// `precision:`, f32 when absent.
    pub precision: Spanned<Precision>,
    /// `batch_size:`, 1 when absent.
    pub batch_size: Spanned<i64>,
    /// `lane_group:`, 1 when absent.
    pub lane_group: Spanned<i64>,
    /// `seed:`, 0 when absent.
    pub seed: Spanned<i64>,
    /// `populations:` in file order.
    pub populations: Vec<Population>,
    /// `connections:` in file order.
    pub connections: Vec<Connection>,
    /// `data:`.
    pub data: Option<Data>,
    /// `training:`.
    pub training: Option<Training>,
    /// The whole document.
    pub span: Span,
}

/// One entry of `populations:`.
#[derive(Clone, Debug)]
pub struct Population {
    /// Its key.
    pub name: Spanned<String>,
    /// `size:`.
    pub size: Spanned<i64>,
    /// `model:`: a built-in name or a path to a model YAML relative to the network file.
    pub model: Spanned<String>,
    /// `params:` overrides, in file order.
    pub params: Vec<(Spanned<String>, Spanned<f64>)>,
    /// `readout:`.
    pub readout: Option<Spanned<Readout>>,
    /// `record:` variable names.
    pub record: Vec<Spanned<String>>,
    /// `spike_capacity:` spikes per neuron and trial kept for the adjoint pass (`None`: `auto`).
    pub spike_capacity: Option<Spanned<i64>>,
    /// The whole entry.
    pub span: Span,
}

/// How an output population's trace becomes one number per neuron.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readout {
    /// Sum of `v` over the trial.
    Sum,
    /// Mean of `v` over the trial.
    Mean,
    /// Mean of `exp(-t/T) v` over the trial.
    MeanExp,
    /// Maximum of `v` over the trial.
    Max,
    /// Time of the first spike.
    FirstSpike,
}

impl Readout {
    /// Every readout with its YAML spelling.
    pub const ALL: [(&'static str, Readout); 5] = [
        ("sum", Readout::Sum),
        ("mean", Readout::Mean),
        ("mean_exp", Readout::MeanExp),
        ("max", Readout::Max),
        ("first_spike", Readout::FirstSpike),
    ];

    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map(|(s, _)| *s)
            .expect("every readout is listed in ALL")
    }
}

/// One entry of `connections:`.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Its key.
    pub name: Spanned<String>,
    /// `source:` population name.
    pub source: Spanned<String>,
    /// `target:` population name.
    pub target: Spanned<String>,
    /// `connectivity:`, dense when absent.
    pub connectivity: Spanned<Connectivity>,
    /// `weight:`.
    pub weight: Option<Spanned<Init>>,
    /// `delay:` in ms.
    pub delay: Option<Spanned<Init>>,
    /// `max_delay:` in ms.
    pub max_delay_ms: Option<Spanned<f64>>,
    /// `learn:`.
    pub learn: Vec<Spanned<Learn>>,
    /// The whole entry.
    pub span: Span,
}

/// Which pre/post pairs are connected.
#[derive(Clone, Debug, PartialEq)]
pub enum Connectivity {
    /// Every pair.
    Dense,
    /// `pre i -> post i`.
    OneToOne,
    /// Each pair independently with this probability.
    FixedProbability(Spanned<f64>),
}

/// How weights or delays start.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// The same value everywhere.
    Constant(f64),
    /// Values given in the YAML: a `[n_pre][n_post]` matrix for dense connections, a flat list
    /// in synapse order otherwise.
    Values {
        /// Row lengths as written (one row for a flat list).
        rows: Vec<usize>,
        /// All values, row after row.
        values: Vec<Spanned<f64>>,
    },
    /// Normally distributed.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: Spanned<f64>,
    },
    /// Uniform on `[min, max)`.
    Uniform {
        /// Lower bound.
        min: Spanned<f64>,
        /// Upper bound.
        max: Spanned<f64>,
    },
    /// Read from an `.npz` file (path relative to the network file).
    File {
        /// The path.
        path: Spanned<String>,
        /// The array name; `<conn>.weight` / `<conn>.delay` when absent.
        key: Option<String>,
    },
}

/// What a connection learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Learn {
    /// Synaptic weights.
    Weight,
    /// Synaptic delays.
    Delay,
}

/// `data:`.
#[derive(Clone, Debug)]
pub struct Data {
    /// Splits in file order: `train`, `validation`, `test`.
    pub splits: Vec<(Spanned<Split>, Spanned<DataSource>)>,
}

/// A dataset split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training examples.
    Train,
    /// Held-out examples for early stopping.
    Validation,
    /// Final evaluation examples.
    Test,
}

impl Split {
    /// The split's YAML key.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// Where a split's examples come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A built-in seeded generator.
    Generator {
        /// Its name.
        name: Spanned<String>,
        /// `trials:`, the generator's default when absent.
        trials: Option<Spanned<i64>>,
        /// `seed:`, derived from the network seed when absent.
        seed: Option<Spanned<i64>>,
    },
    /// A spike-dataset `.npz`.
    Npz(Spanned<String>),
    /// An SHD/SSC HDF5 file.
    Shd(Spanned<String>),
    /// `{held_out: FRACTION}`: a seeded random part of the training split (validation only).
    HeldOut {
        /// The fraction of the training examples held out, in (0, 1).
        fraction: Spanned<f64>,
        /// `seed:`, derived from the network seed when absent.
        seed: Option<Spanned<i64>>,
    },
    /// `{speaker_fold: K}`: leave-one-speaker-out fold `K` of the training split (validation
    /// only): every example of the `K`-th speaker, counted from 0 in increasing speaker id.
    SpeakerFold(Spanned<i64>),
}

/// `training:`.
#[derive(Clone, Debug)]
pub struct Training {
    /// `epochs:`.
    pub epochs: Spanned<i64>,
    /// `loss:`.
    pub loss: Spanned<Loss>,
    /// `optimizer.weight`.
    pub weight_optimizer: Option<Optimizer>,
    /// `optimizer.delay`.
    pub delay_optimizer: Option<Optimizer>,
    /// `regularisation:`.
    pub regularisation: Option<Regularisation>,
    /// `shuffle:` the training split each epoch (default true).
    pub shuffle: Option<Spanned<bool>>,
    /// `patience:` epochs without a better validation accuracy before stopping.
    pub patience: Option<Spanned<i64>>,
    /// `augment:` per-epoch augmentation of the training split.
    pub augment: Option<Augment>,
    /// The whole section.
    pub span: Span,
}

/// `training.augment:` (see docs/data.md).
#[derive(Clone, Debug)]
pub struct Augment {
    /// `shift: S`: shift each example's channels by a random integer in `[-S, S)`.
    pub shift: Option<Spanned<i64>>,
    /// `blend: true`: add blends of two same-class examples each epoch.
    pub blend: Option<Spanned<bool>>,
    /// `blend_examples: N`: how many blends per epoch.
    pub blend_examples: Option<Spanned<i64>>,
    /// The whole entry.
    pub span: Span,
}

/// A loss function over the readout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax cross-entropy against integer labels.
    SparseCategoricalCrossentropy,
    /// Mean squared error of the readout against a one-hot target.
    MeanSquaredError,
}

/// Adam settings.
#[derive(Clone, Debug)]
pub struct Optimizer {
    /// Learning rate.
    pub lr: Spanned<f64>,
    /// First-moment decay.
    pub beta1: Spanned<f64>,
    /// Second-moment decay.
    pub beta2: Spanned<f64>,
    /// Denominator guard.
    pub epsilon: Spanned<f64>,
    /// `decay:` learning-rate factor per epoch.
    pub decay: Spanned<f64>,
    /// `ease_in: {start, factor}`: the learning rate starts at `start` and grows by `factor` per
    /// batch until it reaches `lr`.
    pub ease_in: Option<(Spanned<f64>, Spanned<f64>)>,
}

/// Spike-count regularisation.
#[derive(Clone, Debug)]
pub struct Regularisation {
    /// Target spikes per neuron and trial.
    pub target_spikes: Spanned<f64>,
    /// Strength, in rgenn's units or (with `mlgenn_lambda`) in mlGeNN's.
    pub strength: Spanned<f64>,
    /// True when `strength` came from `mlgenn_lambda:` (mlGeNN's `reg_lambda_upper`), which
    /// lowering multiplies by the readout population's `tau_mem`.
    pub mlgenn_lambda: bool,
}

/// A code string from a model file with the node it came from (for error positions).
#[derive(Clone, Debug)]
pub struct CodeString {
    /// The code.
    pub text: String,
    /// The YAML scalar that holds it.
    pub node: Node,
}
