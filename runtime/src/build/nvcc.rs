//! Find nvcc and decide its flags for building a generated CUDA simulator into a shared library.
//!
//! nvcc is `RGENN_NVCC`, else `$CUDA_PATH/bin/nvcc`, else the first `nvcc` on `PATH`. Flags:
//! `-fmad=false` (no fused multiply-adds, so results match the CPU build), static cudart (the
//! library needs only the driver), `-L` the `lib` folder beside nvcc's (the layout of the PyPI
//! packages), and the GPU architectures from `CUDA_ARCH` (e.g. `90`, `80,90`, or `native` on a
//! machine with a GPU), by default sm_80 and sm_90 code plus compute_90 PTX for newer GPUs. The
//! architectures are part of the compiler identity, so changing them rebuilds.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::build::compile::Compiler;
use crate::error::BuildError;

/// Flags of every CUDA build besides the architectures and library folders.
const FLAGS: &[&str] = &[
    "-std=c++17",
    "-O3",
    "-fmad=false",
    "-shared",
    "-cudart",
    "static",
    "-Xcompiler",
    "-fPIC,-ffp-contract=off,-Wall,-Wextra",
];

/// Compute capabilities built when `CUDA_ARCH` is not set (the newest also as PTX).
const DEFAULT_ARCHS: &[u32] = &[80, 90];

/// Where to look for nvcc, given a way to read environment variables: the candidate, or why there
/// is none.
pub fn nvcc_candidate(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, String> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(path) = env("RGENN_NVCC") {
        return Ok(PathBuf::from(path));
    }
    if let Some(cuda) = env("CUDA_PATH") {
        let nvcc = PathBuf::from(cuda).join("bin").join("nvcc");
        if nvcc.is_file() {
            return Ok(nvcc);
        }
    }
    env("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nvcc"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| "no `nvcc` on PATH, and neither RGENN_NVCC nor CUDA_PATH names one".into())
}

/// The `-gencode`/`-arch` flags for a `CUDA_ARCH` value (`None`: the defaults).
pub fn arch_flags(value: Option<&str>) -> Result<Vec<String>, BuildError> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    if value == Some("native") {
        return Ok(vec!["-arch=native".into()]);
    }
    let archs: Vec<u32> = match value {
        None => DEFAULT_ARCHS.to_vec(),
        Some(v) => v
            .split([',', ';', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| {
                let digits = s.trim_start_matches("sm_").trim_start_matches("compute_");
                digits
                    .parse::<u32>()
                    .ok()
                    .filter(|&a| (30..1000).contains(&a))
            })
            .collect::<Option<Vec<u32>>>()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| BuildError::CudaArch {
                value: v.to_string(),
            })?,
    };
    let mut flags = Vec::new();
    for a in &archs {
        flags.push("-gencode".into());
        flags.push(format!("arch=compute_{a},code=sm_{a}"));
    }
    let newest = archs.iter().max().expect("at least one architecture");
    flags.push("-gencode".into());
    flags.push(format!("arch=compute_{newest},code=compute_{newest}"));
    Ok(flags)
}

/// The `-L` folders beside nvcc's folder that exist (`lib` of the PyPI layout, `lib64` of the
/// toolkit's).
fn library_dirs(nvcc: &Path) -> Vec<PathBuf> {
    let Some(root) = nvcc.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    ["lib", "lib64"]
        .iter()
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect()
}

fn not_found(detail: String) -> BuildError {
    BuildError::NvccNotFound { detail }
}

/// Find nvcc, check that it runs, and decide the flags of CUDA builds.
pub fn find_nvcc() -> Result<Compiler, BuildError> {
    let program = nvcc_candidate(|name| std::env::var_os(name)).map_err(not_found)?;
    let stdout = crate::build::compile::version_output(&program, not_found)?;
    let text = stdout.as_str();
    let version = text
        .lines()
        .find(|l| l.contains("release"))
        .or_else(|| text.lines().last())
        .unwrap_or_default()
        .trim()
        .to_string();
    let arch_env = std::env::var("CUDA_ARCH").ok();
    let archs = arch_flags(arch_env.as_deref())?;
    let mut flags: Vec<OsString> = FLAGS.iter().map(OsString::from).collect();
    flags.extend(archs.iter().map(OsString::from));
    for dir in library_dirs(&program) {
        flags.push(OsString::from("-L"));
        flags.push(dir.into_os_string());
    }
    Ok(Compiler {
        identity: format!("{} ({version}) {}", program.display(), archs.join(" ")),
        program,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgenn_nvcc_wins_and_a_missing_nvcc_says_what_was_tried() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let got = nvcc_candidate(env(&[("RGENN_NVCC", "/x/nvcc"), ("PATH", "/bin")]));
        assert_eq!(got, Ok(PathBuf::from("/x/nvcc")));
        let why = nvcc_candidate(env(&[("PATH", "/nonexistent-rgenn")])).unwrap_err();
        assert!(
            why.contains("RGENN_NVCC") && why.contains("CUDA_PATH"),
            "{why}"
        );
        // An empty variable counts as unset; a CUDA_PATH without nvcc falls through to PATH.
        let why = nvcc_candidate(env(&[("RGENN_NVCC", ""), ("CUDA_PATH", "/nonexistent")]));
        assert!(why.is_err());
    }

    #[test]
    fn the_error_names_both_fixes() {
        let text = not_found("no `nvcc` on PATH".into()).to_string();
        assert!(text.contains("CUDA toolkit"), "{text}");
        assert!(text.contains("scripts/install-nvcc.sh"), "{text}");
    }

    #[test]
    fn cuda_arch_lists_become_gencode_flags() {
        assert_eq!(
            arch_flags(None).unwrap(),
            [
                "-gencode",
                "arch=compute_80,code=sm_80",
                "-gencode",
                "arch=compute_90,code=sm_90",
                "-gencode",
                "arch=compute_90,code=compute_90"
            ]
        );
        assert_eq!(
            arch_flags(Some("sm_90")).unwrap(),
            [
                "-gencode",
                "arch=compute_90,code=sm_90",
                "-gencode",
                "arch=compute_90,code=compute_90"
            ]
        );
        assert_eq!(arch_flags(Some("native")).unwrap(), ["-arch=native"]);
        assert_eq!(arch_flags(Some("86, 90")).unwrap().len(), 6);
        for bad in ["ninety", "90,x", ",", "7"] {
            let e = arch_flags(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("CUDA_ARCH"), "{e}");
        }
    }
}
