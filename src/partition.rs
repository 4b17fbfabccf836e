//! The one place that decides where an edge lives and where a contribution goes.
//!
//! - **Shards** own ranges of source ids, balanced by edge count. An edge lives in the shard
//!   of its source; a shard's part file holds the ranks of its source range. The shard count
//!   is part of the result's definition (partial sums are added in shard order), so its
//!   default depends on the graph's size only, never on the machine.
//! - **Destination blocks** are ranges of destination ids small enough that a block's partial
//!   sums stay in cache. A block is reduced by one worker; blocks never change results, only
//!   speed.
//!
//! - **Ownership**: which worker holds a shard's edges, writes its part file and computes its
//!   partial sums, and which worker reduces a destination block ([`Ownership`]). A local run
//!   is the case of one worker.
//!
//! The local executor and the distributed one call these same functions, so they cannot
//! disagree about who owns what.

use std::ops::Range;

/// Edges per shard the default shard count aims at.
pub(crate) const EDGES_PER_SHARD: u64 = 1 << 24;
/// The largest default shard count.
pub(crate) const MAX_DEFAULT_SHARDS: usize = 1024;
/// The most shards a graph may have (a part file each; more only adds files and per-shard
/// work). A graph also has at most as many shards as nodes.
pub(crate) const MAX_SHARDS: usize = 1 << 16;
/// log2 of [`BLOCK`].
pub(crate) const BLOCK_BITS: u32 = 15;
/// Node ids per block: 32 Ki values of 8 bytes, 256 KiB; a destination block's partial sums
/// and a source block's messages fit together in a 1 MiB L2 cache. At most 2^16, since cells
/// store 16-bit offsets.
pub(crate) const BLOCK: u32 = 1 << BLOCK_BITS;
/// Destination ids whose partial sums are reduced together (a reduce task takes one or more
/// consecutive destination blocks).
pub(crate) const DESTINATION_BLOCK: u32 = BLOCK;

/// The values of block `block` in an array indexed by node id (the last block may be short).
#[inline]
pub(crate) fn block_of<T>(values: &[T], block: u32) -> &[T] {
    let start = (block as usize) << BLOCK_BITS;
    &values[start..(start + BLOCK as usize).min(values.len())]
}

/// The default number of shards for a graph with `edges` edges: one per
/// [`EDGES_PER_SHARD`] edges, at least 1 and at most [`MAX_DEFAULT_SHARDS`].
pub(crate) fn default_shard_count(edges: u64) -> usize {
    (edges.div_ceil(EDGES_PER_SHARD) as usize).clamp(1, MAX_DEFAULT_SHARDS)
}

/// Source ranges, one per shard, covering `0..nodes` without gaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Partition {
    /// `bounds[s]..bounds[s + 1]` is shard `s`'s source range.
    bounds: Vec<u32>,
}

impl Partition {
    /// Splits `0..out_degrees.len()` into `shards` ranges of about equal cost, where a node
    /// costs its out-degree plus one (so that ranges of dangling nodes are not free: their
    /// ranks still have to be computed and written).
    ///
    /// `shards` is at most [`MAX_SHARDS`] (the entry points check it, with the node count,
    /// through [`BuildOptions`](crate::graph::BuildOptions)): the work is linear in nodes plus
    /// shards.
    pub(crate) fn balanced(out_degrees: &[u32], shards: usize) -> Partition {
        assert!(
            shards <= MAX_SHARDS,
            "{shards} shards: the entry points allow at most {MAX_SHARDS}"
        );
        let shards = shards.max(1);
        let nodes = out_degrees.len() as u32;
        let total: u64 = out_degrees.iter().map(|&d| d as u64 + 1).sum();
        let mut bounds = Vec::with_capacity(shards + 1);
        bounds.push(0);
        let mut cost = 0u64;
        let mut next = 1;
        for (node, &degree) in out_degrees.iter().enumerate() {
            // Close shards whose share is reached before this node.
            while next < shards && cost >= total * next as u64 / shards as u64 {
                bounds.push(node as u32);
                next += 1;
            }
            cost += degree as u64 + 1;
        }
        while bounds.len() < shards + 1 {
            bounds.push(nodes);
        }
        *bounds.last_mut().expect("at least two bounds") = nodes;
        Partition { bounds }
    }

    /// The partition whose shard `s` owns `bounds[s]..bounds[s + 1]` (a store's, read back;
    /// the caller has checked that the bounds start at 0 and ascend).
    pub(crate) fn from_bounds(bounds: Vec<u32>) -> Partition {
        assert!(bounds.len() >= 2 && bounds[0] == 0 && bounds.windows(2).all(|w| w[0] <= w[1]));
        Partition { bounds }
    }

    /// Number of shards.
    pub(crate) fn shards(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Number of nodes covered.
    pub(crate) fn nodes(&self) -> u32 {
        *self.bounds.last().expect("bounds are never empty")
    }

    /// Shard `s`'s source range.
    pub(crate) fn range(&self, s: usize) -> Range<u32> {
        self.bounds[s]..self.bounds[s + 1]
    }

    /// The shard that owns `source`.
    #[inline]
    pub(crate) fn shard_of(&self, source: u32) -> usize {
        debug_assert!(source < self.nodes());
        self.bounds.partition_point(|&b| b <= source) - 1
    }

    /// The bounds, first 0 and last the node count (shard `s` owns `bounds[s]..bounds[s + 1]`).
    pub(crate) fn bounds(&self) -> &[u32] {
        &self.bounds
    }
}

/// Which worker owns which shard and which block, for a run of `workers` workers (the
/// distributed executor's timely workers over all processes; one for a local run).
///
/// Shard `s` is owned by worker `s mod workers`: it holds the shard's edges, computes its
/// partial sums and writes its part file. Block `b` (source or destination, the same ranges
/// of ids) is owned by worker `b mod workers`: it collapses the duplicate edges of the
/// sources in the block while the graph is built, and reduces and applies the destinations
/// in the block every round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ownership {
    workers: usize,
}

impl Ownership {
    /// Ownership among `workers` workers (at least one).
    pub(crate) fn new(workers: usize) -> Ownership {
        Ownership {
            workers: workers.max(1),
        }
    }

    /// Everything owned by one worker: a local run.
    pub(crate) fn local() -> Ownership {
        Ownership::new(1)
    }

    /// The worker that owns shard `shard`.
    #[inline]
    pub(crate) fn shard_owner(&self, shard: usize) -> usize {
        shard % self.workers
    }

    /// The worker that owns block `block`.
    #[cfg_attr(not(feature = "distributed"), allow(dead_code))] // a local run owns every block
    #[inline]
    pub(crate) fn block_owner(&self, block: u32) -> usize {
        block as usize % self.workers
    }

    /// The worker that owns the block of node `node`.
    #[cfg_attr(not(feature = "distributed"), allow(dead_code))] // a local run owns every block
    #[inline]
    pub(crate) fn node_owner(&self, node: u32) -> usize {
        self.block_owner(node >> BLOCK_BITS)
    }

    /// The shards of `0..shards` that `worker` owns, ascending.
    pub(crate) fn shards_of(&self, worker: usize, shards: usize) -> Vec<usize> {
        (0..shards).filter(|&s| self.shard_owner(s) == worker).collect()
    }

    /// The blocks of `0..blocks` that `worker` owns, ascending.
    #[cfg_attr(not(feature = "distributed"), allow(dead_code))] // a local run owns every block
    pub(crate) fn blocks_of(&self, worker: usize, blocks: u32) -> impl Iterator<Item = u32> + use<> {
        (worker as u32..blocks).step_by(self.workers)
    }
}

/// Number of blocks covering `nodes` node ids.
#[inline]
pub(crate) fn block_count(nodes: u32) -> u32 {
    nodes.div_ceil(BLOCK)
}

/// The id range of block `block` in a graph of `nodes` nodes (the last block may be short).
#[cfg_attr(not(feature = "distributed"), allow(dead_code))]
#[inline]
pub(crate) fn block_range(block: u32, nodes: u32) -> Range<u32> {
    let start = block << BLOCK_BITS;
    start..start.saturating_add(BLOCK).min(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_node_in_order() {
        let degrees = [5, 0, 0, 7, 1, 1, 1, 1, 0, 9];
        for shards in 1..=12 {
            let p = Partition::balanced(&degrees, shards);
            assert_eq!(p.shards(), shards);
            assert_eq!(p.bounds()[0], 0);
            assert_eq!(p.nodes(), 10);
            for node in 0..10 {
                let s = p.shard_of(node);
                assert!(p.range(s).contains(&node), "node {node} shard {s} {:?}", p.bounds());
            }
        }
    }

    #[test]
    fn balanced_by_edges() {
        // One heavy node at the start, then many light ones.
        let mut degrees = vec![10_000u32];
        degrees.extend(std::iter::repeat_n(1, 1000));
        let p = Partition::balanced(&degrees, 2);
        // The heavy node alone is more than half the cost: it gets a shard of its own.
        assert_eq!(p.bounds(), &[0, 1, 1001]);
        // Light nodes only: ranges of about equal length.
        let p = Partition::balanced(&[1; 1000], 4);
        assert_eq!(p.bounds(), &[0, 250, 500, 750, 1000]);
    }

    #[test]
    fn ownership_deals_shards_and_blocks_round_robin() {
        let own = Ownership::new(3);
        assert_eq!(own.shards_of(1, 8), vec![1, 4, 7]);
        assert_eq!(own.blocks_of(2, 9).collect::<Vec<_>>(), vec![2, 5, 8]);
        assert_eq!(own.node_owner(BLOCK * 4 + 7), 1);
        let local = Ownership::local();
        assert_eq!(local.shards_of(0, 5), vec![0, 1, 2, 3, 4]);
        assert_eq!(local.blocks_of(0, 3).count(), 3);
        assert_eq!(block_range(2, 2 * BLOCK + 5), 2 * BLOCK..2 * BLOCK + 5);
        assert_eq!(block_count(2 * BLOCK + 5), 3);
    }

    #[test]
    fn default_count_depends_on_size_only() {
        assert_eq!(default_shard_count(0), 1);
        assert_eq!(default_shard_count(3_216_152), 1);
        assert_eq!(default_shard_count(65_200_000), 4);
        assert_eq!(default_shard_count(1_070_000_000), 64);
        assert_eq!(default_shard_count(u64::MAX / 2), MAX_DEFAULT_SHARDS);
    }
}
