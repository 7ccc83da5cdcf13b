//! Name resolution and type checking of parsed code strings.
//!
//! A [`Scope`] says which names a code string may use (params, derived params, state variables,
//! `dt`, `t`) and which it may assign (state variables and locals only). Every problem is
//! collected, not just the first. The output is the typed tree stored in the IR.

use super::ast::{self, At};
use super::parse::CodeError;
use crate::diag::closest;
use crate::ir::expr::{BinaryOp, Block, Expr, Func, Stmt, Sym, UnaryOp};

/// The two value types of code strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// A float of the network's precision.
    Scalar,
    /// A truth value.
    Bool,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Scalar => "a number",
            Type::Bool => "a bool",
        }
    }
}

/// The names visible to one code string.
#[derive(Clone, Debug, Default)]
pub struct Scope<'a> {
    /// Model params.
    pub params: &'a [String],
    /// Derived params visible here.
    pub derived: &'a [String],
    /// State variables visible here (empty for derived params and initial values).
    pub vars: &'a [String],
    /// Read-only named inputs (adjoint code: tape values, `drive`, `dloss_dt`).
    pub inputs: &'a [String],
    /// Whether `t` may be used.
    pub time: bool,
}

struct Checker<'a> {
    scope: &'a Scope<'a>,
    locals: Vec<String>,
    /// Locals visible at this point (indices into `locals`), innermost last.
    visible: Vec<u32>,
    errors: Vec<CodeError>,
}

fn err(code: &'static str, at: At, message: String) -> CodeError {
    CodeError {
        code,
        message,
        at,
        help: None,
    }
}

impl Checker<'_> {
    fn lookup(&self, name: &str) -> Option<Sym> {
        if let Some(&i) = self
            .visible
            .iter()
            .rev()
            .find(|&&i| self.locals[i as usize] == name)
        {
            return Some(Sym::Local(i));
        }
        let find = |list: &[String]| list.iter().position(|n| n == name).map(|i| i as u32);
        if let Some(i) = find(self.scope.vars) {
            return Some(Sym::Var(i));
        }
        if let Some(i) = find(self.scope.inputs) {
            return Some(Sym::Input(i));
        }
        if let Some(i) = find(self.scope.derived) {
            return Some(Sym::Derived(i));
        }
        if let Some(i) = find(self.scope.params) {
            return Some(Sym::Param(i));
        }
        match name {
            "dt" => Some(Sym::Dt),
            "t" if self.scope.time => Some(Sym::T),
            _ => None,
        }
    }

    fn visible_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .visible
            .iter()
            .map(|&i| self.locals[i as usize].as_str())
            .collect();
        for list in [
            self.scope.vars,
            self.scope.inputs,
            self.scope.derived,
            self.scope.params,
        ] {
            names.extend(list.iter().map(String::as_str));
        }
        names.push("dt");
        if self.scope.time {
            names.push("t");
        }
        names
    }

    fn unknown_name(&mut self, name: &str, at: At) {
        let names = self.visible_names();
        let mut e = err(
            "rgenn::code::unknown_name",
            at,
            format!("`{name}` is not declared"),
        );
        e.help = Some(match closest(name, &names) {
            Some(c) => format!("did you mean `{c}`?"),
            None if Func::ALL.iter().any(|(n, _, _)| *n == name) => {
                format!("`{name}` is a function: call it, e.g. `{name}(x)`")
            }
            None => format!(
                "names available here: {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        self.errors.push(e);
    }

    /// Check an expression, returning its typed tree and type (`None` after an error).
    fn expr(&mut self, e: &ast::Expr) -> Option<(Expr, Type)> {
        match e {
            ast::Expr::Number(v, _) => Some((Expr::Number(*v), Type::Scalar)),
            ast::Expr::Bool(b, _) => Some((Expr::Bool(*b), Type::Bool)),
            ast::Expr::Name(name, at) => match self.lookup(name) {
                Some(sym) => Some((Expr::Sym(sym), Type::Scalar)),
                None => {
                    self.unknown_name(name, *at);
                    None
                }
            },
            ast::Expr::Unary(op, x, _) => {
                let want = match op {
                    UnaryOp::Neg => Type::Scalar,
                    UnaryOp::Not => Type::Bool,
                };
                let x = self.expect(x, want)?;
                Some((Expr::Unary(*op, Box::new(x)), want))
            }
            ast::Expr::Binary(op, a, b, _) => {
                let (operand, result) = match op {
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                        (Type::Scalar, Type::Scalar)
                    }
                    BinaryOp::And | BinaryOp::Or => (Type::Bool, Type::Bool),
                    _ => (Type::Scalar, Type::Bool),
                };
                let a = self.expect(a, operand);
                let b = self.expect(b, operand);
                Some((Expr::Binary(*op, Box::new(a?), Box::new(b?)), result))
            }
            ast::Expr::Call(name, args, at) => {
                let Some(&(_, func, arity)) = Func::ALL.iter().find(|(n, _, _)| n == name) else {
                    let names: Vec<&str> = Func::ALL.iter().map(|(n, _, _)| *n).collect();
                    let mut e = err(
                        "rgenn::code::unknown_function",
                        *at,
                        format!("`{name}` is not a supported function"),
                    );
                    e.help = Some(match closest(name, &names) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("supported functions: {}", names.join(", ")),
                    });
                    self.errors.push(e);
                    for a in args {
                        self.expr(a);
                    }
                    return None;
                };
                if args.len() != arity {
                    self.errors.push(err(
                        "rgenn::code::wrong_arity",
                        *at,
                        format!(
                            "`{name}` takes {arity} argument{}, found {}",
                            if arity == 1 { "" } else { "s" },
                            args.len()
                        ),
                    ));
                    return None;
                }
                let typed: Vec<Option<Expr>> =
                    args.iter().map(|a| self.expect(a, Type::Scalar)).collect();
                let typed: Option<Vec<Expr>> = typed.into_iter().collect();
                Some((Expr::Call(func, typed?), Type::Scalar))
            }
            ast::Expr::If(c, a, b, at) => {
                let c = self.expect(c, Type::Bool);
                let a = self.expr(a);
                let b = self.expr(b);
                let ((a, ta), (b, tb)) = (a?, b?);
                if ta != tb {
                    self.errors.push(err(
                        "rgenn::code::type_mismatch",
                        *at,
                        format!(
                            "the branches of this `if` have different types ({} and {})",
                            ta.name(),
                            tb.name()
                        ),
                    ));
                    return None;
                }
                Some((Expr::Select(Box::new(c?), Box::new(a), Box::new(b)), ta))
            }
        }
    }

    fn expect(&mut self, e: &ast::Expr, want: Type) -> Option<Expr> {
        let (typed, found) = self.expr(e)?;
        if found != want {
            let mut d = err(
                "rgenn::code::type_mismatch",
                e.at(),
                format!("expected {}, found {}", want.name(), found.name()),
            );
            d.help = Some(
                match want {
                    Type::Scalar => {
                        "use `if cond { a } else { b }` to turn a condition into a number"
                    }
                    Type::Bool => "a condition compares values, e.g. `v >= v_thresh`",
                }
                .into(),
            );
            self.errors.push(d);
            return None;
        }
        Some(typed)
    }

    fn block(&mut self, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let depth = self.visible.len();
        let out = stmts.iter().filter_map(|s| self.stmt(s)).collect();
        self.visible.truncate(depth);
        out
    }

    fn stmt(&mut self, s: &ast::Stmt) -> Option<Stmt> {
        match s {
            ast::Stmt::Assign {
                target,
                target_at,
                op,
                value,
            } => {
                let value = self.expect(value, Type::Scalar);
                let sym = match self.lookup(target) {
                    None => {
                        self.unknown_name(target, *target_at);
                        return None;
                    }
                    Some(sym @ (Sym::Var(_) | Sym::Local(_))) => sym,
                    Some(other) => {
                        let what = match other {
                            Sym::Param(_) => "param",
                            Sym::Derived(_) => "derived param",
                            Sym::Input(_) => "read-only input",
                            _ => "built-in",
                        };
                        let mut e = err(
                            "rgenn::code::assign_to_constant",
                            *target_at,
                            format!("cannot assign to {what} `{target}`"),
                        );
                        e.help = Some("params, derived params, `dt` and `t` are constant; declare a state variable under `vars:` to keep changing state".into());
                        self.errors.push(e);
                        return None;
                    }
                };
                Some(Stmt::Assign {
                    target: sym,
                    op: *op,
                    value: value?,
                })
            }
            ast::Stmt::Let { name, value, .. } => {
                let value = self.expect(value, Type::Scalar)?;
                let index = self.locals.len() as u32;
                self.locals.push(name.clone());
                self.visible.push(index);
                Some(Stmt::Let {
                    local: index,
                    value,
                })
            }
            ast::Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expect(cond, Type::Bool);
                let then = self.block(then);
                let otherwise = self.block(otherwise);
                Some(Stmt::If {
                    cond: cond?,
                    then,
                    otherwise,
                })
            }
        }
    }
}

/// Check an expression of type `want` in `scope`.
pub fn check_expr(e: &ast::Expr, scope: &Scope, want: Type) -> Result<Expr, Vec<CodeError>> {
    let mut c = Checker {
        scope,
        locals: Vec::new(),
        visible: Vec::new(),
        errors: Vec::new(),
    };
    let out = c.expect(e, want);
    match out {
        Some(x) if c.errors.is_empty() => Ok(x),
        _ => Err(c.errors),
    }
}

/// Check a block of statements in `scope`.
pub fn check_block(stmts: &[ast::Stmt], scope: &Scope) -> Result<Block, Vec<CodeError>> {
    let mut c = Checker {
        scope,
        locals: Vec::new(),
        visible: Vec::new(),
        errors: Vec::new(),
    };
    let stmts = c.block(stmts);
    if c.errors.is_empty() {
        Ok(Block {
            locals: c.locals,
            stmts,
        })
    } else {
        Err(c.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse::{parse_block, parse_expr};

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn resolves_every_kind_of_name() {
        let (p, d, v) = (names(&["tau"]), names(&["alpha"]), names(&["v"]));
        let scope = Scope {
            params: &p,
            derived: &d,
            vars: &v,
            time: true,
            ..Default::default()
        };
        let block = check_block(
            &parse_block("let k = alpha * tau; v = k * v + t + dt;").unwrap(),
            &scope,
        )
        .unwrap();
        assert_eq!(block.locals, ["k"]);
        assert_eq!(block.stmts.len(), 2);
    }

    #[test]
    fn reports_assignment_to_param_and_unknown_names() {
        let (p, v) = (names(&["tau_mem"]), names(&["v"]));
        let scope = Scope {
            params: &p,
            vars: &v,
            ..Default::default()
        };
        let errs =
            check_block(&parse_block("tau_mem = 1.0; v = tau_men;").unwrap(), &scope).unwrap_err();
        let codes: Vec<_> = errs.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "rgenn::code::assign_to_constant",
                "rgenn::code::unknown_name"
            ]
        );
        assert_eq!(errs[1].help.as_deref(), Some("did you mean `tau_mem`?"));
    }

    #[test]
    fn threshold_must_be_bool_and_functions_are_checked() {
        let v = names(&["v"]);
        let scope = Scope {
            vars: &v,
            ..Default::default()
        };
        assert!(
            check_expr(
                &parse_expr("v >= 1.0 && !(v < 0.5)").unwrap(),
                &scope,
                Type::Bool
            )
            .is_ok()
        );
        let e = check_expr(&parse_expr("v + 1.0").unwrap(), &scope, Type::Bool).unwrap_err();
        assert_eq!(e[0].code, "rgenn::code::type_mismatch");
        let e = check_expr(&parse_expr("sinh(v)").unwrap(), &scope, Type::Scalar).unwrap_err();
        assert_eq!(e[0].code, "rgenn::code::unknown_function");
        let e = check_expr(&parse_expr("max(v)").unwrap(), &scope, Type::Scalar).unwrap_err();
        assert_eq!(e[0].code, "rgenn::code::wrong_arity");
    }
}
