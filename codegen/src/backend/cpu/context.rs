//! Template context of the CPU backend: every value decided and printed here, so the templates
//! only loop and branch.

use serde::Serialize;

use super::backward::{self, BackConnCtx};
use crate::backend::shared::adjoint::{AdjointCode, adjoint_code};

use crate::backend::plan::gradients;
use crate::backend::plan::reset::{self, Timing};
use crate::backend::plan::{Update, consts, readout};
use crate::backend::shared::{self, Header, Pops, header as shared_header, pops as shared_pops};
use crate::ir::buffers::{Owner, Role};
use crate::ir::{Network, Population};

#[derive(Serialize)]
pub struct Context {
    #[serde(flatten)]
    header: Header,
    buffers: Vec<BufferCtx>,
    #[serde(flatten)]
    pops: Pops<PopCtx>,
    connections: Vec<ConnCtx>,
    resets: Vec<ResetCtx>,
    /// Gradient buffers, reset when a lane's backward pass begins rather than with its state.
    grad_resets: Vec<ResetCtx>,
    finish: Vec<FinishCtx>,
    backward: bool,
    vec: VectorCtx,
}

/// The vectors in which a dense row's reverse pass adds its synapses' gradients (see the helpers
/// in `simulator.cpp.tera`): `plan::consts::CPU_VECTOR_BYTES` bytes of scalars.
#[derive(Serialize)]
struct VectorCtx {
    bytes: u32,
    /// Scalars per vector.
    lanes: u32,
    /// A (weight_grad, delay_grad) history pair fills a whole vector (f64), rather than half of
    /// one (f32).
    pair_is_vector: bool,
    /// The integer element type of a shuffle mask (as wide as a scalar).
    index_type: &'static str,
    /// Shuffle masks taking the first (second) value of each pair of two vectors of pairs.
    firsts: String,
    seconds: String,
}

impl VectorCtx {
    fn of(net: &Network) -> Self {
        let scalar_bytes = net.scalar_bytes() as u32;
        let bytes = consts::CPU_VECTOR_BYTES;
        let lanes = bytes / scalar_bytes;
        let mask = |first: u32| {
            (0..lanes)
                .map(|k| (2 * k + first).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        VectorCtx {
            bytes,
            lanes,
            pair_is_vector: lanes == 2,
            index_type: if scalar_bytes == 4 {
                "int32_t"
            } else {
                "int64_t"
            },
            firsts: mask(0),
            seconds: mask(1),
        }
    }
}

#[derive(Serialize)]
struct BufferCtx {
    index: usize,
    name: String,
    ctype: &'static str,
    total_len: u64,
    comment: String,
    /// False when the buffer lives inside another one's array (`storage`).
    declared: bool,
    /// The `State` member holding the buffer, and the buffer's first element in it.
    storage: String,
    offset: u64,
}

#[derive(Serialize, Clone, Default)]
struct PopCtx {
    #[serde(flatten)]
    common: PopCommon,
    back: Option<AdjointCode>,
    /// The interleaved weight_grad / delay_grad history (see `build`).
    grad_ring: String,
}

#[derive(Serialize)]
struct ConnCtx {
    #[serde(flatten)]
    common: ConnCommon,
    /// Posts per block of a dense row's delivery (the row, or `plan::consts::MAX_BLOCK` when it
    /// is longer).
    block: u32,
    back: BackConnCtx,
}

pub use crate::backend::shared::buffer_name as buffer;
use crate::backend::shared::{
    ConnCommon, FinishCtx, PopCommon, ResetCtx, conn_common, ctype, describe, pop_common,
    reset_value,
};

fn pop_ctx(net: &Network, index: usize, pop: &Population) -> PopCtx {
    let source = Update::of(net, pop) == Update::Source;
    PopCtx {
        common: pop_common(net, index, pop),
        back: if net.has_backward() && !source {
            adjoint_code(net, index, pop)
        } else {
            None
        },
        grad_ring: buffer(net, Owner::Population(index as u32), Role::WeightGradRing),
    }
}

/// Build the context for `net`.
pub fn build(net: &Network, cache_key: &str) -> Context {
    let buffers = net
        .buffers
        .iter()
        .enumerate()
        .map(|(index, b)| {
            let total_len = b.len * net.copies(b);
            let mut ctx = BufferCtx {
                index,
                name: b.name.clone(),
                ctype: ctype(b.elem),
                total_len,
                comment: format!(
                    "{}{}",
                    describe(b.role),
                    shared::copies_note(net, b)
                ),
                declared: true,
                storage: b.name.clone(),
                offset: 0,
            };
            // The weight_grad and delay_grad histories of a population share one array, the two
            // values of a neuron and step side by side ([lane][ring_len][size][2]), so a synapse
            // reads both from one cache line. `rgenn_buffer` hands out its two halves for the two
            // buffers of the IR; only the generated code knows their layout.
            match b.role {
                Role::WeightGradRing => {
                    ctx.total_len = 2 * total_len;
                    ctx.comment = "weight_grad and delay_grad per step, interleaved [ring_len][size][2], per lane".into();
                }
                Role::DelayGradRing => {
                    ctx.declared = false;
                    ctx.storage = buffer(net, b.owner, Role::WeightGradRing);
                    ctx.offset = total_len;
                }
                _ => {}
            }
            ctx
        })
        .collect();
    let pops = shared_pops(net, |i, pop| pop_ctx(net, i, pop));
    let connections = net
        .connections
        .iter()
        .enumerate()
        .map(|(i, c)| ConnCtx {
            common: conn_common(net, i),
            block: consts::dense_block(net.pop(c.target).size),
            back: backward::conn(net, i, c),
        })
        .collect();
    let mut resets = Vec::new();
    let mut grad_resets = Vec::new();
    let mut finish = Vec::new();
    for b in net.buffers.iter().filter(|b| b.batched) {
        // When each buffer is reset: `plan::reset::timing`.
        let timing = reset::timing(b);
        let (skip, at_backward) = (timing == Timing::Implied, timing == Timing::BackwardBegin);
        if let (Some(value), false) = (reset_value(net, b), skip) {
            if at_backward {
                &mut grad_resets
            } else {
                &mut resets
            }
            .push(ResetCtx {
                buffer: b.name.clone(),
                ctype: ctype(b.elem),
                len: if b.role == Role::WeightGradRing {
                    2 * b.len
                } else {
                    b.len
                },
                value,
                training_skips: gradients::training_skips(net, b),
            });
        }
        let Owner::Population(pi) = b.owner else {
            continue;
        };
        let pop = &net.populations[pi as usize];
        if b.role == Role::Readout && readout::finishes(pop) {
            finish.push(FinishCtx {
                buffer: b.name.clone(),
                upper: pop.name.to_uppercase(),
            });
        }
    }
    Context {
        header: shared_header(net, cache_key),
        buffers,
        pops,
        connections,
        resets,
        grad_resets,
        finish,
        backward: net.has_backward(),
        vec: VectorCtx::of(net),
    }
}
