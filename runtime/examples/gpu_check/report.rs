//! The markdown report of a GPU check: parity table, failures in detail, benchmark tables.

use std::fmt::Write;

use crate::bench::{CpuBench, EPOCH_TRIALS, GpuBench};
use crate::parity::Outcome;

const MIB: f64 = 1024.0 * 1024.0;

fn sci(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.1e}")
    }
}

/// `(passed, failed, not run)` parity cases.
pub fn tally(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let mut t = (0, 0, 0);
    for o in outcomes {
        match o.passed() {
            Some(true) => t.0 += 1,
            Some(false) => t.1 += 1,
            None => t.2 += 1,
        }
    }
    t
}

/// The parity section.
pub fn parity(out: &mut String, outcomes: &[Outcome]) {
    let (pass, fail, skipped) = tally(outcomes);
    let _ = writeln!(out, "## CPU/GPU parity\n");
    let _ = writeln!(
        out,
        "Pass: f64 spikes identical, readouts and traces within 1e-12, loss and gradients within \
         1e-9; f32 spikes identical, loss and gradients within 1e-4. Differences are relative to \
         the largest magnitude of each CPU array.\n\n**{pass} passed, {fail} failed, {skipped} not run.**\n"
    );
    let _ = writeln!(
        out,
        "| case | batch | trials | CPU spikes | differing trials | worst forward | worst gradient | CPU s | GPU s | result |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for o in outcomes {
        let differing: usize = o.spikes.iter().map(|s| s.differing_trials).sum();
        let forward = o.forward.iter().map(|d| d.relative()).fold(0.0, f64::max);
        let grad = o.worst_grad().map_or("-".to_string(), |d| {
            format!("{} ({})", sci(d.relative()), d.name)
        });
        let result = match o.passed() {
            Some(true) => "pass",
            Some(false) => "**FAIL**",
            None => "not run",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {} |",
            o.name,
            o.batch,
            o.trials,
            o.cpu_spikes,
            differing,
            sci(forward),
            grad,
            o.seconds.0,
            o.seconds.1,
            result
        );
    }
    let skipped = |o: &&Outcome| {
        o.error
            .as_deref()
            .is_some_and(|e| e.starts_with("GPU part skipped"))
    };
    for o in outcomes
        .iter()
        .filter(|o| o.passed() != Some(true) && !skipped(o))
    {
        let _ = writeln!(out, "\n### {}\n", o.name);
        if let Some(e) = &o.error {
            let _ = writeln!(out, "{e}");
            continue;
        }
        for s in o.spikes.iter().filter(|s| s.differing_trials > 0) {
            let _ = writeln!(
                out,
                "- spikes of `{}`: {} of {} trials differ ({} vs {} spikes); {}",
                s.population,
                s.differing_trials,
                s.trials,
                s.reference_spikes,
                s.other_spikes,
                s.first.as_deref().unwrap_or("")
            );
        }
        for d in o.forward.iter().chain(&o.grads) {
            let _ = writeln!(
                out,
                "- `{}`: relative {} (largest difference {} at {}, largest CPU value {})",
                d.name,
                sci(d.relative()),
                sci(d.max_abs_diff),
                d.worst,
                sci(d.max_abs)
            );
        }
    }
}

/// The benchmark section.
pub fn bench(out: &mut String, gpu: &[GpuBench], cpu: &[CpuBench]) {
    let _ = writeln!(out, "\n## GPU benchmark\n");
    let _ = writeln!(
        out,
        "700-256(recurrent)-20, 1,000 steps of 1 ms, batch 256, ~5,000 input spikes per trial, \
         learned weights and delays; one epoch = {EPOCH_TRIALS} trials of forward + backward, and \
         an Adam step per batch. Host-side spike generation is not timed. The bar: mlGeNN on an \
         RTX A5000, 256 hidden, max delay 512: 39.6 s per epoch, 4,056 MiB.\n"
    );
    if gpu.is_empty() {
        let _ = writeln!(out, "GPU part not run (--cpu-only).");
    } else {
        let _ = writeln!(
            out,
            "| max delay (steps) | trials run | upload + forward s | backward s | optimiser s | s per epoch | ms per trial | hidden spikes per trial | buffers MiB | device used MiB (loaded / peak / total) | build + load s |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    }
    for r in gpu {
        if let Some(e) = &r.error {
            let _ = writeln!(out, "| {} | not run: {e} |", r.max_delay);
            continue;
        }
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.3} | **{:.1}** | {:.3} | {:.0} | {:.0} | {:.0} / {:.0} / {:.0} | {:.1} |",
            r.max_delay,
            r.trials,
            r.phases[0],
            r.phases[1],
            r.phases[2],
            r.epoch_seconds,
            r.epoch_seconds * 1e3 / EPOCH_TRIALS as f64,
            r.hidden_spikes,
            r.buffer_bytes as f64 / MIB,
            r.used.0 as f64 / MIB,
            r.used.1 as f64 / MIB,
            r.used.2 as f64 / MIB,
            r.build_seconds
        );
    }
    if gpu
        .iter()
        .any(|r| r.error.is_none() && r.trials < EPOCH_TRIALS)
    {
        let _ = writeln!(
            out,
            "\nRows with fewer trials than an epoch stopped at their time budget; their epoch time is extrapolated."
        );
    }
    if !cpu.is_empty() {
        let _ = writeln!(
            out,
            "\nCPU reference (same network, forward + backward, this machine):\n"
        );
        let _ = writeln!(
            out,
            "| max delay (steps) | trials | threads | ms per trial | hidden spikes per trial |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for r in cpu {
            match &r.error {
                Some(e) => {
                    let _ = writeln!(out, "| {} | not run: {e} |", r.max_delay);
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {:.1} | {:.0} |",
                        r.max_delay, r.trials, r.threads, r.ms_per_trial, r.hidden_spikes
                    );
                }
            }
        }
    }
}

/// The training section: `rgenn train`'s driver on the CPU and on the GPU from the same start.
pub fn training(out: &mut String, cases: &[crate::training::TrainingCase]) {
    let _ = writeln!(
        out,
        "\n## Training on the GPU (`rgenn train --backend cuda`)\n"
    );
    let _ = writeln!(
        out,
        "| network | epochs | final train accuracy CPU / GPU | max relative parameter difference | s per epoch CPU / GPU |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for c in cases {
        if let Some(e) = &c.error {
            let _ = writeln!(out, "| {} | not run: {e} | | | |", c.name);
            continue;
        }
        let (a, b) = c.accuracies.last().copied().unwrap_or((f64::NAN, f64::NAN));
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}% / {:.1}% | {} | {:.2} / {:.2} |",
            c.name,
            c.epochs,
            100.0 * a,
            100.0 * b,
            sci(c.max_param_diff),
            c.seconds.0,
            c.seconds.1
        );
    }
    let epochs_differ: Vec<String> = cases
        .iter()
        .filter(|c| c.accuracies.iter().any(|(a, b)| a != b))
        .map(|c| c.name.clone())
        .collect();
    if !epochs_differ.is_empty() {
        let _ = writeln!(
            out,
            "\nPer-epoch training accuracies differ between CPU and GPU for: {} (f32 atomics sum in another order; in f64 they should agree).",
            epochs_differ.join(", ")
        );
    }
}
