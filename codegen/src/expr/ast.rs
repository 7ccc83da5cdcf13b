//! The untyped syntax tree of a code string, produced from `syn` by `parse`.
//!
//! Offsets (`At`) are byte ranges inside the code string; `check` turns them into file positions
//! when it reports a problem and drops them in the typed tree it builds for the IR.

pub use crate::ir::expr::{BinaryOp, Func, UnaryOp};

/// A byte range inside one code string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// An expression as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal (integer literals are numbers too).
    Number(f64, At),
    /// `true` or `false`.
    Bool(bool, At),
    /// A name to resolve.
    Name(String, At),
    /// `-x`, `!x`.
    Unary(UnaryOp, Box<Expr>, At),
    /// `a + b`, `a < b`, `a && b`, ...
    Binary(BinaryOp, Box<Expr>, Box<Expr>, At),
    /// `f(a, b)` or `a.f(b)` (the receiver becomes the first argument).
    Call(String, Vec<Expr>, At),
    /// `if c { a } else { b }` as an expression.
    If(Box<Expr>, Box<Expr>, Box<Expr>, At),
}

impl Expr {
    /// Where the expression was written.
    pub fn at(&self) -> At {
        match self {
            Expr::Number(_, a)
            | Expr::Bool(_, a)
            | Expr::Name(_, a)
            | Expr::Unary(_, _, a)
            | Expr::Binary(_, _, _, a)
            | Expr::Call(_, _, a)
            | Expr::If(_, _, _, a) => *a,
        }
    }
}

/// A statement as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `x = e;` or `x op= e;`.
    Assign {
        /// The assigned name.
        target: String,
        /// Where the name was written.
        target_at: At,
        /// `Some(op)` for `op=`.
        op: Option<BinaryOp>,
        /// The right-hand side.
        value: Expr,
    },
    /// `let x = e;` (a local, visible until the end of its block).
    Let {
        /// The local's name.
        name: String,
        /// Where the name was written.
        name_at: At,
        /// Its value.
        value: Expr,
    },
    /// `if c { ... } else { ... }`.
    If {
        /// The condition.
        cond: Expr,
        /// Statements when true.
        then: Vec<Stmt>,
        /// Statements when false.
        otherwise: Vec<Stmt>,
    },
}
