//! The `stats` job: a graph's counts and degree distributions, without ranking it.

use serde::Serialize;

use crate::error::Result;
use crate::graph::{Graph, GraphStats, LoadOptions, NodeTable};
use crate::input::InputFile;
use crate::progress::Progress;

/// Summary of one degree sequence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DegreeSummary {
    /// Smallest degree.
    pub min: u32,
    /// Median (the lower one for an even count).
    pub median: u32,
    /// Mean.
    pub mean: f64,
    /// Largest degree.
    pub max: u32,
    /// The ten largest, as (id, degree), largest first, ties by id order.
    pub top: Vec<(String, u32)>,
}

/// What `crawlrank stats` prints.
#[derive(Clone, Debug, Serialize)]
pub struct GraphReport {
    /// Counts.
    #[serde(flatten)]
    pub counts: GraphStats,
    /// Out-degrees.
    pub out_degree: DegreeSummary,
    /// In-degrees.
    pub in_degree: DegreeSummary,
    /// What each input file held (separator, header, skipped files).
    pub inputs: Vec<crate::input::FileReport>,
}

/// Summarises `degrees`, naming nodes through `nodes`.
pub(crate) fn degree_summary(degrees: &[u32], nodes: &NodeTable) -> DegreeSummary {
    if degrees.is_empty() {
        return DegreeSummary {
            min: 0,
            median: 0,
            mean: 0.0,
            max: 0,
            top: Vec::new(),
        };
    }
    let mut sorted = degrees.to_vec();
    sorted.sort_unstable();
    let mut order: Vec<u32> = (0..degrees.len() as u32).collect();
    let k = 10.min(order.len());
    let better = |a: &u32, b: &u32| degrees[*b as usize].cmp(&degrees[*a as usize]).then(a.cmp(b));
    order.select_nth_unstable_by(k - 1, better);
    order.truncate(k);
    order.sort_unstable_by(better);
    DegreeSummary {
        min: sorted[0],
        median: sorted[(sorted.len() - 1) / 2],
        mean: degrees.iter().map(|&d| d as f64).sum::<f64>() / degrees.len() as f64,
        max: *sorted.last().expect("not empty"),
        top: order
            .into_iter()
            .map(|v| (nodes.label(v), degrees[v as usize]))
            .collect(),
    }
}

/// The full report for a graph.
pub fn report(graph: &Graph) -> GraphReport {
    GraphReport {
        counts: graph.stats().clone(),
        out_degree: degree_summary(graph.out_degree(), graph.nodes()),
        in_degree: degree_summary(graph.in_degree(), graph.nodes()),
        inputs: graph.files().to_vec(),
    }
}

/// Reads `inputs` and reports on the graph they hold, on the current rayon pool.
pub fn run(inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<GraphReport> {
    options.build.validate()?;
    Ok(report(&super::source::load_any(inputs, options, progress)?.graph))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_small_sequence() {
        let nodes = NodeTable::Int(vec![10, 20, 30, 40]);
        let s = degree_summary(&[3, 0, 3, 1], &nodes);
        assert_eq!((s.min, s.median, s.max), (0, 1, 3));
        assert!((s.mean - 1.75).abs() < 1e-12);
        assert_eq!(s.top[0], ("10".to_string(), 3));
        assert_eq!(s.top[1], ("30".to_string(), 3));
        assert_eq!(s.top.len(), 4);
    }
}
