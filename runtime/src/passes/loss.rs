//! Losses over an output population's readout: the value of one trial's loss, its gradient with
//! respect to the readout, and the predicted class.
//!
//! Logits are the readout values, except for `first_spike`, where an earlier spike means a larger
//! logit: `logit = -t_first` (ms), and a neuron that never fired counts as firing at the end of the
//! trial, with no gradient (there is no spike to move).

use rgenn_codegen::ir::{Loss, Network, Readout};

use crate::error::SimError;

/// Which loss reads which population.
#[derive(Clone, Debug, PartialEq)]
pub struct LossSpec {
    /// Output population index.
    pub output: usize,
    /// Its size (the number of classes).
    pub classes: u32,
    /// Its readout.
    pub readout: Readout,
    /// The loss.
    pub loss: Loss,
    /// Trial length in ms (stand-in spike time of silent `first_spike` neurons).
    pub duration_ms: f64,
}

impl LossSpec {
    /// The loss of `net`: its `training:` section, or sparse categorical cross-entropy over the
    /// only population with a readout.
    pub fn of(net: &Network) -> Result<LossSpec, SimError> {
        let (output, loss) = match &net.run.training {
            Some(t) => (t.output.0 as usize, t.loss),
            None => {
                let outputs: Vec<usize> = (0..net.populations.len())
                    .filter(|&i| net.populations[i].readout.is_some())
                    .collect();
                match outputs.as_slice() {
                    [one] => (*one, Loss::SparseCategoricalCrossentropy),
                    [] => {
                        return Err(SimError::Network(
                            "gradients need a loss over a readout, but no population has a `readout` (add e.g. `readout: mean_exp` to the output population)".into(),
                        ));
                    }
                    _ => {
                        return Err(SimError::Network(
                            "several populations have readouts; add a `training:` section to say which one the loss reads".into(),
                        ));
                    }
                }
            }
        };
        let pop = &net.populations[output];
        Ok(LossSpec {
            output,
            classes: pop.size,
            readout: pop.readout.expect("the loss population has a readout"),
            loss,
            duration_ms: net.duration_ms,
        })
    }
}

/// One trial's loss.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialLoss {
    /// Loss value.
    pub loss: f64,
    /// dLoss/dReadout per output neuron.
    pub grad: Vec<f64>,
    /// Predicted class (largest logit, lowest index on ties).
    pub prediction: u32,
}

/// The loss of one trial with readout `z` and class `label` (checked by the caller).
pub fn trial_loss(spec: &LossSpec, z: &[f64], label: u32) -> TrialLoss {
    let first_spike = spec.readout == Readout::FirstSpike;
    let logits: Vec<f64> = z
        .iter()
        .map(|&v| {
            if first_spike {
                -v.min(spec.duration_ms)
            } else {
                v
            }
        })
        .collect();
    let c = label as usize;
    let (loss, dlogit) = match spec.loss {
        Loss::SparseCategoricalCrossentropy => {
            let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = logits.iter().map(|&l| (l - max).exp()).collect();
            let sum: f64 = exps.iter().sum();
            let loss = -(logits[c] - max - sum.ln());
            let d = exps
                .iter()
                .enumerate()
                .map(|(k, e)| e / sum - if k == c { 1.0 } else { 0.0 })
                .collect::<Vec<_>>();
            (loss, d)
        }
        Loss::MeanSquaredError => {
            let k = logits.len() as f64;
            let err: Vec<f64> = logits
                .iter()
                .enumerate()
                .map(|(i, &l)| l - if i == c { 1.0 } else { 0.0 })
                .collect();
            let loss = err.iter().map(|e| e * e).sum::<f64>() / k;
            (loss, err.iter().map(|e| 2.0 * e / k).collect())
        }
    };
    let grad = if first_spike {
        dlogit
            .iter()
            .zip(z)
            .map(|(&d, &t)| if t.is_finite() { -d } else { 0.0 })
            .collect()
    } else {
        dlogit
    };
    let mut prediction = 0;
    for (k, &l) in logits.iter().enumerate() {
        if l > logits[prediction] {
            prediction = k;
        }
    }
    TrialLoss {
        loss,
        grad,
        prediction: prediction as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(readout: Readout, loss: Loss) -> LossSpec {
        LossSpec {
            output: 0,
            classes: 3,
            readout,
            loss,
            duration_ms: 10.0,
        }
    }

    /// Central differences of the loss itself agree with its analytic gradient.
    fn check_gradient(spec: &LossSpec, z: &[f64], label: u32) {
        let g = trial_loss(spec, z, label).grad;
        for k in 0..z.len() {
            let (mut up, mut down) = (z.to_vec(), z.to_vec());
            up[k] += 1e-6;
            down[k] -= 1e-6;
            let fd =
                (trial_loss(spec, &up, label).loss - trial_loss(spec, &down, label).loss) / 2e-6;
            assert!((fd - g[k]).abs() < 1e-7, "component {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let z = [0.3, -1.2, 2.5];
        for loss in [Loss::SparseCategoricalCrossentropy, Loss::MeanSquaredError] {
            check_gradient(&spec(Readout::Sum, loss), &z, 1);
        }
        check_gradient(
            &spec(Readout::FirstSpike, Loss::SparseCategoricalCrossentropy),
            &[3.0, 4.5, 1.25],
            2,
        );
    }

    #[test]
    fn cross_entropy_value_and_prediction() {
        let s = spec(Readout::Mean, Loss::SparseCategoricalCrossentropy);
        let t = trial_loss(&s, &[0.0, 0.0, 0.0], 2);
        assert!((t.loss - 3f64.ln()).abs() < 1e-15);
        assert_eq!(t.prediction, 0);
        assert_eq!(trial_loss(&s, &[0.0, 2.0, 1.0], 0).prediction, 1);
    }

    #[test]
    fn earliest_spike_wins_and_silent_neurons_get_no_gradient() {
        let s = spec(Readout::FirstSpike, Loss::SparseCategoricalCrossentropy);
        let t = trial_loss(&s, &[5.0, f64::INFINITY, 2.0], 0);
        assert_eq!(t.prediction, 2);
        assert_eq!(t.grad[1], 0.0);
        assert!(t.loss.is_finite());
        assert!(
            t.grad[0] > 0.0,
            "the loss falls when the true class spikes earlier"
        );
    }
}
