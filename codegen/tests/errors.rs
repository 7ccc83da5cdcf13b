//! The error corpus: every `tests/errors/*.yaml` is a small network with exactly one problem.
//!
//! Each must fail to load with exactly one report, whose location names the file that holds the
//! problem: the network itself, or for `code_*.yaml` the user model `models/<rest>` that it uses.
//! The snapshot is the report as the CLI renders it: the `file:line:column` line, then miette's
//! graphical report (message, the source line with a caret under the problem, help).

use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme};
use rgenn_codegen::{LoadError, load_file};

/// The corpus file as a path relative to the crate folder (the test's working directory), so
/// that locations and snapshots do not depend on where the repository lives.
fn relative(path: &Path) -> &Path {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .expect("insta::glob! yields paths inside the crate")
}

/// The file the report must point into.
fn expected_file(network: &Path) -> String {
    let stem = network
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("corpus file names are UTF-8");
    match stem.strip_prefix("code_") {
        Some(model) => format!("tests/errors/models/{model}.yaml"),
        None => network.display().to_string(),
    }
}

/// The one report of a corpus file rendered as the CLI shows it, or what is wrong with the result.
fn render(path: &Path, handler: &GraphicalReportHandler) -> Result<String, String> {
    let reports = match load_file(path) {
        Ok(_) => return Err("loaded without an error".into()),
        Err(LoadError::Io { path, message }) => {
            return Err(format!("cannot read {path}: {message}"));
        }
        Err(LoadError::Invalid(reports)) => reports,
    };
    let [report] = reports.as_slice() else {
        let all: Vec<String> = reports
            .iter()
            .map(|r| format!("{} {r}", r.location))
            .collect();
        return Err(format!("expected one report, found {all:?}"));
    };
    let file = expected_file(path);
    let position = report
        .location
        .strip_prefix(&format!("{file}:"))
        .ok_or_else(|| format!("location `{}` is not in `{file}`", report.location))?;
    let numbers: Vec<&str> = position.split(':').collect();
    if numbers.len() != 2
        || numbers
            .iter()
            .any(|n| n.parse::<u32>().map_or(true, |n| n == 0))
    {
        return Err(format!(
            "location `{}` is not file:line:column",
            report.location
        ));
    }
    let mut text = format!("error at {}\n", report.location);
    handler
        .render_report(&mut text, report)
        .map_err(|e| format!("rendering failed: {e}"))?;
    Ok(text)
}

#[test]
fn every_bad_network_fails_with_one_located_report() {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut problems = Vec::new();
    insta::glob!("errors/*.yaml", |path| {
        let path = relative(path);
        match render(path, &handler) {
            Ok(text) => insta::assert_snapshot!(text),
            Err(problem) => problems.push(format!("{}: {problem}", path.display())),
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn corpus_is_large_and_every_model_file_is_used() {
    let dir = Path::new("tests/errors");
    let mut networks = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the corpus folder exists") {
        let path = entry.expect("readable folder entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            networks.push(path);
        }
    }
    assert!(
        networks.len() >= 75,
        "the corpus holds {} files",
        networks.len()
    );
    for entry in std::fs::read_dir(dir.join("models")).expect("the model folder exists") {
        let model = entry.expect("readable folder entry").path();
        let stem = model.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let network = dir.join(format!("code_{stem}.yaml"));
        assert!(
            network.is_file(),
            "{} has no network `{}` that uses it",
            model.display(),
            network.display()
        );
    }
}
