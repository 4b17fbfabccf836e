//! The `build` job: read the inputs once and write the sharded graph as a store
//! (`crate::store`), which `rank STORE` ranks as often as wanted without reading text again.

use std::path::PathBuf;
use std::time::Instant;

use crate::error::Result;
use crate::graph::names::PendingNames;
use crate::graph::{LoadOptions, load};
use crate::input::InputFile;
use crate::progress::{Event, Phase, Progress};
use crate::store::{BuildReport, write_store};

/// Everything `crawlrank build` does.
#[derive(Clone, Debug)]
pub struct BuildJob {
    /// Inputs, in order.
    pub inputs: Vec<InputFile>,
    /// Reading and building.
    pub load: LoadOptions,
    /// The store folder.
    pub output: PathBuf,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Where a build beyond memory spills its sorted runs (`--tmp`; default: beside the
    /// store).
    pub tmp: Option<PathBuf>,
}

/// What a finished build reports.
#[derive(Clone, Debug)]
pub struct BuildOutcome {
    /// What was written.
    pub report: BuildReport,
    /// Seconds reading, partitioning and writing (a build beyond memory partitions and
    /// writes in one phase).
    pub seconds: (f64, f64, f64),
    /// Whether the edges were spilled to disk in sorted runs (a build beyond memory).
    pub external: bool,
}

/// Reads the inputs, builds the graph and writes it as a store at the job's output. A store
/// already there is replaced once the new one is complete.
pub fn run(job: &BuildJob, progress: &dyn Progress) -> Result<BuildOutcome> {
    job.load.build.validate()?;
    if super::source::store_input(&job.inputs)?.is_some() {
        return Err(crate::Error::Input(
            "the input is already a store; build reads edge lists, BVGraphs and Common Crawl graphs".to_string(),
        ));
    }
    if beyond_memory(job) {
        let started = Instant::now();
        progress.event(Event::Started(Phase::Read));
        let names = pending_names(job)?;
        // A build beyond memory numbers ids below 2^32 only: names listing wider ids (and so
        // edges naming them) are built in memory.
        let wide = names
            .as_ref()
            .and_then(PendingNames::max_id)
            .is_some_and(|m| m > u32::MAX as u64);
        if !wide {
            return run_external(job, names, started, progress);
        }
    }
    let loaded = load(&job.inputs, &job.load, progress)?;
    let started = Instant::now();
    progress.event(Event::Started(Phase::Write));
    let record = super::rank::load_record(&job.load, loaded.graph.sharded().partition().shards());
    let report = write_store(&loaded.graph, record, loaded.names, job.command.clone(), &job.output)?;
    let write_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Write, write_seconds));
    Ok(BuildOutcome {
        report,
        seconds: (loaded.read_seconds, loaded.partition_seconds, write_seconds),
        external: false,
    })
}

/// Bytes an in-memory build takes per byte of plain edge-list text (about 12 bytes an edge
/// while building, for a line of about as many bytes).
const MEMORY_PER_TEXT_BYTE: u64 = 1;

/// Whether the build spills sorted runs to disk instead of holding the edges: when the
/// graph can take that path (integer ids, no weights; names unless with --skip-bad-lines) and its edges would not fit
/// in `--memory` (estimated from the inputs' sizes: compressed files count five times their
/// size, a BVGraph forty times), or come from standard input, whose size is unknown.
fn beyond_memory(job: &BuildJob) -> bool {
    let load = &job.load;
    // Names with --skip-bad-lines may drop edges whose ends are not named: that is done in
    // memory.
    let names_dropping_edges = load.names.is_some() && load.parse.skip_bad_lines;
    if load.parse.weighted || names_dropping_edges || load.ids == crate::graph::IdMode::String {
        return false;
    }
    match memory_estimate(&job.inputs) {
        None => true, // standard input
        Some(estimate) => estimate > load.memory.unwrap_or_else(crate::memory::default_budget),
    }
}

/// About how many bytes building the graph of `inputs` in memory takes (as `rank INPUT` and
/// an in-memory `build` do), from their sizes: compressed files count five times their size,
/// a BVGraph forty times. `None` for standard input, whose size is unknown.
pub fn memory_estimate(inputs: &[InputFile]) -> Option<u64> {
    let mut estimate = 0u64;
    for input in inputs {
        let size = input.size()?;
        let name = input.name();
        let factor = if matches!(input, InputFile::BvGraph { .. }) {
            40
        } else if [".gz", ".bz2", ".zst", ".zstd", ".xz"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            5
        } else {
            1
        };
        estimate += size * factor * MEMORY_PER_TEXT_BYTE;
    }
    Some(estimate)
}

/// The names of `--names`, read and sorted by id (their errors come before the edges are
/// read, as in memory).
fn pending_names(job: &BuildJob) -> Result<Option<PendingNames>> {
    match &job.load.names {
        Some(options) => {
            let list = crate::input::names::read_names(options, job.load.parse.skip_bad_lines)?;
            Ok(Some(PendingNames::new(list, options.reversed)?))
        }
        None => Ok(None),
    }
}

/// The build beyond memory (`store::external`), with the names already read (since
/// `started`), which `--memory` holds beside the buffer of edges.
fn run_external(
    job: &BuildJob,
    mut names: Option<PendingNames>,
    started: Instant,
    progress: &dyn Progress,
) -> Result<BuildOutcome> {
    use crate::store::external::{ExternalBuild, Spiller, write};
    let names_bytes = names.as_ref().map_or(0, |n| n.heap_bytes() as u64);
    let memory = job
        .load
        .memory
        .unwrap_or_else(crate::memory::default_budget)
        .saturating_sub(names_bytes);
    let tmp = match &job.tmp {
        Some(t) => t.clone(),
        None => job
            .output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from),
    };
    let mut spiller = Spiller::new(&tmp, memory, job.load.build.multi)?;
    let inputs = crate::input::read_inputs(&job.inputs, &job.load.parse, &mut spiller, progress)?;
    if let Some(names) = &mut names {
        let declared = names.declared(spiller.declared_count())?;
        spiller.declare(declared)?;
    }
    let read_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Read, read_seconds));
    let started = Instant::now();
    progress.event(Event::Started(Phase::Partition));
    let build = ExternalBuild {
        load: super::rank::load_record(&job.load, 0),
        shards: job.load.build.shards,
        inputs,
        command: job.command.clone(),
        names,
    };
    let report = write(spiller, build, &job.output)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Partition, seconds));
    Ok(BuildOutcome {
        report,
        seconds: (read_seconds, seconds, 0.0),
        external: true,
    })
}
