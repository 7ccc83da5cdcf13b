//! Input data: spike datasets and binning ([`spikes`]), npz files ([`npz`]), the network's
//! train / validation / test splits ([`splits`]), augmentation ([`augment`]), SHD/SSC HDF5 files
//! ([`shd`]) and the built-in generators ([`generators`], [`synthetic`]).

pub mod augment;
pub mod extent;
pub mod generators;
pub mod npz;
pub mod shd;
pub mod spikes;
pub mod splits;
pub mod synthetic;

pub use spikes::{SpikeDataset, bin_spikes, read_speakers};
