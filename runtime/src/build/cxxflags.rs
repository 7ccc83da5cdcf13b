//! Extra flags for the C++ compiler from `RGENN_CXXFLAGS` (e.g. `-march=native`), after rgenn's
//! own: refused when they would change floating-point results, and part of the build cache's
//! key, together with the host CPU when they target it.

use crate::error::BuildError;

/// The environment variable.
pub const VAR: &str = "RGENN_CXXFLAGS";

/// Flags (by prefix) that let the compiler change floating-point results: reassociation,
/// contraction into fused multiply-adds, assumptions about NaN, infinity or signed zeros.
const CHANGE_RESULTS: &[&str] = &[
    "-Ofast",
    "-ffast-math",
    "-funsafe-math-optimizations",
    "-fassociative-math",
    "-freciprocal-math",
    "-ffinite-math-only",
    "-fno-signed-zeros",
    "-ffp-contract",
    "-fcx-limited-range",
    "-fexcess-precision",
    "-mfpmath",
];

/// The flags `value` (the variable's contents) asks for, split at whitespace, or the first one
/// that would change results.
pub fn parse(value: &str) -> Result<Vec<String>, BuildError> {
    let flags: Vec<String> = value.split_whitespace().map(str::to_string).collect();
    if let Some(flag) = flags
        .iter()
        .find(|f| CHANGE_RESULTS.iter().any(|p| f.starts_with(p)))
    {
        return Err(BuildError::UnsafeCxxFlag { flag: flag.clone() });
    }
    Ok(flags)
}

/// The extra flags of this process's environment (none when `RGENN_CXXFLAGS` is unset).
pub fn from_env() -> Result<Vec<String>, BuildError> {
    std::env::var(VAR).map_or(Ok(Vec::new()), |v| parse(&v))
}

/// What the extra flags add to the compiler's identity (and so to the cache key): the flags, and
/// the host CPU when one of them is `native` (`-march=native`, `-mtune=native`), so a library
/// built for one processor is never loaded on another from a shared cache.
pub fn identity(flags: &[String]) -> String {
    if flags.is_empty() {
        return String::new();
    }
    let mut id = format!(" +{}", flags.join(" "));
    if flags.iter().any(|f| f.contains("native")) {
        id.push_str(&format!(" on {}", host_cpu()));
    }
    id
}

/// The host processor as Linux describes it (model name and feature flags), or `unknown cpu`.
fn host_cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    match (field("model name"), field("flags")) {
        (Some(model), Some(features)) => format!("{model} [{features}]"),
        (Some(model), None) => model,
        _ => "unknown cpu".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_that_keep_results_pass_and_those_that_change_them_are_refused() {
        assert_eq!(
            parse("  -march=native\t-mtune=native ").unwrap(),
            ["-march=native", "-mtune=native"]
        );
        assert!(parse("").unwrap().is_empty());
        for bad in [
            "-ffast-math",
            "-O2 -Ofast",
            "-ffp-contract=fast",
            "-fno-signed-zeros",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            let flag = bad.split_whitespace().last().unwrap();
            assert!(err.contains(&format!("`{flag}`")), "{err}");
            assert!(err.contains("RGENN_CXXFLAGS"), "{err}");
        }
    }

    #[test]
    fn the_identity_names_the_flags_and_a_native_build_its_cpu() {
        assert_eq!(identity(&[]), "");
        assert_eq!(identity(&["-O2".to_string()]), " +-O2");
        let native = identity(&["-march=native".to_string()]);
        assert!(native.starts_with(" +-march=native on "), "{native}");
        assert!(native.len() > " +-march=native on ".len());
    }
}
