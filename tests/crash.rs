//! Crash safety: `rgenn train` killed with SIGKILL at arbitrary points (inside an epoch, between
//! an epoch's files, while the checkpoint is written) and continued with `--resume` ends with the
//! same files, byte for byte, as a run that was never interrupted; a checkpoint of a different
//! network is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{rgenn, root, stderr};

const EPOCHS: &str = "6";

/// A Yin-Yang network big enough that an epoch takes a noticeable time (the epochs come from the
/// command line).
fn model(dir: &Path, hidden: u32) -> PathBuf {
    let path = dir.join(format!("yin_yang_{hidden}.yaml"));
    std::fs::write(&path, common::small_yin_yang(hidden, 40, [3000, 300, 300])).unwrap();
    path
}

fn args<'a>(model: &'a Path, run: &'a Path, resume: bool) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        model.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--epochs",
        EPOCHS,
        "--quiet",
    ];
    if resume {
        a.push("--resume");
    }
    a
}

fn spawn(model: &Path, run: &Path, cache: &Path) -> Child {
    let resume = run.join("checkpoint.npz").is_file();
    Command::new(env!("CARGO_BIN_EXE_rgenn"))
        .args(args(model, run, resume))
        .current_dir(root())
        .env("RGENN_CACHE_DIR", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The files a finished run must reproduce exactly (metrics without its timing columns).
fn outputs(run: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = [
        "params.npz",
        "params_last.npz",
        "checkpoint.npz",
        "result.json",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read(run.join(f)).unwrap()))
    .collect();
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let rows: Vec<String> = metrics
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [&f[..9], &f[11..]].concat().join(",")
        })
        .collect();
    out.push(("metrics.csv".into(), rows.join("\n").into_bytes()));
    out
}

/// Epochs a run folder's metrics.csv records (0 without one).
fn epochs_done(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.csv"))
        .map_or(0, |m| m.lines().count().saturating_sub(1))
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{name} differs from the uninterrupted run");
    }
}

#[test]
fn kill_9_at_arbitrary_points_then_resume_gives_the_uninterrupted_files() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let model = model(tmp.path(), 32);
    let whole = tmp.path().join("whole");
    // Compile first, so that the time measured is the training's, as every restart sees it.
    let o = rgenn(&["build", model.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    let started = Instant::now();
    let o = rgenn(&args(&model, &whole, false), &cache);
    let epoch_time = started.elapsed().div_f64(EPOCHS.parse().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = outputs(&whole);

    let run = tmp.path().join("killed");
    // Each restart runs until it has finished one more epoch (its line in metrics.csv), then is
    // killed after a varying part of an epoch: inside the next epoch, between an epoch's files or
    // while they are written. Progress, not the clock, decides, so a machine that slows down or
    // speeds up between runs changes nothing; the last epoch's restart finishes on its own.
    let fractions = [0.3, 0.05, 0.6, 0.15, 0.5, 0.45, 0.0, 0.7, 0.25, 0.4];
    let (mut kills, mut finished) = (0, false);
    for attempt in 0..60 {
        let done = epochs_done(&run);
        let mut child = spawn(&model, &run, &cache);
        let deadline = Instant::now() + epoch_time * 30 + Duration::from_secs(60);
        while epochs_done(&run) == done && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a restart made no progress");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(epoch_time.mul_f64(fractions[attempt % fractions.len()]));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let o = child.wait_with_output().unwrap();
        if o.status.success() {
            finished = true;
            break;
        }
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("error"),
            "a killed run's successor failed: {err}"
        );
    }
    assert!(finished, "the run never finished");
    eprintln!("{kills} kills landed before a restart finished on its own");
    assert!(kills >= 3, "only {kills} kills landed");
    assert_same(&expected, &outputs(&run));
}

#[test]
fn a_kill_while_the_checkpoint_is_written_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let model = model(tmp.path(), 16);
    let run = |name: &str, epochs: &str| {
        let dir = tmp.path().join(name);
        let mut a = args(&model, &dir, false);
        a[5] = epochs;
        let o = rgenn(&a, &cache);
        assert!(o.status.success(), "{}", stderr(&o));
        dir
    };
    let whole = run("whole", EPOCHS);
    let (two, three) = (run("two", "2"), run("three", "3"));
    // What SIGKILL during epoch 3's checkpoint write leaves: epoch 3's parameters and metrics
    // written, the checkpoint still epoch 2's, and a half-written temporary checkpoint beside it.
    for f in ["params.npz", "params_last.npz", "metrics.csv"] {
        std::fs::copy(three.join(f), two.join(f)).unwrap();
    }
    let half = std::fs::read(three.join("checkpoint.npz")).unwrap();
    std::fs::write(
        two.join(".checkpoint.npz.tmp-99999"),
        &half[..half.len() / 2],
    )
    .unwrap();
    let o = rgenn(&args(&model, &two, true), &cache);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same(&outputs(&whole), &outputs(&two));
}

#[test]
fn a_checkpoint_of_another_network_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let model = model(tmp.path(), 16);
    let dir = tmp.path().join("run");
    let mut a = args(&model, &dir, false);
    a[5] = "1";
    assert!(rgenn(&a, &cache).status.success());
    // Same shapes, another network: the hidden time constant changed.
    let text = std::fs::read_to_string(&model).unwrap();
    let changed = text.replacen("tau_mem: 20.0", "tau_mem: 15.0", 1);
    assert_ne!(text, changed, "the example sets tau_mem");
    std::fs::write(&model, changed).unwrap();
    let o = rgenn(&args(&model, &dir, true), &cache);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("checkpoint.npz") && err.contains("written for another version of network"),
        "{err}"
    );
    // Changing only the learning rate is not a different network: resuming works.
    std::fs::write(&model, text.replace("lr: 0.005", "lr: 0.004")).unwrap();
    let o = rgenn(&args(&model, &dir, true), &cache);
    assert!(o.status.success(), "{}", stderr(&o));
}
