//! The C functions of a generated CUDA simulator (`codegen/templates/cuda/rgenn.h.tera`), loaded from its
//! library after checking its ABI version and cache key (as `build::library` does for every
//! simulator library), and what their status codes mean.
//!
//! This module only resolves symbols and explains numbers; `CudaSimulator` calls them.

use std::ffi::c_void;
use std::path::Path;

use crate::build::library::Opened;
use crate::error::BuildError;

type CreateFn = unsafe extern "C" fn() -> *mut c_void;
type DestroyFn = unsafe extern "C" fn(*mut c_void);
type CopyOutFn = unsafe extern "C" fn(*mut c_void, u32, *mut c_void) -> i32;
type CopyInFn = unsafe extern "C" fn(*mut c_void, u32, *const c_void) -> i32;
type SetInputFn = unsafe extern "C" fn(*mut c_void, u32, u32, *const u32, *const u32, u64) -> i32;
type AllFn = unsafe extern "C" fn(*mut c_void) -> i32;
type StepAllFn = unsafe extern "C" fn(*mut c_void, u32) -> i32;
type BeginAllFn = unsafe extern "C" fn(*mut c_void, *mut i32) -> i32;
type SumFn = unsafe extern "C" fn(*mut c_void, u32, *mut f64) -> i32;
type MemoryFn = unsafe extern "C" fn(*mut u64, *mut u64) -> i32;
type OptimizerFn = unsafe extern "C" fn(*mut c_void, u32, *const f64) -> i32;

/// The entry points of a loaded CUDA simulator.
pub(crate) struct Api {
    _lib: libloading::Library,
    pub create: CreateFn,
    pub destroy: DestroyFn,
    pub copy_to_host: CopyOutFn,
    pub copy_to_device: CopyInFn,
    pub set_input: SetInputFn,
    pub reset_all: AllFn,
    pub step_all: StepAllFn,
    pub finish_trial_all: AllFn,
    pub begin_backward_all: BeginAllFn,
    pub back_step_all: StepAllFn,
    pub sum_gradients: SumFn,
    pub optimizer_step: OptimizerFn,
    pub device_memory: MemoryFn,
    pub status: AllFn,
}

impl Api {
    /// Load `path`, check its ABI version and cache key, and resolve every CUDA entry point.
    pub fn load(path: &Path, cache_key: &str) -> Result<Api, BuildError> {
        let lib = Opened::open(
            path,
            " (is this a CUDA simulator? CPU libraries lack the device functions)",
        )?;
        lib.check_key(cache_key)?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {
                // SAFETY: the generated code defines these symbols with exactly these signatures
                // (codegen/templates/cuda/rgenn.h.tera); the ABI version guards against mismatches.
                unsafe { lib.get::<$ty>($name) }?
            };
        }
        Ok(Api {
            create: sym!(b"rgenn_create", CreateFn),
            destroy: sym!(b"rgenn_destroy", DestroyFn),
            copy_to_host: sym!(b"rgenn_copy_to_host", CopyOutFn),
            copy_to_device: sym!(b"rgenn_copy_to_device", CopyInFn),
            set_input: sym!(b"rgenn_set_input", SetInputFn),
            reset_all: sym!(b"rgenn_reset_all", AllFn),
            step_all: sym!(b"rgenn_step_all", StepAllFn),
            finish_trial_all: sym!(b"rgenn_finish_trial_all", AllFn),
            begin_backward_all: sym!(b"rgenn_begin_backward_all", BeginAllFn),
            back_step_all: sym!(b"rgenn_back_step_all", StepAllFn),
            sum_gradients: sym!(b"rgenn_sum_gradients", SumFn),
            optimizer_step: sym!(b"rgenn_optimizer_step", OptimizerFn),
            device_memory: sym!(b"rgenn_device_memory", MemoryFn),
            status: sym!(b"rgenn_status", AllFn),
            _lib: lib.lib,
        })
    }
}

/// What a negative status of a CUDA simulator means.
pub fn explain(rc: i32) -> String {
    use rgenn_codegen::backend::plan::status::*;
    match rc {
        RGENN_ERR_LANE => "lane out of range".into(),
        RGENN_ERR_UNIT => "an input unit is outside the spike-source population".into(),
        RGENN_ERR_POPULATION => "not a spike-source population".into(),
        RGENN_ERR_BUFFER => "no buffer with that index".into(),
        RGENN_ERR_STEP => "step out of range".into(),
        RGENN_ERR_INPUT => "malformed input spikes (step starts decrease or overrun the units, or a unit fires twice in one step)".into(),
        RGENN_ERR_HOST_MEMORY => "out of host memory".into(),
        RGENN_ERR_NO_ADJOINT => "the network has no adjoint pass".into(),
        rc if rc <= RGENN_ERR_CUDA => explain_cuda(RGENN_ERR_CUDA - rc),
        rc => format!("status {rc}"),
    }
}

/// A CUDA runtime error (`cudaError_t`) in words, with what to do where there is something to do.
fn explain_cuda(e: i32) -> String {
    let what = match e {
        1 => "invalid argument",
        2 => "out of GPU memory; use a smaller batch_size",
        3 => "the CUDA runtime could not initialise",
        35 => {
            "no NVIDIA driver, or one older than the CUDA 13 runtime rgenn links (install or update the driver)"
        }
        46 => "the GPU is busy or unavailable (exclusive-process mode?)",
        100 => "no CUDA-capable GPU was found",
        101 => "invalid device",
        209 => {
            "the library has no code for this GPU; rebuild with CUDA_ARCH set to its compute capability (e.g. CUDA_ARCH=native)"
        }
        222 => "the driver is too old for the library's PTX; update the driver or set CUDA_ARCH",
        700 => "illegal memory access in a kernel (a bug in rgenn)",
        719 => "a kernel failed (a bug in rgenn)",
        _ => "see cudaError_t in the CUDA documentation",
    };
    format!("CUDA error {e}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_explained() {
        assert_eq!(explain(-1), "lane out of range");
        assert!(explain(-1035).contains("CUDA error 35"));
        assert!(explain(-1035).contains("driver"));
        assert!(explain(-1100).contains("no CUDA-capable GPU"));
        assert!(explain(-1209).contains("CUDA_ARCH"));
        assert!(explain(-1042).contains("CUDA error 42"));
    }
}
