//! Series that describe a finished ranking, computed once by the library and kept in
//! `summary.json`, so that plots and reports only draw: the complementary cumulative
//! distribution of PageRank with a power-law fit of its tail, and log-binned in- and
//! out-degree distributions.
//!
//! Everything is computed from histograms in one parallel pass over the nodes, with a fixed
//! chunking, so the numbers do not depend on the thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Logarithmic bins of the rank histogram.
pub const RANK_BINS: usize = 200;
/// The fewest tail nodes a power-law fit may rest on.
pub const MIN_TAIL: u64 = 50;
const CHUNK: usize = 1 << 16;

/// A power-law fit `p(x) ∝ x^(−α)` of the tail `x ≥ x_min` (maximum likelihood for α,
/// `x_min` chosen to minimise the Kolmogorov–Smirnov distance, after Clauset, Shalizi and
/// Newman 2009, on the binned data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// Exponent of the density.
    pub alpha: f64,
    /// Slope of the CCDF on log-log axes, `1 − α`.
    pub ccdf_slope: f64,
    /// Where the tail starts.
    pub x_min: f64,
    /// Fraction of nodes with rank at least `x_min`.
    pub tail_fraction: f64,
    /// Nodes in the tail.
    pub tail_nodes: u64,
    /// Largest gap between the empirical and the fitted tail CCDF.
    pub ks_distance: f64,
}

/// One logarithmic degree bin `[low, high]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DegreeBin {
    /// Smallest degree in the bin.
    pub low: u32,
    /// Largest degree in the bin.
    pub high: u32,
    /// Nodes with a degree in the bin.
    pub nodes: u64,
    /// `nodes / (bin width · all nodes)`: comparable across bins of different widths.
    pub density: f64,
}

/// A degree distribution in bins of powers of two.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DegreeHistogram {
    /// Nodes of degree 0 (not on a log axis).
    pub zero: u64,
    /// Bins `[1,1], [2,3], [4,7], …` that hold at least one node.
    pub bins: Vec<DegreeBin>,
}

/// Everything the distribution plots need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distributions {
    /// Points `(x, fraction of nodes with rank ≥ x)`, x increasing.
    pub rank_ccdf: Vec<[f64; 2]>,
    /// Nodes with rank 0 (personalized runs), left out of the CCDF.
    pub zero_rank_nodes: u64,
    /// Power-law fit of the rank tail, when there are enough nodes.
    pub rank_power_law: Option<PowerLawFit>,
    /// In-degrees.
    pub in_degree: DegreeHistogram,
    /// Out-degrees.
    pub out_degree: DegreeHistogram,
}

impl Distributions {
    /// Computes the series from the ranks and the degree arrays.
    pub fn compute(ranks: &[f64], in_degree: &[u32], out_degree: &[u32]) -> Distributions {
        let (rank_ccdf, zero_rank_nodes, rank_power_law) = rank_series(ranks);
        Distributions {
            rank_ccdf,
            zero_rank_nodes,
            rank_power_law,
            in_degree: degree_histogram(in_degree),
            out_degree: degree_histogram(out_degree),
        }
    }
}

type RankSeries = (Vec<[f64; 2]>, u64, Option<PowerLawFit>);

fn rank_series(ranks: &[f64]) -> RankSeries {
    let positive = |x: &&f64| **x > 0.0 && x.is_finite();
    let low = ranks.iter().filter(positive).copied().fold(f64::INFINITY, f64::min);
    let high = ranks.iter().filter(positive).copied().fold(0.0, f64::max);
    let zero = ranks.len() as u64 - ranks.iter().filter(positive).count() as u64;
    if !(low.is_finite() && high > 0.0) {
        return (Vec::new(), zero, None);
    }
    let (ln_low, ln_high) = (low.ln(), high.ln());
    let width = ((ln_high - ln_low) / RANK_BINS as f64).max(f64::MIN_POSITIVE);
    let bin_of = |x: f64| (((x.ln() - ln_low) / width) as usize).min(RANK_BINS - 1);
    // Counts and sums of ln x per bin, per fixed chunk, added in chunk order.
    let partials: Vec<(Vec<u64>, Vec<f64>)> = ranks
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut counts = vec![0u64; RANK_BINS];
            let mut logs = vec![0f64; RANK_BINS];
            for &x in chunk.iter().filter(|x| positive(x)) {
                let b = bin_of(x);
                counts[b] += 1;
                logs[b] += x.ln();
            }
            (counts, logs)
        })
        .collect();
    let mut counts = vec![0u64; RANK_BINS];
    let mut logs = vec![0f64; RANK_BINS];
    for (c, l) in partials {
        for b in 0..RANK_BINS {
            counts[b] += c[b];
            logs[b] += l[b];
        }
    }
    let total: u64 = counts.iter().sum();
    let edge = |b: usize| (ln_low + width * b as f64).exp();
    // at_least[b]: nodes in bins b and above, i.e. with rank ≥ edge(b).
    let mut at_least = vec![0u64; RANK_BINS + 1];
    let mut log_sum_at_least = vec![0f64; RANK_BINS + 1];
    for b in (0..RANK_BINS).rev() {
        at_least[b] = at_least[b + 1] + counts[b];
        log_sum_at_least[b] = log_sum_at_least[b + 1] + logs[b];
    }
    let ccdf: Vec<[f64; 2]> = (0..RANK_BINS)
        .filter(|&b| counts[b] > 0)
        .map(|b| [edge(b).max(low), at_least[b] as f64 / total as f64])
        .collect();

    let mut best: Option<PowerLawFit> = None;
    for k in 0..RANK_BINS {
        let tail = at_least[k];
        if tail < MIN_TAIL {
            break;
        }
        let x_min = edge(k);
        let spread = log_sum_at_least[k] - tail as f64 * x_min.ln();
        if spread <= 0.0 {
            continue;
        }
        let alpha = 1.0 + tail as f64 / spread;
        let ks = (k..RANK_BINS)
            .filter(|&b| counts[b] > 0)
            .map(|b| {
                let empirical = at_least[b] as f64 / tail as f64;
                let model = (edge(b) / x_min).powf(1.0 - alpha);
                (empirical - model).abs()
            })
            .fold(0.0, f64::max);
        if best.as_ref().is_none_or(|f| ks < f.ks_distance) {
            best = Some(PowerLawFit {
                alpha,
                ccdf_slope: 1.0 - alpha,
                x_min,
                tail_fraction: tail as f64 / total as f64,
                tail_nodes: tail,
                ks_distance: ks,
            });
        }
    }
    (ccdf, zero, best)
}

fn degree_histogram(degrees: &[u32]) -> DegreeHistogram {
    let partials: Vec<[u64; 33]> = degrees
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut counts = [0u64; 33];
            for &d in chunk {
                counts[if d == 0 { 0 } else { 1 + d.ilog2() as usize }] += 1;
            }
            counts
        })
        .collect();
    let mut counts = [0u64; 33];
    for p in partials {
        for (c, v) in counts.iter_mut().zip(p) {
            *c += v;
        }
    }
    let n = degrees.len().max(1) as f64;
    DegreeHistogram {
        zero: counts[0],
        bins: (1..33)
            .filter(|&k| counts[k] > 0)
            .map(|k| {
                let low = 1u64 << (k - 1);
                let high = (1u64 << k) - 1;
                DegreeBin {
                    low: low as u32,
                    high: high.min(u32::MAX as u64) as u32,
                    nodes: counts[k],
                    density: counts[k] as f64 / (low as f64 * n),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_bins_are_powers_of_two() {
        let h = degree_histogram(&[0, 1, 2, 3, 4, 7, 8, 0]);
        assert_eq!(h.zero, 2);
        let bins: Vec<(u32, u32, u64)> = h.bins.iter().map(|b| (b.low, b.high, b.nodes)).collect();
        assert_eq!(bins, vec![(1, 1, 1), (2, 3, 2), (4, 7, 2), (8, 15, 1)]);
        assert!((h.bins[1].density - 2.0 / (2.0 * 8.0)).abs() < 1e-15);
    }

    #[test]
    fn ccdf_falls_from_one_and_the_fit_finds_a_known_exponent() {
        // Ranks drawn from a Pareto law with density exponent 2.2 (CCDF slope -1.2).
        let mut rng = crate::generate::SplitMix64::new(5);
        let ranks: Vec<f64> = (0..200_000)
            .map(|_| {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                1e-6 * (1.0 - u).powf(-1.0 / 1.2)
            })
            .collect();
        let d = Distributions::compute(&ranks, &[1], &[1]);
        assert!((d.rank_ccdf[0][1] - 1.0).abs() < 1e-12);
        assert!(d.rank_ccdf.windows(2).all(|w| w[0][0] < w[1][0] && w[0][1] >= w[1][1]));
        let fit = d.rank_power_law.unwrap();
        assert!((fit.alpha - 2.2).abs() < 0.1, "{fit:?}");
        assert!((fit.ccdf_slope + 1.2).abs() < 0.1);
    }

    #[test]
    fn tiny_and_degenerate_inputs() {
        let d = Distributions::compute(&[1.0], &[0], &[0]);
        assert_eq!(d.rank_ccdf, vec![[1.0, 1.0]]);
        assert!(d.rank_power_law.is_none());
        assert_eq!(d.in_degree.zero, 1);
        let d = Distributions::compute(&[0.0, 0.5, 0.5], &[], &[]);
        assert_eq!(d.zero_rank_nodes, 1);
        assert_eq!(
            Distributions::compute(&[], &[], &[]),
            Distributions { ..Default::default() }
        );
    }
}
