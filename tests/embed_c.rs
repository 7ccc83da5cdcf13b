//! The C embedding path end to end: `examples/embed_c` generates the sequence-detection simulator
//! with this rgenn, builds it with the generated Makefile, links a C program against it, and the
//! program's readouts equal those of `rgenn simulate` bit for bit.

mod common;

use std::process::Command;

use common::{rgenn, root, stderr};
use rgenn_runtime::data::npz::NpzFile;

#[test]
fn the_c_example_builds_runs_and_matches_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let build = tmp.path().join("build");
    let make = Command::new("make")
        .arg("-C")
        .arg(root().join("examples/embed_c"))
        .arg(format!("RGENN={}", env!("CARGO_BIN_EXE_rgenn")))
        .arg(format!("BUILD={}", build.display()))
        .output()
        .expect("make runs (apt-get install make)");
    assert!(
        make.status.success(),
        "make failed:\n{}{}",
        String::from_utf8_lossy(&make.stdout),
        stderr(&make)
    );
    for file in [
        "simulator.cpp",
        "rgenn.h",
        "Makefile",
        "librgenn_sequence_detection.a",
    ] {
        assert!(build.join("generated").join(file).is_file(), "{file}");
    }
    let run = Command::new(build.join("sequence_detection"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&run.stdout).into_owned();
    // "order K: readout A B -> predicted P" for both input orders.
    let readouts: Vec<[f32; 2]> = text
        .lines()
        .filter(|l| l.starts_with("order"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            [w[3].parse().unwrap(), w[4].parse().unwrap()]
        })
        .collect();
    assert_eq!(readouts.len(), 2, "{text}");
    assert!(
        text.contains("accuracy 0/2"),
        "initial delays fail the task:\n{text}"
    );

    let out = tmp.path().join("out.npz");
    let o = rgenn(
        &[
            "simulate",
            "examples/sequence_detection.yaml",
            "--data",
            "examples/data/sequence_detection.npz",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cli = NpzFile::open(&out)
        .unwrap()
        .floats("output.readout")
        .unwrap();
    let cli: Vec<f32> = cli.values.iter().map(|&v| v as f32).collect();
    assert_eq!(cli, readouts.concat(), "C program and CLI agree exactly");

    // Delays that solve the task, given on the command line.
    let solved = Command::new(build.join("sequence_detection"))
        .args(["12", "2", "2", "12"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&solved.stdout).contains("accuracy 2/2"));
}

/// `params.c` carries rgenn's seeded initial parameters exactly: a C program that loads Yin-Yang's
/// (random normal weights, uniform delays) prints the values the runtime computes, bit for bit.
#[test]
fn params_c_holds_the_seeded_initial_parameters_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("gen");
    let o = rgenn(
        &[
            "generate",
            "examples/yin_yang.yaml",
            "--out",
            generated.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let make = Command::new("make")
        .arg("-C")
        .arg(&generated)
        .arg("librgenn_yin_yang.a")
        .output()
        .expect("make runs");
    assert!(make.status.success(), "{}", stderr(&make));
    let program = "#include <stdio.h>\n#include \"rgenn.h\"\nint main(void) {\n    void* sim = rgenn_create();\n    rgenn_yin_yang_load_params(sim);\n    const float* w = rgenn_buffer(sim, RGENN_YIN_YANG_CONN_IN_HID_WEIGHT);\n    const float* d = rgenn_buffer(sim, RGENN_YIN_YANG_CONN_IN_HID_DELAY);\n    for (int i = 0; i < 640; i++) printf(\"%.9g %.9g\\n\", w[i], d[i]);\n    rgenn_destroy(sim);\n    return 0;\n}\n";
    std::fs::write(generated.join("main.c"), program).unwrap();
    let cc = Command::new("cc")
        .current_dir(&generated)
        .args([
            "-std=c99",
            "-Wall",
            "-Werror",
            "main.c",
            "librgenn_yin_yang.a",
        ])
        .args(["-lstdc++", "-lm", "-o", "print_params"])
        .output()
        .expect("cc runs");
    assert!(cc.status.success(), "{}", stderr(&cc));
    let run = Command::new(generated.join("print_params"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let printed: Vec<(f32, f32)> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    let loaded = rgenn_codegen::load_file(&root().join("examples/yin_yang.yaml")).unwrap();
    let params = rgenn_runtime::sim::init::initial_params(&loaded.ir, &loaded.base_dir).unwrap();
    let expected: Vec<(f32, f32)> = params.weights[0]
        .iter()
        .zip(&params.delays_ms[0])
        .map(|(&w, &d)| (w as f32, d as f32))
        .collect();
    assert_eq!(printed.len(), 640);
    assert_eq!(printed, expected);
}
