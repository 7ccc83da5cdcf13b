//! Load a generated simulator library and check that it is the one we expect.

use std::ffi::{CStr, c_char, c_void};
use std::path::Path;

use rgenn_codegen::backend::ABI_VERSION;

use crate::error::BuildError;

type CreateFn = unsafe extern "C" fn() -> *mut c_void;
type DestroyFn = unsafe extern "C" fn(*mut c_void);
type BufferFn = unsafe extern "C" fn(*mut c_void, u32) -> *mut c_void;
type SetInputFn = unsafe extern "C" fn(*mut c_void, u32, u32, *const u32, *const u32, u64) -> i32;
type LaneFn = unsafe extern "C" fn(*mut c_void, u32);
type StepFn = unsafe extern "C" fn(*mut c_void, u32, u32);
type BeginBackwardFn = unsafe extern "C" fn(*mut c_void, u32) -> i32;
type OptimizerFn = unsafe extern "C" fn(*mut c_void, u32, *const f64) -> i32;
type ProfileFn = unsafe extern "C" fn(*mut c_void, i32, *mut u64);

/// The entry points of a loaded simulator.
pub struct Library {
    _lib: libloading::Library,
    pub(crate) create: CreateFn,
    pub(crate) destroy: DestroyFn,
    pub(crate) buffer: BufferFn,
    pub(crate) set_input: SetInputFn,
    pub(crate) reset: LaneFn,
    pub(crate) step: StepFn,
    pub(crate) finish_trial: LaneFn,
    pub(crate) begin_backward: BeginBackwardFn,
    pub(crate) back_step: StepFn,
    pub(crate) optimizer_step: OptimizerFn,
    pub(crate) profile: ProfileFn,
}

impl Library {
    /// Load `path` and check its ABI version and cache key.
    pub fn load(path: &Path, cache_key: &str) -> Result<Library, BuildError> {
        let fail = |message: String| BuildError::Load {
            path: path.to_path_buf(),
            message,
        };
        // SAFETY: the library was generated and compiled by rgenn; loading it runs no
        // initialisers beyond the C++ runtime's.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| fail(e.to_string()))?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the generated code defines these symbols with exactly these signatures
                // (templates/cpu/rgenn.h.tera); the ABI version below guards against mismatches.
                let s: libloading::Symbol<$ty> =
                    unsafe { lib.get($name) }.map_err(|e| fail(e.to_string()))?;
                *s
            }};
        }
        let abi = sym!(b"rgenn_abi_version", unsafe extern "C" fn() -> u32);
        // SAFETY: a plain function returning a constant.
        let version = unsafe { abi() };
        if version != ABI_VERSION {
            return Err(fail(format!(
                "ABI version {version}, this rgenn needs {ABI_VERSION}; delete the cache folder to rebuild"
            )));
        }
        let key_fn = sym!(b"rgenn_cache_key", unsafe extern "C" fn() -> *const c_char);
        // SAFETY: returns a pointer to a static NUL-terminated string literal.
        let key = unsafe { CStr::from_ptr(key_fn()) }
            .to_string_lossy()
            .into_owned();
        if key != cache_key {
            return Err(fail("the library was built from a different network; delete the cache folder to rebuild".into()));
        }
        Ok(Library {
            create: sym!(b"rgenn_create", CreateFn),
            destroy: sym!(b"rgenn_destroy", DestroyFn),
            buffer: sym!(b"rgenn_buffer", BufferFn),
            set_input: sym!(b"rgenn_set_input", SetInputFn),
            reset: sym!(b"rgenn_reset", LaneFn),
            step: sym!(b"rgenn_step", StepFn),
            finish_trial: sym!(b"rgenn_finish_trial", LaneFn),
            begin_backward: sym!(b"rgenn_begin_backward", BeginBackwardFn),
            back_step: sym!(b"rgenn_back_step", StepFn),
            optimizer_step: sym!(b"rgenn_optimizer_step", OptimizerFn),
            profile: sym!(b"rgenn_profile", ProfileFn),
            _lib: lib,
        })
    }
}
