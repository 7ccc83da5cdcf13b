//! Launch shapes of the CUDA kernels: blocks per lane and threads per block, decided here so that
//! the templates only print them. Lanes always run along the grid's y axis.

use serde::Serialize;

/// Most threads in a block of a kernel that loops over neurons or synapses.
pub const MAX_THREADS: u64 = 256;
/// Most threads in a block that handles a whole population of one lane (spike lists).
pub const MAX_SPIKING_THREADS: u64 = 1024;
/// Most blocks per lane of the grid-stride reset, finish and gradient-sum kernels.
pub const MAX_STRIDE_BLOCKS: u64 = 1024;
/// About how many blocks a reverse connection kernel launches over all lanes together: each block
/// takes whole spikes, so more blocks than a step's spikes only wait.
pub const SPIKE_BLOCKS_PER_LAUNCH: u64 = 4096;

/// Blocks per lane and threads per block of one kernel.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Launch {
    /// Blocks per lane (grid x).
    pub blocks: u64,
    /// Threads per block, a multiple of the warp size.
    pub threads: u64,
}

impl Launch {
    /// Enough blocks of at most `max_threads` (a multiple of the warp size) to give each of `n`
    /// items its own thread; at least one block of one warp.
    pub fn cover(n: u64, max_threads: u64) -> Launch {
        let threads = n.div_ceil(32).clamp(1, max_threads / 32) * 32;
        Launch {
            blocks: n.div_ceil(threads).max(1),
            threads,
        }
    }

    /// Like `cover`, with at most `MAX_STRIDE_BLOCKS` blocks for kernels that loop with a grid stride.
    pub fn stride(n: u64) -> Launch {
        let l = Launch::cover(n, MAX_THREADS);
        Launch {
            blocks: l.blocks.min(MAX_STRIDE_BLOCKS),
            ..l
        }
    }

    /// One block per lane with a thread for each of `n` items (looping beyond `max_threads`).
    pub fn one_block(n: u64, max_threads: u64) -> Launch {
        Launch {
            blocks: 1,
            ..Launch::cover(n, max_threads)
        }
    }

    /// A kernel whose blocks take one spike each, in a grid stride over the spikes of a step, with
    /// a thread for each of `row_len` synapses of a row: up to one block per neuron of a `source`
    /// population, fewer when the batch is large.
    pub fn per_spike(source: u64, row_len: u64, batch: u32) -> Launch {
        let per_lane = (SPIKE_BLOCKS_PER_LAUNCH / batch.max(1) as u64).max(1);
        Launch {
            blocks: source.clamp(1, per_lane),
            threads: Launch::cover(row_len, MAX_THREADS).threads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launches_cover_every_item_in_whole_warps() {
        assert_eq!(
            Launch::cover(20, 256),
            Launch {
                blocks: 1,
                threads: 32
            }
        );
        assert_eq!(
            Launch::cover(700, 256),
            Launch {
                blocks: 3,
                threads: 256
            }
        );
        assert_eq!(
            Launch::cover(700, 1024),
            Launch {
                blocks: 1,
                threads: 704
            }
        );
        assert_eq!(
            Launch::cover(0, 256),
            Launch {
                blocks: 1,
                threads: 32
            }
        );
    }

    #[test]
    fn stride_launches_are_capped() {
        assert_eq!(Launch::stride(10_000_000).blocks, MAX_STRIDE_BLOCKS);
    }

    #[test]
    fn per_spike_launches_shrink_with_the_batch() {
        assert_eq!(
            Launch::per_spike(700, 256, 1),
            Launch {
                blocks: 700,
                threads: 256
            }
        );
        assert_eq!(Launch::per_spike(700, 20, 256).blocks, 16);
        assert_eq!(Launch::per_spike(700, 20, 256).threads, 32);
        assert_eq!(Launch::per_spike(2, 20, 100_000).blocks, 1);
    }
}
