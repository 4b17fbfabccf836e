//! The distributed executor: the local executor's rounds, with the reduction across workers.
//!
//! Every worker holds every node's state (so that each computes the round's global values,
//! such as PageRank's dangling mass, and the L1 change, exactly as a local run does) and
//! the edges of the shards it owns. A round is two supersteps:
//!
//! 1. **map and combine**: for each owned shard and each destination block it has edges
//!    into, the shard's partial sums for that block (the combiner: one value per
//!    destination, not one record per edge) go to the block's owner (`block mod workers`);
//! 2. **reduce and apply**: the owner adds the partials in shard order, applies the program
//!    and sends the block's new states and its change to every worker.
//!
//! Every sum is one of the shared kernel's ([`crate::engine::reduce`]), in the order it
//! fixes, and ownership is [`Ownership`](crate::partition::Ownership)'s: the states and every
//! round's change are bit-identical to a local run with the same shard count, so all workers
//! stop together, at the iteration a local run stops.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use timely::ExchangeData;
use timely::worker::Worker;

use super::exchange::Exchanger;
use super::ingest::Place;
use crate::engine::reduce::{Carrier, MessagesOf, add_partial, apply_block, combine_shard, total_change};
use crate::engine::{IterationReport, Outcome, Rounds, StopRule, VertexProgram};
use crate::graph::ShardedGraph;
use crate::partition::{block_count, block_of, block_range};

/// A record of a round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) enum RoundRecord<M, S> {
    /// One shard's partial sums for one destination block.
    Partial { block: u32, shard: u32, values: Vec<M> },
    /// A block's new states and its change.
    States { block: u32, values: Vec<S>, change: f64 },
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
pub(super) struct Traffic {
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
    pub(super) fn add(&mut self, other: &Traffic) {
        self.partial_bytes_remote += other.partial_bytes_remote;
        self.state_bytes_remote += other.state_bytes_remote;
        self.bytes_total += other.bytes_total;
        self.partial_records += other.partial_records;
        self.rounds = self.rounds.max(other.rounds);
    }
}

/// Runs `program` on this worker's share of `graph` until `stop` says so, messages stored
/// as `C` between map and reduce (the local executor's carriers).
pub(super) fn run<P, C>(
    worker: &mut Worker,
    place: Place,
    graph: &ShardedGraph,
    program: &P,
    initial: Vec<P::State>,
    stop: StopRule,
    observer: &mut dyn FnMut(&IterationReport),
) -> (Outcome<P::State>, Traffic)
where
    P: VertexProgram,
    P::Message: ExchangeData + Clone,
    P::State: ExchangeData + Clone,
    C: Carrier<P::Message>,
{
    let mut exchange: Exchanger<RoundRecord<P::Message, P::State>> = Exchanger::new(worker);
    let nodes = graph.nodes();
    let blocks = block_count(nodes);
    let ownership = place.ownership();
    let owned = ownership.shards_of(place.index, graph.partition().shards());
    let mut states = initial;
    let mut messages: Vec<C> = vec![C::pack(program.identity()); nodes as usize];
    let mut next = states.clone();
    let mut changes = vec![0.0; blocks as usize];
    let mut traffic = Traffic::default();
    let state_size = std::mem::size_of::<P::State>() as u64;
    let message_size = std::mem::size_of::<P::Message>() as u64;
    let remote = |target: usize| target / place.per_process != place.index / place.per_process;
    // Shards in memory are combined all at once, (shard, block) pieces in parallel; shards
    // streamed from a store are decoded one at a time, so that one is in memory at once.
    let group = if owned.iter().all(|&s| graph.shard_in_memory(s)) {
        owned.len().max(1)
    } else {
        1
    };
    let mut fault = None;
    let (iterations, converged) = crate::engine::iterate(Rounds::new(stop), observer, &mut states, |states| {
        let states: &mut Vec<P::State> = states;
        let round = program.begin_round(graph, states);
        // map, for the sources of this worker's shards
        for &s in &owned {
            let range = graph.partition().range(s);
            let (start, end) = (range.start as usize, range.end as usize);
            messages[start..end]
                .par_iter_mut()
                .zip(&states[start..end])
                .enumerate()
                .for_each(|(i, (m, state))| *m = C::pack(program.map(&round, (start + i) as u32, *state)));
        }
        // combine: one partial-sum vector per (owned shard, destination block), to the
        // block's owner
        let messages_ref: &[C] = &messages;
        let mut partials: Vec<Addressed<P>> = Vec::new();
        for group in owned.chunks(group) {
            let shards = match group.iter().map(|&s| graph.shard(s)).collect::<crate::Result<Vec<_>>>() {
                Ok(shards) => shards,
                Err(e) => {
                    fault = Some(e);
                    return None; // stops the rounds; the fault makes the outcome no result
                }
            };
            let work: Vec<(usize, u32)> = shards
                .iter()
                .enumerate()
                .flat_map(|(i, shard)| {
                    (0..blocks)
                        .filter(move |&b| !shard.cell_indices_into(b..b + 1).is_empty())
                        .map(move |b| (i, b))
                })
                .collect();
            partials.par_extend(work.par_iter().map_init(Vec::new, |order, &(i, b)| {
                let (s, shard) = (group[i], &*shards[i]);
                let mut partial = vec![program.identity(); block_range(b, nodes).len()];
                combine_shard(program, shard, b..b + 1, &mut partial, order, |_, start, cell| {
                    let (edges, weights) = shard.cell_edges(start, cell);
                    (
                        edges,
                        MessagesOf::Sources(block_of(messages_ref, cell.source_block), weights),
                    )
                });
                (
                    ownership.block_owner(b),
                    RoundRecord::Partial {
                        block: b,
                        shard: s as u32,
                        values: partial,
                    },
                )
            }));
        }
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
        let mine: Vec<(u32, Partials<P::Message>)> = ownership
            .blocks_of(place.index, blocks)
            .map(|b| (b, by_block.remove(&b).unwrap_or_default()))
            .collect();
        let new_blocks: Vec<(u32, Vec<P::State>, f64)> = mine
            .into_par_iter()
            .map(|(b, mut parts)| {
                let range = block_range(b, nodes);
                let (first, len) = (range.start as usize, range.len());
                parts.sort_by_key(|p| p.0);
                let mut parts = parts.into_iter();
                let mut reduced = match parts.next() {
                    Some((_, values)) => values,
                    None => vec![program.identity(); len],
                };
                for (_, values) in parts {
                    add_partial(program, &mut reduced, &values);
                }
                let mut new = states[first..first + len].to_vec();
                let change = apply_block(
                    program,
                    &round,
                    range.start,
                    &states[first..first + len],
                    &reduced,
                    &mut new,
                );
                (b, new, change)
            })
            .collect();
        let mut outgoing = Vec::with_capacity(new_blocks.len() * place.workers);
        for (b, values, change) in new_blocks {
            let bytes = values.len() as u64 * state_size;
            for target in 0..place.workers {
                traffic.bytes_total += bytes;
                if remote(target) {
                    traffic.state_bytes_remote += bytes;
                }
                outgoing.push((
                    target,
                    RoundRecord::States {
                        block: b,
                        values: values.clone(),
                        change,
                    },
                ));
            }
        }
        let received = exchange.round(worker, outgoing);
        let mut seen = 0;
        for record in received {
            if let RoundRecord::States { block, values, change } = record {
                let first = block_range(block, nodes).start as usize;
                next[first..first + values.len()].copy_from_slice(&values);
                changes[block as usize] = change;
                seen += 1;
            }
        }
        assert_eq!(seen, blocks, "every block's states arrive once a round");
        std::mem::swap(states, &mut next);
        traffic.rounds += 1;
        Some(total_change(&changes))
    });
    (
        Outcome {
            states,
            iterations,
            converged,
            fault,
        },
        traffic,
    )
}
