//! What each per-lane buffer is reset to at the start of a trial, and when a backend that keeps
//! the CPU's schedule resets it.

use super::readout::{ReadoutPlan, Start};
use crate::ir::Network;
use crate::ir::buffers::{Buffer, Owner, Role};

/// The value every element of one lane of a buffer is set to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ResetValue {
    /// 0 (of the buffer's element type).
    Zero,
    /// A state variable's initial value.
    Init(f64),
    /// -infinity (a maximum readout).
    NegInfinity,
    /// +infinity (a first-spike readout: no spike yet).
    Infinity,
    /// The largest `u32` (a readout step not yet recorded).
    NoStep,
}

/// When a buffer with a reset value is reset, on the CPU's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// With the lane's state, at the start of a trial.
    Trial,
    /// When the lane's backward pass begins (the weight and delay gradients), so the zeros are
    /// still in cache when the pass adds to them.
    BackwardBegin,
    /// Never on its own: tape entries are read only below the tape count, so resetting the count
    /// empties the tape; the delay_grad history shares the weight_grad history's array.
    Implied,
}

/// The value every element of one lane of `b` takes at the start of a trial, or `None` when the
/// buffer is left alone: buffers that are not per lane (parameters, connectivity), spike lists,
/// and the readout gradients the runtime writes. Per-lane gradients of connections start at zero.
// The `_` arm zeroes the per-lane population buffers of roles added later.
#[allow(unreachable_patterns)]
pub fn value(net: &Network, b: &Buffer) -> Option<ResetValue> {
    if !b.batched {
        return None;
    }
    let Owner::Population(i) = b.owner else {
        return Some(ResetValue::Zero);
    };
    let pop = &net.populations[i as usize];
    match b.role {
        Role::Var(v) => Some(ResetValue::Init(pop.var_init[v as usize])),
        Role::Readout => Some(match ReadoutPlan::of_pop(pop).map(|r| r.start) {
            Some(Start::NegInfinity) => ResetValue::NegInfinity,
            Some(Start::Infinity) => ResetValue::Infinity,
            _ => ResetValue::Zero,
        }),
        Role::ReadoutStep | Role::NonzeroGradStep => Some(ResetValue::NoStep),
        Role::Ring | Role::SpikeCount => Some(ResetValue::Zero),
        // Only the first `spike_count` entries are ever read.
        Role::Spikes => None,
        // Every step's entry is written by the forward pass before the backward pass reads it.
        Role::HistoryValue(_) => None,
        // Written by the runtime between the forward and the backward pass.
        Role::ReadoutGrad => None,
        Role::Weight | Role::DelayMs | Role::DelaySteps | Role::RowStart | Role::PostIndex => None,
        _ => Some(ResetValue::Zero),
    }
}

/// When `b` is reset (see [`Timing`]).
pub fn timing(b: &Buffer) -> Timing {
    match b.role {
        Role::TapeStep | Role::TapeValue(_) | Role::DelayGradRing => Timing::Implied,
        Role::WeightGrad | Role::DelayGrad => Timing::BackwardBegin,
        _ => Timing::Trial,
    }
}
