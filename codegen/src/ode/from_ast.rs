//! Turn a parsed (and already name-checked) code string into a [`Sym`] term.
//!
//! ODE right-hand sides, thresholds and resets are smooth scalar terms: conditions, comparisons
//! and `if` have no derivative the adjoint could use, so they are refused at their position.

use super::sym::Sym;
use crate::expr::CodeError;
use crate::expr::ast::{At, BinaryOp, Expr, UnaryOp};
use crate::ir::expr::Func;

/// The term of a scalar expression.
pub fn term(e: &Expr) -> Result<Sym, CodeError> {
    Ok(match e {
        Expr::Number(x, _) => Sym::num(*x),
        Expr::Name(n, _) => Sym::name(n),
        Expr::Unary(UnaryOp::Neg, x, _) => Sym::negate(term(x)?),
        Expr::Binary(op, a, b, at) => {
            let (a, b) = (term(a)?, term(b)?);
            match op {
                BinaryOp::Add => Sym::plus(a, b),
                BinaryOp::Sub => Sym::minus(a, b),
                BinaryOp::Mul => Sym::times(a, b),
                BinaryOp::Div => Sym::over(a, b),
                _ => return Err(not_smooth(*at, "comparisons and logic")),
            }
        }
        Expr::Call(name, args, at) => {
            let Some(&(_, f, arity)) = Func::ALL.iter().find(|(n, _, _)| n == name) else {
                return Err(not_smooth(*at, "unknown functions"));
            };
            // Terms fold numbers through the function, which needs the right number of them.
            if args.len() != arity {
                return Err(CodeError {
                    code: "rgenn::code::wrong_arity",
                    message: format!(
                        "`{name}` takes {arity} argument{}, found {}",
                        if arity == 1 { "" } else { "s" },
                        args.len()
                    ),
                    at: *at,
                    help: None,
                });
            }
            let args = args.iter().map(term).collect::<Result<Vec<_>, _>>()?;
            Sym::call(f, args)
        }
        Expr::Bool(_, at) | Expr::Unary(UnaryOp::Not, _, at) => {
            return Err(not_smooth(*at, "truth values"));
        }
        Expr::If(_, _, _, at) => return Err(not_smooth(*at, "`if` expressions")),
    })
}

fn not_smooth(at: At, what: &str) -> CodeError {
    CodeError {
        code: "rgenn::ode::not_smooth",
        message: format!("{what} cannot appear in an ODE model's equations"),
        at,
        help: Some(
            "ODE right-hand sides, thresholds and resets are smooth terms: numbers, names, \
             + - * /, and maths functions"
                .to_string(),
        ),
    }
}
