//! Print typed model code (`crate::ir::expr`) as Rust tokens, for the `rust` backend.
//!
//! The output computes exactly what `crate::backend::c_print` prints for C++: the same operations
//! in the same order, literals with the same value (shortest round-trip digits, an `f32` suffix in
//! f32 code), maths through the same libm functions (`Scalar::exp` is `exp`/`expf`). Parentheses
//! are explicit wherever Rust's grammar differs from C's (comparisons do not chain in Rust).
//! Names are printed as declared, except that a name which is a Rust keyword becomes a raw
//! identifier and a name that would shadow a generated item gets a `_` suffix; locals get an `l_`
//! prefix and their index, as in C.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::Precision;
use crate::ir::expr::{BinaryOp, Block, Expr, Func, Stmt, Sym, UnaryOp};

/// Names that generated items (constants, functions) take in the value namespace of the module,
/// which a model's own names must not shadow.
#[derive(Clone, Debug, Default)]
pub struct Reserved(pub BTreeSet<String>);

impl Reserved {
    /// The identifier for a model's name `name`.
    pub fn ident(&self, name: &str) -> Ident {
        let mut text = name.to_string();
        while self.0.contains(&text) || matches!(text.as_str(), "self" | "super" | "crate" | "Self")
        {
            text.push('_');
        }
        if syn::parse_str::<Ident>(&text).is_ok() {
            Ident::new(&text, Span::call_site())
        } else {
            Ident::new_raw(&text, Span::call_site())
        }
    }
}

pub use crate::backend::c_print::Names;

/// Prints expressions and statements in one precision.
pub struct Printer<'a> {
    /// Float precision (literal suffixes).
    pub precision: Precision,
    /// Names in scope.
    pub names: Names<'a>,
    /// Local names of the block being printed.
    pub locals: &'a [String],
    /// Names generated items take.
    pub reserved: &'a Reserved,
}

/// A float literal as tokens: shortest round-trip digits, `f32` suffix in f32 code, the sign as a
/// separate `-`, infinities and NaN as `Scalar` constants.
pub fn literal(v: f64, precision: Precision) -> TokenStream {
    if v.is_nan() {
        return quote!(Scalar::NAN);
    }
    if v.is_infinite() {
        return if v > 0.0 {
            quote!(Scalar::INFINITY)
        } else {
            quote!(-Scalar::INFINITY)
        };
    }
    let text = crate::backend::c_print::digits(v.abs(), precision);
    let suffix = match precision {
        Precision::F32 => "f32",
        Precision::F64 => "",
    };
    let lit = syn::LitFloat::new(&format!("{text}{suffix}"), Span::call_site());
    if v.is_sign_negative() {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

/// The `Scalar` function a maths function calls (clamp is printed as `min(max(..))`, as in C).
fn func_name(f: Func) -> &'static str {
    match f {
        Func::Exp => "exp",
        Func::Ln => "ln",
        Func::Log10 => "log10",
        Func::Sqrt => "sqrt",
        Func::Abs => "abs",
        Func::Min => "min",
        Func::Max => "max",
        Func::Powf => "powf",
        Func::Sin => "sin",
        Func::Cos => "cos",
        Func::Tanh => "tanh",
        Func::Floor => "floor",
        Func::Ceil => "ceil",
        Func::Round => "round",
        Func::Clamp => "clamp",
    }
}

/// Rust binding strength: higher binds tighter. Comparisons share one level and do not chain.
fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            3
        }
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div => 5,
    }
}

/// Unary operators bind tighter than every binary one.
const UNARY: u8 = 6;

fn is_comparison(op: BinaryOp) -> bool {
    precedence(op) == 3
}

fn operator(op: BinaryOp) -> TokenStream {
    match op {
        BinaryOp::Add => quote!(+),
        BinaryOp::Sub => quote!(-),
        BinaryOp::Mul => quote!(*),
        BinaryOp::Div => quote!(/),
        BinaryOp::Lt => quote!(<),
        BinaryOp::Le => quote!(<=),
        BinaryOp::Gt => quote!(>),
        BinaryOp::Ge => quote!(>=),
        BinaryOp::Eq => quote!(==),
        BinaryOp::Ne => quote!(!=),
        BinaryOp::And => quote!(&&),
        BinaryOp::Or => quote!(||),
    }
}

impl Printer<'_> {
    /// The Rust name of a symbol.
    pub fn sym(&self, s: Sym) -> TokenStream {
        let r = self.reserved;
        let ident = match s {
            Sym::Param(i) => r.ident(&self.names.params[i as usize]),
            Sym::Derived(i) => r.ident(&self.names.derived[i as usize]),
            Sym::Var(i) => r.ident(&self.names.vars[i as usize]),
            Sym::Local(i) => format_ident!("l_{}_{}", self.locals[i as usize], i),
            Sym::Input(i) => r.ident(&self.names.inputs[i as usize]),
            Sym::Dt => format_ident!("dt"),
            Sym::T => format_ident!("t"),
        };
        quote!(#ident)
    }

    /// An expression.
    pub fn expr(&self, e: &Expr) -> TokenStream {
        self.expr_prec(e, 0)
    }

    fn expr_prec(&self, e: &Expr, parent: u8) -> TokenStream {
        let paren = |t: TokenStream, needed: bool| if needed { quote!((#t)) } else { t };
        match e {
            Expr::Number(v) => paren(
                literal(*v, self.precision),
                parent > 0 && v.is_sign_negative() && !v.is_nan(),
            ),
            Expr::Bool(b) => quote!(#b),
            Expr::Sym(s) => self.sym(*s),
            Expr::Unary(op, x) => {
                let sign = match op {
                    UnaryOp::Neg => quote!(-),
                    UnaryOp::Not => quote!(!),
                };
                let signed = matches!(**x, Expr::Unary(..))
                    || matches!(**x, Expr::Number(v) if v.is_sign_negative() || v.is_infinite());
                let inner = self.expr_prec(x, UNARY + 1);
                let inner = paren(inner, signed);
                quote!(#sign #inner)
            }
            Expr::Binary(op, a, b) => {
                let p = precedence(*op);
                let left_min = if is_comparison(*op) { p + 1 } else { p };
                let (a, b, o) = (
                    self.expr_prec(a, left_min),
                    self.expr_prec(b, p + 1),
                    operator(*op),
                );
                paren(quote!(#a #o #b), p < parent)
            }
            Expr::Call(Func::Clamp, args) => {
                let (x, lo, hi) = (
                    self.expr(&args[0]),
                    self.expr(&args[1]),
                    self.expr(&args[2]),
                );
                quote!(Scalar::min(Scalar::max(#x, #lo), #hi))
            }
            Expr::Call(f, args) => {
                let f = format_ident!("{}", func_name(*f));
                let args = args.iter().map(|a| self.expr(a));
                quote!(Scalar::#f(#(#args),*))
            }
            Expr::Select(c, a, b) => {
                let (c, a, b) = (self.expr(c), self.expr(a), self.expr(b));
                paren(quote!(if #c { #a } else { #b }), parent > 0)
            }
        }
    }

    /// A block as statements; locals assigned after their `let` are declared `mut`.
    pub fn block(&self, b: &Block) -> TokenStream {
        let mut assigned = BTreeSet::new();
        assigned_syms(&b.stmts, &mut assigned);
        self.stmts(&b.stmts, &assigned)
    }

    fn stmts(&self, stmts: &[Stmt], assigned: &BTreeSet<SymKey>) -> TokenStream {
        let mut out = TokenStream::new();
        for s in stmts {
            out.extend(match s {
                Stmt::Assign { target, op, value } => {
                    let t = self.sym(*target);
                    match op {
                        None => {
                            let v = self.expr(value);
                            quote!(#t = #v;)
                        }
                        Some(op @ (BinaryOp::And | BinaryOp::Or)) => {
                            let o = operator(*op);
                            let v = self.expr_prec(value, precedence(*op) + 1);
                            quote!(#t = #t #o #v;)
                        }
                        Some(op) => {
                            let v = self.expr(value);
                            let o = compound(*op);
                            quote!(#t #o #v;)
                        }
                    }
                }
                Stmt::Let { local, value } => {
                    let name = self.sym(Sym::Local(*local));
                    let v = self.expr(value);
                    if assigned.contains(&Sym::Local(*local)) {
                        quote!(let mut #name: Scalar = #v;)
                    } else {
                        quote!(let #name: Scalar = #v;)
                    }
                }
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let c = self.expr(cond);
                    let t = self.stmts(then, assigned);
                    if otherwise.is_empty() {
                        quote!(if #c { #t })
                    } else {
                        let o = self.stmts(otherwise, assigned);
                        quote!(if #c { #t } else { #o })
                    }
                }
            });
        }
        out
    }
}

fn compound(op: BinaryOp) -> TokenStream {
    match op {
        BinaryOp::Add => quote!(+=),
        BinaryOp::Sub => quote!(-=),
        BinaryOp::Mul => quote!(*=),
        BinaryOp::Div => quote!(/=),
        other => unreachable!(
            "validated: `{}=` is not an assignment operator",
            other.symbol()
        ),
    }
}

/// Symbols in sets of what code reads or assigns: [`Sym`] itself, which is ordered.
pub type SymKey = Sym;

/// Every symbol assigned in `stmts`.
pub fn assigned_syms(stmts: &[Stmt], out: &mut BTreeSet<SymKey>) {
    for s in stmts {
        match s {
            Stmt::Assign { target, .. } => {
                out.insert(*target);
            }
            Stmt::Let { .. } => {}
            Stmt::If {
                then, otherwise, ..
            } => {
                assigned_syms(then, out);
                assigned_syms(otherwise, out);
            }
        }
    }
}

/// Every symbol read in `e`.
pub fn read_syms_expr(e: &Expr, out: &mut BTreeSet<SymKey>) {
    match e {
        Expr::Number(_) | Expr::Bool(_) => {}
        Expr::Sym(s) => {
            out.insert(*s);
        }
        Expr::Unary(_, x) => read_syms_expr(x, out),
        Expr::Binary(_, a, b) => {
            read_syms_expr(a, out);
            read_syms_expr(b, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| read_syms_expr(a, out)),
        Expr::Select(c, a, b) => {
            read_syms_expr(c, out);
            read_syms_expr(a, out);
            read_syms_expr(b, out);
        }
    }
}

/// Every symbol read in `stmts` (compound assignments read their target).
pub fn read_syms(stmts: &[Stmt], out: &mut BTreeSet<SymKey>) {
    for s in stmts {
        match s {
            Stmt::Assign { target, op, value } => {
                if op.is_some() {
                    out.insert(*target);
                }
                read_syms_expr(value, out);
            }
            Stmt::Let { value, .. } => read_syms_expr(value, out),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                read_syms_expr(cond, out);
                read_syms(then, out);
                read_syms(otherwise, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Scope, Type, check_expr, parse_expr};

    fn print(code: &str, precision: Precision) -> String {
        let vars = vec!["v".to_string(), "i".to_string(), "DT".to_string()];
        let scope = Scope {
            vars: &vars,
            ..Default::default()
        };
        let want = if code.contains('<') || code.contains('>') || code.contains("==") {
            Type::Bool
        } else {
            Type::Scalar
        };
        let e = check_expr(&parse_expr(code).unwrap(), &scope, want).unwrap();
        let reserved = Reserved(["DT".to_string()].into());
        let p = Printer {
            precision,
            names: Names::of_vars(&vars),
            locals: &[],
            reserved: &reserved,
        };
        let expr: syn::Expr = syn::parse2(p.expr(&e)).expect("valid Rust");
        quote!(#expr).to_string()
    }

    #[test]
    fn literals_round_trip_and_carry_suffixes() {
        let s = |v, p| literal(v, p).to_string();
        assert_eq!(s(1.0, Precision::F32), "1.0f32");
        assert_eq!(s(0.1, Precision::F64), "0.1");
        assert_eq!(s(1e-11, Precision::F64), "1e-11");
        assert_eq!(s(-3.0, Precision::F64), "- 3.0");
        assert_eq!(s(f64::exp(-0.05), Precision::F32), "0.95122945f32");
        assert_eq!(s(f64::NEG_INFINITY, Precision::F64), "- Scalar :: INFINITY");
    }

    #[test]
    fn parentheses_follow_rust_grammar() {
        assert_eq!(print("v - (i - 1.0)", Precision::F64), "v - (i - 1.0)");
        assert_eq!(print("(v - i) - 1.0", Precision::F64), "v - i - 1.0");
        assert_eq!(print("-(-v)", Precision::F64), "- (- v)");
        assert_eq!(
            print("exp(-v) / 2", Precision::F32),
            "Scalar :: exp (- v) / 2.0f32"
        );
        assert_eq!(
            print("clamp(v, 0, 1)", Precision::F64),
            "Scalar :: min (Scalar :: max (v , 0.0) , 1.0)"
        );
        assert_eq!(
            print("(v < i) && !(i < v - 1.0)", Precision::F64),
            "v < i && ! (i < v - 1.0)"
        );
        assert_eq!(print("DT * 2.0", Precision::F64), "DT_ * 2.0");
    }
}
