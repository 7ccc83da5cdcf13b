//! Helpers that read typed values out of YAML nodes and report every problem with its span.
//!
//! A [`MapReader`] walks one mapping: each key a decoder asks for is marked as used, and
//! [`MapReader::finish`] reports every key nobody asked for ("unknown key"), with a suggestion
//! when it looks like a typo of a known one.

use crate::diag::{Diagnostic, Diagnostics};
use crate::span::{Span, Spanned};
use crate::yaml::{Node, NodeKind, Style};

/// Reads the entries of one YAML mapping.
pub struct MapReader<'a> {
    /// The mapping node.
    pub node: &'a Node,
    entries: &'a [(Node, Node)],
    used: Vec<bool>,
    what: &'static str,
}

impl<'a> MapReader<'a> {
    /// Start reading `node`, which must be a mapping describing `what` (e.g. "population").
    pub fn new(node: &'a Node, what: &'static str, diags: &mut Diagnostics) -> Option<Self> {
        match &node.kind {
            NodeKind::Map(entries) => Some(MapReader {
                node,
                entries,
                used: vec![false; entries.len()],
                what,
            }),
            _ => {
                diags.push(expected(node, &format!("a mapping ({what})")));
                None
            }
        }
    }

    /// The value of `key`, if present.
    pub fn get(&mut self, key: &str) -> Option<&'a Node> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// The key node and value of `key`, if present.
    pub fn get_entry(&mut self, key: &str) -> Option<(&'a Node, &'a Node)> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))?;
        self.used[i] = true;
        Some((&self.entries[i].0, &self.entries[i].1))
    }

    /// The value of `key`, reporting its absence.
    pub fn required(&mut self, key: &str, diags: &mut Diagnostics) -> Option<&'a Node> {
        let found = self.get(key);
        if found.is_none() {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::missing_key",
                    self.head_span(),
                    format!("{} is missing the required key `{key}`", self.what),
                )
                .label(format!("`{key}` is missing here")),
            );
        }
        found
    }

    /// Every entry whose key nobody has asked for yet, marking them as used.
    pub fn rest(&mut self) -> Vec<(&'a Node, &'a Node)> {
        let mut out = Vec::new();
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if !self.used[i] {
                self.used[i] = true;
                out.push((k, v));
            }
        }
        out
    }

    /// The span to point at when something in the whole mapping is wrong: its first line.
    pub fn head_span(&self) -> Span {
        let mut s = self.node.span;
        s.end = s.start;
        s
    }

    /// Report every key that was not read, suggesting the closest of `known`.
    pub fn finish(self, known: &[&str], diags: &mut Diagnostics) {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let name = k.as_scalar().map(|s| s.text.as_str()).unwrap_or("?");
            diags.push(
                Diagnostic::new(
                    "rgenn::model::unknown_key",
                    k.span,
                    format!("unknown key `{name}` in {}", self.what),
                )
                .label("not a key of this section")
                .suggest(name, known.iter().copied()),
            );
        }
    }
}

/// "expected X, found Y" at `node`.
pub fn expected(node: &Node, what: &str) -> Diagnostic {
    let found = match &node.kind {
        NodeKind::Scalar(s) if !node.is_null() => format!("`{}`", s.text),
        _ => node.kind_name().to_string(),
    };
    Diagnostic::new(
        "rgenn::model::wrong_type",
        node.span,
        format!("expected {what}, found {found}"),
    )
    .label(format!("expected {what}"))
}

/// Parse a YAML number written as a plain scalar (`1`, `-2.5`, `5.0e-11`, `.nan`, `.inf`).
fn parse_number(text: &str) -> Option<f64> {
    match text {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let ok = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | '_'));
    if !ok || text.is_empty() {
        return None;
    }
    text.replace('_', "").parse().ok()
}

/// A finite number. NaN and infinities are reported: no simulator input may be non-finite.
pub fn number(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<f64>> {
    let value = match &node.kind {
        NodeKind::Scalar(s) if s.style == Style::Plain => parse_number(&s.text),
        _ => None,
    };
    match value {
        Some(v) if v.is_finite() => Some(Spanned::new(v, node.span)),
        Some(_) => {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::not_finite",
                    node.span,
                    "numbers must be finite, found NaN or infinity",
                )
                .label("not a finite number"),
            );
            None
        }
        None => {
            diags.push(expected(node, "a number"));
            None
        }
    }
}

/// An integer, which may be negative (range checks are validation's job).
pub fn integer(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<i64>> {
    let value = match &node.kind {
        NodeKind::Scalar(s) if s.style == Style::Plain => s.text.replace('_', "").parse().ok(),
        _ => None,
    };
    match value {
        Some(v) => Some(Spanned::new(v, node.span)),
        None => {
            diags.push(expected(node, "a whole number"));
            None
        }
    }
}

/// `true` or `false`.
pub fn boolean(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<bool>> {
    match &node.kind {
        NodeKind::Scalar(s)
            if s.style == Style::Plain && (s.text == "true" || s.text == "false") =>
        {
            Some(Spanned::new(s.text == "true", node.span))
        }
        _ => {
            diags.push(expected(node, "`true` or `false`"));
            None
        }
    }
}

/// A string scalar (plain or quoted).
pub fn string(node: &Node, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    match &node.kind {
        NodeKind::Scalar(s) if !node.is_null() => Some(Spanned::new(s.text.clone(), node.span)),
        _ => {
            diags.push(expected(node, "a string"));
            None
        }
    }
}

/// A name: a string that is a valid identifier (letters, digits, `_`, not starting with a digit).
pub fn name(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
    let s = string(node, diags)?;
    if is_identifier(&s.value) {
        Some(s)
    } else {
        diags.push(
            Diagnostic::new(
                "rgenn::model::bad_name",
                node.span,
                format!("`{}` is not a valid {what} name", s.value),
            )
            .label("not a valid name")
            .help("names use ASCII letters, digits and `_`, and do not start with a digit"),
        );
        None
    }
}

/// True for ASCII identifiers.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One word out of a fixed set, e.g. a precision or a readout.
pub fn keyword<T: Copy>(
    node: &Node,
    what: &str,
    choices: &[(&str, T)],
    diags: &mut Diagnostics,
) -> Option<Spanned<T>> {
    let s = string(node, diags)?;
    match choices.iter().find(|(k, _)| *k == s.value) {
        Some((_, v)) => Some(Spanned::new(*v, node.span)),
        None => {
            diags.push(
                Diagnostic::new(
                    "rgenn::model::unknown_keyword",
                    node.span,
                    format!("unknown {what} `{}`", s.value),
                )
                .label(format!("not a known {what}"))
                .suggest(&s.value, choices.iter().map(|(k, _)| *k)),
            );
            None
        }
    }
}

/// A list node's items; a single scalar counts as a list of one.
pub fn list<'a>(node: &'a Node, what: &str, diags: &mut Diagnostics) -> Option<Vec<&'a Node>> {
    match &node.kind {
        NodeKind::Seq(items) => Some(items.iter().collect()),
        NodeKind::Scalar(_) if !node.is_null() => Some(vec![node]),
        _ => {
            diags.push(expected(node, &format!("a list of {what}")));
            None
        }
    }
}

/// The entries of a mapping whose keys are names (populations, connections, params).
pub fn named_entries<'a>(
    node: &'a Node,
    what: &'static str,
    diags: &mut Diagnostics,
) -> Vec<(Spanned<String>, &'a Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        if !node.is_null() {
            diags.push(expected(node, &format!("a mapping of {what} names")));
        }
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| Some((name(k, what, diags)?, v)))
        .collect()
}
