//! Where ranks are written: one exporter per format behind [`Exporter`], all writing into a
//! staging folder whose files replace the previous result only once everything is written
//! (`commit`).
//!
//! A result folder `DIR` holds `ranks/part-NNNNN.<ext>` (one per shard, Spark's
//! `saveAsTextFile` layout, `_SUCCESS` last), `top.tsv` and `summary.json`. A failed or
//! interrupted run leaves the previous complete result as it was; the new files appear
//! together, and `ranks/_SUCCESS` is written only after all of them.
//!
//! Ids in the part files and `top.tsv` are the user's bytes; an id holding a tab, a `"` or a
//! line end is quoted CSV-style (RFC 4180), so those files read back with the same ids in
//! [`read_top`], `crawlrank export`, pandas and Spark. Formats that must be UTF-8 (GEXF, the
//! HTML report, JSON) show an id that is not UTF-8 with U+FFFD in place of its bad bytes.
//!
//! `bvgraph` (feature `bvgraph`) writes the graph itself, not its ranks, as a LAW WebGraph
//! BVGraph (`BvgraphExport`).

#[cfg(feature = "bvgraph")]
pub(crate) mod bvgraph;
pub mod cc_ranks;
pub(crate) mod checkpoint;
pub(crate) mod commit;
pub(crate) mod gexf;
pub(crate) mod parts;
pub(crate) mod subgraph;
pub mod summary;
pub mod top;
pub(crate) mod tsv;

use std::path::Path;

#[cfg(feature = "bvgraph")]
pub use bvgraph::{BvgraphExport, BvgraphReport};
pub use cc_ranks::CcRanks;
pub use commit::SUCCESS;
pub(crate) use commit::{FolderLock, Staging};
pub use gexf::{ColorBy, GexfExport, GexfOptions, GexfReport, GexfVersion, Layout, SelectBy};
pub use parts::{OutputCompression, PartFiles};
pub(crate) use subgraph::Selection;
pub use summary::Summary;
pub use top::{TopRow, TopTable, read_top, top_nodes};

use crate::error::Result;
use crate::graph::{Graph, NodeTable, ShardedGraph};

/// Image file format of the charts (drawn with the `plots` feature).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum PlotFormat {
    /// PNG bitmaps.
    #[default]
    Png,
    /// SVG vector drawings (text as text).
    Svg,
}

impl PlotFormat {
    /// File name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PlotFormat::Png => "png",
            PlotFormat::Svg => "svg",
        }
    }
}

/// A finished ranking, as exporters see it: a graph and one score per node.
#[derive(Clone, Copy)]
pub struct Ranked<'a> {
    /// The graph that was ranked.
    pub(crate) graph: &'a ShardedGraph,
    /// The user's ids.
    pub(crate) nodes: &'a NodeTable,
    /// One score per dense node id.
    pub(crate) ranks: &'a [f64],
}

impl<'a> Ranked<'a> {
    /// The ranking `ranks` (one score per dense node id) of `graph`.
    ///
    /// # Panics
    ///
    /// When `ranks` does not hold one score per node of `graph`.
    pub fn new(graph: &'a Graph, ranks: &'a [f64]) -> Ranked<'a> {
        assert_eq!(ranks.len(), graph.node_count(), "one score per node");
        Ranked {
            graph: graph.sharded(),
            nodes: graph.nodes(),
            ranks,
        }
    }
}

/// Writes one kind of result into a folder.
pub trait Exporter: Sync {
    /// Writes the result below `dir` (a staging folder), flushing everything it wrote.
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()>;
}
