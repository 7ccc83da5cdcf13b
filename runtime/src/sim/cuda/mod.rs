//! A safe handle on a generated CUDA simulator: build it with nvcc into the cache, load it, copy
//! buffers between host and device, upload parameters and inputs, and run whole batches forward
//! and backward with the batch-wide entry points (`batch.rs`), behind the drivers' `Engine`
//! (`engine_impl.rs`), through which the dataset passes of `passes/` run it.
//!
//! Device buffers cannot be read through `rgenn_buffer` (it returns device pointers), so every
//! read and write here is a whole-buffer copy (`rgenn_copy_to_host`/`_device`). Kernel launches
//! are asynchronous: errors surface at the next copy or [`CudaSimulator::status`].

mod api;
mod batch;
mod engine_impl;
pub mod parity;

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use rgenn_codegen::backend::Backend;
use rgenn_codegen::ir::buffers::{Owner, Role};
use rgenn_codegen::ir::{Buffer, Elem, ModelKind, Network, Precision};

use crate::build::cache;
use crate::data::SpikeDataset;
use crate::error::{BuildError, SimError};
use crate::passes::grad::GradOutput;
use crate::passes::simulate::SimOutput;
use crate::sim::cpu::TrialInput;
use crate::sim::init::Params;

pub use api::explain;
pub use batch::add_gradients;

/// [`crate::passes::simulate::simulate`] on the GPU: every trial of `data` forward, recording
/// what the CPU's pass records.
pub fn simulate(
    sim: &mut CudaSimulator,
    data: &SpikeDataset,
    data_path: &Path,
) -> Result<SimOutput, SimError> {
    crate::passes::simulate::simulate(sim, data, data_path, 1)
}

/// [`crate::passes::grad::grad`] on the GPU: mean loss, accuracy and the gradients of the mean
/// loss over every trial of `data`.
pub fn grad(
    sim: &mut CudaSimulator,
    data: &SpikeDataset,
    data_path: &Path,
) -> Result<GradOutput, SimError> {
    crate::passes::grad::grad(sim, data, data_path, 1)
}

/// Host copy of one whole buffer (all lanes), in its element type.
#[derive(Clone, Debug, PartialEq)]
pub enum HostBuffer {
    /// f32 scalars.
    F32(Vec<f32>),
    /// f64 scalars.
    F64(Vec<f64>),
    /// u32 values.
    U32(Vec<u32>),
    /// u16 values.
    U16(Vec<u16>),
}

impl HostBuffer {
    /// The values as f64 (exact for every element type).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            HostBuffer::F32(x) => x.iter().map(|&v| v as f64).collect(),
            HostBuffer::F64(x) => x.clone(),
            HostBuffer::U32(x) => x.iter().map(|&v| v as f64).collect(),
            HostBuffer::U16(x) => x.iter().map(|&v| v as f64).collect(),
        }
    }

    fn ptr(&self) -> *const c_void {
        match self {
            HostBuffer::F32(x) => x.as_ptr().cast(),
            HostBuffer::F64(x) => x.as_ptr().cast(),
            HostBuffer::U32(x) => x.as_ptr().cast(),
            HostBuffer::U16(x) => x.as_ptr().cast(),
        }
    }

    fn ptr_mut(&mut self) -> *mut c_void {
        match self {
            HostBuffer::F32(x) => x.as_mut_ptr().cast(),
            HostBuffer::F64(x) => x.as_mut_ptr().cast(),
            HostBuffer::U32(x) => x.as_mut_ptr().cast(),
            HostBuffer::U16(x) => x.as_mut_ptr().cast(),
        }
    }

    fn len(&self) -> usize {
        match self {
            HostBuffer::F32(x) => x.len(),
            HostBuffer::F64(x) => x.len(),
            HostBuffer::U32(x) => x.len(),
            HostBuffer::U16(x) => x.len(),
        }
    }
}

/// A loaded CUDA simulator of one network, holding device memory for every buffer.
pub struct CudaSimulator {
    api: api::Api,
    handle: *mut c_void,
    net: Network,
    library: PathBuf,
    /// Source population fed by datasets.
    pub input_pop: Option<usize>,
}

// SAFETY: the handle is owned by this struct and every call goes through `&mut self`, so calls are
// serialised; the generated simulator keeps its own CUDA stream.
unsafe impl Send for CudaSimulator {}

impl CudaSimulator {
    /// Build (or reuse from the cache) and load the CUDA simulator of `net`.
    pub fn build(net: &Network) -> Result<CudaSimulator, BuildError> {
        Self::build_in(net, &cache::cache_root())
    }

    /// [`CudaSimulator::build`] with an explicit cache folder.
    pub fn build_in(net: &Network, root: &Path) -> Result<CudaSimulator, BuildError> {
        let built = cache::build_in(net, Backend::Cuda, root)?;
        Self::load(net, &built.library, &built.cache_key)
    }

    /// Load an already built CUDA library and allocate the simulator on the current GPU; every
    /// lane starts reset.
    pub fn load(
        net: &Network,
        library: &Path,
        cache_key: &str,
    ) -> Result<CudaSimulator, BuildError> {
        let api = api::Api::load(library, cache_key)?;
        // SAFETY: `create` allocates a fresh simulator and returns null on failure.
        let handle = unsafe { (api.create)() };
        if handle.is_null() {
            // SAFETY: `status(NULL)` reads the reason of the last failed `create`.
            let rc = unsafe { (api.status)(std::ptr::null_mut()) };
            return Err(BuildError::Load {
                path: library.to_path_buf(),
                message: format!("creating the simulator on the GPU failed: {}", explain(rc)),
            });
        }
        let input_pop = net
            .populations
            .iter()
            .position(|p| net.model_of(p).kind == ModelKind::SpikeSource);
        let mut sim = CudaSimulator {
            api,
            handle,
            net: net.clone(),
            library: library.to_path_buf(),
            input_pop,
        };
        sim.call("resetting every lane", |a, h| unsafe { (a.reset_all)(h) })
            .and_then(|()| sim.status())
            .map_err(|e| BuildError::Load {
                path: library.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(sim)
    }

    /// The network this simulator runs.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The library it was loaded from.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// Index of the buffer of `owner` with `role`.
    pub fn find(&self, owner: Owner, role: Role) -> Option<usize> {
        crate::sim::engine::find(&self.net, owner, role)
    }

    /// Run one entry point and turn a non-zero status into an error naming `what`.
    fn call(
        &mut self,
        what: &str,
        f: impl FnOnce(&api::Api, *mut c_void) -> i32,
    ) -> Result<(), SimError> {
        match f(&self.api, self.handle) {
            0 => Ok(()),
            rc => Err(SimError::Device {
                what: what.to_string(),
                message: explain(rc),
            }),
        }
    }

    /// Wait for every launched kernel and report the first error since the last call.
    pub fn status(&mut self) -> Result<(), SimError> {
        // SAFETY: valid handle.
        self.call("running the simulator on the GPU", |a, h| unsafe {
            (a.status)(h)
        })
    }

    fn total_len(&self, b: &Buffer) -> usize {
        (b.len * self.net.copies(b)) as usize
    }

    /// Copy buffer `index` (all lanes) to the host.
    pub fn copy_to_host(&mut self, index: usize) -> Result<HostBuffer, SimError> {
        let b = &self.net.buffers[index];
        let n = self.total_len(b);
        let mut out = match (b.elem, self.net.precision) {
            (Elem::Scalar, Precision::F32) => HostBuffer::F32(vec![0.0; n]),
            (Elem::Scalar, Precision::F64) => HostBuffer::F64(vec![0.0; n]),
            (Elem::U32, _) => HostBuffer::U32(vec![0; n]),
            (Elem::U16, _) => HostBuffer::U16(vec![0; n]),
        };
        let dst = out.ptr_mut();
        let what = format!("copying `{}` to the host", b.name);
        // SAFETY: `dst` holds exactly the buffer's element count and type (same IR).
        self.call(&what, |a, h| unsafe {
            (a.copy_to_host)(h, index as u32, dst)
        })?;
        Ok(out)
    }

    /// Copy `values` into buffer `index` (all lanes); they must have its type and length.
    pub fn copy_to_device(&mut self, index: usize, values: &HostBuffer) -> Result<(), SimError> {
        let b = &self.net.buffers[index];
        let matches = matches!(
            (values, b.elem, self.net.precision),
            (HostBuffer::F32(_), Elem::Scalar, Precision::F32)
                | (HostBuffer::F64(_), Elem::Scalar, Precision::F64)
                | (HostBuffer::U32(_), Elem::U32, _)
                | (HostBuffer::U16(_), Elem::U16, _)
        );
        assert!(
            matches && values.len() == self.total_len(b),
            "host values of the wrong type or length for `{}`",
            b.name
        );
        let what = format!("copying `{}` to the GPU", b.name);
        let src = values.ptr();
        // SAFETY: `src` holds exactly the buffer's element count and type (checked above).
        self.call(&what, |a, h| unsafe {
            (a.copy_to_device)(h, index as u32, src)
        })
    }

    /// Buffer `index` as f64 values.
    pub fn read_f64(&mut self, index: usize) -> Result<Vec<f64>, SimError> {
        Ok(self.copy_to_host(index)?.to_f64())
    }

    /// Write f64 values into the whole buffer `index`, rounded to its element type.
    pub fn write_f64(&mut self, index: usize, values: &[f64]) -> Result<(), SimError> {
        let b = &self.net.buffers[index];
        let host = match (b.elem, self.net.precision) {
            (Elem::Scalar, Precision::F32) => {
                HostBuffer::F32(values.iter().map(|&v| v as f32).collect())
            }
            (Elem::Scalar, Precision::F64) => HostBuffer::F64(values.to_vec()),
            (Elem::U32, _) => HostBuffer::U32(values.iter().map(|&v| v as u32).collect()),
            (Elem::U16, _) => HostBuffer::U16(values.iter().map(|&v| v as u16).collect()),
        };
        self.copy_to_device(index, &host)
    }

    /// Write connectivity, weights and delays (ms, and their step delays) to the GPU, as
    /// `init::upload` does for any simulator.
    pub fn upload(&mut self, params: &Params) -> Result<(), SimError> {
        crate::sim::init::upload(self, params)
    }

    /// Set one lane's input spikes (copied to the GPU).
    pub fn set_input(&mut self, lane: u32, input: &TrialInput) -> Result<(), SimError> {
        let pop = crate::sim::engine::input_population(self.input_pop)?;
        crate::sim::engine::check_input(&self.net, input)?;
        let what = format!("setting the input spikes of lane {lane}");
        // SAFETY: the slices outlive the call; the generated code copies them.
        self.call(&what, |a, h| unsafe {
            (a.set_input)(
                h,
                pop as u32,
                lane,
                input.step_start.as_ptr(),
                input.units.as_ptr(),
                input.units.len() as u64,
            )
        })
    }

    /// Free and total memory of the GPU in bytes (`cudaMemGetInfo`).
    pub fn device_memory(&mut self) -> Result<(u64, u64), SimError> {
        let (mut free, mut total) = (0u64, 0u64);
        // SAFETY: two valid out-pointers.
        self.call("querying GPU memory", |a, _| unsafe {
            (a.device_memory)(&mut free, &mut total)
        })?;
        Ok((free, total))
    }

    /// Bytes of device memory the network's buffers take (without input spikes and scratch).
    pub fn buffer_bytes(&self) -> u64 {
        let scalar = self.net.scalar_bytes();
        self.net
            .buffers
            .iter()
            .map(|b| b.bytes(scalar, self.net.copies(b)))
            .sum()
    }
}

impl Drop for CudaSimulator {
    fn drop(&mut self) {
        // SAFETY: the handle came from `create` and is destroyed once.
        unsafe { (self.api.destroy)(self.handle) }
    }
}
