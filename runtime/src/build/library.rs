//! Load a generated simulator library and check that it is the one we expect.

use std::ffi::{CStr, c_char, c_void};
use std::path::Path;

use rgenn_codegen::backend::ABI_VERSION;

use crate::error::BuildError;

/// `rgenn_abi_version`.
pub type AbiVersionFn = unsafe extern "C" fn() -> u32;
/// `rgenn_cache_key`.
pub type CacheKeyFn = unsafe extern "C" fn() -> *const c_char;
/// `rgenn_create`.
pub type CreateFn = unsafe extern "C" fn() -> *mut c_void;
/// `rgenn_destroy`.
pub type DestroyFn = unsafe extern "C" fn(*mut c_void);
/// `rgenn_buffer`.
pub type BufferFn = unsafe extern "C" fn(*mut c_void, u32) -> *mut c_void;
/// `rgenn_set_input`.
pub type SetInputFn =
    unsafe extern "C" fn(*mut c_void, u32, u32, *const u32, *const u32, u64) -> i32;
/// `rgenn_reset` and `rgenn_finish_trial`.
pub type LaneFn = unsafe extern "C" fn(*mut c_void, u32);
/// `rgenn_step` and `rgenn_back_step`.
pub type StepFn = unsafe extern "C" fn(*mut c_void, u32, u32);
/// `rgenn_begin_backward`.
pub type BeginBackwardFn = unsafe extern "C" fn(*mut c_void, u32) -> i32;
/// `rgenn_optimizer_step`.
pub type OptimizerFn = unsafe extern "C" fn(*mut c_void, u32, *const f64) -> i32;
/// `rgenn_set_learned_only`.
pub type SetLearnedOnlyFn = unsafe extern "C" fn(*mut c_void, i32);
/// `rgenn_profile`.
pub type ProfileFn = unsafe extern "C" fn(*mut c_void, i32, *mut u64);

/// The C entry points of a generated simulator that is linked into the program instead of loaded
/// at run time (the `build.rs` path: `rgenn-build` compiles the sources, and the generated Rust
/// bindings fill this in). Every function must come from one generated simulator.
#[derive(Clone, Copy, Debug)]
pub struct EntryPoints {
    /// `rgenn_abi_version`.
    pub abi_version: AbiVersionFn,
    /// `rgenn_cache_key`.
    pub cache_key: CacheKeyFn,
    /// `rgenn_create`.
    pub create: CreateFn,
    /// `rgenn_destroy`.
    pub destroy: DestroyFn,
    /// `rgenn_buffer`.
    pub buffer: BufferFn,
    /// `rgenn_set_input`.
    pub set_input: SetInputFn,
    /// `rgenn_reset`.
    pub reset: LaneFn,
    /// `rgenn_step`.
    pub step: StepFn,
    /// `rgenn_finish_trial`.
    pub finish_trial: LaneFn,
    /// `rgenn_begin_backward`.
    pub begin_backward: BeginBackwardFn,
    /// `rgenn_back_step`.
    pub back_step: StepFn,
    /// `rgenn_set_learned_only`.
    pub set_learned_only: SetLearnedOnlyFn,
    /// `rgenn_optimizer_step`.
    pub optimizer_step: OptimizerFn,
    /// `rgenn_profile`.
    pub profile: ProfileFn,
}

/// The entry points of a loaded simulator.
pub struct Library {
    /// The loaded shared library (none for linked-in entry points); kept alive while in use.
    _lib: Option<libloading::Library>,
    pub(crate) create: CreateFn,
    pub(crate) destroy: DestroyFn,
    pub(crate) buffer: BufferFn,
    pub(crate) set_input: SetInputFn,
    pub(crate) reset: LaneFn,
    pub(crate) step: StepFn,
    pub(crate) finish_trial: LaneFn,
    pub(crate) begin_backward: BeginBackwardFn,
    pub(crate) back_step: StepFn,
    pub(crate) set_learned_only: SetLearnedOnlyFn,
    pub(crate) optimizer_step: OptimizerFn,
    pub(crate) profile: ProfileFn,
}

impl Library {
    /// Load `path` and check its ABI version and cache key.
    pub fn load(path: &Path, cache_key: &str) -> Result<Library, BuildError> {
        let lib = Opened::open(path, "")?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {
                // SAFETY: the generated code defines these symbols with exactly these signatures
                // (codegen/templates/cpu/rgenn.h.tera); the ABI version guards against mismatches.
                unsafe { lib.get::<$ty>($name) }?
            };
        }
        let entry = EntryPoints {
            abi_version: lib.abi_version,
            cache_key: sym!(b"rgenn_cache_key", CacheKeyFn),
            create: sym!(b"rgenn_create", CreateFn),
            destroy: sym!(b"rgenn_destroy", DestroyFn),
            buffer: sym!(b"rgenn_buffer", BufferFn),
            set_input: sym!(b"rgenn_set_input", SetInputFn),
            reset: sym!(b"rgenn_reset", LaneFn),
            step: sym!(b"rgenn_step", StepFn),
            finish_trial: sym!(b"rgenn_finish_trial", LaneFn),
            begin_backward: sym!(b"rgenn_begin_backward", BeginBackwardFn),
            back_step: sym!(b"rgenn_back_step", StepFn),
            set_learned_only: sym!(b"rgenn_set_learned_only", SetLearnedOnlyFn),
            optimizer_step: sym!(b"rgenn_optimizer_step", OptimizerFn),
            profile: sym!(b"rgenn_profile", ProfileFn),
        };
        check(&entry, cache_key).map_err(|m| lib.fail(m))?;
        Ok(Library::with(entry, Some(lib.lib)))
    }

    /// Use entry points linked into this program, after checking their ABI version and cache key.
    pub fn linked(entry: EntryPoints, cache_key: &str) -> Result<Library, String> {
        check(&entry, cache_key)?;
        Ok(Library::with(entry, None))
    }

    fn with(e: EntryPoints, lib: Option<libloading::Library>) -> Library {
        Library {
            create: e.create,
            destroy: e.destroy,
            buffer: e.buffer,
            set_input: e.set_input,
            reset: e.reset,
            step: e.step,
            finish_trial: e.finish_trial,
            begin_backward: e.begin_backward,
            back_step: e.back_step,
            set_learned_only: e.set_learned_only,
            optimizer_step: e.optimizer_step,
            profile: e.profile,
            _lib: lib,
        }
    }
}

/// A generated simulator's shared library (CPU or CUDA), opened and with its ABI version checked,
/// for resolving its entry points.
pub(crate) struct Opened {
    /// The loaded library.
    pub lib: libloading::Library,
    /// `rgenn_abi_version`, already checked.
    pub abi_version: AbiVersionFn,
    path: std::path::PathBuf,
    hint: &'static str,
}

impl Opened {
    /// Open `path` and check its ABI version; `hint` follows the message of a missing symbol.
    pub fn open(path: &Path, hint: &'static str) -> Result<Opened, BuildError> {
        // SAFETY: the library was generated and compiled by rgenn; loading it runs only the C++
        // (and for CUDA, the CUDA) runtime's initialisers.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| BuildError::Load {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        // The version first: a library of another ABI may lack some of the other symbols.
        // SAFETY: the generated code defines `rgenn_abi_version` with this signature.
        let abi_version = unsafe { symbol::<AbiVersionFn>(&lib, b"rgenn_abi_version") };
        let opened = |abi_version| Opened {
            lib,
            abi_version,
            path: path.to_path_buf(),
            hint,
        };
        let opened = match abi_version {
            Ok(f) => opened(f),
            Err(e) => {
                return Err(BuildError::Load {
                    path: path.to_path_buf(),
                    message: format!("{e}{hint}"),
                });
            }
        };
        check_version(opened.abi_version).map_err(|m| opened.fail(m))?;
        Ok(opened)
    }

    /// The entry point `name` as a `T`.
    ///
    /// # Safety
    /// The library must define `name` with exactly the signature `T`.
    pub unsafe fn get<T: Copy>(&self, name: &[u8]) -> Result<T, BuildError> {
        // SAFETY: guaranteed by the caller.
        unsafe { symbol(&self.lib, name) }.map_err(|e| self.fail(format!("{e}{}", self.hint)))
    }

    /// Check that the library was generated for `cache_key` (`rgenn_cache_key`).
    pub fn check_key(&self, cache_key: &str) -> Result<(), BuildError> {
        // SAFETY: the generated code defines `rgenn_cache_key` with this signature.
        let key_fn = unsafe { self.get::<CacheKeyFn>(b"rgenn_cache_key") }?;
        check_key(key_fn, cache_key).map_err(|m| self.fail(m))
    }

    /// A load error about this library.
    pub fn fail(&self, message: String) -> BuildError {
        BuildError::Load {
            path: self.path.clone(),
            message,
        }
    }
}

/// The symbol `name` of `lib` as a `T`.
///
/// # Safety
/// `lib` must define `name` with exactly the signature `T`.
unsafe fn symbol<T: Copy>(lib: &libloading::Library, name: &[u8]) -> Result<T, libloading::Error> {
    // SAFETY: guaranteed by the caller.
    let s: libloading::Symbol<T> = unsafe { lib.get(name) }?;
    Ok(*s)
}

/// Check that `entry` speaks this runtime's ABI and was generated for `cache_key`.
fn check(entry: &EntryPoints, cache_key: &str) -> Result<(), String> {
    check_version(entry.abi_version)?;
    check_key(entry.cache_key, cache_key)
}

/// Check that `cache_key_fn` names `cache_key`.
fn check_key(cache_key_fn: CacheKeyFn, cache_key: &str) -> Result<(), String> {
    // SAFETY: returns a pointer to a static NUL-terminated string literal.
    let key = unsafe { CStr::from_ptr(cache_key_fn()) }.to_string_lossy();
    if key != cache_key {
        return Err(
            "the simulator was built from a different network; delete the cache folder to rebuild"
                .into(),
        );
    }
    Ok(())
}

fn check_version(abi_version: AbiVersionFn) -> Result<(), String> {
    // SAFETY: a plain function returning a constant.
    let version = unsafe { abi_version() };
    if version == ABI_VERSION {
        Ok(())
    } else {
        Err(format!(
            "ABI version {version}, this rgenn needs {ABI_VERSION}; delete the cache folder to rebuild"
        ))
    }
}
