//! A property-based fuzz harness for the `.npz` readers: mutated copies of valid spike datasets and
//! parameter files (bytes flipped, ranges cut or repeated, `.npy` header fields rewritten) must
//! read or fail with an error, never panic and never allocate beyond the file's own size.
//!
//! Reproducible from its seed; CI runs `RGENN_FUZZ_ITERS` inputs (default 1500); longer with e.g.
//! `RGENN_FUZZ_ITERS=100000 RGENN_FUZZ_SEED=7 cargo test -p rgenn-runtime --test fuzz_npz --
//! --nocapture`. A panicking input is saved under `target/.../fuzz-crashes/`; fixed ones go into
//! `tests/fuzz_regressions/`, read first on every run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rgenn_codegen::rng::Rng;
use rgenn_runtime::data::SpikeDataset;
use rgenn_runtime::data::npz::{OutArray, write};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn below(rng: &mut Rng, n: usize) -> usize {
    ((rng.uniform() * n as f64) as usize).min(n.saturating_sub(1))
}

/// Valid files to start from: the example dataset and a few written here.
fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = vec![std::fs::read(root.join("examples/data/sequence_detection.npz")).unwrap()];
    let sets: Vec<Vec<(String, Vec<u64>, OutArray)>> = vec![
        vec![
            ("times".into(), vec![3], OutArray::F64(vec![0.5, 2.0, 1.0])),
            ("units".into(), vec![3], OutArray::U32(vec![0, 1, 0])),
            ("offsets".into(), vec![3], OutArray::U64(vec![0, 1, 3])),
            ("labels".into(), vec![2], OutArray::I64(vec![1, 0])),
        ],
        vec![
            ("times".into(), vec![2], OutArray::F32(vec![3.0, 1.0])),
            ("units".into(), vec![2], OutArray::U64(vec![1, 1])),
            ("offsets".into(), vec![2], OutArray::U32(vec![0, 2])),
        ],
    ];
    for (k, set) in sets.iter().enumerate() {
        let p = dir.join(format!("seed{k}.npz"));
        write(&p, set).unwrap();
        out.push(std::fs::read(p).unwrap());
    }
    out
}

const HEADER_EDITS: &[(&str, &str)] = &[
    ("(", "(99999999999, "),
    ("(", "(18446744073709551615, 3, "),
    ("<f4", "<f8"),
    ("<f8", "<u2"),
    ("<u4", "|O"),
    ("<u8", ">u8"),
    ("False", "True"),
    ("'shape'", "'shap'"),
    ("NUMPY", "NUMPX"),
    ("\x01\x00", "\x03\x00"),
];

fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + below(rng, 3) {
        let n = b.len();
        if n == 0 {
            break;
        }
        let at = below(rng, n);
        match below(rng, 5) {
            0 => {
                for _ in 0..1 + below(rng, 8) {
                    let k = below(rng, n);
                    b[k] ^= 1 << below(rng, 8);
                }
            }
            1 => b.truncate(at),
            2 => {
                let end = (at + 1 + below(rng, 64)).min(n);
                let piece = b[at..end].to_vec();
                b.splice(at..at, piece);
            }
            _ => {
                // rewrite a header field; the archives are stored, so headers are plain text
                let (from, to) = HEADER_EDITS[below(rng, HEADER_EDITS.len())];
                if let Some(k) = b.windows(from.len()).position(|w| w == from.as_bytes()) {
                    b.splice(k..k + from.len(), to.bytes());
                }
            }
        }
    }
    b
}

#[test]
fn mutated_npz_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let pool = seeds(dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut regressions: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fuzz_regressions"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "npz"))
        .collect();
    regressions.sort();
    let fixed = regressions.iter().map(|p| std::fs::read(p).unwrap());
    let mut rng = Rng::new(env_or("RGENN_FUZZ_SEED", 1));
    let mutated = (0..env_or("RGENN_FUZZ_ITERS", 1500)).map(|_| {
        let s = &pool[below(&mut rng, pool.len())];
        mutate(&mut rng, s)
    });
    let mut count = 0usize;
    let crashes = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
    let file = dir.path().join("input.npz");
    let net = rgenn_codegen::load_file(&root.join("../examples/sequence_detection.yaml"))
        .unwrap()
        .ir;
    let initial =
        rgenn_runtime::sim::init::initial_params(&net, &root.join("../examples")).unwrap();
    let (mut found, mut ok) = (Vec::new(), 0usize);
    for (k, input) in fixed.chain(mutated).enumerate() {
        count += 1;
        std::fs::write(&file, &input).unwrap();
        let run = catch_unwind(AssertUnwindSafe(|| {
            let read = SpikeDataset::read(&file);
            let mut p = initial.clone();
            let _ = rgenn_runtime::sim::init::read_params(&net, &file, &mut p);
            if let Ok(d) = &read {
                for t in 0..d.len() {
                    let _ = d.bin(t, net.dt_ms, net.n_steps, 2, &file);
                }
            }
            read.is_ok()
        }));
        match run {
            Ok(true) => ok += 1,
            Ok(false) => {}
            Err(_) => {
                std::fs::create_dir_all(&crashes).unwrap();
                let p = crashes.join(format!("npz-{k}.npz"));
                std::fs::write(&p, &input).unwrap();
                found.push(p);
            }
        }
    }
    eprintln!(
        "npz: {} inputs, {ok} read as datasets, {} panics",
        count,
        found.len()
    );
    assert!(found.is_empty(), "panics, inputs saved: {found:?}");
}
