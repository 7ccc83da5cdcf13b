//! Passes over a whole dataset, written once against a simulator: forward with recording
//! ([`simulate`], `rgenn simulate`), forward and adjoint for the mean loss's gradients ([`grad`],
//! `rgenn grad`), and the per-trial losses both use ([`loss`]).

pub mod grad;
pub mod loss;
pub mod simulate;
