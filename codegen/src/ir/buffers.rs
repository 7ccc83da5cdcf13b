//! The arrays a simulator allocates, with their sizes: the single source for generated
//! declarations and for the memory summary of `rgenn check`.
//!
//! Names follow the project's patterns (`pop_<pop>_<var>`, `conn_<conn>_weight`, ...); a name that
//! would clash with an earlier one gets a `_2`, `_3`, ... suffix, so generated identifiers are
//! always unique.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Connectivity, Delays, Network, Readout};

/// Element type of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Elem {
    /// The network's float type.
    Scalar,
    /// 32-bit unsigned integer.
    U32,
    /// 16-bit unsigned integer.
    U16,
}

/// What a buffer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// A population (index).
    Population(u32),
    /// A connection (index).
    Connection(u32),
}

/// What a buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A state variable (index into the model's vars).
    Var(u32),
    /// The delay ring `[ring_len][size]`.
    Ring,
    /// Number of spikes emitted in the current step.
    SpikeCount,
    /// Indices of the neurons that spiked in the current step.
    Spikes,
    /// Readout accumulator.
    Readout,
    /// Synaptic weights.
    Weight,
    /// Learned delays in ms (floating point).
    DelayMs,
    /// Delays in steps, as the kernels use them.
    DelaySteps,
    /// CSR row starts.
    RowStart,
    /// CSR postsynaptic indices.
    PostIndex,
    /// Step of the maximum (`max`) or of the first spike (`first_spike`) of each output neuron.
    ReadoutStep,
    /// An adjoint variable (index into the model's adjoint vars).
    AdjointVar(u32),
    /// History of the model's `weight_grad` per step `[ring_len][size]`, read at arrival steps.
    WeightGradRing,
    /// History of the model's `delay_grad` per step `[ring_len][size]`, read at arrival steps.
    DelayGradRing,
    /// The last reversed step at which some neuron stored a `weight_grad` or `delay_grad` that is
    /// not zero (steps descend, so within one reversed pass the smallest so far); no step while
    /// every stored one is zero.
    NonzeroGradStep,
    /// Spikes each neuron emitted this trial (may exceed the capacity: then the tape overflowed).
    TapeCount,
    /// Step of each recorded spike `[size][capacity]`.
    TapeStep,
    /// A tape value at each recorded spike `[size][capacity]` (index into the adjoint's tape).
    TapeValue(u32),
    /// Tape entries not yet replayed by the backward pass, per neuron.
    TapeRead,
    /// A history value at every step `[n_steps][size]` (index into the adjoint's history).
    HistoryValue(u32),
    /// Number of neurons that spiked in the step being reversed.
    BackSpikeCount,
    /// Neurons that spiked in the step being reversed.
    BackSpikes,
    /// dL/d(spike time) gathered from outgoing synapses for the step being reversed.
    DlossDt,
    /// dL/d(readout) of each output neuron, written by the runtime before the backward pass.
    ReadoutGrad,
    /// Weight gradient, per lane (per lane group with `lane_group` above 1).
    WeightGrad,
    /// Delay gradient (per ms), per lane (per lane group with `lane_group` above 1).
    DelayGrad,
    /// The spike-count regulariser's gradient per neuron, set by the runtime per batch.
    CountGrad,
    /// Adam's first moment of each learned weight.
    WeightAdamM,
    /// Adam's second moment of each learned weight.
    WeightAdamV,
    /// Adam's first moment of each learned delay.
    DelayAdamM,
    /// Adam's second moment of each learned delay.
    DelayAdamV,
}

impl Role {
    /// True for the batched buffers held once per lane group (`Network::lane_group`) instead of
    /// once per lane: the weight and delay gradients.
    pub fn per_lane_group(self) -> bool {
        matches!(self, Role::WeightGrad | Role::DelayGrad)
    }

    /// True for buffers only the backward (adjoint) pass uses.
    pub fn is_backward(self) -> bool {
        matches!(
            self,
            Role::AdjointVar(_)
                | Role::WeightGradRing
                | Role::DelayGradRing
                | Role::NonzeroGradStep
                | Role::TapeCount
                | Role::TapeStep
                | Role::TapeValue(_)
                | Role::TapeRead
                | Role::HistoryValue(_)
                | Role::BackSpikeCount
                | Role::BackSpikes
                | Role::DlossDt
                | Role::ReadoutGrad
                | Role::WeightGrad
                | Role::DelayGrad
                | Role::CountGrad
                | Role::WeightAdamM
                | Role::WeightAdamV
                | Role::DelayAdamM
                | Role::DelayAdamV
        )
    }
}

/// One array of the simulator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Buffer {
    /// Identifier in generated code.
    pub name: String,
    /// Element type.
    pub elem: Elem,
    /// Elements per batch lane (or in total when not batched).
    pub len: u64,
    /// One copy per batch lane.
    pub batched: bool,
    /// Owner.
    pub owner: Owner,
    /// Contents.
    pub role: Role,
}

impl Buffer {
    /// Bytes allocated for this buffer, `copies` times its `len` ([`super::Network::copies`]).
    pub fn bytes(&self, scalar_bytes: u64, copies: u64) -> u64 {
        let elem = match self.elem {
            Elem::Scalar => scalar_bytes,
            Elem::U32 => 4,
            Elem::U16 => 2,
        };
        self.len * elem * copies
    }
}

/// The buffers allocated so far, and the names they took.
struct Alloc {
    out: Vec<Buffer>,
    taken: BTreeSet<String>,
}

impl Alloc {
    /// A buffer with one copy per batch lane.
    fn lane(&mut self, base: String, elem: Elem, len: u64, owner: Owner, role: Role) {
        self.add(base, elem, len, true, owner, role);
    }

    fn add(&mut self, base: String, elem: Elem, len: u64, batched: bool, owner: Owner, role: Role) {
        let mut name = base.clone();
        let mut k = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.out.push(Buffer {
            name,
            elem,
            len,
            batched,
            owner,
            role,
        });
    }
}

/// Every buffer the forward simulator of `net` allocates.
pub fn plan(net: &Network) -> Vec<Buffer> {
    let mut p = Alloc {
        out: Vec::new(),
        taken: BTreeSet::new(),
    };
    for (i, pop) in net.populations.iter().enumerate() {
        let model = net.model_of(pop);
        let owner = Owner::Population(i as u32);
        let size = pop.size as u64;
        let name = &pop.name;
        for (v, var) in model.vars.iter().enumerate() {
            let role = Role::Var(v as u32);
            p.lane(format!("pop_{name}_{var}"), Elem::Scalar, size, owner, role);
        }
        if pop.ring_len > 0 {
            let len = pop.ring_len as u64 * size;
            p.lane(
                format!("pop_{name}_ring"),
                Elem::Scalar,
                len,
                owner,
                Role::Ring,
            );
        }
        if model.is_spiking() {
            p.lane(
                format!("pop_{name}_spike_count"),
                Elem::U32,
                1,
                owner,
                Role::SpikeCount,
            );
            p.lane(
                format!("pop_{name}_spikes"),
                Elem::U32,
                size,
                owner,
                Role::Spikes,
            );
        }
        if let Some(readout) = pop.readout {
            p.lane(
                format!("pop_{name}_readout"),
                Elem::Scalar,
                size,
                owner,
                Role::Readout,
            );
            if matches!(readout, Readout::Max | Readout::FirstSpike) {
                p.lane(
                    format!("pop_{name}_readout_step"),
                    Elem::U32,
                    size,
                    owner,
                    Role::ReadoutStep,
                );
            }
        }
    }
    for (i, conn) in net.connections.iter().enumerate() {
        let owner = Owner::Connection(i as u32);
        let n = conn.n_synapses;
        let name = &conn.name;
        p.add(
            format!("conn_{name}_weight"),
            Elem::Scalar,
            n,
            false,
            owner,
            Role::Weight,
        );
        if let Delays::PerSynapse { .. } = conn.delays {
            if conn.learn_delay {
                p.add(
                    format!("conn_{name}_delay"),
                    Elem::Scalar,
                    n,
                    false,
                    owner,
                    Role::DelayMs,
                );
            }
            let elem = if conn.max_delay_steps < u16::MAX as u32 {
                Elem::U16
            } else {
                Elem::U32
            };
            p.add(
                format!("conn_{name}_delay_steps"),
                elem,
                n,
                false,
                owner,
                Role::DelaySteps,
            );
        }
        if let Connectivity::FixedProbability { .. } = conn.connectivity {
            let n_pre = net.pop(conn.source).size as u64;
            p.add(
                format!("conn_{name}_row_start"),
                Elem::U32,
                n_pre + 1,
                false,
                owner,
                Role::RowStart,
            );
            p.add(
                format!("conn_{name}_post"),
                Elem::U32,
                n,
                false,
                owner,
                Role::PostIndex,
            );
        }
    }
    if net.has_backward() {
        plan_backward(net, &mut p);
    }
    p.out
}

/// The buffers of the adjoint pass, after every forward buffer (so forward indices do not depend
/// on whether a network can be trained).
fn plan_backward(net: &Network, p: &mut Alloc) {
    for (i, pop) in net.populations.iter().enumerate() {
        let model = net.model_of(pop);
        let Some(adjoint) = &model.adjoint else {
            continue;
        };
        let owner = Owner::Population(i as u32);
        let size = pop.size as u64;
        let name = &pop.name;
        for (v, var) in adjoint.vars.iter().enumerate() {
            p.lane(
                format!("pop_{name}_{var}"),
                Elem::Scalar,
                size,
                owner,
                Role::AdjointVar(v as u32),
            );
        }
        for (v, value) in adjoint.history.iter().enumerate() {
            p.lane(
                format!("pop_{name}_history_{value}"),
                Elem::Scalar,
                net.n_steps as u64 * size,
                owner,
                Role::HistoryValue(v as u32),
            );
        }
        if pop.ring_len > 0 {
            let len = pop.ring_len as u64 * size;
            for (suffix, role) in [
                ("weight_grad_ring", Role::WeightGradRing),
                ("delay_grad_ring", Role::DelayGradRing),
            ] {
                p.lane(
                    format!("pop_{name}_{suffix}"),
                    Elem::Scalar,
                    len,
                    owner,
                    role,
                );
            }
            p.lane(
                format!("pop_{name}_nonzero_grad_step"),
                Elem::U32,
                1,
                owner,
                Role::NonzeroGradStep,
            );
        }
        if model.threshold.is_some() {
            let tape = size * pop.spike_capacity as u64;
            p.lane(
                format!("pop_{name}_tape_count"),
                Elem::U32,
                size,
                owner,
                Role::TapeCount,
            );
            p.lane(
                format!("pop_{name}_tape_step"),
                Elem::U32,
                tape,
                owner,
                Role::TapeStep,
            );
            for (v, value) in adjoint.tape.iter().enumerate() {
                p.lane(
                    format!("pop_{name}_tape_{value}"),
                    Elem::Scalar,
                    tape,
                    owner,
                    Role::TapeValue(v as u32),
                );
            }
            p.lane(
                format!("pop_{name}_tape_read"),
                Elem::U32,
                size,
                owner,
                Role::TapeRead,
            );
            p.lane(
                format!("pop_{name}_back_spike_count"),
                Elem::U32,
                1,
                owner,
                Role::BackSpikeCount,
            );
            p.lane(
                format!("pop_{name}_back_spikes"),
                Elem::U32,
                size,
                owner,
                Role::BackSpikes,
            );
            p.add(
                format!("pop_{name}_count_grad"),
                Elem::Scalar,
                size,
                false,
                owner,
                Role::CountGrad,
            );
            p.lane(
                format!("pop_{name}_dloss_dt"),
                Elem::Scalar,
                size,
                owner,
                Role::DlossDt,
            );
        }
        if pop.readout.is_some() {
            p.lane(
                format!("pop_{name}_readout_grad"),
                Elem::Scalar,
                size,
                owner,
                Role::ReadoutGrad,
            );
        }
    }
    plan_backward_conns(net, p);
}

/// The gradient and optimiser buffers of every connection.
fn plan_backward_conns(net: &Network, p: &mut Alloc) {
    for (i, conn) in net.connections.iter().enumerate() {
        let owner = Owner::Connection(i as u32);
        let name = &conn.name;
        p.lane(
            format!("conn_{name}_weight_grad"),
            Elem::Scalar,
            conn.n_synapses,
            owner,
            Role::WeightGrad,
        );
        p.lane(
            format!("conn_{name}_delay_grad"),
            Elem::Scalar,
            conn.n_synapses,
            owner,
            Role::DelayGrad,
        );
        let learned_delay = conn.trains_delay();
        for (learned, m, v, role_m, role_v) in [
            (
                conn.learn_weight,
                "weight_adam_m",
                "weight_adam_v",
                Role::WeightAdamM,
                Role::WeightAdamV,
            ),
            (
                learned_delay,
                "delay_adam_m",
                "delay_adam_v",
                Role::DelayAdamM,
                Role::DelayAdamV,
            ),
        ] {
            if learned {
                p.add(
                    format!("conn_{name}_{m}"),
                    Elem::Scalar,
                    conn.n_synapses,
                    false,
                    owner,
                    role_m,
                );
                p.add(
                    format!("conn_{name}_{v}"),
                    Elem::Scalar,
                    conn.n_synapses,
                    false,
                    owner,
                    role_v,
                );
            }
        }
    }
}
