//! `summary.json`: everything about a run that a later tool (plots, reports, benchmarks)
//! needs, including the semantics it ran with.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::OutputCompression;
use crate::algo::Dangling;
use crate::engine::IterationReport;
use crate::error::{Error, Result};
use crate::graph::{GraphStats, IdKind};
use crate::input::FileReport;

/// The run's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Parameters {
    /// α.
    pub damping: f64,
    /// L1 tolerance.
    pub tolerance: f64,
    /// Iteration limit.
    pub max_iterations: usize,
    /// Where dangling rank goes.
    pub dangling: Dangling,
    /// Edge weights used.
    pub weighted: bool,
    /// Parallel edges kept.
    pub multi: bool,
    /// The personalization file, if any.
    pub personalization: Option<String>,
    /// Nodes named in it.
    pub personalization_nodes: usize,
    /// Number of shards (part of the result's definition).
    pub shards: usize,
    /// Whether the shard count was chosen from the graph's size.
    pub shards_by_default: bool,
    /// Worker threads (speed only).
    pub threads: usize,
    /// Precision of the shares of rank sent along edges, `f64` or `f32` (ranks and sums are
    /// `f64` in both).
    pub precision: String,
    /// Teleport distribution.
    pub teleport: String,
}

/// How the input was read, so that a later `export` reads the same graph.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadRecord {
    /// `--ids`.
    pub ids: crate::graph::IdMode,
    /// `--sep`, when given.
    pub separator: Option<crate::input::Separator>,
    /// `--header` (`true`), `--no-header` (`false`), or recognised per file (`null`; what
    /// was found is in each input's `header`).
    #[serde(default)]
    pub header: Option<bool>,
    /// `--skip-bad-lines`.
    pub skip_bad_lines: bool,
    /// `--weighted`.
    pub weighted: bool,
    /// `--multi`.
    pub multi: bool,
    /// The shard count used.
    pub shards: usize,
    /// `--names` and `--names-reversed` (names files as absolute paths where they exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<crate::input::names::NamesOptions>,
}

/// Seconds per phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Phases {
    /// Reading and parsing the input.
    pub read: f64,
    /// Renumbering ids, sorting, sharding.
    pub partition: f64,
    /// All iterations.
    pub iterate: f64,
    /// Writing part files and the top table.
    pub write: f64,
    /// Everything.
    pub total: f64,
}

/// Where the results are.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outputs {
    /// The ranks folder (Spark layout).
    pub ranks: String,
    /// Part file compression.
    pub compression: OutputCompression,
    /// Number of part files.
    pub part_files: usize,
    /// The top table.
    pub top: String,
    /// Rows in it.
    pub top_rows: usize,
    /// The GEXF file, when one was written.
    pub gexf: Option<super::GexfReport>,
    /// Common Crawl's ranks layout, when written (`--cc-ranks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc_ranks: Option<String>,
}

/// The content of `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    /// crawlrank's version.
    pub crawlrank_version: String,
    /// The command line as typed.
    pub command: Vec<String>,
    /// One entry per input file.
    pub inputs: Vec<FileReport>,
    /// Node and edge counts.
    pub graph: GraphStats,
    /// Kind of node ids.
    pub ids: IdKind,
    /// Malformed lines skipped (with `--skip-bad-lines`).
    pub bad_lines_skipped: u64,
    /// Parameters.
    pub parameters: Parameters,
    /// How the input was read.
    pub load: LoadRecord,
    /// Per iteration: L1 change and seconds.
    pub iterations: Vec<IterationReport>,
    /// Iterations run.
    pub iterations_run: usize,
    /// Whether the tolerance was reached.
    pub converged: bool,
    /// The last L1 change.
    pub residual: f64,
    /// α/(1−α)·residual, a bound on the L1 error.
    pub error_bound: f64,
    /// Sum of the ranks (1 up to rounding).
    pub rank_sum: f64,
    /// Seconds per phase.
    pub phases: Phases,
    /// Peak resident memory of the process, in bytes (Linux).
    pub peak_rss_bytes: Option<u64>,
    /// Memory held by the sharded graph, in bytes.
    pub graph_bytes: u64,
    /// Result files.
    pub outputs: Outputs,
    /// Rank and degree distributions, for plots.
    pub distributions: crate::analysis::Distributions,
    /// How a distributed run was spread (absent for a local run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<DistributedRecord>,
    /// The node names read (`--names`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<crate::graph::names::NamesReport>,
    /// Where the ranks started, for a warm start (`--init`; absent: uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitRecord>,
    /// The store the graph was read from (`crawlrank rank STORE`; absent: the inputs were
    /// read). `inputs` and `load` are then what the store was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreRecord>,
    /// Checkpoints (`--checkpoint-every`, `--resume`; absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointRecord>,
}

/// What a run did with checkpoints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// The checkpoint file (removed once the result is committed).
    pub path: String,
    /// `--checkpoint-every`: rounds between checkpoints (`null`: none written).
    pub every: Option<usize>,
    /// Checkpoints written by this run.
    pub written: usize,
    /// The round this run resumed after (`--resume`), if it did.
    pub resumed_after: Option<usize>,
    /// Why a checkpoint could not be written, if one could not (the run went on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The store a run ranked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoreRecord {
    /// The store folder (absolute).
    pub path: String,
    /// Bytes of its files.
    pub bytes: u64,
    /// The `crawlrank build` command that made it.
    pub built_by: Vec<String>,
    /// Where the iterations read the cells: `memory` (decoded once, they fit in `--memory`)
    /// or `streamed` (decoded from the store every iteration).
    pub cells: String,
}

/// A warm start (`--init DIR`): which result the first ranks came from, and how its nodes met
/// the graph ranked now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InitRecord {
    /// The result folder, absolute.
    pub from: String,
    /// Nodes of this graph that started at their rank there.
    pub nodes_ranked_there: u64,
    /// Nodes of this graph it did not rank, started at 1/n (before the whole was normalised).
    pub new_nodes: u64,
    /// Ids it ranked that are not nodes of this graph (dropped).
    pub ids_not_in_graph: u64,
}

/// The processes of a distributed run and what crossed between them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DistributedRecord {
    /// `host:port` of every process.
    pub hosts: Vec<String>,
    /// Timely workers per process.
    pub workers_per_process: usize,
    /// Which worker owned each shard (`shard mod workers`).
    pub shard_owner: String,
    /// Partial-sum payload bytes sent between processes, per round (all workers).
    pub partial_bytes_per_round: f64,
    /// State payload bytes sent between processes, per round (all workers).
    pub state_bytes_per_round: f64,
    /// Partial-sum records (one per shard and destination block) per round.
    pub partial_records_per_round: f64,
    /// Payload bytes between processes per round divided by the edge count.
    pub bytes_per_edge_per_round: f64,
}

impl Summary {
    /// Reads `summary.json` from `dir`.
    pub fn read(dir: &Path) -> Result<Summary> {
        let path = dir.join("summary.json");
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::Input(format!(
                "{}: not a summary this version of crawlrank can read ({e})",
                path.display()
            ))
        })
    }

    /// Writes `summary.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join("summary.json");
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| Error::io(&path, e.into()))?;
        text.push(b'\n');
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    }
}
