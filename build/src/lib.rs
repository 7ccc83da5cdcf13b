//! rgenn-build: use a network's generated simulator from another Rust crate, through its build
//! script.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), rgenn_build::Error> {
//!     rgenn_build::Builder::new("net.yaml").generate()?;
//!     Ok(())
//! }
//! ```
//!
//! [`Builder::generate`] validates the network (an invalid one fails the build with the same
//! `file:line:column` report as `rgenn check`), writes the simulator sources, the IR and typed
//! Rust bindings into `$OUT_DIR/rgenn/<network>/`, compiles the C++ with the `cc` crate (the `cpu`
//! backend; the `rust` backend's kernels are Rust and compile with the crate itself, no C++
//! compiler needed) and tells cargo to rerun the script when the network file or one of its model
//! files changes. The crate then includes the bindings with
//! `rgenn_runtime::include_model!("<network>")` and depends on `rgenn-runtime`.

use std::fmt;
use std::path::{Path, PathBuf};

pub use rgenn_codegen::backend::Backend;
use rgenn_codegen::backend::bindings::{self, Linkage};
use rgenn_codegen::backend::{self as codegen_backend, GeneratedFile, RenderError};
use rgenn_codegen::{DataExtent, LoadError, LoadOptions, Loaded};

/// Why generating or compiling failed. `Debug` prints the same text as `Display`, so a build
/// script's `fn main() -> Result<(), rgenn_build::Error>` shows the full report.
pub enum Error {
    /// The network is invalid or unreadable (the rendered report).
    Load(String),
    /// No `OUT_DIR` (not run from a build script) and no [`Builder::out_dir`].
    NoOutDir,
    /// A generated file could not be written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Rendering failed (a bug in rgenn).
    Render(RenderError),
    /// The backend cannot be embedded this way.
    Backend(&'static str),
    /// The C++ compiler failed.
    Compile(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(report) => write!(f, "{}", report.trim_end()),
            Error::NoOutDir => write!(
                f,
                "error: OUT_DIR is not set: call rgenn_build::Builder from a build script, or give it an out_dir"
            ),
            Error::Io { path, source } => {
                write!(f, "error: cannot write `{}`: {source}", path.display())
            }
            Error::Render(e) => write!(f, "error: {e}"),
            Error::Backend(name) => write!(
                f,
                "error: the `{name}` backend cannot be embedded through rgenn-build; use `cpu` or `rust`"
            ),
            Error::Compile(message) => write!(
                f,
                "error: compiling the generated simulator failed: {message}\n  \
                 (needs a C++17 compiler: `apt-get install g++`, or set CXX)"
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// What [`Builder::generate`] wrote.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The network's module name (`include_model!` takes it).
    pub module: String,
    /// The folder holding the sources, `network.json` and `bindings.rs`.
    pub dir: PathBuf,
    /// `bindings.rs`.
    pub bindings: PathBuf,
    /// The files the network was read from (its YAML and user model files): cargo reruns the
    /// build script when one of them changes.
    pub inputs: Vec<PathBuf>,
}

/// Generates (and for `cpu`, compiles) one network for a build script.
#[derive(Clone, Debug)]
pub struct Builder {
    network: PathBuf,
    backend: Backend,
    out_dir: Option<PathBuf>,
    module: Option<String>,
    cargo: bool,
    data_extent: Option<DataExtent>,
}

impl Builder {
    /// The network file, relative to the crate's folder (cargo runs build scripts there).
    pub fn new(network: impl AsRef<Path>) -> Builder {
        Builder {
            network: network.as_ref().to_path_buf(),
            backend: Backend::Cpu,
            out_dir: None,
            module: None,
            cargo: true,
            data_extent: None,
        }
    }

    /// The backend (default `cpu`).
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.backend = backend;
        self
    }

    /// Where to write (default `$OUT_DIR/rgenn/<network>`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The bindings' module name and folder (default: the network's name), e.g. to embed one
    /// network twice with different backends. Characters outside `[A-Za-z0-9_]` become `_`.
    pub fn module(mut self, name: &str) -> Builder {
        self.module = Some(name.to_string());
        self
    }

    /// Print `cargo:` directives (rerun triggers, link flags); on by default. Compiling the
    /// `cpu` backend always needs a build script's environment (`TARGET`, `OUT_DIR`, ...).
    pub fn cargo_metadata(mut self, on: bool) -> Builder {
        self.cargo = on;
        self
    }

    /// Let a network without `duration:` take its trial length from its data, read by `reader`
    /// (the latest spike time over the `data:` splits), e.g.
    /// `rgenn_runtime::data::splits::latest_spike_ms` with rgenn-runtime as a build dependency.
    /// Without one (the default), such a network is an error: rgenn-build reads no data files.
    pub fn data_extent(mut self, reader: DataExtent) -> Builder {
        self.data_extent = Some(reader);
        self
    }

    /// Validate, generate and compile.
    pub fn generate(self) -> Result<Generated, Error> {
        if self.cargo {
            println!("cargo:rerun-if-changed={}", self.network.display());
        }
        let options = LoadOptions {
            data_extent: self.data_extent,
        };
        let loaded =
            rgenn_codegen::load_file_with(&self.network, &options).map_err(|e| load_error(&e))?;
        // Built-in models are named `models/<name>.yaml` but live inside rgenn: only files that
        // exist count.
        let inputs: Vec<PathBuf> = loaded
            .sources
            .files()
            .iter()
            .map(|f| PathBuf::from(&f.name))
            .filter(|p| p.is_file())
            .collect();
        if self.cargo {
            for file in inputs.iter().skip(1) {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
        let net = &loaded.ir;
        let module = match &self.module {
            Some(m) => bindings::module_name_of(m),
            None => bindings::module_name(net),
        };
        let dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(Error::NoOutDir)?)
                .join("rgenn")
                .join(&module),
        };
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let linkage = match self.backend {
            Backend::Cpu => Linkage::LinkedC {
                prefix: bindings::symbol_prefix(&module),
            },
            Backend::Rust => Linkage::RustKernels,
            Backend::Cuda => return Err(Error::Backend("cuda")),
        };
        let sources = codegen_backend::render(net, self.backend).map_err(Error::Render)?;
        let cache_key = codegen_backend::cache_key(net, self.backend).map_err(Error::Render)?;
        let bindings_text = bindings::render(
            net,
            &bindings::Options {
                cache_key,
                base_dir: absolute(&loaded.base_dir),
                source: self.network.display().to_string(),
                linkage: linkage.clone(),
                module: module.clone(),
            },
        );
        let mut files = sources;
        files.push(GeneratedFile {
            name: "network.json".into(),
            contents: net.to_json(),
        });
        files.push(GeneratedFile {
            name: "bindings.rs".into(),
            contents: bindings_text,
        });
        for f in &files {
            write_if_changed(&dir.join(&f.name), &f.contents)?;
        }
        if let Linkage::LinkedC { prefix } = &linkage {
            compile_cpu(&loaded, &dir, &module, prefix, self.cargo)?;
        }
        Ok(Generated {
            inputs,
            module,
            bindings: dir.join("bindings.rs"),
            dir,
        })
    }
}

fn load_error(e: &LoadError) -> Error {
    Error::Load(e.render(false))
}

/// Compile `simulator.cpp` into a static library linked into the crate, with the entry points
/// renamed to `prefix*` and the flags the runtime uses for its shared libraries.
fn compile_cpu(
    loaded: &Loaded,
    dir: &Path,
    module: &str,
    prefix: &str,
    cargo: bool,
) -> Result<(), Error> {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file(dir.join("simulator.cpp"))
        .include(dir)
        .opt_level(3)
        .flag("-std=c++17")
        .flag_if_supported("-ffp-contract=off")
        .flag_if_supported("-fno-math-errno")
        .cargo_metadata(cargo)
        .warnings(false);
    for e in bindings::ENTRY_POINTS {
        build.define(&format!("rgenn_{e}"), Some(format!("{prefix}{e}").as_str()));
    }
    build
        .try_compile(&format!("rgenn_{module}"))
        .map_err(|e| Error::Compile(format!("network `{}`: {e}", loaded.ir.name)))
}

fn absolute(dir: &Path) -> String {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// Write `contents` unless the file already holds exactly that (so cargo does not rebuild), via a
/// temporary file and a rename.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), Error> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(());
    }
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
