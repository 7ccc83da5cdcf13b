//! End-to-end test of `rgenn bench`: the report's lines, in order, with plausible values.

mod common;

use std::process::Output;

use common::{rgenn, stderr};

/// `rgenn bench` on the bundled sequence-detection example, 2 warm-up examples, then `extra`.
fn bench(extra: &[&str], cache: &std::path::Path) -> Output {
    let mut args = vec![
        "bench",
        "examples/sequence_detection.yaml",
        "--data",
        "examples/data/sequence_detection.npz",
        "--warmup",
        "2",
    ];
    args.extend_from_slice(extra);
    rgenn(&args, cache)
}

#[test]
fn bench_reports_time_per_example_and_its_phases() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bench(&["--examples", "8", "--threads", "1"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("sequence_detection (cpu backend): batch 1, 1 thread, 8 examples"),
        "{out}"
    );
    assert!(lines[1].ends_with(" ms per training example"), "{out}");
    let phases = [
        "forward spike delivery",
        "forward neuron update",
        "backward spike processing",
        "backward neuron update",
        "loss, host calls, waiting for the slowest lane",
        "optimiser",
        "resets and inputs",
        "host overhead",
    ];
    let total: f64 = lines[1].split_whitespace().next().unwrap().parse().unwrap();
    let mut sum = 0.0;
    for (line, phase) in lines[2..10].iter().zip(phases) {
        assert!(line.ends_with(phase), "{line} should be {phase}");
        sum += line
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap();
    }
    // The phases add up to the total (each printed to 0.01 ms).
    assert!((sum - total).abs() <= 0.01 * 8.0 + 1e-9, "{sum} vs {total}");
    assert!(lines[10].ends_with(" examples per second"), "{out}");
    assert!(lines[11].contains("synaptic events per second"), "{out}");
    assert!(lines[12].ends_with(" MB peak resident memory"), "{out}");
}

#[test]
fn bench_runs_the_rust_kernels_too() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bench(&["--examples", "4", "--backend", "rust"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("sequence_detection (rust backend): batch 1"),
        "{out}"
    );
    assert!(out.contains(" ms per training example"), "{out}");
}

#[test]
fn bench_repeat_reports_the_fastest_round_and_the_spread() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |repeat| ["--examples", "4", "--threads", "1", "--repeat", repeat];
    let o = bench(&args("3"), tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].ends_with("4 examples timed after 2 warm-up, fastest of 3 rounds"),
        "{out}"
    );
    let best: f64 = lines[1].split_whitespace().next().unwrap().parse().unwrap();
    let spread = lines
        .iter()
        .find(|l| l.ends_with("ms per training example over 3 rounds (min / median / max)"))
        .unwrap_or_else(|| panic!("no spread line in {out}"));
    let ms: Vec<f64> = spread
        .split(" / ")
        .take(3)
        .map(|x| x.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(ms[0] <= ms[1] && ms[1] <= ms[2], "{spread}");
    // The report is the fastest round's (both printed to 0.01 ms).
    assert!((best - ms[0]).abs() <= 0.01 + 1e-9, "{best} vs {spread}");
    // Zero rounds is refused by the argument parser.
    let o = bench(&args("0"), tmp.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--repeat"), "{}", stderr(&o));
}

#[test]
fn bench_runs_lane_groups_and_refuses_what_is_not_a_power_of_two() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |group| {
        [
            "--examples",
            "8",
            "--batch",
            "4",
            "--threads",
            "2",
            "--lane-group",
            group,
        ]
    };
    let o = bench(&args("2"), tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("sequence_detection (cpu backend): batch 4 in lane groups of 2, 2 threads"),
        "{out}"
    );
    assert!(out.contains(" ms per training example"), "{out}");
    let o = bench(&args("3"), tmp.path());
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--lane-group must be a power of two (1, 2, 4, ...), found 3"),
        "{}",
        stderr(&o)
    );
}
