//! The algorithm that updates each population every step.

use serde::Serialize;

use super::readout::ReadoutPlan;
use crate::ir::{ModelKind, Network, Population};

/// How a population is updated every step. Templates switch on its tag
/// (`{% if p.update == "flags" %}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Update {
    /// A spike source: its spikes are copied from the lane's input; no model code runs.
    Source,
    /// A branch-free pass over a chunk of neurons (update and threshold test, one flag byte
    /// each), the fired list read from the flags as words, then tape, readout and reset for
    /// the neurons that fired only. For spiking populations without a per-step readout.
    Flags,
    /// One loop over the neurons doing everything: non-spiking populations, and those whose
    /// readout accumulates every step.
    Loop,
}

impl Update {
    /// The update of `pop`.
    pub fn of(net: &Network, pop: &Population) -> Update {
        let model = net.model_of(pop);
        if model.kind == ModelKind::SpikeSource {
            return Update::Source;
        }
        let each_step = ReadoutPlan::of_pop(pop).is_some_and(|r| r.each_step());
        if model.is_spiking() && !each_step {
            Update::Flags
        } else {
            Update::Loop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(readout: &str) -> Network {
        crate::test_source_into(&format!("size: 2, model: lif{readout}"), "")
    }

    #[test]
    fn spiking_populations_use_flags_unless_their_readout_runs_every_step() {
        let plain = net("");
        assert_eq!(Update::of(&plain, &plain.populations[0]), Update::Source);
        assert_eq!(Update::of(&plain, &plain.populations[1]), Update::Flags);
        let first = net(", readout: first_spike");
        assert_eq!(Update::of(&first, &first.populations[1]), Update::Flags);
    }
}
