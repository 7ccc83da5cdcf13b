//! The derived model as readable YAML, for `rgenn check --show-adjoint`: the same keys a
//! hand-written model has, so a user can read what rgenn derived or copy it as a starting point.

use std::fmt::Write as _;

use super::Derived;

/// The derived `sim`, `threshold`, `reset` and (when derived) `adjoint` sections.
pub fn derivation(d: &Derived, with_adjoint: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}", d.method);
    let names = d
        .scheme
        .propagator()
        .map_or_else(Vec::new, super::linear::Linear::names);
    if !names.is_empty() {
        let _ = writeln!(
            s,
            "# computed per population from its params: {}",
            names.join(", ")
        );
    }
    if !d.extra_vars.is_empty() {
        let vars: Vec<String> = d
            .extra_vars
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        let _ = writeln!(s, "vars (added): {{{}}}", vars.join(", "));
    }
    block(&mut s, "", "sim", &d.sim);
    if let Some(t) = &d.threshold {
        let _ = writeln!(s, "threshold: {t}");
    }
    if let Some(r) = &d.reset {
        block(&mut s, "", "reset", r);
    }
    if with_adjoint {
        let a = &d.adjoint;
        let _ = writeln!(s, "adjoint:");
        let _ = writeln!(s, "  vars: [{}]", a.vars.join(", "));
        for (key, values) in [("tape", &a.tape), ("history", &a.history)] {
            if !values.is_empty() {
                let _ = writeln!(s, "  {key}:");
                for (n, e) in values {
                    let _ = writeln!(s, "    {n}: {e}");
                }
            }
        }
        if let Some(j) = &a.jump {
            block(&mut s, "  ", "jump", j);
        }
        block(&mut s, "  ", "sim", &a.sim);
        let _ = writeln!(s, "  weight_grad: {}", a.weight_grad);
        let _ = writeln!(s, "  delay_grad: {}", a.delay_grad);
    }
    s
}

fn block(s: &mut String, indent: &str, key: &str, code: &str) {
    let _ = writeln!(s, "{indent}{key}: |");
    for line in code.lines() {
        let _ = writeln!(s, "{indent}  {line}");
    }
}
