//! Print [`Sym`] terms as rgenn code strings (Rust syntax), and evaluate them numerically.
//!
//! The printed text is parsed and type-checked again like any hand-written code string, so the
//! printer only has to be right, not clever: parentheses wherever a sum meets a product, powers
//! as products, negative powers as divisions. Numbers print in Rust's shortest round-trip form,
//! so a printed term evaluates to exactly the value of the term.

use super::sym::Sym;
use crate::ir::expr::Func;

/// The term as a code string.
pub fn code(e: &Sym) -> String {
    let mut out = String::new();
    write(e, 0, &mut out);
    out
}

/// A number as a float literal of rgenn code (always with a `.` or an exponent).
pub fn number(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E']) || !x.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

const SUM: u8 = 1;
const PRODUCT: u8 = 2;

fn write(e: &Sym, context: u8, out: &mut String) {
    match e {
        Sym::Num(x) => {
            let negative_in_product = *x < 0.0 && context >= SUM;
            if negative_in_product {
                out.push('(');
            }
            out.push_str(&number(*x));
            if negative_in_product {
                out.push(')');
            }
        }
        Sym::Name(n) => out.push_str(n),
        Sym::Add(terms) => {
            let paren = context >= SUM;
            if paren {
                out.push('(');
            }
            for (i, t) in terms.iter().enumerate() {
                let (negative, magnitude) = negated(t);
                match (i, negative) {
                    (0, true) => out.push('-'),
                    (0, false) => {}
                    (_, true) => out.push_str(" - "),
                    (_, false) => out.push_str(" + "),
                }
                write(&magnitude, SUM, out);
            }
            if paren {
                out.push(')');
            }
        }
        Sym::Mul(_) | Sym::Pow(..) => {
            let (negative, magnitude) = negated(e);
            let paren = negative && context >= SUM;
            if paren {
                out.push('(');
            }
            if negative {
                out.push('-');
            }
            write_product(&magnitude, out);
            if paren {
                out.push(')');
            }
        }
        Sym::Call(f, args) => {
            out.push_str(func_name(*f));
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(a, 0, out);
            }
            out.push(')');
        }
    }
}

/// A term with a negative leading coefficient as `(true, -term)`.
fn negated(t: &Sym) -> (bool, Sym) {
    match t {
        Sym::Num(x) if *x < 0.0 => (true, Sym::Num(-x)),
        Sym::Mul(fs) if matches!(fs.first(), Some(Sym::Num(c)) if *c < 0.0) => {
            (true, Sym::negate(t.clone()))
        }
        _ => (false, t.clone()),
    }
}

/// Print a product (or power) with a non-negative coefficient: numerator, then `/ denominator`.
fn write_product(e: &Sym, out: &mut String) {
    let factors: Vec<Sym> = match e {
        Sym::Mul(fs) => fs.clone(),
        other => vec![other.clone()],
    };
    let mut numerator: Vec<Sym> = Vec::new();
    let mut denominator: Vec<Sym> = Vec::new();
    for f in factors {
        match f {
            Sym::Pow(b, k) if k < 0 => denominator.push(Sym::pow(*b, -k)),
            other => numerator.push(other),
        }
    }
    if numerator.is_empty() {
        out.push_str("1.0");
    }
    for (i, f) in numerator.iter().enumerate() {
        if i > 0 {
            out.push_str(" * ");
        }
        write_factor(f, out);
    }
    if !denominator.is_empty() {
        out.push_str(" / ");
        let paren = denominator.len() > 1 || matches!(denominator[0], Sym::Pow(..));
        if paren {
            out.push('(');
        }
        for (i, f) in denominator.iter().enumerate() {
            if i > 0 {
                out.push_str(" * ");
            }
            write_factor(f, out);
        }
        if paren {
            out.push(')');
        }
    }
}

fn write_factor(f: &Sym, out: &mut String) {
    match f {
        Sym::Pow(b, k) if *k > 0 => {
            for i in 0..*k {
                if i > 0 {
                    out.push_str(" * ");
                }
                write(b, PRODUCT, out);
            }
        }
        other => write(other, PRODUCT, out),
    }
}

fn func_name(f: Func) -> &'static str {
    Func::ALL
        .iter()
        .find(|(_, g, _)| *g == f)
        .map_or("?", |(n, _, _)| n)
}

/// The value of a term, given the value of each name (`None`: a name without a value).
pub fn value(e: &Sym, names: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    Some(match e {
        Sym::Num(x) => *x,
        Sym::Name(n) => names(n)?,
        Sym::Add(ts) => ts.iter().map(|t| value(t, names)).sum::<Option<f64>>()?,
        Sym::Mul(ts) => ts
            .iter()
            .map(|t| value(t, names))
            .product::<Option<f64>>()?,
        Sym::Pow(b, k) => value(b, names)?.powi(*k),
        Sym::Call(f, args) => {
            let a: Vec<f64> = args
                .iter()
                .map(|t| value(t, names))
                .collect::<Option<_>>()?;
            f.apply(&a)
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
    fn prints_readable_code() {
        let f = Sym::over(Sym::minus(n("i"), n("v")), n("tau_mem"));
        assert_eq!(code(&f), "(i - v) / tau_mem");
        let g = Sym::minus(
            n("v"),
            Sym::plus(n("v_thresh"), Sym::times(n("beta"), n("a"))),
        );
        assert_eq!(code(&g), "v - v_thresh - beta * a");
        assert_eq!(code(&Sym::negate(Sym::over(n("a"), n("tau")))), "-a / tau");
        assert_eq!(code(&Sym::times(Sym::num(-2.0), n("v"))), "-2.0 * v");
        let vv = Sym::over(Sym::times(n("v"), n("v")), Sym::times(n("c"), n("d")));
        assert_eq!(code(&vv), "v * v / (c * d)");
        assert_eq!(code(&Sym::pow(n("v"), -2)), "1.0 / (v * v)");
        assert_eq!(number(1e-5), "1e-5");
        assert_eq!(number(3.0), "3.0");
    }

    #[test]
    fn printed_code_parses_to_the_same_value() {
        use crate::expr::parse_expr;
        let terms = [
            Sym::minus(n("a"), Sym::times(Sym::num(-0.5), n("b"))),
            Sym::over(Sym::plus(n("a"), n("b")), Sym::minus(n("a"), n("b"))),
            Sym::negate(Sym::pow(Sym::plus(n("a"), Sym::num(1.0)), -2)),
            Sym::call(Func::Exp, vec![Sym::negate(Sym::over(n("a"), n("b")))]),
        ];
        for t in terms {
            let text = code(&t);
            assert!(parse_expr(&text).is_ok(), "{text}");
            let want = value(&t, &|x| Some(if x == "a" { 1.7 } else { 0.3 })).unwrap();
            let back = super::super::from_ast::term(&parse_expr(&text).unwrap()).unwrap();
            let got = value(&back, &|x| Some(if x == "a" { 1.7 } else { 0.3 })).unwrap();
            assert!((want - got).abs() < 1e-12 * want.abs().max(1.0), "{text}");
        }
    }
}
