//! One batch on the CPU's lanes: every lane forward with its loss and dLoss/dReadout, the
//! spike-count regulariser over the batch, then every lane's adjoint pass; lanes spread over the
//! threads longest first, results in lane order.

use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Precision, Regularisation};

use super::{Handle, Simulator};
use crate::error::SimError;
use crate::passes::grad::Gradients;
use crate::passes::loss::{LossSpec, TrialLoss, trial_loss};
use crate::sim::engine::{BatchShare, count_grad_of_sums, count_sums, find};

impl Simulator {
    /// Run each of `lanes` forward on up to `threads` threads and compute its loss against its
    /// label; with `grad_scale`, also write dLoss/dReadout times it into the lane's readout
    /// gradient (for the adjoint pass).
    pub(super) fn forward_losses(
        &mut self,
        lanes: &[u32],
        labels: &[u32],
        spec: &LossSpec,
        grad_scale: Option<f64>,
        threads: usize,
    ) -> Vec<TrialLoss> {
        let net = self.network().clone();
        let out = Owner::Population(spec.output as u32);
        let readout = find(&net, out, Role::Readout).expect("output has a readout");
        let readout_grad = find(&net, out, Role::ReadoutGrad).unwrap_or(usize::MAX);
        let size = spec.classes as usize;
        let precision = net.precision;
        let n_steps = net.n_steps;
        {
            let cost = self.lane_events(lanes, false);
            let ptr = |i: usize| Handle(unsafe { (self.lib.buffer)(self.handle, i as u32) });
            let (readout, readout_grad) = (ptr(readout), ptr(readout_grad));
            let handle = Handle(self.handle);
            let lib = &self.lib;
            for_lanes_balanced(lanes, &cost, threads, |lane| {
                let at = lane as usize * size;
                // SAFETY: each lane is run by exactly one thread and touches only its own state;
                // the readout and readout-gradient regions used here belong to this lane.
                unsafe {
                    for n in 0..n_steps {
                        (lib.step)(handle.get(), lane, n);
                    }
                    (lib.finish_trial)(handle.get(), lane);
                    let z: Vec<f64> = match precision {
                        Precision::F32 => {
                            let p = (readout.get() as *const f32).add(at);
                            (0..size).map(|k| *p.add(k) as f64).collect()
                        }
                        Precision::F64 => {
                            let p = (readout.get() as *const f64).add(at);
                            (0..size).map(|k| *p.add(k)).collect()
                        }
                    };
                    let label = labels[lanes.iter().position(|&l| l == lane).expect("own lane")];
                    let t = trial_loss(spec, &z, label);
                    if let Some(scale) = grad_scale {
                        match precision {
                            Precision::F32 => {
                                let p = (readout_grad.get() as *mut f32).add(at);
                                (0..size).for_each(|k| *p.add(k) = (t.grad[k] * scale) as f32);
                            }
                            Precision::F64 => {
                                let p = (readout_grad.get() as *mut f64).add(at);
                                (0..size).for_each(|k| *p.add(k) = t.grad[k] * scale);
                            }
                        }
                    }
                    t
                }
            })
        }
    }

    /// Run the adjoint pass of each of `lanes` (after [`Simulator::forward_losses`] and the count
    /// gradients), on up to `threads` threads.
    pub(super) fn backward_lanes(&mut self, lanes: &[u32], threads: usize) -> Result<(), SimError> {
        let net = self.network().clone();
        let n_steps = net.n_steps;
        let cost = self.lane_events(lanes, true);
        let handle = Handle(self.handle);
        let lib = &self.lib;
        // the lanes of a group share gradient copies: one thread runs them in lane order
        let groups = lane_groups(lanes, net.lane_group);
        let group_cost: Vec<f64> = groups
            .iter()
            .map(|g| g.iter().map(|&k| cost.get(k).copied().unwrap_or(0.0)).sum())
            .collect();
        let group_ids: Vec<u32> = (0..groups.len() as u32).collect();
        let codes = for_lanes_balanced(&group_ids, &group_cost, threads, |g| {
            for &k in &groups[g as usize] {
                let lane = lanes[k];
                // SAFETY: as above; the backward pass of a lane touches only that lane's state,
                // its group's gradients (no other lane of the group runs meanwhile), and reads
                // the shared, already written count gradients.
                unsafe {
                    let rc = (lib.begin_backward)(handle.get(), lane);
                    if rc != 0 {
                        return rc;
                    }
                    for n in (0..n_steps).rev() {
                        (lib.back_step)(handle.get(), lane, n);
                    }
                }
            }
            0
        });
        if let Some(&rc) = codes.iter().find(|&&rc| rc != 0) {
            return Err(if rc > 0 {
                let pop = &net.populations[rc as usize - 1];
                SimError::TapeOverflow {
                    population: pop.name.clone(),
                    capacity: pop.spike_capacity,
                }
            } else {
                SimError::Network("the simulator has no adjoint pass".into())
            });
        }
        Ok(())
    }

    /// Set every hidden population's spike-count gradient from the spike counts of `lanes`:
    /// `strength (C - target B) / B^2` per neuron, with `C` its spikes over the `B` lanes (the
    /// heuristic of Mészáros et al., applied as a kick to the adjoint at each spike); zero without
    /// regularisation and for populations with a readout. With `share`, `C` and `B` count the
    /// whole batch, over every process that runs part of it.
    pub(super) fn write_count_grads(
        &mut self,
        lanes: &[u32],
        regularisation: Option<&Regularisation>,
        share: Option<&mut dyn BatchShare>,
    ) -> Result<(), SimError> {
        let net = self.network().clone();
        // (count-gradient buffer, population size, spike sums over `lanes` when regularised)
        let mut targets = Vec::new();
        for (i, pop) in net.populations.iter().enumerate() {
            let owner = Owner::Population(i as u32);
            let Some(target) = find(&net, owner, Role::CountGrad) else {
                continue;
            };
            let size = pop.size as usize;
            let sums = match (regularisation, pop.readout) {
                (Some(_), None) => {
                    let counts = self.read_f64(find(&net, owner, Role::TapeCount).expect("tape"));
                    Some(count_sums(&counts, size, lanes))
                }
                _ => None,
            };
            targets.push((target, size, sums));
        }
        let mut batch_lanes = lanes.len() as u32;
        if let (Some(share), Some(_)) = (share, regularisation) {
            let local: Vec<f64> = targets
                .iter()
                .flat_map(|t| t.2.iter().flatten())
                .copied()
                .collect();
            let mut total = share.sum_counts(local)?.into_iter();
            for t in &mut targets {
                if let Some(sums) = &mut t.2 {
                    sums.iter_mut()
                        .for_each(|c| *c = total.next().expect("one sum per neuron"));
                }
            }
            batch_lanes = share.batch_lanes();
        }
        for (target, size, sums) in targets {
            let grads = match (regularisation, sums) {
                (Some(r), Some(c)) => count_grad_of_sums(r, &c, batch_lanes),
                _ => vec![0.0; size],
            };
            self.write_f64(target, &grads);
        }
        Ok(())
    }

    /// Add the gradients held by `lanes` (in this order) to `grads`: each lane's own, or with
    /// `lane_group` above 1 each of their groups' copies once.
    pub fn add_lane_gradients(&mut self, lanes: &[u32], grads: &mut Gradients) {
        let net = self.network().clone();
        if grads.weight.is_empty() {
            *grads = Gradients {
                weight: net
                    .connections
                    .iter()
                    .map(|c| vec![0.0; c.n_synapses as usize])
                    .collect(),
                delay: net
                    .connections
                    .iter()
                    .map(|c| vec![0.0; c.n_synapses as usize])
                    .collect(),
            };
        }
        for (i, c) in net.connections.iter().enumerate() {
            let n = c.n_synapses as usize;
            for (role, total) in [
                (Role::WeightGrad, &mut grads.weight[i]),
                (Role::DelayGrad, &mut grads.delay[i]),
            ] {
                let b = find(&net, Owner::Connection(i as u32), role).expect("gradient buffer");
                let all = self.read_f64(b);
                for copy in gradient_copies(&net, lanes) {
                    let part = &all[copy * n..(copy + 1) * n];
                    total.iter_mut().zip(part).for_each(|(t, g)| *t += g);
                }
            }
        }
    }
}

/// Positions in `lanes` by lane group (`lane / lane_group`), groups in order of first appearance,
/// each group's lanes in increasing lane order (its first lane zeroes the group's gradients).
fn lane_groups(lanes: &[u32], lane_group: u32) -> Vec<Vec<usize>> {
    let g = lane_group.max(1);
    let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
    for (k, &lane) in lanes.iter().enumerate() {
        match groups.iter_mut().find(|(id, _)| *id == lane / g) {
            Some((_, members)) => members.push(k),
            None => groups.push((lane / g, vec![k])),
        }
    }
    for (_, members) in &mut groups {
        members.sort_by_key(|&k| lanes[k]);
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// The gradient copies that `lanes` accumulated into, in order, each once (copy `l / lane_group`).
fn gradient_copies(net: &rgenn_codegen::ir::Network, lanes: &[u32]) -> Vec<usize> {
    let mut copies: Vec<usize> = Vec::new();
    for &lane in lanes {
        let copy = (lane / net.lane_group.max(1)) as usize;
        if !copies.contains(&copy) {
            copies.push(copy);
        }
    }
    copies
}

/// Run `run` on every lane of `lanes` on up to `threads` threads and return the results in lane
/// order. Each thread takes the next lane not yet started, longest first by `cost` (one estimate
/// per lane, e.g. its synaptic events), so the threads finish close together: a thread that drew
/// short trials takes more of them, and no long trial is left to run alone at the end. Which
/// thread runs a lane does not change its result, since a lane touches only its own state.
fn for_lanes_balanced<T: Send>(
    lanes: &[u32],
    cost: &[f64],
    threads: usize,
    run: impl Fn(u32) -> T + Sync,
) -> Vec<T> {
    let mut order: Vec<usize> = (0..lanes.len()).collect();
    order.sort_by(|&a, &b| {
        let (ca, cb) = (cost.get(a).copied(), cost.get(b).copied());
        cb.partial_cmp(&ca).unwrap_or(std::cmp::Ordering::Equal)
    });
    crate::sim::cpu::run_balanced(lanes, &order, threads, |&lane| run(lane))
}

#[cfg(test)]
mod tests {
    use super::for_lanes_balanced;

    #[test]
    fn balanced_lanes_return_results_in_lane_order() {
        let lanes: Vec<u32> = vec![3, 0, 7, 1, 5, 2];
        for threads in 1..=4 {
            let cost: Vec<f64> = lanes.iter().map(|&l| f64::from(l % 4)).collect();
            let out = for_lanes_balanced(&lanes, &cost, threads, |lane| {
                // uneven work, so threads finish lanes out of order
                std::thread::sleep(std::time::Duration::from_millis(u64::from(lane % 3)));
                lane * 10
            });
            assert_eq!(out, vec![30, 0, 70, 10, 50, 20], "{threads} threads");
        }
    }
}
