//! Evaluate typed constant expressions (derived params, initial values) at generation time, in f64.

use crate::ir::expr::{BinaryOp, Expr, Sym, UnaryOp};

/// Values of the names a constant expression may use.
pub struct Env<'a> {
    /// Param values.
    pub params: &'a [f64],
    /// Derived param values computed so far.
    pub derived: &'a [f64],
    /// Time step in ms.
    pub dt: f64,
}

/// Value of an expression of type scalar (bools are 1.0 / 0.0).
pub fn eval(e: &Expr, env: &Env) -> f64 {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    match e {
        Expr::Number(v) => *v,
        Expr::Bool(x) => b(*x),
        Expr::Sym(Sym::Param(i)) => env.params[*i as usize],
        Expr::Sym(Sym::Derived(i)) => env.derived[*i as usize],
        Expr::Sym(Sym::Dt) => env.dt,
        Expr::Sym(other) => unreachable!("constant scopes contain no {other:?}"),
        Expr::Unary(UnaryOp::Neg, x) => -eval(x, env),
        Expr::Unary(UnaryOp::Not, x) => b(eval(x, env) == 0.0),
        Expr::Binary(op, x, y) => {
            let (x, y) = (eval(x, env), eval(y, env));
            match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Lt => b(x < y),
                BinaryOp::Le => b(x <= y),
                BinaryOp::Gt => b(x > y),
                BinaryOp::Ge => b(x >= y),
                BinaryOp::Eq => b(x == y),
                BinaryOp::Ne => b(x != y),
                BinaryOp::And => b(x != 0.0 && y != 0.0),
                BinaryOp::Or => b(x != 0.0 || y != 0.0),
            }
        }
        Expr::Call(f, args) => {
            let a: Vec<f64> = args.iter().map(|x| eval(x, env)).collect();
            f.apply(&a)
        }
        Expr::Select(c, x, y) => {
            if eval(c, env) != 0.0 {
                eval(x, env)
            } else {
                eval(y, env)
            }
        }
    }
}
