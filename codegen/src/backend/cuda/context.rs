//! Template context of the CUDA backend: every value decided and printed here (model code, buffer
//! lists, reset values and the launch shape of every kernel), so the templates only loop and branch.
//!
//! Launch shapes (`launch.rs`): lanes run along the grid's y axis; x covers the neurons, synapses
//! or spikes of one lane. Spiking populations are updated by one block per lane, so that their
//! spike lists come out in ascending neuron order, exactly as on the CPU. The adjoint pass's part
//! of the context comes from `backward.rs`.

use serde::Serialize;

use super::backward::{self, BackConnCtx, BackPopCtx, MathNames};
use super::launch::{Launch, MAX_SPIKING_THREADS, MAX_THREADS};
use crate::backend::plan::{Delivery, Update, readout};
use crate::backend::shared::{
    self, ConnCommon, FinishCtx, Header, PopCommon, Pops, ResetCtx, header as shared_header,
    pops as shared_pops,
};
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Network, Population};

/// Everything the CUDA templates read.
#[derive(Serialize)]
pub struct Context {
    #[serde(flatten)]
    header: Header,
    buffers: Vec<BufferCtx>,
    #[serde(flatten)]
    pops: Pops<PopCtx>,
    /// Some neuron population spikes (the spike-list helper is needed).
    spiking_neurons: bool,
    connections: Vec<ConnCtx>,
    resets: Vec<ResetCtx>,
    reset_launch: Launch,
    finish: Vec<FinishCtx>,
    finish_launch: Launch,
    /// The network has an adjoint pass.
    backward: bool,
    /// Some reverse connection kernel sums rows (the block-sum helper is needed).
    back_block_sum: bool,
    /// `k_begin_backward`.
    begin_launch: Launch,
    /// Doubles written by `rgenn_sum_gradients`: every connection's weight then delay gradients.
    grad_sum_len: u64,
    /// Maths functions of the optimiser.
    math: MathNames,
    /// Some connection has learned weights or delays (the optimiser launches a kernel).
    any_learned: bool,
}

#[derive(Serialize)]
struct BufferCtx {
    index: usize,
    name: String,
    ctype: &'static str,
    total_len: u64,
    comment: String,
}

#[derive(Serialize, Clone, Default)]
struct PopCtx {
    #[serde(flatten)]
    common: PopCommon,
    /// Update (neurons) or input (spike sources) kernel.
    launch: Launch,
    /// The adjoint pass of this population (networks with one; neuron populations only).
    back: Option<BackPopCtx>,
}

#[derive(Serialize)]
struct ConnCtx {
    #[serde(flatten)]
    common: ConnCommon,
    max_row_len: u32,
    launch: Launch,
    back: BackConnCtx,
}

fn pop_ctx(net: &Network, index: usize, pop: &Population) -> PopCtx {
    let spiking = net.model_of(pop).is_spiking();
    let launch = match (Update::of(net, pop), spiking) {
        (Update::Source, _) => Launch {
            blocks: 1,
            ..Launch::cover(pop.size as u64, MAX_THREADS)
        },
        (_, true) => Launch::one_block(pop.size as u64, MAX_SPIKING_THREADS),
        (_, false) => Launch::cover(pop.size as u64, MAX_THREADS),
    };
    PopCtx {
        common: shared::pop_common(net, index, pop),
        launch,
        back: if net.has_backward() {
            backward::pop(net, index, pop)
        } else {
            None
        },
    }
}

fn conn_ctx(net: &Network, index: usize, sum_offset: u64) -> ConnCtx {
    let c = &net.connections[index];
    // Dense: one thread per target; one-to-one: one per possible spike; CSR: one per row position.
    let delivery = Delivery::of(net, c);
    ConnCtx {
        common: shared::conn_common(net, index),
        max_row_len: delivery.max_row_len(),
        launch: Launch::cover(delivery.parallel_items(), MAX_THREADS),
        back: backward::conn(net, index, sum_offset),
    }
}

/// Build the context for `net`.
pub fn build(net: &Network, cache_key: &str) -> Context {
    let buffers = net
        .buffers
        .iter()
        .enumerate()
        .map(|(index, b)| BufferCtx {
            index,
            name: b.name.clone(),
            ctype: shared::ctype(b.elem),
            total_len: b.len * net.copies(b),
            comment: format!(
                "{}{}",
                shared::describe(b.role),
                shared::copies_note(net, b)
            ),
        })
        .collect();
    let pops = shared_pops(net, |i, pop| pop_ctx(net, i, pop));
    // Each connection's weight then delay gradients, one after the other.
    let mut grad_sum_len = 0;
    let connections: Vec<ConnCtx> = (0..net.connections.len())
        .map(|i| {
            let ctx = conn_ctx(net, i, grad_sum_len);
            grad_sum_len += 2 * net.connections[i].n_synapses;
            ctx
        })
        .collect();
    let resets: Vec<ResetCtx> = net
        .buffers
        .iter()
        .filter_map(|b| {
            shared::reset_value(net, b).map(|value| ResetCtx {
                buffer: b.name.clone(),
                ctype: shared::ctype(b.elem),
                len: b.len,
                value,
                // the CUDA kernels accumulate every gradient, in training too
                training_skips: false,
            })
        })
        .collect();
    let finish: Vec<(FinishCtx, u32)> = net
        .populations
        .iter()
        .enumerate()
        .filter(|(_, pop)| readout::finishes(pop))
        .map(|(i, pop)| {
            let buffer = shared::buffer_name(net, Owner::Population(i as u32), Role::Readout);
            let upper = pop.name.to_uppercase();
            (FinishCtx { buffer, upper }, pop.size)
        })
        .collect();
    let longest_reset = resets.iter().map(|r| r.len).max().unwrap_or(0);
    let longest_finish = finish.iter().map(|(_, n)| *n as u64).max().unwrap_or(0);
    Context {
        header: shared_header(net, cache_key),
        buffers,
        spiking_neurons: pops.neurons.iter().any(|p| p.common.spiking),
        pops,
        resets,
        reset_launch: Launch::stride(longest_reset),
        finish: finish.into_iter().map(|(f, _)| f).collect(),
        finish_launch: Launch::stride(longest_finish),
        backward: net.has_backward(),
        back_block_sum: net.has_backward() && connections.iter().any(|c| c.back.block_sum),
        begin_launch: backward::begin_launch(net),
        grad_sum_len: if net.has_backward() { grad_sum_len } else { 0 },
        math: backward::math(net.precision),
        any_learned: connections
            .iter()
            .any(|c| c.back.learn_weight || c.back.learn_delay),
        connections,
    }
}
