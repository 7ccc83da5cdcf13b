//! A YAML document as a tree of nodes that remember their byte spans.
//!
//! Built from `saphyr-parser` events so that every key and value keeps its position, duplicate keys
//! are caught (a map type would silently keep the last), and scalars keep their text and style:
//! the decoder decides what a scalar means, not the YAML library. Anchors and aliases are refused,
//! since a network description has no use for them and they would blur error positions.

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diag::Diagnostic;
use crate::span::{SourceId, Span};

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'...'` or `"..."`.
    Quoted,
    /// `|` or `>` block.
    Block,
}

/// A scalar: its text after YAML unescaping and how it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The text.
    pub text: String,
    /// The style.
    pub style: Style,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A mapping, in file order.
    Map(Vec<(Node, Node)>),
    /// A sequence.
    Seq(Vec<Node>),
    /// A scalar.
    Scalar(Scalar),
}

/// One YAML node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The content.
    pub kind: NodeKind,
    /// Where it was written.
    pub span: Span,
}

impl Node {
    /// The scalar text, for scalar nodes.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// True for `~`, `null` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(Scalar { text, style: Style::Plain })
            if text.is_empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }

    /// A word for the kind of node, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Seq(_) => "a list",
            NodeKind::Scalar(_) if self.is_null() => "nothing (null)",
            NodeKind::Scalar(_) => "a scalar",
        }
    }
}

/// Converts saphyr's character indices to byte offsets.
struct CharToByte {
    offsets: Option<Vec<usize>>,
    len: usize,
}

impl CharToByte {
    fn new(text: &str) -> Self {
        let offsets = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        CharToByte {
            offsets,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            None => char_index.min(self.len),
            Some(o) => o.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

/// Parse a YAML document into a node tree. An empty document is an empty mapping.
pub fn parse(text: &str, source: SourceId) -> Result<Node, Diagnostic> {
    let conv = CharToByte::new(text);
    let span_of = |s: saphyr_parser::Span| {
        Span::new(source, conv.byte(s.start.index()), conv.byte(s.end.index()))
    };
    let mut parser = Parser::new_from_str(text);
    // Stack of open collections: (node under construction, pending key for maps).
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, raw_span) = next.map_err(|e| {
            let at = conv.byte(e.marker().index());
            Diagnostic::new(
                "rgenn::yaml::syntax",
                Span::new(source, at, at),
                format!("YAML syntax error: {}", e.info()),
            )
            .label("the YAML parser stopped here")
            .help(
                "the mistake may be on a line above: check indentation and unclosed brackets or quotes",
            )
        })?;
        let span = span_of(raw_span);
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::new(
                        "rgenn::yaml::multiple_documents",
                        span,
                        "a network file holds exactly one YAML document",
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(Diagnostic::new(
                    "rgenn::yaml::alias",
                    span,
                    "YAML aliases (`*name`) are not supported in rgenn files",
                )
                .help("write the value out in full"));
            }
            Event::Scalar(text, style, anchor, _) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                Node {
                    kind: NodeKind::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                    }),
                    span,
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    NodeKind::Seq(Vec::new())
                } else {
                    NodeKind::Map(Vec::new())
                };
                stack.push((Node { kind, span }, None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, _) = stack.pop().expect("parser balances collection events");
                node.span.end = node.span.end.max(span.end);
                node
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some((parent, pending_key)) => {
                parent.span.end = parent.span.end.max(node.span.end);
                match &mut parent.kind {
                    NodeKind::Seq(items) => items.push(node),
                    NodeKind::Map(entries) => match pending_key.take() {
                        None => {
                            if let Some(dup) = duplicate_of(entries, &node) {
                                return Err(Diagnostic::new(
                                    "rgenn::yaml::duplicate_key",
                                    node.span,
                                    format!("duplicate key `{}`", scalar_text(&node)),
                                )
                                .label("defined again here")
                                .help(format!(
                                    "`{}` is first defined at line {}; every name must be unique",
                                    scalar_text(&node),
                                    line_of(text, dup.start as usize)
                                )));
                            }
                            *pending_key = Some(node);
                        }
                        Some(key) => entries.push((key, node)),
                    },
                    NodeKind::Scalar(_) => unreachable!("scalars are never pushed on the stack"),
                }
            }
        }
    }
    Ok(root.unwrap_or(Node {
        kind: NodeKind::Map(Vec::new()),
        span: Span::new(source, 0, 0),
    }))
}

fn anchor_error(span: Span) -> Diagnostic {
    Diagnostic::new(
        "rgenn::yaml::alias",
        span,
        "YAML anchors (`&name`) are not supported in rgenn files",
    )
    .help("write the value out in full")
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn scalar_text(node: &Node) -> String {
    node.as_scalar()
        .map(|s| s.text.clone())
        .unwrap_or_else(|| node.kind_name().to_string())
}

fn duplicate_of(entries: &[(Node, Node)], key: &Node) -> Option<Span> {
    let text = key.as_scalar()?;
    entries
        .iter()
        .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == text.text))
        .map(|(k, _)| k.span)
}

/// Map a byte offset inside a scalar's text to a byte offset in the file.
///
/// Plain, quoted (without escapes) and block scalars keep their characters in order in the file,
/// so the text is matched against the file as a subsequence; indentation, quotes and the block
/// header are skipped, and a folded line break may stand for a space.
pub fn offset_in_file(file_text: &str, node: &Node, offset_in_scalar: usize) -> usize {
    let Some(scalar) = node.as_scalar() else {
        return node.span.start as usize;
    };
    let start = node.span.start as usize;
    let end = (node.span.end as usize).max(start).min(file_text.len());
    let region: Vec<(usize, char)> = file_text[start..end].char_indices().collect();
    let mut pos = 0;
    for (i, c) in scalar.text.char_indices() {
        let found = region[pos..]
            .iter()
            .position(|&(_, s)| s == c || (c == ' ' && s == '\n'));
        if let Some(k) = found {
            pos += k;
        }
        if i >= offset_in_scalar {
            return region.get(pos).map_or(end, |&(b, _)| start + b);
        }
        pos = (pos + 1).min(region.len());
    }
    region.get(pos).map_or(end, |&(b, _)| start + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_keys(node: &Node) -> Vec<String> {
        match &node.kind {
            NodeKind::Map(e) => e.iter().map(|(k, _)| scalar_text(k)).collect(),
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn keeps_order_and_spans_of_keys() {
        let text = "b: 1\na: {x: 2}\n";
        let root = parse(text, SourceId(0)).unwrap();
        assert_eq!(map_keys(&root), ["b", "a"]);
        let NodeKind::Map(entries) = &root.kind else {
            unreachable!()
        };
        assert_eq!(&text[entries[1].0.span.start as usize..][..1], "a");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n", SourceId(0)).unwrap_err();
        assert_eq!(err.code, "rgenn::yaml::duplicate_key");
        assert_eq!(err.span.start, 5);
        assert_eq!(
            err.help.as_deref(),
            Some("`a` is first defined at line 1; every name must be unique")
        );
    }

    #[test]
    fn block_scalar_offsets_point_into_the_file() {
        let text = "sim: |\n  v = a;\n  i = b;\n";
        let root = parse(text, SourceId(0)).unwrap();
        let NodeKind::Map(entries) = &root.kind else {
            unreachable!()
        };
        let value = &entries[0].1;
        let in_scalar = "v = a;\ni = b;\n".find('b').unwrap();
        let at = offset_in_file(text, value, in_scalar);
        assert_eq!(&text[at..at + 1], "b");
        assert_eq!(at, text.rfind('b').unwrap());
    }

    #[test]
    fn quoted_scalar_offsets_skip_the_quote() {
        let text = "threshold: \"v >= w\"\n";
        let root = parse(text, SourceId(0)).unwrap();
        let NodeKind::Map(entries) = &root.kind else {
            unreachable!()
        };
        let at = offset_in_file(text, &entries[0].1, 5);
        assert_eq!(&text[at..at + 1], "w");
    }
}
