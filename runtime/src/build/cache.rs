//! The content-addressed build cache: one folder per (IR, backend, generated sources, compiler),
//! holding the generated sources, the compiler log and the library. A folder appears complete or
//! not at all: it is built under a temporary name, sealed (`entry.rs`: rgenn version, key, the
//! library's SHA-256) and renamed. Processes building the same entry at once each build their own
//! copy and the first rename wins; the others use it. An entry whose seal does not match (a
//! truncated or corrupted library, another rgenn version) is removed and rebuilt, never loaded.
//! Each backend has its compiler: the C++ compiler for `cpu`, nvcc for `cuda` (`compile::find`).

use std::path::{Path, PathBuf};

use rgenn_codegen::backend::{self, Backend};
use rgenn_codegen::ir::Network;

use crate::build::{compile, entry};
use crate::error::BuildError;

/// File name of the library inside a cache entry.
pub const LIBRARY_FILE: &str = "librgenn_sim.so";

/// Where builds are cached: `$RGENN_CACHE_DIR`, else `$XDG_CACHE_HOME/rgenn`, else `~/.cache/rgenn`.
pub fn cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os("RGENN_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("rgenn");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("rgenn"),
        None => std::env::temp_dir().join("rgenn-cache"),
    }
}

/// A built simulator library.
#[derive(Clone, Debug)]
pub struct Built {
    /// The shared library.
    pub library: PathBuf,
    /// Its cache folder (sources and compiler log).
    pub dir: PathBuf,
    /// False when an existing build was reused.
    pub compiled: bool,
    /// The key the generated code carries (checked at load time).
    pub cache_key: String,
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BuildError + 'a {
    move |source| BuildError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Build `net` for `backend` unless the cache already has it.
pub fn build(net: &Network, backend: Backend) -> Result<Built, BuildError> {
    build_in(net, backend, &cache_root())
}

/// [`build`] with an explicit cache folder.
pub fn build_in(net: &Network, backend: Backend, root: &Path) -> Result<Built, BuildError> {
    if let Some(what) = backend::unsupported(net, backend) {
        return Err(BuildError::Unsupported {
            backend: backend.name(),
            what,
        });
    }
    let compiler = compile::find(backend)?;
    let source = compile::source_file(backend);
    let cache_key = backend::cache_key(net, backend)?;
    let entry_key =
        rgenn_codegen::ir::hash::cache_key(net, &[backend.name(), &cache_key, &compiler.identity]);
    let dir = root.join(format!(
        "{}-{}-{}",
        net.name,
        backend.name(),
        &entry_key[..16]
    ));
    let library = dir.join(LIBRARY_FILE);
    if entry::intact(&dir, &library, &entry_key) {
        return Ok(Built {
            library,
            dir,
            compiled: false,
            cache_key,
        });
    }
    if dir.exists() {
        entry::discard(&dir, root);
    }
    let unwritable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::CacheUnwritable { path, source }
    };
    std::fs::create_dir_all(root).map_err(unwritable(root))?;
    // Unique per process and per call: threads of one process may build the same network at once.
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = root.join(format!(
        ".tmp-{}-{n}-{}",
        std::process::id(),
        &entry_key[..16]
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(unwritable(root))?;
    let result = (|| {
        for f in backend::render(net, backend)? {
            let path = tmp.join(&f.name);
            std::fs::write(&path, f.contents).map_err(io("writing", &path))?;
        }
        compiler.build_shared(
            &tmp.join(source),
            &tmp.join(LIBRARY_FILE),
            &tmp.join("build.log"),
        )?;
        let lib = tmp.join(LIBRARY_FILE);
        entry::seal(&tmp, &lib, &entry_key).map_err(io("sealing", &lib))
    })();
    if let Err(e) = result {
        // Keep the failed build's sources and log for the report, under a stable name.
        let failed = root.join(format!("failed-{}", &entry_key[..16]));
        let _ = std::fs::remove_dir_all(&failed);
        let _ = std::fs::rename(&tmp, &failed);
        return Err(match e {
            BuildError::CompileFailed { stderr, .. } => BuildError::CompileFailed {
                source_path: failed.join(source),
                log: failed.join("build.log"),
                stderr,
            },
            other => other,
        });
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        if entry::intact(&dir, &library, &entry_key) {
            // Another process finished the same build first: use its copy.
            let _ = std::fs::remove_dir_all(&tmp);
        } else {
            // Whatever holds the name is not a sound entry: replace it.
            entry::discard(&dir, root);
            if let Err(source) = std::fs::rename(&tmp, &dir) {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(BuildError::Io {
                    what: "installing the build into",
                    path: dir,
                    source,
                });
            }
        }
    }
    Ok(Built {
        library,
        dir,
        compiled: true,
        cache_key,
    })
}
