//! `crawlrank rank --hosts FILE --process I`: the whole job on one process of a cluster.
//!
//! Output protocol. Every process writes the part files of the shards its workers own into
//! a staging folder inside its `--output` (the same shared folder for all, or a local one
//! each); process 0 also writes `summary.json`, `top.tsv` and the charts. Then, separated
//! by barriers so that no step starts before every process finished the previous one:
//! process 0 removes the old `ranks/_SUCCESS`; every process moves its parts into
//! `ranks/`; process 0 moves its files and, last, writes `ranks/_SUCCESS`. A process that
//! fails or dies before the end makes the others exit non-zero, and `_SUCCESS` is not
//! written.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use timely::WorkerConfig;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::worker::Worker;

use super::cluster::{self, Cluster};
use super::exchange::Exchanger;
use super::executor::{self, Traffic};
use super::ingest::{Place, ProcessShared, ingest};
use crate::algo::{PageRank, PageRankResult, read_personalization};
use crate::error::{Error, Result};
use crate::input::InputFile;
use crate::output::parts::part_name;
use crate::output::summary::{DistributedRecord, Phases};
use crate::output::{Exporter, PartFiles, Ranked, SUCCESS, Staging, TopTable, top_nodes};
use crate::rank::{RankJob, RankOutcome, RunFacts, summarize};

/// Files of a result folder that process 0 writes besides the part files.
const PROCESS_ZERO_ENTRIES: &[&str] = &["top.tsv", "summary.json", "plots", "report.html"];

/// What a process of a distributed run reports.
pub enum ProcessOutcome {
    /// Process 0: the whole run's summary and top rows.
    Coordinator(Box<RankOutcome>),
    /// Another process: how many part files it wrote, and where.
    Member { part_files: usize, output: PathBuf },
}

/// Runs `job` as process `cluster.process` of the cluster.
pub fn run(job: &RankJob, cluster: &Cluster) -> Result<ProcessOutcome> {
    if job.inputs.iter().any(|f| matches!(f, InputFile::Stdin)) {
        return Err(Error::Config(
            "standard input cannot be striped over processes; give files that every process can read".to_string(),
        ));
    }
    if job.gexf.is_some() {
        return Err(Error::Config(
            "--gexf needs the whole graph in one process; after a distributed run, write it with \
             `crawlrank export gexf OUTPUT`"
                .to_string(),
        ));
    }
    job.pagerank.validate()?;
    if job.load.build.shards == Some(0) {
        return Err(Error::Config("--shards must be at least 1".to_string()));
    }
    let fingerprint = fingerprint(job, cluster);
    // One staging folder per process index: a rerun of process I replaces what an earlier,
    // failed process I left, and no process touches another's (their ids are not comparable
    // across machines).
    let staging = Arc::new(Staging::create_named(
        &job.output,
        &format!(".crawlrank-process-{}", cluster.process),
    )?);
    cluster::remove_on_failure(staging.path().to_path_buf());
    cluster::install_panic_hook(cluster.hosts.clone());

    // The network guard joins timely's send and receive threads after the workers: a process
    // leaves only once its peers have closed their connections cleanly.
    let mut network = None;
    let builders: Vec<AllocatorBuilder> = if cluster.processes() == 1 {
        timely::CommunicationConfig::Process(cluster.workers)
            .try_build()
            .map_err(Error::Config)?
            .0
    } else {
        let sockets = cluster.connect(fingerprint)?;
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
    let staging_path = staging.path().to_path_buf();
    let guards = timely::execute::execute_from(builders, Box::new(network), WorkerConfig::default(), move |worker| {
        match worker_main(worker, &job_shared, &cluster_shared, &shared, &staging_path) {
            Ok(outcome) => outcome,
            Err(e) => cluster::fail(&format!("process {}: {e}", cluster_shared.process), 2),
        }
    })
    .map_err(Error::Config)?;
    let mut outcome = None;
    let mut part_files = 0;
    for result in guards.join() {
        match result {
            Ok(WorkerOutcome::Coordinator(o)) => outcome = Some(o),
            Ok(WorkerOutcome::Parts(count)) => part_files += count,
            Err(e) => cluster::fail(&format!("a worker failed: {e}"), 3),
        }
    }
    cluster::keep(staging.path());
    match outcome {
        Some(o) => Ok(ProcessOutcome::Coordinator(o)),
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

/// One worker's whole job.
fn worker_main(
    worker: &mut Worker,
    job: &RankJob,
    cluster: &Cluster,
    shared: &ProcessShared,
    staging: &Path,
) -> Result<WorkerOutcome> {
    let job_started = Instant::now();
    let place = Place {
        index: worker.index(),
        workers: worker.peers(),
        per_process: cluster.workers,
    };
    // Exchangers are dataflows: every worker builds them in the same order.
    let mut control: Exchanger<Traffic> = Exchanger::new(worker);
    let loaded = ingest(worker, place, shared, &job.inputs, &job.load)?;
    let graph = &loaded.graph;
    let personalization = match &job.personalize {
        Some(path) => Some(read_personalization(path, &loaded.nodes)?),
        None => None,
    };
    let program = PageRank::new(graph, &job.pagerank, personalization.as_deref())?;
    let n = graph.nodes() as usize;
    let started = Instant::now();
    let (outcome, traffic) = executor::run(
        worker,
        place,
        graph,
        &loaded.owned,
        &program,
        vec![1.0 / n as f64; n],
        job.pagerank.stop_rule(),
        &mut |_| {},
    );
    let iterate_seconds = started.elapsed().as_secs_f64();
    let result = PageRankResult::new(&job.pagerank, outcome);

    // Part files of the owned shards, into this process's staging folder.
    let started = Instant::now();
    let ranked = Ranked {
        graph,
        nodes: &loaded.nodes,
        ranks: &result.ranks,
    };
    PartFiles {
        compression: job.compression,
    }
    .write_shards(&ranked, staging, &loaded.owned)?;
    // Everyone's traffic to worker 0; this round is also the barrier "all parts written".
    let all_traffic = control.round(worker, [(0, traffic)]);
    let coordinator = place.index == 0;
    let mut outcome = None;
    if coordinator {
        let mut total = Traffic::default();
        for t in &all_traffic {
            total.add(t);
        }
        TopTable { k: job.top }.export(&ranked, staging)?;
        let top = top_nodes(&ranked, job.top);
        let mut summary = summarize(
            job,
            graph,
            &result,
            &RunFacts {
                files: &loaded.files,
                personalization_nodes: personalization.as_ref().map_or(0, Vec::len),
                ids: loaded.nodes.kind(),
                threads: place.workers,
                top_rows: top.len(),
                gexf: None,
                phases: Phases {
                    read: loaded.read_seconds,
                    partition: loaded.partition_seconds,
                    iterate: iterate_seconds,
                    write: started.elapsed().as_secs_f64(),
                    total: job_started.elapsed().as_secs_f64(),
                },
            },
        );
        let rounds = total.rounds.max(1) as f64;
        let remote = (total.partial_bytes_remote + total.state_bytes_remote) as f64 / rounds;
        summary.distributed = Some(DistributedRecord {
            hosts: cluster.hosts.clone(),
            workers_per_process: cluster.workers,
            shard_owner: "shard mod workers; worker w runs in process w / workers_per_process".to_string(),
            partial_bytes_per_round: total.partial_bytes_remote as f64 / rounds,
            state_bytes_per_round: total.state_bytes_remote as f64 / rounds,
            partial_records_per_round: total.partial_records as f64 / rounds,
            bytes_per_edge_per_round: remote / graph.stats.edges.max(1) as f64,
        });
        summary.write(staging)?;
        if let Some(format) = job.plots {
            crate::plot::draw_all(&crate::plot::ChartData::new(&summary, &top), staging, format)?;
            crate::report::write(&summary, &top, staging)?;
        }
        let ranks = job.output.join("ranks");
        let success = ranks.join(SUCCESS);
        if success.exists() {
            fs::remove_file(&success).map_err(|e| Error::io(&success, e))?;
        }
        outcome = Some((summary, top));
    }
    control.barrier(worker); // "the old _SUCCESS is gone"
    if place.is_leader() {
        publish_parts(staging, &job.output)?;
    }
    control.barrier(worker); // "every part is in place"
    if coordinator {
        let ranks = job.output.join("ranks");
        remove_stale_parts(&ranks, graph.partition.shards(), job.compression)?;
        for name in PROCESS_ZERO_ENTRIES {
            let current = job.output.join(name);
            let staged = staging.join(name);
            if current.exists() {
                if current.is_dir() {
                    fs::remove_dir_all(&current).map_err(|e| Error::io(&current, e))?;
                } else {
                    fs::remove_file(&current).map_err(|e| Error::io(&current, e))?;
                }
            }
            if staged.exists() {
                fs::rename(&staged, &current).map_err(|e| Error::io(&staged, e))?;
            }
        }
        let success = ranks.join(SUCCESS);
        fs::write(&success, b"").map_err(|e| Error::io(&success, e))?;
        let (summary, top) = outcome.take().expect("the coordinator has the summary");
        return Ok(WorkerOutcome::Coordinator(Box::new(RankOutcome { summary, top })));
    }
    Ok(WorkerOutcome::Parts(loaded.owned.len()))
}

/// Moves this process's staged part files into `output/ranks/`.
fn publish_parts(staging: &Path, output: &Path) -> Result<()> {
    let ranks = output.join("ranks");
    fs::create_dir_all(&ranks).map_err(|e| Error::io(&ranks, e))?;
    let staged = staging.join("ranks");
    let Ok(entries) = fs::read_dir(&staged) else {
        return Ok(()); // this process owns no shard
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&staged, e))?;
        let target = ranks.join(entry.file_name());
        fs::rename(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}

/// Removes part files of an earlier result that this run's shards do not replace.
fn remove_stale_parts(ranks: &Path, shards: usize, compression: crate::output::OutputCompression) -> Result<()> {
    let current: Vec<String> = (0..shards).map(|s| part_name(s, compression)).collect();
    for entry in fs::read_dir(ranks).map_err(|e| Error::io(ranks, e))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("part-") && !current.contains(&name) {
            fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// A hash of everything that must agree between the processes: crawlrank's version, the
/// inputs, the options and the cluster. Not `--process` or `--output`, which differ.
fn fingerprint(job: &RankJob, cluster: &Cluster) -> u64 {
    let text = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
        env!("CARGO_PKG_VERSION"),
        job.inputs.iter().map(InputFile::name).collect::<Vec<_>>(),
        job.load,
        job.pagerank,
        job.personalize,
        job.compression,
        job.top,
        cluster.hosts,
        cluster.workers,
    );
    // FNV-1a: stable across processes and builds, unlike the standard hasher's seed.
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
