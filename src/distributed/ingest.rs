//! Distributed ingest: from striped input files to the shards each worker owns.
//!
//! The result must be the graph a local run builds from the same inputs, to the bit: the
//! same dense ids (ids sorted by value, or strings by bytes), the same duplicate handling,
//! the same degrees and the same partition. Supersteps (each an [`Exchanger`] round):
//!
//! 1. Each worker reads its stripe (input `i` goes to worker `i mod workers`) with the local
//!    reader and renumbers it locally; it sends its sorted distinct ids to the first worker
//!    of every process, which merges them into the global id table (shared by the
//!    process's workers).
//! 2. Each worker renames its edges to global ids and sends every edge to the owner of its
//!    source's block (`block mod workers`): all edges of a source meet on one worker, which
//!    collapses duplicates as the local build does (with weights, the last in input order
//!    wins) and counts degrees.
//! 3. Degrees and counts go to the first worker of every process; every process then knows
//!    the out-degrees, so every worker computes the same [`Partition`] as a local run.
//! 4. Edges travel to the owner of their source shard (`shard mod workers`, the same
//!    [`Partition::shard_of`] as the local engine), which builds its shards.
//!
//! Id tables and per-node arrays are held once per process, not per worker; edges are held
//! only by the workers that own them.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use timely::worker::Worker;

use super::exchange::Exchanger;
use crate::error::{Error, Result};
use crate::graph::collect::DenseEdges;
use crate::graph::collect::{pack, unpack};
use crate::graph::ids::StringTable;
use crate::graph::load::no_edges;
use crate::graph::shard::{from_storage_key, storage_key};
use crate::graph::{EdgeCollector, EdgeCounts, Graph, LoadOptions, Loaded, NodeTable, Shard, ShardedGraph};
use crate::input::{FileReport, InputFile, read_inputs};
use crate::partition::{BLOCK, BLOCK_BITS, Ownership, Partition, default_shard_count};
use crate::progress::Silent;

/// Records per message: large enough to amortise a message, small enough to interleave.
const BATCH: usize = 1 << 20;

/// A record of the ingest supersteps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) enum Ingest {
    /// Sorted distinct integer ids of one worker's stripe.
    IntLabels(Vec<u64>),
    /// Sorted distinct string ids: bytes back to back and the end of each.
    TextLabels { bytes: Vec<u8>, ends: Vec<u64> },
    /// Reports of the inputs a worker read, by input index (as JSON: the report flattens a
    /// field, which bincode cannot carry).
    Files(Vec<(u32, String)>),
    /// Edges as packed global (source, destination) ids, with weights and input order
    /// (`input index << 40 | position`) when weighted.
    Edges {
        keys: Vec<u64>,
        weights: Option<Vec<f64>>,
        order: Option<Vec<u64>>,
    },
    /// Out-degrees and out-weights of one source block (complete: the block's owner has all
    /// of its edges).
    OutDegrees {
        block: u32,
        degrees: Vec<u32>,
        weights: Option<Vec<f64>>,
    },
    /// One worker's in-edge counts for one destination block.
    InDegrees { block: u32, counts: Vec<u32> },
    /// One worker's edge counts.
    Counts { read: u64, kept: u64, self_loops: u64 },
}

/// The node-sized arrays every process holds, merged from all workers.
#[derive(Debug)]
pub(super) struct Degrees {
    /// Out-degree of every node.
    pub out_degree: Vec<u32>,
    /// In-degree of every node.
    pub in_degree: Vec<u32>,
    /// Out-weight of every node, when weighted.
    pub out_weight: Option<Vec<f64>>,
    /// Edge lines read.
    pub edges_read: u64,
    /// Edges kept.
    pub edges: u64,
    /// Self-loops kept.
    pub self_loops: u64,
}

/// What the workers of one process share.
#[derive(Default)]
pub(super) struct ProcessShared {
    table: OnceLock<Arc<NodeTable>>,
    degrees: OnceLock<Arc<Degrees>>,
    /// A store opened and checked once for the process (its cells left on disk), with the
    /// seconds that took; or why it could not be.
    pub store: OnceLock<std::result::Result<(Graph, f64), String>>,
}

/// Where a worker is in the computation.
#[derive(Clone, Copy, Debug)]
pub(super) struct Place {
    /// This worker's index among all workers.
    pub index: usize,
    /// All workers.
    pub workers: usize,
    /// Workers per process.
    pub per_process: usize,
}

impl Place {
    /// The first worker of every process: where process-wide tables are merged.
    pub(super) fn leaders(&self) -> impl Iterator<Item = usize> + use<> {
        (0..self.workers).step_by(self.per_process)
    }

    /// Whether this worker merges its process's tables.
    pub(super) fn is_leader(&self) -> bool {
        self.index.is_multiple_of(self.per_process)
    }

    /// Who owns which shard and block among all workers.
    pub(super) fn ownership(&self) -> Ownership {
        Ownership::new(self.workers)
    }
}

/// Runs the ingest supersteps on this worker: its share of the graph, with every node's ids
/// and degrees and the edges of the shards it owns (the other shards empty).
pub(super) fn ingest(
    worker: &mut Worker,
    place: Place,
    shared: &ProcessShared,
    inputs: &[InputFile],
    options: &LoadOptions,
) -> Result<Loaded> {
    let started = Instant::now();
    let mut exchange: Exchanger<Ingest> = Exchanger::new(worker);
    let weighted = options.parse.weighted;
    let stripe = read_stripe(place, inputs, options)?;
    let read_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let edges_read = stripe.dense.keys.len() as u64;
    let (nodes, files) = merge_ids(&mut exchange, worker, place, shared, &stripe)?;
    if nodes.len() == 0 {
        return Err(no_edges(inputs, 0));
    }
    // Every worker knows the node count here and fails alike, before any edge moves.
    options.build.validate_for(nodes.len() as u32)?;
    let keys = to_global_ids(stripe.dense.keys, &stripe.dense.nodes, &nodes);
    let order = weighted.then(|| input_order(&stripe.ends, keys.len()));
    let edges = collapse_duplicates(
        &mut exchange,
        worker,
        place,
        EdgeSet {
            keys,
            weights: stripe.dense.weights,
            order,
        },
        options.build.multi,
    );
    let degrees = count_degrees(
        &mut exchange,
        worker,
        place,
        shared,
        &edges,
        nodes.len(),
        weighted,
        edges_read,
    );
    // The partition every run with this shard count uses.
    let shards = options
        .build
        .shards
        .unwrap_or_else(|| default_shard_count(degrees.edges));
    let partition = Partition::balanced(&degrees.out_degree, shards);
    let shards = deal_to_shards(&mut exchange, worker, place, &partition, edges, weighted);
    let sharded = ShardedGraph::assemble(
        partition,
        shards,
        degrees.out_degree.clone(),
        degrees.in_degree.clone(),
        degrees.out_weight.clone(),
        EdgeCounts {
            read: degrees.edges_read,
            kept: degrees.edges,
            self_loops: degrees.self_loops,
        },
        options.build.multi,
    );
    Ok(Loaded {
        graph: Graph::new(nodes, sharded, files),
        read_seconds,
        partition_seconds: started.elapsed().as_secs_f64(),
        names: None,
        store: None,
    })
}

/// What a worker read: its stripe of the inputs (input `i` goes to worker `i mod workers`),
/// with locally dense ids.
struct Stripe {
    dense: DenseEdges,
    /// Reports of the inputs read, by input index, as JSON (a report flattens a field,
    /// which bincode cannot carry).
    reports: Vec<(u32, String)>,
    /// (input index, edges collected after it), for the input order of weighted edges.
    ends: Vec<(u64, u64)>,
}

/// Reads this worker's stripe, one input at a time so that positions map to inputs.
fn read_stripe(place: Place, inputs: &[InputFile], options: &LoadOptions) -> Result<Stripe> {
    let mut collector = EdgeCollector::new(options.ids, options.parse.weighted);
    let mut reports = Vec::new();
    let mut ends = Vec::new();
    for (i, file) in inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % place.workers == place.index)
    {
        let mut report = read_inputs(std::slice::from_ref(file), &options.parse, &mut collector, &Silent)?;
        reports.push((
            i as u32,
            serde_json::to_string(&report.remove(0)).expect("a report serializes"),
        ));
        ends.push((i as u64, collector.len() as u64));
    }
    Ok(Stripe {
        dense: collector.finish()?,
        reports,
        ends,
    })
}

/// Superstep 1: local id tables to every process's leader, which merges them into the
/// global table its workers share; the input reports to worker 0 (in input order there).
fn merge_ids(
    exchange: &mut Exchanger<Ingest>,
    worker: &mut Worker,
    place: Place,
    shared: &ProcessShared,
    stripe: &Stripe,
) -> Result<(Arc<NodeTable>, Vec<FileReport>)> {
    let mut outgoing = Vec::new();
    for leader in place.leaders() {
        for record in label_batches(&stripe.dense.nodes) {
            outgoing.push((leader, record));
        }
    }
    outgoing.push((0, Ingest::Files(stripe.reports.clone())));
    let received = exchange.round(worker, outgoing);
    let mut files: Vec<(u32, String)> = Vec::new();
    if place.is_leader() {
        let mut ints = Vec::new();
        let mut texts = Vec::new();
        for record in received {
            match record {
                Ingest::IntLabels(ids) => ints.push(ids),
                Ingest::TextLabels { bytes, ends } => texts.push((bytes, ends)),
                Ingest::Files(f) => files.extend(f),
                _ => unreachable!("only ids and reports in the first round"),
            }
        }
        let table = merge_tables(ints, texts);
        if u32::try_from(table.len()).is_err() {
            return Err(Error::Input("too many nodes for 32-bit ids".to_string()));
        }
        let _ = shared.table.set(Arc::new(table));
    }
    exchange.barrier(worker);
    let nodes = Arc::clone(shared.table.get().expect("the leader merged the ids"));
    files.sort_by_key(|f| f.0);
    let files = files
        .into_iter()
        .map(|(_, json)| serde_json::from_str(&json).expect("a report deserializes"))
        .collect();
    Ok((nodes, files))
}

/// Renames locally dense edge keys to global ids.
fn to_global_ids(mut keys: Vec<u64>, local: &NodeTable, global: &NodeTable) -> Vec<u64> {
    let global = global_ids(local, global);
    keys.par_iter_mut().for_each(|k| {
        let (s, t) = unpack(*k);
        *k = pack(global[s as usize], global[t as usize]);
    });
    keys
}

/// Every edge's input order, `input index << 40 | position`, from the stripe's input ends.
fn input_order(ends: &[(u64, u64)], len: usize) -> Vec<u64> {
    let mut order = Vec::with_capacity(len);
    let mut start = 0u64;
    for &(input, end) in ends {
        order.extend((start..end).map(|p| input << 40 | p));
        start = end;
    }
    order
}

/// Superstep 2: every edge to the owner of its source's block, where all edges of a source
/// meet and duplicates collapse as a local build collapses them (with weights, the last in
/// input order wins).
fn collapse_duplicates(
    exchange: &mut Exchanger<Ingest>,
    worker: &mut Worker,
    place: Place,
    edges: EdgeSet,
    multi: bool,
) -> EdgeSet {
    let weighted = edges.weights.is_some();
    let ownership = place.ownership();
    let outgoing = route_edges(edges, place.workers, |key| ownership.node_owner(unpack(key).0));
    let received = exchange.round(worker, outgoing);
    let mut edges = gather_edges(received, weighted);
    edges.sort(weighted, |k| k);
    if !multi {
        edges.dedup_keep_last();
    }
    edges
}

/// Superstep 3: the degrees of the sources this worker's blocks hold, its in-edge counts and
/// edge counts, to every process's leader, which merges them into the arrays its workers
/// share.
#[allow(clippy::too_many_arguments)]
fn count_degrees(
    exchange: &mut Exchanger<Ingest>,
    worker: &mut Worker,
    place: Place,
    shared: &ProcessShared,
    edges: &EdgeSet,
    n: usize,
    weighted: bool,
    edges_read: u64,
) -> Arc<Degrees> {
    let blocks = n.div_ceil(BLOCK as usize) as u32;
    let my_blocks: Vec<u32> = place.ownership().blocks_of(place.index, blocks).collect();
    let mut out_blocks: Vec<(Vec<u32>, Option<Vec<f64>>)> = my_blocks
        .iter()
        .map(|&b| {
            let len = block_len(b as usize, n);
            (vec![0; len], weighted.then(|| vec![0.0; len]))
        })
        .collect();
    let mut in_counts: Vec<u32> = vec![0; n];
    let mut self_loops = 0u64;
    for (i, &key) in edges.keys.iter().enumerate() {
        let (s, t) = unpack(key);
        let b = s >> BLOCK_BITS;
        let slot = &mut out_blocks[(b as usize - place.index) / place.workers];
        let offset = (s & (BLOCK - 1)) as usize;
        slot.0[offset] += 1;
        if let (Some(w), Some(weights)) = (&mut slot.1, &edges.weights) {
            w[offset] += weights[i];
        }
        in_counts[t as usize] += 1;
        self_loops += (s == t) as u64;
    }
    let mut outgoing = Vec::new();
    for leader in place.leaders() {
        for (&b, (degrees, weights)) in my_blocks.iter().zip(&out_blocks) {
            outgoing.push((
                leader,
                Ingest::OutDegrees {
                    block: b,
                    degrees: degrees.clone(),
                    weights: weights.clone(),
                },
            ));
        }
        for (b, counts) in in_counts.chunks(BLOCK as usize).enumerate() {
            if counts.iter().any(|&c| c > 0) {
                outgoing.push((
                    leader,
                    Ingest::InDegrees {
                        block: b as u32,
                        counts: counts.to_vec(),
                    },
                ));
            }
        }
        outgoing.push((
            leader,
            Ingest::Counts {
                read: edges_read,
                kept: edges.keys.len() as u64,
                self_loops,
            },
        ));
    }
    drop(out_blocks);
    drop(in_counts);
    let received = exchange.round(worker, outgoing);
    if place.is_leader() {
        let _ = shared.degrees.set(Arc::new(merge_degrees(received, n, weighted)));
    }
    exchange.barrier(worker);
    Arc::clone(shared.degrees.get().expect("the leader merged the degrees"))
}

/// Superstep 4: every edge to the owner of its source's shard, which builds the shards it
/// owns (the others stay empty).
fn deal_to_shards(
    exchange: &mut Exchanger<Ingest>,
    worker: &mut Worker,
    place: Place,
    partition: &Partition,
    edges: EdgeSet,
    weighted: bool,
) -> Vec<Shard> {
    let ownership = place.ownership();
    let outgoing = route_edges(edges, place.workers, |key| {
        ownership.shard_owner(partition.shard_of(unpack(key).0))
    });
    let received = exchange.round(worker, outgoing);
    let mut edges = gather_edges(received, weighted);
    edges.keys.par_iter_mut().for_each(|k| {
        let (s, t) = unpack(*k);
        *k = storage_key(s, t);
    });
    edges.sort(weighted, |k| k);
    let owned = ownership.shards_of(place.index, partition.shards());
    build_shards(partition, &owned, edges, weighted)
}

/// Nodes in block `b` of a graph of `n` nodes.
fn block_len(b: usize, n: usize) -> usize {
    (n - b * BLOCK as usize).min(BLOCK as usize)
}

/// A local id table cut into messages.
fn label_batches(table: &NodeTable) -> Vec<Ingest> {
    match table {
        NodeTable::Int(ids) => ids.chunks(BATCH).map(|c| Ingest::IntLabels(c.to_vec())).collect(),
        NodeTable::Dense(_) => unreachable!("edge files give integer or string ids, never a dense table"),
        NodeTable::Named(_) => unreachable!("a distributed run refuses --names"),
        NodeTable::String(t) => {
            let (bytes, ends) = t.parts();
            let mut out = Vec::new();
            let mut start_string = 0;
            while start_string < ends.len() {
                let end_string = (start_string + BATCH).min(ends.len());
                let from = if start_string == 0 { 0 } else { ends[start_string - 1] };
                let to = ends[end_string - 1];
                out.push(Ingest::TextLabels {
                    bytes: bytes[from..to].to_vec(),
                    ends: ends[start_string..end_string]
                        .iter()
                        .map(|&e| (e - from) as u64)
                        .collect(),
                });
                start_string = end_string;
            }
            out
        }
    }
}

/// The global id table: the sorted union of every worker's ids. Integer ids become strings
/// if any worker saw a string id (as a local run switches in auto mode).
fn merge_tables(ints: Vec<Vec<u64>>, texts: Vec<(Vec<u8>, Vec<u64>)>) -> NodeTable {
    if texts.is_empty() {
        let mut all: Vec<u64> = ints.concat();
        all.par_sort_unstable();
        all.dedup();
        return NodeTable::Int(all);
    }
    let formatted: Vec<Vec<u8>> = ints
        .iter()
        .flatten()
        .map(|&v| itoa::Buffer::new().format(v).as_bytes().to_vec())
        .collect();
    let mut all: Vec<&[u8]> = formatted.iter().map(Vec::as_slice).collect();
    for (bytes, ends) in &texts {
        let mut start = 0;
        for &end in ends {
            all.push(&bytes[start..end as usize]);
            start = end as usize;
        }
    }
    all.par_sort_unstable();
    all.dedup();
    let mut table = StringTable::default();
    for s in all {
        table.push(s);
    }
    NodeTable::String(table)
}

/// The global id of every local id.
fn global_ids(local: &NodeTable, global: &NodeTable) -> Vec<u32> {
    let found = |id: Option<u32>| id.expect("every local id is in the global table");
    match (local, global) {
        (NodeTable::Int(l), NodeTable::Int(g)) => l
            .par_iter()
            .map(|v| found(g.binary_search(v).ok().map(|i| i as u32)))
            .collect(),
        _ => (0..local.len() as u32)
            .into_par_iter()
            .map_init(Vec::new, |label, i| {
                label.clear();
                local.write_label(i, label);
                found(global.lookup(label))
            })
            .collect(),
    }
}

/// Edges with their weights and input order, as one worker holds them.
struct EdgeSet {
    keys: Vec<u64>,
    weights: Option<Vec<f64>>,
    order: Option<Vec<u64>>,
}

impl EdgeSet {
    /// Sorts by key, then input order (weights follow).
    fn sort(&mut self, weighted: bool, key: impl Fn(u64) -> u64 + Sync) {
        if !weighted {
            self.keys.par_sort_unstable_by_key(|&k| key(k));
            return;
        }
        let weights = self.weights.take().expect("weighted edges carry weights");
        let order = self.order.take().expect("weighted edges carry their order");
        let mut rows: Vec<(u64, u64, f64)> = self
            .keys
            .iter()
            .zip(&order)
            .zip(&weights)
            .map(|((&k, &o), &w)| (k, o, w))
            .collect();
        rows.par_sort_unstable_by_key(|r| (key(r.0), r.1));
        self.keys = rows.iter().map(|r| r.0).collect();
        self.order = Some(rows.iter().map(|r| r.1).collect());
        self.weights = Some(rows.iter().map(|r| r.2).collect());
    }

    /// Keeps one edge per key, the last in input order (the rows are sorted).
    fn dedup_keep_last(&mut self) {
        let mut kept = 0;
        let len = self.keys.len();
        for i in 0..len {
            if i + 1 < len && self.keys[i + 1] == self.keys[i] {
                continue;
            }
            self.keys[kept] = self.keys[i];
            if let Some(w) = &mut self.weights {
                w[kept] = w[i];
            }
            if let Some(o) = &mut self.order {
                o[kept] = o[i];
            }
            kept += 1;
        }
        self.keys.truncate(kept);
        if let Some(w) = &mut self.weights {
            w.truncate(kept);
        }
        if let Some(o) = &mut self.order {
            o.truncate(kept);
        }
    }
}

/// Cuts edges into messages for the worker `owner(key)` says.
fn route_edges(edges: EdgeSet, workers: usize, owner: impl Fn(u64) -> usize) -> Vec<(usize, Ingest)> {
    let EdgeSet { keys, weights, order } = edges;
    let mut buffers: Vec<EdgeSet> = (0..workers)
        .map(|_| EdgeSet {
            keys: Vec::new(),
            weights: weights.as_ref().map(|_| Vec::new()),
            order: order.as_ref().map(|_| Vec::new()),
        })
        .collect();
    let mut outgoing = Vec::new();
    for (i, &key) in keys.iter().enumerate() {
        let target = owner(key);
        let buffer = &mut buffers[target];
        buffer.keys.push(key);
        if let (Some(b), Some(w)) = (&mut buffer.weights, &weights) {
            b.push(w[i]);
        }
        if let (Some(b), Some(o)) = (&mut buffer.order, &order) {
            b.push(o[i]);
        }
        if buffer.keys.len() == BATCH {
            outgoing.push((target, take_edges(buffer)));
        }
    }
    for (target, buffer) in buffers.iter_mut().enumerate() {
        if !buffer.keys.is_empty() {
            outgoing.push((target, take_edges(buffer)));
        }
    }
    outgoing
}

fn take_edges(buffer: &mut EdgeSet) -> Ingest {
    Ingest::Edges {
        keys: std::mem::take(&mut buffer.keys),
        weights: buffer.weights.as_mut().map(std::mem::take),
        order: buffer.order.as_mut().map(std::mem::take),
    }
}

/// Concatenates received edge messages.
fn gather_edges(received: Vec<Ingest>, weighted: bool) -> EdgeSet {
    let mut set = EdgeSet {
        keys: Vec::new(),
        weights: weighted.then(Vec::new),
        order: weighted.then(Vec::new),
    };
    for record in received {
        let Ingest::Edges { keys, weights, order } = record else {
            unreachable!("only edges in an edge round")
        };
        set.keys.extend(keys);
        if let (Some(all), Some(w)) = (&mut set.weights, weights) {
            all.extend(w);
        }
        if let (Some(all), Some(o)) = (&mut set.order, order) {
            all.extend(o);
        }
    }
    set
}

/// The global degree arrays and counts from every worker's messages.
fn merge_degrees(received: Vec<Ingest>, n: usize, weighted: bool) -> Degrees {
    let mut degrees = Degrees {
        out_degree: vec![0; n],
        in_degree: vec![0; n],
        out_weight: weighted.then(|| vec![0.0; n]),
        edges_read: 0,
        edges: 0,
        self_loops: 0,
    };
    for record in received {
        match record {
            Ingest::OutDegrees {
                block,
                degrees: d,
                weights,
            } => {
                let start = block as usize * BLOCK as usize;
                degrees.out_degree[start..start + d.len()].copy_from_slice(&d);
                if let (Some(all), Some(w)) = (&mut degrees.out_weight, weights) {
                    all[start..start + w.len()].copy_from_slice(&w);
                }
            }
            Ingest::InDegrees { block, counts } => {
                let start = block as usize * BLOCK as usize;
                for (slot, c) in degrees.in_degree[start..start + counts.len()].iter_mut().zip(counts) {
                    *slot += c;
                }
            }
            Ingest::Counts { read, kept, self_loops } => {
                degrees.edges_read += read;
                degrees.edges += kept;
                degrees.self_loops += self_loops;
            }
            _ => unreachable!("only degrees and counts in the degree round"),
        }
    }
    degrees
}

/// The shards of the partition: built from `edges` (in storage order) for the owned ones,
/// empty for the others.
fn build_shards(partition: &Partition, owned: &[usize], edges: EdgeSet, weighted: bool) -> Vec<Shard> {
    let EdgeSet { keys, weights, .. } = edges;
    // Storage order puts a shard's edges together only per destination block; split by
    // source shard, keeping order.
    let mut per_shard: Vec<(Vec<u64>, Vec<f64>)> = owned.iter().map(|_| (Vec::new(), Vec::new())).collect();
    for (i, &key) in keys.iter().enumerate() {
        let shard = partition.shard_of(from_storage_key(key).0);
        let slot = owned
            .binary_search(&shard)
            .expect("edges arrive at their shard's owner");
        per_shard[slot].0.push(key);
        if let Some(w) = &weights {
            per_shard[slot].1.push(w[i]);
        }
    }
    drop(keys);
    let mut built: Vec<Option<Shard>> = per_shard
        .into_iter()
        .zip(owned)
        .map(|((keys, w), &s)| {
            Some(Shard::from_storage_keys(
                partition.range(s),
                &keys,
                weighted.then_some(w),
            ))
        })
        .collect();
    (0..partition.shards())
        .map(|s| match owned.binary_search(&s) {
            Ok(slot) => built[slot].take().expect("each shard once"),
            Err(_) => Shard::from_parts(partition.range(s), Vec::new(), Vec::new(), weighted.then(Vec::new)),
        })
        .collect()
}
