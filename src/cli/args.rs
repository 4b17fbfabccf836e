//! The raw command line, as clap parses it. [`super`] validates it into library jobs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::algo::Dangling;
use crate::graph::IdMode;
use crate::input::Separator;
use crate::output::OutputCompression;

/// Rank the pages of large link graphs with PageRank.
#[derive(Debug, Parser)]
#[command(name = "crawlrank", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rank the nodes of one or more edge lists with PageRank.
    #[command(after_help = RANK_EXAMPLES)]
    Rank(RankArgs),
    /// Count nodes, edges, dangling nodes, self-loops, duplicates, and summarise degrees.
    #[command(after_help = STATS_EXAMPLES)]
    Stats(StatsArgs),
}

const RANK_EXAMPLES: &str = "\
Examples:
  crawlrank rank                                   rank the bundled sample crawl into output/
  crawlrank rank crawl.tsv.gz -o output/crawl      one gzip edge list
  crawlrank rank 'crawl/part-*.zst' --threads 8    a glob of zstd parts, 8 threads
  crawlrank rank links.csv --weighted --top 1000   weighted CSV, a longer top table
  zcat big.gz | crawlrank rank - -o output/big     standard input
  crawlrank rank crawl/ --personalize seeds.txt    teleport to the pages in seeds.txt
  crawlrank rank g.el --tol 0 --max-iter 20        exactly 20 iterations (for benchmarks)";

const STATS_EXAMPLES: &str = "\
Examples:
  crawlrank stats crawl.tsv.gz
  crawlrank stats crawl/ --multi --json > stats.json";

/// How to read the inputs; shared by every subcommand that reads edges.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Field separator; detected from each file's first edge line when not given.
    #[arg(long, value_enum)]
    pub sep: Option<Separator>,
    /// How to read node ids.
    #[arg(long, value_enum, default_value_t = IdMode::Auto)]
    pub ids: IdMode,
    /// Skip the first edge line of every file (a header such as `source,target`).
    #[arg(long)]
    pub header: bool,
    /// Use the third column as edge weight (every line needs one; finite, >= 0).
    #[arg(long)]
    pub weighted: bool,
    /// Keep duplicate edges as parallel edges instead of collapsing them.
    #[arg(long)]
    pub multi: bool,
    /// Skip malformed lines (counted in the summary) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Number of shards [default: one per 2 Mi edges, from the graph's size only].
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Worker threads [default: all cores]. Changes speed, never results.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or closing summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `crawlrank rank`.
#[derive(Debug, Args)]
pub struct RankArgs {
    /// Edge lists: files, folders (their files in name order, skipping _* and .*), glob
    /// patterns, or - for standard input. Compression is detected from the content.
    /// Without any, the bundled sample crawl graphs/web-sample.tsv.gz is ranked.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Result folder [default: output/<name of the first input>].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Probability of following a link.
    #[arg(long, default_value_t = 0.85)]
    pub damping: f64,
    /// Stop when the L1 change between iterations is below this; 0 runs --max-iter iterations.
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Iteration limit.
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Teleport to the nodes listed in FILE (one id per line, optional weight after it).
    #[arg(long, value_name = "FILE")]
    pub personalize: Option<PathBuf>,
    /// Where the rank of dangling nodes goes.
    #[arg(long, value_enum, default_value_t = Dangling::Teleport)]
    pub dangling: Dangling,
    /// Compression of the rank part files.
    #[arg(long, value_enum, default_value_t = OutputCompression::Gzip)]
    pub compress: OutputCompression,
    /// Rows of top.tsv (the first 20 are also printed).
    #[arg(long, default_value_t = 100, value_name = "K")]
    pub top: usize,
}

/// `crawlrank stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Edge lists, as for `rank`.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}
