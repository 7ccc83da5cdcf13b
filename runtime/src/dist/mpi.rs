//! The [`Communicator`] over MPI (feature `mpi`, the `mpi` crate over the system's Open MPI or
//! MPICH): MPI is started only when a launcher (`mpirun`, `srun`) started this process, so a
//! plain run of an MPI build stays a single process and never touches MPI.
//!
//! Only the thread that started MPI calls it (MPI_THREAD_FUNNELED): the lanes' threads and the
//! batch loader never do.

use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives as _, Destination as _, Source as _};

use super::Communicator;

/// Environment variables a launcher sets in every process it starts: Open MPI's, PMIx's (Open MPI
/// 5, `srun --mpi=pmix`) and PMI's (MPICH's hydra, `srun --mpi=pmi2`).
const LAUNCHER_VARS: [&str; 4] = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"];

/// MPI's world of this run; MPI is finalised when it is dropped.
pub struct Mpi {
    world: SimpleCommunicator,
    // Dropped last: finalises MPI.
    _universe: Universe,
}

impl Mpi {
    /// Start MPI when a launcher started this process; `None` otherwise (a single-process run).
    pub fn from_launcher() -> Option<Mpi> {
        if !LAUNCHER_VARS.iter().any(|v| std::env::var_os(v).is_some()) {
            return None;
        }
        let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
        Some(Mpi {
            world: universe.world(),
            _universe: universe,
        })
    }

    /// End every rank of the job now with exit code `code` (after this rank printed its error).
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

impl Communicator for Mpi {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(&self, local: &[u8]) -> Vec<Vec<u8>> {
        let n = self.size();
        let mut counts = vec![0i32; n];
        let len = i32::try_from(local.len()).expect("a message under 2 GiB");
        self.world.all_gather_into(&len, &mut counts[..]);
        let displs: Vec<i32> = counts
            .iter()
            .scan(0i32, |at, &c| {
                let here = *at;
                *at += c;
                Some(here)
            })
            .collect();
        let total: i32 = counts.iter().sum();
        let mut buf = vec![0u8; total as usize];
        {
            let mut parts = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(local, &mut parts);
        }
        counts
            .iter()
            .zip(&displs)
            .map(|(&c, &d)| buf[d as usize..(d + c) as usize].to_vec())
            .collect()
    }

    fn exchange(&self, partner: usize, send: &[u8], recv: &mut [u8]) {
        let p = self.world.process_at_rank(partner as i32);
        mpi::point_to_point::send_receive_into(send, &p, recv, &p);
    }

    fn send(&self, to: usize, bytes: &[u8]) {
        self.world.process_at_rank(to as i32).send(bytes);
    }

    fn receive(&self, from: usize, bytes: &mut [u8]) {
        self.world.process_at_rank(from as i32).receive_into(bytes);
    }
}
