//! The values a population gives its model's params must be ones the model accepts: each inside
//! its `range:` and every `constraints:` expression true (`model/constraints.rs`). A value that
//! breaks a rule is reported where it was written: the population's `params:` entry in the network
//! file or, for a default, the model file; a broken constraint at the first overridden param it
//! reads, else at the constraint.

use crate::diag::Diagnostic;
use crate::expr::eval::{Env, eval};
use crate::expr::{Scope, Type};
use crate::ir::{self, Expr, Sym};
use crate::model::constraints::Range;
use crate::model::{self, NeuronModel};
use crate::span::Span;

use super::Cx;

/// A model's rules, checked and typed.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// `range:` of each param.
    pub ranges: Vec<Option<Range>>,
    /// Where each param's default is written.
    pub defaults: Vec<Option<Span>>,
    /// Each constraint: its typed expression, the code as written, and where.
    pub constraints: Vec<(Expr, String, Span)>,
}

/// Type-check the `constraints:` of `m` (booleans over params, derived params and `dt`).
pub fn check_model(cx: &mut Cx, m: &NeuronModel, params: &[String], derived: &[String]) -> Rules {
    let scope = Scope {
        params,
        derived,
        ..Default::default()
    };
    let constraints = m
        .valid
        .constraints
        .iter()
        .filter_map(|c| {
            let e = super::models::typed_expr(cx, c, &scope, Type::Bool)?;
            Some((e, c.text.trim().to_string(), c.node.span))
        })
        .collect();
    Rules {
        ranges: m.valid.ranges.clone(),
        defaults: m
            .params
            .iter()
            .map(|(_, d)| d.as_ref().map(|d| d.span))
            .collect(),
        constraints,
    }
}

fn reads_param(e: &Expr, i: usize) -> bool {
    match e {
        Expr::Sym(Sym::Param(p)) => *p as usize == i,
        Expr::Number(_) | Expr::Bool(_) | Expr::Sym(_) => false,
        Expr::Unary(_, a) => reads_param(a, i),
        Expr::Binary(_, a, b) => reads_param(a, i) || reads_param(b, i),
        Expr::Call(_, args) => args.iter().any(|a| reads_param(a, i)),
        Expr::Select(c, a, b) => reads_param(c, i) || reads_param(a, i) || reads_param(b, i),
    }
}

/// Check population `p`'s param values (in `env`) of model `mdl` against `rules`; false when one
/// broke a rule (reported).
pub fn check_population(
    cx: &mut Cx,
    p: &model::Population,
    mdl: &ir::NeuronModel,
    rules: &Rules,
    env: &Env,
) -> bool {
    let before = cx.diags.items.len();
    // Where each param's value was written: the population's override, else the model default.
    let written: Vec<(Option<Span>, bool)> = mdl
        .params
        .iter()
        .enumerate()
        .map(
            |(i, name)| match p.params.iter().find(|(n, _)| n.value == *name) {
                Some((_, v)) => (Some(v.span), true),
                None => (rules.defaults.get(i).copied().flatten(), false),
            },
        )
        .collect();
    for (i, range) in rules.ranges.iter().enumerate() {
        let (Some(range), Some(&value)) = (range, env.params.get(i)) else {
            continue;
        };
        let Some(span) = written[i].0.filter(|_| !range.contains(value)) else {
            continue;
        };
        let whose = if written[i].1 {
            format!("population `{}`", p.name.value)
        } else {
            format!("the default of model `{}`", mdl.name)
        };
        cx.error(
            Diagnostic::new(
                "rgenn::validate::param_out_of_range",
                span,
                format!(
                    "param `{}` = {value} ({whose}) is outside the range model `{}` declares: {}",
                    mdl.params[i], mdl.name, range.text
                ),
            )
            .label(format!("must be {}", range.text))
            .help(format!(
                "give `{}` a value that is {} (`params: {{{}: ...}}` on the population)",
                mdl.params[i], range.text, mdl.params[i]
            )),
        );
    }
    for (e, text, at) in &rules.constraints {
        if eval(e, env) != 0.0 {
            continue;
        }
        let read: Vec<usize> = (0..mdl.params.len())
            .filter(|&i| reads_param(e, i))
            .collect();
        if read.iter().any(|&i| written[i].0.is_none()) {
            continue; // a missing param is reported already
        }
        let span = read
            .iter()
            .find(|&&i| written[i].1)
            .and_then(|&i| written[i].0)
            .unwrap_or(*at);
        let values: Vec<String> = read
            .iter()
            .map(|&i| format!("{} = {}", mdl.params[i], env.params[i]))
            .collect();
        cx.error(
            Diagnostic::new(
                "rgenn::validate::constraint_broken",
                span,
                format!(
                    "population `{}` breaks the constraint `{text}` of model `{}` ({})",
                    p.name.value,
                    mdl.name,
                    values.join(", ")
                ),
            )
            .label(format!("makes `{text}` false"))
            .help(format!(
                "change the params so that `{text}` holds (`params:` on the population)"
            )),
        );
    }
    cx.diags.items.len() == before
}
