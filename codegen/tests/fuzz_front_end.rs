//! A property-based fuzz harness for the front end (YAML, models, code strings): mutated copies of
//! every example, error-corpus network and model must load or fail with reports, never panic.
//!
//! Inputs come from seeded mutations (byte ranges deleted, duplicated or swapped, tokens from a
//! YAML/code dictionary inserted, numbers replaced by extreme ones), so a run is reproducible
//! from its seed. CI runs `RGENN_FUZZ_ITERS` inputs per target (default 2000, a few seconds);
//! run it longer with e.g. `RGENN_FUZZ_ITERS=200000 RGENN_FUZZ_SEED=7 cargo test --release -p
//! rgenn-codegen --test fuzz_front_end -- --nocapture`. An input that panics is written to
//! `target/fuzz-crashes/` and the test fails naming it; fixed crashes go into
//! `tests/fuzz_regressions/`, which every run loads first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rgenn_codegen::rng::Rng;

const TOKENS: &[&str] = &[
    ":",
    " ",
    "\n",
    "\n  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "-",
    "'",
    "\"",
    "#",
    "&",
    "*",
    "!",
    "|",
    ">",
    "~",
    "null",
    "true",
    ".nan",
    ".inf",
    "-.inf",
    "1e400",
    "-0.0",
    "0",
    "-1",
    "4294967296",
    "99999999999999999999",
    "auto",
    "lif",
    "li",
    "spike_input",
    "models/",
    ".yaml",
    "exp(",
    "ln(",
    "max(",
    ")",
    "(",
    "&&",
    "||",
    "==",
    ">=",
    "<",
    "+=",
    "=",
    ";",
    "let ",
    "if ",
    "else",
    "{ }",
    "dt",
    "t",
    "v",
    "i",
    "tau_mem",
    "range: \"> 0\"",
    "default: ",
    "constraints: [",
    "params: {",
    "size: ",
    "weight: ",
    "delay: ",
    "learn: [delay]",
    "readout: max",
    "\t",
    "\u{feff}",
    "é",
    "\0",
];

fn iterations() -> usize {
    std::env::var("RGENN_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn seed() -> u64 {
    std::env::var("RGENN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn below(rng: &mut Rng, n: usize) -> usize {
    ((rng.uniform() * n as f64) as usize).min(n.saturating_sub(1))
}

/// One to four mutations of `text`, on character boundaries.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + below(rng, 4) {
        let n = chars.len();
        let at = below(rng, n + 1);
        let len = 1 + below(rng, 16);
        let end = (at + len).min(n);
        match below(rng, 5) {
            0 => {
                chars.drain(at..end);
            }
            1 => {
                let piece: Vec<char> = chars[at..end].to_vec();
                let to = below(rng, chars.len() + 1);
                chars.splice(to..to, piece);
            }
            2 | 3 => {
                let token = TOKENS[below(rng, TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            _ => {
                // a digit run replaced by an extreme number
                if let Some(d) = (at..n).find(|&k| chars[k].is_ascii_digit()) {
                    let e = (d..n).find(|&k| !chars[k].is_ascii_digit()).unwrap_or(n);
                    let big = ["0", "4294967295", "1e308", "18446744073709551616", "-3"];
                    chars.splice(d..e, big[below(rng, big.len())].chars());
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out.sort();
}

fn seeds(dirs: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for d in dirs {
        files(&root.join(d), &mut paths);
    }
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("readable seed"))
        .collect()
}

/// Run `check` on every input; returns the inputs that panicked, saved under `target/`.
fn fuzz(name: &str, inputs: impl Iterator<Item = String>, check: impl Fn(&str)) -> Vec<PathBuf> {
    let crashes = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
    let mut found = Vec::new();
    let mut count = 0usize;
    // With RGENN_FUZZ_TRACE set, each input is on disk before it runs, so one that aborts the
    // process (an allocation failure) is still there to see.
    let trace = std::env::var_os("RGENN_FUZZ_TRACE")
        .map(|_| crashes.with_file_name(format!("fuzz-current-{name}.yaml")));
    for input in inputs {
        count += 1;
        if let Some(t) = &trace {
            std::fs::write(t, &input).unwrap();
        }
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            std::fs::create_dir_all(&crashes).unwrap();
            let p = crashes.join(format!("{name}-{}.yaml", found.len()));
            std::fs::write(&p, &input).unwrap();
            found.push(p);
        }
    }
    eprintln!("{name}: {count} inputs, {} panics", found.len());
    found
}

fn load_network(text: &str, base: &Path) {
    let _ = rgenn_codegen::load_str("fuzz.yaml", text, base);
}

#[test]
fn mutated_networks_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = root.join("tests/errors");
    let mut pool = seeds(&["../examples", "tests/errors", "tests/fuzz_regressions"]);
    pool.retain(|s| !s.is_empty());
    let mut regressions = Vec::new();
    files(&root.join("tests/fuzz_regressions"), &mut regressions);
    let fixed = regressions
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap());
    let mut rng = Rng::new(seed());
    let n = iterations();
    let mutated = (0..n).map(|_| {
        let s = &pool[below(&mut rng, pool.len())];
        mutate(&mut rng, s)
    });
    let crashes = fuzz("network", fixed.chain(mutated), |t| load_network(t, &base));
    assert!(crashes.is_empty(), "panics, inputs saved: {crashes:?}");
}

#[test]
fn mutated_models_never_panic() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-model");
    std::fs::create_dir_all(&dir).unwrap();
    let pool = seeds(&["models", "tests/errors/models"]);
    let network = "name: fuzz\ndt: 0.5\nduration: 10.0\npopulations:\n  input: {size: 2, model: spike_input}\n  hidden: {size: 3, model: m.yaml}\n  out: {size: 2, model: li, readout: max}\nconnections:\n  a: {source: input, target: hidden, weight: 1.0, delay: 1.0, learn: [weight, delay], max_delay: 4.0}\n  b: {source: hidden, target: out, weight: 0.5}\ntraining:\n  loss: sparse_categorical_crossentropy\n";
    let mut rng = Rng::new(seed() ^ 0x5eed);
    let n = iterations();
    let inputs = (0..n).map(|_| {
        let s = &pool[below(&mut rng, pool.len())];
        mutate(&mut rng, s)
    });
    let crashes = fuzz("model", inputs, |model| {
        std::fs::write(dir.join("m.yaml"), model).unwrap();
        load_network(network, &dir);
    });
    assert!(crashes.is_empty(), "panics, inputs saved: {crashes:?}");
}

#[test]
fn random_code_strings_never_panic() {
    let mut rng = Rng::new(seed() ^ 0xc0de);
    let n = iterations();
    let inputs = (0..n).map(|_| {
        let k = 1 + below(&mut rng, 12);
        (0..k)
            .map(|_| TOKENS[below(&mut rng, TOKENS.len())])
            .collect::<String>()
    });
    let crashes = fuzz("code", inputs, |code| {
        let _ = rgenn_codegen::expr::parse_expr(code);
        let _ = rgenn_codegen::expr::parse_block(code);
    });
    assert!(crashes.is_empty(), "panics, inputs saved: {crashes:?}");
}
