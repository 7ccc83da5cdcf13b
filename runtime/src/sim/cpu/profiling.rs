//! Turning the generated kernels' per-phase timers on and reading them.

use super::Simulator;

impl Simulator {
    /// Turn the generated kernels' phase timing on or off.
    pub fn set_profiling(&mut self, on: bool) {
        // SAFETY: valid handle; a null output pointer only sets the flag.
        unsafe { (self.lib.profile)(self.handle, i32::from(on), std::ptr::null_mut()) }
    }

    /// Nanoseconds spent per kernel phase (summed over lanes) since the last call.
    pub fn take_profile(&mut self) -> [u64; 4] {
        let mut out = [0u64; 4];
        // SAFETY: valid handle; `out` has the 4 entries the generated function writes.
        unsafe { (self.lib.profile)(self.handle, 1, out.as_mut_ptr()) }
        out
    }
}
