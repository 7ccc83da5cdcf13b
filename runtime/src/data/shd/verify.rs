//! MD5 checks of downloaded SHD/SSC files against their published sums (`rgenn data verify`).
//!
//! In: a file path and optionally a sum the user gives. Out: a [`Verdict`]. The sums below are the
//! Zenke lab's published values for the gzip files (`https://zenkelab.org/datasets/md5sums.txt`,
//! formerly compneuro.net) as copied into several independent public loaders; the SSC `.gz` sums
//! could not be confirmed here, so SSC files are checked with `--md5` (or the `.zip` sums that the
//! `tonic` package records for its mirror). Matching is by file name.

use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};

use crate::error::DataError;

/// Published MD5 sums by file name, and where each comes from.
pub const KNOWN: &[(&str, &str, &str)] = &[
    (
        "shd_train.h5.gz",
        "d47c9825dee33347913e8ce0f2be08b0",
        "Zenke lab md5sums.txt",
    ),
    (
        "shd_test.h5.gz",
        "3062a80ec0c5719404d5b02e166543b1",
        "Zenke lab md5sums.txt",
    ),
    (
        "shd_train.h5.zip",
        "f3252aeb598ac776c1b526422d90eecb",
        "tonic's mirror",
    ),
    (
        "shd_test.h5.zip",
        "1503a5064faa34311c398fb0a1ed0a6f",
        "tonic's mirror",
    ),
    (
        "ssc_train.h5.zip",
        "d102be95e7144fcc0553d1f45ba94170",
        "tonic's mirror",
    ),
    (
        "ssc_valid.h5.zip",
        "b4eee3516a4a90dd0c71a6ac23a8ae43",
        "tonic's mirror",
    ),
    (
        "ssc_test.h5.zip",
        "a35ff1e9cffdd02a20eb850c17c37748",
        "tonic's mirror",
    ),
];

/// The outcome of checking one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The sum matches the expected one.
    Match {
        /// The file's MD5 (hex).
        actual: String,
        /// Where the expected sum came from (`--md5` or a published list).
        source: String,
    },
    /// The sum differs: the file is damaged, incomplete or a different version.
    Mismatch {
        /// The file's MD5 (hex).
        actual: String,
        /// The expected MD5 (hex).
        expected: String,
        /// Where the expected sum came from.
        source: String,
    },
    /// No sum is known for this file name and none was given.
    Unknown {
        /// The file's MD5 (hex).
        actual: String,
    },
}

/// The MD5 of a file as lowercase hex, read in 1 MiB blocks.
pub fn md5_hex(path: &Path) -> Result<String, DataError> {
    let err = |e: std::io::Error| DataError::Invalid {
        path: path.to_path_buf(),
        message: format!("cannot read it: {e}"),
    };
    let mut f = std::fs::File::open(path).map_err(err)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The published sum for a file name.
pub fn published(file_name: &str) -> Option<(&'static str, &'static str)> {
    KNOWN
        .iter()
        .find(|(n, _, _)| *n == file_name)
        .map(|&(_, sum, source)| (sum, source))
}

/// Check `path` against `expected` (hex, any case) or, without it, the published sum of its name.
pub fn verify(path: &Path, expected: Option<&str>) -> Result<Verdict, DataError> {
    if let Some(e) = expected
        && (e.len() != 32 || !e.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: format!("`--md5 {e}` is not an MD5 sum (32 hexadecimal digits)"),
        });
    }
    let actual = md5_hex(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (expected, source) = match expected {
        Some(e) => (e.to_ascii_lowercase(), "--md5".to_string()),
        None => match published(&name) {
            Some((sum, source)) => (
                sum.to_string(),
                format!("published sum of {name} ({source})"),
            ),
            None => return Ok(Verdict::Unknown { actual }),
        },
    };
    Ok(if actual == expected {
        Verdict::Match { actual, source }
    } else {
        Verdict::Mismatch {
            actual,
            expected,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_known_text_and_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, b"The quick brown fox jumps over the lazy dog").unwrap();
        // RFC 1321 test vector.
        let sum = "9e107d9d372bb6826bd81d3542a419d6";
        assert_eq!(md5_hex(&p).unwrap(), sum);
        assert!(matches!(
            verify(&p, Some(&sum.to_uppercase())).unwrap(),
            Verdict::Match { .. }
        ));
        assert!(matches!(
            verify(&p, Some("00000000000000000000000000000000")).unwrap(),
            Verdict::Mismatch { .. }
        ));
        assert!(matches!(verify(&p, None).unwrap(), Verdict::Unknown { .. }));
        assert!(
            verify(&p, Some("xyz"))
                .unwrap_err()
                .to_string()
                .contains("not an MD5")
        );
        // A published name whose contents differ is a mismatch against the published sum.
        let q = dir.path().join("shd_test.h5.gz");
        std::fs::write(&q, b"not the dataset").unwrap();
        match verify(&q, None).unwrap() {
            Verdict::Mismatch { expected, .. } => {
                assert_eq!(expected, "3062a80ec0c5719404d5b02e166543b1")
            }
            v => panic!("{v:?}"),
        }
        assert!(
            md5_hex(&dir.path().join("absent"))
                .unwrap_err()
                .to_string()
                .contains("absent")
        );
    }
}
