//! Decode a neuron-model YAML file (built-in or the user's own) into [`NeuronModel`].
//!
//! A model declares its params (with defaults), derived params and state variables (as code
//! expressions), the variable incoming synapses add to, and its `sim`, `threshold` and `reset`
//! code strings. Code strings are kept as text with their YAML node; `crate::expr` parses and
//! checks them when the network is lowered.

use super::decode::{self, MapReader, keyword, list, named_entries};
use super::{CodeString, Readout};
use crate::diag::{Diagnostic, Diagnostics};
use crate::span::{SourceId, Spanned};
use crate::yaml::Node;

const MODEL_KEYS: &[&str] = &[
    "name",
    "description",
    "kind",
    "params",
    "constraints",
    "derived",
    "vars",
    "input",
    "sim",
    "threshold",
    "reset",
    "readouts",
    "readout_var",
    "adjoint",
    "ode",
    "jump",
];

const ADJOINT_KEYS: &[&str] = &[
    "vars",
    "tape",
    "history",
    "jump",
    "sim",
    "weight_grad",
    "delay_grad",
];

/// What a model's neurons do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// A neuron with state, update code and (optionally) a threshold.
    Neuron,
    /// Emits the spikes of the dataset; has no state.
    SpikeSource,
}

/// A neuron model as written in its YAML file.
#[derive(Clone, Debug)]
pub struct NeuronModel {
    /// The file it came from.
    pub source: SourceId,
    /// `name:`.
    pub name: Spanned<String>,
    /// `kind:`.
    pub kind: ModelKind,
    /// `params:` with their defaults (`None`: the network must set it).
    pub params: Vec<(Spanned<String>, Option<Spanned<f64>>)>,
    /// The params' `range:`s and the model's `constraints:` (`super::constraints`).
    pub valid: super::constraints::Valid,
    /// `derived:` params computed from params and `dt`.
    pub derived: Vec<(Spanned<String>, CodeString)>,
    /// `vars:` with their initial-value expressions.
    pub vars: Vec<(Spanned<String>, CodeString)>,
    /// `input:` the variable that incoming spikes add to.
    pub input: Option<Spanned<String>>,
    /// `sim:` statements run every step.
    pub sim: Option<CodeString>,
    /// `threshold:` condition for a spike.
    pub threshold: Option<CodeString>,
    /// `reset:` statements run after a spike.
    pub reset: Option<CodeString>,
    /// `readouts:` the readouts this model supports.
    pub readouts: Vec<Spanned<Readout>>,
    /// `readout_var:` the variable that value readouts read.
    pub readout_var: Option<Spanned<String>>,
    /// `adjoint:` the model's EventProp adjoint, if it can be trained through.
    pub adjoint: Option<AdjointModel>,
    /// `ode:` the model written as ODEs; `sim`, `threshold` and `reset` are then derived.
    pub ode: Option<OdeSection>,
}

/// The ODE form of a model: equations, a threshold function and a reset, as written.
#[derive(Clone, Debug)]
pub struct OdeSection {
    /// The `ode:` mapping.
    pub node: Node,
    /// `d(var)/dt` per variable, in file order.
    pub equations: Vec<(Spanned<String>, CodeString)>,
    /// `threshold:` a function that a spike crosses upwards.
    pub threshold: Option<CodeString>,
    /// `reset:` new values per variable.
    pub reset: Vec<(Spanned<String>, CodeString)>,
    /// `jump:` what an arriving spike of weight `w` does, per variable (instead of `input:`).
    pub jump: Vec<(Spanned<String>, CodeString)>,
}

/// The `adjoint:` section of a model: how the loss gradient flows backwards through its neurons.
///
/// Adjoint variables start at zero at the end of the trial. `sim` runs once per step in reverse
/// time and may read `drive` (the loss gradient with respect to the readout variable's value after
/// the step); `jump` runs at each recorded spike before `sim` and may read the tape values,
/// `dloss_dt` (the loss gradient with respect to the spike's time, through every outgoing synapse
/// and the readout) and `count_grad` (the spike-count regulariser's gradient with respect to the
/// neuron's spike count over the batch). `history` values are recorded at every step (forward
/// scope, after the step's arrivals and before its update) and `sim` reads them as the values of
/// the step it reverses: the forward state a nonlinear model's adjoint needs. `weight_grad` is what one arrival of an incoming spike adds to its synapse's
/// weight gradient; `delay_grad` is the loss gradient with respect to the arrival time per unit
/// weight (ms^-1), used both for the delay gradient and for the presynaptic neuron's `dloss_dt`.
#[derive(Clone, Debug)]
pub struct AdjointModel {
    /// `vars:` adjoint variable names.
    pub vars: Vec<Spanned<String>>,
    /// `tape:` values recorded at each spike (forward scope), by name.
    pub tape: Vec<(Spanned<String>, CodeString)>,
    /// `history:` values recorded at every step (forward scope), by name.
    pub history: Vec<(Spanned<String>, CodeString)>,
    /// `jump:` statements at a recorded spike.
    pub jump: Option<CodeString>,
    /// `sim:` statements of one reverse step.
    pub sim: Option<CodeString>,
    /// `weight_grad:` per arrival.
    pub weight_grad: Option<CodeString>,
    /// `delay_grad:` per arrival and unit weight.
    pub delay_grad: Option<CodeString>,
    /// The `adjoint` key.
    pub span: crate::span::Span,
}

/// Decode the root node of a model file.
pub fn parse_neuron_model(
    root: &Node,
    source: SourceId,
    diags: &mut Diagnostics,
) -> Option<NeuronModel> {
    let before = diags.items.len();
    let mut map = MapReader::new(root, "the neuron model", diags)?;
    let name = map
        .required("name", diags)
        .and_then(|n| decode::name(n, "model", diags));
    if let Some(d) = map.get("description") {
        decode::string(d, diags);
    }
    let kind = match map.get("kind") {
        Some(n) => keyword(
            n,
            "model kind",
            &[
                ("neuron", ModelKind::Neuron),
                ("spike_source", ModelKind::SpikeSource),
            ],
            diags,
        )
        .map(|k| k.value),
        None => Some(ModelKind::Neuron),
    };
    let (params, valid) =
        super::constraints::decode(map.get("params"), map.get("constraints"), diags);
    let derived = map
        .get("derived")
        .map_or_else(Vec::new, |n| code_entries(n, diags));
    let vars = map
        .get("vars")
        .map_or_else(Vec::new, |n| code_entries(n, diags));
    let input = map
        .get("input")
        .and_then(|n| decode::name(n, "variable", diags));
    let sim = map.get("sim").and_then(|n| code(n, diags));
    let ode_node = map.get("ode");
    let threshold = map.get("threshold").and_then(|n| code(n, diags));
    let (reset, ode) = match ode_node {
        Some(node) => {
            let reset = map
                .get("reset")
                .map_or_else(Vec::new, |n| code_entries(n, diags));
            let jump = map
                .get("jump")
                .map_or_else(Vec::new, |n| code_entries(n, diags));
            let section = OdeSection {
                node: node.clone(),
                equations: code_entries(node, diags),
                threshold: threshold.clone(),
                reset,
                jump,
            };
            (None, Some(section))
        }
        None => {
            if let Some(j) = map.get("jump") {
                diags.push(
                    Diagnostic::new(
                        "rgenn::model::jump_without_ode",
                        j.span,
                        "`jump:` says what an arriving spike does in a model written with `ode:`",
                    )
                    .help("models with `sim:` name the variable arrivals add to with `input:`"),
                );
            }
            (map.get("reset").and_then(|n| code(n, diags)), None)
        }
    };
    let threshold = if ode.is_some() { None } else { threshold };
    let readouts = match map.get("readouts") {
        Some(n) => list(n, "readouts", diags)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| keyword(n, "readout", &Readout::ALL, diags))
            .collect(),
        None => Vec::new(),
    };
    let readout_var = map
        .get("readout_var")
        .and_then(|n| decode::name(n, "variable", diags));
    let adjoint = map
        .get_entry("adjoint")
        .and_then(|(key, node)| parse_adjoint(key, node, diags));
    map.finish(MODEL_KEYS, diags);
    if diags.items.len() > before {
        return None;
    }
    Some(NeuronModel {
        source,
        name: name?,
        kind: kind?,
        params,
        valid,
        derived,
        vars,
        input,
        sim,
        threshold,
        reset,
        readouts,
        readout_var,
        adjoint,
        ode,
    })
}

/// A mapping of variable names to code strings.
fn code_entries(node: &Node, diags: &mut Diagnostics) -> Vec<(Spanned<String>, CodeString)> {
    named_entries(node, "variable", diags)
        .into_iter()
        .filter_map(|(k, v)| Some((k, code(v, diags)?)))
        .collect()
}

fn parse_adjoint(key: &Node, node: &Node, diags: &mut Diagnostics) -> Option<AdjointModel> {
    let mut map = MapReader::new(node, "the adjoint section", diags)?;
    let vars = match map.get("vars") {
        Some(n) => list(n, "adjoint variable names", diags)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| decode::name(n, "variable", diags))
            .collect(),
        None => Vec::new(),
    };
    let mut entries = |key: &str, what: &'static str| match map.get(key) {
        Some(n) => named_entries(n, what, diags)
            .into_iter()
            .filter_map(|(k, v)| Some((k, code(v, diags)?)))
            .collect(),
        None => Vec::new(),
    };
    let tape = entries("tape", "tape value");
    let history = entries("history", "history value");
    let mut field = |k: &str| map.get(k).and_then(|n| code(n, diags));
    let jump = field("jump");
    let sim = field("sim");
    let weight_grad = field("weight_grad");
    let delay_grad = field("delay_grad");
    map.finish(ADJOINT_KEYS, diags);
    Some(AdjointModel {
        vars,
        tape,
        history,
        jump,
        sim,
        weight_grad,
        delay_grad,
        span: key.span,
    })
}

fn code(node: &Node, diags: &mut Diagnostics) -> Option<CodeString> {
    let text = decode::string(node, diags)?;
    Some(CodeString {
        text: text.value,
        node: node.clone(),
    })
}
