//! Compare a GPU run with the CPU's: spikes exactly, floating-point arrays by their largest
//! difference relative to the largest magnitude in the reference array (a normwise measure, so a
//! gradient whose contributions nearly cancel does not dominate), and the loss relative to itself.
//!
//! Used by the GPU parity tests and `examples/gpu_check`; it only compares, it runs nothing.

use rgenn_codegen::ir::Network;

use crate::passes::grad::GradOutput;
use crate::passes::simulate::SimOutput;

/// How far one array is from its reference.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayDiff {
    /// What the array is, e.g. `in_hid.delay_grad`.
    pub name: String,
    /// Elements compared.
    pub len: usize,
    /// Largest absolute difference (infinite for a length mismatch or a NaN on one side only).
    pub max_abs_diff: f64,
    /// Largest finite magnitude in the reference.
    pub max_abs: f64,
    /// Index of the largest difference.
    pub worst: usize,
}

impl ArrayDiff {
    /// `max_abs_diff / max_abs` (0 when equal, infinite when the reference is all zero but the
    /// other is not).
    pub fn relative(&self) -> f64 {
        if self.max_abs_diff == 0.0 {
            0.0
        } else {
            self.max_abs_diff / self.max_abs
        }
    }
}

/// Compare `other` with `reference`, element by element.
pub fn diff(name: &str, reference: &[f64], other: &[f64]) -> ArrayDiff {
    let mut d = ArrayDiff {
        name: name.to_string(),
        len: reference.len(),
        max_abs_diff: 0.0,
        max_abs: 0.0,
        worst: 0,
    };
    if reference.len() != other.len() {
        d.max_abs_diff = f64::INFINITY;
        return d;
    }
    for (i, (&a, &b)) in reference.iter().zip(other).enumerate() {
        if a.is_finite() {
            d.max_abs = d.max_abs.max(a.abs());
        }
        let e = if a == b || (a.is_nan() && b.is_nan()) {
            0.0
        } else if a.is_finite() && b.is_finite() {
            (a - b).abs()
        } else {
            f64::INFINITY
        };
        if e > d.max_abs_diff {
            d.max_abs_diff = e;
            d.worst = i;
        }
    }
    d
}

/// How the spikes of one population differ.
#[derive(Clone, Debug, PartialEq)]
pub struct SpikeDiff {
    /// The population.
    pub population: String,
    /// Trials compared.
    pub trials: usize,
    /// Trials whose spikes (step and unit, in order) differ.
    pub differing_trials: usize,
    /// Spikes in the reference.
    pub reference_spikes: usize,
    /// Spikes in the other run.
    pub other_spikes: usize,
    /// The first differing trial, described.
    pub first: Option<String>,
}

fn trial(s: &crate::passes::simulate::PopSpikes, k: usize) -> (&[f64], &[u32]) {
    let (a, b) = (s.offsets[k] as usize, s.offsets[k + 1] as usize);
    (&s.times[a..b], &s.units[a..b])
}

/// Spikes of every spiking population, trial by trial, and every readout and trace.
pub fn compare_simulations(
    net: &Network,
    reference: &SimOutput,
    other: &SimOutput,
) -> (Vec<SpikeDiff>, Vec<ArrayDiff>) {
    let mut spikes = Vec::new();
    for (r, o) in reference.spikes.iter().zip(&other.spikes) {
        let trials = r.offsets.len().saturating_sub(1);
        let mut d = SpikeDiff {
            population: net.populations[r.pop].name.clone(),
            trials,
            differing_trials: 0,
            reference_spikes: r.units.len(),
            other_spikes: o.units.len(),
            first: None,
        };
        for k in 0..trials.min(o.offsets.len().saturating_sub(1)) {
            let (rt, ru) = trial(r, k);
            let (ot, ou) = trial(o, k);
            if rt != ot || ru != ou {
                d.differing_trials += 1;
                if d.first.is_none() {
                    let at = (0..rt.len().min(ot.len()))
                        .find(|&i| rt[i] != ot[i] || ru[i] != ou[i])
                        .unwrap_or(rt.len().min(ot.len()));
                    d.first = Some(format!(
                        "trial {k}: {} vs {} spikes, first difference at spike {at}",
                        ru.len(),
                        ou.len()
                    ));
                }
            }
        }
        if r.offsets.len() != o.offsets.len() {
            d.differing_trials += trials.abs_diff(o.offsets.len().saturating_sub(1));
        }
        spikes.push(d);
    }
    if reference.spikes.len() != other.spikes.len() {
        spikes.push(SpikeDiff {
            population: "(populations)".into(),
            trials: 0,
            differing_trials: 1,
            reference_spikes: reference.spikes.len(),
            other_spikes: other.spikes.len(),
            first: Some("different spiking populations recorded".into()),
        });
    }
    let mut arrays = Vec::new();
    for ((pop, r), (_, o)) in reference.readouts.iter().zip(&other.readouts) {
        let name = format!("{}.readout", net.populations[*pop].name);
        arrays.push(diff(&name, r, o));
    }
    for ((pop, var, r), (_, _, o)) in reference.traces.iter().zip(&other.traces) {
        let p = &net.populations[*pop];
        let name = format!("{}.{}", p.name, net.model_of(p).vars[*var as usize]);
        arrays.push(diff(&name, r, o));
    }
    (spikes, arrays)
}

/// The loss and every connection's weight and delay gradients.
pub fn compare_gradients(
    net: &Network,
    reference: &GradOutput,
    other: &GradOutput,
) -> Vec<ArrayDiff> {
    let mut out = vec![diff("loss", &[reference.loss], &[other.loss])];
    for (i, c) in net.connections.iter().enumerate() {
        let get = |g: &GradOutput, delay: bool| {
            let v = if delay {
                &g.grads.delay
            } else {
                &g.grads.weight
            };
            v.get(i).cloned().unwrap_or_default()
        };
        out.push(diff(
            &format!("{}.weight_grad", c.name),
            &get(reference, false),
            &get(other, false),
        ));
        out.push(diff(
            &format!("{}.delay_grad", c.name),
            &get(reference, true),
            &get(other, true),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_relative_to_the_largest_reference_value() {
        let d = diff("x", &[1.0, -4.0, 0.0], &[1.0, -4.0, 1e-3]);
        assert_eq!(d.worst, 2);
        assert!((d.relative() - 2.5e-4).abs() < 1e-15);
        assert_eq!(diff("x", &[0.0], &[0.0]).relative(), 0.0);
        assert_eq!(diff("x", &[0.0], &[1.0]).relative(), f64::INFINITY);
        assert_eq!(
            diff("x", &[f64::INFINITY], &[f64::INFINITY]).relative(),
            0.0
        );
        assert_eq!(diff("x", &[1.0], &[f64::NAN]).relative(), f64::INFINITY);
        assert_eq!(diff("x", &[1.0], &[]).relative(), f64::INFINITY);
    }
}
