//! Models written as ODEs (`ode:`): check the equations, threshold and reset at their positions,
//! derive the discrete model with `crate::ode`, and hand back an ordinary model whose `sim`,
//! `threshold`, `reset` and `adjoint` are the derived code strings.

use crate::diag::Diagnostic;
use crate::expr::ast::{self, At, BinaryOp};
use crate::expr::{self, CodeError, Scope, Type};
use crate::ir;
use crate::model::neuron::{AdjointModel, OdeSection};
use crate::model::{CodeString, NeuronModel};
use crate::ode::{self, Part, Problem, System, from_ast, linear::Linear, sym::Sym};
use crate::span::Spanned;

use super::Cx;
use super::models::code_diag;

/// A model after the ODE lowering, and what the IR says about it.
pub struct Lowered {
    /// The model with derived code.
    pub model: NeuronModel,
    /// The propagator filling the derived params it adds (linear systems).
    pub linear: Option<Linear>,
    /// How it is integrated, and the derived code, for `rgenn check`.
    pub note: ir::OdeNote,
}

/// Lower `m`, whose `ode` section is set; `None` after reporting a problem.
pub fn lower(cx: &mut Cx, m: &NeuronModel, section: &OdeSection) -> Option<Lowered> {
    let before = cx.diags.items.len();
    if let Some(sim) = &m.sim {
        cx.error(
            Diagnostic::new(
                "rgenn::ode::sim_and_ode",
                sim.node.span,
                "a model written with `ode:` has its update derived; it cannot also have `sim:`",
            )
            .help("remove `sim:`, or remove `ode:` and write the update and its adjoint by hand"),
        );
    }
    let params: Vec<String> = m.params.iter().map(|(n, _)| n.value.clone()).collect();
    let derived: Vec<String> = m.derived.iter().map(|(n, _)| n.value.clone()).collect();
    let vars: Vec<String> = m.vars.iter().map(|(n, _)| n.value.clone()).collect();
    let scope = Scope {
        params: &params,
        derived: &derived,
        vars: &vars,
        inputs: &[],
        time: false,
    };
    let mut f = vec![Sym::zero(); vars.len()];
    let mut eq_code: Vec<Option<&CodeString>> = vec![None; vars.len()];
    for (name, code) in &section.equations {
        let Some(j) = var_index(cx, &vars, name) else {
            continue;
        };
        if let Some(t) = term(cx, code, &scope) {
            f[j] = t;
            eq_code[j] = Some(code);
        }
    }
    let threshold = section
        .threshold
        .as_ref()
        .and_then(|c| threshold_term(cx, c, &scope));
    let mut reset = Vec::new();
    let mut reset_code = Vec::new();
    for (name, code) in &section.reset {
        let Some(j) = var_index(cx, &vars, name) else {
            continue;
        };
        if let Some(t) = term(cx, code, &scope) {
            reset.push((j, t));
            reset_code.push(code);
        }
    }
    let (jump_input, spread) = arrivals(cx, m, section, &vars, &params, &derived);
    if section.threshold.is_none() && !section.reset.is_empty() {
        cx.error(Diagnostic::new(
            "rgenn::ode::reset_without_threshold",
            section.reset[0].0.span,
            "`reset:` runs after a spike, but this model has no `threshold:`",
        ));
    }
    if cx.diags.items.len() > before {
        return None;
    }
    let position = |n: &Option<Spanned<String>>| {
        n.as_ref()
            .and_then(|n| vars.iter().position(|v| *v == n.value))
    };
    let system = System {
        vars: vars.clone(),
        f,
        input: position(&m.input).or(jump_input),
        spread,
        threshold,
        reset,
        readout_var: position(&m.readout_var),
    };
    let d = match ode::derive(&system) {
        Ok(d) => d,
        Err(problems) => {
            for p in problems {
                let code = match p.part {
                    Part::Equation(j) => eq_code[j],
                    Part::Threshold => section.threshold.as_ref(),
                    Part::Reset(i) => reset_code.get(i).copied(),
                };
                report(cx, p, code, section);
            }
            return None;
        }
    };
    check_generated_names(cx, m, &d);
    if cx.diags.items.len() > before {
        return None;
    }
    // The variable the delay ring adds arrivals to, when `jump:` chose it.
    let input = if !system.spread.is_empty() {
        Some(ode::ARRIVALS.to_string())
    } else {
        jump_input.map(|j| vars[j].clone())
    };
    Some(build(m, section, d, input))
}

/// The `jump:` of arriving spikes: each entry `x: x + c * w` with `c` free of the state and of
/// `w`. One entry with `c = 1` is `input: x`; otherwise the arrivals spread over the entries.
fn arrivals(
    cx: &mut Cx,
    m: &NeuronModel,
    section: &OdeSection,
    vars: &[String],
    params: &[String],
    derived: &[String],
) -> (Option<usize>, Vec<(usize, Sym)>) {
    let Some((first, _)) = section.jump.first() else {
        return (None, Vec::new());
    };
    if let Some(input) = &m.input {
        cx.error(
            Diagnostic::new(
                "rgenn::ode::input_and_jump",
                first.span,
                format!(
                    "`jump:` and `input: {}` both say what an arriving spike does",
                    input.value
                ),
            )
            .help("keep one: `input: x` is `jump: {x: x + w}`"),
        );
        return (None, Vec::new());
    }
    let weight = [WEIGHT.to_string()];
    let scope = Scope {
        params,
        derived,
        vars,
        inputs: &weight,
        time: false,
    };
    let mut spread = Vec::new();
    for (name, code) in &section.jump {
        let Some(j) = var_index(cx, vars, name) else {
            continue;
        };
        let Some(t) = term(cx, code, &scope) else {
            continue;
        };
        let is_state_or_w = |n: &str| n == WEIGHT || vars.iter().any(|v| v == n);
        let c = ode::diff::diff(&t, WEIGHT).ok();
        let rest = t.subst(&|n| (n == WEIGHT).then(Sym::zero));
        match c {
            Some(c)
                if !c.mentions(&is_state_or_w) && !c.is_zero() && rest == Sym::name(&vars[j]) =>
            {
                spread.push((j, c));
            }
            _ => {
                let e = CodeError {
                    code: "rgenn::ode::jump_form",
                    message: format!(
                        "an arrival must add a multiple of its weight `w` to `{}`",
                        vars[j]
                    ),
                    at: At {
                        start: 0,
                        end: code.text.trim_end().len(),
                    },
                    help: Some(format!(
                        "write `{0}: {0} + w` or `{0}: {0} + c * w` with `c` made of params and \
                         numbers: arrivals of one step are summed before they are added",
                        vars[j]
                    )),
                };
                let d = code_diag(cx, e, code);
                cx.error(d);
            }
        }
    }
    match spread.as_slice() {
        [(j, c)] if c.is_one() => (Some(*j), Vec::new()),
        _ => (None, spread),
    }
}

/// The name of an arrival's weight in `jump:`.
const WEIGHT: &str = "w";

fn var_index(cx: &mut Cx, vars: &[String], name: &Spanned<String>) -> Option<usize> {
    let found = vars.iter().position(|v| *v == name.value);
    if found.is_none() {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::unknown_var",
                name.span,
                format!("`{}` is not a variable of this model", name.value),
            )
            .label("declare it under `vars:`")
            .suggest(&name.value, vars.iter().map(String::as_str)),
        );
    }
    found
}

/// Parse, check and convert one code string; problems are reported at their position.
fn term(cx: &mut Cx, code: &CodeString, scope: &Scope) -> Option<Sym> {
    let ast = match expr::parse_expr(&code.text) {
        Ok(a) => a,
        Err(e) => {
            let d = code_diag(cx, e, code);
            cx.error(d);
            return None;
        }
    };
    // Shape first (a condition is refused with a message about ODE models), then names.
    let t = match from_ast::term(&ast) {
        Ok(t) => t,
        Err(e) => {
            let d = code_diag(cx, e, code);
            cx.error(d);
            return None;
        }
    };
    if let Err(errors) = expr::check_expr(&ast, scope, Type::Scalar) {
        for e in errors {
            let d = code_diag(cx, e, code);
            cx.error(d);
        }
        return None;
    }
    Some(t)
}

/// A threshold written as a condition (`v >= v_thresh`) gets a message saying what to write.
fn threshold_term(cx: &mut Cx, code: &CodeString, scope: &Scope) -> Option<Sym> {
    if let Ok(ast::Expr::Binary(op, a, b, at)) = expr::parse_expr(&code.text) {
        let (high, low) = match op {
            BinaryOp::Ge | BinaryOp::Gt => (a.at(), b.at()),
            BinaryOp::Le | BinaryOp::Lt => (b.at(), a.at()),
            _ => return term(cx, code, scope),
        };
        let side = |x: At| code.text.get(x.start..x.end).unwrap_or("?").to_string();
        let e = CodeError {
            code: "rgenn::ode::threshold_condition",
            message: "the threshold of a model written as ODEs is a function that a spike \
                      crosses upwards, not a condition"
                .to_string(),
            at,
            help: Some(format!(
                "write `{} - {}`: a spike when it goes from below zero to zero or above",
                side(high),
                match side(low) {
                    l if l.chars().all(|c| c.is_alphanumeric() || "_.".contains(c)) => l,
                    l => format!("({l})"),
                }
            )),
        };
        let d = code_diag(cx, e, code);
        cx.error(d);
        return None;
    }
    term(cx, code, scope)
}

fn report(cx: &mut Cx, p: Problem, code: Option<&CodeString>, section: &OdeSection) {
    let d = match code {
        Some(code) => {
            let e = CodeError {
                code: p.code,
                message: p.message,
                at: At {
                    start: 0,
                    end: code.text.trim_end().len(),
                },
                help: Some(p.help),
            };
            code_diag(cx, e, code)
        }
        None => Diagnostic::new(p.code, section.node.span, p.message).help(p.help),
    };
    cx.error(d);
}

/// Names the derivation adds must not be the user's.
fn check_generated_names(cx: &mut Cx, m: &NeuronModel, d: &ode::Derived) {
    let mut generated: Vec<String> = d.scheme.propagator().map_or_else(Vec::new, Linear::names);
    generated.extend(d.extra_vars.iter().map(|(n, _)| n.clone()));
    generated.extend(d.adjoint.vars.iter().cloned());
    generated.extend(d.adjoint.tape.iter().map(|(n, _)| n.clone()));
    generated.extend(d.adjoint.history.iter().map(|(n, _)| n.clone()));
    let user = m
        .params
        .iter()
        .map(|(n, _)| n)
        .chain(m.derived.iter().map(|(n, _)| n))
        .chain(m.vars.iter().map(|(n, _)| n));
    for n in user {
        let clash = generated.contains(&n.value)
            || ["old_", "new_", "ode_", "dl_d", "spike_"]
                .iter()
                .any(|p| n.value.starts_with(p));
        if clash {
            cx.error(
                Diagnostic::new(
                    "rgenn::ode::reserved_name",
                    n.span,
                    format!(
                        "`{}` clashes with the names rgenn writes for ODE models",
                        n.value
                    ),
                )
                .help("names starting with `old_`, `new_`, `ode_`, `dl_d` or `spike_` are taken in ODE models; rename it"),
            );
        }
    }
}

fn build(m: &NeuronModel, section: &OdeSection, d: ode::Derived, input: Option<String>) -> Lowered {
    let node = &section.node;
    let text = |t: &str| CodeString {
        text: t.to_string(),
        node: node.clone(),
    };
    let name = |n: &str| Spanned {
        value: n.to_string(),
        span: node.span,
    };
    let mut model = m.clone();
    model.ode = None;
    if let Some(input) = input {
        model.input = Some(name(&input));
    }
    model
        .vars
        .extend(d.extra_vars.iter().map(|(n, init)| (name(n), text(init))));
    model.sim = Some(text(&d.sim));
    model.threshold = d.threshold.as_deref().map(text);
    model.reset = d.reset.as_deref().map(text);
    let derived_adjoint = m.adjoint.is_none();
    if derived_adjoint {
        let a = &d.adjoint;
        model.adjoint = Some(AdjointModel {
            vars: a.vars.iter().map(|v| name(v)).collect(),
            tape: a.tape.iter().map(|(n, e)| (name(n), text(e))).collect(),
            history: a.history.iter().map(|(n, e)| (name(n), text(e))).collect(),
            jump: a.jump.as_deref().map(text),
            sim: Some(text(&a.sim)),
            weight_grad: Some(text(&a.weight_grad)),
            delay_grad: Some(text(&a.delay_grad)),
            span: node.span,
        });
    }
    let note = ir::OdeNote {
        method: d.method.clone(),
        derived_adjoint,
        derivation: ode::render::derivation(&d, derived_adjoint),
    };
    Lowered {
        model,
        linear: d.scheme.propagator().cloned(),
        note,
    }
}
