//! Tuning constants shared by every backend's generated code (and by the runtime).

/// Neurons per chunk of one-byte flags in the spike and reverse-spike lists: the generated code
/// keeps a stack array of at most this many bytes (a multiple of 8, whatever a population's size).
pub const FLAG_CHUNK: u32 = 4096;

/// Synapses per block of the CPU optimiser's loops over the lanes' gradients (one block of every
/// lane is summed while it is still in cache).
pub const OPTIMIZER_BLOCK: u32 = 32768;

/// Bytes per vector of the CPU backend's vectorised reverse rows (the GCC/Clang vector
/// extension): 16, what every x86-64 (SSE2) and arm64 (NEON) processor has without target flags.
pub const CPU_VECTOR_BYTES: u32 = 16;

/// Longest block of a dense row whose ring indices are computed before its additions (a stack
/// array of this many `uint32_t`).
pub const MAX_BLOCK: u32 = 512;

/// Posts per block of a dense row's delivery into a target of `target_size` neurons: the whole
/// row, or [`MAX_BLOCK`] when it is longer (at least 1).
pub fn dense_block(target_size: u32) -> u32 {
    target_size.clamp(1, MAX_BLOCK)
}
