//! Populations: sizes, models, params, readouts and recorded variables.

use crate::diag::Diagnostic;
use crate::expr::eval::{Env, eval};
use crate::ir::{self, ModelId, VarId};
use crate::model;

use super::{Cx, models, positive};

/// Default spike-tape capacity per neuron and trial.
pub const DEFAULT_SPIKE_CAPACITY: u32 = 500;

/// A population while lowering; `ring_len` is filled in by the connection pass.
pub struct Lowered {
    /// Its name.
    pub name: String,
    /// Its model, when it loaded.
    pub model: Option<usize>,
    /// The IR being built.
    pub ir: ir::Population,
}

impl Lowered {
    /// The value of its model's parameter `name`, if the model loaded and has one.
    pub fn param(&self, cx: &Cx, name: &str) -> Option<f64> {
        let m = self.model?;
        let i = cx.models[m].ir.params.iter().position(|n| n == name)?;
        self.ir.params.get(i).copied()
    }

    /// True when the population emits the dataset's spikes.
    pub fn is_source(&self, cx: &Cx) -> bool {
        self.model
            .is_some_and(|m| cx.models[m].ir.kind == ir::ModelKind::SpikeSource)
    }
}

/// Lower every population in file order.
pub fn lower_populations(cx: &mut Cx, net: &model::Network, dt_ms: f64) -> Vec<Lowered> {
    net.populations
        .iter()
        .map(|p| lower_population(cx, p, dt_ms))
        .collect()
}

fn lower_population(cx: &mut Cx, p: &model::Population, dt_ms: f64) -> Lowered {
    let size = positive(cx, &p.size, "size", u32::MAX as i64).unwrap_or(0);
    let model = models::resolve(cx, &p.model);
    let mut ir = ir::Population {
        name: p.name.value.clone(),
        size,
        model: ModelId(model.unwrap_or(0) as u32),
        params: Vec::new(),
        derived: Vec::new(),
        var_init: Vec::new(),
        ring_len: 0,
        readout: p.readout.as_ref().map(|r| r.value),
        record: Vec::new(),
        spike_capacity: DEFAULT_SPIKE_CAPACITY,
        spike_capacity_fixed: p.spike_capacity.is_some(),
        incoming: Vec::new(),
        outgoing: Vec::new(),
        origin: cx.origin(p.name.span),
    };
    if let Some(c) = &p.spike_capacity {
        ir.spike_capacity = positive(cx, c, "spike_capacity", u32::MAX as i64).unwrap_or(1);
    }
    let Some(m) = model else {
        return Lowered {
            name: ir.name.clone(),
            model,
            ir,
        };
    };
    let checked = cx.models[m].clone();
    let mdl = &checked.ir;

    // Params: defaults, then overrides; unknown and missing ones are errors.
    let mut values: Vec<Option<f64>> = checked.defaults.clone();
    for (name, value) in &p.params {
        match mdl.params.iter().position(|n| *n == name.value) {
            Some(i) => values[i] = Some(value.value),
            None => cx.error(
                Diagnostic::new(
                    "rgenn::validate::unknown_param",
                    name.span,
                    format!("model `{}` has no param `{}`", mdl.name, name.value),
                )
                .label("unknown param")
                .suggest(&name.value, mdl.params.iter().map(String::as_str)),
            ),
        }
    }
    for (i, v) in values.iter().enumerate() {
        if v.is_none() {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::missing_param",
                    p.model.span,
                    format!(
                        "model `{}` needs a value for param `{}`",
                        mdl.name, mdl.params[i]
                    ),
                )
                .help(format!(
                    "add `params: {{{}: ...}}` to the population",
                    mdl.params[i]
                )),
            );
        }
    }
    ir.params = values.iter().map(|v| v.unwrap_or(0.0)).collect();
    for e in &checked.derived {
        let env = Env {
            params: &ir.params,
            derived: &ir.derived,
            dt: dt_ms,
        };
        ir.derived.push(eval(e, &env));
    }
    if let Some(propagator) = &checked.propagator {
        let value = |name: &str| -> Option<f64> {
            if name == "dt" {
                return Some(dt_ms);
            }
            let param = mdl.params.iter().position(|n| n == name);
            let derived = mdl.derived.iter().position(|n| n == name);
            param
                .map(|i| ir.params[i])
                .or_else(|| derived.and_then(|i| ir.derived.get(i).copied()))
        };
        let values = propagator.values(&value, dt_ms);
        ir.derived.extend(values.unwrap_or_default());
    }
    let env = Env {
        params: &ir.params,
        derived: &ir.derived,
        dt: dt_ms,
    };
    let valid = super::params::check_population(cx, p, mdl, &checked.rules, &env);
    let var_init: Vec<f64> = checked.var_init.iter().map(|e| eval(e, &env)).collect();
    ir.var_init.extend(var_init);
    for (name, value) in mdl
        .derived
        .iter()
        .zip(&ir.derived)
        .chain(mdl.vars.iter().zip(&ir.var_init))
    {
        // a `dt` that is not positive (lowered as the smallest positive number) is reported on
        // its own; every derived value would follow from it
        if valid && dt_ms > f64::MIN_POSITIVE && !value.is_finite() {
            cx.error(Diagnostic::new(
                "rgenn::validate::not_finite",
                p.name.span,
                format!(
                    "`{name}` of population `{}` evaluates to {value} with these params",
                    ir.name
                ),
            ));
        }
    }

    // Readout.
    if let Some(r) = &p.readout {
        if mdl.kind == ir::ModelKind::SpikeSource {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::readout_on_input",
                    r.span,
                    format!("input population `{}` cannot have a readout", ir.name),
                )
                .help("put the readout on the output population"),
            );
        } else if !mdl.readouts.contains(&r.value) {
            let supported: Vec<&str> = mdl.readouts.iter().map(|r| r.as_str()).collect();
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::unsupported_readout",
                    r.span,
                    format!(
                        "model `{}` does not support the `{}` readout",
                        mdl.name,
                        r.value.as_str()
                    ),
                )
                .help(if supported.is_empty() {
                    format!("model `{}` supports no readouts", mdl.name)
                } else {
                    format!("model `{}` supports: {}", mdl.name, supported.join(", "))
                }),
            );
        }
    }

    // Recorded variables.
    for r in &p.record {
        match mdl.vars.iter().position(|v| *v == r.value) {
            Some(i) if !ir.record.contains(&VarId(i as u32)) => ir.record.push(VarId(i as u32)),
            Some(_) => {}
            None => cx.error(
                Diagnostic::new(
                    "rgenn::validate::unknown_var",
                    r.span,
                    format!(
                        "model `{}` has no variable `{}` to record",
                        mdl.name, r.value
                    ),
                )
                .suggest(&r.value, mdl.vars.iter().map(String::as_str)),
            ),
        }
    }
    if mdl.kind == ir::ModelKind::Neuron {
        ir.ring_len = 1;
    }
    Lowered {
        name: ir.name.clone(),
        model,
        ir,
    }
}
