//! Forward and adjoint passes over a dataset: the mean loss and the gradients of every weight and
//! delay (what `rgenn grad` writes and what training consumes).
//!
//! Each batch runs its lanes forward, computes each trial's loss from its readout, writes
//! dLoss/dReadout into the simulator and runs the adjoint pass of the same lane. A batch's lane
//! gradients are then summed on the host by the fixed lane tree (`dist/tree.rs`) and added to
//! the total batch by batch, so results depend neither on the threads nor on the processes.

use std::path::Path;

use rgenn_codegen::ir::{Network, Precision, Regularisation};

use rgenn_codegen::ir::buffers::{Owner, Role};

use crate::data::SpikeDataset;
use crate::data::npz::{self, OutArray};
use crate::dist::tree::{Layout, combine_blocks, sum_lanes_in_place};
use crate::dist::{Communicator, Single, checked};
use crate::error::{DataError, SimError};
use crate::passes::loss::LossSpec;
use crate::passes::{batches, bin_trials, input_of};
use crate::sim::engine::{Engine, find};
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
    /// [`Passes::ForwardBackward`] for a training step: only the gradients the optimiser reads
    /// (of learned weights and delays) need be accumulated. They are the same, bit for bit; the
    /// CPU simulators skip the others (which then read zero), the CUDA one computes them all.
    Train(Option<&'a Regularisation>),
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
    grad_on(sim, data, data_path, threads, stop, &Single)
}

/// [`grad_until`] as one of the processes of `comm` (docs/distributed.md): each rank runs its
/// lanes of every batch, a batch's lane gradients are summed by the fixed lane tree (in f64,
/// `dist/tree.rs`) and added to the total batch after batch, so every rank ends with the same
/// bits as one process.
pub fn grad_on<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    data_path: &Path,
    threads: usize,
    stop: &mut dyn FnMut() -> bool,
    comm: &dyn Communicator,
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
    let layout = Layout::new(
        net.batch_size as usize,
        comm.size(),
        net.lane_group as usize,
    );
    let mut correct = 0usize;
    for trials in batches(data.len(), net.batch_size as usize) {
        let lanes = layout.lanes(comm.rank(), trials.len());
        let mine = trials.start + lanes.start..trials.start + lanes.end;
        let local = if stop() {
            Err(SimError::Interrupted)
        } else {
            bin_trials(&net, input, data, data_path, mine.clone()).and_then(|inputs| {
                let backward = Passes::ForwardBackward(None);
                let labels = &labels[mine.clone()];
                sim.run_batch(&inputs, labels, &spec, scale, threads, backward)
            })
        };
        let losses = checked::all_losses(comm, local)?;
        for (t, &label) in losses.iter().zip(&labels[trials.clone()]) {
            out.trial_losses.push(t.loss);
            correct += usize::from(t.prediction == label);
        }
        let sum = batch_sum(sim, mine.len(), |bits| {
            combine_blocks(comm, &layout, trials.len(), Precision::F64, bits)
        })?;
        add_into(&mut out.grads, sum);
    }
    out.loss = out.trial_losses.iter().sum::<f64>() * scale;
    out.accuracy = correct as f64 * scale;
    Ok(out)
}

/// The gradients of this rank's `n_lanes` lanes summed by the lane tree in f64, then combined
/// with the other ranks' by `combine` (raw f64 bits in place), per connection.
fn batch_sum<E: Engine + ?Sized>(
    sim: &mut E,
    n_lanes: usize,
    combine: impl FnOnce(&mut [u8]),
) -> Result<Gradients, SimError> {
    let net = sim.network().clone();
    let mut bits = Vec::new();
    for (i, c) in net.connections.iter().enumerate() {
        let n = c.n_synapses as usize;
        for role in [Role::WeightGrad, Role::DelayGrad] {
            let b = find(&net, Owner::Connection(i as u32), role).expect("gradient buffer");
            // one copy per lane group (`Network::gradient_copies`)
            let copies = net.gradient_copies(n_lanes as u32) as usize;
            let mut lanes = sim.read_buffer(b)?;
            lanes.truncate(copies.max(1) * n);
            // SAFETY: `lanes` holds `copies` copies of `n` values and no other thread sees it.
            unsafe { sum_lanes_in_place(lanes.as_mut_ptr(), n, copies, 0, n) };
            bits.extend(lanes[..n].iter().flat_map(|x| x.to_le_bytes()));
        }
    }
    combine(&mut bits);
    let mut values = bits
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")));
    let mut take = |n: usize| values.by_ref().take(n).collect::<Vec<f64>>();
    let mut g = Gradients::default();
    for c in &net.connections {
        let n = c.n_synapses as usize;
        g.weight.push(take(n));
        g.delay.push(take(n));
    }
    Ok(g)
}

/// `total += batch`, connection by connection (`total` starts empty).
fn add_into(total: &mut Gradients, batch: Gradients) {
    if total.weight.is_empty() {
        *total = batch;
        return;
    }
    for (t, b) in total.weight.iter_mut().zip(batch.weight) {
        t.iter_mut().zip(b).for_each(|(t, b)| *t += b);
    }
    for (t, b) in total.delay.iter_mut().zip(batch.delay) {
        t.iter_mut().zip(b).for_each(|(t, b)| *t += b);
    }
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
