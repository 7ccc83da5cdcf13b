//! The plan: every backend-independent decision about a network, made once from the IR and read
//! by every backend's printer.
//!
//! The IR says *what* a network is; the plan says *how* every backend runs it where that does not
//! depend on the backend: how each connection delivers spikes ([`delivery`]), which algorithm
//! updates each population ([`update`]), what its readout accumulates, starts from and finishes
//! with ([`readout`]), what each per-lane buffer is reset to and when ([`reset`]), which gradients
//! training accumulates ([`gradients`]), which reverse steps a connection's backward kernel skips
//! ([`quiet`]), the tuning constants and C status codes the generated
//! code and the runtime share ([`consts`], [`status`]), and where a buffer of a given owner and role lives
//! ([`lookup`]). Printers switch on these typed values; none of them re-derives a decision from
//! combinations of IR fields.

pub mod consts;
pub mod delivery;
pub mod gradients;
pub mod lookup;
pub mod quiet;
pub mod readout;
pub mod reset;
pub mod status;
pub mod update;

pub use delivery::{Delay, Delivery, Fanout};
pub use lookup::{buffer, buffer_name};
pub use readout::{Accumulate, Drive, ReadoutPlan, Start};
pub use update::Update;
