//! `shd_synthetic`: a learnable stand-in with SHD's shape (700 channels, 20 classes, ~1 s, a few
//! thousand spikes per example) whose classes differ only in the *order* of channel-group bursts,
//! so that a network needs delays (or recurrence) to tell them apart.
//!
//! The 700 channels form 4 groups of 175. Every example has one 50 ms burst of every group, at
//! slots 100, 300, 500 and 700 ms (each moved by a jitter of ±10 ms, the whole example by ±20 ms);
//! class `c` plays the groups in the `c`-th of the 24 orders (lexicographic), so every class has
//! the same channels and the same expected spike counts. In a burst each channel of the group fires
//! as a Poisson process at 60 Hz; every channel also fires at 2 Hz background over 1 s. Seeded and
//! deterministic; trial `k` has class `k mod 20`.

use rgenn_codegen::ir::Split;
use rgenn_codegen::rng::Rng;

use crate::data::SpikeDataset;

/// Name in `data: {generator: ...}`.
pub const NAME: &str = "shd_synthetic";
/// Input channels.
pub const CHANNELS: u32 = 700;
/// Classes.
pub const CLASSES: u32 = 20;
const GROUPS: usize = 4;
const SLOT_MS: [f64; GROUPS] = [100.0, 300.0, 500.0, 700.0];
const BURST_MS: f64 = 50.0;
const BURST_HZ: f64 = 60.0;
const BACKGROUND_HZ: f64 = 2.0;
const LENGTH_MS: f64 = 1000.0;

/// The `n`-th permutation of `0..GROUPS` in lexicographic order.
fn order(mut n: usize) -> [usize; GROUPS] {
    let mut left: Vec<usize> = (0..GROUPS).collect();
    let mut out = [0; GROUPS];
    let mut fact: usize = (1..GROUPS).product();
    for (i, slot) in out.iter_mut().enumerate() {
        let j = n / fact;
        n %= fact;
        *slot = left.remove(j);
        if i + 1 < GROUPS {
            fact /= GROUPS - 1 - i;
        }
    }
    out
}

/// Poisson spike times at `hz` in `[start, start + len_ms)`.
fn poisson(rng: &mut Rng, hz: f64, start: f64, len_ms: f64, out: &mut Vec<f64>) {
    let mut t = start;
    loop {
        t += -(1.0 - rng.uniform()).ln() * 1000.0 / hz;
        if t >= start + len_ms {
            return;
        }
        out.push(t);
    }
}

/// `trials` examples (default: 1,000 for training, 400 otherwise) from `seed`.
pub fn generate(trials: Option<u64>, seed: u64, split: Split) -> SpikeDataset {
    let n = trials.unwrap_or(match split {
        Split::Train => 1000,
        Split::Validation | Split::Test => 400,
    });
    let mut rng = Rng::new(seed);
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::with_capacity(n as usize)),
        ..Default::default()
    };
    let per_group = CHANNELS as usize / GROUPS;
    for k in 0..n {
        let class = (k % CLASSES as u64) as usize;
        let groups = order(class);
        let shift = (rng.uniform() * 2.0 - 1.0) * 20.0;
        let mut events: Vec<(f64, u32)> = Vec::new();
        let mut times = Vec::new();
        for (slot, &g) in groups.iter().enumerate() {
            let start = SLOT_MS[slot] + shift + (rng.uniform() * 2.0 - 1.0) * 10.0;
            for ch in g * per_group..(g + 1) * per_group {
                times.clear();
                poisson(&mut rng, BURST_HZ, start, BURST_MS, &mut times);
                events.extend(times.iter().map(|&t| (t, ch as u32)));
            }
        }
        for ch in 0..CHANNELS {
            times.clear();
            poisson(&mut rng, BACKGROUND_HZ, 0.0, LENGTH_MS, &mut times);
            events.extend(times.iter().map(|&t| (t, ch)));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (t, u) in events {
            d.times.push(t);
            d.units.push(u);
        }
        d.offsets.push(d.times.len() as u64);
        d.labels.as_mut().expect("set above").push(class as i64);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_differ_only_in_order_and_examples_have_shd_shape() {
        let orders: std::collections::BTreeSet<_> = (0..CLASSES as usize).map(order).collect();
        assert_eq!(orders.len(), CLASSES as usize);
        assert_eq!(order(0), [0, 1, 2, 3]);
        assert_eq!(order(23), [3, 2, 1, 0]);
        let d = generate(Some(40), 5, Split::Train);
        assert_eq!(d.len(), 40);
        assert_eq!(d.labels.as_ref().unwrap()[21], 1);
        let counts: Vec<u64> = d.offsets.windows(2).map(|w| w[1] - w[0]).collect();
        // 700 channels x 60 Hz x 50 ms = 2,100 burst spikes + 1,400 background, Poisson.
        assert!(
            counts.iter().all(|&c| (3000..4000).contains(&c)),
            "{counts:?}"
        );
        assert!(d.units.iter().all(|&u| u < CHANNELS));
        assert!(d.times.iter().all(|&t| (0.0..LENGTH_MS).contains(&t)));
        assert_eq!(generate(Some(40), 5, Split::Train).times, d.times);
    }
}
