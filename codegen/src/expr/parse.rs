//! Code strings in Rust syntax -> our syntax tree, via `syn`.
//!
//! Only a small subset is accepted: number and bool literals, names, arithmetic, comparisons,
//! logic, calls of the supported maths functions (also in method form, `x.exp()`), `if`/`else`,
//! `let` and assignments. Everything else (loops, macros, strings, references, closures,
//! indexing, ...) is refused here, at its position, with a message that says what is allowed.

use proc_macro2::Span as SynSpan;
use syn::parse::Parser as _;
use syn::spanned::Spanned as _;

use super::ast::{At, BinaryOp, Expr, Stmt, UnaryOp};

/// A problem in a code string, at a byte range inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeError {
    /// Stable code, e.g. `rgenn::code::loop`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where, inside the string.
    pub at: At,
    /// How to fix it.
    pub help: Option<String>,
}

impl CodeError {
    fn new(code: &'static str, at: At, message: impl Into<String>) -> Self {
        CodeError {
            code,
            message: message.into(),
            at,
            help: None,
        }
    }

    fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
}

fn at(span: SynSpan) -> At {
    let r = span.byte_range();
    At {
        start: r.start,
        end: r.end,
    }
}

fn syntax(e: syn::Error) -> CodeError {
    CodeError::new(
        "rgenn::code::syntax",
        at(e.span()),
        format!("syntax error in code: {e}"),
    )
    .help("code strings use Rust syntax, e.g. `v = alpha * v + i;` or `v >= v_thresh`")
}

fn unsupported(what: &str, span: SynSpan, code: &'static str) -> CodeError {
    CodeError::new(
        code,
        at(span),
        format!("{what} are not supported in rgenn code strings"),
    )
    .help("use arithmetic, comparisons, `&&`/`||`/`!`, maths functions, `let`, assignments and `if`/`else`")
}

/// Parse an expression (a threshold condition, a derived param, an initial value).
pub fn parse_expr(code: &str) -> Result<Expr, CodeError> {
    let e: syn::Expr = syn::parse_str(code).map_err(syntax)?;
    expr(&e)
}

/// Parse a sequence of statements (`sim`, `reset`).
pub fn parse_block(code: &str) -> Result<Vec<Stmt>, CodeError> {
    let stmts = syn::Block::parse_within.parse_str(code).map_err(syntax)?;
    stmts
        .iter()
        .map(stmt)
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().flatten().collect())
}

fn stmt(s: &syn::Stmt) -> Result<Option<Stmt>, CodeError> {
    match s {
        syn::Stmt::Local(local) => {
            let syn::Pat::Ident(p) = strip_type(&local.pat) else {
                return Err(unsupported(
                    "patterns other than a plain name",
                    local.pat.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            };
            let Some(init) = &local.init else {
                return Err(CodeError::new(
                    "rgenn::code::let_without_value",
                    at(local.span()),
                    "`let` needs a value: `let x = ...;`",
                ));
            };
            if init.diverge.is_some() {
                return Err(unsupported(
                    "`let ... else`",
                    local.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            }
            Ok(Some(Stmt::Let {
                name: p.ident.to_string(),
                name_at: at(p.ident.span()),
                value: expr(&init.expr)?,
            }))
        }
        syn::Stmt::Expr(e, _) => statement_expr(e).map(Some),
        syn::Stmt::Macro(m) => Err(unsupported("macros", m.span(), "rgenn::code::macro")),
        syn::Stmt::Item(i) => Err(unsupported(
            "items (functions, structs, ...)",
            i.span(),
            "rgenn::code::unsupported_syntax",
        )),
    }
}

fn strip_type(p: &syn::Pat) -> &syn::Pat {
    match p {
        syn::Pat::Type(t) => &t.pat,
        other => other,
    }
}

fn statement_expr(e: &syn::Expr) -> Result<Stmt, CodeError> {
    match e {
        syn::Expr::Assign(a) => {
            let (target, target_at) = assign_target(&a.left)?;
            Ok(Stmt::Assign { target, target_at, op: None, value: expr(&a.right)? })
        }
        syn::Expr::Binary(b) if compound_op(&b.op).is_some() => {
            let (target, target_at) = assign_target(&b.left)?;
            Ok(Stmt::Assign { target, target_at, op: compound_op(&b.op), value: expr(&b.right)? })
        }
        syn::Expr::If(i) => {
            let otherwise = match &i.else_branch {
                None => Vec::new(),
                Some((_, e)) => match e.as_ref() {
                    syn::Expr::Block(b) => block(&b.block)?,
                    syn::Expr::If(_) => vec![statement_expr(e)?],
                    other => return Err(unsupported("this kind of `else`", other.span(), "rgenn::code::unsupported_syntax")),
                },
            };
            Ok(Stmt::If { cond: expr(&i.cond)?, then: block(&i.then_branch)?, otherwise })
        }
        syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => {
            Err(unsupported("loops", e.span(), "rgenn::code::loop").help("a neuron update runs once per step; loops are not needed and would make the step time unbounded"))
        }
        syn::Expr::Macro(m) => Err(unsupported("macros", m.span(), "rgenn::code::macro")),
        other => Err(CodeError::new(
            "rgenn::code::not_a_statement",
            at(other.span()),
            "this expression does nothing on its own",
        )
        .help("a statement assigns a state variable (`v = ...;`), declares a local (`let x = ...;`) or is an `if`")),
    }
}

fn block(b: &syn::Block) -> Result<Vec<Stmt>, CodeError> {
    b.stmts
        .iter()
        .map(stmt)
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().flatten().collect())
}

fn assign_target(e: &syn::Expr) -> Result<(String, At), CodeError> {
    match e {
        syn::Expr::Path(p) if p.path.get_ident().is_some() => {
            let id = p.path.get_ident().expect("checked by the guard");
            Ok((id.to_string(), at(id.span())))
        }
        other => Err(CodeError::new(
            "rgenn::code::bad_assignment",
            at(other.span()),
            "only a plain variable name can be assigned",
        )),
    }
}

fn compound_op(op: &syn::BinOp) -> Option<BinaryOp> {
    Some(match op {
        syn::BinOp::AddAssign(_) => BinaryOp::Add,
        syn::BinOp::SubAssign(_) => BinaryOp::Sub,
        syn::BinOp::MulAssign(_) => BinaryOp::Mul,
        syn::BinOp::DivAssign(_) => BinaryOp::Div,
        _ => return None,
    })
}

fn binary_op(op: &syn::BinOp) -> Option<BinaryOp> {
    Some(match op {
        syn::BinOp::Add(_) => BinaryOp::Add,
        syn::BinOp::Sub(_) => BinaryOp::Sub,
        syn::BinOp::Mul(_) => BinaryOp::Mul,
        syn::BinOp::Div(_) => BinaryOp::Div,
        syn::BinOp::Lt(_) => BinaryOp::Lt,
        syn::BinOp::Le(_) => BinaryOp::Le,
        syn::BinOp::Gt(_) => BinaryOp::Gt,
        syn::BinOp::Ge(_) => BinaryOp::Ge,
        syn::BinOp::Eq(_) => BinaryOp::Eq,
        syn::BinOp::Ne(_) => BinaryOp::Ne,
        syn::BinOp::And(_) => BinaryOp::And,
        syn::BinOp::Or(_) => BinaryOp::Or,
        _ => return None,
    })
}

fn expr(e: &syn::Expr) -> Result<Expr, CodeError> {
    let here = at(e.span());
    Ok(match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) => Expr::Number(f.base10_parse().map_err(syntax)?, here),
            syn::Lit::Int(i) => Expr::Number(i.base10_parse::<u64>().map_err(syntax)? as f64, here),
            syn::Lit::Bool(b) => Expr::Bool(b.value, here),
            syn::Lit::Str(_)
            | syn::Lit::ByteStr(_)
            | syn::Lit::CStr(_)
            | syn::Lit::Char(_)
            | syn::Lit::Byte(_) => {
                return Err(unsupported(
                    "strings and characters",
                    l.span(),
                    "rgenn::code::string",
                ));
            }
            other => {
                return Err(unsupported(
                    "this kind of literal",
                    other.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            }
        },
        syn::Expr::Path(p) => match p.path.get_ident() {
            Some(id) => Expr::Name(id.to_string(), here),
            None => {
                return Err(unsupported(
                    "paths (`a::b`)",
                    p.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            }
        },
        syn::Expr::Paren(p) => expr(&p.expr)?,
        syn::Expr::Group(g) => expr(&g.expr)?,
        syn::Expr::Unary(u) => {
            let op = match u.op {
                syn::UnOp::Neg(_) => UnaryOp::Neg,
                syn::UnOp::Not(_) => UnaryOp::Not,
                _ => {
                    return Err(unsupported(
                        "dereferences",
                        u.span(),
                        "rgenn::code::unsupported_syntax",
                    ));
                }
            };
            Expr::Unary(op, Box::new(expr(&u.expr)?), here)
        }
        syn::Expr::Binary(b) => {
            match binary_op(&b.op) {
                Some(op) => Expr::Binary(
                    op,
                    Box::new(expr(&b.left)?),
                    Box::new(expr(&b.right)?),
                    here,
                ),
                None if compound_op(&b.op).is_some() => {
                    return Err(CodeError::new(
                        "rgenn::code::assignment_in_expression",
                        here,
                        "assignments are statements, not values",
                    ));
                }
                None => return Err(unsupported(
                    "this operator",
                    b.op.span(),
                    "rgenn::code::unsupported_syntax",
                )
                .help(
                    "supported operators: + - * / < <= > >= == != && || ! (use `powf` for powers)",
                )),
            }
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = c.func.as_ref() else {
                return Err(unsupported(
                    "calls of computed functions",
                    c.func.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            };
            let name = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            let args = c.args.iter().map(expr).collect::<Result<_, _>>()?;
            Expr::Call(name, args, at(c.func.span()))
        }
        syn::Expr::MethodCall(m) => {
            if m.turbofish.is_some() {
                return Err(unsupported(
                    "generic calls",
                    m.span(),
                    "rgenn::code::unsupported_syntax",
                ));
            }
            let mut args = vec![expr(&m.receiver)?];
            for a in &m.args {
                args.push(expr(a)?);
            }
            Expr::Call(m.method.to_string(), args, at(m.method.span()))
        }
        syn::Expr::If(i) => {
            let Some((_, otherwise)) = &i.else_branch else {
                return Err(CodeError::new(
                    "rgenn::code::if_without_else",
                    here,
                    "an `if` used as a value needs an `else`",
                ));
            };
            let then = single_value(&i.then_branch, i.then_branch.span())?;
            let otherwise = match otherwise.as_ref() {
                syn::Expr::Block(b) => single_value(&b.block, b.span())?,
                other => expr(other)?,
            };
            Expr::If(
                Box::new(expr(&i.cond)?),
                Box::new(then),
                Box::new(otherwise),
                here,
            )
        }
        syn::Expr::Block(b) => single_value(&b.block, b.span())?,
        syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => {
            return Err(unsupported("loops", e.span(), "rgenn::code::loop"));
        }
        syn::Expr::Macro(m) => return Err(unsupported("macros", m.span(), "rgenn::code::macro")),
        syn::Expr::Assign(_) => {
            return Err(CodeError::new(
                "rgenn::code::assignment_in_expression",
                here,
                "assignments are statements, not values",
            )
            .help("a condition compares values: write `v >= v_thresh`, not `v = v_thresh`"));
        }
        syn::Expr::Cast(c) => {
            return Err(
                unsupported("casts", c.span(), "rgenn::code::unsupported_syntax").help(
                    "numbers are converted automatically; use `floor`, `round` or `ceil` to round",
                ),
            );
        }
        other => {
            return Err(unsupported(
                "expressions of this kind",
                other.span(),
                "rgenn::code::unsupported_syntax",
            ));
        }
    })
}

fn single_value(b: &syn::Block, span: SynSpan) -> Result<Expr, CodeError> {
    match b.stmts.as_slice() {
        [syn::Stmt::Expr(e, None)] => expr(e),
        _ => Err(CodeError::new(
            "rgenn::code::unsupported_syntax",
            at(span),
            "a block used as a value must hold exactly one expression",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statements_with_offsets() {
        let code = "v = alpha * v;\ni += 1.0;";
        let stmts = parse_block(code).unwrap();
        assert_eq!(stmts.len(), 2);
        let Stmt::Assign {
            target,
            target_at,
            op,
            ..
        } = &stmts[1]
        else {
            panic!()
        };
        assert_eq!(target, "i");
        assert_eq!(*op, Some(BinaryOp::Add));
        assert_eq!(&code[target_at.start..target_at.end], "i");
    }

    #[test]
    fn method_calls_become_calls_with_receiver_first() {
        let e = parse_expr("x.powf(2)").unwrap();
        let Expr::Call(name, args, _) = e else {
            panic!()
        };
        assert_eq!(name, "powf");
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn refuses_loops_macros_and_strings_at_their_position() {
        let code = "v = 1.0;\nfor k in 0..3 { v += 1.0; }";
        let err = parse_block(code).unwrap_err();
        assert_eq!(err.code, "rgenn::code::loop");
        assert_eq!(err.at.start, code.find("for").unwrap());
        assert_eq!(
            parse_block("println!(\"x\");").unwrap_err().code,
            "rgenn::code::macro"
        );
        let err = parse_expr("v >= \"a\"").unwrap_err();
        assert_eq!(err.code, "rgenn::code::string");
        assert_eq!(err.at.start, 5);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        // `v = * 2.0;` would parse: `*2.0` is a dereference, refused later as unsupported syntax.
        let code = "v = 2.0 *;";
        let err = parse_block(code).unwrap_err();
        assert_eq!(err.code, "rgenn::code::syntax");
        assert_eq!(err.at.start, code.find(';').unwrap());
    }
}
