//! Whole batches on a CUDA simulator: every lane forward with one launch per kernel and step, the
//! losses on the host (`loss.rs`), every lane backward, and the lane sums of the gradients on the
//! GPU; plus `simulate` and `grad` over a dataset with the CPU runtime's output types.
//!
//! Trials fill lanes `0..n` of a batch; lanes beyond a short last batch get no input spikes and
//! no loss gradient, and are left out of the sums.

use std::path::Path;

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{ModelKind, Regularisation};

use super::CudaSimulator;
use crate::data::SpikeDataset;
use crate::error::{DataError, SimError};
use crate::passes::grad::{GradOutput, Gradients, labels};
use crate::passes::loss::{LossSpec, TrialLoss, trial_loss};
use crate::passes::simulate::{PopSpikes, SimOutput};
use crate::sim::cpu::{LaneRecord, Recording, SpikeSource, TrialInput};

impl CudaSimulator {
    /// Run one trial per lane for `inputs` (at most `batch_size` of them): reset every lane, run
    /// every step, finish the trials. With `recording`, copy what it asks for after every step
    /// (a copy per step: for checks, not for speed) and return one record per input.
    pub fn forward(
        &mut self,
        inputs: &[TrialInput],
        recording: Option<&Recording>,
    ) -> Result<Vec<LaneRecord>, SimError> {
        let batch = self.net.batch_size as usize;
        assert!(inputs.len() <= batch, "more inputs than lanes");
        let n_steps = self.net.n_steps;
        let empty = TrialInput {
            step_start: vec![0; n_steps as usize + 1],
            units: Vec::new(),
        };
        for lane in 0..batch {
            self.set_input(lane as u32, inputs.get(lane).unwrap_or(&empty))?;
        }
        // SAFETY (all calls below): valid handle; steps are in range.
        self.call("resetting every lane", |a, h| unsafe { (a.reset_all)(h) })?;
        let mut records = vec![LaneRecord::default(); inputs.len()];
        if let Some(what) = recording {
            for r in &mut records {
                r.spikes = vec![Vec::new(); what.spikes.len()];
                r.traces = vec![Vec::new(); what.traces.len()];
            }
        }
        for n in 0..n_steps {
            let what = format!("running step {n}");
            self.call(&what, |a, h| unsafe { (a.step_all)(h, n) })?;
            if let Some(what) = recording {
                self.record_step(what, n, &mut records)?;
            }
        }
        self.call("finishing the trials", |a, h| unsafe {
            (a.finish_trial_all)(h)
        })?;
        self.status()?;
        Ok(records)
    }

    fn record_step(
        &mut self,
        what: &Recording,
        step: u32,
        records: &mut [LaneRecord],
    ) -> Result<(), SimError> {
        for (k, s) in what.spikes.iter().enumerate() {
            let counts = self.read_f64(s.count)?;
            let units = self.read_f64(s.units)?;
            for (lane, rec) in records.iter_mut().enumerate() {
                let first = lane * s.size as usize;
                let count = counts[lane] as usize;
                let list = &units[first..first + count];
                rec.spikes[k].extend(list.iter().map(|&u| (step, u as u32)));
            }
        }
        for (k, &(index, size)) in what.traces.iter().enumerate() {
            let values = self.read_f64(index)?;
            for (lane, rec) in records.iter_mut().enumerate() {
                let first = lane * size as usize;
                rec.traces[k].extend_from_slice(&values[first..first + size as usize]);
            }
        }
        Ok(())
    }

    /// Readouts of population `pop` in the first `n` lanes, `[n][size]`.
    pub fn readouts(&mut self, pop: usize, n: usize) -> Result<Vec<f64>, SimError> {
        let index = self
            .find(Owner::Population(pop as u32), Role::Readout)
            .ok_or_else(|| {
                SimError::Network(format!(
                    "population `{}` has no readout",
                    self.net.populations[pop].name
                ))
            })?;
        let size = self.net.populations[pop].size as usize;
        let mut all = self.read_f64(index)?;
        all.truncate(n * size);
        Ok(all)
    }

    /// After [`CudaSimulator::forward`]: the loss of the trial in each of the first
    /// `labels.len()` lanes against its label, then the adjoint pass of every lane, with
    /// dLoss/dReadout scaled by `scale` (1 / number of trials for a mean). The lanes' gradients
    /// are then on the GPU ([`CudaSimulator::gradient_sums`]).
    pub fn backward(
        &mut self,
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
    ) -> Result<Vec<TrialLoss>, SimError> {
        self.backward_regularised(labels, spec, scale, None)
    }

    /// [`CudaSimulator::backward`] with the spike-count regulariser over the batch's lanes (as
    /// the CPU's training step applies it) when given.
    pub fn backward_regularised(
        &mut self,
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        regularisation: Option<&Regularisation>,
    ) -> Result<Vec<TrialLoss>, SimError> {
        if !self.net.has_backward() {
            let missing: Vec<String> = self
                .net
                .populations
                .iter()
                .filter(|p| {
                    let m = self.net.model_of(p);
                    m.kind == ModelKind::Neuron && m.adjoint.is_none()
                })
                .map(|p| format!("`{}` ({})", p.name, self.net.model_of(p).name))
                .collect();
            return Err(SimError::Network(format!(
                "gradients cannot flow through population {}: its model has no `adjoint:` section",
                missing.join(", ")
            )));
        }
        let n = labels.len();
        let losses = self.losses(labels, spec, scale, true)?;
        self.write_count_grads(n, regularisation)?;
        let mut per_lane = vec![0i32; self.net.batch_size as usize];
        let ptr = per_lane.as_mut_ptr();
        // SAFETY: valid handle; `per_lane` has batch_size entries.
        let rc = unsafe { (self.api.begin_backward_all)(self.handle, ptr) };
        if rc < 0 {
            return Err(SimError::Device {
                what: "starting the backward pass".into(),
                message: super::explain(rc),
            });
        }
        if let Some(&r) = per_lane[..n].iter().find(|&&r| r > 0) {
            let pop = &self.net.populations[r as usize - 1];
            return Err(SimError::TapeOverflow {
                population: pop.name.clone(),
                capacity: pop.spike_capacity,
            });
        }
        for step in (0..self.net.n_steps).rev() {
            let what = format!("running reverse step {step}");
            // SAFETY: valid handle; the step is in range.
            self.call(&what, |a, h| unsafe { (a.back_step_all)(h, step) })?;
        }
        self.status()?;
        Ok(losses)
    }

    /// After [`CudaSimulator::forward`]: the loss of the trial in each of the first
    /// `labels.len()` lanes; with `write_grad`, dLoss/dReadout scaled by `scale` goes to the GPU
    /// for the adjoint pass (zero in the other lanes).
    pub fn losses(
        &mut self,
        labels: &[u32],
        spec: &LossSpec,
        scale: f64,
        write_grad: bool,
    ) -> Result<Vec<TrialLoss>, SimError> {
        let n = labels.len();
        let classes = spec.classes as usize;
        let z = self.readouts(spec.output, n)?;
        let losses: Vec<TrialLoss> = labels
            .iter()
            .enumerate()
            .map(|(lane, &label)| trial_loss(spec, &z[lane * classes..(lane + 1) * classes], label))
            .collect();
        if write_grad {
            let mut grad = vec![0.0; self.net.batch_size as usize * classes];
            for (lane, t) in losses.iter().enumerate() {
                for (g, d) in grad[lane * classes..].iter_mut().zip(&t.grad) {
                    *g = d * scale;
                }
            }
            let out = Owner::Population(spec.output as u32);
            let at = self
                .find(out, Role::ReadoutGrad)
                .expect("a readout population of a network with an adjoint has a readout gradient");
            self.write_f64(at, &grad)?;
        }
        Ok(losses)
    }

    /// Every hidden population's spike-count gradient over lanes `0..n` (zero without
    /// regularisation and for populations with a readout), as the CPU runtime sets it.
    fn write_count_grads(
        &mut self,
        n: usize,
        regularisation: Option<&Regularisation>,
    ) -> Result<(), SimError> {
        let net = self.net.clone();
        let lanes: Vec<u32> = (0..n as u32).collect();
        for (i, pop) in net.populations.iter().enumerate() {
            let owner = Owner::Population(i as u32);
            let Some(target) = self.find(owner, Role::CountGrad) else {
                continue;
            };
            let size = pop.size as usize;
            let grads = match (regularisation, pop.readout) {
                (Some(r), None) => {
                    let tape = self.find(owner, Role::TapeCount).expect("a spike tape");
                    let counts = self.read_f64(tape)?;
                    crate::sim::engine::count_grad(r, &counts, size, &lanes)
                }
                _ => vec![0.0; size],
            };
            self.write_f64(target, &grads)?;
        }
        Ok(())
    }

    /// The gradients of the first `n_lanes` lanes summed over lanes (in lane order, in double
    /// precision, on the GPU), per connection in synapse order.
    pub fn gradient_sums(&mut self, n_lanes: u32) -> Result<Gradients, SimError> {
        let sizes: Vec<usize> = self
            .net
            .connections
            .iter()
            .map(|c| c.n_synapses as usize)
            .collect();
        let mut all = vec![0.0f64; 2 * sizes.iter().sum::<usize>()];
        let dst = all.as_mut_ptr();
        // SAFETY: valid handle; `all` holds every connection's weight and delay gradients.
        self.call("summing the gradients over lanes", |a, h| unsafe {
            (a.sum_gradients)(h, n_lanes, dst)
        })?;
        let mut grads = Gradients::default();
        let mut rest = &all[..];
        for n in sizes {
            let (w, tail) = rest.split_at(n);
            let (d, tail) = tail.split_at(n);
            grads.weight.push(w.to_vec());
            grads.delay.push(d.to_vec());
            rest = tail;
        }
        Ok(grads)
    }
}

impl CudaSimulator {
    /// Sum the gradients of lanes `0..n_lanes` into lane 0 and take one Adam step on every
    /// learned weight and delay, as the CPU simulator's `rgenn_optimizer_step`; `hyper`: for
    /// weights then delays, lr, beta1, beta2, epsilon, 1 / (1 - beta1^t), 1 / (1 - beta2^t).
    pub fn optimizer_step(&mut self, n_lanes: u32, hyper: &[f64; 12]) -> Result<(), SimError> {
        let h = hyper.as_ptr();
        // SAFETY: valid handle; `hyper` holds the 12 values the generated function reads.
        self.call("taking an optimiser step", |a, handle| unsafe {
            (a.optimizer_step)(handle, n_lanes, h)
        })?;
        self.status()
    }
}

/// The binned inputs of trials `first..first + count` of `data`.
fn batch_inputs(
    sim: &CudaSimulator,
    data: &SpikeDataset,
    data_path: &Path,
    trials: std::ops::Range<usize>,
) -> Result<Vec<TrialInput>, SimError> {
    let net = &sim.net;
    let input = sim.input_pop.ok_or_else(|| {
        SimError::Network("the network has no spike-source population to feed".into())
    })?;
    let n_units = net.populations[input].size;
    trials
        .map(|k| Ok(data.bin(k, net.dt_ms, net.n_steps, n_units, data_path)?))
        .collect()
}

/// Run every trial of `data` on the GPU: the same output as the CPU's `simulate::simulate`
/// (spikes of every spiking population, readouts, recorded traces).
pub fn simulate(
    sim: &mut CudaSimulator,
    data: &SpikeDataset,
    data_path: &Path,
) -> Result<SimOutput, SimError> {
    let net = sim.net.clone();
    let mut recording = Recording::default();
    let mut out = SimOutput {
        n_trials: data.len(),
        ..Default::default()
    };
    for (i, pop) in net.populations.iter().enumerate() {
        let owner = Owner::Population(i as u32);
        if let (Some(count), Some(units)) = (
            sim.find(owner, Role::SpikeCount),
            sim.find(owner, Role::Spikes),
        ) {
            recording.spikes.push(SpikeSource {
                count,
                units,
                size: pop.size,
            });
            out.spikes.push(PopSpikes {
                pop: i,
                offsets: vec![0],
                ..Default::default()
            });
        }
        for v in &pop.record {
            let b = sim
                .find(owner, Role::Var(v.0))
                .expect("every variable has a buffer");
            recording.traces.push((b, pop.size));
            out.traces.push((i, v.0, Vec::new()));
        }
        if pop.readout.is_some() {
            out.readouts.push((i, Vec::new()));
        }
    }
    let batch = net.batch_size as usize;
    for first in (0..data.len()).step_by(batch) {
        let trials = first..(first + batch).min(data.len());
        let inputs = batch_inputs(sim, data, data_path, trials)?;
        let records = sim.forward(&inputs, Some(&recording))?;
        for rec in records {
            for (s, spikes) in out.spikes.iter_mut().zip(rec.spikes) {
                s.times
                    .extend(spikes.iter().map(|&(n, _)| n as f64 * net.dt_ms));
                s.units.extend(spikes.iter().map(|&(_, u)| u));
                s.offsets.push(s.units.len() as u64);
            }
            for (t, values) in out.traces.iter_mut().zip(rec.traces) {
                t.2.extend(values);
            }
        }
        for (pop, values) in out.readouts.iter_mut() {
            values.extend(sim.readouts(*pop, inputs.len())?);
        }
    }
    Ok(out)
}

/// Forward and backward over every trial of `data` on the GPU: mean loss, accuracy and the
/// gradients of the mean loss, as the CPU's `grad::grad` computes them.
pub fn grad(
    sim: &mut CudaSimulator,
    data: &SpikeDataset,
    data_path: &Path,
) -> Result<GradOutput, SimError> {
    let net = sim.net.clone();
    let spec = LossSpec::of(&net)?;
    let labels = labels(data, data_path, spec.classes)?;
    if data.is_empty() {
        return Err(DataError::Invalid {
            path: data_path.to_path_buf(),
            message: "the dataset has no trials".into(),
        }
        .into());
    }
    let batch = net.batch_size as usize;
    let scale = 1.0 / data.len() as f64;
    let mut out = GradOutput {
        n_trials: data.len(),
        ..Default::default()
    };
    let mut correct = 0usize;
    for first in (0..data.len()).step_by(batch) {
        let trials = first..(first + batch).min(data.len());
        let batch_labels = &labels[trials.clone()];
        let inputs = batch_inputs(sim, data, data_path, trials)?;
        sim.forward(&inputs, None)?;
        let losses = sim.backward(batch_labels, &spec, scale)?;
        for (t, &label) in losses.iter().zip(batch_labels) {
            out.trial_losses.push(t.loss);
            correct += usize::from(t.prediction == label);
        }
        let sums = sim.gradient_sums(inputs.len() as u32)?;
        add_gradients(&mut out.grads, sums);
    }
    out.loss = out.trial_losses.iter().sum::<f64>() * scale;
    out.accuracy = correct as f64 * scale;
    Ok(out)
}

/// `total += part`, element by element (the first part is taken as it is).
pub fn add_gradients(total: &mut Gradients, part: Gradients) {
    if total.weight.is_empty() {
        *total = part;
        return;
    }
    for (t, p) in total
        .weight
        .iter_mut()
        .chain(total.delay.iter_mut())
        .zip(part.weight.iter().chain(&part.delay))
    {
        t.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
}
