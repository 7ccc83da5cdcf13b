//! Source files and byte spans.
//!
//! Every YAML file that takes part in a network (the network itself and each neuron model it uses) is
//! registered in a [`SourceMap`] and addressed by a [`SourceId`]. Positions are kept as byte ranges
//! ([`Span`]); lines and columns are computed only when a position is shown to a person.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SourceId(pub u32);

/// A byte range `[start, end)` inside one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// File the range belongs to.
    pub source: SourceId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets in `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span {
            source,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// True for an empty range (a position rather than a range).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A value together with the place in a YAML file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pair `value` with `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// One registered source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as shown to the user: the network file as given on the command line, a user model file
    /// as that file's folder joined with the `model:` value, a built-in model as
    /// `models/<name>.yaml`.
    pub name: String,
    /// The file's text.
    pub text: Arc<String>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCol {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

impl SourceFile {
    fn new(name: String, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text: Arc::new(text),
            line_starts,
        }
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count();
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

/// All files read while loading one network.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Register a file and return its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        self.files.push(SourceFile::new(name.into(), text.into()));
        SourceId(self.files.len() as u32 - 1)
    }

    /// Every file, in the order they were read (the network file first).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The file behind `id`.
    pub fn file(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// `file:line:column` of the start of a span.
    pub fn describe(&self, span: Span) -> String {
        let file = self.file(span.source);
        let lc = file.line_col(span.start as usize);
        format!("{}:{}:{}", file.name, lc.line, lc.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_handles_line_starts() {
        let mut map = SourceMap::default();
        let id = map.add("a.yaml", "ab\ncd\n");
        let f = map.file(id);
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 2 });
        assert_eq!(map.describe(Span::new(id, 4, 5)), "a.yaml:2:2");
    }
}
