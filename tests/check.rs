//! `rgenn check` and `rgenn generate --emit-ir`, run as the real binary.
//!
//! Bad inputs are copied into a temporary folder and named relative to it, so that messages hold
//! no temporary paths.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `rgenn args...` in `dir`.
fn rgenn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rgenn"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the rgenn binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("rgenn writes UTF-8")
}

#[test]
fn check_prints_the_summary_of_a_valid_network() {
    let out = rgenn(repo(), &["check", "examples/sequence_detection.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "network `sequence_detection`: dt 1 ms, 25 steps (25 ms), f32, batch 1"
    );
    for expected in [
        "  input         2 neurons  spike_input  [12 B]",
        "  output        2 neurons  li           [160 B]  delay ring 16 slots, readout max",
        "  in_out  input -> output  [40 B]  dense, 4 synapses, delays 0..=15 steps, learns delays",
        "memory: 212 B in 10 buffers (212 bytes)",
        "training: the adjoint pass and the optimiser add 356 B in 11 buffers (356 bytes)",
    ] {
        assert!(
            lines.contains(&expected),
            "missing line {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn check_shows_how_ode_models_are_integrated_and_their_derived_adjoint() {
    let out = rgenn(repo(), &["check", "examples/ode_models.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        stdout.contains(
            "  adaptive_lif: linear in (v, i, a): exact propagator exp(A dt), the input added at \
             the step's start; adjoint derived"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  qif: nonlinear in (v): explicit midpoint method (RK2, second order) for (v, i), the \
             input added at the step's start; the adjoint pass reads (v, i) of every step from a \
             history; adjoint derived"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("adjoint:"), "{stdout}");

    let out = rgenn(
        repo(),
        &["check", "examples/ode_models.yaml", "--show-adjoint"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    for expected in [
        "# model `adaptive_lif` (models/adaptive_lif.yaml:4:7), as rgenn derived it",
        "threshold: ode_g_prev < 0.0 && v - v_thresh - beta_adapt * a >= 0.0",
        "  vars: [dl_dv, dl_di, dl_da, dl_di_next]",
        "    dl_da = old_dl_da + beta_adapt * ode_c - beta_adapt * count_grad / (1.0 / tau_mem + \
         beta_adapt * beta_adapt / tau_adapt);",
        "  weight_grad: dl_di",
        "  delay_grad: (dl_di_next - dl_di) / dt",
        "# model `lif_alpha` (models/lif_alpha.yaml:7:7), as rgenn derived it",
        "  history:",
        "    ode_x_v: v",
        "    let ode_nu_v = dt * (sharpness * (ode_m_v - v_crit) + sharpness * ode_m_v) * dl_dv / tau_mem;",
    ] {
        assert!(
            stdout.lines().any(|l| l == expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }

    let out = rgenn(
        repo(),
        &[
            "check",
            "examples/sequence_detection.yaml",
            "--show-adjoint",
        ],
    );
    assert!(text(&out.stdout).contains("no model of this network is written as ODEs"));
}

#[test]
fn check_reports_a_bad_network_with_its_position_and_a_caret() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: net\n\
         dt: 1.0\n\
         duration: 10.0\n\
         populations:\n  \
           input: {size: 2, model: spike_input}\n  \
           output: {size: 2, model: li}\n\
         connections:\n  \
           in_out: {source: inptu, target: output, weight: 1.0}\n",
    )
    .expect("writing the bad network");
    let out = rgenn(dir.path(), &["check", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr,
        "error at bad.yaml:8:20
rgenn::validate::unknown_population

  × no population is named `inptu`
   ╭─[bad.yaml:8:20]
 7 │ connections:
 8 │   in_out: {source: inptu, target: output, weight: 1.0}
   ·                    ──┬──
   ·                      ╰── unknown population
   ╰────
  help: expected one of `input`, `output`

"
    );
}

#[test]
fn check_fails_cleanly_on_every_file_of_the_error_corpus() {
    let corpus = repo().join("codegen/tests/errors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("the error corpus exists")
        .map(|e| e.expect("readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 36, "only {} corpus files", files.len());
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).expect("UTF-8");
        let out = rgenn(&corpus, &["check", name]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        // One report: one location line, one caret label, no "N problems" footer.
        assert_eq!(stderr.matches("error at ").count(), 1, "{name}: {stderr}");
        assert_eq!(stderr.matches("╰── ").count(), 1, "{name}: {stderr}");
        assert!(!stderr.contains("problems found"), "{name}: {stderr}");
        let file_of_problem = match name.strip_prefix("code_") {
            Some(model) => format!("models/{model}"),
            None => name.to_string(),
        };
        assert!(
            stderr.starts_with(&format!("error at {file_of_problem}:")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn check_names_a_missing_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = rgenn(dir.path(), &["check", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot read `missing.yaml`: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn emit_ir_prints_the_same_json_from_any_folder() {
    let relative = rgenn(
        repo(),
        &["generate", "examples/sequence_detection.yaml", "--emit-ir"],
    );
    assert_eq!(
        relative.status.code(),
        Some(0),
        "stderr: {}",
        text(&relative.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&relative.stdout).expect("--emit-ir prints valid JSON");
    assert_eq!(json["name"], "sequence_detection");
    assert_eq!(json["n_steps"], 25);
    assert_eq!(json["populations"][1]["ring_len"], 16);
    assert!(json["ir_version"].is_u64());

    let again = rgenn(
        repo(),
        &["generate", "examples/sequence_detection.yaml", "--emit-ir"],
    );
    assert_eq!(again.stdout, relative.stdout, "two runs differ");

    // The same network named by its absolute path from another folder.
    let elsewhere = tempfile::tempdir().expect("a temporary folder");
    let absolute = repo().join("examples/sequence_detection.yaml");
    let absolute = absolute.to_str().expect("UTF-8 path");
    let moved = rgenn(elsewhere.path(), &["generate", absolute, "--emit-ir"]);
    assert_eq!(moved.status.code(), Some(0));
    assert_eq!(
        moved.stdout, relative.stdout,
        "the IR depends on the working folder"
    );
}

/// `mlgenn_lambda:` (mlGeNN's `reg_lambda_upper`, as the paper quotes it) becomes rgenn's
/// strength times the readout population's tau_mem, and `check` says so.
#[test]
fn check_converts_an_mlgenn_regularisation_strength() {
    let out = rgenn(repo(), &["check", "examples/shd_recurrent.yaml"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l
            == "regularisation: 14 target spikes per neuron and trial, strength 1e-9 \
                (mlgenn_lambda 5e-11 x the readout's tau_mem)"),
        "{stdout}"
    );
}
