//! The local executor's entry points: a graph held in memory runs the rounds of `local`, a
//! graph whose cells stay in a store runs those of `stream` (which reuses `local`'s reduce).

use super::local::run_in_memory;
use super::reduce::Carrier;
use super::{IterationReport, LocalExecutor, Outcome, Rounds, StopRule, VertexProgram};
use crate::graph::ShardedGraph;

impl LocalExecutor {
    /// Iterates `program` from `initial` states until `stop` says so, calling `observer`
    /// after every round. Messages are carried exactly.
    pub(crate) fn run<P: VertexProgram>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<P::State>,
        stop: StopRule,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<P::State> {
        self.run_carrying::<P, P::Message>(graph, program, initial, stop, observer)
    }

    /// [`run`](Self::run), with blocked rounds storing messages as `C` between their passes.
    pub(crate) fn run_carrying<P: VertexProgram, C: Carrier<P::Message>>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<P::State>,
        stop: StopRule,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<P::State> {
        self.run_rounds::<P, C>(graph, program, initial, Rounds::new(stop), observer)
    }

    /// [`run_carrying`](Self::run_carrying) for the given rounds (resumed, checkpointed).
    pub(crate) fn run_rounds<P: VertexProgram, C: Carrier<P::Message>>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        initial: Vec<P::State>,
        rounds: Rounds<'_, P::State>,
        observer: &mut dyn FnMut(&IterationReport),
    ) -> Outcome<P::State> {
        assert_eq!(initial.len(), graph.nodes() as usize, "one initial state per node");
        match graph.cell_source() {
            Some(source) => {
                super::stream::run::<P, C>(self.strategy, graph, source, program, initial, rounds, observer)
            }
            None => run_in_memory::<P, C>(self, graph, program, initial, rounds, observer),
        }
    }
}
