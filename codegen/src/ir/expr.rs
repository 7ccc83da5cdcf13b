//! Typed, name-resolved code of neuron models, as stored in the IR.
//!
//! Every name has been resolved to a [`Sym`]: a param, derived param or state variable of the
//! model, a local, or the built-ins `dt` and `t`. Every expression has a known type (scalar or
//! bool), checked by `crate::expr::check`. Backends only print these trees.

use serde::{Deserialize, Serialize};

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `!b`.
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

impl BinaryOp {
    /// The operator as written in Rust, C++ and CUDA alike.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    /// Binding strength, higher binds tighter (C, C++ and Rust agree for these operators).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }
}

/// The supported maths functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    /// `exp(x)`.
    Exp,
    /// Natural logarithm `ln(x)`.
    Ln,
    /// `log10(x)`.
    Log10,
    /// `sqrt(x)`.
    Sqrt,
    /// `abs(x)`.
    Abs,
    /// `min(a, b)`.
    Min,
    /// `max(a, b)`.
    Max,
    /// `powf(x, y)`.
    Powf,
    /// `sin(x)`.
    Sin,
    /// `cos(x)`.
    Cos,
    /// `tanh(x)`.
    Tanh,
    /// `floor(x)`.
    Floor,
    /// `ceil(x)`.
    Ceil,
    /// `round(x)`, half away from zero.
    Round,
    /// `clamp(x, lo, hi)`.
    Clamp,
}

impl Func {
    /// The function's value at `a` (as many arguments as it takes), in f64.
    pub fn apply(self, a: &[f64]) -> f64 {
        match self {
            Func::Exp => a[0].exp(),
            Func::Ln => a[0].ln(),
            Func::Log10 => a[0].log10(),
            Func::Sqrt => a[0].sqrt(),
            Func::Abs => a[0].abs(),
            Func::Min => a[0].min(a[1]),
            Func::Max => a[0].max(a[1]),
            Func::Powf => a[0].powf(a[1]),
            Func::Sin => a[0].sin(),
            Func::Cos => a[0].cos(),
            Func::Tanh => a[0].tanh(),
            Func::Floor => a[0].floor(),
            Func::Ceil => a[0].ceil(),
            Func::Round => a[0].round(),
            Func::Clamp => a[0].max(a[1]).min(a[2]),
        }
    }

    /// Every function: name as written in code strings, value, number of arguments.
    pub const ALL: [(&'static str, Func, usize); 15] = [
        ("exp", Func::Exp, 1),
        ("ln", Func::Ln, 1),
        ("log10", Func::Log10, 1),
        ("sqrt", Func::Sqrt, 1),
        ("abs", Func::Abs, 1),
        ("min", Func::Min, 2),
        ("max", Func::Max, 2),
        ("powf", Func::Powf, 2),
        ("sin", Func::Sin, 1),
        ("cos", Func::Cos, 1),
        ("tanh", Func::Tanh, 1),
        ("floor", Func::Floor, 1),
        ("ceil", Func::Ceil, 1),
        ("round", Func::Round, 1),
        ("clamp", Func::Clamp, 3),
    ];

    /// The name as written in code strings.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f, _)| *f == self)
            .map(|(n, _, _)| *n)
            .expect("every function is listed in ALL")
    }
}

/// What a name in a code string refers to (ordered, so sets of symbols can be kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sym {
    /// A param of the model (index into its params).
    Param(u32),
    /// A derived param (index into its derived params).
    Derived(u32),
    /// A state variable (index into its vars).
    Var(u32),
    /// A local declared with `let` (index into the block's locals).
    Local(u32),
    /// A read-only input of adjoint code (index into the scope's inputs): a tape value, the loss
    /// `drive` or `dloss_dt`.
    Input(u32),
    /// The time step in ms.
    Dt,
    /// The time of the current step in ms.
    T,
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// A number.
    Number(f64),
    /// A bool constant.
    Bool(bool),
    /// A resolved name.
    Sym(Sym),
    /// `op x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Func, Vec<Expr>),
    /// `if c { a } else { b }`.
    Select(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// A typed statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stmt {
    /// `target = value` or `target op= value`; the target is a `Var` or a `Local`.
    Assign {
        /// What is assigned.
        target: Sym,
        /// Compound operator.
        op: Option<BinaryOp>,
        /// New value.
        value: Expr,
    },
    /// Declare local `index` with a value.
    Let {
        /// Index of the local.
        local: u32,
        /// Its value.
        value: Expr,
    },
    /// Conditional statements.
    If {
        /// Condition.
        cond: Expr,
        /// When true.
        then: Vec<Stmt>,
        /// When false.
        otherwise: Vec<Stmt>,
    },
}

/// A block of statements with the names of its locals (index = `Sym::Local`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Names of the locals, for printing.
    pub locals: Vec<String>,
    /// The statements.
    pub stmts: Vec<Stmt>,
}
