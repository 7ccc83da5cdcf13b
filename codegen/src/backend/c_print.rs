//! Print typed model code (`crate::ir::expr`) as C++/CUDA source.
//!
//! Both C-family backends share this printer: the same code string prints to the same text, so a
//! `diff` between the CPU and CUDA sources shows only what really differs. Names are printed as
//! declared (validation guarantees they are neither keywords nor `rgenn*` names); locals get an
//! `l_` prefix and their index so that shadowing `let`s stay distinct.

use crate::ir::Precision;
use crate::ir::expr::{Block, Expr, Func, Stmt, Sym, UnaryOp};

/// The names a model's code refers to.
pub struct Names<'a> {
    /// Params.
    pub params: &'a [String],
    /// Derived params.
    pub derived: &'a [String],
    /// State variables.
    pub vars: &'a [String],
    /// Read-only inputs of adjoint code.
    pub inputs: &'a [String],
}

impl<'a> Names<'a> {
    /// Only state variables (code without params or inputs).
    pub fn of_vars(vars: &'a [String]) -> Names<'a> {
        Names {
            params: &[],
            derived: &[],
            vars,
            inputs: &[],
        }
    }
}

/// Prints expressions and statements in one precision.
pub struct Printer<'a> {
    /// Float precision (literal suffixes and function names).
    pub precision: Precision,
    /// Names in scope.
    pub names: Names<'a>,
    /// Local names of the block being printed.
    pub locals: &'a [String],
}

/// The shortest digits of `v` in `precision` that read back as the same value, always with a `.`
/// or an exponent (non-finite values as Rust writes them: `inf`, `-inf`, `NaN`). Both the C and the
/// Rust printers' literals start from these.
pub fn digits(v: f64, precision: Precision) -> String {
    let text = match precision {
        Precision::F32 => format!("{:?}", v as f32),
        Precision::F64 => format!("{v:?}"),
    };
    if text.contains(['.', 'e', 'E']) || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

/// A float literal: shortest round-trip digits, always with `.` or an exponent, `f` in f32 code.
pub fn literal(v: f64, precision: Precision) -> String {
    let text = digits(v, precision);
    match (text.as_str(), precision) {
        ("inf", _) => "INFINITY".to_string(),
        ("-inf", _) => "-INFINITY".to_string(),
        ("NaN", _) => "NAN".to_string(),
        (_, Precision::F32) => format!("{text}f"),
        (_, Precision::F64) => text,
    }
}

fn func_name(f: Func, precision: Precision) -> &'static str {
    let (single, double) = match f {
        Func::Exp => ("expf", "exp"),
        Func::Ln => ("logf", "log"),
        Func::Log10 => ("log10f", "log10"),
        Func::Sqrt => ("sqrtf", "sqrt"),
        Func::Abs => ("fabsf", "fabs"),
        Func::Min => ("fminf", "fmin"),
        Func::Max => ("fmaxf", "fmax"),
        Func::Powf => ("powf", "pow"),
        Func::Sin => ("sinf", "sin"),
        Func::Cos => ("cosf", "cos"),
        Func::Tanh => ("tanhf", "tanh"),
        Func::Floor => ("floorf", "floor"),
        Func::Ceil => ("ceilf", "ceil"),
        Func::Round => ("roundf", "round"),
        Func::Clamp => ("", ""),
    };
    match precision {
        Precision::F32 => single,
        Precision::F64 => double,
    }
}

impl Printer<'_> {
    /// The C name of a symbol.
    pub fn sym(&self, s: Sym) -> String {
        match s {
            Sym::Param(i) => self.names.params[i as usize].clone(),
            Sym::Derived(i) => self.names.derived[i as usize].clone(),
            Sym::Var(i) => self.names.vars[i as usize].clone(),
            Sym::Local(i) => format!("l_{}_{i}", self.locals[i as usize]),
            Sym::Input(i) => self.names.inputs[i as usize].clone(),
            Sym::Dt => "dt".to_string(),
            Sym::T => "t".to_string(),
        }
    }

    /// An expression.
    pub fn expr(&self, e: &Expr) -> String {
        self.expr_prec(e, 0)
    }

    fn expr_prec(&self, e: &Expr, parent: u8) -> String {
        match e {
            Expr::Number(v) => {
                let s = literal(*v, self.precision);
                if s.starts_with('-') && parent > 0 {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Bool(b) => b.to_string(),
            Expr::Sym(s) => self.sym(*s),
            Expr::Unary(op, x) => {
                let sign = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "!",
                };
                let inner = self.expr_prec(x, 7);
                if inner.starts_with(['-', '!']) {
                    format!("{sign}({inner})")
                } else {
                    format!("{sign}{inner}")
                }
            }
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                // Left-associative: the right operand needs parentheses at equal precedence.
                let text = format!(
                    "{} {} {}",
                    self.expr_prec(a, p),
                    op.symbol(),
                    self.expr_prec(b, p + 1)
                );
                if p < parent {
                    format!("({text})")
                } else {
                    text
                }
            }
            Expr::Call(Func::Clamp, args) => {
                let (min, max) = (
                    func_name(Func::Min, self.precision),
                    func_name(Func::Max, self.precision),
                );
                format!(
                    "{min}({max}({}, {}), {})",
                    self.expr(&args[0]),
                    self.expr(&args[1]),
                    self.expr(&args[2])
                )
            }
            Expr::Call(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                format!("{}({})", func_name(*f, self.precision), args.join(", "))
            }
            Expr::Select(c, a, b) => {
                let text = format!(
                    "{} ? {} : {}",
                    self.expr_prec(c, 1),
                    self.expr_prec(a, 1),
                    self.expr_prec(b, 1)
                );
                if parent > 0 {
                    format!("({text})")
                } else {
                    text
                }
            }
        }
    }

    /// A block as lines (without indentation; nested blocks are indented by four spaces).
    pub fn block(&self, b: &Block) -> Vec<String> {
        let mut out = Vec::new();
        self.stmts(&b.stmts, "", &mut out);
        out
    }

    fn stmts(&self, stmts: &[Stmt], indent: &str, out: &mut Vec<String>) {
        for s in stmts {
            match s {
                Stmt::Assign { target, op, value } => {
                    let op = op.map_or(String::new(), |o| o.symbol().to_string());
                    out.push(format!(
                        "{indent}{} {op}= {};",
                        self.sym(*target),
                        self.expr(value)
                    ));
                }
                Stmt::Let { local, value } => {
                    out.push(format!(
                        "{indent}scalar {} = {};",
                        self.sym(Sym::Local(*local)),
                        self.expr(value)
                    ));
                }
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    out.push(format!("{indent}if ({}) {{", self.expr(cond)));
                    let inner = format!("{indent}    ");
                    self.stmts(then, &inner, out);
                    if !otherwise.is_empty() {
                        out.push(format!("{indent}}} else {{"));
                        self.stmts(otherwise, &inner, out);
                    }
                    out.push(format!("{indent}}}"));
                }
            }
        }
    }
}

/// The C++ type of the scalar.
pub fn scalar_type(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "float",
        Precision::F64 => "double",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Scope, Type, check_expr, parse_expr};

    fn print(code: &str, precision: Precision) -> String {
        let vars = vec!["v".to_string(), "i".to_string()];
        let scope = Scope {
            vars: &vars,
            ..Default::default()
        };
        let e = check_expr(&parse_expr(code).unwrap(), &scope, Type::Scalar).unwrap();
        let p = Printer {
            precision,
            names: Names::of_vars(&vars),
            locals: &[],
        };
        p.expr(&e)
    }

    #[test]
    fn literals_round_trip_and_carry_suffixes() {
        assert_eq!(literal(1.0, Precision::F32), "1.0f");
        assert_eq!(literal(0.1, Precision::F64), "0.1");
        assert_eq!(literal(1e-11, Precision::F64), "1e-11");
        assert_eq!(literal(3.0, Precision::F64), "3.0");
        assert_eq!(literal(f64::exp(-0.05), Precision::F32), "0.95122945f");
    }

    #[test]
    fn parentheses_only_where_needed() {
        assert_eq!(print("v - (i - 1.0)", Precision::F64), "v - (i - 1.0)");
        assert_eq!(print("(v - i) - 1.0", Precision::F64), "v - i - 1.0");
        assert_eq!(print("v * (i + 1.0)", Precision::F64), "v * (i + 1.0)");
        assert_eq!(print("-(-v)", Precision::F64), "-(-v)");
        assert_eq!(print("exp(-v) / 2", Precision::F32), "expf(-v) / 2.0f");
        assert_eq!(
            print("clamp(v, 0, 1)", Precision::F64),
            "fmin(fmax(v, 0.0), 1.0)"
        );
    }
}
