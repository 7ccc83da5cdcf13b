//! Data and training sections: dataset sources, loss, optimisers, regularisation.

use crate::diag::Diagnostic;
use crate::ir::{self, PopId};
use crate::model::{self, DataSource};
use crate::rng;
use crate::span::Spanned;

use super::Cx;
use super::populations::Lowered;

/// Built-in dataset generators.
pub const GENERATORS: &[&str] = &["sequence_detection", "yin_yang", "shd_synthetic"];

/// Lower `data:` and `training:`.
pub fn lower_run(cx: &mut Cx, net: &model::Network, pops: &[Lowered]) -> Option<ir::RunConfig> {
    let before = cx.diags.items.len();
    let mut data = Vec::new();
    for (split, source) in net.data.iter().flat_map(|d| &d.splits) {
        if data.iter().any(|d: &ir::DataSplit| d.split == split.value) {
            cx.error(Diagnostic::new(
                "rgenn::validate::duplicate_split",
                split.span,
                "this split is given twice",
            ));
        }
        let source = match &source.value {
            DataSource::Generator { name, trials, seed } => {
                if !GENERATORS.contains(&name.value.as_str()) {
                    cx.error(
                        Diagnostic::new(
                            "rgenn::validate::unknown_generator",
                            name.span,
                            format!("unknown dataset generator `{}`", name.value),
                        )
                        .suggest(&name.value, GENERATORS.iter().copied()),
                    );
                }
                let trials = trials
                    .as_ref()
                    .and_then(|t| super::positive(cx, t, "trials", u32::MAX as i64))
                    .map(u64::from);
                let seed = seed_or(cx, seed.as_ref())
                    .unwrap_or(Some(0))
                    .unwrap_or_else(|| {
                        rng::stream_seed(
                            net.seed.value as u64,
                            &name.value,
                            format!("{:?}", split.value).as_str(),
                        )
                    });
                ir::DataSource::Generator {
                    name: name.value.clone(),
                    trials,
                    seed,
                }
            }
            DataSource::Npz(p) => ir::DataSource::Npz {
                path: p.value.clone(),
            },
            DataSource::Shd(p) => ir::DataSource::Shd {
                path: p.value.clone(),
            },
            DataSource::HeldOut { .. } | DataSource::SpeakerFold(_) => {
                match cut_from_training(cx, net, split, &source.value) {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        data.push(ir::DataSplit {
            split: split.value,
            source,
        });
    }
    let training = net
        .training
        .as_ref()
        .and_then(|t| lower_training(cx, t, pops, &data));
    if cx.diags.items.len() > before {
        return None;
    }
    Some(ir::RunConfig {
        data,
        training,
        duration_from_data: net.duration_ms.is_none(),
    })
}

/// A validation split cut from the training split: `{held_out: F}` or `{speaker_fold: K}`.
/// Reported: under another split than `validation`, without a `train` split, a fraction outside
/// (0, 1), a negative fold or seed.
fn cut_from_training(
    cx: &mut Cx,
    net: &model::Network,
    split: &crate::span::Spanned<model::Split>,
    source: &DataSource,
) -> Option<ir::DataSource> {
    let (key, span) = match source {
        DataSource::HeldOut { fraction, .. } => ("held_out", fraction.span),
        DataSource::SpeakerFold(k) => ("speaker_fold", k.span),
        _ => unreachable!("called for held_out and speaker_fold only"),
    };
    let mut ok = true;
    if split.value != model::Split::Validation {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::cut_outside_validation",
                span,
                format!("`{key}` cuts the validation split out of the training split; it can only be given under `validation:`"),
            )
            .help("write `validation: {held_out: 0.1}` or `validation: {speaker_fold: 0}`"),
        );
        ok = false;
    } else if !net
        .data
        .iter()
        .flat_map(|d| &d.splits)
        .any(|(s, _)| s.value == model::Split::Train)
    {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::cut_without_train",
                span,
                format!("`{key}` cuts the validation split out of the training split, but `data:` has no `train:`"),
            )
            .help("add `train: {npz: ...}` (or `shd:`, or a generator) under `data:`"),
        );
        ok = false;
    }
    let out = match source {
        DataSource::HeldOut { fraction, seed } => {
            if !(fraction.value > 0.0 && fraction.value < 1.0) {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::bad_held_out",
                        fraction.span,
                        format!(
                            "`held_out` is the fraction of the training examples used for validation and must lie strictly between 0 and 1, found {}",
                            fraction.value
                        ),
                    )
                    .label("not in (0, 1)"),
                );
                ok = false;
            }
            let seed = match seed_or(cx, seed.as_ref()) {
                Some(given) => given.unwrap_or_else(|| {
                    rng::stream_seed(net.seed.value as u64, "held_out", "validation")
                }),
                None => {
                    ok = false;
                    0
                }
            };
            ir::DataSource::HeldOut {
                fraction: fraction.value,
                seed,
            }
        }
        DataSource::SpeakerFold(k) => {
            let fold = super::non_negative(cx, k, "speaker_fold");
            ok &= fold.is_some();
            ir::DataSource::SpeakerFold {
                fold: fold.unwrap_or(0),
                origin: cx.origin(k.span),
            }
        }
        _ => unreachable!("called for held_out and speaker_fold only"),
    };
    ok.then_some(out)
}

fn lower_training(
    cx: &mut Cx,
    t: &model::Training,
    pops: &[Lowered],
    data: &[ir::DataSplit],
) -> Option<ir::Training> {
    let epochs = super::positive(cx, &t.epochs, "epochs", u32::MAX as i64);
    let outputs: Vec<usize> = pops
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ir.readout.is_some())
        .map(|(i, _)| i)
        .collect();
    let output = match outputs.as_slice() {
        [one] => Some(PopId(*one as u32)),
        [] => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::no_readout",
                    t.loss.span,
                    "the loss needs a population with a `readout`",
                )
                .help("add e.g. `readout: mean_exp` to the output population"),
            );
            None
        }
        _ => {
            let names: Vec<&str> = outputs.iter().map(|&i| pops[i].name.as_str()).collect();
            cx.error(Diagnostic::new(
                "rgenn::validate::several_readouts",
                t.loss.span,
                format!(
                    "the loss reads one population, but several have readouts: {}",
                    names.join(", ")
                ),
            ));
            None
        }
    };
    let weight_optimizer = adam(cx, t.weight_optimizer.as_ref());
    let delay_optimizer = adam(cx, t.delay_optimizer.as_ref());
    let regularisation = t.regularisation.as_ref().map(|r| {
        for v in [&r.target_spikes, &r.strength] {
            if v.value < 0.0 {
                cx.error(Diagnostic::new(
                    "rgenn::validate::negative_regularisation",
                    v.span,
                    "regularisation settings cannot be negative",
                ));
            }
        }
        let strength = if r.mlgenn_lambda {
            mlgenn_strength(cx, r, output.map(|o| &pops[o.0 as usize]))
        } else {
            r.strength.value
        };
        ir::Regularisation {
            target_spikes: r.target_spikes.value,
            strength,
            mlgenn_lambda: r.mlgenn_lambda.then_some(r.strength.value),
        }
    });
    let patience = t
        .patience
        .as_ref()
        .and_then(|p| super::positive(cx, p, "patience", u32::MAX as i64));
    if let Some(p) = &t.patience
        && !data.iter().any(|d| d.split == model::Split::Validation)
    {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::patience_without_validation",
                p.span,
                "early stopping needs a validation split; rgenn never stops early on the test split",
            )
            .help("add `validation: {npz: ...}` (or a generator) under `data:`"),
        );
    }
    if t.loss.value == ir::Loss::MeanSquaredError
        && let Some(o) = output
        && pops[o.0 as usize].ir.readout == Some(ir::Readout::FirstSpike)
    {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::loss_readout",
                t.loss.span,
                "`mean_squared_error` compares readout values with a one-hot target, which does not fit `first_spike` times",
            )
            .help("use `sparse_categorical_crossentropy` with `first_spike` readouts"),
        );
    }
    let augment = t.augment.as_ref().map(|a| lower_augment(cx, a));
    Some(ir::Training {
        epochs: epochs?,
        loss: t.loss.value,
        output: output?,
        weight_optimizer,
        delay_optimizer,
        regularisation,
        shuffle: t.shuffle.as_ref().is_none_or(|s| s.value),
        patience,
        augment,
    })
}

fn lower_augment(cx: &mut Cx, a: &model::Augment) -> ir::Augment {
    let shift_channels = match &a.shift {
        Some(s) if s.value < 0 => {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_augment",
                s.span,
                "`shift` is the largest channel shift and cannot be negative",
            ));
            0
        }
        Some(s) => s.value.min(u32::MAX as i64) as u32,
        None => 0,
    };
    let blend = a.blend.as_ref().is_some_and(|b| b.value);
    let blend_examples = a
        .blend_examples
        .as_ref()
        .and_then(|n| super::positive(cx, n, "blend_examples", u32::MAX as i64))
        .map(u64::from);
    if let (Some(n), false) = (&a.blend_examples, blend) {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::bad_augment",
                n.span,
                "`blend_examples` needs `blend: true`",
            )
            .help("write `augment: {blend: true, blend_examples: N}`"),
        );
    }
    ir::Augment {
        shift_channels,
        blend_examples,
        blend,
    }
}

fn adam(cx: &mut Cx, o: Option<&model::Optimizer>) -> ir::Adam {
    let Some(o) = o else {
        return ir::Adam {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            decay: 1.0,
            ease_in: None,
        };
    };
    if o.lr.value < 0.0 {
        cx.error(Diagnostic::new(
            "rgenn::validate::bad_optimizer",
            o.lr.span,
            "the learning rate cannot be negative",
        ));
    }
    for b in [&o.beta1, &o.beta2] {
        if !(0.0..1.0).contains(&b.value) {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_optimizer",
                b.span,
                "Adam's betas must lie in [0, 1)",
            ));
        }
    }
    if o.epsilon.value <= 0.0 {
        cx.error(Diagnostic::new(
            "rgenn::validate::bad_optimizer",
            o.epsilon.span,
            "`epsilon` must be positive",
        ));
    }
    if !(o.decay.value > 0.0 && o.decay.value <= 1.0) {
        cx.error(Diagnostic::new(
            "rgenn::validate::bad_optimizer",
            o.decay.span,
            "`decay` multiplies the learning rate after each epoch and must lie in (0, 1]",
        ));
    }
    let ease_in = o.ease_in.as_ref().map(|(start, factor)| {
        if start.value <= 0.0 {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_optimizer",
                start.span,
                "the ease-in must start at a positive learning rate",
            ));
        }
        if factor.value <= 1.0 {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_optimizer",
                factor.span,
                "the ease-in factor must be greater than 1",
            ));
        }
        ir::EaseIn {
            start: start.value,
            factor: factor.value,
        }
    });
    ir::Adam {
        lr: o.lr.value,
        beta1: o.beta1.value,
        beta2: o.beta2.value,
        epsilon: o.epsilon.value,
        decay: o.decay.value,
        ease_in,
    }
}

/// A data source's `seed:`: `Some(Some(seed))` when given, `Some(None)` when absent (the caller
/// derives one), `None` (reported) when negative.
fn seed_or(cx: &mut Cx, seed: Option<&Spanned<i64>>) -> Option<Option<u64>> {
    match seed {
        Some(s) if s.value < 0 => {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_seed",
                s.span,
                "`seed` must be zero or positive",
            ));
            None
        }
        Some(s) => Some(Some(s.value as u64)),
        None => Some(None),
    }
}

/// rgenn's strength for mlGeNN's `reg_lambda_upper` (`mlgenn_lambda:`): mlGeNN's loss source
/// carries an extra `1 / tau_mem` of the readout population, so every adjoint variable, and with
/// them the spike-count kick that matches, is `tau_mem` (in ms) times mlGeNN's. The readout
/// population must have a `tau_mem` parameter.
fn mlgenn_strength(cx: &mut Cx, r: &model::Regularisation, output: Option<&Lowered>) -> f64 {
    let Some(out) = output else {
        // no readout: reported with the loss already
        return r.strength.value;
    };
    match out.param(cx, "tau_mem") {
        Some(tau) => r.strength.value * tau,
        None => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::mlgenn_lambda_without_tau_mem",
                    r.strength.span,
                    format!(
                        "`mlgenn_lambda` is converted with the readout population's `tau_mem`, \
                         but `{}` has no parameter of that name",
                        out.name
                    ),
                )
                .help("give the strength in rgenn's units with `strength:`"),
            );
            r.strength.value
        }
    }
}
