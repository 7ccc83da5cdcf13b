//! A population's adjoint (EventProp) code printed as C, and the buffers the reverse pass of a
//! population or connection touches, for the C-family backends.
//!
//! Input: the IR (a model's `adjoint:` section, already typed). Output: serialisable template
//! values. The printed code refers to the kernel locals both backends declare: `rgenn_j` (the
//! neuron), `rgenn_step`, `t`, `rgenn_readout_grad` and `rgenn_readout_step`. Nothing here decides
//! launch shapes or memory layout.

use serde::Serialize;

use super::{VarCtx, buffer_name, origin_text};
use crate::backend::c_print::{Names, Printer, literal};
use crate::backend::plan::Drive;
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Adjoint, Code, Expr, ModelKind, Network, Population, Precision};

/// One value recorded on the spike tape (or, for `history:`, at every step).
#[derive(Serialize, Clone, Debug)]
pub struct TapeValue {
    /// The name the jump (or reverse step) code reads it by.
    pub name: String,
    /// The tape (or history) buffer.
    pub buffer: String,
    /// The value, printed in forward scope (a tape's just before the reset, a history's after the
    /// step's arrivals).
    pub expr: String,
}

/// What a population's reverse kernels need, printed.
#[derive(Serialize, Clone, Debug, Default)]
pub struct AdjointCode {
    /// Adjoint variables and their buffers.
    pub vars: Vec<VarCtx>,
    /// The population has incoming connections, so gradient rings.
    pub has_ring: bool,
    /// Ring of `weight_grad` per step.
    pub weight_grad_ring: String,
    /// Ring of `delay_grad` per step.
    pub delay_grad_ring: String,
    /// The latest reversed step with a nonzero `weight_grad` or `delay_grad`
    /// (`plan::quiet`; the cpu and rust backends keep it).
    pub nonzero_grad_step: String,
    /// `weight_grad`, printed.
    pub weight_grad: String,
    /// `delay_grad`, printed.
    pub delay_grad: String,
    /// Origin of `weight_grad`.
    pub grad_origin: String,
    /// Origin of the adjoint `sim` code.
    pub sim_origin: String,
    /// One reverse step, one statement per line.
    pub sim: Vec<String>,
    /// Values recorded at every forward step `[n_steps][size]`, read by the reverse step.
    pub history: Vec<TapeValue>,
    /// The loss gradient fed into `sim` at each step (`0` without a readout).
    pub drive: String,
    /// The population spikes, so it has a tape and a jump.
    pub has_jump: bool,
    /// Tape entries per neuron.
    pub tape_capacity: u32,
    /// Spikes per neuron this trial.
    pub tape_count: String,
    /// Step of each tape entry.
    pub tape_step: String,
    /// Entries not yet replayed.
    pub tape_read: String,
    /// Values recorded at each spike.
    pub tape_values: Vec<TapeValue>,
    /// Neurons spiking in the reversed step.
    pub back_spikes: String,
    /// How many.
    pub back_spike_count: String,
    /// dL/d(spike time) gathered from outgoing synapses.
    pub dloss_dt: String,
    /// The spike-count regulariser's gradient per neuron (not per lane), set by the runtime.
    pub count_grad: String,
    /// What the readout adds to `dloss_dt` (` + ...` for `first_spike`, else empty).
    pub spike_loss: String,
    /// Origin of the jump code.
    pub jump_origin: String,
    /// The jump at a recorded spike, one statement per line.
    pub jump: Vec<String>,
    /// dL/d(readout), written by the runtime.
    pub readout_grad: String,
}

/// The buffers the reverse kernel of one connection touches.
#[derive(Serialize, Clone, Debug, Default)]
pub struct AdjointBuffers {
    /// Per-lane weight gradient.
    pub weight_grad: String,
    /// Per-lane delay gradient (per ms).
    pub delay_grad: String,
    /// The source is a spike source: its spikes come from the input arrays, and nothing gathers
    /// dL/d(spike time) for it.
    pub source_is_input: bool,
    /// Source neurons spiking in the reversed step.
    pub source_back_spikes: String,
    /// How many.
    pub source_back_spike_count: String,
    /// The source's dL/d(spike time).
    pub source_dloss_dt: String,
    /// The target's `weight_grad` ring.
    pub target_weight_grad_ring: String,
    /// The target's `delay_grad` ring.
    pub target_delay_grad_ring: String,
}

fn printer<'a>(
    precision: Precision,
    params: &'a [String],
    derived: &'a [String],
    vars: &'a [String],
    inputs: &'a [String],
    locals: &'a [String],
) -> Printer<'a> {
    Printer {
        precision,
        names: Names {
            params,
            derived,
            vars,
            inputs,
        },
        locals,
    }
}

/// The printed adjoint of population `index`, or `None` when its model has none (spike sources
/// and models without an `adjoint:` section).
pub fn adjoint_code(net: &Network, index: usize, pop: &Population) -> Option<AdjointCode> {
    let model = net.model_of(pop);
    let adjoint: &Adjoint = model.adjoint.as_ref()?;
    let owner = Owner::Population(index as u32);
    let p = net.precision;
    let (params, derived) = (&model.params[..], &model.derived[..]);
    let vars = &adjoint.vars[..];
    let jump_inputs = adjoint.jump_inputs();
    let sim_inputs = adjoint.sim_inputs();
    let plain = printer(p, params, derived, vars, &[], &[]);
    let buffer = |role| buffer_name(net, owner, role);
    let mut code = AdjointCode {
        vars: vars
            .iter()
            .enumerate()
            .map(|(i, v)| VarCtx {
                name: v.clone(),
                buffer: buffer(Role::AdjointVar(i as u32)),
            })
            .collect(),
        has_ring: pop.ring_len > 0,
        weight_grad_ring: buffer(Role::WeightGradRing),
        delay_grad_ring: buffer(Role::DelayGradRing),
        nonzero_grad_step: buffer(Role::NonzeroGradStep),
        weight_grad: plain.expr(&adjoint.weight_grad.code),
        delay_grad: plain.expr(&adjoint.delay_grad.code),
        grad_origin: origin_text(&adjoint.weight_grad.origin),
        sim_origin: origin_text(&adjoint.sim.origin),
        sim: printer(
            p,
            params,
            derived,
            vars,
            &sim_inputs,
            &adjoint.sim.code.locals,
        )
        .block(&adjoint.sim.code),
        drive: "0".to_string(),
        readout_grad: buffer(Role::ReadoutGrad),
        ..Default::default()
    };
    let forward = printer(p, params, derived, &model.vars, &[], &[]);
    // Values recorded in the forward pass (at spikes, or every step), each with its buffer.
    let recorded = |names: &[String], codes: &[Code<Expr>], role: fn(u32) -> Role| {
        names
            .iter()
            .zip(codes)
            .enumerate()
            .map(|(i, (name, c))| TapeValue {
                name: name.clone(),
                buffer: buffer(role(i as u32)),
                expr: forward.expr(&c.code),
            })
            .collect::<Vec<_>>()
    };
    code.history = recorded(&adjoint.history, &adjoint.history_code, Role::HistoryValue);
    if model.threshold.is_some() {
        code.has_jump = true;
        code.tape_capacity = pop.spike_capacity;
        code.tape_count = buffer(Role::TapeCount);
        code.tape_step = buffer(Role::TapeStep);
        code.tape_read = buffer(Role::TapeRead);
        code.back_spikes = buffer(Role::BackSpikes);
        code.back_spike_count = buffer(Role::BackSpikeCount);
        code.dloss_dt = buffer(Role::DlossDt);
        code.count_grad = buffer(Role::CountGrad);
        code.tape_values = recorded(&adjoint.tape, &adjoint.tape_code, Role::TapeValue);
        code.jump_origin = origin_text(&adjoint.jump.origin);
        code.jump = printer(
            p,
            params,
            derived,
            vars,
            &jump_inputs,
            &adjoint.jump.code.locals,
        )
        .block(&adjoint.jump.code);
    }
    let (drive, spike_loss) = readout_drive(net, crate::backend::plan::readout::drive(pop));
    code.drive = drive;
    code.spike_loss = spike_loss;
    Some(code)
}

/// How a readout's gradient enters the adjoint: `(drive of each reverse step, addition to
/// dloss_dt at a spike)`.
fn readout_drive(net: &Network, readout: Option<Drive>) -> (String, String) {
    let grad = "rgenn_readout_grad[rgenn_j]";
    let at_step = format!("(rgenn_step == rgenn_readout_step[rgenn_j] ? {grad} : 0)");
    let exp = match net.precision {
        Precision::F32 => "expf",
        Precision::F64 => "exp",
    };
    match readout {
        None => ("0".to_string(), String::new()),
        Some(Drive::Each) => (grad.to_string(), String::new()),
        Some(Drive::EachMean) => (
            format!("{grad} / static_cast<scalar>(N_STEPS)"),
            String::new(),
        ),
        Some(Drive::EachExpMean) => (
            format!(
                "{grad} * {exp}(-t / {}) / static_cast<scalar>(N_STEPS)",
                literal(net.duration_ms, net.precision)
            ),
            String::new(),
        ),
        Some(Drive::AtStep) => (at_step, String::new()),
        Some(Drive::SpikeTimeAtStep) => ("0".to_string(), format!(" + {at_step}")),
    }
}

/// The reverse-pass buffers of connection `index`.
pub fn conn_buffers(net: &Network, index: usize) -> AdjointBuffers {
    let c = &net.connections[index];
    let owner = Owner::Connection(index as u32);
    let src = Owner::Population(c.source.0);
    let tgt = Owner::Population(c.target.0);
    AdjointBuffers {
        weight_grad: buffer_name(net, owner, Role::WeightGrad),
        delay_grad: buffer_name(net, owner, Role::DelayGrad),
        source_is_input: net.model_of(net.pop(c.source)).kind == ModelKind::SpikeSource,
        source_back_spikes: buffer_name(net, src, Role::BackSpikes),
        source_back_spike_count: buffer_name(net, src, Role::BackSpikeCount),
        source_dloss_dt: buffer_name(net, src, Role::DlossDt),
        target_weight_grad_ring: buffer_name(net, tgt, Role::WeightGradRing),
        target_delay_grad_ring: buffer_name(net, tgt, Role::DelayGradRing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(output: &str) -> Network {
        let text = format!(
            "name: n\ndt: 1.0\nduration: 5.0\nprecision: f32\nbatch_size: 1\n\
            populations:\n  a: {{size: 3, model: spike_input}}\n  \
            h: {{size: 4, model: lif}}\n  o: {output}\n\
            connections:\n  ah: {{source: a, target: h, weight: 1.0}}\n  \
            ho: {{source: h, target: o, weight: 1.0}}\n"
        );
        crate::test_network(&text)
    }

    #[test]
    fn spiking_populations_get_a_tape_and_a_jump() {
        let net = net("{size: 2, model: li, readout: mean}");
        assert!(adjoint_code(&net, 0, &net.populations[0]).is_none());
        let h = adjoint_code(&net, 1, &net.populations[1]).expect("lif has an adjoint");
        assert!(h.has_jump && h.has_ring);
        assert_eq!(h.tape_values.len(), 1);
        assert_eq!(h.tape_values[0].buffer, "pop_h_tape_i_minus_v");
        assert_eq!(h.count_grad, "pop_h_count_grad");
        assert_eq!(h.drive, "0");
        let o = adjoint_code(&net, 2, &net.populations[2]).expect("li has an adjoint");
        assert!(!o.has_jump);
        assert_eq!(
            o.drive,
            "rgenn_readout_grad[rgenn_j] / static_cast<scalar>(N_STEPS)"
        );
    }

    #[test]
    fn first_spike_readouts_feed_the_jump_and_inputs_gather_nothing() {
        let net = net("{size: 2, model: lif, readout: first_spike}");
        let o = adjoint_code(&net, 2, &net.populations[2]).expect("lif has an adjoint");
        assert_eq!(o.drive, "0");
        assert!(
            o.spike_loss
                .starts_with(" + (rgenn_step == rgenn_readout_step")
        );
        assert!(conn_buffers(&net, 0).source_is_input);
        let ho = conn_buffers(&net, 1);
        assert!(!ho.source_is_input);
        assert_eq!(ho.source_dloss_dt, "pop_h_dloss_dt");
        assert_eq!(ho.target_weight_grad_ring, "pop_o_weight_grad_ring");
    }
}
