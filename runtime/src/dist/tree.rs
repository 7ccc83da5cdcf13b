//! The fixed pairwise tree that sums a batch's lane gradients, the same for any number of
//! processes and threads (docs/distributed.md).
//!
//! The tree is defined over lane index alone: the node of level `L` and index `j` covers lanes
//! `j 2^L .. (j + 1) 2^L` of the batch; its value is left child + right child, or the one child
//! that covers any lane of the batch (a short last batch leaves right subtrees empty). A process
//! owns a power-of-two-aligned block of lanes ([`Layout`]), which is one node of the tree: it sums
//! its block locally ([`sum_lanes_in_place`]), and the processes then combine their blocks in the
//! same tree shape ([`combine_blocks`]), so every process ends with the bits one process would
//! have. Floating-point addition is commutative, so `a + b` and `b + a` agree; only the grouping
//! matters, and the grouping is fixed here.

use std::ops::Range;

use rgenn_codegen::ir::Precision;

use super::Communicator;

/// Which lanes of a batch each of `ranks` processes runs: rank `r` runs lanes
/// `r * block .. (r + 1) * block` (those below the batch's length), with `block` the smallest
/// power of two with `block * active >= batch_size`, where `active` is the largest power of two
/// not above `ranks`, and at least the lane group (`lane_group:`, whose lanes share gradient
/// buffers and must stay on one process). Ranks from `active` on run no lanes (use a power of two
/// of ranks); with lane groups, ranks past `batch_size / lane_group` run none either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Lanes per rank (a power of two).
    pub block: usize,
    /// Ranks that run lanes (a power of two).
    pub active: usize,
    /// All ranks.
    pub ranks: usize,
}

impl Layout {
    /// The layout of batches of up to `batch_size` lanes over `ranks` processes, each block a
    /// whole number of groups of `lane_group` lanes (a power of two).
    pub fn new(batch_size: usize, ranks: usize, lane_group: usize) -> Layout {
        let ranks = ranks.max(1);
        let active = 1usize << (usize::BITS - 1 - ranks.leading_zeros());
        let per_rank = batch_size.max(1).div_ceil(active);
        Layout {
            block: per_rank.next_power_of_two().max(lane_group.max(1)),
            active,
            ranks,
        }
    }

    /// The lanes (positions in the batch) that `rank` runs in a batch of `n` trials.
    pub fn lanes(&self, rank: usize, n: usize) -> Range<usize> {
        if rank >= self.active {
            return n..n;
        }
        let first = (rank * self.block).min(n);
        first..((rank + 1) * self.block).min(n)
    }
}

/// Sum lanes `0..lanes` into lane 0 by the tree, for elements `first..end` of each lane: lane `k`
/// starts `k * stride` elements after `base`. Lane 0 then holds the tree's value of the block.
///
/// # Safety
/// `base` must point to `lanes * stride` valid elements that no other thread touches in
/// `first..end` of any lane.
pub unsafe fn sum_lanes_in_place<T: Copy + std::ops::AddAssign>(
    base: *mut T,
    stride: usize,
    lanes: usize,
    first: usize,
    end: usize,
) {
    let mut width = 1;
    while width < lanes {
        for lo in (0..lanes).step_by(2 * width) {
            let hi = lo + width;
            if hi >= lanes {
                continue;
            }
            // SAFETY: as the caller promises; lanes `lo` and `hi` do not overlap.
            let (dst, src) = unsafe {
                (
                    std::slice::from_raw_parts_mut(base.add(lo * stride + first), end - first),
                    std::slice::from_raw_parts(base.add(hi * stride + first), end - first),
                )
            };
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += s;
            }
        }
        width *= 2;
    }
}

/// Combine the ranks' block sums of a batch of `n` lanes: `bits` holds this rank's block sum
/// (learned gradients as raw `precision` values, ignored where its block is empty) and ends as
/// the sum over the batch, the same bits on every rank. Rounds of recursive doubling over the
/// active ranks (partner `rank ^ d` for `d = 1, 2, 4, ...`, the lower rank's value on the left),
/// which is the tree above the blocks; ranks from `active` on receive the result from
/// `rank - active`. Every rank calls it together.
pub fn combine_blocks(
    comm: &dyn Communicator,
    layout: &Layout,
    n: usize,
    precision: Precision,
    bits: &mut [u8],
) {
    let rank = comm.rank();
    let empty = |first_rank: usize| first_rank * layout.block >= n;
    if rank < layout.active {
        let mut theirs = vec![0u8; bits.len()];
        let mut d = 1;
        while d < layout.active {
            let partner = rank ^ d;
            // this rank's and its partner's groups of `d` ranks
            let (mine, other) = (rank & !(d - 1), partner & !(d - 1));
            if !(empty(mine) && empty(other)) {
                comm.exchange(partner, bits, &mut theirs);
                if empty(mine) {
                    bits.copy_from_slice(&theirs);
                } else if !empty(other) {
                    let (lo, hi) = if rank < partner {
                        (bits.to_vec(), &theirs)
                    } else {
                        (theirs.clone(), &bits.to_vec())
                    };
                    add_bits(precision, &lo, hi, bits);
                }
            }
            d *= 2;
        }
    }
    // the idle ranks (fewer than `active`) get the result from their active twin
    if rank >= layout.active {
        comm.receive(rank - layout.active, bits);
    } else if rank + layout.active < layout.ranks {
        comm.send(rank + layout.active, bits);
    }
}

/// `out = lo + hi` elementwise, for raw values of `precision`.
fn add_bits(precision: Precision, lo: &[u8], hi: &[u8], out: &mut [u8]) {
    match precision {
        Precision::F32 => {
            for ((o, a), b) in out
                .chunks_exact_mut(4)
                .zip(lo.chunks_exact(4))
                .zip(hi.chunks_exact(4))
            {
                let s = f32::from_le_bytes(a.try_into().expect("4 bytes"))
                    + f32::from_le_bytes(b.try_into().expect("4 bytes"));
                o.copy_from_slice(&s.to_le_bytes());
            }
        }
        Precision::F64 => {
            for ((o, a), b) in out
                .chunks_exact_mut(8)
                .zip(lo.chunks_exact(8))
                .zip(hi.chunks_exact(8))
            {
                let s = f64::from_le_bytes(a.try_into().expect("8 bytes"))
                    + f64::from_le_bytes(b.try_into().expect("8 bytes"));
                o.copy_from_slice(&s.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::threads::ThreadComm;

    /// The tree as its definition reads: node (lo, width) = left + right, or the non-empty one.
    fn by_definition(v: &[f32], lo: usize, width: usize) -> Option<f32> {
        if lo >= v.len() {
            return None;
        }
        if width == 1 {
            return Some(v[lo]);
        }
        let half = width / 2;
        match (
            by_definition(v, lo, half),
            by_definition(v, lo + half, half),
        ) {
            (Some(a), Some(b)) => Some(a + b),
            (a, None) => a,
            (None, b) => b,
        }
    }

    #[test]
    fn layout_gives_aligned_power_of_two_blocks() {
        assert_eq!(Layout::new(16, 1, 1).block, 16);
        assert_eq!(Layout::new(16, 2, 1).block, 8);
        assert_eq!(Layout::new(16, 4, 1).block, 4);
        assert_eq!(Layout::new(10, 4, 1).lanes(2, 10), 8..10);
        assert_eq!(Layout::new(10, 4, 1).lanes(3, 10), 10..10);
        // three ranks: two run lanes, the third waits for the result
        let three = Layout::new(16, 3, 1);
        assert_eq!((three.active, three.block), (2, 8));
        assert_eq!(three.lanes(2, 16), 16..16);
        assert_eq!(Layout::new(4, 8, 1).lanes(5, 4), 4..4);
        // lane groups stay on one process: blocks of at least a group, the ranks past them idle
        let grouped = Layout::new(16, 8, 4);
        assert_eq!(grouped.block, 4);
        assert_eq!(grouped.lanes(3, 16), 12..16);
        assert_eq!(grouped.lanes(4, 16), 16..16);
        assert_eq!(Layout::new(16, 2, 4).block, 8);
    }

    /// Every rank count gives the tree's bits, for batches that fill the lanes or not.
    #[test]
    fn ranks_combine_to_the_same_bits_as_one_process() {
        let batch_size = 16;
        let elems = 37;
        let mut rng = rgenn_codegen::rng::Rng::new(7);
        for n in [1, 2, 3, 5, 7, 8, 11, 16] {
            // lane-major gradients, spread over magnitudes so rounding depends on the grouping
            let grads: Vec<f32> = (0..n * elems)
                .map(|_| ((rng.uniform() - 0.5) * 10f64.powf(rng.uniform() * 6.0 - 3.0)) as f32)
                .collect();
            let expected: Vec<u32> = (0..elems)
                .map(|e| {
                    let lanes: Vec<f32> = (0..n).map(|l| grads[l * elems + e]).collect();
                    by_definition(&lanes, 0, batch_size).unwrap().to_bits()
                })
                .collect();
            for ranks in [1, 2, 3, 4, 5, 8] {
                let layout = Layout::new(batch_size, ranks, 1);
                let results: Vec<Vec<u32>> = std::thread::scope(|s| {
                    let handles: Vec<_> = ThreadComm::group(ranks)
                        .into_iter()
                        .map(|comm| {
                            let grads = &grads;
                            s.spawn(move || {
                                let mine = layout.lanes(comm.rank(), n);
                                let mut local =
                                    grads[mine.start * elems..mine.end * elems].to_vec();
                                if mine.is_empty() {
                                    local = vec![f32::NAN; elems];
                                }
                                // SAFETY: `local` holds `mine.len()` lanes of `elems` values.
                                unsafe {
                                    sum_lanes_in_place(
                                        local.as_mut_ptr(),
                                        elems,
                                        mine.len(),
                                        0,
                                        elems,
                                    )
                                };
                                let mut bits: Vec<u8> = local[..elems]
                                    .iter()
                                    .flat_map(|x| x.to_le_bytes())
                                    .collect();
                                combine_blocks(&comm, &layout, n, Precision::F32, &mut bits);
                                bits.chunks_exact(4)
                                    .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                                    .collect::<Vec<u32>>()
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap()).collect()
                });
                for (rank, got) in results.iter().enumerate() {
                    assert_eq!(got, &expected, "{n} lanes, {ranks} ranks, rank {rank}");
                }
            }
        }
    }
}
