//! From input files to a [`Graph`]: the first two stages of every job, read then partition.
//!
//! Inputs are read lazily, in order, into an [`EdgeCollector`]; its ids are made dense and the
//! edges built into shards. `rank`, `stats` and `export` all load their graph here, and the
//! library's [`Graph::read`](super::Graph) does too.

use std::sync::Arc;
use std::time::Instant;

use super::{BuildOptions, EdgeCollector, Graph, IdMode, build};
use crate::error::{Error, Result};
use crate::input::{InputFile, ParseOptions, read_inputs};
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
    /// Names for the nodes (`--names`).
    pub names: Option<crate::input::names::NamesOptions>,
    /// Bytes the edges may take in memory beyond the nodes' state (`--memory`); `None` is
    /// three quarters of the machine's memory. A store whose decoded cells fit is held in
    /// memory, else its cells are streamed from disk every iteration.
    pub memory: Option<u64>,
}

/// A graph read and sharded, with the time each stage took.
pub(crate) struct Loaded {
    /// The graph, its ids and what each input held.
    pub graph: Graph,
    /// Seconds spent reading.
    pub read_seconds: f64,
    /// Seconds spent renumbering and sharding.
    pub partition_seconds: f64,
    /// What the names files held, with `--names`.
    pub names: Option<super::names::NamesReport>,
    /// The store folder the graph was opened from, when it was (`crawlrank build`'s output).
    pub store: Option<std::path::PathBuf>,
}

/// Reads `inputs` and builds the sharded graph. The caller has validated `options`.
pub(crate) fn load(inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
    let started = Instant::now();
    progress.event(Event::Started(Phase::Read));
    let mut pending = match &options.names {
        Some(names) => {
            if options.ids == IdMode::String {
                return Err(Error::Input(
                    "--names names integer ids; --ids string cannot go with it".to_string(),
                ));
            }
            let list = crate::input::names::read_names(names, options.parse.skip_bad_lines)?;
            Some(super::names::PendingNames::new(list, names.reversed)?)
        }
        None => None,
    };
    let ids = if pending.is_some() { IdMode::Int } else { options.ids };
    let mut collector = EdgeCollector::new(ids, options.parse.weighted);
    let files = read_inputs(inputs, &options.parse, &mut collector, progress)?;
    if let Some(pending) = &mut pending {
        let bvgraph_nodes = collector.declared_nodes();
        pending.declare(&mut collector, bvgraph_nodes)?;
    }
    if collector.is_empty() {
        let skipped: Vec<String> = files
            .iter()
            .filter_map(|f| f.skipped.as_ref().map(|why| format!("{} ({why})", f.path)))
            .collect();
        if !skipped.is_empty() && files.iter().all(|f| f.skipped.is_some()) {
            return Err(Error::Input(format!(
                "no edge list among the inputs; skipped {}",
                skipped.join(", ")
            )));
        }
        if files.iter().any(|f| f.text.header.is_some()) {
            let names: Vec<String> = inputs.iter().map(InputFile::name).collect();
            return Err(Error::Input(format!(
                "no edges in {}: nothing but a header and comments; give a file with `source target` lines (--no-header reads the first record as an edge)",
                names.join(", ")
            )));
        }
        return Err(no_edges(inputs, files.iter().map(|f| f.text.bad_lines).sum()));
    }
    let read_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Read, read_seconds));

    let started = Instant::now();
    progress.event(Event::Started(Phase::Partition));
    let dense = collector.finish()?;
    let (dense, names) = match pending {
        Some(pending) => {
            let (dense, report) = pending.attach(dense, options.parse.skip_bad_lines)?;
            (dense, Some(report))
        }
        None => (dense, None),
    };
    let node_count =
        u32::try_from(dense.nodes.len()).map_err(|_| Error::Input("too many nodes for 32-bit ids".to_string()))?;
    options.build.validate_for(node_count)?;
    let sharded = build(dense.keys, dense.weights, node_count, &options.build);
    let partition_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Partition, partition_seconds));
    Ok(Loaded {
        graph: Graph::new(Arc::new(dense.nodes), sharded, files),
        read_seconds,
        partition_seconds,
        names,
        store: None,
    })
}

/// The error for inputs that held no edge: every line blank, a comment, or skipped.
pub(crate) fn no_edges(inputs: &[InputFile], skipped: u64) -> Error {
    let names: Vec<String> = inputs.iter().map(InputFile::name).collect();
    let why = if skipped > 0 {
        format!("all {skipped} edge lines were malformed and skipped")
    } else {
        "every line is blank or a comment".to_string()
    };
    Error::Input(format!(
        "no edges in {}: {why}; give a file with `source target` lines",
        names.join(", ")
    ))
}
