//! Zero-adjoint stretches: the reverse steps in which a connection's backward kernel could read
//! only zeros from its target's `weight_grad` / `delay_grad` histories, and so is skipped.
//!
//! Each population with histories keeps, per lane, the latest reversed step at which one of its
//! neurons stored a value that is not exactly zero ([`Role::NonzeroGradStep`], no step at the
//! start of a trial, when the histories are zeroed). Reverse step n of a connection reads arrival
//! steps n + 1 ... n + 1 + k for its step delays k <= K; while that latest step is later than
//! n + 1 + K, every value it would read is zero, so every addition it would make is of a zero:
//! `weight_grad` itself, or `weight * 0`. The sums it adds to (the gradients, zeroed when the
//! backward pass begins, and `dloss_dt`, zeroed after each jump) start at +0 and only ever add,
//! so none of them is ever -0, and adding a zero of either sign leaves each one's bits as they
//! are. Skipping is therefore exact for finite weights; an infinite or NaN weight would have
//! given a NaN gradient there (inf * 0), and gives none instead.
//!
//! Stretches like these are the ends of trials no loss has reached yet in reverse time: after the
//! maximum of a `max` readout or the last first spike of a `first_spike` one, and in a layer
//! before it after its last spike (a hidden adjoint only changes at its own spikes). The cuda
//! backend keeps every step.
//!
//! [`Role::NonzeroGradStep`]: crate::ir::buffers::Role::NonzeroGradStep

use super::delivery::{Delay, Delivery};
use crate::ir::{Connection, Network};

/// When the backward kernel of one connection skips a reverse step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietSkip {
    /// Reverse step n is skipped while the target's latest nonzero step is later than
    /// n + `reach`: one more than the longest step delay, the furthest arrival step read.
    pub reach: u32,
}

impl QuietSkip {
    /// The skip of connection `c` of `net`.
    pub fn of(net: &Network, c: &Connection) -> QuietSkip {
        let longest = match Delivery::of(net, c).delay {
            Delay::Fixed { steps } => steps,
            Delay::PerSynapse { max_steps } => max_steps,
        };
        QuietSkip { reach: longest + 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(delay: &str) -> Network {
        crate::test_source_into("size: 2, model: lif", &format!(", {delay}"))
    }

    #[test]
    fn a_kernel_reaches_one_step_past_its_longest_delay() {
        let none = net("delay: 0.0");
        assert_eq!(QuietSkip::of(&none, &none.connections[0]).reach, 1);
        let fixed = net("delay: 3.0");
        assert_eq!(QuietSkip::of(&fixed, &fixed.connections[0]).reach, 4);
        let learned = net("delay: {uniform: {min: 0.0, max: 1.0}}, max_delay: 4.0, learn: [delay]");
        assert_eq!(QuietSkip::of(&learned, &learned.connections[0]).reach, 5);
    }
}
