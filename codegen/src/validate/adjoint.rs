//! The `adjoint:` section of neuron models: names, required parts and typed code.
//!
//! Adjoint code sees the model's params and derived params, its adjoint variables and a few
//! read-only inputs (`drive` and the history values in `sim`; the tape values, `dloss_dt` and
//! `count_grad` in `jump`); it never sees the forward state itself. Tape expressions are forward
//! code, evaluated at a spike before the reset; history expressions are forward code evaluated at
//! every step, after the step's arrivals and before its update.

use crate::diag::Diagnostic;
use crate::expr::{Scope, Type};
use crate::ir::{self, Code};
use crate::model::neuron::AdjointModel;
use crate::model::{CodeString, NeuronModel};
use crate::span::Spanned;

use super::Cx;
use super::models::{is_reserved, typed_block, typed_expr};

/// Check the adjoint of `m`, given its forward names; `None` when absent or after an error.
pub fn check(cx: &mut Cx, m: &NeuronModel, forward: &Scope, taken: &[&str]) -> Option<ir::Adjoint> {
    let a = m.adjoint.as_ref()?;
    let before = cx.diags.items.len();
    if m.kind == ir::ModelKind::SpikeSource {
        cx.error(Diagnostic::new(
            "rgenn::validate::spike_source_code",
            a.span,
            "a `spike_source` model emits the dataset's spikes and has no adjoint",
        ));
        return None;
    }
    check_names(cx, a, taken);
    let required = |cx: &mut Cx, code: &Option<CodeString>, key: &str, what: &str| {
        if code.is_none() {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::adjoint_incomplete",
                    a.span,
                    format!("the adjoint needs `{key}:`, {what}"),
                )
                .help("see `models/lif.yaml` for a complete adjoint"),
            );
        }
    };
    required(cx, &a.sim, "sim", "one step of the adjoint in reverse time");
    required(
        cx,
        &a.weight_grad,
        "weight_grad",
        "the weight gradient of one arrival",
    );
    required(
        cx,
        &a.delay_grad,
        "delay_grad",
        "the loss gradient per arrival time and unit weight",
    );
    if m.threshold.is_some() {
        required(cx, &a.jump, "jump", "the adjoint's change at a spike");
    } else if let Some(j) = &a.jump {
        cx.error(Diagnostic::new(
            "rgenn::validate::jump_without_threshold",
            j.node.span,
            "`jump` runs at spikes, but this model has no `threshold`",
        ));
    }

    let vars: Vec<String> = a.vars.iter().map(|v| v.value.clone()).collect();
    let tape: Vec<String> = a.tape.iter().map(|(n, _)| n.value.clone()).collect();
    let tape_code: Vec<_> = a
        .tape
        .iter()
        .filter_map(|(_, c)| code_expr(cx, c, forward, Type::Scalar))
        .collect();
    let history: Vec<String> = a.history.iter().map(|(n, _)| n.value.clone()).collect();
    let history_code: Vec<_> = a
        .history
        .iter()
        .filter_map(|(_, c)| code_expr(cx, c, forward, Type::Scalar))
        .collect();
    let base = Scope {
        params: forward.params,
        derived: forward.derived,
        vars: &vars,
        inputs: &[],
        time: false,
    };
    let mut sim_inputs = vec![ir::Adjoint::DRIVE.to_string()];
    sim_inputs.extend(history.iter().cloned());
    let sim_scope = Scope {
        inputs: &sim_inputs,
        time: true,
        ..base.clone()
    };
    let mut jump_inputs = tape.clone();
    jump_inputs.push(ir::Adjoint::DLOSS_DT.to_string());
    jump_inputs.push(ir::Adjoint::COUNT_GRAD.to_string());
    let jump_scope = Scope {
        inputs: &jump_inputs,
        time: true,
        ..base.clone()
    };
    let sim = a.sim.as_ref().and_then(|c| code_block(cx, c, &sim_scope));
    let jump = a.jump.as_ref().and_then(|c| code_block(cx, c, &jump_scope));
    let weight_grad = a
        .weight_grad
        .as_ref()
        .and_then(|c| code_expr(cx, c, &base, Type::Scalar));
    let delay_grad = a
        .delay_grad
        .as_ref()
        .and_then(|c| code_expr(cx, c, &base, Type::Scalar));
    if cx.diags.items.len() > before {
        return None;
    }
    Some(ir::Adjoint {
        vars,
        tape,
        tape_code,
        history,
        history_code,
        jump: jump.unwrap_or(Code {
            code: ir::Block::default(),
            origin: None,
        }),
        sim: sim?,
        weight_grad: weight_grad?,
        delay_grad: delay_grad?,
    })
}

/// Adjoint variable, tape and history names: identifiers, not reserved, not taken by the forward model,
/// not the built-in inputs, and each declared once.
fn check_names(cx: &mut Cx, a: &AdjointModel, taken: &[&str]) {
    let names: Vec<&Spanned<String>> = a
        .vars
        .iter()
        .chain(a.tape.iter().map(|(n, _)| n))
        .chain(a.history.iter().map(|(n, _)| n))
        .collect();
    let builtin = [
        ir::Adjoint::DRIVE,
        ir::Adjoint::DLOSS_DT,
        ir::Adjoint::COUNT_GRAD,
    ];
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        let name = n.value.as_str();
        let problem = if is_reserved(name) || builtin.contains(&name) {
            Some(format!(
                "`{name}` is reserved and cannot name an adjoint variable, tape or history value"
            ))
        } else if taken.contains(&name) || seen.contains(&name) {
            Some(format!(
                "`{name}` is declared twice (the adjoint shares one namespace with the model)"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            cx.error(Diagnostic::new(
                "rgenn::validate::adjoint_name",
                n.span,
                message,
            ));
        }
        seen.push(name);
    }
}

fn code_expr(cx: &mut Cx, c: &CodeString, scope: &Scope, want: Type) -> Option<Code<ir::Expr>> {
    Some(Code {
        code: typed_expr(cx, c, scope, want)?,
        origin: Some(cx.origin(c.node.span)),
    })
}

fn code_block(cx: &mut Cx, c: &CodeString, scope: &Scope) -> Option<Code<ir::Block>> {
    Some(Code {
        code: typed_block(cx, c, scope)?,
        origin: Some(cx.origin(c.node.span)),
    })
}
