//! The build cache under contention and damage: concurrent builds of one network all succeed and
//! leave one entry; a truncated or corrupted library, or an entry of another rgenn version, is
//! rebuilt and never loaded; an unwritable cache folder is a clear error naming RGENN_CACHE_DIR.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{rgenn, root, stderr};

const MODEL: &str = "examples/sequence_detection.yaml";

fn build(cache: &Path) -> Output {
    rgenn(&["build", MODEL], cache)
}

/// The library path `rgenn build` printed.
fn library(o: &Output) -> PathBuf {
    assert!(o.status.success(), "rgenn build failed:\n{}", stderr(o));
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

/// The entry folders of a cache (temporary and discarded folders start with `.`).
fn entries(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// One epoch of `rgenn train` through the cached library: it loads and runs.
fn train(cache: &Path, out: &Path) -> Output {
    let out = out.to_str().unwrap();
    rgenn(
        &["train", MODEL, "--epochs", "1", "--quiet", "--out", out],
        cache,
    )
}

#[test]
fn four_processes_building_at_once_all_succeed_with_one_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_rgenn"))
                .args(["build", MODEL])
                .current_dir(root())
                .env("RGENN_CACHE_DIR", &cache)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let libs: Vec<PathBuf> = children
        .into_iter()
        .map(|c| library(&c.wait_with_output().unwrap()))
        .collect();
    assert!(libs.windows(2).all(|w| w[0] == w[1]), "{libs:?}");
    assert_eq!(entries(&cache).len(), 1, "{:?}", entries(&cache));
    assert!(libs[0].is_file());
}

/// A name and a way of damaging a cache entry.
type Damage<'a> = (&'static str, Box<dyn Fn() + 'a>);

#[test]
fn a_damaged_or_foreign_entry_is_rebuilt_and_never_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let lib = library(&build(&cache));
    let good = std::fs::read(&lib).unwrap();
    let stamp = lib.parent().unwrap().join("entry.stamp");
    let damages: [Damage; 4] = [
        (
            "truncated",
            Box::new(|| std::fs::write(&lib, &good[..good.len() / 2]).unwrap()),
        ),
        (
            "corrupted",
            Box::new(|| {
                let mut bad = good.clone();
                let mid = bad.len() / 2;
                bad[mid..mid + 64].iter_mut().for_each(|b| *b ^= 0xa5);
                std::fs::write(&lib, bad).unwrap()
            }),
        ),
        (
            "another rgenn version",
            Box::new(|| {
                let text = std::fs::read_to_string(&stamp).unwrap();
                let other = text.replace(
                    &format!("version {}", env!("CARGO_PKG_VERSION")),
                    "version 0.0.0-other",
                );
                std::fs::write(&stamp, other).unwrap()
            }),
        ),
        (
            "unsealed",
            Box::new(|| std::fs::remove_file(&stamp).unwrap()),
        ),
    ];
    for (what, damage) in damages {
        damage();
        let o = build(&cache);
        assert_eq!(library(&o), lib, "{what}");
        assert!(stderr(&o).starts_with("compiled"), "{what}: {}", stderr(&o));
        assert_eq!(std::fs::read(&lib).unwrap().len(), good.len(), "{what}");
        assert_eq!(entries(&cache).len(), 1, "{what}: {:?}", entries(&cache));
        let up = build(&cache);
        assert!(stderr(&up).starts_with("up to date"), "{what}");
    }
    // Damage once more and load straight away: the run rebuilds rather than loading it.
    std::fs::write(&lib, &good[..100]).unwrap();
    let o = train(&cache, &tmp.path().join("run"));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_unwritable_cache_folder_names_rgenn_cache_dir() {
    let tmp = tempfile::tempdir().unwrap();
    // A path below a regular file cannot be created, whoever runs the test.
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, b"").unwrap();
    let o = build(&file.join("cache"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("cannot write the build cache"), "{err}");
    assert!(err.contains("RGENN_CACHE_DIR"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
