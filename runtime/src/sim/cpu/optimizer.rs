//! The optimiser step on the CPU: the lanes' gradients summed on the host's threads by the fixed
//! lane tree (`dist/tree.rs`), optionally combined with other processes' sums, then the generated
//! Adam step with delay clamping.

use rgenn_codegen::backend::plan::{consts, status};
use rgenn_codegen::ir::Precision;
use rgenn_codegen::ir::buffers::{Owner, Role};

use super::{Handle, Simulator};
use crate::dist::tree::sum_lanes_in_place;
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

    /// The gradient buffers of every learned weight and delay, in connection order (weights
    /// before delays), with their synapse counts.
    fn learned_gradients(&self) -> Vec<(Handle, usize)> {
        let net = self.network();
        let mut out = Vec::new();
        for (i, c) in net.connections.iter().enumerate() {
            for (grad, moment) in [
                (Role::WeightGrad, Role::WeightAdamM),
                (Role::DelayGrad, Role::DelayAdamM),
            ] {
                if find(net, i, moment).is_none() {
                    continue;
                }
                let b = find(net, i, grad).expect("a learned parameter has a gradient buffer");
                // SAFETY: valid handle and buffer index.
                let ptr = Handle(unsafe { (self.lib.buffer)(self.handle, b as u32) });
                out.push((ptr, c.n_synapses as usize));
            }
        }
        out
    }

    /// Lane 0's learned gradients (see [`Simulator::learned_gradients`]) as raw little-endian
    /// values of the network's precision, one after another.
    pub(super) fn lane0_gradient_bits(&self) -> Vec<u8> {
        let width = self.scalar_bytes();
        let mut bits = Vec::new();
        for (ptr, n) in self.learned_gradients() {
            // SAFETY: the buffer holds `batch_size * n` scalars; lane 0 is the first `n`.
            let lane0 = unsafe { std::slice::from_raw_parts(ptr.get().cast::<u8>(), n * width) };
            bits.extend_from_slice(lane0);
        }
        bits
    }

    /// Overwrite lane 0's learned gradients with `bits` (as [`Simulator::lane0_gradient_bits`]
    /// gives them).
    pub(super) fn set_lane0_gradient_bits(&mut self, bits: &[u8]) {
        let width = self.scalar_bytes();
        let mut rest = bits;
        for (ptr, n) in self.learned_gradients() {
            let (mine, tail) = rest.split_at(n * width);
            // SAFETY: as above; `&mut self` makes the write unique.
            unsafe {
                std::ptr::copy_nonoverlapping(mine.as_ptr(), ptr.get().cast::<u8>(), mine.len())
            };
            rest = tail;
        }
    }

    fn scalar_bytes(&self) -> usize {
        match self.network().precision {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }

    /// Sum the gradients of lanes `0..n_lanes` (their copies, one per lane group) into lane 0, for
    /// every learned weight and delay:
    /// blocks of [`SUM_BLOCK`] parameters go to whichever of up to `threads` threads is free, and
    /// each element is summed by the fixed lane tree ([`crate::dist::tree`]), whatever the
    /// threads.
    pub(super) fn sum_learned_gradients(&mut self, n_lanes: u32, threads: usize) {
        let net = self.network().clone();
        let mut blocks: Vec<(Handle, usize, usize, usize)> = Vec::new();
        for (ptr, n) in self.learned_gradients() {
            blocks.extend(
                (0..n)
                    .step_by(SUM_BLOCK)
                    .map(|first| (ptr, n, first, n.min(first + SUM_BLOCK))),
            );
        }
        // lanes of a group share one copy (`Network::gradient_copies`)
        let lanes = net.gradient_copies(n_lanes) as usize;
        let precision = net.precision;
        let sum = |&(ptr, n, first, end): &(Handle, usize, usize, usize)| {
            // SAFETY: the buffer holds `batch_size * n` scalars (lanes >= 1 are below batch_size);
            // each block is summed by one thread, and blocks do not overlap.
            unsafe {
                match precision {
                    Precision::F32 => {
                        sum_lanes_in_place(ptr.get().cast::<f32>(), n, lanes, first, end)
                    }
                    Precision::F64 => {
                        sum_lanes_in_place(ptr.get().cast::<f64>(), n, lanes, first, end)
                    }
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
