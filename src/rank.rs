//! The `rank` job from input to results: read → partition → iterate → write.
//!
//! [`load`] is the first two stages (shared with `stats`); [`run`] is the whole job.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::algo::{PageRankConfig, PageRankResult, pagerank, read_personalization};
use crate::error::{Error, Result};
use crate::graph::{BuildOptions, EdgeCollector, IdMode, NodeTable, ShardedGraph, build};
use crate::input::{FileReport, InputFile, ParseOptions, read_inputs};
use crate::output::summary::{LoadRecord, Outputs, Parameters, Phases};
use crate::output::{
    Exporter, GexfExport, OutputCompression, PartFiles, Ranked, Staging, Summary, TopRow, TopTable, top_nodes,
};
use crate::progress::{Event, Phase, Progress};

/// How to read and build a graph.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Text parsing.
    pub parse: ParseOptions,
    /// How to read ids.
    pub ids: IdMode,
    /// Duplicates and shards.
    pub build: BuildOptions,
}

/// A graph read and sharded.
pub struct Loaded {
    /// The user's ids.
    pub nodes: NodeTable,
    /// The sharded graph.
    pub graph: ShardedGraph,
    /// What each input held.
    pub files: Vec<FileReport>,
    /// Seconds spent reading.
    pub read_seconds: f64,
    /// Seconds spent renumbering and sharding.
    pub partition_seconds: f64,
}

/// Reads `inputs` and builds the sharded graph.
pub fn load(inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
    let started = Instant::now();
    progress.event(Event::Started(Phase::Read));
    let mut collector = EdgeCollector::new(options.ids, options.parse.weighted);
    let files = read_inputs(inputs, &options.parse, &mut collector, progress)?;
    if collector.is_empty() {
        let names: Vec<String> = inputs.iter().map(InputFile::name).collect();
        let skipped: u64 = files.iter().map(|f| f.text.bad_lines).sum();
        let why = if skipped > 0 {
            format!("all {skipped} edge lines were malformed and skipped")
        } else {
            "every line is blank or a comment".to_string()
        };
        return Err(Error::Input(format!(
            "no edges in {}: {why}; give a file with `source target` lines",
            names.join(", ")
        )));
    }
    let read_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Read, read_seconds));

    let started = Instant::now();
    progress.event(Event::Started(Phase::Partition));
    let dense = collector.finish()?;
    let node_count =
        u32::try_from(dense.nodes.len()).map_err(|_| Error::Input("too many nodes for 32-bit ids".to_string()))?;
    if let Some(shards) = options.build.shards
        && shards == 0
    {
        return Err(Error::Config("--shards must be at least 1".to_string()));
    }
    let graph = build(dense.keys, dense.weights, node_count, &options.build);
    let partition_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Partition, partition_seconds));
    Ok(Loaded {
        nodes: dense.nodes,
        graph,
        files,
        read_seconds,
        partition_seconds,
    })
}

/// Everything the `rank` command does.
#[derive(Clone, Debug)]
pub struct RankJob {
    /// Inputs, in order.
    pub inputs: Vec<InputFile>,
    /// Reading and building.
    pub load: LoadOptions,
    /// PageRank parameters.
    pub pagerank: PageRankConfig,
    /// Teleport to the nodes of this file.
    pub personalize: Option<PathBuf>,
    /// The result folder.
    pub output: PathBuf,
    /// Part file compression.
    pub compression: OutputCompression,
    /// Rows of `top.tsv`.
    pub top: usize,
    /// A GEXF export of the top of the ranking, written before the results are committed.
    pub gexf: Option<GexfExport>,
    /// Draw the charts (and `report.html`) in this format.
    pub plots: Option<crate::plot::PlotFormat>,
    /// The command line, for the summary.
    pub command: Vec<String>,
}

impl RankJob {
    /// A job with default parameters for the given files and result folder.
    pub fn new(inputs: Vec<PathBuf>, output: PathBuf) -> RankJob {
        RankJob {
            inputs: inputs.into_iter().map(InputFile::Path).collect(),
            load: LoadOptions::default(),
            pagerank: PageRankConfig::default(),
            personalize: None,
            output,
            compression: OutputCompression::Gzip,
            top: 100,
            gexf: None,
            plots: None,
            command: Vec::new(),
        }
    }
}

/// What a finished `rank` job reports.
pub struct RankOutcome {
    /// The content of `summary.json`.
    pub summary: Summary,
    /// The top rows (as in `top.tsv`).
    pub top: Vec<TopRow>,
}

/// Runs the job on the current rayon pool.
pub fn run(job: &RankJob, progress: &dyn Progress) -> Result<RankOutcome> {
    let job_started = Instant::now();
    job.pagerank.validate()?;
    let loaded = load(&job.inputs, &job.load, progress)?;
    let Loaded {
        nodes, graph, files, ..
    } = &loaded;
    let personalization = match &job.personalize {
        Some(path) => Some(read_personalization(path, nodes)?),
        None => None,
    };

    let started = Instant::now();
    progress.event(Event::Started(Phase::Iterate));
    let max_iterations = job.pagerank.max_iterations;
    let result = pagerank(graph, &job.pagerank, personalization.as_deref(), &mut |report| {
        progress.event(Event::Iteration {
            iteration: report.iteration,
            max_iterations,
            change: report.change,
        })
    })?;
    let iterate_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Iterate, iterate_seconds));

    let started = Instant::now();
    progress.event(Event::Started(Phase::Write));
    let staging = Staging::create(&job.output)?;
    let ranked = Ranked {
        graph,
        nodes,
        ranks: &result.ranks,
    };
    let exporters: [&dyn Exporter; 2] = [
        &PartFiles {
            compression: job.compression,
        },
        &TopTable { k: job.top },
    ];
    for exporter in exporters {
        exporter.export(&ranked, staging.path())?;
    }
    let top = top_nodes(&ranked, job.top);
    let gexf = match &job.gexf {
        Some(export) => {
            let mut export = export.clone();
            if export.options.description.is_empty() {
                export.options.description = describe_run(job, graph, &export);
            }
            Some(export.write(&ranked, Path::new("."))?)
        }
        None => None,
    };
    let write_seconds = started.elapsed().as_secs_f64();

    let summary = summarize(
        job,
        graph,
        &result,
        &RunFacts {
            files,
            personalization_nodes: personalization.as_ref().map_or(0, Vec::len),
            ids: nodes.kind(),
            threads: rayon::current_num_threads(),
            top_rows: top.len(),
            gexf,
            phases: Phases {
                read: loaded.read_seconds,
                partition: loaded.partition_seconds,
                iterate: iterate_seconds,
                write: write_seconds,
                total: job_started.elapsed().as_secs_f64(),
            },
        },
    );
    summary.write(staging.path())?;
    if let Some(format) = job.plots {
        crate::plot::draw_all(&crate::plot::ChartData::new(&summary, &top), staging.path(), format)?;
        crate::report::write(&summary, &top, staging.path())?;
    }
    staging.commit()?;
    progress.event(Event::Finished(Phase::Write, started.elapsed().as_secs_f64()));
    Ok(RankOutcome { summary, top })
}

/// The GEXF `<meta><description>` of a ranking run: what was ranked, how, and what the
/// file holds.
fn describe_run(job: &RankJob, graph: &ShardedGraph, export: &GexfExport) -> String {
    let inputs: Vec<String> = job.inputs.iter().map(InputFile::name).collect();
    format!(
        "PageRank of {} ({} nodes, {} edges); damping {}, tolerance {:e}, max iterations {}, dangling {}{}; \
         exported: {:?}{}; command: {}",
        inputs.join(", "),
        graph.stats.nodes,
        graph.stats.edges,
        job.pagerank.damping,
        job.pagerank.tolerance,
        job.pagerank.max_iterations,
        serde_json::to_value(job.pagerank.dangling)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        job.personalize
            .as_ref()
            .map_or(String::new(), |p| format!(", personalized by {}", p.display())),
        export.select,
        if export.neighbors { " with neighbours" } else { "" },
        job.command.join(" ")
    )
}

/// What a run measured besides the ranks, for its summary.
pub(crate) struct RunFacts<'a> {
    /// What each input held.
    pub files: &'a [FileReport],
    /// Nodes in the personalization file.
    pub personalization_nodes: usize,
    /// The kind of ids.
    pub ids: crate::graph::IdKind,
    /// Threads that computed.
    pub threads: usize,
    /// Rows in `top.tsv`.
    pub top_rows: usize,
    /// The GEXF export, when there was one.
    pub gexf: Option<crate::output::GexfReport>,
    /// Seconds per phase.
    pub phases: Phases,
}

/// The content of `summary.json` for a finished ranking.
pub(crate) fn summarize(job: &RankJob, graph: &ShardedGraph, result: &PageRankResult, facts: &RunFacts<'_>) -> Summary {
    Summary {
        crawlrank_version: env!("CARGO_PKG_VERSION").to_string(),
        command: job.command.clone(),
        inputs: facts.files.to_vec(),
        graph: graph.stats.clone(),
        ids: facts.ids,
        bad_lines_skipped: facts.files.iter().map(|f| f.text.bad_lines).sum(),
        parameters: Parameters {
            damping: job.pagerank.damping,
            tolerance: job.pagerank.tolerance,
            max_iterations: job.pagerank.max_iterations,
            dangling: job.pagerank.dangling,
            weighted: graph.stats.weighted,
            multi: graph.stats.multi,
            personalization: job.personalize.as_ref().map(|p| p.display().to_string()),
            personalization_nodes: facts.personalization_nodes,
            shards: graph.partition.shards(),
            shards_by_default: job.load.build.shards.is_none(),
            threads: facts.threads,
            precision: match job.pagerank.precision {
                crate::algo::Precision::F64 => "f64",
                crate::algo::Precision::F32 => "f32",
            }
            .to_string(),
            teleport: if job.personalize.is_some() {
                "personalized"
            } else {
                "uniform"
            }
            .to_string(),
        },
        load: LoadRecord {
            ids: job.load.ids,
            separator: job.load.parse.separator,
            header: job.load.parse.header,
            skip_bad_lines: job.load.parse.skip_bad_lines,
            weighted: job.load.parse.weighted,
            multi: job.load.build.multi,
            shards: graph.partition.shards(),
        },
        iterations_run: result.iterations.len(),
        iterations: result.iterations.clone(),
        converged: result.converged,
        residual: result.residual,
        error_bound: result.error_bound,
        rank_sum: result.ranks.iter().sum(),
        phases: facts.phases.clone(),
        peak_rss_bytes: crate::memory::peak_rss_bytes(),
        graph_bytes: graph.heap_bytes() as u64,
        outputs: Outputs {
            ranks: "ranks".to_string(),
            compression: job.compression,
            part_files: graph.partition.shards(),
            top: "top.tsv".to_string(),
            top_rows: facts.top_rows,
            gexf: facts.gexf.clone(),
        },
        distributions: crate::analysis::Distributions::compute(&result.ranks, &graph.in_degree, &graph.out_degree),
        distributed: None,
    }
}
