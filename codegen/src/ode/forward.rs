//! The forward step of an ODE model as code strings: the exact propagator, the upward crossing
//! of the threshold function, and the reset.
//!
//! One step: `ode_g_prev` keeps the threshold function's value at the step's start (after the
//! arrivals), every moving variable takes one step of the scheme (linear systems: becomes
//! `sum_k P[j][k] x_k + q[j]` from the old values; nonlinear: see [`super::explicit`]), and a
//! spike is emitted when the function went from below zero to zero or above. The reset's
//! assignments all read the values before the reset.

use super::linear::Linear;
use super::print::code;
use super::sym::Sym;
use super::{ARRIVALS, G_PREV, Scheme, System};

/// The forward code strings.
pub struct Forward {
    /// State variables added by the derivation, with their initial value.
    pub extra_vars: Vec<(String, String)>,
    /// `sim:`.
    pub sim: String,
    /// `threshold:`.
    pub threshold: Option<String>,
    /// `reset:`.
    pub reset: Option<String>,
}

/// Write the forward code of `s`, integrated by `scheme`.
pub fn write(s: &System, scheme: &Scheme) -> Forward {
    let mut sim = String::new();
    let mut extra_vars = Vec::new();
    if !s.spread.is_empty() {
        // The ring added this step's arrivals to ARRIVALS; each variable takes its share.
        for (j, c) in &s.spread {
            let x = Sym::name(&s.vars[*j]);
            let share = Sym::times(c.clone(), Sym::name(ARRIVALS));
            sim.push_str(&format!(
                "{} = {};\n",
                s.vars[*j],
                code(&Sym::plus(x, share))
            ));
        }
        sim.push_str(&format!("{ARRIVALS} = 0.0;\n"));
        extra_vars.push((ARRIVALS.to_string(), "0.0".to_string()));
    }
    if let Some(g) = &s.threshold {
        sim.push_str(&format!("{G_PREV} = {};\n", code(g)));
        extra_vars.push((G_PREV.to_string(), "0.0".to_string()));
    }
    match scheme {
        Scheme::Exact(l) => sim.push_str(&exact_step(s, l)),
        Scheme::Midpoint(e) => sim.push_str(&e.forward(s)),
    }
    let threshold = s
        .threshold
        .as_ref()
        .map(|g| format!("{G_PREV} < 0.0 && {} >= 0.0", code(g)));
    let reset = (!s.reset.is_empty()).then(|| reset_code(s));
    Forward {
        extra_vars,
        sim,
        threshold,
        reset,
    }
}

/// One step of the exact propagator: every moving variable becomes `sum_k P[j][k] x_k + q[j]`.
fn exact_step(s: &System, l: &Linear) -> String {
    let n = s.vars.len();
    let mut sim = String::new();
    let moving: Vec<usize> = (0..n).filter(|&j| l.moves(j)).collect();
    // Old values are needed only where another variable's new value reads them.
    let read_old: Vec<usize> = (0..n)
        .filter(|&k| moving.iter().any(|&j| j != k && l.p_used[j][k]))
        .collect();
    for &k in &read_old {
        sim.push_str(&format!("let old_{0} = {0};\n", s.vars[k]));
    }
    for &j in &moving {
        let mut terms: Vec<String> = (0..n)
            .filter(|&k| l.p_used[j][k])
            .map(|k| {
                let x = if read_old.contains(&k) {
                    format!("old_{}", s.vars[k])
                } else {
                    s.vars[k].clone()
                };
                format!("{} * {x}", l.p_name(j, k))
            })
            .collect();
        if l.q_used[j] {
            terms.push(l.q_name(j));
        }
        sim.push_str(&format!("{} = {};\n", s.vars[j], terms.join(" + ")));
    }
    sim
}

/// The reset's assignments; through `let`s when one reads a variable assigned before it.
fn reset_code(s: &System) -> String {
    let reads_earlier = s.reset.iter().enumerate().any(|(i, (_, value))| {
        s.reset[..i]
            .iter()
            .any(|(j, _)| value.mentions(&|n| n == s.vars[*j]))
    });
    let mut r = String::new();
    if reads_earlier {
        for (j, value) in &s.reset {
            r.push_str(&format!("let new_{} = {};\n", s.vars[*j], code(value)));
        }
        for (j, _) in &s.reset {
            r.push_str(&format!("{0} = new_{0};\n", s.vars[*j]));
        }
    } else {
        for (j, value) in &s.reset {
            r.push_str(&format!("{} = {};\n", s.vars[*j], code(value)));
        }
    }
    r
}
