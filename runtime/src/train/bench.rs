//! `rgenn bench`: train on a dataset for a fixed number of examples after a warm-up and report the
//! time per training example, split by phase, with examples and synaptic events per second.

use std::path::Path;

use crate::data::SpikeDataset;
use crate::error::SimError;
use crate::passes::grad::labels;
use crate::passes::loss::LossSpec;
use crate::sim::engine::Engine;
use crate::sim::init::Params;
use crate::sim::profile::Profile;
use crate::train::BatchStep;
use crate::train::state::write_moments;

/// How to run a benchmark.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Threads for the lanes.
    pub threads: usize,
    /// Examples trained before timing starts.
    pub warmup: u64,
    /// Examples timed (rounded up to whole batches) per round.
    pub examples: u64,
    /// Rounds, each a warm-up and a timed part from the same starting point (at least 1).
    pub rounds: u32,
}

/// Train on `data` (cycled in file order from its first trial) from the parameters `initial` for
/// the warm-up, then time `examples` examples; repeat this `rounds` times, each round from the same
/// parameters, fresh Adam moments and the data's first trial, so every round does the same work
/// (training changes how much the network spikes). Runs on any simulator (kernel phases are timed
/// by the CPU kernels only). One profile per round.
pub fn bench<E: Engine + ?Sized>(
    sim: &mut E,
    initial: &Params,
    data: &SpikeDataset,
    path: &Path,
    opts: &BenchOptions,
) -> Result<Vec<Profile>, SimError> {
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
    // Train `examples` examples from the data's trial `*next` on, with Adam step `*steps` + 1 next.
    let run = |sim: &mut E,
               next: &mut usize,
               steps: &mut u64,
               examples: u64,
               profile: Option<&mut Profile>| {
        let mut profile = profile;
        let mut done = 0u64;
        while done < examples {
            let trials: Vec<usize> = (0..batch)
                .map(|k| (*next + k as usize) % data.len())
                .collect();
            *next = (*next + batch as usize) % data.len();
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
            step.run(sim, steps, profile.as_deref_mut())?;
            done += batch;
        }
        Ok::<(), SimError>(())
    };
    let mut profiles = Vec::new();
    for _ in 0..opts.rounds.max(1) {
        sim.upload(initial)?;
        write_moments(sim, None)?;
        let (mut next, mut steps) = (0usize, 0u64);
        sim.set_profiling(false);
        run(sim, &mut next, &mut steps, opts.warmup, None)?;
        sim.set_profiling(true);
        sim.take_profile();
        let mut profile = Profile::default();
        let start = std::time::Instant::now();
        run(
            sim,
            &mut next,
            &mut steps,
            opts.examples,
            Some(&mut profile),
        )?;
        profile.total_s = start.elapsed().as_secs_f64();
        profiles.push(profile);
    }
    sim.set_profiling(false);
    Ok(profiles)
}

/// The round with the least time per example, and the minimum, median and maximum milliseconds
/// per example over all rounds. `None` without rounds.
pub fn best_round(profiles: &[Profile]) -> Option<(&Profile, [f64; 3])> {
    let ms = |p: &Profile| 1e3 * p.total_s / p.examples.max(1) as f64;
    let best = profiles.iter().min_by(|a, b| ms(a).total_cmp(&ms(b)))?;
    let mut all: Vec<f64> = profiles.iter().map(ms).collect();
    all.sort_by(f64::total_cmp);
    let n = all.len();
    let median = if n % 2 == 1 {
        all[n / 2]
    } else {
        0.5 * (all[n / 2 - 1] + all[n / 2])
    };
    Some((best, [all[0], median, all[n - 1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_round_is_the_fastest_per_example_and_the_median_is_the_middle() {
        let round = |total_s: f64, examples: u64| Profile {
            examples,
            total_s,
            ..Profile::default()
        };
        let rounds = [
            round(0.5, 100),
            round(0.3, 100),
            round(0.8, 200),
            round(0.9, 100),
        ];
        let (best, [min, median, max]) = best_round(&rounds).expect("rounds");
        assert_eq!(best.total_s, 0.3);
        assert_eq!((min, max), (3.0, 9.0));
        // 3, 4, 5, 9 ms per example: the median is halfway between 4 and 5
        assert!((median - 4.5).abs() < 1e-12, "{median}");
        assert!(best_round(&[]).is_none());
    }
}
