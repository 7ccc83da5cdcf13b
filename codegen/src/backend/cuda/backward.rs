//! Template context of the CUDA adjoint (EventProp) pass and optimiser: per population the printed
//! adjoint code and the launch shapes of its reverse kernels, per connection the buffers and launch
//! of its reverse kernel, where its gradients go in the lane sum, and what its Adam step updates.
//!
//! Launch shapes: reverse neuron updates use one thread per neuron; the spike list of a reversed
//! step is built by one block per lane (ascending order, as forward). Dense and sparse reverse
//! connection kernels give each spike of the step one block, whose threads cover the spike's row:
//! every synapse has one writer and the row's `dloss_dt` is summed in a fixed order; one-to-one
//! kernels use one thread per spike, as forward.

use serde::Serialize;

use super::launch::{Launch, MAX_SPIKING_THREADS, MAX_THREADS};
use crate::backend::c_print::literal;
use crate::backend::shared::adjoint::{self, AdjointBuffers, AdjointCode};
use crate::backend::shared::buffer_name;
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Connectivity, Network, Population, Precision};

/// The reverse kernels of one population.
#[derive(Serialize, Clone, Debug, Default)]
pub struct BackPopCtx {
    /// Printed adjoint code and buffers.
    #[serde(flatten)]
    pub code: AdjointCode,
    /// `k_back_update_<pop>`: one thread per neuron.
    pub launch: Launch,
    /// `k_back_spikes_<pop>`: one block per lane.
    pub spikes_launch: Launch,
}

/// The reverse kernel of one connection.
#[derive(Serialize, Clone, Debug, Default)]
pub struct BackConnCtx {
    /// Buffers it touches.
    #[serde(flatten)]
    pub buffers: AdjointBuffers,
    /// `k_back_<conn>`.
    pub launch: Launch,
    /// Its rows' `dloss_dt` contributions need a block sum (dense or sparse, non-input source).
    pub block_sum: bool,
    /// First element of its weight-gradient sum in the lane-sum array (its delay gradients follow
    /// after `n_synapses`).
    pub sum_offset: u64,
    /// `k_sum_gradients_<conn>`: grid stride over its synapses.
    pub sum_launch: Launch,
    /// Weights are trained.
    pub learn_weight: bool,
    /// Per-synapse delays are trained.
    pub learn_delay: bool,
    /// Adam moments of the weights.
    pub weight_adam_m: String,
    /// See `weight_adam_m`.
    pub weight_adam_v: String,
    /// Adam moments of the delays.
    pub delay_adam_m: String,
    /// See `delay_adam_m`.
    pub delay_adam_v: String,
    /// Learned delays in ms.
    pub delay_ms: String,
    /// Longest delay in ms, as a literal.
    pub max_delay_ms: String,
    /// Longest delay in steps, as a float literal.
    pub max_delay_steps: String,
    /// `k_optimize_<conn>`: grid stride over its synapses.
    pub optimize_launch: Launch,
}

/// The maths functions of the optimiser in the network's precision.
#[derive(Serialize, Clone, Debug)]
pub struct MathNames {
    sqrt: &'static str,
    fmin: &'static str,
    fmax: &'static str,
    round: &'static str,
}

/// `sqrtf`, ... in f32 code; `sqrt`, ... in f64 code.
pub fn math(precision: Precision) -> MathNames {
    let f32 = precision == Precision::F32;
    let pick = |single, double| if f32 { single } else { double };
    MathNames {
        sqrt: pick("sqrtf", "sqrt"),
        fmin: pick("fminf", "fmin"),
        fmax: pick("fmaxf", "fmax"),
        round: pick("roundf", "round"),
    }
}

/// The reverse kernels of population `index`, or `None` without an adjoint.
pub fn pop(net: &Network, index: usize, pop: &Population) -> Option<BackPopCtx> {
    let code = adjoint::adjoint_code(net, index, pop)?;
    let size = pop.size as u64;
    Some(BackPopCtx {
        code,
        launch: Launch::cover(size, MAX_THREADS),
        spikes_launch: Launch::one_block(size, MAX_SPIKING_THREADS),
    })
}

/// The reverse kernel of connection `index`, whose gradient sums start at `sum_offset`.
pub fn conn(net: &Network, index: usize, sum_offset: u64) -> BackConnCtx {
    let c = &net.connections[index];
    let buffers = adjoint::conn_buffers(net, index);
    let source = net.pop(c.source).size as u64;
    let target = net.pop(c.target).size as u64;
    let (launch, rows) = match c.connectivity {
        Connectivity::OneToOne => (Launch::cover(source, MAX_THREADS), false),
        Connectivity::Dense => (Launch::per_spike(source, target, net.batch_size), true),
        Connectivity::FixedProbability { max_row_len, .. } => (
            Launch::per_spike(source, max_row_len as u64, net.batch_size),
            true,
        ),
    };
    let owner = Owner::Connection(index as u32);
    let buffer = |role| buffer_name(net, owner, role);
    let p = net.precision;
    BackConnCtx {
        block_sum: rows && !buffers.source_is_input,
        buffers,
        launch,
        sum_offset,
        sum_launch: Launch::stride(c.n_synapses),
        learn_weight: c.learn_weight,
        learn_delay: c.trains_delay(),
        weight_adam_m: buffer(Role::WeightAdamM),
        weight_adam_v: buffer(Role::WeightAdamV),
        delay_adam_m: buffer(Role::DelayAdamM),
        delay_adam_v: buffer(Role::DelayAdamV),
        delay_ms: buffer(Role::DelayMs),
        max_delay_ms: literal(c.max_delay_steps as f64 * net.dt_ms, p),
        max_delay_steps: literal(c.max_delay_steps as f64, p),
        optimize_launch: Launch::stride(c.n_synapses),
    }
}

/// One block per lane for `k_begin_backward`, its threads striding over the largest population.
pub fn begin_launch(net: &Network) -> Launch {
    let largest = net.populations.iter().map(|p| p.size as u64).max();
    Launch::one_block(largest.unwrap_or(0), MAX_THREADS)
}
