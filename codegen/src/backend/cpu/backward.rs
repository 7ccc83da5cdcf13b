//! Template context of the adjoint (EventProp) pass and the optimiser of the CPU backend, per
//! connection: the buffers its reverse kernel and its Adam step touch. The per-population adjoint
//! code comes from `crate::backend::shared::adjoint`, shared with CUDA.

use serde::Serialize;

use super::context::buffer;
use crate::backend::plan::gradients::Trained;
use crate::backend::plan::quiet::QuietSkip;
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Connection, Network};

/// The buffers a connection's reverse kernel uses.
#[derive(Serialize, Clone, Default)]
pub struct BackConnCtx {
    weight_grad: String,
    delay_grad: String,
    source_is_input: bool,
    source_back_spikes: String,
    source_back_spike_count: String,
    source_dloss_dt: String,
    /// The target's interleaved weight_grad / delay_grad history.
    target_grad_ring: String,
    /// The target's latest reversed step with a nonzero history value (`plan::quiet`).
    target_nonzero_grad_step: String,
    /// Reverse step n reads nothing but zeros while that step is later than n + quiet_reach.
    quiet_reach: u32,
    learn_weight: bool,
    learn_delay: bool,
    weight_adam_m: String,
    weight_adam_v: String,
    delay_adam_m: String,
    delay_adam_v: String,
    delay_ms: String,
    max_delay_ms: String,
    /// The longest step delay.
    max_steps: u32,
    /// Printed before the statement that adds to a weight (delay) gradient training does not
    /// read: `if constexpr (ALL) `, so a kernel instantiated without ALL (learned-only) skips it;
    /// empty for a learned parameter.
    weight_guard: &'static str,
    delay_guard: &'static str,
    /// The kernel is a template over ALL, chosen by `learned_only` at run time
    /// (`Trained::partial`).
    partial: bool,
    /// With ALL false the kernel has nothing to do (`Trained::idle`).
    idle_when_learned_only: bool,
}

/// The reverse-pass buffers of connection `index`.
pub fn conn(net: &Network, index: usize, c: &Connection) -> BackConnCtx {
    let owner = Owner::Connection(index as u32);
    let src = Owner::Population(c.source.0);
    let tgt = Owner::Population(c.target.0);
    let source_is_input = net.model_of(net.pop(c.source)).kind == crate::ir::ModelKind::SpikeSource;
    let trained = Trained::of(net, c);
    BackConnCtx {
        weight_grad: buffer(net, owner, Role::WeightGrad),
        delay_grad: buffer(net, owner, Role::DelayGrad),
        source_is_input,
        source_back_spikes: buffer(net, src, Role::BackSpikes),
        source_back_spike_count: buffer(net, src, Role::BackSpikeCount),
        source_dloss_dt: buffer(net, src, Role::DlossDt),
        target_grad_ring: buffer(net, tgt, Role::WeightGradRing),
        target_nonzero_grad_step: buffer(net, tgt, Role::NonzeroGradStep),
        quiet_reach: QuietSkip::of(net, c).reach,
        learn_weight: c.learn_weight,
        learn_delay: c.trains_delay(),
        weight_adam_m: buffer(net, owner, Role::WeightAdamM),
        weight_adam_v: buffer(net, owner, Role::WeightAdamV),
        delay_adam_m: buffer(net, owner, Role::DelayAdamM),
        delay_adam_v: buffer(net, owner, Role::DelayAdamV),
        delay_ms: buffer(net, owner, Role::DelayMs),
        max_delay_ms: crate::backend::c_print::literal(
            c.max_delay_steps as f64 * net.dt_ms,
            net.precision,
        ),
        max_steps: c.max_delay_steps,
        weight_guard: guard(trained.weight),
        delay_guard: guard(trained.delay),
        partial: trained.partial(),
        idle_when_learned_only: trained.idle,
    }
}

/// The guard of a gradient update (see `BackConnCtx::weight_guard`).
fn guard(trained: bool) -> &'static str {
    if trained { "" } else { "if constexpr (ALL) " }
}
