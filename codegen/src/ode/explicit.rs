//! Nonlinear ODE systems: the explicit midpoint method (second-order Runge-Kutta) and the exact
//! adjoint of that discrete step.
//!
//! One forward step from state `x` (after the step's arrivals):
//!
//! ```text
//! m = x + dt/2 f(x)        x' = x + dt f(m)
//! ```
//!
//! Its Jacobian is `I + dt J(m) (I + dt/2 J(x))` with `J = df/dx`, so one reverse step maps the
//! adjoint `mu'` after the step to
//!
//! ```text
//! nu = dt J(m)^T mu'       mu = mu' + nu + dt/2 J(x)^T nu
//! ```
//!
//! `J` depends on the state, so the forward pass records `x` at every step (`history:`) for the
//! variables the reverse step reads, and the reverse step recomputes `m` from it.

use super::System;
use super::diff::{NotDifferentiable, diff};
use super::print::code;
use super::sym::Sym;

/// The Jacobian `J[j][k] = d f_j / d x_k` and what the step needs.
#[derive(Clone, Debug)]
pub struct Explicit {
    /// State variable names.
    pub vars: Vec<String>,
    /// `J[j][k]`.
    pub jac: Vec<Vec<Sym>>,
    /// Variables with an equation (their `f` is not zero).
    pub moving: Vec<usize>,
}

/// Prefix of the history value of a variable.
const HISTORY: &str = "ode_x_";
/// Prefix of a midpoint value.
const MID: &str = "ode_m_";
/// Prefix of `nu`.
const NU: &str = "ode_nu_";

impl Explicit {
    /// Differentiate `f`; an equation with a function that has no derivative is refused.
    pub fn of(vars: &[String], f: &[Sym]) -> Result<Explicit, (usize, NotDifferentiable)> {
        let jac = f
            .iter()
            .enumerate()
            .map(|(j, fj)| {
                vars.iter()
                    .map(|x| diff(fj, x).map_err(|e| (j, e)))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let moving = (0..vars.len()).filter(|&j| !f[j].is_zero()).collect();
        Ok(Explicit {
            vars: vars.to_vec(),
            jac,
            moving,
        })
    }

    fn is_state(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v == name)
    }

    /// The variables `terms` mention.
    fn mentioned(&self, terms: &[&Sym]) -> Vec<usize> {
        (0..self.vars.len())
            .filter(|&k| terms.iter().any(|t| t.mentions(&|n| n == self.vars[k])))
            .collect()
    }

    /// `e` with every state variable `x` replaced by `<prefix>x`, where `renamed` holds it;
    /// otherwise left as it is.
    fn at(&self, e: &Sym, prefix: &str, renamed: &[usize]) -> Sym {
        e.subst(&|name| {
            let k = self.is_state(name)?;
            renamed
                .contains(&k)
                .then(|| Sym::name(&format!("{prefix}{}", self.vars[k])))
        })
    }

    /// `x_k + dt/2 f_k`, with `x` renamed by `prefix` (`""`: the state itself).
    fn midpoint(&self, s: &System, k: usize, prefix: &str, renamed: &[usize]) -> Sym {
        let x = Sym::name(&format!("{prefix}{}", self.vars[k]));
        let half_step = Sym::product(vec![
            Sym::num(0.5),
            Sym::name("dt"),
            self.at(&s.f[k], prefix, renamed),
        ]);
        Sym::plus(x, half_step)
    }

    /// The forward step as code (after `ode_g_prev` is taken).
    pub fn forward(&self, s: &System) -> String {
        let f_moving: Vec<&Sym> = self.moving.iter().map(|&j| &s.f[j]).collect();
        // Midpoints of the moving variables the equations read; a variable without an equation
        // is its own midpoint.
        let mids: Vec<usize> = self
            .mentioned(&f_moving)
            .into_iter()
            .filter(|k| self.moving.contains(k))
            .collect();
        let mut out = String::new();
        for &k in &mids {
            out.push_str(&format!(
                "let {MID}{} = {};\n",
                self.vars[k],
                code(&self.midpoint(s, k, "", &[]))
            ));
        }
        for &j in &self.moving {
            let step = Sym::plus(
                Sym::name(&self.vars[j]),
                Sym::times(Sym::name("dt"), self.at(&s.f[j], MID, &mids)),
            );
            out.push_str(&format!("{} = {};\n", self.vars[j], code(&step)));
        }
        out
    }

    /// Which state variables the reverse step reads from the history.
    pub fn history(&self, s: &System) -> Vec<usize> {
        let jac: Vec<&Sym> = self.jac.iter().flatten().collect();
        let at_mid = self.mentioned(&jac);
        let mut needed = at_mid.clone();
        for &k in &at_mid {
            if self.moving.contains(&k) {
                needed.extend(self.mentioned(&[&s.f[k]]));
            }
        }
        needed.sort_unstable();
        needed.dedup();
        needed
    }

    /// The history values: `(name, forward expression)`.
    pub fn history_values(&self, s: &System) -> Vec<(String, String)> {
        self.history(s)
            .into_iter()
            .map(|k| (format!("{HISTORY}{}", self.vars[k]), self.vars[k].clone()))
            .collect()
    }

    /// One reverse step of the adjoint variables `dl_<var>` (named by `dl`).
    pub fn reverse(&self, s: &System, dl: &dyn Fn(&str) -> String) -> String {
        let hist = self.history(s);
        let jac: Vec<&Sym> = self.jac.iter().flatten().collect();
        let mids: Vec<usize> = self
            .mentioned(&jac)
            .into_iter()
            .filter(|k| self.moving.contains(k))
            .collect();
        // At the midpoint: recomputed midpoints for moving variables, the history for the others.
        let at_mid = |e: &Sym| {
            e.subst(&|name| {
                let k = self.is_state(name)?;
                let prefix = if mids.contains(&k) { MID } else { HISTORY };
                Some(Sym::name(&format!("{prefix}{}", self.vars[k])))
            })
        };
        let at_start = |e: &Sym| self.at(e, HISTORY, &hist);
        let n = self.vars.len();
        let mut out = String::new();
        for &k in &mids {
            out.push_str(&format!(
                "let {MID}{} = {};\n",
                self.vars[k],
                code(&self.midpoint(s, k, HISTORY, &hist))
            ));
        }
        // nu_k = dt sum_j J[j][k](m) mu'_j, for every k some moving j depends on.
        let targets: Vec<usize> = (0..n)
            .filter(|&k| self.moving.iter().any(|&j| !self.jac[j][k].is_zero()))
            .collect();
        for &k in &targets {
            let sum = Sym::sum(
                self.moving
                    .iter()
                    .map(|&j| Sym::times(at_mid(&self.jac[j][k]), Sym::name(&dl(&self.vars[j]))))
                    .collect(),
            );
            out.push_str(&format!(
                "let {NU}{} = {};\n",
                self.vars[k],
                code(&Sym::times(Sym::name("dt"), sum))
            ));
        }
        // mu_k = mu'_k + nu_k + dt/2 sum_j J[j][k](x) nu_j (nu_j is zero outside `targets`).
        for &k in &targets {
            let back = Sym::sum(
                self.moving
                    .iter()
                    .filter(|j| targets.contains(j))
                    .map(|&j| {
                        Sym::times(
                            at_start(&self.jac[j][k]),
                            Sym::name(&format!("{NU}{}", self.vars[j])),
                        )
                    })
                    .collect(),
            );
            let value = Sym::sum(vec![
                Sym::name(&dl(&self.vars[k])),
                Sym::name(&format!("{NU}{}", self.vars[k])),
                Sym::product(vec![Sym::num(0.5), Sym::name("dt"), back]),
            ]);
            out.push_str(&format!("{} = {};\n", dl(&self.vars[k]), code(&value)));
        }
        out
    }

    /// What `rgenn check` says about the integration.
    pub fn method(&self, s: &System, arrivals: &str) -> String {
        let names = |ks: &[usize]| {
            ks.iter()
                .map(|&k| self.vars[k].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let nonlinear: Vec<usize> = (0..self.vars.len())
            .filter(|&j| {
                self.jac[j]
                    .iter()
                    .any(|c| c.mentions(&|n| self.is_state(n).is_some()))
            })
            .collect();
        format!(
            "nonlinear in ({}): explicit midpoint method (RK2, second order) for ({}), {}; the \
             adjoint pass reads ({}) of every step from a history",
            names(&nonlinear),
            names(&self.moving),
            arrivals,
            names(&self.history(s)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Sym {
        Sym::name(s)
    }

    /// tau dv/dt = v (v - c) + i, tau_s di/dt = -i.
    fn qif() -> System {
        System {
            vars: vec!["v".into(), "i".into()],
            f: vec![
                Sym::over(
                    Sym::plus(Sym::times(n("v"), Sym::minus(n("v"), n("c"))), n("i")),
                    n("tau"),
                ),
                Sym::negate(Sym::over(n("i"), n("tau_s"))),
            ],
            input: Some(1),
            spread: Vec::new(),
            threshold: Some(Sym::minus(n("v"), n("v_th"))),
            reset: vec![(0, Sym::num(0.0))],
            readout_var: None,
        }
    }

    #[test]
    fn the_step_reads_midpoints() {
        let s = qif();
        let e = Explicit::of(&s.vars, &s.f).unwrap();
        let fwd = e.forward(&s);
        assert!(fwd.contains("let ode_m_v = v + 0.5 * dt * "), "{fwd}");
        assert!(
            fwd.contains("let ode_m_i = i - 0.5 * dt * i / tau_s;"),
            "{fwd}"
        );
        assert!(fwd.contains("v = v + dt * "), "{fwd}");
        assert!(fwd.contains("ode_m_v * (ode_m_v - c)"), "{fwd}");
    }

    #[test]
    fn the_history_holds_what_the_jacobian_reads() {
        let s = qif();
        let e = Explicit::of(&s.vars, &s.f).unwrap();
        // J reads v; the midpoint of v reads v and i.
        assert_eq!(e.history(&s), vec![0, 1]);
        let rev = e.reverse(&s, &|v| format!("dl_d{v}"));
        assert!(rev.contains("let ode_m_v = ode_x_v + 0.5 * dt * "), "{rev}");
        assert!(rev.contains("let ode_nu_v = "), "{rev}");
        assert!(rev.starts_with("let ode_m_v"), "{rev}");
        assert!(
            e.method(&s, "the input added at the step's start")
                .starts_with("nonlinear in (v): explicit midpoint")
        );
    }

    /// The printed reverse step is the transpose of the step's Jacobian: checked numerically
    /// against central differences of the forward step for one state.
    #[test]
    fn the_reverse_step_is_the_transposed_jacobian() {
        use super::super::print::value;
        let s = qif();
        let e = Explicit::of(&s.vars, &s.f).unwrap();
        let consts = |name: &str| match name {
            "c" => Some(0.5),
            "tau" => Some(20.0),
            "tau_s" => Some(5.0),
            "dt" => Some(0.7),
            _ => None,
        };
        let step = |x: [f64; 2]| -> [f64; 2] {
            let env = |name: &str| match name {
                "v" => Some(x[0]),
                "i" => Some(x[1]),
                other => consts(other),
            };
            let f = |k: usize, at: &dyn Fn(&str) -> Option<f64>| value(&s.f[k], at).unwrap();
            let m = [x[0] + 0.35 * f(0, &env), x[1] + 0.35 * f(1, &env)];
            let env_m = |name: &str| match name {
                "v" => Some(m[0]),
                "i" => Some(m[1]),
                other => consts(other),
            };
            [x[0] + 0.7 * f(0, &env_m), x[1] + 0.7 * f(1, &env_m)]
        };
        let x = [0.8, 0.3];
        let mu_after = [1.3, -0.4];
        // mu_k = sum_j dPhi_j/dx_k mu'_j by central differences.
        let mut want = [0.0; 2];
        for (k, w) in want.iter_mut().enumerate() {
            let (mut hi, mut lo) = (x, x);
            hi[k] += 1e-6;
            lo[k] -= 1e-6;
            let (a, b) = (step(hi), step(lo));
            *w = (0..2).map(|j| (a[j] - b[j]) / 2e-6 * mu_after[j]).sum();
        }
        // Evaluate the printed reverse step line by line.
        let rev = e.reverse(&s, &|v| format!("dl_d{v}"));
        let mut env: Vec<(String, f64)> = vec![
            ("ode_x_v".into(), x[0]),
            ("ode_x_i".into(), x[1]),
            ("dl_dv".into(), mu_after[0]),
            ("dl_di".into(), mu_after[1]),
        ];
        for line in rev.lines() {
            let line = line.trim_start_matches("let ").trim_end_matches(';');
            let (lhs, rhs) = line.split_once(" = ").unwrap();
            let ast = crate::expr::parse_expr(rhs).unwrap();
            let term = super::super::from_ast::term(&ast).unwrap();
            let lookup = |name: &str| {
                env.iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| *v)
                    .or_else(|| consts(name))
            };
            let v = value(&term, &lookup).unwrap();
            env.push((lhs.to_string(), v));
        }
        let got = |name: &str| env.iter().rev().find(|(n, _)| n == name).unwrap().1;
        assert!(
            (got("dl_dv") - want[0]).abs() < 1e-7,
            "{} {}",
            got("dl_dv"),
            want[0]
        );
        assert!(
            (got("dl_di") - want[1]).abs() < 1e-7,
            "{} {}",
            got("dl_di"),
            want[1]
        );
    }
}
