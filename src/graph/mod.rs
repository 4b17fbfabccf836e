//! The graph as the engine sees it: dense `u32` node ids, out- and in-degrees, and the edges
//! split into source-range [`Shard`]s by the [`Partition`].
//!
//! [`collect`] turns parsed edges into dense ids; [`build()`] sorts, deduplicates and shards
//! them; [`ids`] maps dense ids back to the user's.

pub mod bucket;
pub mod build;
pub mod collect;
pub mod ids;
pub mod shard;

use serde::Serialize;

pub use build::{BuildOptions, build};
pub use collect::{DenseEdges, EdgeCollector};
pub use ids::{IdKind, IdMode, NodeTable};
pub use shard::{Cell, Shard};

use crate::partition::Partition;

/// Counts that describe a built graph (they go to `summary.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct GraphStats {
    /// Distinct nodes.
    pub nodes: u64,
    /// Edges kept (after collapsing duplicates unless `multi`).
    pub edges: u64,
    /// Edge lines read.
    pub edges_read: u64,
    /// Duplicate edges collapsed (0 with `multi`).
    pub duplicate_edges: u64,
    /// Edges from a node to itself (kept).
    pub self_loops: u64,
    /// Nodes without out-edges (with `weighted`, also nodes whose out-weights sum to 0).
    pub dangling_nodes: u64,
    /// Parallel edges kept as such.
    pub multi: bool,
    /// Edges carry weights.
    pub weighted: bool,
}

/// A graph split into shards by source range.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardedGraph {
    /// Who owns which source range.
    pub partition: Partition,
    /// One per partition range, in order.
    pub shards: Vec<Shard>,
    /// Out-degree of every node (parallel edges counted with `multi`).
    pub out_degree: Vec<u32>,
    /// In-degree of every node.
    pub in_degree: Vec<u32>,
    /// Sum of out-edge weights of every node, when weighted.
    pub out_weight: Option<Vec<f64>>,
    /// Counts.
    pub stats: GraphStats,
}

/// Edge counts of a build, for [`GraphStats`].
#[derive(Clone, Copy, Debug)]
pub struct EdgeCounts {
    /// Edge lines read.
    pub read: u64,
    /// Edges kept.
    pub kept: u64,
    /// Self-loops kept.
    pub self_loops: u64,
}

impl ShardedGraph {
    /// Puts a built graph together; the stats follow from the arrays and `counts`.
    pub fn assemble(
        partition: Partition,
        shards: Vec<Shard>,
        out_degree: Vec<u32>,
        in_degree: Vec<u32>,
        out_weight: Option<Vec<f64>>,
        counts: EdgeCounts,
        multi: bool,
    ) -> ShardedGraph {
        let mut graph = ShardedGraph {
            partition,
            shards,
            out_degree,
            in_degree,
            out_weight,
            stats: GraphStats {
                nodes: 0,
                edges: counts.kept,
                edges_read: counts.read,
                duplicate_edges: counts.read - counts.kept,
                self_loops: counts.self_loops,
                dangling_nodes: 0,
                multi,
                weighted: false,
            },
        };
        graph.stats.nodes = graph.nodes() as u64;
        graph.stats.weighted = graph.out_weight.is_some();
        graph.stats.dangling_nodes = (0..graph.nodes()).filter(|&v| graph.is_dangling(v)).count() as u64;
        graph
    }

    /// Number of nodes.
    pub fn nodes(&self) -> u32 {
        self.out_degree.len() as u32
    }

    /// Whether `node` has nothing to pass on: no out-edge, or out-weights summing to zero.
    #[inline]
    pub fn is_dangling(&self, node: u32) -> bool {
        match &self.out_weight {
            Some(w) => w[node as usize] == 0.0,
            None => self.out_degree[node as usize] == 0,
        }
    }

    /// Bytes held by the graph's arrays (shards and per-node arrays).
    pub fn heap_bytes(&self) -> usize {
        self.shards.iter().map(Shard::heap_bytes).sum::<usize>()
            + (self.out_degree.capacity() + self.in_degree.capacity()) * 4
            + self.out_weight.as_ref().map_or(0, |w| w.capacity() * 8)
    }
}
