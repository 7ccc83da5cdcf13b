//! How each connection delivers its source's spikes into its target's delay ring: one value per
//! strategy (fan-out × delay), which every backend prints.

use crate::ir::{Connection, Connectivity, Delays, Network};

/// Which targets one spike reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fanout {
    /// Every target neuron (a dense row of weights).
    Dense,
    /// The targets of the source's CSR row (fixed-probability connectivity).
    Sparse {
        /// The longest row.
        max_row_len: u32,
    },
    /// The target with the source's index.
    OneToOne,
}

/// When a spike arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// After the same number of steps for every synapse.
    Fixed {
        /// The delay in steps.
        steps: u32,
    },
    /// After each synapse's own number of steps.
    PerSynapse {
        /// The longest delay in steps.
        max_steps: u32,
    },
}

/// The delivery strategy of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Which targets a spike reaches.
    pub fanout: Fanout,
    /// When it arrives.
    pub delay: Delay,
    /// Source population size.
    pub source_size: u32,
    /// Target population size.
    pub target_size: u32,
}

impl Delivery {
    /// The delivery of connection `c` of `net`.
    pub fn of(net: &Network, c: &Connection) -> Delivery {
        Delivery {
            fanout: match c.connectivity {
                Connectivity::Dense => Fanout::Dense,
                Connectivity::OneToOne => Fanout::OneToOne,
                Connectivity::FixedProbability { max_row_len, .. } => {
                    Fanout::Sparse { max_row_len }
                }
            },
            delay: match c.delays {
                Delays::Uniform { steps } => Delay::Fixed { steps },
                Delays::PerSynapse { .. } => Delay::PerSynapse {
                    max_steps: c.max_delay_steps,
                },
            },
            source_size: net.pop(c.source).size,
            target_size: net.pop(c.target).size,
        }
    }

    /// Delays per synapse.
    pub fn per_synapse_delay(&self) -> bool {
        matches!(self.delay, Delay::PerSynapse { .. })
    }

    /// The one delay in steps (0 with per-synapse delays).
    pub fn fixed_steps(&self) -> u32 {
        match self.delay {
            Delay::Fixed { steps } => steps,
            Delay::PerSynapse { .. } => 0,
        }
    }

    /// The work items one spike of this connection is split into when delivered in parallel:
    /// every target (dense), every possible spike (one-to-one), every row position (CSR).
    pub fn parallel_items(&self) -> u64 {
        match self.fanout {
            Fanout::Dense => self.target_size as u64,
            Fanout::OneToOne => self.source_size as u64,
            Fanout::Sparse { max_row_len } => max_row_len as u64,
        }
    }

    /// The delays, for comments: `delay N steps` or `per-synapse delays up to N steps`.
    pub fn delay_note(&self) -> String {
        match self.delay {
            Delay::Fixed { steps } => format!("delay {steps} steps"),
            Delay::PerSynapse { max_steps } => {
                format!("per-synapse delays up to {max_steps} steps")
            }
        }
    }

    /// The longest CSR row (0 when not sparse).
    pub fn max_row_len(&self) -> u32 {
        match self.fanout {
            Fanout::Sparse { max_row_len } => max_row_len,
            _ => 0,
        }
    }
}

/// The connectivity of `c`, for comments: `dense`, `one-to-one` or `fixed probability P`.
pub fn kind_note(c: &Connection) -> String {
    match c.connectivity {
        Connectivity::Dense => "dense".into(),
        Connectivity::OneToOne => "one-to-one".into(),
        Connectivity::FixedProbability { probability, .. } => {
            format!("fixed probability {probability}")
        }
    }
}
