//! A small computer algebra system over scalar expressions: the terms the ODE lowering
//! differentiates, substitutes and prints back as code strings.
//!
//! Terms are kept in a simplified form by their constructors: sums and products are flat, numbers
//! are folded, `0` and `1` disappear, like terms are collected (`2 v - v` is `v`) and equal bases of
//! a product add their integer powers (`v * v / v` is `v`). Nothing is reordered beyond that, so a
//! printed term reads like what the user wrote. Equality is structural.

use crate::ir::expr::Func;

/// A scalar term.
#[derive(Clone, Debug, PartialEq)]
pub enum Sym {
    /// A number.
    Num(f64),
    /// A name: a param, derived param, state variable, tape value, `dt`, ...
    Name(String),
    /// A sum of at least two terms; a number, if any, comes last.
    Add(Vec<Sym>),
    /// A product of at least two factors; a number, if any, comes first.
    Mul(Vec<Sym>),
    /// An integer power other than 0 and 1.
    Pow(Box<Sym>, i32),
    /// A maths function of its arguments.
    Call(Func, Vec<Sym>),
}

impl Sym {
    /// The number `x`.
    pub fn num(x: f64) -> Sym {
        Sym::Num(x)
    }

    /// The name `n`.
    pub fn name(n: &str) -> Sym {
        Sym::Name(n.to_string())
    }

    /// Zero.
    pub fn zero() -> Sym {
        Sym::Num(0.0)
    }

    /// True for the number 0.
    pub fn is_zero(&self) -> bool {
        matches!(self, Sym::Num(x) if *x == 0.0)
    }

    /// True for the number 1.
    pub fn is_one(&self) -> bool {
        matches!(self, Sym::Num(x) if *x == 1.0)
    }

    /// The value, when the term is a number.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Sym::Num(x) => Some(*x),
            _ => None,
        }
    }

    /// `a + b`.
    pub fn plus(a: Sym, b: Sym) -> Sym {
        Sym::sum(vec![a, b])
    }

    /// `a - b`.
    pub fn minus(a: Sym, b: Sym) -> Sym {
        Sym::sum(vec![a, Sym::negate(b)])
    }

    /// `-a`.
    pub fn negate(a: Sym) -> Sym {
        Sym::times(Sym::Num(-1.0), a)
    }

    /// `a * b`.
    pub fn times(a: Sym, b: Sym) -> Sym {
        Sym::product(vec![a, b])
    }

    /// `a / b`.
    pub fn over(a: Sym, b: Sym) -> Sym {
        Sym::product(vec![a, Sym::pow(b, -1)])
    }

    /// The sum of `terms`, simplified.
    pub fn sum(terms: Vec<Sym>) -> Sym {
        let mut constant = 0.0;
        // (coefficient, rest) in order of first appearance; `rest` is never a number.
        let mut collected: Vec<(f64, Sym)> = Vec::new();
        let push = |coef: f64, rest: Sym, collected: &mut Vec<(f64, Sym)>| match collected
            .iter_mut()
            .find(|(_, r)| *r == rest)
        {
            Some((c, _)) => *c += coef,
            None => collected.push((coef, rest)),
        };
        let mut stack: Vec<Sym> = terms.into_iter().rev().collect();
        while let Some(t) = stack.pop() {
            match t {
                Sym::Num(x) => constant += x,
                Sym::Add(inner) => stack.extend(inner.into_iter().rev()),
                other => match other.split_coefficient() {
                    // A number times a sum distributes: `v - (a + b)` is `v - a - b`.
                    (coef, Sym::Add(inner)) => stack.extend(
                        inner
                            .into_iter()
                            .rev()
                            .map(|t| Sym::times(Sym::Num(coef), t)),
                    ),
                    (coef, rest) => push(coef, rest, &mut collected),
                },
            }
        }
        let mut out: Vec<Sym> = collected
            .into_iter()
            .filter(|(c, _)| *c != 0.0)
            .map(|(c, r)| Sym::times(Sym::Num(c), r))
            .collect();
        if constant != 0.0 {
            out.push(Sym::Num(constant));
        }
        match out.len() {
            0 => Sym::zero(),
            1 => out.pop().unwrap_or_else(Sym::zero),
            _ => Sym::Add(out),
        }
    }

    /// The product of `factors`, simplified.
    pub fn product(factors: Vec<Sym>) -> Sym {
        let mut coef = 1.0;
        // (base, power) in order of first appearance.
        let mut bases: Vec<(Sym, i32)> = Vec::new();
        let mut stack: Vec<Sym> = factors.into_iter().rev().collect();
        while let Some(f) = stack.pop() {
            match f {
                Sym::Num(x) => coef *= x,
                Sym::Mul(inner) => stack.extend(inner.into_iter().rev()),
                other => {
                    let (base, k) = match other {
                        Sym::Pow(b, k) => (*b, k),
                        b => (b, 1),
                    };
                    match bases.iter_mut().find(|(b, _)| *b == base) {
                        Some((_, p)) => *p += k,
                        None => bases.push((base, k)),
                    }
                }
            }
        }
        if coef == 0.0 {
            return Sym::zero();
        }
        let mut out: Vec<Sym> = bases
            .into_iter()
            .filter(|(_, k)| *k != 0)
            .map(|(b, k)| Sym::pow(b, k))
            .collect();
        if out.is_empty() {
            return Sym::Num(coef);
        }
        if coef != 1.0 {
            // A number times a lone sum distributes: `-(a + b)` is `-a - b`.
            if let [Sym::Add(terms)] = out.as_slice() {
                let scaled = terms.iter().map(|t| Sym::times(Sym::Num(coef), t.clone()));
                return Sym::sum(scaled.collect());
            }
            out.insert(0, Sym::Num(coef));
        }
        if out.len() == 1 {
            return out.pop().unwrap_or_else(Sym::zero);
        }
        Sym::Mul(out)
    }

    /// `base ^ k` for an integer `k`.
    pub fn pow(base: Sym, k: i32) -> Sym {
        match (base, k) {
            (_, 0) => Sym::Num(1.0),
            (b, 1) => b,
            (Sym::Num(x), k) => Sym::Num(x.powi(k)),
            (Sym::Pow(b, j), k) => Sym::pow(*b, j * k),
            // A power of a product is the product of the powers, so bases can cancel.
            (Sym::Mul(fs), k) => Sym::product(fs.into_iter().map(|f| Sym::pow(f, k)).collect()),
            (b, k) => Sym::Pow(Box::new(b), k),
        }
    }

    /// A function call, folded when every argument is a number.
    pub fn call(f: Func, args: Vec<Sym>) -> Sym {
        if let Some(values) = args.iter().map(Sym::as_num).collect::<Option<Vec<f64>>>() {
            let v = f.apply(&values);
            if v.is_finite() {
                return Sym::Num(v);
            }
        }
        Sym::Call(f, args)
    }

    /// A term as `coefficient * rest`, `rest` not a number.
    fn split_coefficient(self) -> (f64, Sym) {
        match self {
            Sym::Mul(mut fs) => match fs.first() {
                Some(Sym::Num(c)) => {
                    let c = *c;
                    fs.remove(0);
                    let rest = if fs.len() == 1 {
                        fs.pop().unwrap_or_else(Sym::zero)
                    } else {
                        Sym::Mul(fs)
                    };
                    (c, rest)
                }
                _ => (1.0, Sym::Mul(fs)),
            },
            other => (1.0, other),
        }
    }

    /// The term with products multiplied out over sums (`(a + 1) / t` is `a / t + 1 / t`), so
    /// that like terms meet and cancel; products that would grow past 64 terms stay as they are.
    pub fn expand(&self) -> Sym {
        match self {
            Sym::Num(_) | Sym::Name(_) | Sym::Pow(..) => self.clone(),
            Sym::Add(ts) => Sym::sum(ts.iter().map(Sym::expand).collect()),
            Sym::Call(f, args) => Sym::call(*f, args.iter().map(Sym::expand).collect()),
            Sym::Mul(fs) => {
                let mut terms: Vec<Sym> = vec![Sym::Num(1.0)];
                for f in fs.iter().map(Sym::expand) {
                    let parts = match f {
                        Sym::Add(inner) => inner,
                        other => vec![other],
                    };
                    if terms.len() * parts.len() > 64 {
                        return self.clone();
                    }
                    terms = terms
                        .iter()
                        .flat_map(|t| parts.iter().map(move |p| Sym::times(t.clone(), p.clone())))
                        .collect();
                }
                Sym::sum(terms)
            }
        }
    }

    /// True when the term mentions any name for which `is` is true.
    pub fn mentions(&self, is: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Sym::Num(_) => false,
            Sym::Name(n) => is(n),
            Sym::Add(ts) | Sym::Mul(ts) | Sym::Call(_, ts) => ts.iter().any(|t| t.mentions(is)),
            Sym::Pow(b, _) => b.mentions(is),
        }
    }

    /// The names the term mentions, each once, in order of first appearance.
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names(&self, out: &mut Vec<String>) {
        match self {
            Sym::Num(_) => {}
            Sym::Name(n) => {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            Sym::Add(ts) | Sym::Mul(ts) | Sym::Call(_, ts) => {
                ts.iter().for_each(|t| t.collect_names(out))
            }
            Sym::Pow(b, _) => b.collect_names(out),
        }
    }

    /// The term with every name that `map` knows replaced, simplified again.
    pub fn subst(&self, map: &dyn Fn(&str) -> Option<Sym>) -> Sym {
        match self {
            Sym::Num(x) => Sym::Num(*x),
            Sym::Name(n) => map(n).unwrap_or_else(|| self.clone()),
            Sym::Add(ts) => Sym::sum(ts.iter().map(|t| t.subst(map)).collect()),
            Sym::Mul(ts) => Sym::product(ts.iter().map(|t| t.subst(map)).collect()),
            Sym::Pow(b, k) => Sym::pow(b.subst(map), *k),
            Sym::Call(f, args) => Sym::call(*f, args.iter().map(|t| t.subst(map)).collect()),
        }
    }

    /// Replace the names in `from` by the names in `to` (same length).
    pub fn rename(&self, from: &[String], to: &[String]) -> Sym {
        self.subst(&|n| {
            from.iter()
                .position(|f| f == n)
                .map(|i| Sym::Name(to[i].clone()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Sym {
        Sym::name(s)
    }

    #[test]
    fn folds_numbers_and_identities() {
        assert_eq!(Sym::plus(Sym::num(2.0), Sym::num(3.0)), Sym::num(5.0));
        assert_eq!(Sym::times(n("v"), Sym::num(1.0)), n("v"));
        assert_eq!(Sym::times(n("v"), Sym::zero()), Sym::zero());
        assert_eq!(Sym::plus(n("v"), Sym::zero()), n("v"));
        assert_eq!(Sym::pow(n("v"), 1), n("v"));
        assert_eq!(Sym::call(Func::Exp, vec![Sym::zero()]), Sym::num(1.0));
    }

    #[test]
    fn collects_like_terms_and_cancels_powers() {
        let two_v = Sym::times(Sym::num(2.0), n("v"));
        assert_eq!(Sym::minus(two_v, n("v")), n("v"));
        assert_eq!(Sym::minus(n("v"), n("v")), Sym::zero());
        let vvv = Sym::over(Sym::times(n("v"), n("v")), n("v"));
        assert_eq!(vvv, n("v"));
        let ratio = Sym::over(Sym::times(n("a"), n("tau")), n("tau"));
        assert_eq!(ratio, n("a"));
        let inv = Sym::over(Sym::num(1.0), Sym::over(Sym::num(1.0), n("tau")));
        assert_eq!(inv, n("tau"));
    }

    #[test]
    fn expansion_cancels_like_terms() {
        let tau = || Sym::pow(n("tau"), -1);
        let e = Sym::plus(
            Sym::negate(Sym::times(n("a"), tau())),
            Sym::times(Sym::plus(n("a"), Sym::num(1.0)), tau()),
        );
        assert_eq!(e.expand(), tau());
    }

    #[test]
    fn substitution_simplifies() {
        let e = Sym::sum(vec![n("v"), Sym::negate(n("i")), Sym::num(1.0)]);
        let at_zero = e.subst(&|x| (x == "v" || x == "i").then(Sym::zero));
        assert_eq!(at_zero, Sym::num(1.0));
        assert_eq!(e.names(), ["v", "i"]);
    }
}
