//! The optimiser step on the CPU: the lanes' gradients summed on the host's threads in lane order,
//! then the generated Adam step with delay clamping.

use rgenn_codegen::backend::plan::{consts, status};
use rgenn_codegen::ir::Precision;
use rgenn_codegen::ir::buffers::{Owner, Role};

use super::{Handle, Simulator};
use crate::error::SimError;

fn find(net: &rgenn_codegen::ir::Network, conn: usize, role: Role) -> Option<usize> {
    crate::sim::engine::find(net, Owner::Connection(conn as u32), role)
}

impl Simulator {
    /// The generated Adam step (with delay clamping) from lane 0's summed gradients, with the 12
    /// hyperparameters `h` of [`adam_hyper`](crate::sim::engine::adam_hyper).
    pub(super) fn adam_step(&mut self, n_lanes: u32, h: &[f64; 12]) -> Result<(), SimError> {
        // SAFETY: valid handle; `h` holds the 12 values the generated function reads.
        let rc = unsafe { (self.lib.optimizer_step)(self.handle, 1, h.as_ptr()) };
        match rc {
            0 => Ok(()),
            status::RGENN_ERR_NO_ADJOINT => Err(SimError::Network(
                "the simulator has no adjoint pass, so it cannot be trained".into(),
            )),
            _ => Err(SimError::Network(format!(
                "optimiser step over {n_lanes} lanes rejected"
            ))),
        }
    }

    /// Add the gradients of lanes `1..n_lanes` to lane 0's, for every learned weight and delay:
    /// blocks of [`SUM_BLOCK`] parameters go to whichever of up to `threads` threads is free, and
    /// each element is summed in lane order, `((g0 + g1) + g2) + ...`, whatever the threads.
    pub(super) fn sum_learned_gradients(&mut self, n_lanes: u32, threads: usize) {
        let net = self.network().clone();
        let mut blocks: Vec<(Handle, usize, usize, usize)> = Vec::new();
        for (i, c) in net.connections.iter().enumerate() {
            for (grad, moment) in [
                (Role::WeightGrad, Role::WeightAdamM),
                (Role::DelayGrad, Role::DelayAdamM),
            ] {
                if find(&net, i, moment).is_none() {
                    continue;
                }
                let b = find(&net, i, grad).expect("a learned parameter has a gradient buffer");
                let n = c.n_synapses as usize;
                // SAFETY: valid handle and buffer index.
                let ptr = Handle(unsafe { (self.lib.buffer)(self.handle, b as u32) });
                blocks.extend(
                    (0..n)
                        .step_by(SUM_BLOCK)
                        .map(|first| (ptr, n, first, n.min(first + SUM_BLOCK))),
                );
            }
        }
        let lanes = n_lanes as usize;
        let precision = net.precision;
        let sum = |&(ptr, n, first, end): &(Handle, usize, usize, usize)| {
            // SAFETY: the buffer holds `batch_size * n` scalars (lanes >= 1 are below batch_size);
            // each block is summed by one thread, and blocks do not overlap.
            unsafe {
                match precision {
                    Precision::F32 => sum_lanes(ptr.get().cast::<f32>(), n, lanes, first, end),
                    Precision::F64 => sum_lanes(ptr.get().cast::<f64>(), n, lanes, first, end),
                }
            }
        };
        if lanes > 1 {
            crate::sim::cpu::for_each_balanced(&blocks, threads, sum);
        }
    }
}

/// Parameters per block of the lane sum, the generated optimiser's block: lane 0's block (128 KiB
/// in f32) stays in cache while the other lanes are added to it.
const SUM_BLOCK: usize = consts::OPTIMIZER_BLOCK as usize;

/// `lane0[first..end] += lane_k[first..end]` for k = 1, 2, ... in order, where lane k starts `k * n`
/// elements after `base`.
///
/// # Safety
/// `base` must point to `lanes * n` valid elements that no other thread touches in `first..end`.
unsafe fn sum_lanes<T: Copy + std::ops::AddAssign>(
    base: *mut T,
    n: usize,
    lanes: usize,
    first: usize,
    end: usize,
) {
    // SAFETY: as the caller promises.
    let dst = unsafe { std::slice::from_raw_parts_mut(base.add(first), end - first) };
    for lane in 1..lanes {
        // SAFETY: as the caller promises; lane k's block does not overlap lane 0's.
        let src = unsafe { std::slice::from_raw_parts(base.add(lane * n + first), end - first) };
        for (d, &s) in dst.iter_mut().zip(src) {
            *d += s;
        }
    }
}
