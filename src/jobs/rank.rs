//! The `rank` job: source → graph → executor → writers, one pipeline whatever runs it.
//!
//! `pipeline` is the whole job for one `Executor`: load the graph, read the
//! personalization, iterate PageRank, write this executor's part files, let the coordinator
//! write the top table, GEXF, summary and charts, and commit the result folder once every
//! executor has staged its files (`output::commit`). The local executor is one executor
//! that owns everything; the distributed one (`crate::distributed`) is one worker of many,
//! and differs only in how it loads its shards, exchanges partial sums and waits for the
//! others.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::algo::pagerank::{PageRankProgram, PageRankResult};
use crate::algo::{PageRankConfig, Precision, read_personalization};
use crate::engine::{Carrier, IterationReport, LocalExecutor, Outcome, Rounds, VertexProgram};
use crate::error::{Error, Result};
use crate::graph::{Graph, IdKind, LoadOptions, Loaded, ShardedGraph};
use crate::input::{FileReport, InputFile};
use crate::output::SUCCESS;
use crate::output::commit::{self, FolderLock, RealFs, Seal};
use crate::output::summary::{
    CheckpointRecord, DistributedRecord, InitRecord, LoadRecord, Outputs, Parameters, Phases, StoreRecord,
};
use crate::output::{
    Exporter, GexfExport, GexfReport, OutputCompression, PartFiles, PlotFormat, Ranked, Staging, Summary, TopRow,
    TopTable, top_nodes,
};
use crate::partition::Ownership;
use crate::progress::{Event, Phase, Progress};

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
    /// Draw the charts (and `report.html`) in this format (needs the `plots` feature).
    pub plots: Option<PlotFormat>,
    /// The command line, for the summary.
    pub command: Vec<String>,
    /// Write into a non-empty folder that is not a crawlrank result (beside its files,
    /// none of which is touched).
    pub force: bool,
    /// When another run holds the result folder's lock, wait for it (reporting
    /// [`Event::Waiting`]) instead of failing. Local runs only.
    pub wait: bool,
    /// Also write Common Crawl's ranks layout, `cc-ranks.txt.gz` (`--cc-ranks`).
    pub cc_ranks: bool,
    /// Start from the ranks of this finished result instead of uniform ranks (`--init`):
    /// nodes it ranked start at their rank there, new nodes at 1/n, the whole normalised.
    pub init: Option<PathBuf>,
    /// Write the states every this many iterations into `OUTPUT.checkpoint`
    /// (`--checkpoint-every`), atomically; removed once the result is committed.
    pub checkpoint_every: Option<usize>,
    /// Go on from `OUTPUT.checkpoint` (`--resume`): the result is bit-identical to a run that
    /// was never interrupted.
    pub resume: bool,
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
            force: false,
            wait: false,
            cc_ranks: false,
            init: None,
            checkpoint_every: None,
            resume: false,
        }
    }

    /// Checks the parameters before anything is read.
    pub fn validate(&self) -> Result<()> {
        self.pagerank.validate()?;
        self.load.build.validate()?;
        if self.top == 0 {
            return Err(Error::parameter("top", "must be at least 1"));
        }
        if self.checkpoint_every == Some(0) {
            return Err(Error::parameter("checkpoint-every", "must be at least 1 (iterations)"));
        }
        if self.resume && self.init.is_some() {
            return Err(Error::Config(
                "--resume goes on from the checkpoint's ranks; --init cannot go with it".to_string(),
            ));
        }
        if let Some(gexf) = &self.gexf {
            gexf.validate()?;
        }
        if cfg!(not(feature = "plots")) && self.plots.is_some() {
            return Err(Error::parameter(
                "plots",
                "needs charts, which this build of crawlrank leaves out (the `plots` feature)",
            ));
        }
        if let Some(p) = &self.personalize
            && !p.is_file()
        {
            return Err(Error::Input(format!("{}: no such personalization file", p.display())));
        }
        Ok(())
    }
}

/// What a finished `rank` job reports.
pub struct RankOutcome {
    /// The content of `summary.json`.
    pub summary: Summary,
    /// The top rows (as in `top.tsv`).
    pub top: Vec<TopRow>,
    /// What was found and set right in the result folder before the run (an interrupted
    /// commit completed or rolled back), for the user.
    pub notes: Vec<String>,
}

/// Runs the job in this process, on the current rayon pool. The result folder is locked
/// from before anything is staged until the commit is done.
pub fn run(job: &RankJob, progress: &dyn Progress) -> Result<RankOutcome> {
    job.validate()?;
    let waiting = || progress.event(Event::Waiting);
    let (_lock, notes) = open_result_folder(job, None, job.wait.then_some(&waiting as &dyn Fn()))?;
    let staging = Staging::create(&job.output)?;
    let mut outcome =
        pipeline(&mut LocalExecutor::default(), job, &staging, progress)?.expect("a local run is its own coordinator");
    outcome.notes = notes;
    Ok(outcome)
}

/// Takes the lock of the job's result folder (process `process` of a distributed run, or a
/// local run), finishes what an interrupted run left there, and checks that the folder is
/// one a run may write into. Returns the lock, held until dropped, and notes on what was
/// set right.
pub(crate) fn open_result_folder(
    job: &RankJob,
    process: Option<usize>,
    wait: Option<&dyn Fn()>,
) -> Result<(FolderLock, Vec<String>)> {
    let what = job.command.join(" ");
    let lock = match wait {
        Some(on_wait) => FolderLock::acquire_waiting(&job.output, process, &what, on_wait),
        None => FolderLock::acquire(&job.output, process, &what),
    }
    .map_err(|e| match e {
        Error::Io { path, source } => Error::Config(format!(
            "{path}: {source}; crawlrank locks a result folder with a file beside it, so the folder's parent \
             must be writable too"
        )),
        e => e,
    })?;
    // Checked before anything is changed: a folder that is not crawlrank's is not touched.
    commit::check_ours(&job.output, job.force)?;
    let notes = if process.unwrap_or(0) == 0 {
        commit::recover(&RealFs, &job.output)?
    } else {
        // A member's folder may be process 0's (shared): process 0 sets it right. A member
        // with a folder of its own does so when it commits.
        Vec::new()
    };
    Ok((lock, notes))
}

/// Where a ranking runs: which part of the graph it holds, how its rounds reach the other
/// executors of the run, and which of them writes what. Implemented by the local executor
/// (one executor that owns everything) and by a distributed run's workers.
pub(crate) trait Executor {
    /// Reads the inputs and builds this executor's share of the graph: every node's ids
    /// and degrees, and the edges of the shards it owns.
    fn load(&mut self, inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded>;

    /// Iterates `program` from `initial` until `stop` says so, messages stored as `C`
    /// between map and reduce; every executor of the run returns the same states.
    fn iterate<P, C>(
        &mut self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<f64>,
        rounds: Rounds<'_, f64>,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<f64>
    where
        P: VertexProgram<State = f64, Message = f64>,
        C: Carrier<f64>;

    /// Who owns which shard and block.
    fn ownership(&self) -> Ownership;

    /// This executor's index among the run's executors.
    fn index(&self) -> usize;

    /// Whether this executor writes the summary, top table and charts, and takes the first
    /// and last steps of the commit.
    fn is_coordinator(&self) -> bool {
        self.index() == 0
    }

    /// Whether this executor publishes its process's staged part files.
    fn publishes(&self) -> bool;

    /// Returns once every executor of the run has reached this point.
    fn barrier(&mut self);

    /// The coordinator's `value`, on every executor (each passes its own; every executor
    /// calls it at the same point).
    fn agree(&mut self, value: u64) -> u64;

    /// Executors in each process of the run.
    fn workers_per_process(&self) -> usize;

    /// How the run was spread over processes, for the summary (the coordinator's answer;
    /// `None` for a local run). Every executor calls it at the same point: it may exchange.
    fn spread(&mut self) -> Option<DistributedRecord>;

    /// Threads (or workers) that computed.
    fn threads(&self) -> usize;
}

impl Executor for LocalExecutor {
    fn load(&mut self, inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
        super::source::load_any(inputs, options, progress)
    }

    fn iterate<P, C>(
        &mut self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<f64>,
        rounds: Rounds<'_, f64>,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<f64>
    where
        P: VertexProgram<State = f64, Message = f64>,
        C: Carrier<f64>,
    {
        self.run_rounds::<P, C>(graph, program, initial, rounds, observer)
    }

    fn ownership(&self) -> Ownership {
        Ownership::local()
    }

    fn index(&self) -> usize {
        0
    }

    fn publishes(&self) -> bool {
        true
    }

    fn barrier(&mut self) {}

    fn agree(&mut self, value: u64) -> u64 {
        value
    }

    fn workers_per_process(&self) -> usize {
        1
    }

    fn spread(&mut self) -> Option<DistributedRecord> {
        None
    }

    fn threads(&self) -> usize {
        rayon::current_num_threads()
    }
}

/// The whole job on one executor, writing into `staging`. Returns the outcome on the
/// coordinator, `None` on the other executors of a distributed run.
pub(crate) fn pipeline<E: Executor>(
    executor: &mut E,
    job: &RankJob,
    staging: &Staging,
    progress: &dyn Progress,
) -> Result<Option<RankOutcome>> {
    let job_started = Instant::now();
    let loaded = executor.load(&job.inputs, &job.load, progress)?;
    let graph = &loaded.graph;
    let personalization = match &job.personalize {
        Some(path) => Some(read_personalization(path, graph.nodes())?),
        None => None,
    };

    let started = Instant::now();
    progress.event(Event::Started(Phase::Iterate));
    let program = PageRankProgram::new(graph.sharded(), &job.pagerank, personalization.as_deref())?;
    let n = graph.node_count();
    let checkpoint_path = crate::output::checkpoint::path_for(&job.output);
    let fingerprint = run_fingerprint(job, graph.sharded(), personalization.as_deref());
    let (initial, init, done) = if job.resume {
        let checkpoint = crate::output::checkpoint::read(&checkpoint_path, fingerprint, n)?;
        (checkpoint.states, None, checkpoint.reports)
    } else {
        match &job.init {
            Some(dir) => {
                let (ranks, record) = warm_start(dir, graph.nodes())?;
                (ranks, Some(record), Vec::new())
            }
            None => (vec![1.0 / n as f64; n], None, Vec::new()),
        }
    };
    let resumed_after = job.resume.then(|| done.last().map_or(0, |r| r.iteration));
    let (stop, max_iterations) = (job.pagerank.stop_rule(), job.pagerank.max_iterations);
    let mut observer = |report: &IterationReport| {
        progress.event(Event::Iteration {
            iteration: report.iteration,
            max_iterations,
            change: report.change,
            tolerance: job.pagerank.tolerance,
        })
    };
    // Checkpoints are written by the coordinator (every executor holds the same states).
    let (mut written, mut checkpoint_error) = (0usize, None::<String>);
    let every = job.checkpoint_every.filter(|_| executor.is_coordinator());
    let mut keep = |reports: &[IterationReport], states: &[f64]| {
        let last = reports.last().expect("called after a round");
        let ends = last.change < stop.tolerance || last.iteration >= stop.max_iterations;
        if let Some(every) = every
            && last.iteration.is_multiple_of(every)
            && !ends
        {
            match crate::output::checkpoint::write(&checkpoint_path, fingerprint, reports, states) {
                Ok(()) => written += 1,
                Err(e) => checkpoint_error = Some(e.to_string()),
            }
        }
    };
    let rounds = Rounds {
        stop,
        done,
        after_round: every
            .is_some()
            .then_some(&mut keep as &mut dyn FnMut(&[IterationReport], &[f64])),
    };
    let outcome = match job.pagerank.precision {
        Precision::F64 => executor.iterate::<_, f64>(graph.sharded(), &program, initial, rounds, &mut observer),
        Precision::F32 => executor.iterate::<_, f32>(graph.sharded(), &program, initial, rounds, &mut observer),
    };
    let checkpoint = (job.checkpoint_every.is_some() || job.resume).then(|| CheckpointRecord {
        path: std::path::absolute(&checkpoint_path)
            .unwrap_or_else(|_| checkpoint_path.clone())
            .display()
            .to_string(),
        every: job.checkpoint_every,
        written,
        resumed_after,
        error: checkpoint_error.clone(),
    });
    // Checked before anything is written: ranks that are not a distribution fail the run
    // on every process alike (each holds all ranks), so no part file is published.
    let result = PageRankResult::new(&job.pagerank, outcome)?;
    let iterate_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Iterate, iterate_seconds));

    let started = Instant::now();
    progress.event(Event::Started(Phase::Write));
    let ranked = Ranked::new(graph, &result.ranks);
    let shards = graph.sharded().partition().shards();
    let owned = executor.ownership().shards_of(executor.index(), shards);
    let part_files = PartFiles {
        compression: job.compression,
    };
    part_files.write_shards(&ranked, staging.path(), &owned)?;
    // Every executor reaches this point only once its part files are written.
    let spread = executor.spread();
    let mut outcome = None;
    if executor.is_coordinator() {
        TopTable { k: job.top }.export(&ranked, staging.path())?;
        if job.cc_ranks {
            let reverse = job.load.names.as_ref().is_some_and(|n| n.reversed);
            crate::output::CcRanks { reverse }.export(&ranked, staging.path())?;
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
        let facts = RunFacts {
            files: graph.files(),
            personalization_nodes: personalization.as_ref().map_or(0, Vec::len),
            ids: graph.nodes().kind(),
            threads: executor.threads(),
            top_rows: top.len(),
            gexf,
            phases: Phases {
                read: loaded.read_seconds,
                partition: loaded.partition_seconds,
                iterate: iterate_seconds,
                write: started.elapsed().as_secs_f64(),
                total: job_started.elapsed().as_secs_f64(),
            },
            distributed: spread,
            names: loaded.names.clone(),
            init,
            checkpoint,
            store: loaded
                .store
                .as_deref()
                .map(|dir| store_record(dir, graph.sharded().cells_where()))
                .transpose()?,
        };
        let summary = summarize(job, graph.sharded(), &result, &facts);
        summary.write(staging.path())?;
        #[cfg(feature = "plots")]
        if let Some(format) = job.plots {
            crate::plot::draw_all(&crate::plot::ChartData::new(&summary, &top), staging.path(), format)?;
            crate::plot::report::write(&summary, &top, staging.path())?;
        }
        outcome = Some(RankOutcome {
            summary,
            top,
            notes: Vec::new(),
        });
    }
    commit_result(executor, job, staging, shards)?;
    if executor.is_coordinator() && (job.checkpoint_every.is_some() || job.resume) {
        // The result is complete: the checkpoint is not needed any more.
        let _ = std::fs::remove_file(&checkpoint_path);
    }
    if executor.is_coordinator() {
        progress.event(Event::Finished(Phase::Write, started.elapsed().as_secs_f64()));
    }
    Ok(outcome)
}

/// Commits the staged result (`output::commit`). Every executor calls it at the same point.
/// A local run commits its staging folder. In a distributed run, every process has staged
/// its part files when the first barrier passes; a process whose result folder is not
/// process 0's (it cannot see process 0's staging folder carrying this run's token) commits
/// its part files into its own folder; then process 0 gathers the part files staged in its
/// folder by the others and commits the whole result with `_SUCCESS`. A process lost before
/// that commit leaves process 0's previous result as it was.
fn commit_result<E: Executor>(executor: &mut E, job: &RankJob, staging: &Staging, shards: usize) -> Result<()> {
    let token = format!("{:016x}", executor.agree(run_token()));
    if executor.publishes() {
        let path = staging.path().join(commit::RUN_TOKEN);
        std::fs::write(&path, &token).map_err(|e| Error::io(&path, e))?;
    }
    executor.barrier(); // every process's part files and token are staged
    if executor.publishes() && !executor.is_coordinator() {
        let process_zero = job
            .output
            .join(format!("{}0", commit::PROCESS_STAGING))
            .join(commit::RUN_TOKEN);
        let shared = std::fs::read_to_string(process_zero).is_ok_and(|t| t == token);
        if !shared {
            // A folder of this process's own: locked, set right and committed like a
            // local run's, sealed by its marker (process 0's folder gets `_SUCCESS`).
            let (_lock, _) = open_result_folder(job, None, None)?;
            let process = executor.index() / executor.workers_per_process();
            commit::commit(
                &*commit::commit_fs()?,
                &job.output,
                staging.path(),
                Seal::Marker,
                &commit::marker_text(Some(process)),
            )?;
        }
    }
    executor.barrier(); // processes with folders of their own have committed
    if executor.is_coordinator() {
        // Process 0's own part files, and those of every process sharing its folder.
        let per_process = executor.workers_per_process();
        let owned_by = |process: usize| -> usize {
            (process * per_process..(process + 1) * per_process)
                .map(|worker| executor.ownership().shards_of(worker, shards).len())
                .sum()
        };
        let mut expected = owned_by(0);
        let mut gathered = 0;
        for entry in std::fs::read_dir(&job.output).map_err(|e| Error::io(&job.output, e))? {
            let name = entry.map_err(|e| Error::io(&job.output, e))?.file_name();
            let process = name
                .to_str()
                .and_then(|n| n.strip_prefix(commit::PROCESS_STAGING))
                .and_then(|p| p.parse::<usize>().ok());
            if let Some(process) = process.filter(|&p| p > 0)
                && let Some(moved) = commit::gather(&job.output, process, &token, staging.path())?
            {
                expected += owned_by(process);
                gathered += moved;
            }
        }
        let staged = std::fs::read_dir(staging.path().join(commit::RANKS)).map_or(0, |d| d.count());
        if staged != expected {
            return Err(Error::Config(format!(
                "{}: {staged} part files are staged for the processes writing into it, not {expected} \
                 ({gathered} of them from other processes); the previous result is left as it was",
                job.output.display()
            )));
        }
        commit::commit(
            &*commit::commit_fs()?,
            &job.output,
            staging.path(),
            Seal::Success,
            &commit::marker_text(None),
        )?;
    }
    executor.barrier(); // committed: the others may remove their staging folders
    commit::mark_committed();
    Ok(())
}

/// A token that names one run: the time and this process's id.
fn run_token() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 40)
}

/// The GEXF `<meta><description>` of a ranking run: what was ranked, how, and what the
/// file holds.
fn describe_run(job: &RankJob, graph: &Graph, export: &GexfExport) -> String {
    let inputs: Vec<String> = job.inputs.iter().map(InputFile::name).collect();
    format!(
        "PageRank of {} ({} nodes, {} edges); damping {}, tolerance {:e}, max iterations {}, dangling {}{}; \
         exported: {:?}{}; command: {}",
        inputs.join(", "),
        graph.stats().nodes,
        graph.stats().edges,
        job.pagerank.damping,
        job.pagerank.tolerance,
        job.pagerank.max_iterations,
        job.pagerank.dangling.name(),
        job.personalize
            .as_ref()
            .map_or(String::new(), |p| format!(", personalized by {}", p.display())),
        export.select,
        if export.neighbors { " with neighbours" } else { "" },
        job.command.join(" ")
    )
}

/// What a run measured besides the ranks, for its summary.
struct RunFacts<'a> {
    /// What each input held.
    files: &'a [FileReport],
    /// Nodes in the personalization file.
    personalization_nodes: usize,
    /// The kind of ids.
    ids: IdKind,
    /// Threads that computed.
    threads: usize,
    /// Rows in `top.tsv`.
    top_rows: usize,
    /// The GEXF export, when there was one.
    gexf: Option<GexfReport>,
    /// Seconds per phase.
    phases: Phases,
    /// What the names files held.
    names: Option<crate::graph::names::NamesReport>,
    /// How a distributed run was spread.
    distributed: Option<DistributedRecord>,
    /// Where the ranks started (`--init`).
    init: Option<InitRecord>,
    /// The store ranked, with how it was built.
    store: Option<(StoreRecord, LoadRecord)>,
    /// What was done with checkpoints.
    checkpoint: Option<CheckpointRecord>,
}

/// What the rounds' arithmetic depends on, for checkpoints: a checkpoint resumes only the
/// run it was written by (see `output::checkpoint`).
fn run_fingerprint(job: &RankJob, graph: &ShardedGraph, personalization: Option<&[(u32, f64)]>) -> u64 {
    let p = &job.pagerank;
    let mut f = crate::output::checkpoint::Fingerprint::new();
    f.add(env!("CARGO_PKG_VERSION"))
        .add(&graph.stats().nodes)
        .add(&graph.stats().edges)
        .add(graph.partition().bounds())
        .add(graph.out_degree())
        .add(graph.in_degree())
        .add_floats(&[p.damping, p.tolerance])
        .add(p.dangling.name())
        .add(p.precision.name());
    if let Some(weights) = graph.out_weight() {
        f.add_floats(weights);
    }
    if let Some(pairs) = personalization {
        for &(node, weight) in pairs {
            f.add(&node).add_floats(&[weight]);
        }
    }
    f.finish()
}

/// The summary's record of the store at `dir`, and the load record it was built with.
fn store_record(dir: &Path, cells: &str) -> Result<(StoreRecord, LoadRecord)> {
    let manifest = crate::store::read_manifest(dir)?;
    let path = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    Ok((
        StoreRecord {
            path: path.display().to_string(),
            bytes: manifest.bytes(),
            built_by: manifest.command.clone(),
            cells: cells.to_string(),
        },
        manifest.load,
    ))
}

/// The first ranks of a warm start (`--init DIR`): the ranks of the finished result in `DIR`
/// for the nodes it ranked, 1/n for the nodes it did not, the whole scaled to sum to 1. Ids
/// of that result that are no longer nodes are counted and dropped.
fn warm_start(dir: &Path, nodes: &crate::graph::NodeTable) -> Result<(Vec<f64>, InitRecord)> {
    let ranks = dir.join("ranks");
    if !ranks.join(SUCCESS).is_file() {
        return Err(Error::Input(format!(
            "{}: not a complete crawlrank result (no ranks/{SUCCESS}); --init takes the folder of a finished `crawlrank rank`",
            dir.display()
        )));
    }
    let read = crate::output::parts::read_ranks(&ranks, nodes, false)?;
    let n = nodes.len();
    let mut initial = read.ranks;
    for rank in &mut initial {
        if rank.is_nan() {
            *rank = 1.0 / n as f64;
        }
    }
    let sum: f64 = initial.iter().sum();
    if !(sum.is_finite() && sum > 0.0) {
        return Err(Error::Input(format!(
            "{}: its ranks of this graph's nodes sum to {sum}; --init needs ranks to start from",
            ranks.display()
        )));
    }
    initial.iter_mut().for_each(|r| *r /= sum);
    let from = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let record = InitRecord {
        from: from.display().to_string(),
        nodes_ranked_there: read.found as u64,
        new_nodes: (n - read.found) as u64,
        ids_not_in_graph: read.unknown,
    };
    Ok((initial, record))
}

/// How `load` reads and builds, for a summary or a store's manifest.
pub(crate) fn load_record(load: &LoadOptions, shards: usize) -> LoadRecord {
    LoadRecord {
        ids: load.ids,
        separator: load.parse.separator,
        header: load.parse.header,
        skip_bad_lines: load.parse.skip_bad_lines,
        weighted: load.parse.weighted,
        multi: load.build.multi,
        shards,
        names: load.names.as_ref().map(crate::input::names::NamesOptions::absolute),
    }
}

/// The content of `summary.json` for a finished ranking: the one record of a run, whatever
/// executor ran it.
fn summarize(job: &RankJob, graph: &ShardedGraph, result: &PageRankResult, facts: &RunFacts<'_>) -> Summary {
    Summary {
        crawlrank_version: env!("CARGO_PKG_VERSION").to_string(),
        command: job.command.clone(),
        inputs: facts.files.to_vec(),
        graph: graph.stats().clone(),
        ids: facts.ids,
        bad_lines_skipped: facts.files.iter().map(|f| f.text.bad_lines).sum(),
        parameters: Parameters {
            damping: job.pagerank.damping,
            tolerance: job.pagerank.tolerance,
            max_iterations: job.pagerank.max_iterations,
            dangling: job.pagerank.dangling,
            weighted: graph.stats().weighted,
            multi: graph.stats().multi,
            personalization: job.personalize.as_ref().map(|p| p.display().to_string()),
            personalization_nodes: facts.personalization_nodes,
            shards: graph.partition().shards(),
            shards_by_default: job.load.build.shards.is_none() && facts.store.is_none(),
            threads: facts.threads,
            precision: job.pagerank.precision.name().to_string(),
            teleport: if job.personalize.is_some() {
                "personalized"
            } else {
                "uniform"
            }
            .to_string(),
        },
        load: match &facts.store {
            Some((_, built)) => built.clone(),
            None => load_record(&job.load, graph.partition().shards()),
        },
        names: facts.names.clone(),
        init: facts.init.clone(),
        checkpoint: facts.checkpoint.clone(),
        store: facts.store.as_ref().map(|(record, _)| record.clone()),
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
            part_files: graph.partition().shards(),
            top: "top.tsv".to_string(),
            top_rows: facts.top_rows,
            gexf: facts.gexf.clone(),
            cc_ranks: job.cc_ranks.then(|| crate::output::cc_ranks::FILE.to_string()),
        },
        distributions: crate::analysis::Distributions::compute(&result.ranks, graph.in_degree(), graph.out_degree()),
        distributed: facts.distributed.clone(),
    }
}
