//! What values a neuron model accepts: a param written `{default: 20.0, range: "> 0"}` (a plain
//! number stays a default without a range) and a model's `constraints:` list of boolean code
//! strings over its params and derived params (`v_reset < v_thresh`). Decoded here; checked when
//! a population is lowered (`validate/params.rs`).

use super::CodeString;
use super::decode::{self, MapReader, named_entries, number};
use crate::diag::{Diagnostic, Diagnostics};
use crate::span::{Span, Spanned};
use crate::yaml::{Node, NodeKind};

/// A comparison a range bound makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `!=`.
    Ne,
}

impl Cmp {
    /// Its symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Ne => "!=",
        }
    }

    /// Whether `value` meets `self bound`.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Cmp::Gt => value > bound,
            Cmp::Ge => value >= bound,
            Cmp::Lt => value < bound,
            Cmp::Le => value <= bound,
            Cmp::Ne => value != bound,
        }
    }
}

/// A param's `range:`: every bound must hold (`">= 0 and < 1"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// The bounds.
    pub bounds: Vec<(Cmp, f64)>,
    /// The text as written.
    pub text: String,
    /// The `range:` value in the model file.
    pub span: Span,
}

impl Range {
    /// Whether `value` is in the range.
    pub fn contains(&self, value: f64) -> bool {
        self.bounds.iter().all(|&(c, b)| c.holds(value, b))
    }
}

/// The validity rules of one model: a range per param (in the model's order) and its
/// `constraints:`.
#[derive(Clone, Debug, Default)]
pub struct Valid {
    /// `range:` of each param, `None` where it has none.
    pub ranges: Vec<Option<Range>>,
    /// `constraints:` boolean code strings.
    pub constraints: Vec<CodeString>,
}

/// Every param default, for a param written `{default: ..., range: ...}`, a number or nothing.
pub type Params = Vec<(Spanned<String>, Option<Spanned<f64>>)>;

/// Decode a model's `params:` (either form) and its `constraints:`.
pub fn decode(
    params: Option<&Node>,
    constraints: Option<&Node>,
    diags: &mut Diagnostics,
) -> (Params, Valid) {
    let mut out = Vec::new();
    let mut valid = Valid::default();
    for (name, node) in params.map_or_else(Vec::new, |n| named_entries(n, "param", diags)) {
        let (default, range) = match &node.kind {
            NodeKind::Map(_) => param_map(node, diags),
            _ if node.is_null() => (None, None),
            _ => (number(node, diags), None),
        };
        out.push((name, default));
        valid.ranges.push(range);
    }
    if let Some(n) = constraints {
        for item in decode::list(n, "constraints (boolean code strings)", diags).unwrap_or_default()
        {
            if let Some(text) = decode::string(item, diags) {
                valid.constraints.push(CodeString {
                    text: text.value,
                    node: item.clone(),
                });
            }
        }
    }
    (out, valid)
}

fn param_map(node: &Node, diags: &mut Diagnostics) -> (Option<Spanned<f64>>, Option<Range>) {
    let Some(mut map) = MapReader::new(node, "param", diags) else {
        return (None, None);
    };
    let default = map
        .get("default")
        .filter(|n| !n.is_null())
        .and_then(|n| number(n, diags));
    let range = map.get("range").and_then(|n| {
        let text = decode::string(n, diags)?;
        match parse_range(&text.value) {
            Ok(bounds) => Some(Range {
                bounds,
                text: text.value,
                span: n.span,
            }),
            Err(message) => {
                diags.push(
                    Diagnostic::new("rgenn::model::bad_range", n.span, message)
                        .label("not a range")
                        .help(
                            "write comparisons joined by `and`, e.g. `range: \"> 0\"` or `range: \">= 0 and < 1\"`",
                        ),
                );
                None
            }
        }
    });
    map.finish(&["default", "range"], diags);
    (default, range)
}

/// Parse `"> 0"`, `">= 0 and < 1"`, `"!= 0"`.
pub fn parse_range(text: &str) -> Result<Vec<(Cmp, f64)>, String> {
    let mut bounds = Vec::new();
    for part in text.split(" and ") {
        let part = part.trim();
        let (cmp, rest) = [
            (">=", Cmp::Ge),
            ("<=", Cmp::Le),
            ("!=", Cmp::Ne),
            (">", Cmp::Gt),
            ("<", Cmp::Lt),
        ]
        .iter()
        .find_map(|(s, c)| part.strip_prefix(s).map(|r| (*c, r)))
        .ok_or_else(|| {
            format!("range bound `{part}` does not start with one of >, >=, <, <=, !=")
        })?;
        let bound: f64 = rest
            .trim()
            .parse()
            .map_err(|_| format!("range bound `{part}` does not end with a number"))?;
        if !bound.is_finite() {
            return Err(format!("range bound `{part}` is not a finite number"));
        }
        bounds.push((cmp, bound));
    }
    Ok(bounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_hold() {
        assert_eq!(parse_range("> 0"), Ok(vec![(Cmp::Gt, 0.0)]));
        let r = parse_range(">= 0 and < 1").unwrap();
        assert_eq!(r, vec![(Cmp::Ge, 0.0), (Cmp::Lt, 1.0)]);
        assert!(parse_range("0 <").is_err());
        assert!(parse_range("> x").is_err());
        assert!(parse_range("> inf").is_err());
        assert!(Cmp::Ne.holds(1.0, 0.0) && !Cmp::Ne.holds(0.0, 0.0));
    }
}
