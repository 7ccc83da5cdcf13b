//! Template context of the adjoint (EventProp) pass of the CPU backend: per population the
//! adjoint code, tape and gradient rings; per connection the buffers its reverse kernel touches.

use serde::Serialize;

use super::context::{VarCtx, buffer};
use crate::backend::c_print::{Names, Printer};
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Adjoint, Connection, Network, Population, Readout};

/// What a population's reverse kernels need.
#[derive(Serialize, Clone, Default)]
pub struct BackPopCtx {
    vars: Vec<VarCtx>,
    has_ring: bool,
    weight_grad_ring: String,
    delay_grad_ring: String,
    weight_grad: String,
    delay_grad: String,
    grad_origin: String,
    sim_origin: String,
    sim: Vec<String>,
    drive: String,
    has_jump: bool,
    tape_capacity: u32,
    tape_count: String,
    tape_step: String,
    tape_read: String,
    tape_values: Vec<TapeCtx>,
    back_spikes: String,
    back_spike_count: String,
    dloss_dt: String,
    count_grad: String,
    spike_loss: String,
    jump_origin: String,
    jump: Vec<String>,
    readout_grad: String,
    readout_step: String,
}

/// One value recorded on the spike tape.
#[derive(Serialize, Clone)]
pub struct TapeCtx {
    name: String,
    buffer: String,
    expr: String,
}

/// The buffers a connection's reverse kernel uses.
#[derive(Serialize, Clone, Default)]
pub struct BackConnCtx {
    weight_grad: String,
    delay_grad: String,
    source_is_input: bool,
    source_back_spikes: String,
    source_back_spike_count: String,
    source_dloss_dt: String,
    target_weight_grad_ring: String,
    target_delay_grad_ring: String,
    learn_weight: bool,
    learn_delay: bool,
    weight_adam_m: String,
    weight_adam_v: String,
    delay_adam_m: String,
    delay_adam_v: String,
    delay_ms: String,
    max_delay_ms: String,
    max_delay_steps: String,
}

fn origin(o: &Option<crate::ir::Origin>) -> String {
    o.as_ref()
        .map_or_else(|| "(none)".to_string(), |o| o.to_string())
}

/// The reverse-pass context of population `index` (`None` without an adjoint).
pub fn pop(net: &Network, index: usize, pop: &Population) -> Option<BackPopCtx> {
    let model = net.model_of(pop);
    let adjoint: &Adjoint = model.adjoint.as_ref()?;
    let owner = Owner::Population(index as u32);
    let jump_inputs = adjoint.jump_inputs();
    let sim_inputs = Adjoint::sim_inputs();
    let (params, derived) = (&model.params[..], &model.derived[..]);
    let forward = Printer {
        precision: net.precision,
        names: Names {
            params,
            derived,
            vars: &model.vars,
            inputs: &[],
        },
        locals: &[],
    };
    let mut ctx = BackPopCtx {
        vars: adjoint
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| VarCtx {
                name: v.clone(),
                buffer: buffer(net, owner, Role::AdjointVar(i as u32)),
            })
            .collect(),
        has_ring: pop.ring_len > 0,
        weight_grad_ring: buffer(net, owner, Role::WeightGradRing),
        delay_grad_ring: buffer(net, owner, Role::DelayGradRing),
        weight_grad: adjoint_printer(net, params, derived, adjoint, &[], &[])
            .expr(&adjoint.weight_grad.code),
        delay_grad: adjoint_printer(net, params, derived, adjoint, &[], &[])
            .expr(&adjoint.delay_grad.code),
        grad_origin: origin(&adjoint.weight_grad.origin),
        sim_origin: origin(&adjoint.sim.origin),
        sim: adjoint_printer(
            net,
            params,
            derived,
            adjoint,
            &sim_inputs,
            &adjoint.sim.code.locals,
        )
        .block(&adjoint.sim.code),
        drive: "0".to_string(),
        readout_grad: buffer(net, owner, Role::ReadoutGrad),
        readout_step: buffer(net, owner, Role::ReadoutStep),
        ..Default::default()
    };
    if model.threshold.is_some() {
        ctx.has_jump = true;
        ctx.tape_capacity = pop.spike_capacity;
        ctx.tape_count = buffer(net, owner, Role::TapeCount);
        ctx.tape_step = buffer(net, owner, Role::TapeStep);
        ctx.tape_read = buffer(net, owner, Role::TapeRead);
        ctx.back_spikes = buffer(net, owner, Role::BackSpikes);
        ctx.back_spike_count = buffer(net, owner, Role::BackSpikeCount);
        ctx.dloss_dt = buffer(net, owner, Role::DlossDt);
        ctx.count_grad = buffer(net, owner, Role::CountGrad);
        ctx.tape_values = adjoint
            .tape
            .iter()
            .zip(&adjoint.tape_code)
            .enumerate()
            .map(|(i, (name, code))| TapeCtx {
                name: name.clone(),
                buffer: buffer(net, owner, Role::TapeValue(i as u32)),
                expr: forward.expr(&code.code),
            })
            .collect();
        ctx.jump_origin = origin(&adjoint.jump.origin);
        ctx.jump = adjoint_printer(
            net,
            params,
            derived,
            adjoint,
            &jump_inputs,
            &adjoint.jump.code.locals,
        )
        .block(&adjoint.jump.code);
    }
    let grad = "rgenn_readout_grad[rgenn_j]";
    let at_step = format!("(rgenn_step == rgenn_readout_step[rgenn_j] ? {grad} : 0)");
    match pop.readout {
        None => {}
        Some(Readout::Sum) => ctx.drive = grad.to_string(),
        Some(Readout::Mean) => ctx.drive = format!("{grad} / static_cast<scalar>(N_STEPS)"),
        Some(Readout::MeanExp) => {
            let exp = match net.precision {
                crate::ir::Precision::F32 => "expf",
                crate::ir::Precision::F64 => "exp",
            };
            ctx.drive = format!(
                "{grad} * {exp}(-t / {}) / static_cast<scalar>(N_STEPS)",
                crate::backend::c_print::literal(net.duration_ms, net.precision)
            );
        }
        Some(Readout::Max) => ctx.drive = at_step,
        Some(Readout::FirstSpike) => ctx.spike_loss = format!(" + {at_step}"),
    }
    Some(ctx)
}

fn adjoint_printer<'a>(
    net: &Network,
    params: &'a [String],
    derived: &'a [String],
    adjoint: &'a Adjoint,
    inputs: &'a [String],
    locals: &'a [String],
) -> Printer<'a> {
    Printer {
        precision: net.precision,
        names: Names {
            params,
            derived,
            vars: &adjoint.vars,
            inputs,
        },
        locals,
    }
}

/// The reverse-pass buffers of connection `index`.
pub fn conn(net: &Network, index: usize, c: &Connection) -> BackConnCtx {
    let owner = Owner::Connection(index as u32);
    let src = Owner::Population(c.source.0);
    let tgt = Owner::Population(c.target.0);
    let source_is_input = net.model_of(net.pop(c.source)).kind == crate::ir::ModelKind::SpikeSource;
    BackConnCtx {
        weight_grad: buffer(net, owner, Role::WeightGrad),
        delay_grad: buffer(net, owner, Role::DelayGrad),
        source_is_input,
        source_back_spikes: buffer(net, src, Role::BackSpikes),
        source_back_spike_count: buffer(net, src, Role::BackSpikeCount),
        source_dloss_dt: buffer(net, src, Role::DlossDt),
        target_weight_grad_ring: buffer(net, tgt, Role::WeightGradRing),
        target_delay_grad_ring: buffer(net, tgt, Role::DelayGradRing),
        learn_weight: c.learn_weight,
        learn_delay: c.learn_delay && matches!(c.delays, crate::ir::Delays::PerSynapse { .. }),
        weight_adam_m: buffer(net, owner, Role::WeightAdamM),
        weight_adam_v: buffer(net, owner, Role::WeightAdamV),
        delay_adam_m: buffer(net, owner, Role::DelayAdamM),
        delay_adam_v: buffer(net, owner, Role::DelayAdamV),
        delay_ms: buffer(net, owner, Role::DelayMs),
        max_delay_ms: crate::backend::c_print::literal(
            c.max_delay_steps as f64 * net.dt_ms,
            net.precision,
        ),
        max_delay_steps: crate::backend::c_print::literal(c.max_delay_steps as f64, net.precision),
    }
}
