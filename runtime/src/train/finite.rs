//! Training stops at the first NaN or infinity: after every optimiser step the batch's losses,
//! the learned parameters' gradients, the parameters and their Adam moments are checked, in that
//! order (so the report names where the fault began), before anything of the epoch is written.
//! The run folder keeps the last good epoch's checkpoint, from which `--resume` continues.

use rgenn_codegen::ir::Network;
use rgenn_codegen::ir::buffers::{Owner, Role};

use crate::error::SimError;
use crate::passes::loss::TrialLoss;
use crate::sim::engine::Engine;

/// The roles checked, in order, and what they hold in words.
const CHECKED: [(Role, &str); 8] = [
    (Role::WeightGrad, "weight gradient"),
    (Role::DelayGrad, "delay gradient"),
    (Role::Weight, "weights"),
    (Role::DelayMs, "delays"),
    (Role::WeightAdamM, "Adam first moment of the weights"),
    (Role::WeightAdamV, "Adam second moment of the weights"),
    (Role::DelayAdamM, "Adam first moment of the delays"),
    (Role::DelayAdamV, "Adam second moment of the delays"),
];

/// Where a batch of `epoch` (from 1), `batch` (from 1) is.
#[derive(Clone, Copy, Debug)]
pub struct At {
    /// Epoch, from 1.
    pub epoch: u32,
    /// Batch within the epoch, from 1.
    pub batch: usize,
}

fn first_bad(values: impl IntoIterator<Item = f64>) -> Option<(usize, f64)> {
    values.into_iter().enumerate().find(|(_, v)| !v.is_finite())
}

/// Check the batch just stepped: its trials' `losses`, then every learned parameter's gradient
/// (lane 0, where the step summed the lanes), the parameters and the Adam moments of `sim`.
pub fn check_step<E: Engine + ?Sized>(
    sim: &mut E,
    losses: &[TrialLoss],
    at: At,
) -> Result<(), SimError> {
    let fail = |what: String, buffer: &str, (index, value): (usize, f64)| SimError::NonFinite {
        epoch: at.epoch,
        batch: at.batch,
        what,
        buffer: buffer.to_string(),
        index,
        value,
    };
    if let Some(bad) = first_bad(losses.iter().map(|l| l.loss)) {
        return Err(fail("the loss of the batch's trials".into(), "loss", bad));
    }
    let net: Network = sim.network().clone();
    for (role, what) in CHECKED {
        for (i, b) in net.buffers.iter().enumerate() {
            let Owner::Connection(c) = b.owner else {
                continue;
            };
            if b.role != role {
                continue;
            }
            let mut values = sim.read_buffer(i)?;
            if b.batched {
                // after the step lane 0 holds the lanes' sum, so a fault in any lane shows there
                // (and a gradient that reached Adam shows in the parameters in any case)
                values.truncate(b.len as usize);
            }
            if let Some(bad) = first_bad(values) {
                let conn = &net.connections[c as usize].name;
                return Err(fail(format!("the {what} of `{conn}`"), &b.name, bad));
            }
        }
    }
    Ok(())
}
