//! The single-process executor: shards and destination blocks processed on a rayon pool.
//!
//! The map step runs over node chunks in parallel; the reduce step runs over destination
//! blocks in parallel, each block owned by one task that walks the shards in order and
//! combines each shard's run into the block's partial sums, which stay in cache. No locks,
//! no atomics, no allocation per edge; the thread count changes speed, never results.

use std::time::Instant;

use rayon::prelude::*;

use super::{IterationReport, Outcome, StopRule, VertexProgram};
use crate::graph::ShardedGraph;
use crate::partition::{DESTINATION_BLOCK, destination_blocks};

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
        let mut iterations = Vec::new();
        let mut converged = false;
        for iteration in 1..=stop.max_iterations {
            let started = Instant::now();
            let change = self.round(graph, program, &states, &mut messages, &mut next);
            std::mem::swap(&mut states, &mut next);
            let report = IterationReport {
                iteration,
                change,
                seconds: started.elapsed().as_secs_f64(),
            };
            observer(&report);
            iterations.push(report);
            if change < stop.tolerance {
                converged = true;
                break;
            }
        }
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
        // combine, reduce by destination block, apply
        let weighted = graph.out_weight.is_some();
        let changes: Vec<f64> = next
            .par_chunks_mut(DESTINATION_BLOCK as usize)
            .zip(destination_blocks(graph.nodes()).collect::<Vec<_>>())
            .map(|(out, block)| {
                let mut reduced = vec![program.identity(); out.len()];
                for shard in &graph.shards {
                    for r in shard.runs_in(block.clone()) {
                        let run = shard.run(r);
                        let mut partial = program.identity();
                        if weighted {
                            let weights = run.weights.expect("weighted shards carry weights");
                            for (&u, &w) in run.sources.iter().zip(weights) {
                                partial = program.combine(partial, program.weigh(messages[u as usize], w));
                            }
                        } else {
                            for &u in run.sources {
                                partial = program.combine(partial, messages[u as usize]);
                            }
                        }
                        let slot = &mut reduced[(run.destination - block.start) as usize];
                        *slot = program.combine(*slot, partial);
                    }
                }
                let mut change = 0.0;
                for (i, (new, sum)) in out.iter_mut().zip(reduced).enumerate() {
                    let v = block.start as usize + i;
                    *new = program.apply(&round, v as u32, states[v], sum);
                    change += program.change(states[v], *new);
                }
                change
            })
            .collect();
        changes.iter().sum()
    }
}
