//! Linear ODE systems `dx/dt = A x + b`: the coefficients, their sparsity, and the exact
//! propagator `x(t + dt) = P x(t) + q` computed per population from its param values.
//!
//! `A` and `b` are terms in the model's params and derived params (linearity means no state
//! variable is left in them). `P = exp(A dt)` and `q = (integral of exp(A s) ds over [0, dt]) b`
//! are the top blocks of the exponential of the augmented matrix `[[A, b], [0, 0]] dt`.

use super::diff::{NotDifferentiable, diff};
use super::expm::expm;
use super::print::value;
use super::sym::Sym;

/// Why a right-hand side is not linear in the state.
#[derive(Clone, Debug, PartialEq)]
pub enum NotLinear {
    /// `d f_eq / d x_var` still depends on the state.
    Coefficient {
        /// The equation.
        eq: usize,
        /// The variable differentiated by.
        var: usize,
        /// The coefficient found.
        coef: Sym,
    },
    /// A function on the state has no derivative.
    Function {
        /// The equation.
        eq: usize,
        /// The function.
        err: NotDifferentiable,
    },
}

/// The coefficients of a linear system and which propagator entries can be nonzero.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// State variable names.
    pub vars: Vec<String>,
    /// `A[j][k] = d f_j / d x_k`.
    pub a: Vec<Vec<Sym>>,
    /// `b[j] = f_j(0)`.
    pub b: Vec<Sym>,
    /// `P[j][k]` can be nonzero: `x_k` reaches `x_j` through `A` (or `j == k`).
    pub p_used: Vec<Vec<bool>>,
    /// `q[j]` can be nonzero.
    pub q_used: Vec<bool>,
}

impl Linear {
    /// Split `f` into `A x + b`, or say why it is not linear.
    pub fn of(vars: &[String], f: &[Sym]) -> Result<Linear, NotLinear> {
        let n = vars.len();
        let is_state = |name: &str| vars.iter().any(|v| v == name);
        let mut a = vec![vec![Sym::zero(); n]; n];
        for (j, fj) in f.iter().enumerate() {
            for (k, xk) in vars.iter().enumerate() {
                let coef = diff(fj, xk).map_err(|err| NotLinear::Function { eq: j, err })?;
                if coef.mentions(&is_state) {
                    return Err(NotLinear::Coefficient {
                        eq: j,
                        var: k,
                        coef,
                    });
                }
                a[j][k] = coef;
            }
        }
        let b: Vec<Sym> = f
            .iter()
            .map(|fj| fj.subst(&|name| is_state(name).then(Sym::zero)))
            .collect();
        // Reachability: P[j][k] != 0 when a chain k -> ... -> j of nonzero A entries exists.
        let mut p_used: Vec<Vec<bool>> = (0..n)
            .map(|j| (0..n).map(|k| j == k || !a[j][k].is_zero()).collect())
            .collect();
        for m in 0..n {
            for j in 0..n {
                for k in 0..n {
                    if p_used[j][m] && p_used[m][k] {
                        p_used[j][k] = true;
                    }
                }
            }
        }
        let q_used = (0..n)
            .map(|j| (0..n).any(|k| p_used[j][k] && !b[k].is_zero()))
            .collect();
        Ok(Linear {
            vars: vars.to_vec(),
            a,
            b,
            p_used,
            q_used,
        })
    }

    /// True when variable `j` moves between events (its row of `P` is not the identity's).
    pub fn moves(&self, j: usize) -> bool {
        self.q_used[j]
            || (0..self.vars.len()).any(|k| k != j && self.p_used[j][k])
            || !self.a[j][j].is_zero()
    }

    /// Name of the derived param holding `P[j][k]`.
    pub fn p_name(&self, j: usize, k: usize) -> String {
        format!("ode_p_{}_{}", self.vars[j], self.vars[k])
    }

    /// Name of the derived param holding `q[j]`.
    pub fn q_name(&self, j: usize) -> String {
        format!("ode_q_{}", self.vars[j])
    }

    /// The derived params the propagator fills, in the order of [`Linear::values`].
    pub fn names(&self) -> Vec<String> {
        let n = self.vars.len();
        let mut out = Vec::new();
        for j in (0..n).filter(|&j| self.moves(j)) {
            for k in (0..n).filter(|&k| self.p_used[j][k]) {
                out.push(self.p_name(j, k));
            }
            if self.q_used[j] {
                out.push(self.q_name(j));
            }
        }
        out
    }

    /// The propagator entries over `dt` ms, given the value of every name `A` and `b` use
    /// (`None` when one has no value, which validation rules out).
    pub fn values(&self, names: &dyn Fn(&str) -> Option<f64>, dt: f64) -> Option<Vec<f64>> {
        let n = self.vars.len();
        let mut m = vec![vec![0.0; n + 1]; n + 1];
        for (j, row) in m.iter_mut().take(n).enumerate() {
            for (k, x) in row.iter_mut().take(n).enumerate() {
                *x = value(&self.a[j][k], names)? * dt;
            }
            row[n] = value(&self.b[j], names)? * dt;
        }
        let e = expm(&m);
        let mut out = Vec::new();
        for j in (0..n).filter(|&j| self.moves(j)) {
            for k in (0..n).filter(|&k| self.p_used[j][k]) {
                out.push(e[j][k]);
            }
            if self.q_used[j] {
                out.push(e[j][n]);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Sym {
        Sym::name(s)
    }

    fn lif() -> (Vec<String>, Vec<Sym>) {
        let vars = vec!["v".to_string(), "i".to_string()];
        let f = vec![
            Sym::over(Sym::minus(n("i"), n("v")), n("tau_mem")),
            Sym::negate(Sym::over(n("i"), n("tau_syn"))),
        ];
        (vars, f)
    }

    #[test]
    fn lif_is_linear_with_a_triangular_propagator() {
        let (vars, f) = lif();
        let l = Linear::of(&vars, &f).unwrap();
        assert_eq!(l.p_used, vec![vec![true, true], vec![false, true]]);
        assert_eq!(l.q_used, vec![false, false]);
        assert_eq!(l.names(), ["ode_p_v_v", "ode_p_v_i", "ode_p_i_i"]);
        let vals = l
            .values(&|x| Some(if x == "tau_mem" { 20.0 } else { 5.0 }), 1.0)
            .unwrap();
        assert!((vals[0] - (-1.0f64 / 20.0).exp()).abs() < 1e-15);
        assert!((vals[2] - (-1.0f64 / 5.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn constant_drive_gives_q() {
        let vars = vec!["v".to_string()];
        let f = vec![Sym::over(Sym::minus(n("v_rest"), n("v")), n("tau"))];
        let l = Linear::of(&vars, &f).unwrap();
        assert_eq!(l.names(), ["ode_p_v_v", "ode_q_v"]);
        let vals = l
            .values(&|x| Some(if x == "tau" { 10.0 } else { -65.0 }), 0.5)
            .unwrap();
        let alpha = (-0.05f64).exp();
        assert!((vals[0] - alpha).abs() < 1e-15);
        assert!((vals[1] - (-65.0) * (1.0 - alpha)).abs() < 1e-12);
    }

    #[test]
    fn nonlinear_terms_are_found() {
        let vars = vec!["v".to_string()];
        let f = vec![Sym::times(n("v"), n("v"))];
        match Linear::of(&vars, &f) {
            Err(NotLinear::Coefficient {
                eq: 0,
                var: 0,
                coef,
            }) => {
                assert_eq!(coef, Sym::times(Sym::num(2.0), n("v")))
            }
            other => panic!("{other:?}"),
        }
    }
}
