//! A shard: the edges whose source lies in one source range, grouped by destination.
//!
//! Inside a shard the edges are sorted by (destination, source). Each distinct destination
//! has one *run* of sources; the engine combines a run into one partial sum (the shard's
//! combiner) before adding it to the destination's total, so that the arithmetic is the same
//! whether the partial is added locally or sent to another worker.
//!
//! Memory: 4 bytes an edge for the sources (plus 8 for weights when weighted) and 8 bytes a
//! run (its destination and where it ends).

use std::ops::Range;

/// The edges of one source range, grouped by destination.
#[derive(Clone, Debug, Default)]
pub struct Shard {
    /// The source ids this shard owns.
    pub source_range: Range<u32>,
    /// Distinct destinations, ascending.
    destinations: Vec<u32>,
    /// `run_ends[i]`: end of destination `i`'s run in `sources`.
    run_ends: Vec<u32>,
    /// The sources of every edge, run after run, ascending within a run.
    sources: Vec<u32>,
    /// Edge weights, aligned with `sources`.
    weights: Option<Vec<f64>>,
}

/// One destination's run inside a shard.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    /// The destination.
    pub destination: u32,
    /// The sources of the edges into it, ascending (repeated with `--multi`).
    pub sources: &'a [u32],
    /// Their weights, when weighted.
    pub weights: Option<&'a [f64]>,
}

impl Shard {
    /// Builds a shard from edges given as (destination, source) pairs sorted by destination
    /// then source, with aligned weights.
    pub fn from_sorted(
        source_range: Range<u32>,
        edges: impl ExactSizeIterator<Item = (u32, u32)>,
        weights: Option<Vec<f64>>,
    ) -> Shard {
        let mut shard = Shard {
            source_range,
            sources: Vec::with_capacity(edges.len()),
            weights,
            ..Shard::default()
        };
        for (destination, source) in edges {
            debug_assert!(shard.source_range.contains(&source));
            if shard.destinations.last() != Some(&destination) {
                if !shard.destinations.is_empty() {
                    shard.run_ends.push(shard.sources.len() as u32);
                }
                shard.destinations.push(destination);
            }
            shard.sources.push(source);
        }
        if !shard.destinations.is_empty() {
            shard.run_ends.push(shard.sources.len() as u32);
        }
        shard.destinations.shrink_to_fit();
        shard.run_ends.shrink_to_fit();
        if let Some(w) = &shard.weights {
            assert_eq!(w.len(), shard.sources.len(), "one weight per edge");
        }
        shard
    }

    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.sources.len()
    }

    /// Number of runs (distinct destinations).
    pub fn runs(&self) -> usize {
        self.destinations.len()
    }

    /// Bytes held by the shard's arrays.
    pub fn heap_bytes(&self) -> usize {
        (self.destinations.capacity() + self.run_ends.capacity() + self.sources.capacity()) * 4
            + self.weights.as_ref().map_or(0, |w| w.capacity() * 8)
    }

    /// The indices of the runs whose destination lies in `block`.
    pub fn runs_in(&self, block: Range<u32>) -> Range<usize> {
        let start = self.destinations.partition_point(|&d| d < block.start);
        let end = start + self.destinations[start..].partition_point(|&d| d < block.end);
        start..end
    }

    /// Run number `i`.
    #[inline]
    pub fn run(&self, i: usize) -> Run<'_> {
        let start = if i == 0 { 0 } else { self.run_ends[i - 1] as usize };
        let end = self.run_ends[i] as usize;
        Run {
            destination: self.destinations[i],
            sources: &self.sources[start..end],
            weights: self.weights.as_ref().map(|w| &w[start..end]),
        }
    }

    /// Every edge as (source, destination, weight), in storage order.
    pub fn edges_iter(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        (0..self.runs()).flat_map(move |i| {
            let run = self.run(i);
            run.sources
                .iter()
                .enumerate()
                .map(move |(j, &s)| (s, run.destination, run.weights.map_or(1.0, |w| w[j])))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_sources_by_destination() {
        let edges = vec![(1, 10), (1, 11), (4, 10), (9, 12)];
        let shard = Shard::from_sorted(10..13, edges.into_iter(), None);
        assert_eq!((shard.edges(), shard.runs()), (4, 3));
        assert_eq!(shard.run(0).sources, &[10, 11]);
        assert_eq!(shard.run(2).destination, 9);
        assert_eq!(shard.runs_in(2..9), 1..2);
        assert_eq!(shard.runs_in(0..100), 0..3);
        assert_eq!(shard.runs_in(10..20), 3..3);
        let listed: Vec<_> = shard.edges_iter().map(|(s, d, _)| (s, d)).collect();
        assert_eq!(listed, vec![(10, 1), (11, 1), (10, 4), (12, 9)]);
    }
}
