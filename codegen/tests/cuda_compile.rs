//! Compiles the generated CUDA of every example network, of `../shared/bench/*.yaml` when that
//! folder exists, and of two built-in networks (template branches the examples miss, and a network
//! without an adjoint pass) with `nvcc -c` for sm_90 and sm_80, in f32 and f64. Any nvcc warning
//! fails too, including ptxas's for register spills and local memory.
//!
//! nvcc comes from `RGENN_NVCC`, else `$CUDA_PATH/bin/nvcc`, else PATH (`scripts/install-nvcc.sh`
//! installs one from PyPI). Without nvcc the test passes with a skip message, unless
//! `RGENN_REQUIRE_NVCC=1` (set by CI), where a missing nvcc fails it. No GPU is needed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use rgenn_codegen::backend::{self, Backend};

/// Flags of every compile: both architectures, C++17, position-independent host code, host
/// warnings on, and ptxas warnings for any kernel that spills registers or uses local memory (a
/// silent slowdown on the GPU, which the test turns into a failure).
const NVCC_FLAGS: &[&str] = &[
    "-c",
    "-std=c++17",
    "-Xcompiler",
    "-fPIC",
    "-Xcompiler",
    "-Wall,-Wextra",
    "-Xptxas",
    "-warn-spills,-warn-lmem-usage",
    "-gencode",
    "arch=compute_90,code=sm_90",
    "-gencode",
    "arch=compute_80,code=sm_80",
];

/// A network that reaches the template branches the examples miss: one-to-one connections with
/// per-synapse delays, random connectivity with one fixed delay, the `sum`, `mean` and `first_spike`
/// readouts, a spiking population larger than one block and a non-spiking one of several blocks.
const COVERAGE: &str = "\
name: cuda_coverage
dt: 0.5
duration: 20.0
precision: f32
batch_size: 3
seed: 3
populations:
  input: {size: 50, model: spike_input}
  big: {size: 1500, model: lif}
  wide: {size: 600, model: li, readout: sum}
  avg: {size: 5, model: li, readout: mean}
  first: {size: 50, model: lif, readout: first_spike}
connections:
  in_big: {source: input, target: big, connectivity: {fixed_probability: 0.1}, weight: 0.5, delay: 2.0}
  big_wide: {source: big, target: wide, connectivity: {fixed_probability: 0.05}, weight: 0.1}
  big_avg: {source: big, target: avg, weight: 0.1, delay: {uniform: {min: 0.0, max: 3.0}}, max_delay: 3.0}
  in_first:
    source: input
    target: first
    connectivity: one_to_one
    weight: 1.0
    delay: {uniform: {min: 0.0, max: 5.0}}
    max_delay: 5.0
";

/// A network whose model has no `adjoint:`, so its simulator has no adjoint pass (the model file is
/// written next to it by `networks`).
const FORWARD_ONLY: &str = "\
name: cuda_forward_only
dt: 1.0
duration: 10.0
precision: f32
batch_size: 2
populations:
  input: {size: 4, model: spike_input}
  out: {size: 3, model: leaky.yaml, readout: mean}
connections:
  in_out: {source: input, target: out, weight: 0.5}
";

/// `leaky.yaml`: the built-in `li` model without its adjoint.
fn forward_only_model() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let li = std::fs::read_to_string(root.join("models/li.yaml")).expect("models/li.yaml");
    let body = li
        .split("\nadjoint:")
        .next()
        .expect("text before the adjoint");
    body.replacen("name: li", "name: leaky", 1)
}

/// nvcc from `RGENN_NVCC`, `$CUDA_PATH/bin/nvcc` or PATH, if one runs; else why not.
fn find_nvcc() -> Result<PathBuf, String> {
    const HOW: &str =
        "set RGENN_NVCC or CUDA_PATH, put nvcc on PATH, or run scripts/install-nvcc.sh";
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let candidate = if let Some(path) = env("RGENN_NVCC") {
        PathBuf::from(path)
    } else if let Some(cuda) = env("CUDA_PATH")
        .map(PathBuf::from)
        .map(|c| c.join("bin/nvcc"))
        && cuda.is_file()
    {
        cuda
    } else {
        env("PATH")
            .and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("nvcc"))
                    .find(|p| p.is_file())
            })
            .ok_or_else(|| format!("nvcc not found ({HOW})"))?
    };
    match Command::new(&candidate).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(candidate),
        _ => Err(format!(
            "`{} --version` does not run ({HOW})",
            candidate.display()
        )),
    }
}

/// nvcc, or `None` after printing why the test is skipped; a missing nvcc fails the test under
/// `RGENN_REQUIRE_NVCC=1`.
fn nvcc_or_skip() -> Option<PathBuf> {
    match find_nvcc() {
        Ok(nvcc) => Some(nvcc),
        Err(why) if std::env::var("RGENN_REQUIRE_NVCC").as_deref() == Ok("1") => {
            panic!("{why}; RGENN_REQUIRE_NVCC=1 requires nvcc")
        }
        Err(why) => {
            println!("skipped: {why}");
            None
        }
    }
}

/// One network to compile: a label, the YAML text and the folder its relative paths start from.
struct Network {
    label: String,
    text: String,
    base: PathBuf,
}

/// The YAML files of `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every example and benchmark network, each as written (f32) and switched to f64.
fn networks() -> Vec<Network> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = yaml_files(&root.join("../examples"));
    // The benchmarks live in the shared folder next to the repository, when it is there.
    let bench = root.join("../../shared/bench");
    if bench.is_dir() {
        files.extend(yaml_files(&bench));
    } else {
        println!(
            "note: {} is absent; compiling the examples only",
            bench.display()
        );
    }
    let mut sources: Vec<(String, String, PathBuf)> = files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("readable network");
            let stem = file
                .file_stem()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            (stem, text, file.parent().expect("a folder").to_path_buf())
        })
        .collect();
    sources.push(("cuda_coverage".into(), COVERAGE.into(), root.to_path_buf()));
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda_compile_models");
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    std::fs::write(scratch.join("leaky.yaml"), forward_only_model()).expect("writable");
    sources.push(("cuda_forward_only".into(), FORWARD_ONLY.into(), scratch));
    let mut out = Vec::new();
    for (stem, text, base) in sources {
        // the networks `rgenn generate --backend cuda` refuses (e.g. lane groups) are not compiled
        let refused = rgenn_codegen::load_str(&format!("{stem}.yaml"), &text, &base)
            .is_ok_and(|l| backend::unsupported(&l.ir, Backend::Cuda).is_some());
        if refused {
            continue;
        }
        assert!(
            text.contains("precision: f32"),
            "{stem} should say `precision: f32` so that its f64 variant can be made"
        );
        let f64_text = text.replacen("precision: f32", "precision: f64", 1);
        out.push(Network {
            label: format!("{stem}.f64"),
            text: f64_text,
            base: base.clone(),
        });
        out.push(Network {
            label: format!("{stem}.f32"),
            text,
            base,
        });
    }
    out
}

/// Render `net` for CUDA into `dir` and compile it; `Err` holds nvcc's command and output.
fn compile(nvcc: &Path, net: &Network, dir: &Path) -> Result<String, String> {
    let loaded = rgenn_codegen::load_str(&format!("{}.yaml", net.label), &net.text, &net.base)
        .unwrap_or_else(|e| panic!("{} does not load: {e:?}", net.label));
    std::fs::create_dir_all(dir).expect("a scratch folder");
    for f in backend::render(&loaded.ir, Backend::Cuda).expect("networks render") {
        std::fs::write(dir.join(&f.name), f.contents).expect("writable scratch folder");
    }
    let object = dir.join("simulator.o");
    let out = Command::new(nvcc)
        .args(NVCC_FLAGS)
        .arg(dir.join("simulator.cu"))
        .arg("-o")
        .arg(&object)
        .output()
        .expect("nvcc runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = format!("{}: nvcc {}\n{text}", net.label, NVCC_FLAGS.join(" "));
    if !out.status.success() || !object.is_file() || text.to_lowercase().contains("warning") {
        return Err(report);
    }
    Ok(report)
}

#[test]
fn every_network_compiles_with_nvcc_for_sm90_and_sm80() {
    let Some(nvcc) = nvcc_or_skip() else {
        return;
    };
    let nets = networks();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda_compile");
    let queue = Mutex::new(nets.iter().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some(net) = queue.lock().unwrap().pop() {
                    let r = compile(&nvcc, net, &scratch.join(&net.label));
                    results.lock().unwrap().push(r);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    for report in results.iter().flatten() {
        println!("{}", report.trim_end());
    }
    assert!(
        failures.is_empty(),
        "{} of {} networks failed to compile cleanly:\n{}",
        failures.len(),
        nets.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!(
        "compiled {} networks with {} (sm_90 and sm_80)",
        nets.len(),
        nvcc.display()
    );
    assert!(
        nets.len() >= 8,
        "expected the examples and the built-in networks, f32 and f64"
    );
}

/// The generated Makefile builds the static library C programs link (`make librgenn_<name>.a`),
/// and the generated header compiles as C.
#[test]
fn the_generated_makefile_builds_the_static_library() {
    let Some(nvcc) = nvcc_or_skip() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = rgenn_codegen::load_file(&root.join("../examples/sequence_detection.yaml"))
        .expect("the example loads");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda_makefile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    for f in backend::render(&loaded.ir, Backend::Cuda).expect("renders") {
        std::fs::write(dir.join(&f.name), f.contents).expect("writable");
    }
    let out = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .arg("librgenn_sequence_detection.a")
        .arg(format!("NVCC={}", nvcc.display()))
        .arg("CUDA_ARCH=-gencode arch=compute_80,code=sm_80")
        .output()
        .expect("make runs");
    assert!(
        out.status.success() && dir.join("librgenn_sequence_detection.a").is_file(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("uses_header.c"),
        "#include \"rgenn.h\"\nint main(void) { return RGENN_SEQUENCE_DETECTION_POP_OUTPUT_V == 2 ? 0 : 1; }\n",
    )
    .expect("writable");
    let cc = Command::new("cc")
        .current_dir(&dir)
        .args(["-std=c99", "-Wall", "-Werror", "-c", "uses_header.c"])
        .output()
        .expect("cc runs");
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
}
