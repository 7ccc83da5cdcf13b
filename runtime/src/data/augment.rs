//! Per-epoch augmentation of the training split, as in the paper's SHD/SSC runs (Mészáros et al.
//! 2025, `deventprop/train.py`): blending of same-class examples (SHD) and random channel shifts.
//!
//! In: the training examples with their classes, the `training.augment` settings, the network seed
//! and the epoch. Out: that epoch's examples (a new [`SpikeDataset`]) and classes. Deterministic:
//! everything is drawn from a stream seeded by the network seed and the epoch, so a resumed run
//! sees the same examples. Order: the blends are made from the original examples and appended,
//! then every example (blends included) is shifted. Never touches the stored dataset.

use rgenn_codegen::ir::{Augment, ModelKind, Network};
use rgenn_codegen::rng::{self, Rng};

use crate::data::SpikeDataset;

/// Blends per training example when `blend_examples` is not given: the paper's 7,644 blends
/// for SHD's 8,156 training examples.
pub const BLEND_RATIO: f64 = 7644.0 / 8156.0;

/// Events of one example: (time in ms, channel).
type Events = Vec<(f64, i64)>;

fn events(d: &SpikeDataset, k: usize) -> Events {
    let (a, b) = (d.offsets[k] as usize, d.offsets[k + 1] as usize);
    (a..b).map(|i| (d.times[i], d.units[i] as i64)).collect()
}

fn push(out: &mut SpikeDataset, ev: &[(f64, i64)], label: u32) {
    for &(t, u) in ev {
        out.times.push(t);
        out.units.push(u as u32);
    }
    out.offsets.push(out.times.len() as u64);
    out.labels.get_or_insert_with(Vec::new).push(label as i64);
}

/// A random integer in `lo..hi` (`hi > lo`).
fn int_in(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    let span = (hi - lo) as f64;
    lo + ((rng.uniform() * span) as i64).min(hi - lo - 1)
}

/// Shift every channel by `s`, dropping events that leave `0..channels`.
pub fn shift_channels(ev: &[(f64, i64)], s: i64, channels: u32) -> Events {
    ev.iter()
        .map(|&(t, u)| (t, u + s))
        .filter(|&(_, u)| (0..channels as i64).contains(&u))
        .collect()
}

/// Centre of mass (mean time in ms, mean channel) of an example; `None` when it has no events.
fn centre(ev: &[(f64, i64)]) -> Option<(f64, f64)> {
    if ev.is_empty() {
        return None;
    }
    let n = ev.len() as f64;
    let t = ev.iter().map(|e| e.0).sum::<f64>() / n;
    let u = ev.iter().map(|e| e.1 as f64).sum::<f64>() / n;
    Some((t, u))
}

/// Blend two examples: move both by half the difference of their centres of mass so that the
/// centres coincide (channels by a whole number, rounded half away from zero), keep each event
/// with probability 0.5, drop events outside `0..channels` or before 0 ms, merge in time order.
pub fn blend(a: &[(f64, i64)], b: &[(f64, i64)], channels: u32, rng: &mut Rng) -> Events {
    let (ca, cb) = (centre(a), centre(b));
    let half = |from: Option<(f64, f64)>, to: Option<(f64, f64)>| match (from, to) {
        (Some(f), Some(t)) => ((t.0 - f.0) / 2.0, ((t.1 - f.1) / 2.0).round() as i64),
        _ => (0.0, 0),
    };
    let mut out = Vec::new();
    for (ev, (dt, du)) in [(a, half(ca, cb)), (b, half(cb, ca))] {
        for &(t, u) in ev {
            let keep = rng.uniform() < 0.5;
            let (t, u) = (t + dt, u + du);
            if keep && t >= 0.0 && (0..channels as i64).contains(&u) {
                out.push((t, u));
            }
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    out
}

/// The training examples of `epoch` for `net` (its `training.augment`, its seed, the size of its
/// The network's augmentation and the number of input channels it shifts over, or `None` when
/// it does not augment.
fn augmentation(net: &Network) -> Option<(&Augment, u32)> {
    let aug = net.run.training.as_ref()?.augment.as_ref()?;
    let channels = net
        .populations
        .iter()
        .find(|p| net.model_of(p).kind == ModelKind::SpikeSource)?
        .size;
    Some((aug, channels))
}

/// spike-source population as the channel count), or `None` without augmentation.
pub fn epoch_split(
    net: &Network,
    data: &SpikeDataset,
    labels: &[u32],
    epoch: u32,
) -> Option<(SpikeDataset, Vec<u32>)> {
    let (aug, channels) = augmentation(net)?;
    for_epoch(aug, net.seed, epoch, channels, data, labels)
}

/// The training examples of `epoch` (from 0), or `None` when `aug` changes nothing.
pub fn for_epoch(
    aug: &Augment,
    seed: u64,
    epoch: u32,
    channels: u32,
    data: &SpikeDataset,
    labels: &[u32],
) -> Option<(SpikeDataset, Vec<u32>)> {
    if aug.shift_channels == 0 && !aug.blend {
        return None;
    }
    let mut rng = Rng::new(rng::stream_seed(seed, "augment", &epoch.to_string()));
    let n = data.len();
    let mut all: Vec<(Events, u32)> = (0..n).map(|k| (events(data, k), labels[k])).collect();
    if aug.blend && n > 0 {
        let pick = BlendSources::new(aug, labels, n);
        for _ in 0..pick.count {
            let (a, b) = pick.draw(&mut rng);
            let ev = blend(&all[a].0, &all[b].0, channels, &mut rng);
            all.push((ev, labels[a]));
        }
    }
    let mut out = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::with_capacity(all.len())),
        ..Default::default()
    };
    let mut out_labels = Vec::with_capacity(all.len());
    let s_max = aug.shift_channels as i64;
    for (ev, label) in &all {
        if s_max > 0 {
            let s = int_in(&mut rng, -s_max, s_max);
            push(&mut out, &shift_channels(ev, s, channels), *label);
        } else {
            push(&mut out, ev, *label);
        }
        out_labels.push(*label);
    }
    Some((out, out_labels))
}

/// One epoch's augmented training examples, made one at a time on demand (what training uses;
/// [`for_epoch`] makes them all at once). Holds only per-example draws — a shift per example and,
/// per blend, its two sources and the random state its keep/drop draws start from — so memory
/// does not grow with the spikes. Example `k` equals example `k` of [`for_epoch`], bit for bit.
#[derive(Clone, Debug)]
pub struct EpochPlan<'a> {
    data: &'a SpikeDataset,
    channels: u32,
    /// `(a, b, rng)`: blend `i` is example `n + i`.
    blends: Vec<(usize, usize, Rng)>,
    /// The channel shift of every example (empty: no shift).
    shifts: Vec<i64>,
    labels: Vec<u32>,
}

impl EpochPlan<'_> {
    /// Examples this epoch (stored ones, then blends).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the epoch has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Every example's class.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// Example `k`'s events (time in ms, channel), as [`for_epoch`] makes it.
    pub fn events(&self, k: usize) -> Events {
        let n = self.data.len();
        let ev = if k < n {
            events(self.data, k)
        } else {
            let (a, b, rng) = &self.blends[k - n];
            let mut rng = rng.clone();
            blend(
                &events(self.data, *a),
                &events(self.data, *b),
                self.channels,
                &mut rng,
            )
        };
        match self.shifts.get(k) {
            Some(&s) => shift_channels(&ev, s, self.channels),
            None => ev,
        }
    }
}

/// The plan of `epoch` for `net` (as [`epoch_split`]), or `None` without augmentation.
pub fn epoch_plan<'a>(
    net: &Network,
    data: &'a SpikeDataset,
    labels: &[u32],
    epoch: u32,
) -> Option<EpochPlan<'a>> {
    let (aug, channels) = augmentation(net)?;
    plan(aug, net.seed, epoch, channels, data, labels)
}

/// The plan of `epoch` (from 0), or `None` when `aug` changes nothing. Draws exactly what
/// [`for_epoch`] draws, in the same order.
pub fn plan<'a>(
    aug: &Augment,
    seed: u64,
    epoch: u32,
    channels: u32,
    data: &'a SpikeDataset,
    labels: &[u32],
) -> Option<EpochPlan<'a>> {
    if aug.shift_channels == 0 && !aug.blend {
        return None;
    }
    let mut rng = Rng::new(rng::stream_seed(seed, "augment", &epoch.to_string()));
    let n = data.len();
    let mut out_labels = labels[..n].to_vec();
    let mut blends = Vec::new();
    if aug.blend && n > 0 {
        let pick = BlendSources::new(aug, labels, n);
        let len = |k: usize| (data.offsets[k + 1] - data.offsets[k]) as usize;
        for _ in 0..pick.count {
            let (a, b) = pick.draw(&mut rng);
            blends.push((a, b, rng.clone()));
            // `blend` draws one number per event of either source.
            for _ in 0..len(a) + len(b) {
                rng.uniform();
            }
            out_labels.push(labels[a]);
        }
    }
    let s_max = aug.shift_channels as i64;
    let shifts = if s_max > 0 {
        (0..out_labels.len())
            .map(|_| int_in(&mut rng, -s_max, s_max))
            .collect()
    } else {
        Vec::new()
    };
    Some(EpochPlan {
        data,
        channels,
        blends,
        shifts,
        labels: out_labels,
    })
}

/// How an epoch draws its blends: how many, and a pair of sources of one class per blend.
struct BlendSources<'l> {
    count: u64,
    labels: &'l [u32],
    n: usize,
    by_class: std::collections::BTreeMap<u32, Vec<usize>>,
}

impl<'l> BlendSources<'l> {
    /// The blends of an epoch over the first `n` of `labels`.
    fn new(aug: &Augment, labels: &'l [u32], n: usize) -> Self {
        let count = aug
            .blend_examples
            .unwrap_or_else(|| (n as f64 * BLEND_RATIO).round() as u64);
        let mut by_class: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for (k, &l) in labels.iter().enumerate() {
            by_class.entry(l).or_default().push(k);
        }
        BlendSources {
            count,
            labels,
            n,
            by_class,
        }
    }

    /// The next blend's two sources: any example, then one of its class (two draws).
    fn draw(&self, rng: &mut Rng) -> (usize, usize) {
        let a = int_in(rng, 0, self.n as i64) as usize;
        let same = &self.by_class[&self.labels[a]];
        let b = same[int_in(rng, 0, same.len() as i64) as usize];
        (a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Class `c` fires on channels `100c..100c+50` at random times in `0..1000` ms.
    fn dataset(n: usize, classes: u32) -> (SpikeDataset, Vec<u32>) {
        let mut rng = Rng::new(7);
        let mut d = SpikeDataset {
            offsets: vec![0],
            ..Default::default()
        };
        let mut labels = Vec::new();
        for k in 0..n {
            let c = (k as u32) % classes;
            let ev: Events = (0..200)
                .map(|_| {
                    (
                        rng.uniform() * 1000.0,
                        100 * c as i64 + int_in(&mut rng, 0, 50),
                    )
                })
                .collect();
            push(&mut d, &ev, c);
            labels.push(c);
        }
        (d, labels)
    }

    #[test]
    fn shift_keeps_every_event_that_stays_in_range() {
        let ev = vec![(1.0, 0), (2.0, 5), (3.0, 695), (4.0, 699)];
        assert_eq!(
            shift_channels(&ev, 4, 700),
            vec![(1.0, 4), (2.0, 9), (3.0, 699)]
        );
        assert_eq!(
            shift_channels(&ev, -5, 700),
            vec![(2.0, 0), (3.0, 690), (4.0, 694)]
        );
        // Through `for_epoch`: every example is its original shifted by one s in [-40, 40),
        // so its event count is the original's minus the events shifted out of range.
        let (d, labels) = dataset(30, 7);
        let aug = Augment {
            shift_channels: 40,
            blend_examples: None,
            blend: false,
        };
        let (out, out_labels) = for_epoch(&aug, 1, 0, 700, &d, &labels).unwrap();
        assert_eq!(out_labels, labels);
        let mut shifts = std::collections::BTreeSet::new();
        for k in 0..d.len() {
            let (orig, got) = (events(&d, k), events(&out, k));
            let s = (-40..40)
                .find(|&s| shift_channels(&orig, s, 700) == got)
                .expect("the example is its original shifted by one s in [-40, 40)");
            let dropped = orig
                .iter()
                .filter(|e| !(0..700).contains(&(e.1 + s)))
                .count();
            assert_eq!(got.len(), orig.len() - dropped);
            shifts.insert(s);
        }
        assert!(
            shifts.len() > 10,
            "shifts vary between examples: {shifts:?}"
        );
        // Class 0 lives on channels 0..50, so negative shifts drop some of its events.
        assert!(out.times.len() < d.times.len());
    }

    #[test]
    fn blend_preserves_class_and_keeps_about_half_the_events() {
        let (d, labels) = dataset(40, 5);
        let aug = Augment {
            shift_channels: 0,
            blend_examples: Some(60),
            blend: true,
        };
        let (out, out_labels) = for_epoch(&aug, 3, 2, 700, &d, &labels).unwrap();
        assert_eq!(out.len(), 100);
        assert_eq!(&out_labels[..40], &labels[..]);
        let (mut kept, mut offered) = (0, 0);
        for (k, &label) in out_labels.iter().enumerate().skip(40) {
            let c = label as i64;
            assert_eq!(out.labels.as_ref().unwrap()[k], c);
            let ev = events(&out, k);
            // Both sources are of class c (channels 100c..100c+50); aligning centres moves each by
            // at most half the spread of the class's centres, a few channels.
            assert!(
                ev.iter()
                    .all(|e| (100 * c - 5..100 * c + 55).contains(&e.1)),
                "blend {k} of class {c} has events outside its class's channels"
            );
            assert!(ev.windows(2).all(|w| w[0].0 <= w[1].0), "time-sorted");
            kept += ev.len();
            offered += 400;
        }
        let p = kept as f64 / offered as f64;
        assert!((0.47..0.53).contains(&p), "kept fraction {p}");
        // Deterministic per (seed, epoch); another epoch draws other blends.
        let again = for_epoch(&aug, 3, 2, 700, &d, &labels).unwrap();
        assert_eq!(again.0.times, out.times);
        let other = for_epoch(&aug, 3, 3, 700, &d, &labels).unwrap();
        assert_ne!(other.0.times, out.times);
    }

    #[test]
    fn the_lazy_plan_makes_the_same_examples_as_for_epoch() {
        let (d, labels) = dataset(40, 5);
        for (shift, blend, blend_examples) in
            [(40, true, Some(25)), (0, true, None), (13, false, None)]
        {
            let aug = Augment {
                shift_channels: shift,
                blend_examples,
                blend,
            };
            let (all, all_labels) = for_epoch(&aug, 9, 4, 700, &d, &labels).unwrap();
            let p = plan(&aug, 9, 4, 700, &d, &labels).unwrap();
            assert_eq!(p.len(), all.len());
            assert_eq!(p.labels(), &all_labels[..]);
            for k in 0..all.len() {
                let want: Events = events(&all, k);
                assert_eq!(p.events(k), want, "example {k} of {shift} {blend}");
            }
        }
    }

    #[test]
    fn blend_aligns_centres_of_mass() {
        let a = vec![(10.0, 10), (30.0, 30)];
        let b = vec![(110.0, 50), (130.0, 70)];
        // Centres (20, 20) and (120, 60) meet at (70, 40): a moves by (+50, +20), b by (-50, -20).
        let mut rng = Rng::new(1);
        let ev = blend(&a, &b, 700, &mut rng);
        for e in &ev {
            assert!(
                [(60.0, 30), (80.0, 50)].contains(e),
                "unexpected event {e:?}"
            );
        }
        assert!(
            for_epoch(
                &Augment {
                    shift_channels: 0,
                    blend_examples: None,
                    blend: false
                },
                0,
                0,
                700,
                &SpikeDataset::default(),
                &[]
            )
            .is_none()
        );
    }
}
