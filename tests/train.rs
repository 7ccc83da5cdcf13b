//! End-to-end tests of `rgenn train` and `rgenn eval` through the real binary: the paper's
//! sequence-detection result, Yin-Yang above chance, determinism, and resuming.

mod common;

use common::{rgenn, root};
use std::path::{Path, PathBuf};
use std::process::Output;

use rgenn_runtime::data::npz::NpzFile;

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "rgenn failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `metrics.csv` rows without the timing columns (seconds, examples per second).
fn metrics(run: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').take(9).map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], k: usize) -> Vec<f64> {
    rows.iter().map(|r| r[k].parse().unwrap()).collect()
}

#[test]
fn sequence_detection_is_solved_with_delays_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let o = rgenn(
        &[
            "train",
            "examples/sequence_detection.yaml",
            "--out",
            run.to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    // Each epoch presents each class once; the paper needs 6 presentations of each.
    let test_accuracy = column(&metrics(&run), 6);
    let first = test_accuracy.iter().position(|&a| a == 1.0);
    assert!(
        first.is_some_and(|e| e < 20),
        "test accuracy by epoch: {test_accuracy:?}"
    );
    assert_eq!(*test_accuracy.last().unwrap(), 1.0);
    let mut f = NpzFile::open(&run.join("params_last.npz")).unwrap();
    let d = f.floats("in_out.delay").unwrap().values;
    // Started at [[0, 10], [10, 0]] ms; the solution delays input 0 by 10 ms more than input 1 at
    // output 0 and the reverse at output 1.
    assert!(
        (8.0..=15.0).contains(&d[0]) && (8.0..=15.0).contains(&d[3]),
        "{d:?}"
    );
    assert!(d[1] <= 4.0 && d[2] <= 4.0, "{d:?}");
    // Weights are frozen (learning rate 0) and not learned.
    let w = f.floats("in_out.weight").unwrap().values;
    assert_eq!(w, [1.0, 1.0, 1.0, 1.0]);
    for file in [
        "params.npz",
        "checkpoint.npz",
        "model.yaml",
        "model.ir.json",
    ] {
        assert!(run.join(file).is_file(), "{file}");
    }
}

/// A small Yin-Yang network (hidden 32, 600 training points) written next to the run.
fn small_yin_yang(dir: &Path, epochs: u32) -> PathBuf {
    let path = dir.join("yin_yang.yaml");
    std::fs::write(&path, common::small_yin_yang(32, epochs, [600, 300, 300])).unwrap();
    path
}

fn train(model: &Path, run: &Path, cache: &Path, extra: &[&str]) {
    let mut args = vec![
        "train",
        model.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    ok(&rgenn(&args, cache));
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn yin_yang_learns_well_above_chance() {
    let tmp = tempfile::tempdir().unwrap();
    let model = small_yin_yang(tmp.path(), 4);
    let run = tmp.path().join("run");
    train(&model, &run, tmp.path(), &[]);
    let rows = metrics(&run);
    let test = column(&rows, 6);
    assert!(
        *test.last().unwrap() > 0.7,
        "test accuracy by epoch: {test:?} (chance is 1/3)"
    );
    // `eval` reproduces the last epoch's test score from params_last.npz.
    let o = rgenn(
        &[
            "eval",
            model.to_str().unwrap(),
            "--params",
            run.join("params_last.npz").to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    let expected = format!("test: accuracy {:.2}%", 100.0 * test.last().unwrap());
    assert!(out.contains(&expected), "{out} lacks {expected}");
}

/// Models written as ODEs train through their derived adjoints like a hand-written one: `alif`
/// (linear, exact propagator) and `qif` (nonlinear, midpoint steps and a state history).
#[test]
fn yin_yang_learns_with_models_written_as_odes() {
    for hidden in ["alif", "qif"] {
        let tmp = tempfile::tempdir().unwrap();
        let model = small_yin_yang(tmp.path(), 4);
        let text = std::fs::read_to_string(&model).unwrap();
        assert!(text.contains("model: lif,"));
        std::fs::write(
            &model,
            text.replace("model: lif,", &format!("model: {hidden},")),
        )
        .unwrap();
        let run = tmp.path().join("run");
        train(&model, &run, tmp.path(), &[]);
        let test = column(&metrics(&run), 6);
        assert!(
            *test.last().unwrap() > 0.7,
            "{hidden}: test accuracy by epoch: {test:?} (chance is 1/3)"
        );
    }
}

#[test]
fn same_seed_gives_identical_runs_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let model = small_yin_yang(tmp.path(), 2);
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    train(&model, &a, tmp.path(), &["--threads", "2"]);
    train(&model, &b, tmp.path(), &["--threads", "2"]);
    train(&model, &c, tmp.path(), &["--threads", "1"]);
    assert_eq!(metrics(&a), metrics(&b));
    assert_eq!(
        bytes(&a.join("params_last.npz")),
        bytes(&b.join("params_last.npz"))
    );
    assert_eq!(metrics(&a), metrics(&c));
    assert_eq!(
        bytes(&a.join("params_last.npz")),
        bytes(&c.join("params_last.npz"))
    );
}

/// The lane-group example trains to the same bytes on 1 and 2 threads, with the cpu and the rust
/// backend (one epoch on a shortened training set).
#[test]
fn lane_groups_train_the_same_bytes_whatever_the_threads_and_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/yin_yang_lane_groups.yaml"))
        .unwrap()
        .replace("epochs: 40", "epochs: 1")
        .replace(
            "train:      {generator: yin_yang}",
            "train:      {generator: yin_yang, trials: 320}",
        )
        .replace(
            "validation: {generator: yin_yang}",
            "validation: {generator: yin_yang, trials: 64}",
        )
        .replace(
            "test:       {generator: yin_yang}",
            "test:       {generator: yin_yang, trials: 64}",
        );
    let model = tmp.path().join("grouped.yaml");
    std::fs::write(&model, text).unwrap();
    let runs: Vec<PathBuf> = ["one", "two", "rust"]
        .iter()
        .map(|r| tmp.path().join(r))
        .collect();
    train(&model, &runs[0], tmp.path(), &["--threads", "1"]);
    train(&model, &runs[1], tmp.path(), &["--threads", "2"]);
    train(
        &model,
        &runs[2],
        tmp.path(),
        &["--threads", "2", "--backend", "rust"],
    );
    for run in &runs[1..] {
        assert_eq!(metrics(&runs[0]), metrics(run), "{}", run.display());
        assert_eq!(
            bytes(&runs[0].join("params_last.npz")),
            bytes(&run.join("params_last.npz")),
            "{}",
            run.display()
        );
    }
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let model = small_yin_yang(tmp.path(), 3);
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    train(&model, &whole, tmp.path(), &[]);
    train(&model, &split, tmp.path(), &["--epochs", "1"]);
    train(&model, &split, tmp.path(), &["--resume"]);
    assert_eq!(metrics(&whole), metrics(&split));
    for file in ["params_last.npz", "params.npz", "checkpoint.npz"] {
        assert_eq!(
            bytes(&whole.join(file)),
            bytes(&split.join(file)),
            "{file} differs"
        );
    }
}

#[test]
fn resume_without_a_checkpoint_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("nothing");
    let o = rgenn(
        &[
            "train",
            "examples/sequence_detection.yaml",
            "--out",
            run.to_str().unwrap(),
            "--resume",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("checkpoint.npz` does not exist"), "{err}");
}

/// Sequence-detection trials (class 0: input 0 then input 1 10 ms later; class 1: the reverse)
/// with 4 speakers, `speakers[k] = 20 + k % 4`, written as a spike-dataset `.npz`.
fn write_speaker_dataset(path: &Path, n: usize) {
    use rgenn_runtime::data::SpikeDataset;
    let mut d = SpikeDataset {
        offsets: vec![0],
        labels: Some(Vec::new()),
        ..Default::default()
    };
    for k in 0..n {
        let class = (k % 2) as u32;
        d.times.extend([0.0, 10.0]);
        d.units.extend([class, 1 - class]);
        d.offsets.push(d.times.len() as u64);
        d.labels.as_mut().unwrap().push(class as i64);
    }
    let speakers: Vec<i64> = (0..n as i64).map(|k| 20 + k % 4).collect();
    rgenn_runtime::data::shd::write_npz(path, &d, Some(&speakers)).unwrap();
}

/// The sequence-detection network on `train.npz` with the given `validation:` source.
fn sequence_with_validation(dir: &Path, validation: &str, extra: &str) -> PathBuf {
    write_speaker_dataset(&dir.join("train.npz"), 24);
    let text = std::fs::read_to_string(root().join("examples/sequence_detection.yaml"))
        .unwrap()
        .replace(
            "train: {generator: sequence_detection}",
            &format!("train: {{npz: train.npz}}\n  validation: {validation}"),
        )
        .replace("epochs: 20", &format!("epochs: 3\n  {extra}"));
    let path = dir.join("seq.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn speaker_fold_validation_selects_and_stops_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let model = sequence_with_validation(tmp.path(), "{speaker_fold: 2}", "patience: 1");
    let run = tmp.path().join("run");
    let o = rgenn(
        &[
            "train",
            model.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "parameters selected on leave-one-speaker-out validation: fold 2 of 4 (speaker 22, 6 of the 24 training examples"
        ),
        "{err}"
    );
    assert!(err.contains("test accuracy at the selected epoch"), "{err}");
    let result = std::fs::read_to_string(run.join("result.json")).unwrap();
    assert!(
        result.contains("\"selected_by\": \"validation\""),
        "{result}"
    );
    assert!(result.contains("\"test_set_selected\": false"), "{result}");
    // 18 examples are trained on per epoch (examples/s is 18 / seconds); 6 validate.
    let rows = metrics(&run);
    assert!(!rows[0][3].is_empty() && !rows[0][4].is_empty(), "{rows:?}");
    // `eval` evaluates the same held-out speaker.
    let o = rgenn(
        &[
            "eval",
            model.to_str().unwrap(),
            "--params",
            run.join("params_last.npz").to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    let last: f64 = rows.last().unwrap()[4].parse().unwrap();
    let expected = format!("validation: accuracy {:.2}%", 100.0 * last);
    assert!(out.contains(&expected), "{out} lacks {expected}");
}

#[test]
fn held_out_validation_is_reported_and_test_selection_is_never_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let model = sequence_with_validation(tmp.path(), "{held_out: 0.25}", "");
    let run = tmp.path().join("run");
    let o = rgenn(
        &[
            "train",
            model.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("held-out validation: 6 of the 24 training examples"),
        "{err}"
    );
    // Without a validation split the test split selects, and every report says so.
    let run = tmp.path().join("test_selected");
    let o = rgenn(
        &[
            "train",
            "examples/sequence_detection.yaml",
            "--epochs",
            "1",
            "--out",
            run.to_str().unwrap(),
        ],
        tmp.path(),
    );
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the test set chose these parameters"), "{err}");
    let result = std::fs::read_to_string(run.join("result.json")).unwrap();
    assert!(result.contains("\"test_set_selected\": true"), "{result}");
    assert!(result.contains("\"selected_by\": \"test\""), "{result}");
}

#[test]
fn a_speaker_fold_beyond_the_speakers_names_the_yaml_position() {
    let tmp = tempfile::tempdir().unwrap();
    let model = sequence_with_validation(tmp.path(), "{speaker_fold: 4}", "");
    let run = tmp.path().join("run");
    let o = rgenn(
        &[
            "train",
            model.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("seq.yaml:27:30") && err.contains("4 speakers (20, 21, 22, 23)"),
        "{err}"
    );
    assert!(!run.join("params.npz").exists());
}

#[test]
fn without_duration_the_trial_length_comes_from_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let model = sequence_with_validation(tmp.path(), "{held_out: 0.25}", "");
    let text = std::fs::read_to_string(&model).unwrap();
    let without = text.replace("duration: 25.0           # ms per trial\n", "");
    assert_ne!(text, without);
    std::fs::write(&model, without).unwrap();
    // The latest spike is at 10 ms: step 10 at dt 1 ms, so 11 steps.
    let o = rgenn(&["check", model.to_str().unwrap()], tmp.path());
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("11 steps (11 ms)"), "{out}");
    let run = tmp.path().join("run");
    train(&model, &run, tmp.path(), &["--epochs", "1"]);
    let ir = std::fs::read_to_string(run.join("model.ir.json")).unwrap();
    assert!(ir.contains("\"n_steps\": 11"), "{ir}");
}

/// One example far longer than the rest sets the trial length: `check` and `train` name it and warn.
#[test]
fn an_outlier_that_sets_the_trial_length_is_named_and_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let model = sequence_with_validation(tmp.path(), "{held_out: 0.25}", "");
    let text = std::fs::read_to_string(&model).unwrap();
    let text = text
        .replace("duration: 25.0           # ms per trial\n", "")
        .replace("test:  {generator: sequence_detection}\n", "");
    std::fs::write(&model, text).unwrap();
    let mut d = rgenn_runtime::data::SpikeDataset::read(&tmp.path().join("train.npz")).unwrap();
    // Example 5 gets one more spike at 60 ms; every other example ends at 10 ms.
    let at = d.offsets[6] as usize;
    d.times.insert(at, 60.0);
    d.units.insert(at, 0);
    for o in &mut d.offsets[6..] {
        *o += 1;
    }
    let speakers: Vec<i64> = (0..24).map(|k| 20 + k % 4).collect();
    rgenn_runtime::data::shd::write_npz(&tmp.path().join("train.npz"), &d, Some(&speakers))
        .unwrap();
    let o = rgenn(&["check", model.to_str().unwrap()], tmp.path());
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        out.contains("trial length 61 ms from the data: the latest spike (60 ms) is in example 5 of the train split"),
        "{out}"
    );
    assert!(
        out.contains("99.9 % of the other 23 examples end by 10 ms"),
        "{out}"
    );
    assert!(
        err.contains("warning: example 5 of the train split makes every trial 6.0x longer")
            && err.contains("`duration: 10`"),
        "{err}"
    );
    let o = rgenn(
        &[
            "train",
            model.to_str().unwrap(),
            "--out",
            tmp.path().join("run").to_str().unwrap(),
            "--epochs",
            "1",
            "--quiet",
        ],
        tmp.path(),
    );
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: example 5 of the train split"));
}
