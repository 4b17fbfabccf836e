//! The raw command line, as clap parses it; [`super`] turns it into validated library jobs.

use std::path::PathBuf;

use clap::builder::StyledStr;
use clap::builder::styling::{Effects, Style};
use clap::{Args, Parser, Subcommand};

use crawlrank::algo::{Dangling, Precision};
use crawlrank::graph::IdMode;
use crawlrank::input::Separator;
#[cfg(feature = "plots")]
use crawlrank::output::PlotFormat;
use crawlrank::output::{ColorBy, GexfVersion, Layout, OutputCompression};

/// Rank the pages of large link graphs with PageRank.
#[derive(Debug, Parser)]
#[command(
    name = "crawlrank",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    arg_required_else_help = true,
    after_help = examples(TOUR_EXAMPLES),
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Rank the nodes of one or more edge lists with PageRank.
    #[command(after_help = examples(RANK_EXAMPLES))]
    Rank(RankArgs),
    /// Read edge lists once and write the graph as a store, to rank many times without reading them again.
    #[command(after_help = examples(BUILD_EXAMPLES))]
    Build(BuildArgs),
    /// Count nodes, edges, dangling nodes, self-loops, duplicates, and summarise degrees.
    #[command(after_help = examples(STATS_EXAMPLES))]
    Stats(StatsArgs),
    /// Export a finished ranking, or the graph it ranked, to other tools without ranking again.
    #[command(subcommand, arg_required_else_help = true, after_help = examples(EXPORT_EXAMPLES))]
    Export(ExportCommand),
    /// Redraw the charts and report.html of a finished run, without ranking again.
    #[cfg(feature = "plots")]
    #[command(after_help = examples(PLOT_EXAMPLES))]
    Plot(PlotArgs),
    /// Generate a synthetic graph for benchmarks.
    #[command(subcommand, arg_required_else_help = true, after_help = examples(GENERATE_EXAMPLES))]
    Generate(GenerateCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = examples(COMPLETIONS_EXAMPLES))]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(after_help = examples(MAN_EXAMPLES))]
    Man(ManArgs),
}

/// An examples section as clap draws its own sections: the heading bold and underlined
/// (where colour is allowed), the example lines indented below it; a paragraph after a blank
/// line is left as it is.
fn examples(lines: &str) -> StyledStr {
    let heading = Style::new().effects(Effects::BOLD | Effects::UNDERLINE);
    let (list, rest) = lines.split_once("\n\n").map_or((lines, None), |(l, r)| (l, Some(r)));
    let mut section = format!("{heading}Examples:{heading:#}\n");
    for line in list.lines() {
        section.push_str("  ");
        section.push_str(line);
        section.push('\n');
    }
    if let Some(rest) = rest {
        section.push('\n');
        section.push_str(rest);
    }
    let mut text = StyledStr::new();
    text.push_str(section.trim_end());
    text
}

/// The README's tour, in `crawlrank --help`.
const TOUR_EXAMPLES: &str = "\
crawlrank rank                                 rank the bundled sample crawl into output/
crawlrank rank crawl.tsv.gz -o output/crawl    one gzip edge list
crawlrank rank 'crawl/part-*.zst' --threads 8  a glob of zstd parts
crawlrank rank links.csv --weighted            third column is the edge weight
crawlrank rank crawl/ --personalize seeds.txt  teleport to the pages in seeds.txt
crawlrank rank cnr-2000                        a LAW WebGraph BVGraph, by its basename
crawlrank build crawl/ -o crawl.store          parse once into a store (docs/store.md) …
crawlrank rank crawl.store                     … and rank it many times
crawlrank stats crawl.tsv.gz                   nodes, edges, dangling, degrees
crawlrank export gexf output/crawl --top 5000  GEXF for Gephi from a finished run
crawlrank plot output/crawl                    redraw the charts and report.html
crawlrank generate rmat --scale 22 -o r22.tsv  a Graph500-style graph for benchmarks

Each command has its own examples: crawlrank rank --help, crawlrank export gexf --help, …";

const EXPORT_EXAMPLES: &str = "\
crawlrank export gexf output/crawl --top 5000         GEXF of the top 5000 for Gephi
crawlrank export bvgraph output/crawl -o graphs/crawl  the ranked graph as a LAW BVGraph";

const COMPLETIONS_EXAMPLES: &str = "\
crawlrank completions bash > ~/.local/share/bash-completion/completions/crawlrank
crawlrank completions zsh > ~/.zfunc/_crawlrank      with fpath+=~/.zfunc in ~/.zshrc
crawlrank completions fish > ~/.config/fish/completions/crawlrank.fish
crawlrank completions powershell >> $PROFILE";

const MAN_EXAMPLES: &str = "\
crawlrank man | man -l -                      read it now
crawlrank man --dir ~/.local/share/man/man1   crawlrank.1, crawlrank-rank.1, … for `man`";

/// `crawlrank completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `crawlrank man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write crawlrank.1 and one page per command (crawlrank-rank.1, …) into DIR instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `crawlrank generate …`.
#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Graph500-style R-MAT (a=0.57, b=0.19, c=0.19): skewed degrees, like a crawl.
    #[command(after_help = examples(GENERATE_EXAMPLES))]
    Rmat(GenerateArgs),
    /// Uniform random edges: no skew, no locality.
    #[command(after_help = examples(UNIFORM_EXAMPLES))]
    Uniform(GenerateArgs),
}

const GENERATE_EXAMPLES: &str = "\
crawlrank generate rmat --scale 22 -o graphs/rmat22.tsv         4.2 M nodes, 67 M edges
crawlrank generate rmat --scale 24 -o graphs/rmat24.tsv.gz      gzip, one member per chunk
crawlrank generate rmat --scale 18 --urls -o graphs/urls18.zst  URL ids on synthetic hosts
crawlrank generate uniform --scale 20 | crawlrank stats -";

const UNIFORM_EXAMPLES: &str = "\
crawlrank generate uniform --scale 22 -o graphs/uniform22.tsv   4.2 M nodes, 67 M edges
crawlrank generate uniform --scale 20 | crawlrank stats -        statistics, no file written";

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// 2^SCALE node ids.
    #[arg(long)]
    pub scale: u32,
    /// Edges per node.
    #[arg(long, default_value_t = 16)]
    pub edge_factor: u64,
    /// Seed: the same seed gives the same file, on any machine and thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file, - for standard output; .gz or .zst compress [default: standard output].
    #[arg(short, long, value_name = "FILE", default_value = "-", hide_default_value = true)]
    pub output: PathBuf,
    /// Write URLs on synthetic hosts instead of integer ids.
    #[arg(long)]
    pub urls: bool,
    /// Worker threads [default: all cores; at most 8 per core, at least 64 allowed]. Changes
    /// speed, never the graph.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar or closing summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[cfg(feature = "plots")]
const PLOT_EXAMPLES: &str = "\
crawlrank plot output/crawl                      PNG charts in output/crawl/plots, report.html
crawlrank plot output/crawl --plot-format svg    SVG charts";

/// `crawlrank plot`.
#[cfg(feature = "plots")]
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A result folder written by `crawlrank rank`.
    #[arg(value_name = "DIR")]
    pub result: PathBuf,
    /// Chart format.
    #[arg(long, value_enum, default_value_t = PlotFormat::Png)]
    pub plot_format: PlotFormat,
    /// No closing summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `crawlrank export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write a slice of a finished ranking as GEXF for Gephi.
    #[command(after_help = examples(EXPORT_GEXF_EXAMPLES))]
    Gexf(ExportGexfArgs),
    /// Write the graph of a finished ranking, or of edge lists, as a LAW WebGraph BVGraph.
    #[cfg(feature = "bvgraph")]
    #[command(after_help = examples(EXPORT_BVGRAPH_EXAMPLES))]
    Bvgraph(ExportBvgraphArgs),
}

const EXPORT_GEXF_EXAMPLES: &str = "\
crawlrank export gexf output/crawl                         top 1000 nodes to output/crawl/top.gexf
crawlrank export gexf output/crawl --top 5000              the top 5000, no re-ranking
crawlrank export gexf output/crawl --top 20000 -o big.gexf.gz
crawlrank export gexf output/crawl --min-rank 1e-5 --max-nodes 50000
crawlrank export gexf output/crawl --nodes seeds.txt --neighbors --max-nodes 5000 --color-by host
crawlrank export gexf output/crawl moved/crawl.tsv.gz      the graph's files were moved";

#[cfg(feature = "bvgraph")]
const EXPORT_BVGRAPH_EXAMPLES: &str = "\
crawlrank export bvgraph output/crawl -o graphs/crawl          the graph of a finished ranking
crawlrank export bvgraph output/crawl moved/*.gz -o graphs/crawl    whose inputs were moved
crawlrank export bvgraph crawl.tsv.gz -o graphs/crawl          an edge list, read as rank does
crawlrank export bvgraph crawl/ --ids string -o g/crawl --force    replace g/crawl.*
crawlrank rank graphs/crawl                                    rank the export (by node number)

The first argument is a result folder when it is a folder holding summary.json (the result
must be complete); otherwise every argument is an input. Writes BASE.graph, BASE.offsets and
BASE.properties (Java WebGraph's format), BASE.ef (for the Rust webgraph tools) and, unless
the ids are exactly 0..n-1, BASE.ids: the id of node i on line i. Nodes are crawlrank's
numbers: integer ids ascending, string ids byte-wise ascending; isolated nodes included.";

/// `crawlrank export bvgraph`.
#[cfg(feature = "bvgraph")]
#[derive(Debug, Args)]
pub struct ExportBvgraphArgs {
    /// A result folder written by `crawlrank rank` (a folder holding summary.json), followed
    /// by the ranked graph's inputs if they were moved; or inputs as `rank` takes them (edge
    /// lists, folders, globs, -, a BVGraph).
    #[arg(value_name = "RESULT_OR_INPUT", required = true)]
    pub sources: Vec<String>,
    /// The BVGraph's basename: writes BASE.graph, BASE.properties, … (a trailing .graph is
    /// dropped). Its folder must exist.
    #[arg(short, long, value_name = "BASE", required = true)]
    pub output: PathBuf,
    /// Replace the files of a BVGraph already at BASE (.graph, .properties, .offsets, .ef,
    /// .ids, .obl, .dcf); without it, any of them is an error.
    #[arg(long)]
    pub force: bool,
    /// A graph read with --multi or --weighted is refused (a BVGraph is a simple graph):
    /// write the simple graph under it instead, one arc per pair of nodes, weights dropped.
    #[arg(long)]
    pub collapse: bool,
    /// How to read inputs (not a result folder, which is read as it was ranked).
    #[command(flatten)]
    pub input: InputArgs,
}

/// How a GEXF file looks; shared by `rank --gexf` and `export gexf`.
#[derive(Debug, Args)]
pub struct GexfStyleArgs {
    /// GEXF schema version.
    #[arg(long, value_enum, default_value_t = GexfVersion::V1_3)]
    pub gexf_version: GexfVersion,
    /// Colour nodes by rank decile or by URL host.
    #[arg(long, value_enum, default_value_t = ColorBy::Rank)]
    pub color_by: ColorBy,
    /// Initial node positions.
    #[arg(long, value_enum, default_value_t = Layout::Circle)]
    pub layout: Layout,
}

/// `crawlrank export gexf`.
#[derive(Debug, Args)]
pub struct ExportGexfArgs {
    /// A result folder written by `crawlrank rank` (with ranks/_SUCCESS and summary.json).
    #[arg(value_name = "DIR")]
    pub result: PathBuf,
    /// The ranked graph's edge lists, when they are no longer where summary.json says.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// The GEXF file (gzip when it ends in .gz) [default: DIR/top.gexf].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Export the K best-ranked nodes [default: 1000].
    #[arg(long, value_name = "K", group = "selection")]
    pub top: Option<usize>,
    /// Export every node with at least this PageRank (at most --max-nodes).
    #[arg(long, value_name = "X", group = "selection")]
    pub min_rank: Option<f64>,
    /// Export the nodes listed in FILE, one id per line.
    #[arg(long, value_name = "FILE", group = "selection")]
    pub nodes: Option<PathBuf>,
    /// Add the direct in- and out-neighbours of the selection (best-ranked first).
    #[arg(long)]
    pub neighbors: bool,
    /// Most nodes in the file, with --min-rank or --neighbors.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub max_nodes: usize,
    #[command(flatten)]
    pub style: GexfStyleArgs,
    /// Worker threads [default: all cores; at most 8 per core, at least 64 allowed].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or closing summary.
    #[arg(long, short)]
    pub quiet: bool,
}

const RANK_EXAMPLES: &str = "\
crawlrank rank                                   rank the bundled sample crawl into output/
crawlrank rank crawl.tsv.gz -o output/crawl      one gzip edge list
crawlrank rank 'crawl/part-*.zst' --threads 8    a glob of zstd parts, 8 threads
crawlrank rank links.csv --weighted --top 1000   weighted CSV, a longer top table
zcat big.gz | crawlrank rank - -o output/big     standard input
crawlrank rank crawl/ --personalize seeds.txt    teleport to the pages in seeds.txt
crawlrank rank g.el --tol 0 --max-iter 20        exactly 20 iterations (for benchmarks)
crawlrank rank crawl.tsv.gz --gexf top.gexf      also a GEXF of the top 1000 for Gephi
crawlrank rank cnr-2000                          a LAW WebGraph BVGraph, by its basename
crawlrank rank crawl.store --personalize seeds.txt
                                                 a store made by crawlrank build: no text read
crawlrank rank cc/edges --names cc/vertices --names-reversed --cc-ranks
                                                 a Common Crawl host graph, CC's rank layout
crawlrank rank crawl/ -o /shared/out --hosts hosts.txt --process 0 --secret-file secret
                                                 one of several processes (docs/distributed.md)";

const STATS_EXAMPLES: &str = "\
crawlrank stats crawl.tsv.gz
crawlrank stats crawl/ --multi --json > stats.json";

/// How to read the inputs; shared by every subcommand that reads edges.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Field separator [default: from the name (.csv comma, .tsv/.tab tab), else from the
    /// first lines of each file taken together; an ambiguous file is an error]
    #[arg(long, value_enum)]
    pub sep: Option<Separator>,
    /// How to read node ids.
    #[arg(long, value_enum, default_value_t = IdMode::Auto)]
    pub ids: IdMode,
    /// Every file's first record is a header (such as `source,target`) to skip [default: a
    /// header is recognised when its fields are header names or unlike the ids below it]
    #[arg(long, conflicts_with = "no_header")]
    pub header: bool,
    /// No file has a header: read every first record as an edge.
    #[arg(long)]
    pub no_header: bool,
    /// Use the third column as edge weight (every line needs one; finite, >= 0).
    #[arg(long)]
    pub weighted: bool,
    /// Keep duplicate edges as parallel edges instead of collapsing them.
    #[arg(long)]
    pub multi: bool,
    /// Skip malformed lines (counted in the summary) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Names for the nodes, shown in every output instead of the ids: files (plain or
    /// compressed), folders or globs of `id<TAB>name[<TAB>more columns]` lines (Common Crawl's
    /// vertices), or of one name a line in node order (LAW's BASE.urls). Every listed id is a
    /// node, edges or not. Put it after the edge lists: it takes every file that follows.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub names: Vec<String>,
    /// The names are reversed host names (Common Crawl's `com.example.www`): show them as
    /// `www.example.com`.
    #[arg(long, requires = "names")]
    pub names_reversed: bool,
    /// Number of shards [default: one per 16 Mi edges, from the graph's size only; at most
    /// the node count and at most 65536].
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Memory to use, such as 8GiB or 512MB [default: three quarters of the machine's].
    /// Ranking a store, the nodes' state (about 40 bytes a node), their ids or names and one
    /// group of decoded edges (256 MiB, or up to 10 bytes a node on large graphs) come
    /// first; the first iteration keeps as many of the decoded edges as fit in the rest, and
    /// the others are streamed from disk every iteration (same ranks, bit for bit). By default, when not every edge fits, the store's shard files
    /// are left room in the page cache as well.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,
    /// Worker threads [default: all cores; at most 8 per core, at least 64 allowed].
    /// Changes speed, never results.
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
    /// Result folder [default: `output/NAME`, NAME from the first input]. A previous result
    /// in it is replaced only once the new one is complete; one run at a time writes into it.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write into a folder that holds other files and is not a crawlrank result (beside
    /// them: crawlrank never removes a file it did not write).
    #[arg(long)]
    pub force: bool,
    /// When another run is writing into the result folder, wait for it to finish instead of
    /// stopping (local runs).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Probability of following a link.
    #[arg(long, default_value_t = 0.85)]
    pub damping: f64,
    /// Stop when the L1 change between iterations is below this; 0 runs --max-iter iterations
    /// [default: 1e-10; 1e-7 with --precision f32, whose rounding leaves changes of a few
    /// 1e-9 that never shrink]
    #[arg(long)]
    pub tol: Option<f64>,
    /// Iteration limit. A run that reaches it before --tol exits with status 4 (result
    /// written). The L1 change shrinks at least by the damping factor each iteration, so 1000
    /// suffices for --tol 1e-10 up to --damping 0.97 (0.85 needs at most 146).
    #[arg(long, default_value_t = 1000)]
    pub max_iter: usize,
    /// Teleport to the nodes listed in FILE (one id per line, optional weight after it).
    #[arg(long, value_name = "FILE")]
    pub personalize: Option<PathBuf>,
    /// Start from the ranks of a finished result (a warm start, for re-ranking tomorrow's
    /// crawl from today's ranks): the nodes it ranked start at their rank there, new nodes at
    /// 1/n, the whole normalised; ids it ranked that are gone are dropped. Same fixed point,
    /// fewer iterations when little changed. DIR may be the -o folder itself.
    #[arg(long, value_name = "DIR")]
    pub init: Option<PathBuf>,
    /// Write the ranks every N iterations into OUTPUT.checkpoint beside the result folder
    /// (atomically; removed once the result is written), so that a long run that is killed
    /// can go on with --resume.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
    /// Go on from OUTPUT.checkpoint, written by a run of the same graph and parameters with
    /// --checkpoint-every; the result is bit-identical to an uninterrupted run. A larger
    /// --max-iter may be given.
    #[arg(long, conflicts_with = "init")]
    pub resume: bool,
    /// Where the rank of dangling nodes goes.
    #[arg(long, value_enum, default_value_t = Dangling::Teleport)]
    pub dangling: Dangling,
    /// Precision of the shares of rank sent along edges: f32 halves what the engine reads at
    /// random (faster on graphs whose ranks outgrow the cache) and keeps the ranks within
    /// about 1e-7 (L1) of f64's; ranks and sums stay f64.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Compression of the rank part files.
    #[arg(long, value_enum, default_value_t = OutputCompression::Gzip)]
    pub compress: OutputCompression,
    /// Also write the ranks in Common Crawl's layout, DIR/cc-ranks.txt.gz: `#pr_pos #pr_val
    /// #host_rev` lines, best first, names reversed as Common Crawl writes them.
    #[arg(long)]
    pub cc_ranks: bool,
    /// Rows of top.tsv (the first 20 are also printed).
    #[arg(long, default_value_t = 100, value_name = "K")]
    pub top: usize,
    /// Also write the subgraph induced by the top of the ranking as GEXF (gzip if .gz).
    #[arg(long, value_name = "FILE")]
    pub gexf: Option<PathBuf>,
    /// Draw the charts into DIR/plots and write DIR/report.html [default: on for the
    /// bundled sample, off otherwise].
    #[cfg(feature = "plots")]
    #[arg(long)]
    pub plots: bool,
    /// Chart format.
    #[cfg(feature = "plots")]
    #[arg(long, value_enum, default_value_t = PlotFormat::Png)]
    pub plot_format: PlotFormat,
    /// Nodes in the GEXF file.
    #[arg(long, value_name = "K", default_value_t = 1000, requires = "gexf")]
    pub gexf_top: usize,
    #[command(flatten)]
    pub gexf_style: GexfStyleArgs,
    #[cfg(feature = "distributed")]
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Options of a distributed run (`rank --hosts`).
#[cfg(feature = "distributed")]
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Distributed run (timely dataflow; see docs/distributed.md)")]
pub struct ClusterArgs {
    /// Run as one of several cooperating processes: FILE lists `host:port`, one line per
    /// process, the same file for all. Connections are authenticated with the shared secret
    /// (--secret-file) but not encrypted: use a private network.
    #[arg(long, value_name = "FILE")]
    pub hosts: Option<PathBuf>,
    /// This process's line in the hosts file, from 0.
    #[arg(long, value_name = "I", default_value_t = 0, requires = "hosts")]
    pub process: usize,
    /// Worker threads in this process (the same in every process) [default: all cores; at
    /// most 8 per core, at least 64 allowed].
    #[arg(long, value_name = "W", requires = "hosts")]
    pub workers: Option<usize>,
    /// Seconds to wait for every peer to connect.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, requires = "hosts")]
    pub connect_timeout: f64,
    /// The cluster's shared secret, the same file on every machine, readable by its owner
    /// only [default: the environment variable CRAWLRANK_SECRET; one of them is required
    /// with more than one process]. Make one with `head -c 32 /dev/urandom | base64 >
    /// secret && chmod 600 secret`.
    #[arg(long, value_name = "FILE", requires = "hosts")]
    pub secret_file: Option<PathBuf>,
    /// End the run (exit 3, naming the process) when a peer sends no heartbeat for this long:
    /// a stopped, hung or cut-off process.
    #[arg(long, value_name = "SECS", default_value_t = 120.0, requires = "hosts")]
    pub peer_timeout: f64,
}

const BUILD_EXAMPLES: &str = "\
crawlrank build crawl/ -o crawl.store                   parse once (a folder of edge lists)
crawlrank build cc/edges/ --names cc/vertices/ -o cc.store --names-reversed
crawlrank build big/ -o big.store --shards 256          the shard count is fixed at build
crawlrank generate rmat --scale 28 | crawlrank build - -o r28.store --memory 8GiB

The store keeps how the graph was read and built (ids, weights, duplicates, shards); rank
refuses options that would change it. Its layout is documented in docs/store.md.
Integer edge lists too large for --memory (or read from standard input) are built beyond
memory: sorted runs spilled to --tmp and merged into the shards.";

/// A size in bytes: a number with an optional unit, B, K/KB/KiB, M/MB/MiB, G/GB/GiB or
/// T/TB/TiB (KB and KiB alike are 1024 bytes, as memory is counted).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: give a number and a unit, such as 8GiB or 512MB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("`{other}` is not a unit of size: use B, KiB, MiB, GiB or TiB")),
    };
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a size this machine can have"));
    }
    Ok(bytes as u64)
}

/// `crawlrank build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Edge lists, BVGraphs or Common Crawl graphs, as for `rank`.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,
    /// The store folder to write. A store already there is replaced only once the new one is
    /// complete.
    #[arg(short, long, value_name = "STORE", required = true)]
    pub output: PathBuf,
    /// Where a build beyond --memory spills its sorted runs of edges (about 3 bytes an edge,
    /// removed at the end) [default: the store's parent folder].
    #[arg(long, value_name = "DIR")]
    pub tmp: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
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
