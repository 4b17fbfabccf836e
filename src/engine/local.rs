//! The single-process executor: shards and destination blocks processed on a rayon pool.
//!
//! The map step runs over node chunks in parallel; the reduce step runs over destination
//! blocks in parallel, each block owned by one task that walks the shards in order and
//! combines each shard's run into the block's partial sums, which stay in cache. No locks,
//! no atomics, no allocation per edge; the thread count changes speed, never results.

use rayon::prelude::*;

use super::{IterationReport, Outcome, StopRule, VertexProgram};
use crate::graph::ShardedGraph;
use crate::partition::{BLOCK, BLOCK_BITS, DESTINATION_BLOCK};

/// Node chunk of the map step.
const MAP_CHUNK: usize = 1 << 14;

/// Runs vertex programs on the current rayon pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExecutor;

impl LocalExecutor {
    /// Iterates `program` from `initial` states until `stop` says so, calling `observer`
    /// after every round.
    pub fn run<P: VertexProgram>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<P::State>,
        stop: StopRule,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<P::State> {
        assert_eq!(initial.len(), graph.nodes() as usize, "one initial state per node");
        let mut states = initial;
        let mut next = states.clone();
        let mut messages: Vec<P::Message> = vec![program.identity(); states.len()];
        let (iterations, converged) = super::iterate(stop, observer, || {
            let change = self.round(graph, program, &states, &mut messages, &mut next);
            std::mem::swap(&mut states, &mut next);
            change
        });
        Outcome {
            states,
            iterations,
            converged,
        }
    }

    /// One round; writes the new states into `next` and returns the total change.
    pub fn round<P: VertexProgram>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        states: &[P::State],
        messages: &mut [P::Message],
        next: &mut [P::State],
    ) -> f64 {
        let round = program.begin_round(graph, states);
        // map
        messages.par_chunks_mut(MAP_CHUNK).enumerate().for_each(|(c, chunk)| {
            let first = c * MAP_CHUNK;
            for (i, m) in chunk.iter_mut().enumerate() {
                let u = first + i;
                *m = program.map(&round, u as u32, states[u]);
            }
        });
        let messages: &[P::Message] = messages;
        // combine within each shard, reduce by destination block in shard order, apply
        let changes: Vec<f64> = next
            .par_chunks_mut(DESTINATION_BLOCK as usize)
            .enumerate()
            .map(|(b, out)| {
                let block_start = b * DESTINATION_BLOCK as usize;
                let mut reduced = vec![program.identity(); out.len()];
                let mut partial = vec![program.identity(); out.len()];
                let mut first = true;
                for shard in &graph.shards {
                    let mut cells = shard.cells_into(b as u32).peekable();
                    if cells.peek().is_none() {
                        continue; // this shard's partial is the identity: nothing to add
                    }
                    // The first shard with edges here accumulates straight into `reduced`,
                    // which holds the identity: the same arithmetic as identity ⊕ partial.
                    let target = if first { &mut reduced } else { &mut partial };
                    if !first {
                        target.fill(program.identity());
                    }
                    for (start, cell) in cells {
                        let (edges, weights) = shard.cell_edges(start, cell);
                        let source_start = (cell.source_block as usize) << BLOCK_BITS;
                        let sources = &messages[source_start..(source_start + BLOCK as usize).min(messages.len())];
                        combine_cell(program, target, sources, edges, weights, cell.runs);
                    }
                    if !first {
                        for (r, p) in reduced.iter_mut().zip(&partial) {
                            *r = program.combine(*r, *p);
                        }
                    }
                    first = false;
                }
                let mut change = 0.0;
                for (i, (new, sum)) in out.iter_mut().zip(reduced).enumerate() {
                    let v = block_start + i;
                    *new = program.apply(&round, v as u32, states[v], sum);
                    change += program.change(states[v], *new);
                }
                change
            })
            .collect();
        changes.iter().sum()
    }
}

/// Folds one cell's edges into the partial sums of its destination block: for every edge,
/// `partial[destination] ⊕= message[source]` (weighed when the graph is weighted). The
/// engine's hot loop: both arrays are block-sized and stay in cache.
///
/// Edges into one destination are consecutive (a cell is ordered by destination). When the
/// runs are long (crawls in a locality-preserving order), a run's sum is kept in a register
/// and stored once: a load and a store per edge would wait on each other. When they are
/// short (random graphs; fewer than eight edges a destination on average in the cell), the
/// plain loop avoids a badly predicted branch. The additions
/// happen in the same order either way, so the results are identical.
#[inline]
pub(crate) fn combine_cell<P: VertexProgram>(
    program: &P,
    partial: &mut [P::Message],
    sources: &[P::Message],
    edges: &[u32],
    weights: Option<&[f64]>,
    runs: u32,
) {
    match weights {
        None => fold_cell(program, partial, edges, runs, |_, e| sources[(e >> 16) as usize]),
        Some(w) => fold_cell(program, partial, edges, runs, |i, e| {
            program.weigh(sources[(e >> 16) as usize], w[i])
        }),
    }
}

/// [`combine_cell`] for one way of reading an edge's message (monomorphised, so the weighted
/// and unweighted loops carry no per-edge test).
#[inline(always)]
fn fold_cell<P: VertexProgram>(
    program: &P,
    partial: &mut [P::Message],
    edges: &[u32],
    runs: u32,
    message: impl Fn(usize, u32) -> P::Message,
) {
    if edges.len() < 8 * runs as usize {
        for (i, &e) in edges.iter().enumerate() {
            let d = (e & 0xFFFF) as usize;
            partial[d] = program.combine(partial[d], message(i, e));
        }
        return;
    }
    let Some(&first) = edges.first() else { return };
    let mut destination = (first & 0xFFFF) as usize;
    let mut sum = partial[destination];
    for (i, &e) in edges.iter().enumerate() {
        let d = (e & 0xFFFF) as usize;
        if d != destination {
            partial[destination] = sum;
            destination = d;
            sum = partial[d];
        }
        sum = program.combine(sum, message(i, e));
    }
    partial[destination] = sum;
}
