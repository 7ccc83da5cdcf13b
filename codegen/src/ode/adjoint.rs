//! The EventProp adjoint of an ODE model, derived from its terms, as code strings.
//!
//! The adjoint variables are `dl_d<var> = dL/d(var)`. Between events one reverse step applies the
//! transpose of the forward step's Jacobian (the propagator of a linear system; for a nonlinear
//! one, see [`super::explicit`]), so every gradient that does not pass through a spike time is
//! exact for the discrete model. At a spike with state `x` (taped before the reset), threshold
//! gradient `G = dg/dx`, reset Jacobian `R = dr/dx`, `f- = f(x)` and `f+ = f(r(x))`, the
//! transition condition is
//!
//! ```text
//! dl_dx- = R^T dl_dx+ - G^T (dl_dx+ . (R f- - f+) + dloss_dt) / gdot
//! ```
//!
//! with `gdot`, the threshold function's rate at the crossing, taken as its change over the step
//! divided by `dt` (positive at every discrete upward crossing, so the division cannot change
//! sign; it tends to `G . f-` as dt -> 0). An arrival's weight gradient is `dl_d<input>` at its
//! step; its time gradient is what moving it one step later does, divided by `dt`.

use super::diff::diff;
use super::linear::Linear;
use super::print::code;
use super::sym::Sym;
use super::{ARRIVALS, G_PREV, Part, Problem, Scheme, System, not_differentiable};

/// Name of the tape value holding the threshold function's rate at a spike.
pub const SLOPE: &str = "spike_slope";

/// The threshold and reset, differentiated.
#[derive(Clone, Debug)]
pub struct Spike {
    /// `dg/dx_k`.
    pub g_grad: Vec<Sym>,
    /// `R[j][k] = d r_j / d x_k` (identity rows for variables the reset leaves alone).
    pub r_jac: Vec<Vec<Sym>>,
    /// `R f- - f+`.
    pub h: Vec<Sym>,
    /// The spike-count regulariser's kick per unit `count_grad`: `-G / (G A G)` (nonlinear
    /// systems: `G / |G J G|` with `J = df/dx` at the spike).
    pub kick: Vec<Sym>,
}

impl Spike {
    /// Differentiate threshold `g` and the reset of `s`.
    pub fn of(s: &System, g: &Sym) -> Result<Spike, Problem> {
        let n = s.vars.len();
        let g_grad = s
            .vars
            .iter()
            .map(|x| diff(g, x))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| not_differentiable(Part::Threshold, &e))?;
        if g_grad.iter().all(Sym::is_zero) {
            return Err(Problem {
                part: Part::Threshold,
                code: "rgenn::ode::threshold_without_state",
                message: "the threshold function depends on no state variable, so it never \
                          crosses zero"
                    .to_string(),
                help: "write it as a function of the state that is zero at the threshold, e.g. \
                       `v - v_thresh`"
                    .to_string(),
            });
        }
        let gdot = Sym::sum(
            (0..n)
                .map(|k| Sym::times(g_grad[k].clone(), s.f[k].clone()))
                .collect(),
        );
        if gdot.is_zero() {
            return Err(Problem {
                part: Part::Threshold,
                code: "rgenn::ode::threshold_static",
                message: "the threshold function does not change between events (its time \
                          derivative is identically zero), so a spike time has no gradient"
                    .to_string(),
                help: "the threshold must depend on a variable that has an equation in `ode:`"
                    .to_string(),
            });
        }
        let mut r_jac: Vec<Vec<Sym>> = (0..n)
            .map(|j| {
                (0..n)
                    .map(|k| Sym::num(if j == k { 1.0 } else { 0.0 }))
                    .collect()
            })
            .collect();
        let mut after: Vec<Sym> = s.vars.iter().map(|v| Sym::name(v)).collect();
        for (i, (j, value)) in s.reset.iter().enumerate() {
            for (k, x) in s.vars.iter().enumerate() {
                r_jac[*j][k] =
                    diff(value, x).map_err(|e| not_differentiable(Part::Reset(i), &e))?;
            }
            after[*j] = value.clone();
        }
        let f_after: Vec<Sym> =
            s.f.iter()
                .map(|fj| {
                    fj.subst(&|name| {
                        s.vars
                            .iter()
                            .position(|v| v == name)
                            .map(|k| after[k].clone())
                    })
                })
                .collect();
        let h = (0..n)
            .map(|j| {
                let r_f = Sym::sum(
                    (0..n)
                        .map(|k| Sym::times(r_jac[j][k].clone(), s.f[k].clone()))
                        .collect(),
                );
                shorter(Sym::minus(r_f, f_after[j].clone()))
            })
            .collect();
        // G J G with J = df/dx at the spike's state (the matrix A of a linear system).
        let mut terms = Vec::new();
        for j in 0..n {
            for (k, x) in s.vars.iter().enumerate() {
                let jac =
                    diff(&s.f[j], x).map_err(|e| not_differentiable(Part::Equation(j), &e))?;
                terms.push(Sym::product(vec![
                    g_grad[j].clone(),
                    jac,
                    g_grad[k].clone(),
                ]));
            }
        }
        let mut gag = Sym::sum(terms);
        // A nonlinear system's G J G depends on the state and may be positive at a spike (the
        // quadratic model's runaway): its size sets the time scale, the kick keeps the sign it has
        // in a leaky model.
        if gag.mentions(&|name| s.vars.iter().any(|v| v == name)) {
            gag = Sym::negate(Sym::call(crate::ir::expr::Func::Abs, vec![gag]));
        }
        let kick = g_grad
            .iter()
            .map(|gk| {
                if gag.is_zero() {
                    Sym::zero()
                } else {
                    Sym::over(gk.clone(), Sym::negate(gag.clone()))
                }
            })
            .collect();
        Ok(Spike {
            g_grad,
            r_jac,
            h,
            kick,
        })
    }
}

/// The term or its expansion, whichever prints shorter.
fn shorter(e: Sym) -> Sym {
    let expanded = e.expand();
    if code(&expanded).len() < code(&e).len() {
        expanded
    } else {
        e
    }
}

/// The adjoint section as code strings.
#[derive(Clone, Debug)]
pub struct Adjoint {
    /// `vars:`.
    pub vars: Vec<String>,
    /// `tape:` name and forward expression.
    pub tape: Vec<(String, String)>,
    /// `history:` name and forward expression.
    pub history: Vec<(String, String)>,
    /// `jump:`.
    pub jump: Option<String>,
    /// `sim:`.
    pub sim: String,
    /// `weight_grad:`.
    pub weight_grad: String,
    /// `delay_grad:`.
    pub delay_grad: String,
}

fn dl(v: &str) -> String {
    format!("dl_d{v}")
}

/// Write the adjoint of `s`, whose forward step `scheme` integrates.
pub fn write(s: &System, scheme: &Scheme, spike: Option<&Spike>) -> Adjoint {
    let n = s.vars.len();
    let mut vars: Vec<String> = s.vars.iter().map(|v| dl(v)).collect();
    let mut tape = Vec::new();
    let jump = spike.map(|sp| jump_code(s, sp, &mut tape));
    let jump_moves_input = match (spike, s.input) {
        (Some(sp), Some(i)) => {
            !sp.g_grad[i].is_zero()
                || (0..n).any(|j| {
                    let identity = if j == i { 1.0 } else { 0.0 };
                    sp.r_jac[j][i].as_num() != Some(identity)
                })
        }
        _ => false,
    };
    let mut sim = String::new();
    let (weight_grad, delay_grad) = match s.input {
        Some(i) => {
            let x = &s.vars[i];
            let next = format!("{}_next", dl(x));
            vars.push(next.clone());
            if jump_moves_input {
                vars.push(format!("{}_end", dl(x)));
                sim.push_str(&format!("{next} = {}_end;\n", dl(x)));
            } else {
                sim.push_str(&format!("{next} = {};\n", dl(x)));
            }
            (dl(x), format!("({next} - {}) / dt", dl(x)))
        }
        None if !s.spread.is_empty() => {
            // dL/d(arrivals) = sum_j c_j dl_dx_j after the reverse step, kept in its own variable:
            // at the next reverse step it still holds this step's value, before any jump.
            let a = dl(ARRIVALS);
            let next = format!("{a}_next");
            vars.push(a.clone());
            vars.push(next.clone());
            sim.push_str(&format!("{next} = {a};\n"));
            (a.clone(), format!("({next} - {a}) / dt"))
        }
        None => ("0.0".to_string(), "0.0".to_string()),
    };
    if let Some(r) = s.readout_var {
        sim.push_str(&format!("{0} = {0} + drive;\n", dl(&s.vars[r])));
    }
    let history = match scheme {
        Scheme::Exact(l) => {
            sim.push_str(&reverse_step(s, l));
            Vec::new()
        }
        Scheme::Midpoint(e) => {
            sim.push_str(&e.reverse(s, &|v| dl(v)));
            // The history is recorded before the update code runs, so before spread arrivals
            // are added: a variable's recorded value includes its share.
            let mut values = e.history_values(s);
            for (_, value) in &mut values {
                let Some(k) = s.vars.iter().position(|v| v == value) else {
                    continue;
                };
                if let Some((_, c)) = s.spread.iter().find(|(j, _)| *j == k) {
                    let x = Sym::plus(Sym::name(value), Sym::times(c.clone(), Sym::name(ARRIVALS)));
                    *value = code(&x);
                }
            }
            values
        }
    };
    if let (true, Some(i)) = (jump_moves_input, s.input) {
        sim.push_str(&format!("{0}_end = {0};\n", dl(&s.vars[i])));
    }
    if !s.spread.is_empty() {
        let share = Sym::sum(
            s.spread
                .iter()
                .map(|(j, c)| Sym::times(c.clone(), Sym::name(&dl(&s.vars[*j]))))
                .collect(),
        );
        sim.push_str(&format!("{} = {};\n", dl(ARRIVALS), code(&share)));
    }
    Adjoint {
        vars,
        tape,
        history,
        jump,
        sim,
        weight_grad,
        delay_grad,
    }
}

/// `dl_dk = sum_j P[j][k] dl_dj`: the transpose of the forward step.
fn reverse_step(s: &System, l: &Linear) -> String {
    let n = s.vars.len();
    let coef = |j: usize, k: usize| -> Option<String> {
        if l.moves(j) {
            l.p_used[j][k].then(|| l.p_name(j, k))
        } else {
            (j == k).then(String::new)
        }
    };
    let changes: Vec<usize> = (0..n)
        .filter(|&k| (0..n).any(|j| coef(j, k).is_some_and(|c| !c.is_empty())))
        .collect();
    let read_old: Vec<usize> = (0..n)
        .filter(|&j| changes.iter().any(|&k| k != j && coef(j, k).is_some()))
        .collect();
    let mut out = String::new();
    for &j in &read_old {
        out.push_str(&format!(
            "let old_{} = {};\n",
            dl(&s.vars[j]),
            dl(&s.vars[j])
        ));
    }
    for &k in &changes {
        let terms: Vec<String> = (0..n)
            .filter_map(|j| {
                let c = coef(j, k)?;
                let m = if read_old.contains(&j) {
                    format!("old_{}", dl(&s.vars[j]))
                } else {
                    dl(&s.vars[j])
                };
                Some(if c.is_empty() {
                    m
                } else {
                    format!("{c} * {m}")
                })
            })
            .collect();
        out.push_str(&format!("{} = {};\n", dl(&s.vars[k]), terms.join(" + ")));
    }
    out
}

/// The transition condition at a spike; adds the tape values it reads to `tape`.
fn jump_code(s: &System, sp: &Spike, tape: &mut Vec<(String, String)>) -> String {
    let n = s.vars.len();
    let tape_names: Vec<String> = s.vars.iter().map(|v| format!("spike_{v}")).collect();
    let at_spike = |e: &Sym| e.rename(&s.vars, &tape_names);
    let m: Vec<Sym> = s
        .vars
        .iter()
        .map(|v| Sym::name(&format!("old_{}", dl(v))))
        .collect();
    let numerator = Sym::sum(
        (0..n)
            .map(|j| Sym::times(m[j].clone(), at_spike(&sp.h[j])))
            .collect(),
    );
    let mut body = String::new();
    let mut uses: Vec<Sym> = vec![numerator.clone()];
    let mut assignments = Vec::new();
    for k in 0..n {
        let transposed = Sym::sum(
            (0..n)
                .map(|j| Sym::times(sp.r_jac[j][k].clone(), m[j].clone()))
                .collect(),
        );
        let value = Sym::sum(vec![
            at_spike(&transposed),
            Sym::negate(Sym::times(at_spike(&sp.g_grad[k]), Sym::name("ode_c"))),
            Sym::times(at_spike(&sp.kick[k]), Sym::name("count_grad")),
        ]);
        if value == m[k] {
            continue;
        }
        uses.push(value.clone());
        assignments.push(format!("{} = {};\n", dl(&s.vars[k]), code(&value)));
    }
    for (j, mj) in m.iter().enumerate() {
        let name = match mj {
            Sym::Name(x) => x.clone(),
            _ => continue,
        };
        if uses.iter().any(|u| u.mentions(&|x| x == name)) {
            body.push_str(&format!("let {name} = {};\n", dl(&s.vars[j])));
        }
    }
    body.push_str(&format!(
        "let ode_c = ({} + dloss_dt) / {SLOPE};\n",
        code(&numerator)
    ));
    body.extend(assignments);
    for (k, t) in tape_names.iter().enumerate() {
        if uses.iter().any(|u| u.mentions(&|x| x == t)) {
            tape.push((t.clone(), s.vars[k].clone()));
        }
    }
    let g = s.threshold.as_ref().map_or_else(String::new, code);
    tape.push((SLOPE.to_string(), format!("({g} - {G_PREV}) / dt")));
    body
}
