//! End-to-end tests of training over MPI (`--features mpi`, docs/distributed.md): `mpirun -n 2`
//! and `-n 4` train examples/distributed.yaml to the same bytes as one process, in f32 and f64;
//! a run checkpointed by 2 ranks resumes on 1 to the same bytes; a rank that fails mid-epoch ends
//! the job at once with its message.
//!
//! Needs `mpirun` (Open MPI: `apt-get install openmpi-bin libopenmpi-dev`). Without it the tests
//! say so and pass, unless `RGENN_REQUIRE_MPI=1` (as CI sets), which makes a missing mpirun fail.

#![cfg(feature = "mpi")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{rgenn, root};

/// `mpirun`, or `None` (with a note) where it is absent and not required.
fn mpirun() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("mpirun"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("RGENN_REQUIRE_MPI").as_deref() != Ok("1"),
            "RGENN_REQUIRE_MPI=1 but no mpirun on PATH (apt-get install openmpi-bin)"
        );
        eprintln!("skipped: no mpirun on PATH (apt-get install openmpi-bin libopenmpi-dev)");
    }
    found
}

/// `mpirun -n ranks rgenn args` with one thread per rank, as root too, oversubscribing the cores.
fn mpi_rgenn(mpirun: &Path, ranks: usize, args: &[&str], cache: &Path) -> Output {
    Command::new(mpirun)
        .args([
            "-n",
            &ranks.to_string(),
            "--oversubscribe",
            "--bind-to",
            "none",
        ])
        .arg(env!("CARGO_BIN_EXE_rgenn"))
        .args(args)
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun runs")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `metrics.csv` without its timing columns (seconds, examples per second), as tests/train.rs
/// compares runs.
fn metrics(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    text.lines()
        .map(|l| l.split(',').take(9).collect::<Vec<_>>().join(","))
        .collect()
}

fn refs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// examples/distributed.yaml in `dir` with `precision`.
fn model(dir: &Path, precision: &str) -> PathBuf {
    model_grouped(dir, precision, 1)
}

/// examples/distributed.yaml in `precision` with `lane_group: group`.
fn model_grouped(dir: &Path, precision: &str, group: u32) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/distributed.yaml"))
        .unwrap()
        .replace("precision: f32", &format!("precision: {precision}"))
        .replace(
            "batch_size: 8",
            &format!("batch_size: 8\nlane_group: {group}"),
        );
    let path = dir.join(format!("distributed_{precision}_g{group}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn train_args<'a>(model: &'a Path, run: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        model.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--threads",
        "1",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args
}

fn assert_same_run(a: &Path, b: &Path) {
    assert_eq!(metrics(a), metrics(b), "metrics.csv of {}", b.display());
    for file in ["params.npz", "params_last.npz", "checkpoint.npz"] {
        assert!(
            bytes(&a.join(file)) == bytes(&b.join(file)),
            "{file} of {} differs",
            b.display()
        );
    }
}

#[test]
fn two_and_four_ranks_train_the_same_bytes_as_one_process() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for precision in ["f32", "f64"] {
        let model = model(tmp.path(), precision);
        let one = tmp.path().join(format!("one_{precision}"));
        ok(&rgenn(&train_args(&model, &one, &[]), tmp.path()));
        for ranks in [2, 4] {
            let run = tmp.path().join(format!("ranks{ranks}_{precision}"));
            let o = mpi_rgenn(&mpirun, ranks, &train_args(&model, &run, &[]), tmp.path());
            ok(&o);
            assert_same_run(&one, &run);
        }
    }
}

/// Lane groups stay on one process: with groups of 4 in batches of 8, 2 ranks run a group each
/// and 4 ranks leave two idle, and both train the bytes one process trains.
#[test]
fn ranks_train_lane_groups_to_the_same_bytes_as_one_process() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let model = model_grouped(tmp.path(), "f32", 4);
    let one = tmp.path().join("one_g4");
    ok(&rgenn(&train_args(&model, &one, &[]), tmp.path()));
    for ranks in [2, 4] {
        let run = tmp.path().join(format!("ranks{ranks}_g4"));
        ok(&mpi_rgenn(
            &mpirun,
            ranks,
            &train_args(&model, &run, &[]),
            tmp.path(),
        ));
        assert_same_run(&one, &run);
    }
}

#[test]
fn a_run_checkpointed_by_two_ranks_resumes_on_one() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let model = model(tmp.path(), "f32");
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    ok(&rgenn(&train_args(&model, &whole, &[]), tmp.path()));
    let first = train_args(&model, &split, &["--epochs", "1"]);
    ok(&mpi_rgenn(&mpirun, 2, &first, tmp.path()));
    ok(&rgenn(
        &train_args(&model, &split, &["--resume"]),
        tmp.path(),
    ));
    assert_same_run(&whole, &split);
}

/// `n` trials of 5 units with 3 classes; with `bad`, trial 30 has a spike of unit 99, which only
/// the rank that bins it finds (batch 4 of 5, lane 6: rank 1 of 2).
fn dataset(path: &Path, n: u32, bad: bool) {
    let mut d = rgenn_runtime::data::SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    };
    for k in 0..n {
        for u in 0..5 {
            d.times.push(1.0 + f64::from((k * 7 + u * 3) % 20));
            d.units.push(if bad && k == 30 && u == 2 { 99 } else { u });
        }
        d.offsets.push(d.times.len() as u64);
        d.labels.as_mut().unwrap().push(i64::from(k % 3));
    }
    rgenn_runtime::data::shd::write_npz(path, &d, None).unwrap();
}

#[test]
fn a_rank_failing_mid_epoch_ends_the_job_with_its_message() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    dataset(&tmp.path().join("bad.npz"), 40, true);
    let text = std::fs::read_to_string(model(tmp.path(), "f32"))
        .unwrap()
        .replace("{generator: yin_yang, trials: 150}", "{npz: bad.npz}")
        .replace("epochs: 2", "epochs: 2\n  shuffle: false");
    let model = tmp.path().join("bad.yaml");
    std::fs::write(&model, text).unwrap();
    let run = tmp.path().join("run");
    // one process first (it fails at the same trial), which also fills the build cache
    let single = rgenn(&train_args(&model, &run, &[]), tmp.path());
    let message = "trial 30 has a spike of unit 99";
    assert!(common::stderr(&single).contains(message));
    let clock = Instant::now();
    let o = mpi_rgenn(&mpirun, 2, &train_args(&model, &run, &[]), tmp.path());
    let took = clock.elapsed();
    let err = common::stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("rank 1 of 2") && err.contains(message),
        "{err}"
    );
    // said once, by rank 0
    assert_eq!(err.matches(message).count(), 1, "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(!run.join("checkpoint.npz").exists());
}

#[test]
fn grad_and_eval_over_ranks_give_what_one_process_gives() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // 37 trials: the last batch of 8 is short (5 lanes: 2 ranks run 4 and 1)
    let data = tmp.path().join("d.npz");
    dataset(&data, 37, false);
    let model = model(tmp.path(), "f32");
    let (m, d) = (model.to_str().unwrap(), data.to_str().unwrap());
    let g1 = tmp.path().join("g1.npz");
    let g2 = tmp.path().join("g2.npz");
    let (o1, o2) = (g1.to_str().unwrap(), g2.to_str().unwrap());
    ok(&rgenn(
        &["grad", m, "--data", d, "--out", o1, "--threads", "1"],
        tmp.path(),
    ));
    let args = ["grad", m, "--data", d, "--out", o2, "--threads", "1"];
    ok(&mpi_rgenn(&mpirun, 2, &args, tmp.path()));
    assert!(bytes(&g1) == bytes(&g2), "grad output differs");
    // eval of the validation and test splits, and of a dataset file
    let run = tmp.path().join("run");
    ok(&rgenn(
        &train_args(&model, &run, &["--epochs", "1"]),
        tmp.path(),
    ));
    let params = run.join("params.npz");
    let p = params.to_str().unwrap();
    for extra in [&[][..], &["--data", d][..]] {
        let mut args = vec!["eval", m, "--params", p, "--threads", "1"];
        args.extend_from_slice(extra);
        let one = rgenn(&args, tmp.path());
        ok(&one);
        for ranks in [2, 4] {
            let many = mpi_rgenn(&mpirun, ranks, &args, tmp.path());
            ok(&many);
            assert_eq!(
                String::from_utf8_lossy(&one.stdout),
                String::from_utf8_lossy(&many.stdout),
                "{ranks} ranks"
            );
        }
    }
}

#[test]
fn simulate_over_ranks_writes_what_one_process_writes() {
    let Some(mpirun) = mpirun() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // the bundled recurrent example (spikes, recorded voltages, readouts; batch 4) on 9 trials,
    // the last batch of 1
    let data = tmp.path().join("d.npz");
    dataset(&data, 9, false);
    let d = data.to_str().unwrap();
    let out = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let (o1, o2, o4) = (out("s1.npz"), out("s2.npz"), out("s4.npz"));
    let model = "examples/recurrent_delays.yaml";
    let args = |o: &str| -> Vec<String> {
        ["simulate", model, "--data", d, "--out", o, "--threads", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let (a1, a2, a4) = (args(&o1), args(&o2), args(&o4));
    ok(&rgenn(&refs(&a1), tmp.path()));
    ok(&mpi_rgenn(&mpirun, 2, &refs(&a2), tmp.path()));
    ok(&mpi_rgenn(&mpirun, 4, &refs(&a4), tmp.path()));
    assert!(bytes(Path::new(&o1)) == bytes(Path::new(&o2)), "2 ranks");
    assert!(bytes(Path::new(&o1)) == bytes(Path::new(&o4)), "4 ranks");
}
