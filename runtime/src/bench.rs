//! `rgenn bench`: train on a dataset for a fixed number of examples after a warm-up and report the
//! time per training example, split by phase, with examples and synaptic events per second.

use std::path::Path;

use crate::data::SpikeDataset;
use crate::engine::Engine;
use crate::error::SimError;
use crate::grad::labels;
use crate::loss::LossSpec;
use crate::profile::Profile;
use crate::train::BatchStep;

/// How to run a benchmark.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Threads for the lanes.
    pub threads: usize,
    /// Examples trained before timing starts.
    pub warmup: u64,
    /// Examples timed (rounded up to whole batches).
    pub examples: u64,
}

/// Train on `data` (cycled in file order) for the warm-up, then time `examples` examples, on any
/// simulator (kernel phases are timed by the CPU kernels only).
pub fn bench<E: Engine + ?Sized>(
    sim: &mut E,
    data: &SpikeDataset,
    path: &Path,
    opts: &BenchOptions,
) -> Result<Profile, SimError> {
    let spec = LossSpec::of(sim.network())?;
    let labels = labels(data, path, spec.classes)?;
    if data.is_empty() {
        return Err(SimError::Network("the dataset has no trials".into()));
    }
    let training = sim.network().run.training.clone().ok_or_else(|| {
        SimError::Network(
            "bench trains the network: it needs a `training:` section (loss, optimisers)".into(),
        )
    })?;
    let batch = sim.network().batch_size as u64;
    let mut next = 0usize;
    let mut steps = 0u64;
    let mut run = |sim: &mut E, examples: u64, profile: Option<&mut Profile>| {
        let mut profile = profile;
        let mut done = 0u64;
        while done < examples {
            let trials: Vec<usize> = (0..batch)
                .map(|k| (next + k as usize) % data.len())
                .collect();
            next = (next + batch as usize) % data.len();
            let batch_labels: Vec<u32> = trials.iter().map(|&k| labels[k]).collect();
            let step = BatchStep {
                data,
                path,
                trials: &trials,
                labels: &batch_labels,
                spec: &spec,
                training: &training,
                epoch: 0,
                threads: opts.threads,
            };
            step.run(sim, &mut steps, profile.as_deref_mut())?;
            done += batch;
        }
        Ok::<(), SimError>(())
    };
    run(sim, opts.warmup, None)?;
    sim.set_profiling(true);
    sim.take_profile();
    let mut profile = Profile::default();
    let start = std::time::Instant::now();
    run(sim, opts.examples, Some(&mut profile))?;
    profile.total_s = start.elapsed().as_secs_f64();
    sim.set_profiling(false);
    Ok(profile)
}
