//! What each readout kind means, as typed data: what it starts from, what it accumulates and
//! when, how a trial finishes it, and how its gradient drives the adjoint. Printers print these
//! values; none of them matches on [`Readout`] itself.

use crate::ir::{Population, Readout};

/// The value a readout accumulator takes at the start of a trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// 0 (sums).
    Zero,
    /// -infinity (a maximum).
    NegInfinity,
    /// +infinity ("no spike yet").
    Infinity,
}

/// What a readout adds to its accumulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accumulate {
    /// Every step: `acc += var`.
    Sum,
    /// Every step: `acc += exp(-t / duration) * var`.
    ExpWeightedSum,
    /// Every step: `acc = max(acc, var)`, remembering the step.
    Max,
    /// At a neuron's first spike: `acc = t`, remembering the step.
    FirstSpike,
}

/// How dL/d(readout) enters the adjoint of a neuron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    /// Every reverse step: the gradient itself.
    Each,
    /// Every reverse step: the gradient / steps.
    EachMean,
    /// Every reverse step: the gradient * exp(-t / duration) / steps.
    EachExpMean,
    /// Only at the recorded step (the maximum's).
    AtStep,
    /// Added to dL/d(spike time) at the recorded step (the first spike's).
    SpikeTimeAtStep,
}

impl Drive {
    /// The drive of each reverse step reads the gradient (all but the first spike's).
    pub fn each_step(self) -> bool {
        self != Drive::SpikeTimeAtStep
    }

    /// It reads the time `t`.
    pub fn reads_time(self) -> bool {
        self == Drive::EachExpMean
    }

    /// It reads the recorded step of the readout.
    pub fn reads_step(self) -> bool {
        matches!(self, Drive::AtStep | Drive::SpikeTimeAtStep)
    }
}

/// The drive of `pop`'s readout, if it has one.
pub fn drive(pop: &Population) -> Option<Drive> {
    ReadoutPlan::of_pop(pop).map(|r| r.drive)
}

/// The plan of one population's readout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadoutPlan {
    /// The readout kind.
    pub kind: Readout,
    /// Start value of the accumulator.
    pub start: Start,
    /// What is accumulated.
    pub accumulate: Accumulate,
    /// A step-of-the-readout buffer is kept (max, first spike).
    pub records_step: bool,
    /// The accumulator is divided by the number of steps when a trial ends.
    pub divide_by_steps: bool,
    /// The accumulation reads the time `t`.
    pub reads_time: bool,
    /// How its gradient drives the adjoint.
    pub drive: Drive,
}

impl ReadoutPlan {
    /// The plan of readout kind `kind`.
    pub fn of(kind: Readout) -> ReadoutPlan {
        let (start, accumulate, divide_by_steps, drive) = match kind {
            Readout::Sum => (Start::Zero, Accumulate::Sum, false, Drive::Each),
            Readout::Mean => (Start::Zero, Accumulate::Sum, true, Drive::EachMean),
            Readout::MeanExp => (
                Start::Zero,
                Accumulate::ExpWeightedSum,
                true,
                Drive::EachExpMean,
            ),
            Readout::Max => (Start::NegInfinity, Accumulate::Max, false, Drive::AtStep),
            Readout::FirstSpike => (
                Start::Infinity,
                Accumulate::FirstSpike,
                false,
                Drive::SpikeTimeAtStep,
            ),
        };
        ReadoutPlan {
            kind,
            start,
            accumulate,
            records_step: matches!(accumulate, Accumulate::Max | Accumulate::FirstSpike),
            divide_by_steps,
            reads_time: matches!(
                accumulate,
                Accumulate::ExpWeightedSum | Accumulate::FirstSpike
            ),
            drive,
        }
    }

    /// The plan of `pop`'s readout, if it has one.
    pub fn of_pop(pop: &Population) -> Option<ReadoutPlan> {
        pop.readout.map(ReadoutPlan::of)
    }

    /// The readout accumulates every step (else only at spikes).
    pub fn each_step(&self) -> bool {
        self.accumulate != Accumulate::FirstSpike
    }

    /// The readout reads the model's readout variable.
    pub fn reads_var(&self) -> bool {
        self.each_step()
    }
}

/// The accumulator of `pop` is divided by the number of steps when a trial ends.
pub fn finishes(pop: &Population) -> bool {
    ReadoutPlan::of_pop(pop).is_some_and(|r| r.divide_by_steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_readout_kind_has_consistent_semantics() {
        for kind in [
            Readout::Sum,
            Readout::Mean,
            Readout::MeanExp,
            Readout::Max,
            Readout::FirstSpike,
        ] {
            let r = ReadoutPlan::of(kind);
            // What is accumulated every step drives every reverse step, and the other way round.
            assert_eq!(r.each_step(), r.drive.each_step(), "{kind:?}");
            // A recorded step is what the step-reading drives read.
            assert_eq!(r.records_step, r.drive.reads_step(), "{kind:?}");
            // Only sums start from zero.
            assert_eq!(
                r.start == Start::Zero,
                matches!(r.accumulate, Accumulate::Sum | Accumulate::ExpWeightedSum),
                "{kind:?}"
            );
        }
        assert!(ReadoutPlan::of(Readout::Mean).divide_by_steps);
        assert!(!ReadoutPlan::of(Readout::Sum).divide_by_steps);
    }
}
