//! Graphs a program makes: from edges it holds, or from edge files, through one
//! [`GraphBuilder`].
//!
//! Three kinds of node ids:
//!
//! - **dense `u32`** ([`GraphBuilder::edges`]): the nodes are `0..n`, where `n` is one more
//!   than the largest id or the [`node_count`](GraphBuilder::node_count) given; a node without
//!   edges is still a node (it is dangling), and ranks are indexed by the id;
//! - **sparse `u64`** ([`GraphBuilder::sparse_edges`]): crawl ids with gaps; the nodes are
//!   the ids that appear, renumbered in increasing order;
//! - **labels** ([`GraphBuilder::labelled_edges`]): any text or bytes (URLs, names); the nodes
//!   are the labels that appear, numbered in byte order.
//!
//! Each has a weighted form, whose weights must be finite and not negative. Bad input is an
//! error naming the edge (its zero-based position in the iterator), never a panic.

use std::path::Path;
use std::sync::Arc;

use super::collect::pack;
use super::{EdgeCollector, Graph, IdMode, LoadOptions, NodeTable, build, load};
use crate::error::{Error, Result};
use crate::input::text::{IntegerBatch, check_weight};
use crate::input::{EdgeSink, Separator, expand};
use crate::progress::Silent;

/// Edges handed to the collector at a time.
const BATCH: usize = 1 << 16;

/// How to make a [`Graph`]: duplicate edges, shards, the node count of dense ids, and how to
/// read edge files.
///
/// ```
/// use crawlrank::prelude::*;
///
/// let graph = Graph::builder().multi(true).edges([(0, 1), (0, 1), (1, 2)])?;
/// assert_eq!(graph.edge_count(), 3, "parallel edges kept");
/// let graph = Graph::builder().node_count(10).edges([(0, 1)])?;
/// assert_eq!(graph.node_count(), 10);
/// assert!(Graph::builder().node_count(2).edges([(0, 5)]).is_err());
/// # Ok::<(), crawlrank::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct GraphBuilder {
    options: LoadOptions,
    node_count: Option<u32>,
}

impl Graph {
    /// A builder with the default options: duplicate edges collapse, the shard count follows
    /// from the edge count.
    pub fn builder() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// The graph of `edges` between dense `u32` node ids `0..=max`.
    ///
    /// ```
    /// use crawlrank::prelude::*;
    ///
    /// let graph = Graph::from_edges([(0, 1), (1, 2), (2, 0), (3, 0)])?;
    /// assert_eq!((graph.node_count(), graph.edge_count()), (4, 4));
    /// # Ok::<(), crawlrank::Error>(())
    /// ```
    pub fn from_edges(edges: impl IntoIterator<Item = (u32, u32)>) -> Result<Graph> {
        Graph::builder().edges(edges)
    }

    /// The graph of `edges` between sparse `u64` ids (the nodes are the ids that appear).
    pub fn from_sparse_edges(edges: impl IntoIterator<Item = (u64, u64)>) -> Result<Graph> {
        Graph::builder().sparse_edges(edges)
    }

    /// The graph of `edges` between labelled nodes (URLs, names: any text or bytes).
    ///
    /// ```
    /// use crawlrank::prelude::*;
    ///
    /// let graph = Graph::from_labelled_edges([("a.example", "b.example"), ("b.example", "a.example")])?;
    /// assert_eq!(graph.find("b.example"), Some(1));
    /// # Ok::<(), crawlrank::Error>(())
    /// ```
    pub fn from_labelled_edges<S: AsRef<[u8]>>(edges: impl IntoIterator<Item = (S, S)>) -> Result<Graph> {
        Graph::builder().labelled_edges(edges)
    }

    /// Reads edge files (plain, gzip, bzip2 or zstd; files, folders or glob patterns) with
    /// the default options: separator detected, ids integers or, if any is not, strings.
    pub fn read<P: AsRef<Path>>(inputs: impl IntoIterator<Item = P>) -> Result<Graph> {
        Graph::builder().read(inputs)
    }
}

impl GraphBuilder {
    /// Keep duplicate edges as parallel edges (each carries its share of rank) instead of
    /// collapsing them.
    pub fn multi(mut self, multi: bool) -> Self {
        self.options.build.multi = multi;
        self
    }

    /// Split the graph into `shards` source ranges (the default depends on the edge count
    /// only). Sums are added shard by shard, so the count is part of the result's definition.
    pub fn shards(mut self, shards: usize) -> Self {
        self.options.build.shards = Some(shards);
        self
    }

    /// For dense ids: the nodes are `0..node_count` (ids must be below it), not `0..=max`.
    pub fn node_count(mut self, node_count: u32) -> Self {
        self.node_count = Some(node_count);
        self
    }

    /// For files: how to read node ids (integers, strings, or integers unless one is not).
    pub fn ids(mut self, ids: IdMode) -> Self {
        self.options.ids = ids;
        self
    }

    /// For files: the field separator, instead of detecting it.
    pub fn separator(mut self, separator: Separator) -> Self {
        self.options.parse.separator = Some(separator);
        self
    }

    /// For files: every line carries a third field, the edge weight.
    pub fn weighted(mut self, weighted: bool) -> Self {
        self.options.parse.weighted = weighted;
        self
    }

    /// For files: whether each file's first record is a header to skip; without this, a
    /// header is recognised from the file's first lines.
    pub fn header(mut self, header: bool) -> Self {
        self.options.parse.header = Some(header);
        self
    }

    /// For files: count malformed lines and go on, instead of failing at the first.
    pub fn skip_bad_lines(mut self, skip: bool) -> Self {
        self.options.parse.skip_bad_lines = skip;
        self
    }

    /// Checks the options for a graph from an iterator: the file options do not apply, and
    /// the node count applies to dense ids only.
    fn check_for_edges(&self, dense: bool) -> Result<()> {
        self.options.build.validate()?;
        let defaults = LoadOptions::default();
        let parse = &self.options.parse;
        let file_only = [
            ("ids", self.options.ids != defaults.ids),
            ("separator", parse.separator.is_some()),
            ("weighted", parse.weighted),
            ("header", parse.header.is_some()),
            ("skip_bad_lines", parse.skip_bad_lines),
        ];
        if let Some((option, _)) = file_only.iter().find(|o| o.1) {
            return Err(Error::parameter(
                option,
                "applies to edge files only; edges from an iterator say whether they carry weights by their type",
            ));
        }
        if !dense && self.node_count.is_some() {
            return Err(Error::parameter(
                "node_count",
                "applies to dense u32 ids only; sparse and labelled graphs have the nodes that appear",
            ));
        }
        Ok(())
    }

    /// The graph of `edges` between dense ids.
    pub fn edges(self, edges: impl IntoIterator<Item = (u32, u32)>) -> Result<Graph> {
        self.dense(edges.into_iter().map(|(s, t)| (s, t, None)), false)
    }

    /// The weighted graph of `edges` between dense ids: each node splits its rank in
    /// proportion to its out-edges' weights.
    pub fn weighted_edges(self, edges: impl IntoIterator<Item = (u32, u32, f64)>) -> Result<Graph> {
        self.dense(edges.into_iter().map(|(s, t, w)| (s, t, Some(w))), true)
    }

    /// The graph of `edges` between sparse `u64` ids.
    pub fn sparse_edges(self, edges: impl IntoIterator<Item = (u64, u64)>) -> Result<Graph> {
        self.sparse(edges.into_iter().map(|(s, t)| (s, t, None)), false)
    }

    /// The weighted graph of `edges` between sparse `u64` ids.
    pub fn weighted_sparse_edges(self, edges: impl IntoIterator<Item = (u64, u64, f64)>) -> Result<Graph> {
        self.sparse(edges.into_iter().map(|(s, t, w)| (s, t, Some(w))), true)
    }

    /// The graph of `edges` between labelled nodes.
    pub fn labelled_edges<S: AsRef<[u8]>>(self, edges: impl IntoIterator<Item = (S, S)>) -> Result<Graph> {
        self.labelled(edges.into_iter().map(|(s, t)| (s, t, None)), false)
    }

    /// The weighted graph of `edges` between labelled nodes.
    pub fn weighted_labelled_edges<S: AsRef<[u8]>>(
        self,
        edges: impl IntoIterator<Item = (S, S, f64)>,
    ) -> Result<Graph> {
        self.labelled(edges.into_iter().map(|(s, t, w)| (s, t, Some(w))), true)
    }

    /// Reads edge files: files, folders (their files in name order, without `_*` and `.*`)
    /// or glob patterns, each plain or compressed.
    ///
    /// ```no_run
    /// use crawlrank::prelude::*;
    ///
    /// let graph = Graph::builder().weighted(true).read(["links.csv.gz"])?;
    /// # Ok::<(), crawlrank::Error>(())
    /// ```
    pub fn read<P: AsRef<Path>>(self, inputs: impl IntoIterator<Item = P>) -> Result<Graph> {
        self.options.build.validate()?;
        if self.node_count.is_some() {
            return Err(Error::parameter(
                "node_count",
                "applies to dense u32 ids from an iterator; a file's graph has the nodes that appear",
            ));
        }
        let specs: Vec<String> = inputs
            .into_iter()
            .map(|p| p.as_ref().to_string_lossy().into_owned())
            .collect();
        let files = expand(&specs)?;
        Ok(load(&files, &self.options, &Silent)?.graph)
    }

    fn dense(self, edges: impl Iterator<Item = (u32, u32, Option<f64>)>, weighted: bool) -> Result<Graph> {
        self.check_for_edges(true)?;
        let mut keys = Vec::new();
        let mut weights = weighted.then(Vec::new);
        let mut max: Option<u32> = None;
        for (index, (s, t, w)) in edges.enumerate() {
            if let Some(n) = self.node_count
                && s.max(t) >= n
            {
                return Err(bad_edge(
                    index,
                    format!("node {} is not below the node count {n}", s.max(t)),
                ));
            }
            if s.max(t) == u32::MAX {
                return Err(bad_edge(
                    index,
                    "node 4294967295 is beyond the largest dense id, 4294967294",
                ));
            }
            max = max.max(Some(s.max(t)));
            keys.push(pack(s, t));
            if let Some(weights) = &mut weights {
                weights.push(checked_weight(index, w)?);
            }
        }
        let nodes = match self.node_count {
            Some(n) => n,
            None => {
                let nodes = max.map_or(0, |m| m + 1);
                // Ids far beyond the edge count are crawl ids with gaps, not dense ids: every
                // id up to the largest would be a node (4 bytes each in several arrays).
                if nodes as u64 > 2 * keys.len() as u64 + (1 << 20) {
                    return Err(Error::Input(format!(
                        "dense ids go up to {} but there are only {} edges: every id below would be a \
                         node; give sparse ids (sparse_edges) for ids with gaps, or the node_count \
                         if the graph really has that many nodes",
                        nodes - 1,
                        keys.len()
                    )));
                }
                nodes
            }
        };
        self.options.build.validate_for(nodes)?;
        let sharded = build(keys, weights, nodes, &self.options.build);
        Ok(Graph::new(Arc::new(NodeTable::Dense(nodes)), sharded, Vec::new()))
    }

    fn sparse(self, edges: impl Iterator<Item = (u64, u64, Option<f64>)>, weighted: bool) -> Result<Graph> {
        self.check_for_edges(false)?;
        let mut collector = EdgeCollector::new(IdMode::Int, weighted);
        let mut pairs = Vec::with_capacity(BATCH);
        let mut weights = Vec::new();
        let flush = |collector: &mut EdgeCollector, pairs: &mut Vec<(u64, u64)>, weights: &mut Vec<f64>| {
            if pairs.iter().all(|&(s, t)| s.max(t) <= u32::MAX as u64) {
                let packed: Vec<u64> = pairs.iter().map(|&(s, t)| (s << 32) | t).collect();
                collector.integer_edges(IntegerBatch::Packed(&packed), weights);
            } else {
                collector.integer_edges(IntegerBatch::Pairs(pairs), weights);
            }
            pairs.clear();
            weights.clear();
        };
        for (index, (s, t, w)) in edges.enumerate() {
            pairs.push((s, t));
            if weighted {
                weights.push(checked_weight(index, w)?);
            }
            if pairs.len() == BATCH {
                flush(&mut collector, &mut pairs, &mut weights);
            }
        }
        flush(&mut collector, &mut pairs, &mut weights);
        self.finish(collector)
    }

    fn labelled<S: AsRef<[u8]>>(
        self,
        edges: impl Iterator<Item = (S, S, Option<f64>)>,
        weighted: bool,
    ) -> Result<Graph> {
        self.check_for_edges(false)?;
        let mut collector = EdgeCollector::new(IdMode::String, weighted);
        for (index, (s, t, w)) in edges.enumerate() {
            let w = if weighted {
                Some(checked_weight(index, w)?)
            } else {
                None
            };
            collector
                .edge(s.as_ref(), t.as_ref(), w)
                .map_err(|message| bad_edge(index, message))?;
        }
        self.finish(collector)
    }

    fn finish(self, collector: EdgeCollector) -> Result<Graph> {
        let dense = collector.finish()?;
        let nodes =
            u32::try_from(dense.nodes.len()).map_err(|_| Error::Input("too many nodes for 32-bit ids".to_string()))?;
        self.options.build.validate_for(nodes)?;
        let sharded = build(dense.keys, dense.weights, nodes, &self.options.build);
        Ok(Graph::new(Arc::new(dense.nodes), sharded, Vec::new()))
    }
}

/// A weight that a graph can use: finite and not negative.
fn checked_weight(index: usize, weight: Option<f64>) -> Result<f64> {
    let weight = weight.expect("weighted edges carry a weight");
    check_weight(weight).map_err(|message| bad_edge(index, format!("{message} ({weight})")))
}

/// The error for edge number `index` of an iterator.
fn bad_edge(index: usize, message: impl std::fmt::Display) -> Error {
    Error::Input(format!("edge {index} (counting from 0): {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    #[test]
    fn dense_ids_keep_isolated_nodes_and_index_by_id() {
        let g = Graph::from_edges([(0, 3), (3, 0)]).unwrap();
        assert_eq!(g.node_count(), 4, "1 and 2 are nodes without edges");
        assert_eq!(g.out_degree(), &[1, 0, 0, 1]);
        assert_eq!(g.node(2), Node::Int(2));
        let g = Graph::builder().node_count(6).edges([(0, 3)]).unwrap();
        assert_eq!(g.node_count(), 6);
        let empty = Graph::from_edges(std::iter::empty()).unwrap();
        assert_eq!(empty.node_count(), 0);
    }

    #[test]
    fn bad_ids_and_weights_are_errors_naming_the_edge() {
        let e = Graph::builder().node_count(3).edges([(0, 1), (2, 3)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "edge 1 (counting from 0): node 3 is not below the node count 3"
        );
        let e = Graph::from_edges([(0, u32::MAX - 1)]).unwrap_err();
        assert!(e.to_string().contains("give sparse ids (sparse_edges)"), "{e}");
        let e = Graph::from_edges([(u32::MAX, 0)]).unwrap_err();
        assert!(
            e.to_string().starts_with("edge 0 (counting from 0): node 4294967295"),
            "{e}"
        );
        for w in [f64::NAN, f64::INFINITY, -1.0] {
            let e = Graph::builder().weighted_edges([(0, 1, 1.0), (1, 0, w)]).unwrap_err();
            assert!(
                e.to_string().starts_with("edge 1 (counting from 0): the weight"),
                "{w}: {e}"
            );
        }
        let e = Graph::builder().shards(0).edges([(0, 1)]).unwrap_err();
        assert_eq!(e.to_string(), "shards must be at least 1");
        // shards_beyond_node_count_is_an_error: checked before any partition is made (a
        // huge count used to hang in Partition::balanced).
        let e = Graph::builder().shards(usize::MAX).edges([(0, 1)]).unwrap_err();
        assert!(e.to_string().starts_with("shards must be at most"), "{e}");
        let e = Graph::builder().shards(3).sparse_edges([(10, 20)]).unwrap_err();
        assert!(e.to_string().contains("node count, 2"), "{e}");
        assert_eq!(Graph::builder().shards(2).edges([(0, 1)]).unwrap().node_count(), 2);
    }

    #[test]
    fn options_that_do_not_apply_are_errors_not_ignored() {
        let e = Graph::builder().weighted(true).edges([(0, 1)]).unwrap_err();
        assert!(e.to_string().starts_with("weighted applies to edge files only"), "{e}");
        let e = Graph::builder().header(true).labelled_edges([("a", "b")]).unwrap_err();
        assert!(e.to_string().starts_with("header applies to edge files only"), "{e}");
        let e = Graph::builder().node_count(5).sparse_edges([(1, 2)]).unwrap_err();
        assert!(
            e.to_string().starts_with("node_count applies to dense u32 ids only"),
            "{e}"
        );
        let e = Graph::builder().node_count(5).read(["no-such-file"]).unwrap_err();
        assert!(e.to_string().starts_with("node_count applies to dense u32 ids"), "{e}");
    }

    #[test]
    fn sparse_and_labelled_ids_number_the_nodes_that_appear() {
        let big = 1u64 << 40;
        let g = Graph::from_sparse_edges([(big, 7), (7, 3)]).unwrap();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.find(big), Some(2));
        assert_eq!(g.node(0), Node::Int(3));
        let g = Graph::builder()
            .weighted_sparse_edges([(5, 6, 2.0), (6, 5, 0.5)])
            .unwrap();
        assert!(g.stats().weighted);
        let g = Graph::from_labelled_edges([("b", "a"), ("a", "c")]).unwrap();
        assert_eq!(g.find("a"), Some(0));
        assert_eq!(g.node(2).to_string(), "c");
        let g = Graph::builder()
            .weighted_labelled_edges([(String::from("x"), String::from("y"), 3.0)])
            .unwrap();
        assert_eq!(g.edge_count(), 1);
    }
}
