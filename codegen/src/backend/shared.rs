//! Helpers the C-family backends can share: buffer lookup by owner and role, C element types,
//! role descriptions, the value a batched buffer is reset to, and a population's model code printed
//! as C with its origins (its adjoint code: [`adjoint`]).
//!
//! Input: the IR. Output: plain strings and serialisable values for template contexts. Nothing
//! here is specific to one backend's template, and nothing computes semantics the IR did not fix.

pub mod adjoint;

use serde::Serialize;

use crate::backend::c_print::{Names, Printer, literal};
use crate::backend::plan::reset::ResetValue;
use crate::backend::plan::{self, Accumulate, Delivery, Fanout, ReadoutPlan, Update};
use crate::ir::buffers::{Buffer, Elem, Owner, Role};
use crate::ir::{ModelKind, Network, Origin, Population, Precision};

/// The C type of a buffer element (`scalar` is the generated file's float typedef).
pub fn ctype(elem: Elem) -> &'static str {
    match elem {
        Elem::Scalar => "scalar",
        Elem::U32 => "uint32_t",
        Elem::U16 => "uint16_t",
    }
}

pub use crate::backend::plan::buffer_name;

/// `file:line:column`, or `(none)` for code the model left empty.
pub fn origin_text(o: &Option<Origin>) -> String {
    o.as_ref()
        .map_or_else(|| "(none)".to_string(), |o| o.to_string())
}

/// A short description of what a buffer holds, for comments.
/// How many copies of `b` there are, for the comment after its description: ", per lane",
/// ", per lane group" (gradients with `lane_group` above 1) or nothing.
pub fn copies_note(net: &crate::ir::Network, b: &crate::ir::Buffer) -> &'static str {
    match (b.batched, b.role.per_lane_group() && net.lane_group > 1) {
        (false, _) => "",
        (true, true) => ", per lane group",
        (true, false) => ", per lane",
    }
}

// The `_` arm covers roles added to the IR later, so that they do not break the build; the
// `allow` keeps it quiet while every role is matched explicitly.
#[allow(unreachable_patterns)]
pub fn describe(role: Role) -> &'static str {
    match role {
        Role::Var(_) => "state variable",
        Role::Ring => "delay ring [ring_len][size]",
        Role::SpikeCount => "spikes emitted in the current step",
        Role::Spikes => "neurons that spiked in the current step",
        Role::Readout => "readout accumulator",
        Role::ReadoutStep => "step of the readout's maximum or first spike",
        Role::Weight => "weights in synapse order",
        Role::DelayMs => "learned delays (ms)",
        Role::DelaySteps => "delays in steps",
        Role::RowStart => "CSR row starts",
        Role::PostIndex => "CSR postsynaptic indices",
        Role::AdjointVar(_) => "adjoint variable",
        Role::WeightGradRing => "weight_grad per step [ring_len][size]",
        Role::DelayGradRing => "delay_grad per step [ring_len][size]",
        Role::NonzeroGradStep => "latest reversed step with a nonzero weight_grad or delay_grad",
        Role::TapeCount => "spikes this trial, per neuron",
        Role::TapeStep => "spike tape: steps [size][capacity]",
        Role::TapeValue(_) => "spike tape: values [size][capacity]",
        Role::TapeRead => "tape entries not yet replayed",
        Role::HistoryValue(_) => "history: a value at every step [n_steps][size]",
        Role::BackSpikeCount => "neurons spiking in the reversed step",
        Role::BackSpikes => "which neurons spike in the reversed step",
        Role::DlossDt => "dL/d(spike time) gathered from synapses",
        Role::ReadoutGrad => "dL/d(readout), set by the runtime",
        Role::WeightGrad => "weight gradient",
        Role::DelayGrad => "delay gradient (per ms)",
        Role::CountGrad => "spike-count regulariser gradient per neuron, set by the runtime",
        Role::WeightAdamM => "Adam first moment of the weights",
        Role::WeightAdamV => "Adam second moment of the weights",
        Role::DelayAdamM => "Adam first moment of the delays",
        Role::DelayAdamV => "Adam second moment of the delays",
        _ => "(see the IR)",
    }
}

/// The value every element of one lane of `b` takes at the start of a trial, printed as C, or
/// `None` when the buffer is left alone (see [`plan::reset::value`]).
pub fn reset_value(net: &Network, b: &Buffer) -> Option<String> {
    Some(match plan::reset::value(net, b)? {
        ResetValue::Zero if b.role == Role::Readout => literal(0.0, net.precision),
        ResetValue::Zero => "0".to_string(),
        ResetValue::Init(v) => literal(v, net.precision),
        ResetValue::NegInfinity => "-INFINITY".to_string(),
        ResetValue::Infinity => "INFINITY".to_string(),
        ResetValue::NoStep => "UINT32_MAX".to_string(),
    })
}

/// What every C-family template knows of the network as a whole.
#[derive(Serialize, Clone, Debug)]
pub struct Header {
    /// The network file.
    pub source: String,
    /// The network's name.
    pub name: String,
    /// Its name in capitals (the prefix of its constants).
    pub upper_name: String,
    /// Time step in ms.
    pub dt_ms: f64,
    /// Time step as a literal.
    pub dt: String,
    /// Steps per trial.
    pub n_steps: u32,
    /// `f32` or `f64`.
    pub precision: &'static str,
    /// Batch lanes.
    pub batch_size: u32,
    /// Lanes per gradient buffer (`Network::lane_group`).
    pub lane_group: u32,
    /// The C float type.
    pub scalar: &'static str,
    /// [`crate::backend::ABI_VERSION`].
    pub abi_version: u32,
    /// The build-cache key.
    pub cache_key: String,
    /// [`plan::consts::FLAG_CHUNK`].
    pub flag_chunk: u32,
    /// [`plan::consts::OPTIMIZER_BLOCK`].
    pub optimizer_block: u32,
    /// The C status codes by name ([`plan::status::ALL`]).
    pub status: std::collections::BTreeMap<&'static str, i32>,
}

/// The header of `net` carrying `cache_key`.
pub fn header(net: &Network, cache_key: &str) -> Header {
    let p = net.precision;
    Header {
        source: net.origin.file.clone(),
        name: net.name.clone(),
        upper_name: net.name.to_uppercase(),
        dt_ms: net.dt_ms,
        dt: literal(net.dt_ms, p),
        n_steps: net.n_steps,
        precision: match p {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        },
        batch_size: net.batch_size,
        lane_group: net.lane_group,
        scalar: crate::backend::c_print::scalar_type(p),
        abi_version: crate::backend::ABI_VERSION,
        cache_key: cache_key.to_string(),
        flag_chunk: plan::consts::FLAG_CHUNK,
        optimizer_block: plan::consts::OPTIMIZER_BLOCK,
        status: plan::status::ALL.into_iter().collect(),
    }
}

/// A named compile-time value of a model (param or derived param), printed.
#[derive(Serialize, Clone, Debug)]
pub struct ConstCtx {
    /// The name the code uses.
    pub name: String,
    /// The value as a literal.
    pub value: String,
}

/// A state variable and the buffer holding it.
#[derive(Serialize, Clone, Debug)]
pub struct VarCtx {
    /// The name the code uses.
    pub name: String,
    /// The buffer.
    pub buffer: String,
}

/// A neuron population's model code, printed as C, with where each piece was written.
#[derive(Serialize, Clone, Debug, Default)]
pub struct ModelCode {
    /// Params then derived params.
    pub constants: Vec<ConstCtx>,
    /// State variables.
    pub vars: Vec<VarCtx>,
    /// The variable incoming spikes add to.
    pub input_var: String,
    /// The variable readouts read.
    pub readout_var: String,
    /// Origin of the update code.
    pub sim_origin: String,
    /// Update code, one statement per line.
    pub sim: Vec<String>,
    /// Origin of the spike condition.
    pub threshold_origin: String,
    /// Spike condition (empty for non-spiking models).
    pub threshold: String,
    /// Origin of the reset code.
    pub reset_origin: String,
    /// Reset code, one statement per line.
    pub reset: Vec<String>,
}

/// A backend's population contexts: all of them, the spike sources, the neuron populations (each
/// in network order).
#[derive(Serialize, Clone, Debug)]
pub struct Pops<P> {
    /// Every population.
    pub populations: Vec<P>,
    /// Spike sources ([`Update::Source`]).
    pub sources: Vec<P>,
    /// Neuron populations.
    pub neurons: Vec<P>,
}

/// The context `ctx` builds for each population of `net`, split into sources and neurons.
pub fn pops<P: Clone>(net: &Network, ctx: impl Fn(usize, &Population) -> P) -> Pops<P> {
    let populations: Vec<P> = net
        .populations
        .iter()
        .enumerate()
        .map(|(i, pop)| ctx(i, pop))
        .collect();
    let (mut sources, mut neurons) = (Vec::new(), Vec::new());
    for (c, pop) in populations.iter().zip(&net.populations) {
        if Update::of(net, pop) == Update::Source {
            sources.push(c.clone());
        } else {
            neurons.push(c.clone());
        }
    }
    Pops {
        populations,
        sources,
        neurons,
    }
}

/// What every C-family template knows of a population: its names, buffers, update strategy,
/// model code and readout code.
#[derive(Serialize, Clone, Debug, Default)]
pub struct PopCommon {
    /// Index in the network.
    pub index: usize,
    /// The population's name.
    pub name: String,
    /// Its name in capitals (its constants' prefix).
    pub upper: String,
    /// Its model's name.
    pub model: String,
    /// Where it was declared.
    pub origin: String,
    /// Neurons.
    pub size: u32,
    /// It has a delay ring (something connects to it).
    pub has_ring: bool,
    /// Ring slots.
    pub ring_len: u32,
    /// The ring buffer.
    pub ring: String,
    /// It emits spikes.
    pub spiking: bool,
    /// How it is updated ([`Update`]).
    pub update: Option<Update>,
    /// Its spike list.
    pub spikes: String,
    /// Its spike count.
    pub spike_count: String,
    /// It has a readout.
    pub has_readout: bool,
    /// The readout accumulator.
    pub readout: String,
    /// The readout's step buffer (max, first spike).
    pub readout_step: String,
    /// Its model code (empty for spike sources).
    #[serde(flatten)]
    pub code: ModelCode,
    /// Readout lines run every step.
    pub readout_each_step: Vec<String>,
    /// Readout lines run at a spike.
    pub readout_on_spike: Vec<String>,
}

/// What every C-family template knows of population `index`.
pub fn pop_common(net: &Network, index: usize, pop: &Population) -> PopCommon {
    let model = net.model_of(pop);
    let owner = Owner::Population(index as u32);
    let code = model_code(net, index, pop);
    let (readout_each_step, readout_on_spike) = readout_code(net, pop, &code.readout_var);
    PopCommon {
        index,
        name: pop.name.clone(),
        upper: pop.name.to_uppercase(),
        model: model.name.clone(),
        origin: pop.origin.to_string(),
        size: pop.size,
        has_ring: pop.ring_len > 0,
        ring_len: pop.ring_len,
        ring: buffer_name(net, owner, Role::Ring),
        spiking: model.is_spiking(),
        update: Some(Update::of(net, pop)),
        spikes: buffer_name(net, owner, Role::Spikes),
        spike_count: buffer_name(net, owner, Role::SpikeCount),
        has_readout: pop.readout.is_some(),
        readout: buffer_name(net, owner, Role::Readout),
        readout_step: buffer_name(net, owner, Role::ReadoutStep),
        code,
        readout_each_step,
        readout_on_spike,
    }
}

/// The printed code of population `index`; empty for spike sources, which run no model code.
pub fn model_code(net: &Network, index: usize, pop: &Population) -> ModelCode {
    let model = net.model_of(pop);
    if model.kind == ModelKind::SpikeSource {
        return ModelCode::default();
    }
    let p = net.precision;
    let owner = Owner::Population(index as u32);
    let printer = Printer {
        precision: p,
        names: Names {
            params: &model.params,
            derived: &model.derived,
            vars: &model.vars,
            inputs: &[],
        },
        locals: &model.sim.code.locals,
    };
    let sim = printer.block(&model.sim.code);
    let threshold = model
        .threshold
        .as_ref()
        .map(|th| printer.expr(&th.code))
        .unwrap_or_default();
    let reset_printer = Printer {
        locals: &model.reset.code.locals,
        ..printer
    };
    let var_name = |v: Option<crate::ir::VarId>| {
        v.map(|v| model.vars[v.0 as usize].clone())
            .unwrap_or_default()
    };
    ModelCode {
        constants: model
            .params
            .iter()
            .zip(&pop.params)
            .chain(model.derived.iter().zip(&pop.derived))
            .map(|(n, v)| ConstCtx {
                name: n.clone(),
                value: literal(*v, p),
            })
            .collect(),
        vars: model
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| VarCtx {
                name: v.clone(),
                buffer: buffer_name(net, owner, Role::Var(i as u32)),
            })
            .collect(),
        input_var: var_name(model.input_var),
        readout_var: var_name(model.readout_var),
        sim_origin: origin_text(&model.sim.origin),
        sim,
        threshold_origin: model
            .threshold
            .as_ref()
            .map(|th| origin_text(&th.origin))
            .unwrap_or_default(),
        threshold,
        reset_origin: origin_text(&model.reset.origin),
        reset: reset_printer.block(&model.reset.code),
    }
}

/// The readout lines of population `pop` reading `var`: `(every step, on a spike)`; both empty
/// without a readout.
pub fn readout_code(net: &Network, pop: &Population, var: &str) -> (Vec<String>, Vec<String>) {
    let Some(r) = ReadoutPlan::of_pop(pop) else {
        return (Vec::new(), Vec::new());
    };
    let p = net.precision;
    let acc = "rgenn_readout[rgenn_j]";
    let exp = match p {
        Precision::F32 => "expf",
        Precision::F64 => "exp",
    };
    let step = "rgenn_readout_step[rgenn_j] = rgenn_step;";
    match r.accumulate {
        Accumulate::Sum => (vec![format!("{acc} += {var};")], vec![]),
        Accumulate::ExpWeightedSum => (
            vec![format!(
                "{acc} += {exp}(-t / {}) * {var};",
                literal(net.duration_ms, p)
            )],
            vec![],
        ),
        Accumulate::Max => (
            vec![format!("if ({var} > {acc}) {{ {acc} = {var}; {step} }}")],
            vec![],
        ),
        Accumulate::FirstSpike => (
            vec![],
            vec![format!("if (std::isinf({acc})) {{ {acc} = t; {step} }}")],
        ),
    }
}

/// What every C-family template knows of a connection: its names, kind and delays, and the
/// buffers of its source, target and synapses.
#[derive(Serialize, Clone, Debug, Default)]
pub struct ConnCommon {
    /// The connection's name.
    pub name: String,
    /// Source population.
    pub source: String,
    /// Target population.
    pub target: String,
    /// `dense`, `one-to-one` or `fixed probability P`, for comments.
    pub kind: String,
    /// The delays, for comments.
    pub delay_note: String,
    /// Where the connection was declared.
    pub origin: String,
    /// Source population in capitals (its size constant's prefix).
    pub source_upper: String,
    /// The source's spike list and count.
    pub source_spikes: String,
    /// The source's spike count.
    pub source_spike_count: String,
    /// Target population in capitals.
    pub target_upper: String,
    /// The target's delay ring.
    pub target_ring: String,
    /// Dense connectivity.
    pub dense: bool,
    /// One-to-one connectivity.
    pub one_to_one: bool,
    /// Delays per synapse (else one delay for all, `delay_steps`).
    pub per_synapse_delay: bool,
    /// The one delay in steps (uniform delays).
    pub delay_steps: u32,
    /// C type of the step delays.
    pub delay_type: &'static str,
    /// Weight buffer.
    pub weight: String,
    /// Step-delay buffer (per-synapse delays).
    pub delay_steps_buffer: String,
    /// CSR row starts (fixed-probability connectivity).
    pub row_start: String,
    /// CSR postsynaptic indices.
    pub post_index: String,
    /// Synapses.
    pub n_synapses: u64,
}

/// What every C-family template knows of connection `index`.
pub fn conn_common(net: &Network, index: usize) -> ConnCommon {
    let c = &net.connections[index];
    let owner = Owner::Connection(index as u32);
    let (src, tgt) = (net.pop(c.source), net.pop(c.target));
    let src_owner = Owner::Population(c.source.0);
    let delivery = Delivery::of(net, c);
    let delay_elem = plan::buffer(net, owner, Role::DelaySteps).map(|b| b.elem);
    ConnCommon {
        name: c.name.clone(),
        source: src.name.clone(),
        target: tgt.name.clone(),
        kind: plan::delivery::kind_note(c),
        delay_note: delivery.delay_note(),
        origin: c.origin.to_string(),
        source_upper: src.name.to_uppercase(),
        source_spikes: buffer_name(net, src_owner, Role::Spikes),
        source_spike_count: buffer_name(net, src_owner, Role::SpikeCount),
        target_upper: tgt.name.to_uppercase(),
        target_ring: buffer_name(net, Owner::Population(c.target.0), Role::Ring),
        dense: delivery.fanout == Fanout::Dense,
        one_to_one: delivery.fanout == Fanout::OneToOne,
        per_synapse_delay: delivery.per_synapse_delay(),
        delay_steps: delivery.fixed_steps(),
        delay_type: delay_elem.map_or("uint16_t", ctype),
        weight: buffer_name(net, owner, Role::Weight),
        delay_steps_buffer: buffer_name(net, owner, Role::DelaySteps),
        row_start: buffer_name(net, owner, Role::RowStart),
        post_index: buffer_name(net, owner, Role::PostIndex),
        n_synapses: c.n_synapses,
    }
}

/// A per-lane buffer set to `value` at the start of a trial (or of a lane's backward pass).
#[derive(Serialize, Clone, Debug)]
pub struct ResetCtx {
    /// The buffer.
    pub buffer: String,
    /// Its C element type.
    pub ctype: &'static str,
    /// Elements per lane.
    pub len: u64,
    /// The value, printed.
    pub value: String,
    /// A gradient training never reads (`plan::reset::training_skips`).
    pub training_skips: bool,
}

/// A readout accumulator divided by the number of steps when a trial ends (`mean`, `mean_exp`).
#[derive(Serialize, Clone, Debug)]
pub struct FinishCtx {
    /// The readout buffer.
    pub buffer: String,
    /// Its population in capitals.
    pub upper: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network {
        let text = "name: n\ndt: 1.0\nduration: 5.0\nprecision: f64\nbatch_size: 2\n\
            populations:\n  a: {size: 3, model: spike_input}\n  \
            b: {size: 2, model: li, readout: max}\n\
            connections:\n  ab: {source: a, target: b, weight: 1.0}\n";
        crate::test_network(text)
    }

    #[test]
    fn batched_state_resets_to_initial_values_and_parameters_are_kept() {
        let net = net();
        let value = |name: &str| {
            let b = net.buffers.iter().find(|b| b.name == name).unwrap();
            reset_value(&net, b)
        };
        assert_eq!(value("pop_b_v").as_deref(), Some("0.0"));
        assert_eq!(value("pop_b_readout").as_deref(), Some("-INFINITY"));
        assert_eq!(value("pop_b_readout_step").as_deref(), Some("UINT32_MAX"));
        assert_eq!(value("pop_b_ring").as_deref(), Some("0"));
        assert_eq!(value("pop_a_spikes"), None);
        assert_eq!(value("conn_ab_weight"), None);
        // As on the CPU: per-lane gradients start each trial at zero, readout gradients are the
        // runtime's.
        assert_eq!(value("conn_ab_weight_grad").as_deref(), Some("0"));
        assert_eq!(value("conn_ab_delay_grad").as_deref(), Some("0"));
        assert_eq!(value("pop_b_lambda_v").as_deref(), Some("0"));
        assert_eq!(value("pop_b_readout_grad"), None);
    }

    #[test]
    fn spike_sources_run_no_model_code() {
        let net = net();
        assert!(model_code(&net, 0, &net.populations[0]).sim.is_empty());
        let li = model_code(&net, 1, &net.populations[1]);
        assert_eq!(li.input_var, "i");
        assert_eq!(li.readout_var, "v");
        assert!(li.threshold.is_empty());
    }
}
