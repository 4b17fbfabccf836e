//! The engine: iterations of map, combine, reduce by destination and apply over a
//! sharded graph, generic over a vertex program (`VertexProgram`).
//!
//! One round, for a program with per-node state `x`:
//!
//! 1. `begin_round` computes global values from all states (PageRank: the dangling mass).
//! 2. **map**: every source `u` emits one message `m(u) = map(x[u])`, sent along each of its
//!    out-edges (scaled by the edge weight with `weigh` on weighted graphs).
//! 3. **combine**: inside each shard, the messages into one destination are combined into a
//!    partial, in the shard's storage order (sources ascending).
//! 4. **reduce by key**: the partials of a destination are combined in shard order, starting
//!    from the identity.
//! 5. **apply**: `x'[v] = apply(x[v], reduced[v])`; each destination block's change is the
//!    sum of `change(x[v], x'[v])` in node order, and the round's change the sum of the
//!    blocks' changes in block order.
//!
//! `reduce` holds that arithmetic, once, for every executor.
//!
//! Every sum has a fixed order that depends on the shard partition only, so any executor and
//! any thread count give bit-identical states.

pub(crate) mod local;
pub(crate) mod reduce;
mod run;
pub(crate) mod stream;

use crate::graph::ShardedGraph;

pub(crate) use local::{LocalExecutor, group_buffer_bytes, held_buffer_bytes};
pub(crate) use reduce::Carrier;

/// A computation that the engine iterates: the vertex-centric map/combine/apply triple.
///
/// `combine` must be associative and commutative with `identity()` as its identity; the
/// engine still applies it in a fixed order, so results do not depend on scheduling. The
/// identity must be exact on every value a fold from the identity can reach
/// (`combine(x, identity())` is `x`, bit for bit: true of `+0.0` for sums of floats, which
/// never reach `-0.0`), since the engine may skip adding it.
pub(crate) trait VertexProgram: Sync {
    /// Per-node state (PageRank: the rank).
    type State: Copy + Send + Sync;
    /// What travels along an edge (PageRank: a share of rank).
    type Message: Copy + Send + Sync;
    /// Values computed once per round from all states.
    type Round: Sync;

    /// Global values for this round, computed from the current states in a fixed order.
    fn begin_round(&self, graph: &ShardedGraph, states: &[Self::State]) -> Self::Round;
    /// The message `source` sends along each out-edge.
    fn map(&self, round: &Self::Round, source: u32, state: Self::State) -> Self::Message;
    /// A message scaled by an edge's weight (weighted graphs only).
    fn weigh(&self, message: Self::Message, weight: f64) -> Self::Message;
    /// The identity of [`combine`](Self::combine).
    fn identity(&self) -> Self::Message;
    /// Combines two messages; associative and commutative.
    fn combine(&self, a: Self::Message, b: Self::Message) -> Self::Message;
    /// The new state of `node` from its old state and the reduced messages into it.
    fn apply(&self, round: &Self::Round, node: u32, old: Self::State, reduced: Self::Message) -> Self::State;
    /// How much a node's state changed (summed over nodes for the stopping rule).
    fn change(&self, old: Self::State, new: Self::State) -> f64;
}

/// When to stop iterating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct StopRule {
    /// Stop once a round's total change is below this (0 never stops early).
    pub tolerance: f64,
    /// Stop after this many rounds in any case.
    pub max_iterations: usize,
}

/// Which rounds a run makes: its stop rule, the rounds a resumed run already made, and what
/// is done with the states after each round (a checkpoint).
pub(crate) struct Rounds<'a, S> {
    /// When to stop.
    pub stop: StopRule,
    /// Reports of the rounds already made (resuming from a checkpoint): numbering and the
    /// stop rule go on from them.
    pub done: Vec<IterationReport>,
    /// Called after every round with the reports so far and the new states.
    pub after_round: Option<AfterRound<'a, S>>,
}

/// What [`Rounds::after_round`] calls: the reports so far and the new states.
pub(crate) type AfterRound<'a, S> = &'a mut dyn FnMut(&[IterationReport], &[S]);

impl<S> Rounds<'_, S> {
    /// From the first round, nothing kept.
    pub(crate) fn new(stop: StopRule) -> Self {
        Rounds {
            stop,
            done: Vec::new(),
            after_round: None,
        }
    }
}

/// Runs rounds until the stop rule says so: `round` runs one on `states` (leaving the new
/// states there) and returns its change, or `None` when it could not run (the executor
/// keeps the fault; no report is made and nothing is kept of that round); every round's
/// report goes to `observer`. Returns the reports (those of `rounds.done` first) and
/// whether the tolerance was reached.
pub(crate) fn iterate<S>(
    rounds: Rounds<'_, S>,
    observer: &mut dyn FnMut(&IterationReport),
    states: &mut Vec<S>,
    mut round: impl FnMut(&mut Vec<S>) -> Option<f64>,
) -> (Vec<IterationReport>, bool) {
    let Rounds {
        stop,
        done: mut iterations,
        mut after_round,
    } = rounds;
    if iterations.last().is_some_and(|r| r.change < stop.tolerance) {
        return (iterations, true);
    }
    for iteration in iterations.len() + 1..=stop.max_iterations {
        let started = std::time::Instant::now();
        let Some(change) = round(states) else {
            return (iterations, false);
        };
        let report = IterationReport {
            iteration,
            change,
            seconds: started.elapsed().as_secs_f64(),
        };
        observer(&report);
        iterations.push(report);
        if let Some(after) = after_round.as_mut() {
            after(&iterations, states);
        }
        if change < stop.tolerance {
            return (iterations, true);
        }
    }
    (iterations, false)
}

/// What one round did.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IterationReport {
    /// One-based round number.
    pub iteration: usize,
    /// Total change of the states in this round.
    pub change: f64,
    /// Wall-clock seconds the round took.
    pub seconds: f64,
}

/// The result of running a program.
#[derive(Debug)]
pub(crate) struct Outcome<S> {
    /// The final states.
    pub states: Vec<S>,
    /// One report per round run.
    pub iterations: Vec<IterationReport>,
    /// Whether the tolerance was reached before the iteration limit.
    pub converged: bool,
    /// What stopped the rounds early when they could not go on (a store's file damaged
    /// while it was read): the states are then not a result.
    pub fault: Option<crate::Error>,
}
