//! Whole batches on a CUDA simulator: every lane forward with one launch per kernel and step, the
//! losses on the host (`loss.rs`), every lane backward, and the lane sums of the gradients on the
//! GPU. The passes over a dataset (`passes::simulate`, `passes::grad`) drive these through the
//! `Engine` impl (`engine_impl.rs`).
//!
//! Trials fill lanes `0..n` of a batch; lanes beyond a short last batch get no input spikes and
//! no loss gradient, and are left out of the sums.

use rgenn_codegen::ir::Regularisation;
use rgenn_codegen::ir::buffers::{Owner, Role};

use super::CudaSimulator;
use crate::error::SimError;
use crate::passes::grad::Gradients;
use crate::passes::loss::{LossSpec, TrialLoss, trial_loss};
use crate::sim::cpu::{LaneRecord, Recording, TrialInput};
use crate::sim::engine::require_adjoint;

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
        require_adjoint(&self.net)?;
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
