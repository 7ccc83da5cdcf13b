//! Which gradients the adjoint pass accumulates while a simulator computes only what training
//! reads (`rgenn_set_learned_only`): per connection, what its backward kernel adds; per buffer,
//! which gradients are left at zero. Decided here once; every backend prints it.

use crate::ir::buffers::{Buffer, Owner, Role};
use crate::ir::{Connection, ModelKind, Network};

/// What the backward kernel of one connection adds while learned-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trained {
    /// Training reads the weight gradient (the weights are learned).
    pub weight: bool,
    /// Training reads the delay gradient (per-synapse delays are learned).
    pub delay: bool,
    /// Nothing is learned and the source is a spike source, whose spikes need no `dloss_dt`:
    /// the kernel has nothing to do.
    pub idle: bool,
}

impl Trained {
    /// The plan of connection `c` of `net`.
    pub fn of(net: &Network, c: &Connection) -> Trained {
        let (weight, delay) = (
            c.trains_gradient(Role::WeightGrad),
            c.trains_gradient(Role::DelayGrad),
        );
        let source_is_input = net.model_of(net.pop(c.source)).kind == ModelKind::SpikeSource;
        Trained {
            weight,
            delay,
            idle: source_is_input && !weight && !delay,
        }
    }

    /// Some gradient of the connection is one training does not read: its kernel comes in two
    /// instances, with every gradient and learned-only, picked at run time.
    pub fn partial(&self) -> bool {
        !self.weight || !self.delay
    }
}

/// True for a gradient buffer that training never reads: the weight or delay gradient of a
/// parameter that is not learned (`Connection::trains_gradient`). While learned-only, the
/// backward pass neither resets nor accumulates it, and it reads zero.
pub fn training_skips(net: &Network, b: &Buffer) -> bool {
    let Owner::Connection(c) = b.owner else {
        return false;
    };
    matches!(b.role, Role::WeightGrad | Role::DelayGrad)
        && !net.connections[c as usize].trains_gradient(b.role)
}
