//! In-degree as a vertex program: every edge carries a 1, reduced by destination (Spark's
//! `countByKey`). One round gives the answer; it shows that the engine is not specific to
//! PageRank, and checks the builder's in-degree array.

use crate::engine::VertexProgram;
use crate::graph::ShardedGraph;

/// Counts the edges into every node (parallel edges counted with `multi`).
pub(crate) struct InDegree;

impl VertexProgram for InDegree {
    type State = u64;
    type Message = u64;
    type Round = ();

    fn begin_round(&self, _: &ShardedGraph, _: &[u64]) {}
    fn map(&self, _: &(), _: u32, _: u64) -> u64 {
        1
    }
    fn weigh(&self, message: u64, _: f64) -> u64 {
        message
    }
    fn identity(&self) -> u64 {
        0
    }
    fn combine(&self, a: u64, b: u64) -> u64 {
        a + b
    }
    fn apply(&self, _: &(), _: u32, _: u64, reduced: u64) -> u64 {
        reduced
    }
    fn change(&self, old: u64, new: u64) -> f64 {
        old.abs_diff(new) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LocalExecutor, StopRule};
    use crate::graph::{BuildOptions, build, collect::pack};

    #[test]
    fn counts_match_the_builder() {
        let keys: Vec<u64> = (0..2000u32).map(|i| pack(i * 31 % 97, i * i % 97)).collect();
        for multi in [false, true] {
            let g = build(
                keys.clone(),
                None,
                97,
                &BuildOptions {
                    multi,
                    shards: Some(3),
                    ..Default::default()
                },
            );
            let stop = StopRule {
                tolerance: 0.0,
                max_iterations: 1,
            };
            let out = LocalExecutor::default().run(&g, &InDegree, vec![0; 97], stop, &mut |_| {});
            let expected: Vec<u64> = g.in_degree().iter().map(|&d| d as u64).collect();
            assert_eq!(out.states, expected);
            assert_eq!(out.states.iter().sum::<u64>(), g.stats().edges);
        }
    }
}
