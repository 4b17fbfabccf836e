//! What the criterion benchmarks in `benches/` measure, reachable from outside the crate
//! with the `internals` feature. Not an API: it follows the engine, and is hidden from the
//! documentation.

use std::sync::Arc;

use crate::algo::PageRankConfig;
use crate::algo::pagerank::{PageRankProgram, pagerank_with};
use crate::engine::LocalExecutor;
use crate::engine::local::Strategy as EngineStrategy;
use crate::error::Result;
use crate::graph::collect::DenseEdges;
use crate::graph::{BuildOptions, EdgeCollector, Graph, IdMode, NodeTable, build};
use crate::input::detect::{SeparatorEvidence, separator_from_content};
use crate::input::parallel::read_edges_parallel;
use crate::input::text::read_edges_from;
use crate::input::{ParseOptions, Separator, TextStats};

/// The separator `crawlrank rank` would find in `text` (blanks when nothing tells).
fn separator(text: &[u8]) -> Separator {
    let head = &text[..text.len().min(crate::input::detect::EVIDENCE_BYTES)];
    match separator_from_content(head, head.len() == text.len()) {
        SeparatorEvidence::Found(s) => s,
        _ => Separator::Space,
    }
}

/// Edges read from text, with dense ids, before they are sharded.
pub struct Edges {
    keys: Vec<u64>,
    nodes: Arc<NodeTable>,
}

impl From<DenseEdges> for Edges {
    fn from(dense: DenseEdges) -> Edges {
        Edges {
            keys: dense.keys,
            nodes: Arc::new(dense.nodes),
        }
    }
}

/// Reads an integer edge list the way `crawlrank rank` reads one: in parallel batches.
pub fn parse_parallel(text: &[u8]) -> Result<Edges> {
    let mut collector = EdgeCollector::new(IdMode::Auto, false);
    read_edges_parallel(
        "bench",
        text,
        &ParseOptions::default(),
        separator(text),
        false,
        TextStats::default(),
        &mut collector,
        &mut |_| {},
    )?;
    Ok(collector.finish()?.into())
}

/// Reads an edge list line by line (the path of URL ids).
pub fn parse_lines(text: &[u8]) -> Result<Edges> {
    let mut collector = EdgeCollector::new(IdMode::Auto, false);
    let (options, stats) = (ParseOptions::default(), TextStats::default());
    read_edges_from(
        "bench",
        text,
        &options,
        separator(text),
        stats,
        &mut collector,
        &mut |_| {},
    )?;
    Ok(collector.finish()?.into())
}

impl Edges {
    /// Edge lines read.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no edge was read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The sharded graph of these edges (sort, dedup, degrees, shards), as `rank` builds it
    /// (from a copy of the keys, which the builder consumes; the id table is shared).
    pub fn build(&self) -> Graph {
        let nodes = self.nodes.len() as u32;
        let sharded = build(self.keys.clone(), None, nodes, &BuildOptions::default());
        Graph::new(Arc::clone(&self.nodes), sharded, Vec::new())
    }
}

/// How the engine's rounds get messages to their destination blocks.
#[derive(Clone, Copy, Debug)]
pub enum Strategy {
    /// One pass, messages read where they lie.
    Fused,
    /// Two passes through a buffer of at most `group_edges` messages.
    Blocked {
        /// Largest number of edges in one group.
        group_edges: usize,
    },
}

/// The ranks of `graph` under `config`, with rounds run the `strategy` way.
pub fn pagerank(graph: &Graph, config: &PageRankConfig, strategy: Strategy) -> Result<Vec<f64>> {
    let strategy = match strategy {
        Strategy::Fused => EngineStrategy::Fused,
        Strategy::Blocked { group_edges } => EngineStrategy::Blocked { group_edges },
    };
    Ok(pagerank_with(&LocalExecutor { strategy }, graph.sharded(), config, None, &mut |_| {})?.ranks)
}

/// One fused PageRank round at a time, on buffers kept between rounds.
pub struct Round {
    program: PageRankProgram,
    states: Vec<f64>,
    messages: Vec<f64>,
    next: Vec<f64>,
}

impl Round {
    /// Uniform ranks on `graph`.
    pub fn new(graph: &Graph) -> Result<Round> {
        let n = graph.node_count();
        Ok(Round {
            program: PageRankProgram::new(graph.sharded(), &PageRankConfig::default(), None)?,
            states: vec![1.0 / n as f64; n],
            messages: vec![0.0; n],
            next: vec![0.0; n],
        })
    }

    /// Runs one round from the uniform ranks; returns its L1 change.
    pub fn run(&mut self, graph: &Graph) -> f64 {
        LocalExecutor::default().round(
            graph.sharded(),
            &self.program,
            &self.states,
            &mut self.messages,
            &mut self.next,
        )
    }

    /// The ranks the last round computed.
    pub fn ranks(&self) -> &[f64] {
        &self.next
    }
}
