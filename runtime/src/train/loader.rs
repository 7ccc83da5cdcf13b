//! Batches made ready ahead of the simulator: while one batch runs, another thread builds the next
//! one's inputs (augmentation on demand, then binning to steps).
//!
//! In: a list of jobs (the trials of each batch, in order) and a pure function that makes a job's
//! inputs. Out: the same inputs, in the same order, handed to the consumer — so results are the
//! same, bit for bit, as making them in line. At most two batches exist ahead of the one running
//! (one queued, one being made), so memory does not grow with the dataset. Does not touch the
//! simulator: the consumer does.

use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use crate::data::augment::EpochPlan;
use crate::data::{SpikeDataset, bin_spikes};
use crate::error::{DataError, SimError};
use rgenn_codegen::ir::{ModelKind, Network};

use crate::sim::cpu::TrialInput;

/// One epoch's training examples: as stored, or augmented one at a time on demand.
pub enum EpochExamples<'a> {
    /// The split as loaded.
    Stored {
        /// Its examples.
        data: &'a SpikeDataset,
        /// Their classes.
        labels: &'a [u32],
    },
    /// This epoch's augmented examples (`training.augment`).
    Augmented(EpochPlan<'a>),
}

impl EpochExamples<'_> {
    /// Examples this epoch.
    pub fn len(&self) -> usize {
        self.labels().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every example's class.
    pub fn labels(&self) -> &[u32] {
        match self {
            EpochExamples::Stored { labels, .. } => labels,
            EpochExamples::Augmented(p) => p.labels(),
        }
    }

    /// Example `k` binned to steps (see [`SpikeDataset::bin`]).
    pub fn bin(
        &self,
        k: usize,
        dt_ms: f64,
        n_steps: u32,
        n_units: u32,
        path: &Path,
    ) -> Result<TrialInput, DataError> {
        match self {
            EpochExamples::Stored { data, .. } => data.bin(k, dt_ms, n_steps, n_units, path),
            EpochExamples::Augmented(p) => {
                let ev = p.events(k);
                // Channels of augmented events are in `0..channels` (out-of-range ones dropped).
                let spikes = ev.iter().map(|&(t, u)| (t, u as u32));
                bin_spikes(spikes, k, dt_ms, n_steps, n_units, path)
            }
        }
    }
}

/// The size of the network's spike-source population (the units a trial may use).
pub fn input_units(net: &Network) -> Result<u32, SimError> {
    net.populations
        .iter()
        .find(|p| net.model_of(p).kind == ModelKind::SpikeSource)
        .map(|p| p.size)
        .ok_or_else(|| {
            SimError::Network("the network has no spike-source population to feed".into())
        })
}

/// Call `consume(job, make(job))` for every job in order, with `make` running on another thread
/// up to two jobs ahead. The first error (of either) ends the loop and is returned. Returns the
/// seconds `consume`'s thread spent waiting for `make` (0 when loading never stalled).
pub fn ahead<J: Sync, T: Send>(
    jobs: &[J],
    make: impl Fn(&J) -> Result<T, SimError> + Sync,
    mut consume: impl FnMut(&J, T) -> Result<(), SimError>,
) -> Result<f64, SimError> {
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Result<T, SimError>>(1);
        let make = &make;
        scope.spawn(move || {
            for job in jobs {
                let made = make(job);
                let failed = made.is_err();
                // The consumer hung up (it failed): stop.
                if tx.send(made).is_err() || failed {
                    return;
                }
            }
        });
        let mut waited = 0.0;
        for job in jobs {
            let clock = Instant::now();
            let made = rx
                .recv()
                .expect("the loader sends one result per job until it sends an error")?;
            waited += clock.elapsed().as_secs_f64();
            consume(job, made)?;
        }
        Ok(waited)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ahead_keeps_order_and_stops_at_the_first_error() {
        let jobs: Vec<u32> = (0..50).collect();
        let mut seen = Vec::new();
        ahead(
            &jobs,
            |&j| Ok(j * 2),
            |&j, t| {
                seen.push((j, t));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, jobs.iter().map(|&j| (j, j * 2)).collect::<Vec<_>>());
        // An error while making job 7 ends the loop after job 6.
        let mut seen = Vec::new();
        let e = ahead(
            &jobs,
            |&j| {
                if j == 7 {
                    Err(SimError::Network("bad job".into()))
                } else {
                    Ok(j)
                }
            },
            |&j, _| {
                seen.push(j);
                Ok(())
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("bad job"));
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        // An error of the consumer stops the loader too (the scope returns).
        let e = ahead(
            &jobs,
            |&j| Ok(j),
            |&j, _| {
                if j == 3 {
                    Err(SimError::Network("stop".into()))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("stop"));
    }
}
