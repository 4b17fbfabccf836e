//! The `build` job: read the inputs once and write the sharded graph as a store
//! (`crate::store`), which `rank STORE` ranks as often as wanted without reading text again.

use std::path::PathBuf;
use std::time::Instant;

use crate::error::Result;
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
}

/// What a finished build reports.
#[derive(Clone, Debug)]
pub struct BuildOutcome {
    /// What was written.
    pub report: BuildReport,
    /// Seconds reading, partitioning and writing.
    pub seconds: (f64, f64, f64),
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
    })
}
