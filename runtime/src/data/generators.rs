//! Built-in seeded dataset generators (`data: {train: {generator: NAME, trials: N, seed: S}}`).
//!
//! * `sequence_detection` — the two-input order task of Mészáros et al. 2025: class 0 has input 0
//!   at 0 ms and input 1 at 10 ms, class 1 the reverse; trial `k` has class `k mod 2` (2 trials by
//!   default, one per class).
//! * `yin_yang` — Kriener et al. 2022: points `(x, y)` drawn uniformly in the circle of radius 0.5
//!   around (0.5, 0.5), labelled yin (1), yang (0) or dot (2), with the class of each point drawn
//!   uniformly first and points rejected until one of that class comes up. Five inputs spike once
//!   each: `x, y, 1 - x, 1 - y` at `1.5 + 18.5 v` ms and a bias at 1.5 ms. Default sizes: 5,000
//!   training, 1,000 validation and 1,000 test points.

use rgenn_codegen::ir::Split;
use rgenn_codegen::rng::Rng;

use crate::data::SpikeDataset;

/// Earliest and latest input spike time of `yin_yang`, ms.
pub const YIN_YANG_TIMES: (f64, f64) = (1.5, 20.0);

/// Inputs a generator's data needs.
pub fn input_units(name: &str) -> u32 {
    match name {
        "sequence_detection" => 2,
        "yin_yang" => 5,
        _ => 0,
    }
}

/// Generate `trials` examples (or the generator's default for `split`) with `seed`; `None` for an
/// unknown generator (validation rejects those first).
pub fn generate(name: &str, trials: Option<u64>, seed: u64, split: Split) -> Option<SpikeDataset> {
    match name {
        "sequence_detection" => Some(sequence_detection(trials.unwrap_or(2))),
        "yin_yang" => {
            let default = match split {
                Split::Train => 5000,
                Split::Validation | Split::Test => 1000,
            };
            Some(yin_yang(trials.unwrap_or(default), seed))
        }
        _ => None,
    }
}

fn push_trial(d: &mut SpikeDataset, spikes: &[(f64, u32)], label: i64) {
    for &(t, u) in spikes {
        d.times.push(t);
        d.units.push(u);
    }
    d.offsets.push(d.times.len() as u64);
    d.labels.get_or_insert_with(Vec::new).push(label);
}

fn empty() -> SpikeDataset {
    SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    }
}

/// The sequence-detection task.
pub fn sequence_detection(trials: u64) -> SpikeDataset {
    let mut d = empty();
    for k in 0..trials {
        if k % 2 == 0 {
            push_trial(&mut d, &[(0.0, 0), (10.0, 1)], 0);
        } else {
            push_trial(&mut d, &[(0.0, 1), (10.0, 0)], 1);
        }
    }
    d
}

/// The class of a point of the Yin-Yang figure (radius 0.5 around (0.5, 0.5)).
pub fn yin_yang_class(x: f64, y: f64) -> i64 {
    let (r_big, r_small) = (0.5, 0.1);
    let d_right = ((x - 1.5 * r_big).powi(2) + (y - r_big).powi(2)).sqrt();
    let d_left = ((x - 0.5 * r_big).powi(2) + (y - r_big).powi(2)).sqrt();
    if d_right < r_small || d_left < r_small {
        return 2;
    }
    let yin = d_right <= r_small
        || (d_left > r_small && d_left <= 0.5 * r_big)
        || (y > r_big && d_right > 0.5 * r_big);
    i64::from(yin)
}

/// The Yin-Yang task.
pub fn yin_yang(trials: u64, seed: u64) -> SpikeDataset {
    let mut rng = Rng::new(seed);
    let mut d = empty();
    let (early, late) = YIN_YANG_TIMES;
    let at = |v: f64| early + (late - early) * v;
    for _ in 0..trials {
        let goal = (rng.uniform() * 3.0) as i64 % 3;
        let (x, y) = loop {
            let (x, y) = (rng.uniform(), rng.uniform());
            if ((x - 0.5).powi(2) + (y - 0.5).powi(2)).sqrt() <= 0.5 && yin_yang_class(x, y) == goal
            {
                break (x, y);
            }
        };
        let mut spikes = vec![
            (at(x), 0),
            (at(y), 1),
            (at(1.0 - x), 2),
            (at(1.0 - y), 3),
            (early, 4),
        ];
        spikes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        push_trial(&mut d, &spikes, goal);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_detection_alternates_classes() {
        let d = sequence_detection(3);
        assert_eq!(d.len(), 3);
        assert_eq!(d.labels.as_deref(), Some(&[0, 1, 0][..]));
        assert_eq!(d.units[..4], [0, 1, 1, 0]);
        assert_eq!(d.times[..4], [0.0, 10.0, 0.0, 10.0]);
    }

    #[test]
    fn yin_yang_is_seeded_balanced_and_consistent() {
        let a = yin_yang(600, 3);
        assert_eq!(a.len(), 600);
        assert_eq!(a.times, yin_yang(600, 3).times);
        assert_ne!(a.times, yin_yang(600, 4).times);
        let labels = a.labels.as_ref().unwrap();
        for c in 0..3 {
            let n = labels.iter().filter(|&&l| l == c).count();
            assert!((150..250).contains(&n), "class {c}: {n} of 600");
        }
        // Each trial: five spikes; unit 0 at 1.5 + 18.5 x encodes a point whose class is the label.
        for (k, &label) in labels.iter().enumerate() {
            let (s, e) = (a.offsets[k] as usize, a.offsets[k + 1] as usize);
            assert_eq!(e - s, 5);
            let value = |u: u32| {
                let i = (s..e).find(|&i| a.units[i] == u).unwrap();
                (a.times[i] - 1.5) / 18.5
            };
            let (x, y) = (value(0), value(1));
            assert!((value(2) - (1.0 - x)).abs() < 1e-12);
            assert_eq!(yin_yang_class(x, y), label);
        }
    }

    #[test]
    fn yin_yang_regions() {
        assert_eq!(yin_yang_class(0.75, 0.5), 2); // right dot
        assert_eq!(yin_yang_class(0.25, 0.5), 2); // left dot
        assert_eq!(yin_yang_class(0.5, 0.9), 1); // upper half, far from the right dot: yin
        assert_eq!(yin_yang_class(0.5, 0.1), 0); // lower half: yang
    }
}
