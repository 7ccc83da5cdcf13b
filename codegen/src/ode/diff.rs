//! Symbolic derivatives of [`Sym`] terms.
//!
//! Functions that are not differentiable where they matter (`floor`, `ceil`, `round`, whose
//! derivative is zero almost everywhere and undefined at the jumps, and the piecewise `min`,
//! `max`, `clamp`) are refused when the variable occurs in their arguments; a term that does not
//! mention the variable has derivative zero whatever it contains.

use super::sym::Sym;
use crate::ir::expr::Func;

/// A function the derivative cannot pass through.
#[derive(Clone, Debug, PartialEq)]
pub struct NotDifferentiable {
    /// The function.
    pub func: Func,
}

/// The derivative of `e` with respect to the name `x`.
pub fn diff(e: &Sym, x: &str) -> Result<Sym, NotDifferentiable> {
    if !e.mentions(&|n| n == x) {
        return Ok(Sym::zero());
    }
    Ok(match e {
        Sym::Num(_) => Sym::zero(),
        Sym::Name(n) => Sym::num(if n == x { 1.0 } else { 0.0 }),
        Sym::Add(ts) => Sym::sum(ts.iter().map(|t| diff(t, x)).collect::<Result<_, _>>()?),
        Sym::Mul(fs) => {
            let mut terms = Vec::new();
            for (i, f) in fs.iter().enumerate() {
                let d = diff(f, x)?;
                if d.is_zero() {
                    continue;
                }
                let mut factors: Vec<Sym> = fs.clone();
                factors[i] = d;
                terms.push(Sym::product(factors));
            }
            Sym::sum(terms)
        }
        Sym::Pow(b, k) => Sym::product(vec![
            Sym::num(f64::from(*k)),
            Sym::pow((**b).clone(), k - 1),
            diff(b, x)?,
        ]),
        Sym::Call(f, args) => call(*f, args, x)?,
    })
}

fn call(f: Func, args: &[Sym], x: &str) -> Result<Sym, NotDifferentiable> {
    let u = &args[0];
    let du = diff(u, x)?;
    let here = Sym::Call(f, args.to_vec());
    Ok(match f {
        Func::Exp => Sym::times(here, du),
        Func::Ln => Sym::over(du, u.clone()),
        Func::Log10 => Sym::over(du, Sym::times(u.clone(), Sym::num(std::f64::consts::LN_10))),
        Func::Sqrt => Sym::over(du, Sym::times(Sym::num(2.0), here)),
        Func::Abs => Sym::product(vec![u.clone(), Sym::pow(here, -1), du]),
        Func::Sin => Sym::times(Sym::call(Func::Cos, vec![u.clone()]), du),
        Func::Cos => Sym::negate(Sym::times(Sym::call(Func::Sin, vec![u.clone()]), du)),
        Func::Tanh => Sym::times(Sym::minus(Sym::num(1.0), Sym::pow(here, 2)), du),
        Func::Powf => {
            // d(u^w) = w u^(w-1) du + ln(u) u^w dw.
            let w = &args[1];
            let dw = diff(w, x)?;
            let first = Sym::product(vec![
                w.clone(),
                Sym::call(
                    Func::Powf,
                    vec![u.clone(), Sym::minus(w.clone(), Sym::num(1.0))],
                ),
                du,
            ]);
            let second = Sym::product(vec![Sym::call(Func::Ln, vec![u.clone()]), here, dw]);
            Sym::plus(first, second)
        }
        Func::Floor | Func::Ceil | Func::Round | Func::Min | Func::Max | Func::Clamp => {
            return Err(NotDifferentiable { func: f });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Sym {
        Sym::name(s)
    }

    #[test]
    fn linear_terms_give_their_coefficients() {
        // (i - v) / tau
        let f = Sym::over(Sym::minus(n("i"), n("v")), n("tau"));
        assert_eq!(diff(&f, "v").unwrap(), Sym::negate(Sym::pow(n("tau"), -1)));
        assert_eq!(diff(&f, "i").unwrap(), Sym::pow(n("tau"), -1));
        assert_eq!(diff(&f, "a").unwrap(), Sym::zero());
    }

    #[test]
    fn product_chain_and_power_rules() {
        let f = Sym::times(n("v"), n("v"));
        assert_eq!(diff(&f, "v").unwrap(), Sym::times(Sym::num(2.0), n("v")));
        let g = Sym::call(Func::Exp, vec![Sym::times(Sym::num(3.0), n("v"))]);
        let dg = diff(&g, "v").unwrap();
        assert_eq!(dg, Sym::times(Sym::num(3.0), g));
        let h = Sym::call(Func::Powf, vec![n("v"), Sym::num(3.0)]);
        let dh = diff(&h, "v").unwrap();
        assert_eq!(
            dh,
            Sym::times(
                Sym::num(3.0),
                Sym::call(Func::Powf, vec![n("v"), Sym::num(2.0)])
            )
        );
    }

    #[test]
    fn refuses_steps_on_the_variable_only() {
        let f = Sym::call(Func::Floor, vec![n("v")]);
        assert_eq!(diff(&f, "v").unwrap_err().func, Func::Floor);
        assert_eq!(diff(&f, "i").unwrap(), Sym::zero());
    }

    /// Every derivative agrees with a central difference at a point.
    #[test]
    fn matches_finite_differences() {
        use super::super::print::value;
        let v = n("v");
        let cases = [
            Sym::call(Func::Tanh, vec![Sym::times(Sym::num(0.7), v.clone())]),
            Sym::call(Func::Sqrt, vec![Sym::plus(v.clone(), Sym::num(2.0))]),
            Sym::call(Func::Ln, vec![Sym::times(v.clone(), v.clone())]),
            Sym::call(Func::Log10, vec![v.clone()]),
            Sym::call(Func::Abs, vec![Sym::minus(v.clone(), Sym::num(3.0))]),
            Sym::call(Func::Sin, vec![v.clone()]),
            Sym::call(Func::Cos, vec![Sym::pow(v.clone(), 2)]),
            Sym::call(Func::Powf, vec![v.clone(), v.clone()]),
            Sym::over(Sym::num(1.0), Sym::plus(v.clone(), Sym::pow(v.clone(), 3))),
        ];
        for e in cases {
            let d = diff(&e, "v").unwrap();
            let at = |x: f64| value(&e, &|_| Some(x)).unwrap();
            let x0 = 1.3;
            let h = 1e-6;
            let fd = (at(x0 + h) - at(x0 - h)) / (2.0 * h);
            let exact = value(&d, &|_| Some(x0)).unwrap();
            assert!(
                (fd - exact).abs() < 1e-6 * exact.abs().max(1.0),
                "{e:?}: {fd} vs {exact}"
            );
        }
    }
}
