//! The simulators and what they share: the CPU simulator ([`cpu`], C++ or Rust kernels), the
//! CUDA simulator ([`cuda`]), the interface the drivers run them through ([`engine`]), their
//! parameters ([`init`], and [`init_c`] for C embedding), the factory that opens one for a
//! backend ([`open`]), spike tapes that grow on overflow ([`grow`]) and per-phase timing
//! ([`profile`]).

pub mod cpu;
pub mod cuda;
pub mod engine;
pub mod grow;
pub mod init;
pub mod init_c;
pub mod open;
pub mod profile;
