//! The processes of this run: one, or the ranks an MPI launcher started (feature `mpi`,
//! docs/distributed.md), and how a failed rank ends the job.
//!
//! An error every rank agreed on (`SimError::Rank`, from a batch's checked exchange) is printed
//! once, by rank 0, and every rank exits with status 1. Any other error on a run of several
//! ranks is printed by the rank that has it, which then aborts the whole job (MPI_Abort), so no
//! rank waits for it.

use std::process::ExitCode;

use rgenn_runtime::SimError;
use rgenn_runtime::dist::{Communicator, Single};

use crate::commands::CliError;

/// This run's processes.
pub struct Ranks {
    #[cfg(feature = "mpi")]
    mpi: Option<rgenn_runtime::dist::mpi::Mpi>,
}

impl Ranks {
    /// MPI's ranks when a launcher started this process (and the build has MPI), else one.
    pub fn start() -> Ranks {
        Ranks {
            #[cfg(feature = "mpi")]
            mpi: rgenn_runtime::dist::mpi::Mpi::from_launcher(),
        }
    }

    /// The communicator the commands run over.
    pub fn comm(&self) -> &dyn Communicator {
        #[cfg(feature = "mpi")]
        if let Some(m) = &self.mpi {
            return m;
        }
        &Single
    }

    /// Report `e` as this run's processes must (see the module documentation); `report` prints
    /// an error as a single process does.
    pub fn fail(&self, e: &CliError, report: impl Fn(&CliError)) -> ExitCode {
        let comm = self.comm();
        if comm.size() == 1 {
            report(e);
            return ExitCode::FAILURE;
        }
        if let CliError::Sim(SimError::Rank { .. }) = e {
            if comm.rank() == 0 {
                report(e);
            }
            return ExitCode::FAILURE;
        }
        eprint!("rank {} of {}: ", comm.rank(), comm.size());
        report(e);
        self.abort()
    }

    #[cfg(feature = "mpi")]
    fn abort(&self) -> ExitCode {
        match &self.mpi {
            Some(m) => m.abort(1),
            None => ExitCode::FAILURE,
        }
    }

    #[cfg(not(feature = "mpi"))]
    fn abort(&self) -> ExitCode {
        ExitCode::FAILURE
    }
}
