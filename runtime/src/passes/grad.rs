//! Forward and adjoint passes over a dataset: the mean loss and the gradients of every weight and
//! delay (what `rgenn grad` writes and what training consumes).
//!
//! Each batch runs its lanes forward, computes each trial's loss from its readout, writes
//! dLoss/dReadout into the simulator and runs the adjoint pass of the same lane. Per-lane
//! gradients are then summed on the host in lane order, so results do not depend on the number of
//! threads.

use std::path::Path;

use rgenn_codegen::ir::{Network, Precision, Regularisation};

use crate::data::SpikeDataset;
use crate::data::npz::{self, OutArray};
use crate::error::{DataError, SimError};
use crate::passes::loss::LossSpec;
use crate::passes::{batches, bin_trials, input_of};
use crate::sim::engine::Engine;
use crate::sim::init::param_shape;

/// Gradients of the mean loss, per connection, in synapse order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gradients {
    /// dL/dw.
    pub weight: Vec<Vec<f64>>,
    /// dL/dd, per ms.
    pub delay: Vec<Vec<f64>>,
}

/// What a forward + backward pass over a dataset produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GradOutput {
    /// Mean loss over the trials.
    pub loss: f64,
    /// Fraction of trials whose predicted class is the label.
    pub accuracy: f64,
    /// Number of trials.
    pub n_trials: usize,
    /// Per-trial losses, in trial order.
    pub trial_losses: Vec<f64>,
    /// Gradients of the mean loss.
    pub grads: Gradients,
}

/// The label of every trial, checked against the number of classes.
pub fn labels(data: &SpikeDataset, path: &Path, classes: u32) -> Result<Vec<u32>, DataError> {
    let labels = data.labels.as_ref().ok_or_else(|| DataError::Invalid {
        path: path.to_path_buf(),
        message: "the loss needs a class per trial, but the file has no `labels` array".into(),
    })?;
    labels
        .iter()
        .enumerate()
        .map(|(k, &l)| {
            u32::try_from(l)
                .ok()
                .filter(|&l| l < classes)
                .ok_or_else(|| DataError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "`labels`: trial {k} has label {l}, but the output population has {classes} neurons (labels 0..{})",
                        classes - 1
                    ),
                })
        })
        .collect()
}

/// Which passes [`Engine::run_batch`] runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Passes<'a> {
    /// Forward only: losses and predictions (evaluation).
    Forward,
    /// Forward, then the adjoint pass: also gradients, with the spike-count regulariser over the
    /// lanes when given.
    ForwardBackward(Option<&'a Regularisation>),
}

/// Forward and backward over every trial of `data` on `sim`, a batch at a time: mean loss,
/// accuracy and the gradients of the mean loss. CPU lanes run on up to `threads` threads (results
/// never depend on it).
pub fn grad<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
) -> Result<GradOutput, SimError> {
    grad_until(sim, data, data_path, threads, &mut || false)
}

/// [`grad`], asking `stop` before each batch: `true` ends the pass with
/// [`SimError::Interrupted`] (e.g. on Ctrl-C).
pub fn grad_until<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
    stop: &mut dyn FnMut() -> bool,
) -> Result<GradOutput, SimError> {
    let net = sim.network().clone();
    let spec = LossSpec::of(&net)?;
    let labels = labels(data, data_path, spec.classes)?;
    let input = input_of(sim)?;
    if data.is_empty() {
        return Err(DataError::Invalid {
            path: data_path.to_path_buf(),
            message: "the dataset has no trials".into(),
        }
        .into());
    }
    let scale = 1.0 / data.len() as f64;
    let mut out = GradOutput {
        n_trials: data.len(),
        ..Default::default()
    };
    let mut correct = 0usize;
    for trials in batches(data.len(), net.batch_size as usize) {
        if stop() {
            return Err(SimError::Interrupted);
        }
        let batch_labels = &labels[trials.clone()];
        let inputs = bin_trials(&net, input, data, data_path, trials)?;
        let backward = Passes::ForwardBackward(None);
        let losses = sim.run_batch(&inputs, batch_labels, &spec, scale, threads, backward)?;
        for (t, &label) in losses.iter().zip(batch_labels) {
            out.trial_losses.push(t.loss);
            correct += usize::from(t.prediction == label);
        }
        sim.add_gradients(inputs.len() as u32, &mut out.grads)?;
    }
    out.loss = out.trial_losses.iter().sum::<f64>() * scale;
    out.accuracy = correct as f64 * scale;
    Ok(out)
}

/// Write `loss` and every connection's `weight_grad` and `delay_grad` (per ms), shaped like the
/// parameters, as an `.npz` (atomically).
pub fn write_output(net: &Network, out: &GradOutput, path: &Path) -> Result<(), SimError> {
    npz::write(path, &output_arrays(net, out)).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The arrays of the `grad` output `.npz`, by name, with their shapes, in the file's order.
pub fn output_arrays(net: &Network, out: &GradOutput) -> Vec<(String, Vec<u64>, OutArray)> {
    let float = |v: &[f64]| match net.precision {
        Precision::F32 => OutArray::F32(v.iter().map(|&x| x as f32).collect()),
        Precision::F64 => OutArray::F64(v.to_vec()),
    };
    let mut arrays = vec![("loss".to_string(), vec![], OutArray::F64(vec![out.loss]))];
    for (i, c) in net.connections.iter().enumerate() {
        let shape = param_shape(net, c);
        arrays.push((
            format!("{}.weight_grad", c.name),
            shape.clone(),
            float(&out.grads.weight[i]),
        ));
        arrays.push((
            format!("{}.delay_grad", c.name),
            shape,
            float(&out.grads.delay[i]),
        ));
    }
    arrays
}
