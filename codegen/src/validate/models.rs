//! Neuron models: find the file (built-in or the user's), decode it, check its code strings.

use crate::diag::Diagnostic;
use crate::expr::{self, CodeError, Scope, Type};
use crate::ir::{self, Code, VarId};
use crate::model::{self, CodeString, NeuronModel, Readout, library};
use crate::ode::linear::Linear;
use crate::span::{Span, Spanned};
use crate::yaml;

use super::Cx;

/// Words that cannot name params or variables: C++ and CUDA keywords and common macros, plus the
/// built-ins of code strings.
const RESERVED: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "asm",
    "auto",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "constexpr",
    "continue",
    "default",
    "delete",
    "do",
    "double",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "nullptr",
    "operator",
    "or",
    "private",
    "protected",
    "public",
    "register",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "template",
    "this",
    "throw",
    "true",
    "try",
    "typedef",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
    "xor",
    "dt",
    "t",
    "scalar",
    "let",
    "mut",
    "fn",
    "match",
    "loop",
    "in",
    "self",
    "Self",
    "impl",
    "use",
    "mod",
    "pub",
    "ref",
    "type",
    "where",
    "move",
    "unsafe",
    "dim3",
    "blockIdx",
    "threadIdx",
    "blockDim",
    "gridDim",
    "warpSize",
    "NAN",
    "INFINITY",
];

/// A checked model plus what populations need to instantiate it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The model in the IR.
    pub ir: ir::NeuronModel,
    /// Param defaults (`None`: required).
    pub defaults: Vec<Option<f64>>,
    /// Typed derived-param expressions.
    pub derived: Vec<ir::Expr>,
    /// Typed initial-value expressions.
    pub var_init: Vec<ir::Expr>,
    /// The propagator of a model written as ODEs: it fills the derived params after `derived`.
    pub propagator: Option<Linear>,
    /// The params' ranges and the model's constraints.
    pub rules: super::params::Rules,
}

/// Load and check the model a population names; `None` when it failed (reported).
pub fn resolve(cx: &mut Cx, name: &Spanned<String>) -> Option<usize> {
    if let Some(found) = cx.model_index.get(&name.value) {
        return *found;
    }
    let found = load(cx, name);
    cx.model_index.insert(name.value.clone(), found);
    found
}

fn load(cx: &mut Cx, name: &Spanned<String>) -> Option<usize> {
    let (file_name, text) = match library::builtin(&name.value) {
        Some((file, text)) => (file.to_string(), text.to_string()),
        None if name.value.ends_with(".yaml") || name.value.ends_with(".yml") => {
            let path = cx.base_dir.join(&name.value);
            match std::fs::read_to_string(&path) {
                // Named like the network file, so a `file:line:column` opens from the same folder.
                Ok(text) => (path.display().to_string(), text),
                Err(e) => {
                    cx.error(
                        Diagnostic::new(
                            "rgenn::validate::model_file",
                            name.span,
                            format!("cannot read model file `{}`: {e}", path.display()),
                        )
                        .label("model file not found")
                        .help("model paths are relative to the network file's folder"),
                    );
                    return None;
                }
            }
        }
        None => {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::unknown_model",
                    name.span,
                    format!("unknown neuron model `{}`", name.value),
                )
                .label("not a built-in model or a `.yaml` path")
                .suggest(&name.value, library::builtin_names()),
            );
            return None;
        }
    };
    let source = cx.sources.add(file_name, text.clone());
    let root = match yaml::parse(&text, source) {
        Ok(root) => root,
        Err(d) => {
            cx.error(d);
            return None;
        }
    };
    let decoded = model::parse_neuron_model(&root, source, &mut cx.diags)?;
    let checked = match &decoded.ode {
        Some(section) => {
            let lowered = super::ode::lower(cx, &decoded, section)?;
            check(cx, &lowered.model, Some((lowered.linear, lowered.note)))?
        }
        None => check(cx, &decoded, None)?,
    };
    cx.models.push(checked);
    Some(cx.models.len() - 1)
}

/// Turn a problem inside a code string into a diagnostic at its file position.
pub fn code_diag(cx: &Cx, e: CodeError, code: &CodeString) -> Diagnostic {
    let text = cx.file_text(code.node.span.source);
    let start = yaml::offset_in_file(&text, &code.node, e.at.start);
    let end = yaml::offset_in_file(&text, &code.node, e.at.end.saturating_sub(1)) + 1;
    let span = Span::new(code.node.span.source, start, end.max(start));
    let mut d = Diagnostic::new(e.code, span, e.message);
    d.help = e.help;
    d
}

fn names(list: &[(Spanned<String>, impl Sized)]) -> Vec<String> {
    list.iter().map(|(n, _)| n.value.clone()).collect()
}

fn check(
    cx: &mut Cx,
    m: &NeuronModel,
    ode: Option<(Option<Linear>, ir::OdeNote)>,
) -> Option<Checked> {
    let before = cx.diags.items.len();
    let params = names(&m.params);
    let mut derived_names = names(&m.derived);
    let (propagator, ode_note) = ode.unzip();
    let propagator = propagator.flatten();
    if let Some(p) = &propagator {
        derived_names.extend(p.names());
    }
    let vars = names(&m.vars);
    check_names(cx, m);

    let mut derived = Vec::new();
    for (i, (_, code)) in m.derived.iter().enumerate() {
        let scope = Scope {
            params: &params,
            derived: &derived_names[..i],
            ..Default::default()
        };
        derived.extend(typed_expr(cx, code, &scope, Type::Scalar));
    }
    let mut var_init = Vec::new();
    let constant = Scope {
        params: &params,
        derived: &derived_names,
        ..Default::default()
    };
    for (_, code) in &m.vars {
        var_init.extend(typed_expr(cx, code, &constant, Type::Scalar));
    }
    let scope = Scope {
        params: &params,
        derived: &derived_names,
        vars: &vars,
        inputs: &[],
        time: true,
    };
    let sim = m.sim.as_ref().and_then(|c| {
        Some(Code {
            code: typed_block(cx, c, &scope)?,
            origin: Some(cx.origin(c.node.span)),
        })
    });
    let threshold = m.threshold.as_ref().and_then(|c| {
        Some(Code {
            code: typed_expr(cx, c, &scope, Type::Bool)?,
            origin: Some(cx.origin(c.node.span)),
        })
    });
    let reset = m.reset.as_ref().and_then(|c| {
        Some(Code {
            code: typed_block(cx, c, &scope)?,
            origin: Some(cx.origin(c.node.span)),
        })
    });
    let var_id = |cx: &mut Cx, n: &Spanned<String>| -> Option<VarId> {
        match vars.iter().position(|v| *v == n.value) {
            Some(i) => Some(VarId(i as u32)),
            None => {
                cx.error(
                    Diagnostic::new(
                        "rgenn::validate::unknown_var",
                        n.span,
                        format!("`{}` is not a variable of this model", n.value),
                    )
                    .suggest(&n.value, vars.iter().map(String::as_str)),
                );
                None
            }
        }
    };
    let input_var = m.input.as_ref().map(|n| var_id(cx, n));
    let readout_var = m.readout_var.as_ref().map(|n| var_id(cx, n));
    check_readouts(cx, m);
    let taken: Vec<&str> = params
        .iter()
        .chain(&derived_names)
        .chain(&vars)
        .map(String::as_str)
        .collect();
    let adjoint = super::adjoint::check(cx, m, &scope, &taken);
    let rules = super::params::check_model(cx, m, &params, &derived_names);
    if cx.diags.items.len() > before {
        return None;
    }
    let empty = || Code {
        code: ir::Block::default(),
        origin: None,
    };
    Some(Checked {
        ir: ir::NeuronModel {
            name: m.name.value.clone(),
            origin: cx.origin(m.name.span),
            kind: m.kind,
            params: params.clone(),
            derived: derived_names,
            vars,
            input_var: input_var.flatten(),
            sim: sim.unwrap_or_else(empty),
            threshold,
            reset: reset.unwrap_or_else(empty),
            readouts: m.readouts.iter().map(|r| r.value).collect(),
            readout_var: readout_var.flatten(),
            adjoint,
            ode: ode_note,
        },
        defaults: m
            .params
            .iter()
            .map(|(_, d)| d.as_ref().map(|d| d.value))
            .collect(),
        derived,
        var_init,
        propagator,
        rules,
    })
}

/// Names that are reserved or declared twice, and code on a spike source.
fn check_names(cx: &mut Cx, m: &NeuronModel) {
    let mut seen: Vec<&str> = Vec::new();
    let all = m
        .params
        .iter()
        .map(|(n, _)| n)
        .chain(m.derived.iter().map(|(n, _)| n))
        .chain(m.vars.iter().map(|(n, _)| n));
    for n in all {
        if is_reserved(&n.value) {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::reserved_name",
                    n.span,
                    format!("`{}` is reserved and cannot name a param or variable", n.value),
                )
                .help("reserved: C++/CUDA keywords, `dt`, `t`, `scalar` and names starting with `rgenn`"),
            );
        } else if seen.contains(&n.value.as_str()) {
            cx.error(Diagnostic::new(
                "rgenn::validate::duplicate_name",
                n.span,
                format!(
                    "`{}` is declared twice (params, derived params and vars share one namespace)",
                    n.value
                ),
            ));
        }
        seen.push(&n.value);
    }
    if m.kind == ir::ModelKind::SpikeSource {
        let stray = [
            m.sim.as_ref().map(|c| c.node.span),
            m.threshold.as_ref().map(|c| c.node.span),
            m.reset.as_ref().map(|c| c.node.span),
            m.vars.first().map(|(n, _)| n.span),
        ];
        for span in stray.into_iter().flatten() {
            cx.error(Diagnostic::new(
                "rgenn::validate::spike_source_code",
                span,
                "a `spike_source` model emits the dataset's spikes and has no state or code",
            ));
        }
    }
}

/// Readouts the model cannot support, and a neuron model without an input variable.
fn check_readouts(cx: &mut Cx, m: &NeuronModel) {
    for r in &m.readouts {
        let ok = match r.value {
            Readout::FirstSpike => m.threshold.is_some(),
            _ => m.readout_var.is_some(),
        };
        if !ok {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::readout_support",
                    r.span,
                    format!(
                        "the model cannot support the `{}` readout",
                        r.value.as_str()
                    ),
                )
                .help("`first_spike` needs a `threshold`; value readouts need `readout_var`"),
            );
        }
    }
    if m.kind == ir::ModelKind::Neuron && m.input.is_none() {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::missing_input",
                m.name.span,
                "a neuron model needs `input:`, the variable incoming spikes add to",
            )
            .help("e.g. `input: i`"),
        );
    }
}

/// True for names that cannot be declared: keywords, built-ins and `rgenn*`.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || name.starts_with("rgenn")
}

pub(super) fn typed_expr(
    cx: &mut Cx,
    code: &CodeString,
    scope: &Scope,
    want: Type,
) -> Option<ir::Expr> {
    let result = expr::parse_expr(&code.text)
        .map_err(|e| vec![e])
        .and_then(|ast| expr::check_expr(&ast, scope, want));
    report(cx, code, result)
}

pub(super) fn typed_block(cx: &mut Cx, code: &CodeString, scope: &Scope) -> Option<ir::Block> {
    let result = expr::parse_block(&code.text)
        .map_err(|e| vec![e])
        .and_then(|ast| expr::check_block(&ast, scope));
    report(cx, code, result)
}

fn report<T>(cx: &mut Cx, code: &CodeString, result: Result<T, Vec<CodeError>>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(errors) => {
            for e in errors {
                let d = code_diag(cx, e, code);
                cx.error(d);
            }
            None
        }
    }
}
