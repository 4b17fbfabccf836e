//! `rank --hosts FILE --process I`: the rank job's one pipeline
//! ([`pipeline`](crate::jobs::rank)) run by every timely worker of every process.
//!
//! A worker is an [`Executor`]: it loads the shards it owns ([`ingest`](super::ingest)),
//! runs the rounds with partial sums exchanged between workers ([`executor`](super::executor)),
//! and meets the other workers at the commit's barriers. Every process writes the part files
//! of its workers' shards into a staging folder of its own inside `--output` (the same shared
//! folder for all, or a local one each); process 0 also writes `summary.json`, `top.tsv` and
//! the charts, gathers the part files staged in its folder and commits the result once every
//! process has staged (`jobs::rank`'s `commit_result`).
//!
//! A worker that fails leaves its peers waiting for a round that will not come, so the
//! process must stop at once: the library removes its staging folder and calls the
//! caller's [`Abort`] handler, which reports and ends the process (the library itself never
//! prints or exits). When a peer process is lost, timely's network threads panic; the
//! caller's panic hook can name the peer with [`explain_panic`](super::cluster::explain_panic)
//! and clean up with [`remove_staging`] (which lets a commit in progress finish first). A
//! peer that falls silent without closing its connections (stopped, hung, cut off) is found
//! by the heartbeats ([`liveness`](super::liveness)), which end the process through the
//! same [`Abort`] handler.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use timely::WorkerConfig;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::worker::Worker;

use super::cluster::Cluster;
use super::exchange::Exchanger;
use super::executor::{self, Traffic};
use super::ingest::{Place, ProcessShared, ingest};
use super::liveness::Liveness;
use super::manifest::JobManifest;
use crate::engine::{Carrier, IterationReport, Outcome, Rounds, VertexProgram};
use crate::error::{Error, Result};
use crate::graph::{LoadOptions, Loaded, ShardedGraph};
use crate::input::InputFile;
use crate::jobs::rank::{Executor, RankJob, RankOutcome, open_result_folder, pipeline};
use crate::output::Staging;
use crate::output::summary::DistributedRecord;
use crate::partition::Ownership;
use crate::progress::{Progress, Silent};

/// How a process of a distributed run stops when it cannot go on: called with a message and
/// an exit code (2 when a step failed, such as a bad input line; 3 when a worker was lost;
/// 0, with a message to show as a warning, when a peer was lost only after the result was
/// committed), after the process's staging folder has been removed. It must not return: the other
/// workers are waiting for this one.
pub type Abort = fn(message: &str, code: u8) -> !;

/// What a process of a distributed run reports.
pub enum ProcessOutcome {
    /// Process 0: the whole run's summary and top rows.
    Coordinator(Box<RankOutcome>),
    /// Another process: how many part files it wrote, and where.
    Member {
        /// Part files its workers wrote.
        part_files: usize,
        /// The result folder.
        output: PathBuf,
    },
}

/// Runs `job` as process `cluster.process` of the cluster; `abort` ends the process when a
/// worker fails.
pub fn run(job: &RankJob, cluster: &Cluster, abort: Abort) -> Result<ProcessOutcome> {
    if job.inputs.iter().any(|f| matches!(f, InputFile::Stdin)) {
        return Err(Error::Config(
            "standard input cannot be striped over processes; give files that every process can read".to_string(),
        ));
    }
    if job.gexf.is_some() {
        return Err(Error::Config(
            "a GEXF export needs the whole graph in one process; after the run, write it from the result \
             folder with the export job (`crawlrank export gexf OUTPUT`)"
                .to_string(),
        ));
    }
    if job.load.names.is_some() {
        return Err(Error::Config(
            "--names is for local runs so far: rank the graph on one machine, or give the edge lists with \
             names as their ids"
                .to_string(),
        ));
    }
    job.validate()?;
    // Held until the process ends: one run at a time writes into a result folder.
    if job.wait {
        return Err(Error::Config(
            "--wait is for local runs: a process of a cluster that waited for a result folder would make \
             its peers give up connecting"
                .to_string(),
        ));
    }
    let (_lock, notes) = open_result_folder(job, Some(cluster.process), None)?;
    // One staging folder per process index: a rerun of process I replaces what an earlier,
    // failed process I left, and no process touches another's (their ids are not comparable
    // across machines).
    let staging = Arc::new(Staging::create_named(
        &job.output,
        &format!(".crawlrank-process-{}", cluster.process),
    )?);
    remove_on_failure(staging.path().to_path_buf());

    // The network guard joins timely's send and receive threads after the workers: a process
    // leaves only once its peers have closed their connections cleanly.
    let mut network = None;
    // Heartbeats between the processes, from the formation to the end of the run: a peer
    // that falls silent ends the run here (exit 3), naming it.
    let mut liveness = None;
    let builders: Vec<AllocatorBuilder> = if cluster.processes() == 1 {
        timely::CommunicationConfig::Process(cluster.workers)
            .try_build()
            .map_err(Error::Config)?
            .0
    } else {
        let connections = cluster.connect(&fingerprint(job, cluster)?)?;
        liveness = Some(Liveness::start(
            connections.heartbeats,
            cluster.process,
            &cluster.hosts,
            cluster.peer_timeout,
            cluster.connect_timeout,
            move |message| fail(abort, message, 3),
        )?);
        let sockets = connections.data;
        let hooks = Hooks::default();
        let process = timely::communication::allocator::ProcessBuilder::new_typed_vector(
            cluster.workers,
            hooks.refill.clone(),
            None,
        );
        let (builders, guard) =
            initialize_networking_from_sockets(process, sockets, cluster.process, cluster.workers, hooks)
                .map_err(|e| Error::Config(format!("cannot start the network threads: {e}")))?;
        network = Some(guard);
        builders.into_iter().map(AllocatorBuilder::Tcp).collect()
    };
    let shared = Arc::new(ProcessShared::default());
    let job_shared = Arc::new(job.clone());
    let cluster_shared = Arc::new(cluster.clone());
    let staging_shared = Arc::clone(&staging);
    let guards = timely::execute::execute_from(builders, Box::new(network), WorkerConfig::default(), move |worker| {
        let mut executor = WorkerExecutor::new(worker, &cluster_shared, &shared);
        match pipeline(&mut executor, &job_shared, &staging_shared, &Silent) {
            Ok(Some(outcome)) => WorkerOutcome::Coordinator(Box::new(outcome)),
            Ok(None) => WorkerOutcome::Parts(executor.owned_parts()),
            Err(e) => fail(abort, &format!("process {}: {e}", cluster_shared.process), 2),
        }
    })
    .map_err(Error::Config)?;
    let mut outcome = None;
    let mut part_files = 0;
    for result in guards.join() {
        match result {
            Ok(WorkerOutcome::Coordinator(o)) => outcome = Some(o),
            Ok(WorkerOutcome::Parts(count)) => part_files += count,
            Err(e) => fail(abort, &format!("a worker failed: {e}"), 3),
        }
    }
    // Every process has passed the last barrier: peers that finish first are not silent.
    if let Some(liveness) = liveness {
        liveness.finish();
    }
    keep(staging.path());
    match outcome {
        Some(mut o) => {
            o.notes = notes;
            Ok(ProcessOutcome::Coordinator(o))
        }
        None => Ok(ProcessOutcome::Member {
            part_files,
            output: job.output.clone(),
        }),
    }
}

/// What one worker returns.
enum WorkerOutcome {
    /// Worker 0: the run's outcome.
    Coordinator(Box<RankOutcome>),
    /// Any other worker: the number of part files it wrote.
    Parts(usize),
}

/// What workers tell each other outside the rounds.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Control {
    /// A worker's traffic, for the summary.
    Traffic(Traffic),
    /// The coordinator's value in [`Executor::agree`].
    Agree(u64),
}

/// One timely worker as an executor of the rank pipeline.
struct WorkerExecutor<'w> {
    worker: &'w mut Worker,
    place: Place,
    cluster: &'w Cluster,
    shared: &'w ProcessShared,
    /// Barriers and the traffic report.
    control: Exchanger<Control>,
    traffic: Traffic,
    /// The graph's shard and edge counts, once loaded.
    shards: usize,
    edges: u64,
}

impl<'w> WorkerExecutor<'w> {
    fn new(worker: &'w mut Worker, cluster: &'w Cluster, shared: &'w ProcessShared) -> Self {
        let place = Place {
            index: worker.index(),
            workers: worker.peers(),
            per_process: cluster.workers,
        };
        // Exchangers are dataflows: every worker builds them in the same order.
        let control = Exchanger::new(worker);
        WorkerExecutor {
            worker,
            place,
            cluster,
            shared,
            control,
            traffic: Traffic::default(),
            shards: 0,
            edges: 0,
        }
    }

    /// The store at `dir`: opened and checked once per process (the workers share its node
    /// table), with no exchange, since every process opens the same store (the processes
    /// compared its manifest when they connected). This worker then decodes its own shards
    /// into memory once when they fit its share of `--memory` beside its nodes' state and
    /// node table, and
    /// streams them every round otherwise.
    fn open_store(&mut self, dir: &std::path::Path, options: &LoadOptions) -> Result<Loaded> {
        let opened = self.shared.store.get_or_init(|| {
            let started = std::time::Instant::now();
            crate::jobs::source::open_store_streamed(dir, options)
                .map(|loaded| (loaded.graph, started.elapsed().as_secs_f64()))
                .map_err(|e| e.to_string())
        });
        let (mut graph, read_seconds) = opened.clone().map_err(Error::Input)?;
        let owned = self
            .ownership()
            .shards_of(self.place.index, graph.sharded().partition().shards());
        let budget = options.memory.unwrap_or_else(crate::memory::default_budget) / self.place.per_process as u64;
        let state = crate::jobs::source::node_bytes(&graph, self.place.per_process);
        if state.saturating_add(graph.sharded().decoded_shard_bytes(&owned)) <= budget {
            graph.sharded_mut().hold(&owned)?;
        }
        Ok(Loaded {
            graph,
            read_seconds,
            partition_seconds: 0.0,
            names: None,
            store: Some(dir.to_path_buf()),
        })
    }

    /// Part files this worker wrote.
    fn owned_parts(&self) -> usize {
        self.ownership().shards_of(self.place.index, self.shards).len()
    }
}

impl Executor for WorkerExecutor<'_> {
    fn load(&mut self, inputs: &[InputFile], options: &LoadOptions, _: &dyn Progress) -> Result<Loaded> {
        let loaded = match crate::jobs::source::store_input(inputs)? {
            Some(dir) => self.open_store(dir, options)?,
            None => ingest(self.worker, self.place, self.shared, inputs, options)?,
        };
        self.shards = loaded.graph.sharded().partition().shards();
        self.edges = loaded.graph.edge_count();
        Ok(loaded)
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
        // Distributed runs neither checkpoint nor resume (the command line refuses them).
        debug_assert!(rounds.done.is_empty() && rounds.after_round.is_none());
        let (outcome, traffic) =
            executor::run::<P, C>(self.worker, self.place, graph, program, initial, rounds.stop, observer);
        self.traffic = traffic;
        outcome
    }

    fn ownership(&self) -> Ownership {
        self.place.ownership()
    }

    fn index(&self) -> usize {
        self.place.index
    }

    fn publishes(&self) -> bool {
        self.place.is_leader()
    }

    fn barrier(&mut self) {
        self.control.barrier(self.worker);
    }

    fn agree(&mut self, value: u64) -> u64 {
        let outgoing: Vec<(usize, Control)> = if self.place.index == 0 {
            (0..self.place.workers).map(|w| (w, Control::Agree(value))).collect()
        } else {
            Vec::new()
        };
        let received = self.control.round(self.worker, outgoing);
        received
            .iter()
            .find_map(|c| match c {
                Control::Agree(v) => Some(*v),
                _ => None,
            })
            .expect("the coordinator sends its value to every worker")
    }

    fn workers_per_process(&self) -> usize {
        self.place.per_process
    }

    fn spread(&mut self) -> Option<DistributedRecord> {
        let all = self.control.round(self.worker, [(0, Control::Traffic(self.traffic))]);
        if self.place.index != 0 {
            return None;
        }
        let mut total = Traffic::default();
        for control in &all {
            if let Control::Traffic(t) = control {
                total.add(t);
            }
        }
        let rounds = total.rounds.max(1) as f64;
        let remote = (total.partial_bytes_remote + total.state_bytes_remote) as f64 / rounds;
        Some(DistributedRecord {
            hosts: self.cluster.hosts.clone(),
            workers_per_process: self.cluster.workers,
            shard_owner: "shard mod workers; worker w runs in process w / workers_per_process".to_string(),
            partial_bytes_per_round: total.partial_bytes_remote as f64 / rounds,
            state_bytes_per_round: total.state_bytes_remote as f64 / rounds,
            partial_records_per_round: total.partial_records as f64 / rounds,
            bytes_per_edge_per_round: remote / self.edges.max(1) as f64,
        })
    }

    fn threads(&self) -> usize {
        self.place.workers
    }
}

/// Everything that must agree between the processes, whose hash they compare when they
/// connect: crawlrank's version, the options, the cluster, and each input's name (as given,
/// so the same relative names may point to other folders on other machines), size and a
/// digest of its first and last MiB; the personalization file likewise. Not `--process` or
/// `--output`, which differ. An input that cannot be read is an error naming it.
fn fingerprint(job: &RankJob, cluster: &Cluster) -> Result<JobManifest> {
    let mut manifest = JobManifest::new();
    manifest.add("crawlrank version", env!("CARGO_PKG_VERSION"));
    manifest.add("hosts file", format!("{:?}", cluster.hosts));
    manifest.add("--workers", cluster.workers.to_string());
    manifest.add("input options", format!("{:?}", job.load));
    manifest.add("PageRank options", format!("{:?}", job.pagerank));
    manifest.add("--compress", format!("{:?}", job.compression));
    manifest.add("--top", job.top.to_string());
    manifest.add_inputs(&job.inputs)?;
    manifest.add("--personalize", format!("{:?}", job.personalize));
    if let Some(path) = &job.personalize {
        manifest.add_file("personalization file", path)?;
    }
    Ok(manifest)
}

/// Folders to remove when the process ends on a failure (partly written results).
static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes `path` if the process fails from here on.
fn remove_on_failure(path: PathBuf) {
    CLEANUP.lock().unwrap_or_else(|p| p.into_inner()).push(path);
}

/// Forgets a folder registered with [`remove_on_failure`].
fn keep(path: &std::path::Path) {
    CLEANUP.lock().unwrap_or_else(|p| p.into_inner()).retain(|p| p != path);
}

/// Removes the staging folders of distributed runs in this process that have not finished:
/// for a panic hook that ends the process because a peer was lost.
pub fn remove_staging() {
    // A commit in progress finishes (or rolls back) first, and none starts after: a result
    // folder is never left between two results by the process ending.
    crate::output::commit::end_commits();
    for path in CLEANUP.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Whether the run's result was committed, complete, before this process had to end: a
/// peer lost after that (while the processes close down) does not undo it.
pub fn result_committed() -> bool {
    crate::output::commit::committed()
}

/// `message` (which says the run could not finish) for a failure that came after the
/// result was committed.
pub fn after_commit(message: &str) -> String {
    let cause = message
        .split_once("; no _SUCCESS is written")
        .or_else(|| message.split_once(" (no _SUCCESS is written)"))
        .or_else(|| message.split_once(", so this run cannot finish"))
        .map_or(message, |(cause, _)| cause);
    format!("{cause}; this came after the result was committed (ranks/_SUCCESS): it is complete")
}

/// Removes the staging folders and hands over to the caller's handler: with exit code 0
/// and the message as a warning when the result was committed before the failure.
fn fail(abort: Abort, message: &str, code: u8) -> ! {
    remove_staging();
    if result_committed() {
        abort(&after_commit(message), 0)
    }
    abort(message, code)
}
