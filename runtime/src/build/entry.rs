//! The seal of a build-cache entry: a stamp file, written last before the entry is installed,
//! naming the rgenn version, the entry's key and the SHA-256 and length of its library. An entry
//! is reused only when its stamp matches this rgenn and its library still hashes to the stamp, so
//! a truncated or corrupted library, or an entry of another rgenn version, is never loaded: it is
//! moved aside, removed and rebuilt.

use std::path::Path;

use sha2::{Digest, Sha256};

/// File name of the stamp inside a cache entry.
pub const STAMP_FILE: &str = "entry.stamp";

fn stamp_text(key: &str, library: &[u8]) -> String {
    let sha: String = Sha256::digest(library)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "rgenn cache entry\nversion {}\nkey {key}\nbytes {}\nsha256 {sha}\n",
        env!("CARGO_PKG_VERSION"),
        library.len()
    )
}

/// Write the stamp of the entry being built in `dir` whose library is `library`.
pub fn seal(dir: &Path, library: &Path, key: &str) -> std::io::Result<()> {
    let bytes = std::fs::read(library)?;
    std::fs::write(dir.join(STAMP_FILE), stamp_text(key, &bytes))
}

/// True when the entry in `dir` is complete, of this rgenn and key, and its library intact.
pub fn intact(dir: &Path, library: &Path, key: &str) -> bool {
    let (Ok(stamp), Ok(bytes)) = (
        std::fs::read_to_string(dir.join(STAMP_FILE)),
        std::fs::read(library),
    ) else {
        return false;
    };
    stamp == stamp_text(key, &bytes)
}

/// Remove a damaged entry: renamed aside first (atomic, so a process that is loading it at the
/// same moment keeps its open file, and two processes never remove each other's rebuild), then
/// deleted. Failures are ignored: the rebuild that follows reports what matters.
pub fn discard(dir: &Path, root: &Path) {
    static DISCARDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = DISCARDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let aside = root.join(format!(".damaged-{}-{n}", std::process::id()));
    if std::fs::rename(dir, &aside).is_ok() {
        let _ = std::fs::remove_dir_all(&aside);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_library_or_key_breaks_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib.so");
        std::fs::write(&lib, b"library bytes").unwrap();
        seal(dir.path(), &lib, "k1").unwrap();
        assert!(intact(dir.path(), &lib, "k1"));
        assert!(!intact(dir.path(), &lib, "k2"));
        std::fs::write(&lib, b"library bytez").unwrap();
        assert!(!intact(dir.path(), &lib, "k1"));
        std::fs::write(&lib, b"library").unwrap();
        assert!(!intact(dir.path(), &lib, "k1"));
        std::fs::remove_file(dir.path().join(STAMP_FILE)).unwrap();
        assert!(!intact(dir.path(), &lib, "k1"));
    }
}
