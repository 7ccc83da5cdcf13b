//! Diagnostics: what went wrong, where in which YAML file, and how to fix it.
//!
//! Every stage of the front end (YAML syntax, model decoding, code strings, validation) reports
//! problems as [`Diagnostic`]s with a stable code such as `rgenn::validate::unknown_population`, a span
//! in one of the files of a [`SourceMap`], a short label for the caret and an optional help line.
//! A stage collects all the problems it finds ([`Diagnostics`]); rendering happens only in the CLI,
//! through `miette`, which prints `file:line:column`, the line and a caret.

use std::fmt;

use miette::{LabeledSpan, NamedSource, SourceSpan};

use crate::span::{SourceMap, Span};

/// One problem in the user's input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable machine-readable code, e.g. `rgenn::validate::unknown_population`.
    pub code: &'static str,
    /// One-line description of the problem.
    pub message: String,
    /// Where the problem is.
    pub span: Span,
    /// Text shown next to the caret.
    pub label: String,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a code, a message and the span it points at.
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: "here".to_string(),
            help: None,
        }
    }

    /// Set the caret label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Add a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Add "did you mean `x`?" when one of `candidates` is close to `name`.
    pub fn suggest<'a>(self, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        let candidates: Vec<&str> = candidates.into_iter().collect();
        match closest(name, &candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None if !candidates.is_empty() && candidates.len() <= 12 => {
                let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
                self.help(format!("expected one of {}", list.join(", ")))
            }
            None => self,
        }
    }
}

/// Every problem found in one run of a stage, sorted by file and position.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// The problems, in the order they are shown.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Add a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sort by position and drop exact duplicates.
    pub fn sort(&mut self) {
        self.items
            .sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
        self.items
            .dedup_by(|a, b| a.span == b.span && a.code == b.code && a.message == b.message);
    }

    /// Turn the collected problems into an error that carries the sources needed to show them.
    pub fn into_error(mut self, sources: &SourceMap) -> LoadError {
        self.sort();
        LoadError::Invalid(
            self.items
                .into_iter()
                .map(|d| Report::new(d, sources))
                .collect(),
        )
    }
}

/// Edit distance between two short identifiers.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo (and shares at least
/// one character with it: `u` is not a typo of `i`).
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (levenshtein(name, c), *c))
        .filter(|(d, _)| *d <= limit && *d < name.chars().count())
        .min()
        .map(|(_, c)| c)
}

/// A diagnostic bound to the text of its file, ready for `miette` to render.
#[derive(Debug, Clone)]
pub struct Report {
    diag: Diagnostic,
    /// `file:line:column` of the problem.
    pub location: String,
    source: NamedSource<String>,
}

impl Report {
    fn new(diag: Diagnostic, sources: &SourceMap) -> Self {
        let file = sources.file(diag.span.source);
        Report {
            location: sources.describe(diag.span),
            source: NamedSource::new(file.name.clone(), file.text.as_ref().clone()),
            diag,
        }
    }

    /// The underlying diagnostic.
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diag
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = SourceSpan::new(
            (self.diag.span.start as usize).into(),
            self.diag.span.len().max(1),
        );
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.diag.label.clone()),
            span,
        ))))
    }
}

/// Loading a network failed.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// A file could not be read.
    Io {
        /// The path as given.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// One or more problems in the YAML files, in file order.
    Invalid(Vec<Report>),
}

impl LoadError {
    /// The reports of an invalid network (empty for I/O errors).
    pub fn reports(&self) -> &[Report] {
        match self {
            LoadError::Io { .. } => &[],
            LoadError::Invalid(r) => r,
        }
    }
}

impl LoadError {
    /// The error as the CLI prints it: for an invalid network, `error at file:line:column` and the
    /// annotated source of every problem, then the count; `color` adds ANSI colours.
    #[cfg(feature = "render")]
    pub fn render(&self, color: bool) -> String {
        use miette::{GraphicalReportHandler, GraphicalTheme};
        let reports = match self {
            LoadError::Io { .. } => return format!("error: {self}\n"),
            LoadError::Invalid(r) => r,
        };
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for r in reports {
            out.push_str(&format!("error at {}\n", r.location));
            // Rendering into a String cannot fail.
            let _ = handler.render_report(&mut out, r);
            out.push('\n');
        }
        if reports.len() > 1 {
            out.push_str(&format!("error: {} problems found\n", reports.len()));
        }
        out
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, message } => write!(f, "cannot read `{path}`: {message}"),
            LoadError::Invalid(r) if r.len() == 1 => write!(f, "{}", r[0]),
            LoadError::Invalid(r) => write!(f, "{} problems in the network description", r.len()),
        }
    }
}

impl std::error::Error for LoadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_but_not_unrelated_names() {
        assert_eq!(closest("ouput", &["input", "output"]), Some("output"));
        assert_eq!(closest("tau_men", &["tau_mem", "tau_syn"]), Some("tau_mem"));
        assert_eq!(closest("zzz", &["input", "output"]), None);
        assert_eq!(closest("u", &["v", "i"]), None);
        assert_eq!(closest("vv", &["v", "i"]), Some("v"));
    }
}
