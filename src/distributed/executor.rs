//! The distributed executor: the local executor's rounds, with the reduction across workers.
//!
//! Every worker holds every node's state (so that each computes the round's global values,
//! such as PageRank's dangling mass, and the L1 change, exactly as a local run does) and
//! the edges of the shards it owns. A round is two supersteps:
//!
//! 1. **map and combine**: for each owned shard and each destination block it has edges
//!    into, the shard's partial sums for that block (the combiner: one value per
//!    destination, not one record per edge) go to the block's owner (`block mod workers`);
//! 2. **reduce and apply**: the owner adds the partials in shard order, exactly as the local
//!    executor does (`identity ⊕ partial(shard 0) ⊕ partial(shard 1) …`), applies the
//!    program and sends the block's new states to every worker.
//!
//! Convergence is then decided by every worker from the same numbers in the same order, so
//! all stop together, and the results are bit-identical to a local run with the same shard
//! count.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use timely::ExchangeData;
use timely::worker::Worker;

use super::exchange::Exchanger;
use super::ingest::Place;
use crate::engine::local::combine_cell;
use crate::engine::{IterationReport, Outcome, StopRule, VertexProgram};
use crate::graph::ShardedGraph;
use crate::partition::{DESTINATION_BLOCK, block_of};

/// A record of a round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RoundRecord<M, S> {
    /// One shard's partial sums for one destination block.
    Partial { block: u32, shard: u32, values: Vec<M> },
    /// A block's new states.
    States { block: u32, values: Vec<S> },
}

/// A record with the worker it goes to.
type Addressed<P> = (
    usize,
    RoundRecord<<P as VertexProgram>::Message, <P as VertexProgram>::State>,
);
/// One block's received partial sums: (shard, values).
type Partials<M> = Vec<(u32, Vec<M>)>;
/// Received partial sums by destination block.
type PartialsByBlock<M> = BTreeMap<u32, Partials<M>>;

/// Bytes a worker sent in the rounds (payload: the values, not timely's framing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// Partial-sum bytes sent to workers of other processes.
    pub partial_bytes_remote: u64,
    /// State bytes sent to workers of other processes.
    pub state_bytes_remote: u64,
    /// All payload bytes sent, to any worker (including this process's).
    pub bytes_total: u64,
    /// Partial-sum records sent.
    pub partial_records: u64,
    /// Rounds run.
    pub rounds: u64,
}

impl Traffic {
    /// Adds another worker's traffic.
    pub fn add(&mut self, other: &Traffic) {
        self.partial_bytes_remote += other.partial_bytes_remote;
        self.state_bytes_remote += other.state_bytes_remote;
        self.bytes_total += other.bytes_total;
        self.partial_records += other.partial_records;
        self.rounds = self.rounds.max(other.rounds);
    }
}

/// Runs `program` on this worker's share of `graph` until `stop` says so.
#[allow(clippy::too_many_arguments)]
pub fn run<P>(
    worker: &mut Worker,
    place: Place,
    graph: &ShardedGraph,
    owned: &[usize],
    program: &P,
    initial: Vec<P::State>,
    stop: StopRule,
    observer: &mut dyn FnMut(&IterationReport),
) -> (Outcome<P::State>, Traffic)
where
    P: VertexProgram,
    P::Message: ExchangeData + Clone,
    P::State: ExchangeData + Clone,
{
    let mut exchange: Exchanger<RoundRecord<P::Message, P::State>> = Exchanger::new(worker);
    let n = graph.nodes() as usize;
    let blocks = n.div_ceil(DESTINATION_BLOCK as usize);
    let mut states = initial;
    let mut messages: Vec<P::Message> = vec![program.identity(); n];
    let mut next = states.clone();
    let mut traffic = Traffic::default();
    let state_size = std::mem::size_of::<P::State>() as u64;
    let message_size = std::mem::size_of::<P::Message>() as u64;
    let remote = |target: usize| target / place.per_process != place.index / place.per_process;
    let work: Vec<(usize, usize)> = owned
        .iter()
        .flat_map(|&s| (0..blocks).map(move |b| (s, b)))
        .filter(|&(s, b)| graph.shards[s].cells_into(b as u32).next().is_some())
        .collect();
    let (iterations, converged) = crate::engine::iterate(stop, observer, || {
        let round = program.begin_round(graph, &states);
        // map, for the sources this worker's shards read
        for &s in owned {
            let range = graph.partition.range(s);
            let (start, end) = (range.start as usize, range.end as usize);
            messages[start..end]
                .par_iter_mut()
                .zip(&states[start..end])
                .enumerate()
                .for_each(|(i, (m, state))| *m = program.map(&round, (start + i) as u32, *state));
        }
        // combine: one partial vector per (owned shard, destination block)
        let messages_ref: &[P::Message] = &messages;
        let partials: Vec<Addressed<P>> = work
            .par_iter()
            .map(|&(s, b)| {
                let shard = &graph.shards[s];
                let len = (n - b * DESTINATION_BLOCK as usize).min(DESTINATION_BLOCK as usize);
                let mut partial = vec![program.identity(); len];
                for (start, cell) in shard.cells_into(b as u32) {
                    let (edges, weights) = shard.cell_edges(start, cell);
                    let sources = block_of(messages_ref, cell.source_block);
                    combine_cell(program, &mut partial, sources, edges, weights);
                }
                (
                    b % place.workers,
                    RoundRecord::Partial {
                        block: b as u32,
                        shard: s as u32,
                        values: partial,
                    },
                )
            })
            .collect();
        for (target, record) in &partials {
            if let RoundRecord::Partial { values, .. } = record {
                let bytes = values.len() as u64 * message_size;
                traffic.bytes_total += bytes;
                traffic.partial_records += 1;
                if remote(*target) {
                    traffic.partial_bytes_remote += bytes;
                }
            }
        }
        let received = exchange.round(worker, partials);

        // reduce in shard order and apply, for the blocks this worker owns
        let mut by_block: PartialsByBlock<P::Message> = BTreeMap::new();
        for record in received {
            if let RoundRecord::Partial { block, shard, values } = record {
                by_block.entry(block).or_default().push((shard, values));
            }
        }
        let mine: Vec<(usize, Partials<P::Message>)> = (place.index..blocks)
            .step_by(place.workers)
            .map(|b| (b, by_block.remove(&(b as u32)).unwrap_or_default()))
            .collect();
        let new_blocks: Vec<(usize, Vec<P::State>)> = mine
            .into_par_iter()
            .map(|(b, mut parts)| {
                let first = b * DESTINATION_BLOCK as usize;
                let len = (n - first).min(DESTINATION_BLOCK as usize);
                parts.sort_by_key(|p| p.0);
                let mut parts = parts.into_iter();
                let mut reduced = match parts.next() {
                    Some((_, values)) => values,
                    None => vec![program.identity(); len],
                };
                for (_, values) in parts {
                    for (r, p) in reduced.iter_mut().zip(values) {
                        *r = program.combine(*r, p);
                    }
                }
                let new: Vec<P::State> = reduced
                    .into_iter()
                    .enumerate()
                    .map(|(i, sum)| program.apply(&round, (first + i) as u32, states[first + i], sum))
                    .collect();
                (b, new)
            })
            .collect();
        let mut outgoing = Vec::with_capacity(new_blocks.len() * place.workers);
        for (b, values) in new_blocks {
            let bytes = values.len() as u64 * state_size;
            for target in 0..place.workers {
                traffic.bytes_total += bytes;
                if remote(target) {
                    traffic.state_bytes_remote += bytes;
                }
                outgoing.push((
                    target,
                    RoundRecord::States {
                        block: b as u32,
                        values: values.clone(),
                    },
                ));
            }
        }
        let received = exchange.round(worker, outgoing);
        let mut seen = 0;
        for record in received {
            if let RoundRecord::States { block, values } = record {
                let first = block as usize * DESTINATION_BLOCK as usize;
                next[first..first + values.len()].copy_from_slice(&values);
                seen += 1;
            }
        }
        assert_eq!(seen, blocks, "every block's states arrive once a round");
        // The change, block by block in block order, as the local executor sums it.
        let changes: Vec<f64> = next
            .chunks(DESTINATION_BLOCK as usize)
            .zip(states.chunks(DESTINATION_BLOCK as usize))
            .map(|(new, old)| {
                let mut change = 0.0;
                for (n, o) in new.iter().zip(old) {
                    change += program.change(*o, *n);
                }
                change
            })
            .collect();
        std::mem::swap(&mut states, &mut next);
        traffic.rounds += 1;
        changes.iter().sum()
    });
    (
        Outcome {
            states,
            iterations,
            converged,
        },
        traffic,
    )
}
