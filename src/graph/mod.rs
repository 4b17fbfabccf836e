//! The graph: a [`Graph`] holds the user's node ids and the edges, renumbered to dense `u32`
//! ids and split into source-range shards whose edges are grouped by destination block, with
//! out- and in-degrees. [`GraphBuilder`] makes one from edges a program holds or from files.
//!
//! Inside: `load` reads input files into a graph; `collect` turns parsed edges into dense
//! ids; `build` sorts, deduplicates and shards them (`bucket` is its counting-sort fast path
//! for unweighted graphs); `shard` is the cell layout the engine reads; `ids` maps dense ids
//! back to the user's; `from_edges` is the builder.

pub(crate) mod bucket;
pub(crate) mod build;
pub(crate) mod collect;
pub(crate) mod from_edges;
pub(crate) mod ids;
pub(crate) mod load;
pub(crate) mod names;
pub(crate) mod shard;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

pub use build::BuildOptions;
pub(crate) use build::build;
pub(crate) use collect::EdgeCollector;
pub use from_edges::GraphBuilder;
pub(crate) use ids::NodeTable;
pub use ids::{IdKind, IdMode, Node};
pub use load::LoadOptions;
pub(crate) use load::{Loaded, load};
pub(crate) use shard::{Cell, Shard};

use crate::input::FileReport;
use crate::partition::Partition;

/// A graph ready to rank: its nodes under the user's ids, its edges in shards, and what was
/// read to make it.
#[derive(Clone, Debug)]
pub struct Graph {
    nodes: Arc<NodeTable>,
    sharded: ShardedGraph,
    files: Vec<FileReport>,
}

impl Graph {
    /// A graph from its parts: ids, shards and the reports of the files read.
    pub(crate) fn new(nodes: Arc<NodeTable>, sharded: ShardedGraph, files: Vec<FileReport>) -> Graph {
        debug_assert_eq!(nodes.len(), sharded.nodes() as usize, "one id per node");
        Graph { nodes, sharded, files }
    }

    /// The user's ids of the nodes, by dense id.
    pub(crate) fn nodes(&self) -> &NodeTable {
        &self.nodes
    }

    /// The id table, shared with rankings of this graph.
    pub(crate) fn node_table(&self) -> &Arc<NodeTable> {
        &self.nodes
    }

    /// The sharded graph the engine runs on.
    pub(crate) fn sharded(&self) -> &ShardedGraph {
        &self.sharded
    }

    /// The edges in shards, to change how they are held ([`ShardedGraph::hold`]).
    pub(crate) fn sharded_mut(&mut self) -> &mut ShardedGraph {
        &mut self.sharded
    }

    /// What each input file held, in input order (empty for a graph made from an iterator).
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// The user's id of node `index` (a dense id, `0..node_count()`).
    ///
    /// # Panics
    ///
    /// When `index` is not below [`node_count`](Self::node_count).
    pub fn node(&self, index: u32) -> Node<'_> {
        self.nodes.node(index)
    }

    /// The index of the node the user calls `id`, if the graph has it.
    pub fn find<'a>(&self, id: impl Into<Node<'a>>) -> Option<u32> {
        self.nodes.find(id.into())
    }

    /// Whether the graph's ids are integers or strings.
    pub fn id_kind(&self) -> IdKind {
        self.nodes.kind()
    }

    /// Node, edge, duplicate, self-loop and dangling counts.
    pub fn stats(&self) -> &GraphStats {
        self.sharded.stats()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.sharded.nodes() as usize
    }

    /// Number of edges kept (duplicates collapsed unless the graph keeps parallel edges).
    pub fn edge_count(&self) -> u64 {
        self.sharded.stats().edges
    }

    /// Out-degree of every node, by dense id.
    pub fn out_degree(&self) -> &[u32] {
        self.sharded.out_degree()
    }

    /// In-degree of every node, by dense id.
    pub fn in_degree(&self) -> &[u32] {
        self.sharded.in_degree()
    }
}

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
///
/// Its fields are private so that the arrays and the counts cannot disagree: the counts
/// are derived from the arrays in [`assemble`](Self::assemble), the only way to make one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ShardedGraph {
    /// Who owns which source range.
    partition: Partition,
    /// One per partition range, in order.
    shards: Vec<Shard>,
    /// Out-degree of every node (parallel edges counted with `multi`).
    out_degree: Vec<u32>,
    /// In-degree of every node.
    in_degree: Vec<u32>,
    /// Sum of out-edge weights of every node, when weighted. It may be +inf (weights near
    /// `f64::MAX`); it is read only for whether it is zero (all weights zero: dangling). The
    /// engine divides by the shards' scaled sums instead ([`Shard::add_stored_out_weights`]).
    out_weight: Option<Vec<f64>>,
    /// Counts.
    stats: GraphStats,
    /// Where the cells are when they are not in `shards` (a store): the shards then hold
    /// their source ranges only.
    streamed: Option<Streamed>,
}

/// Where a streamed graph's cells come from (a store), decoded on demand.
pub(crate) trait CellSource: Send + Sync + std::fmt::Debug {
    /// The number of shard `shard`'s edges into destination blocks `blocks`.
    fn edges_into(&self, shard: usize, blocks: Range<u32>) -> u64;
    /// The number of shard `shard`'s cells into destination blocks `blocks`.
    fn cells_into(&self, shard: usize, blocks: Range<u32>) -> u64;
    /// Per source of shard `shard`, the power of two its weights were divided by, when any
    /// was (see [`Shard`]).
    fn scales(&self, shard: usize) -> Option<Vec<i16>>;
    /// Decodes shard `shard`'s cells into destination blocks `blocks` into `into`, whose
    /// slices have exactly their sizes; `buffer` is scratch space. Damage is an error naming
    /// the file.
    fn load_into(
        &self,
        shard: usize,
        blocks: Range<u32>,
        into: CellSlices<'_>,
        buffer: &mut Vec<u8>,
    ) -> crate::Result<()>;
    /// Decodes shard `shard`'s cells into destination blocks `blocks` one by one and hands
    /// each to `visit`: source block by source block, and within one the destination blocks
    /// in order (so that one source block's messages are read for all its cells together).
    /// Damage is an error naming the file; cells handed over before it was found are whole
    /// and valid.
    fn visit_cells(
        &self,
        shard: usize,
        blocks: Range<u32>,
        visit: &mut dyn FnMut(VisitedCell<'_>),
    ) -> crate::Result<()>;
}

/// A cell as [`CellSource::visit_cells`] hands it over.
pub(crate) struct VisitedCell<'a> {
    pub source_block: u32,
    /// Where its edges lie among the shard's edges into the visited blocks, counted in the
    /// store's order (destination block, source block, source, destination).
    pub at: usize,
    /// Its packed edges.
    pub keys: &'a [u32],
    /// Their stored weights, for a weighted graph.
    pub weights: Option<&'a [f64]>,
}

/// Where [`CellSource::load_into`] puts a piece of a shard's cells.
pub(crate) struct CellSlices<'a> {
    /// The cells, their ends counted on from `edge_base`.
    pub cells: &'a mut [Cell],
    /// The packed edges.
    pub edges: &'a mut [u32],
    /// The stored weights, for a weighted graph.
    pub weights: Option<&'a mut [f64]>,
    /// Where these edges start in the shard's edge array being filled.
    pub edge_base: u64,
}

/// The cells of a streamed graph, and what the engine would otherwise compute from them.
#[derive(Clone, Debug)]
struct Streamed {
    source: Arc<dyn CellSource>,
    /// Each node's stored (scaled) weights summed in storage order, when weighted.
    scaled_weight_sums: Option<Vec<f64>>,
    /// Shards decoded into `shards` once ([`ShardedGraph::hold`]): a distributed worker's
    /// own, when they fit its memory.
    held: Vec<bool>,
    /// Bytes of decoded cells the engine keeps for the rounds after
    /// ([`ShardedGraph::keep_decoded`]).
    keep: u64,
}

impl PartialEq for Streamed {
    fn eq(&self, other: &Streamed) -> bool {
        Arc::ptr_eq(&self.source, &other.source)
    }
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
    pub(crate) fn assemble(
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
            streamed: None,
        };
        graph.stats.nodes = graph.nodes() as u64;
        graph.stats.weighted = graph.out_weight.is_some();
        graph.stats.dangling_nodes = (0..graph.nodes()).filter(|&v| graph.is_dangling(v)).count() as u64;
        graph
    }

    /// A graph whose cells stay where `source` keeps them (a store), decoded shard by shard
    /// and block by block when the engine needs them. The counts are the store's.
    pub(crate) fn streamed(
        partition: Partition,
        out_degree: Vec<u32>,
        in_degree: Vec<u32>,
        out_weight: Option<Vec<f64>>,
        scaled_weight_sums: Option<Vec<f64>>,
        stats: GraphStats,
        source: Arc<dyn CellSource>,
    ) -> ShardedGraph {
        let shards = (0..partition.shards())
            .map(|s| Shard::from_stored(partition.range(s), Vec::new(), Vec::new(), None, None))
            .collect();
        let held = vec![false; partition.shards()];
        ShardedGraph {
            partition,
            shards,
            out_degree,
            in_degree,
            out_weight,
            stats,
            streamed: Some(Streamed {
                source,
                scaled_weight_sums,
                held,
                keep: 0,
            }),
        }
    }

    /// Whether shard `s`'s cells are in memory (lent by [`shard`](Self::shard) at no cost).
    #[cfg(feature = "distributed")]
    pub(crate) fn shard_in_memory(&self, s: usize) -> bool {
        self.streamed.as_ref().is_none_or(|st| st.held[s])
    }

    /// Where the cells are decoded from, when they are not in memory.
    pub(crate) fn cell_source(&self) -> Option<&dyn CellSource> {
        self.streamed.as_ref().map(|s| &*s.source)
    }

    /// Shard `s` with its cells: borrowed when in memory (or held), decoded whole from a
    /// store.
    pub(crate) fn shard(&self, s: usize) -> crate::Result<Cow<'_, Shard>> {
        match &self.streamed {
            None => Ok(Cow::Borrowed(&self.shards[s])),
            Some(streamed) if streamed.held[s] => Ok(Cow::Borrowed(&self.shards[s])),
            Some(streamed) => {
                let source = &*streamed.source;
                let blocks = 0..crate::partition::block_count(self.nodes());
                let mut shard = self.shards[s].clone();
                let (cells, edges) = (
                    source.cells_into(s, blocks.clone()),
                    source.edges_into(s, blocks.clone()),
                );
                let slices = shard.resize_for(cells as usize, edges as usize, self.out_weight.is_some());
                source.load_into(s, blocks, slices, &mut Vec::new())?;
                shard.set_weight_exponents(source.scales(s));
                Ok(Cow::Owned(shard))
            }
        }
    }

    /// Decodes shards `which` of a streamed graph into memory once, for [`shard`](Self::shard)
    /// to lend from then on (a distributed worker's own shards). The local engine streams a
    /// streamed graph whole whatever is held.
    #[cfg(feature = "distributed")]
    pub(crate) fn hold(&mut self, which: &[usize]) -> crate::Result<()> {
        use rayon::prelude::*;
        if self.streamed.is_none() {
            return Ok(());
        }
        let decoded: Vec<(usize, Shard)> = which
            .par_iter()
            .map(|&s| self.shard(s).map(|shard| (s, shard.into_owned())))
            .collect::<crate::Result<_>>()?;
        let streamed = self.streamed.as_mut().expect("checked above");
        for (s, shard) in decoded {
            self.shards[s] = shard;
            streamed.held[s] = true;
        }
        Ok(())
    }

    /// Bytes shards `which` take decoded in memory (edges, weights, cell list).
    #[cfg(feature = "distributed")]
    pub(crate) fn decoded_shard_bytes(&self, which: &[usize]) -> u64 {
        let blocks = crate::partition::block_count(self.nodes());
        which
            .iter()
            .map(|&s| match &self.streamed {
                Some(st) => self.decoded_bytes(st.source.edges_into(s, 0..blocks), st.source.cells_into(s, 0..blocks)),
                None => self.decoded_bytes(
                    self.shards[s].packed_edges().len() as u64,
                    self.shards[s].cell_count() as u64,
                ),
            })
            .sum()
    }

    /// Bytes the cells take decoded in memory (edges, weights, cell list).
    pub(crate) fn decoded_cell_bytes(&self) -> u64 {
        let cells = match &self.streamed {
            Some(s) => {
                let blocks = crate::partition::block_count(self.nodes());
                (0..self.shards.len()).map(|i| s.source.cells_into(i, 0..blocks)).sum()
            }
            None => self.shards.iter().map(|s| s.cell_count() as u64).sum::<u64>(),
        };
        self.decoded_bytes(self.stats.edges, cells)
    }

    /// Bytes `edges` edges in `cells` cells take decoded: a packed edge (and its weight, if
    /// weighted) each, and the cell list.
    pub(crate) fn decoded_bytes(&self, edges: u64, cells: u64) -> u64 {
        let per_edge = if self.out_weight.is_some() { 12 } else { 4 };
        edges * per_edge + cells * size_of::<Cell>() as u64
    }

    /// Lets the engine keep up to `bytes` of a streamed graph's cells in memory once decoded:
    /// the first round decodes them (the ranking starts as soon as the store is open) and
    /// the rounds after reuse the groups of destination blocks it kept, decoding only the
    /// others again. With room for all of them, every round after the first runs as on a graph
    /// built in memory.
    pub(crate) fn keep_decoded(&mut self, bytes: u64) {
        if let Some(streamed) = &mut self.streamed {
            streamed.keep = bytes;
        }
    }

    /// Bytes of decoded cells the engine may keep ([`keep_decoded`](Self::keep_decoded)).
    pub(crate) fn kept_bytes(&self) -> u64 {
        self.streamed.as_ref().map_or(0, |s| s.keep)
    }

    /// Where the engine's cells are, for the summary: `"memory"` (built in memory, or a
    /// store's cells all kept or held), `"streamed"` (decoded every round), or `"memory and
    /// streamed"` (some kept, the rest decoded every round).
    pub(crate) fn cells_where(&self) -> &'static str {
        match &self.streamed {
            None => "memory",
            Some(s) if s.held.iter().any(|&h| h) => "memory",
            Some(s) if s.keep == 0 => "streamed",
            Some(s) if s.keep >= self.decoded_cell_bytes() => "memory",
            Some(_) => "memory and streamed",
        }
    }

    /// Each node's stored (scaled) out-weights summed in storage order, when weighted: what
    /// the engine divides shares by.
    pub(crate) fn scaled_weight_sums(&self) -> Option<Vec<f64>> {
        self.out_weight.as_ref()?;
        if let Some(sums) = self.streamed.as_ref().and_then(|s| s.scaled_weight_sums.clone()) {
            return Some(sums);
        }
        let mut sums = vec![0f64; self.nodes() as usize];
        self.shards.iter().for_each(|s| s.add_stored_out_weights(&mut sums));
        Some(sums)
    }

    /// Number of nodes.
    pub(crate) fn nodes(&self) -> u32 {
        self.out_degree.len() as u32
    }

    /// Who owns which source range.
    pub(crate) fn partition(&self) -> &Partition {
        &self.partition
    }

    /// The shards, one per partition range, in order.
    pub(crate) fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Out-degree of every node (parallel edges counted with `multi`).
    pub(crate) fn out_degree(&self) -> &[u32] {
        &self.out_degree
    }

    /// In-degree of every node.
    pub(crate) fn in_degree(&self) -> &[u32] {
        &self.in_degree
    }

    /// Sum of out-edge weights of every node, when weighted (possibly +inf; see the field).
    pub(crate) fn out_weight(&self) -> Option<&[f64]> {
        self.out_weight.as_deref()
    }

    /// Counts of nodes, edges, duplicates, self-loops and dangling nodes.
    pub(crate) fn stats(&self) -> &GraphStats {
        &self.stats
    }

    /// Whether `node` has nothing to pass on: no out-edge, or out-weights all zero. (A sum of
    /// finite non-negative weights is zero only when every weight is; a node with any weight
    /// above zero has a scaled sum of at least 2^-32, so its shares never all vanish.)
    #[inline]
    pub(crate) fn is_dangling(&self, node: u32) -> bool {
        match &self.out_weight {
            Some(w) => w[node as usize] == 0.0,
            None => self.out_degree[node as usize] == 0,
        }
    }

    /// Bytes held by the graph's arrays (shards and per-node arrays).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.shards.iter().map(Shard::heap_bytes).sum::<usize>()
            + (self.out_degree.capacity() + self.in_degree.capacity()) * 4
            + self.out_weight.as_ref().map_or(0, |w| w.capacity() * 8)
    }
}
