//! The status codes of the generated simulators' C ABI (`rgenn.h`), and of the Rust backend's
//! functions, which return the same numbers.
//!
//! Every call returns 0 on success, or one of these negative codes. `rgenn_begin_backward` also
//! returns 1 + the index of the first population whose spike tape overflowed.

/// A lane >= the batch size, or a lane count outside 1..=batch size (also: a null pointer).
pub const RGENN_ERR_LANE: i32 = -1;
/// An input unit >= the population's size.
pub const RGENN_ERR_UNIT: i32 = -2;
/// Not a spike-source population.
pub const RGENN_ERR_POPULATION: i32 = -3;
/// No buffer with that index (CUDA).
pub const RGENN_ERR_BUFFER: i32 = -4;
/// A step >= the steps per trial (CUDA).
pub const RGENN_ERR_STEP: i32 = -5;
/// Input step starts that decrease or exceed the number of units (or, on CUDA, a unit firing
/// twice in one step).
pub const RGENN_ERR_INPUT: i32 = -6;
/// A host allocation failed (CUDA).
pub const RGENN_ERR_HOST_MEMORY: i32 = -7;
/// The network has no adjoint pass (some model lacks `adjoint:`).
pub const RGENN_ERR_NO_ADJOINT: i32 = -8;
/// CUDA runtime errors: `RGENN_ERR_CUDA - e` for the `cudaError_t` `e`.
pub const RGENN_ERR_CUDA: i32 = -1000;

/// Every code with its C name, in the order `rgenn.h` lists them.
pub const ALL: [(&str, i32); 9] = [
    ("RGENN_ERR_LANE", RGENN_ERR_LANE),
    ("RGENN_ERR_UNIT", RGENN_ERR_UNIT),
    ("RGENN_ERR_POPULATION", RGENN_ERR_POPULATION),
    ("RGENN_ERR_BUFFER", RGENN_ERR_BUFFER),
    ("RGENN_ERR_STEP", RGENN_ERR_STEP),
    ("RGENN_ERR_INPUT", RGENN_ERR_INPUT),
    ("RGENN_ERR_HOST_MEMORY", RGENN_ERR_HOST_MEMORY),
    ("RGENN_ERR_NO_ADJOINT", RGENN_ERR_NO_ADJOINT),
    ("RGENN_ERR_CUDA", RGENN_ERR_CUDA),
];
