//! Data-parallel runs over several processes (docs/distributed.md): the [`Communicator`] a run
//! talks through, the lane layout and the fixed reduction tree ([`tree`]), and the checked
//! exchanges a batch makes ([`checked`]), through which an error on one rank ends every rank
//! with that rank's message.
//!
//! One process ([`Single`]) is the default and what a run without an MPI launcher gets; the
//! `mpi` feature adds [`mpi::Mpi`]. The training loop sees only the trait, so another transport
//! (NCCL across GPUs) can follow through the same seam.

pub mod checked;
#[cfg(feature = "mpi")]
pub mod mpi;
#[cfg(test)]
pub(crate) mod threads;
pub mod tree;

/// How the processes of a run talk: ranks `0..size()`, and messages of raw bytes. Every call is
/// collective or paired: all ranks (or both partners) make it in the same order.
pub trait Communicator {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;

    /// The number of processes.
    fn size(&self) -> usize;

    /// Every rank's `local` bytes (any length), in rank order.
    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>>;

    /// Send `send` to `partner` and receive as many bytes from it into `recv`.
    fn exchange(&self, partner: usize, send: &[u8], recv: &mut [u8]);

    /// Send `bytes` to `to` (which calls [`Communicator::receive`]).
    fn send(&self, to: usize, bytes: &[u8]);

    /// Receive exactly `bytes.len()` bytes from `from`.
    fn receive(&self, from: usize, bytes: &mut [u8]);
}

/// A run of one process: the default, and a run not started by an MPI launcher.
#[derive(Clone, Copy, Debug, Default)]
pub struct Single;

impl Communicator for Single {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>> {
        vec![local.to_vec()]
    }

    fn exchange(&self, _partner: usize, _send: &[u8], _recv: &mut [u8]) {
        unreachable!("one process has no partner")
    }

    fn send(&self, _to: usize, _bytes: &[u8]) {
        unreachable!("one process has no partner")
    }

    fn receive(&self, _from: usize, _bytes: &mut [u8]) {
        unreachable!("one process has no partner")
    }
}

/// True on the rank that writes files and reports progress (rank 0).
pub fn is_root(comm: &dyn Communicator) -> bool {
    comm.rank() == 0
}
