//! From dense edges to a [`ShardedGraph`]: sort, collapse duplicates, count degrees, split by
//! source range and group each shard's edges by destination.
//!
//! Peak memory is the 8-byte keys plus the 4-byte shard arrays being filled (12 bytes an
//! edge unweighted); the keys are sorted in place, shard by shard.

use rayon::prelude::*;

use super::collect::unpack;
use super::shard::storage_key;
use super::{GraphStats, Shard, ShardedGraph};
use crate::partition::{Partition, default_shard_count};

/// How to turn edges into a graph.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Keep duplicate edges as parallel edges instead of collapsing them.
    pub multi: bool,
    /// Number of shards; `None` chooses it from the edge count
    /// ([`default_shard_count`]).
    pub shards: Option<usize>,
}

/// Builds the sharded graph of `nodes` nodes from packed edge keys (see
/// [`pack`]) and optional weights, in input order.
///
/// Duplicates collapse unless `multi`; with weights, the last occurrence's weight wins, as
/// when networkx adds the same edge twice to a `DiGraph`.
pub fn build(mut keys: Vec<u64>, weights: Option<Vec<f64>>, nodes: u32, options: &BuildOptions) -> ShardedGraph {
    let edges_read = keys.len() as u64;
    let weights = match weights {
        None => {
            keys.par_sort_unstable();
            if !options.multi {
                keys.dedup();
            }
            None
        }
        Some(weights) => {
            let mut pairs: Vec<(u64, f64)> = keys.into_iter().zip(weights).collect();
            if options.multi {
                pairs.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            } else {
                // Stable, so that among equal keys the input order stays and the last wins.
                pairs.par_sort_by_key(|p| p.0);
                let mut kept = 0;
                for i in 0..pairs.len() {
                    if i + 1 < pairs.len() && pairs[i + 1].0 == pairs[i].0 {
                        continue;
                    }
                    pairs[kept] = pairs[i];
                    kept += 1;
                }
                pairs.truncate(kept);
            }
            let (k, w): (Vec<u64>, Vec<f64>) = pairs.into_iter().unzip();
            keys = k;
            Some(w)
        }
    };

    let mut out_degree = vec![0u32; nodes as usize];
    let mut in_degree = vec![0u32; nodes as usize];
    let mut self_loops = 0u64;
    for &k in &keys {
        let (s, t) = unpack(k);
        out_degree[s as usize] += 1;
        in_degree[t as usize] += 1;
        self_loops += (s == t) as u64;
    }
    let out_weight = weights.as_ref().map(|w| {
        let mut sums = vec![0f64; nodes as usize];
        for (&k, &w) in keys.iter().zip(w) {
            sums[unpack(k).0 as usize] += w;
        }
        sums
    });

    let edges = keys.len() as u64;
    let partition = Partition::balanced(
        &out_degree,
        options.shards.unwrap_or_else(|| default_shard_count(edges)),
    );
    let shards = split_into_shards(&partition, keys, weights);

    let mut graph = ShardedGraph {
        partition,
        shards,
        out_degree,
        in_degree,
        out_weight,
        stats: GraphStats {
            nodes: nodes as u64,
            edges,
            edges_read,
            duplicate_edges: edges_read - edges,
            self_loops,
            dangling_nodes: 0,
            multi: options.multi,
            weighted: false,
        },
    };
    graph.stats.weighted = graph.out_weight.is_some();
    graph.stats.dangling_nodes = (0..nodes).filter(|&v| graph.is_dangling(v)).count() as u64;
    graph
}

/// Cuts keys sorted by source into the partition's shards, each regrouped by destination.
fn split_into_shards(partition: &Partition, mut keys: Vec<u64>, weights: Option<Vec<f64>>) -> Vec<Shard> {
    let starts: Vec<usize> = partition
        .bounds()
        .iter()
        .map(|&b| keys.partition_point(|&k| unpack(k).0 < b))
        .collect();
    let ranges: Vec<_> = (0..partition.shards())
        .map(|s| (partition.range(s), starts[s]..starts[s + 1]))
        .collect();
    match weights {
        None => {
            let slices = cut(&mut keys, &starts);
            slices
                .into_par_iter()
                .zip(ranges)
                .map(|(slice, (source_range, _))| {
                    for k in slice.iter_mut() {
                        let (s, t) = unpack(*k);
                        *k = storage_key(s, t);
                    }
                    slice.par_sort_unstable();
                    Shard::from_storage_keys(source_range, slice, None)
                })
                .collect()
        }
        Some(weights) => {
            let mut pairs: Vec<(u64, f64)> = keys.into_iter().zip(weights).collect();
            let slices = cut(&mut pairs, &starts);
            slices
                .into_par_iter()
                .zip(ranges)
                .map(|(slice, (source_range, _))| {
                    for p in slice.iter_mut() {
                        let (s, t) = unpack(p.0);
                        p.0 = storage_key(s, t);
                    }
                    slice.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
                    let w = slice.iter().map(|p| p.1).collect();
                    let keys: Vec<u64> = slice.iter().map(|p| p.0).collect();
                    Shard::from_storage_keys(source_range, &keys, Some(w))
                })
                .collect()
        }
    }
}

/// Splits `items` at `starts` (first 0, last the length) into mutable pieces.
fn cut<'a, T>(mut items: &'a mut [T], starts: &[usize]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(starts.len() - 1);
    for w in starts.windows(2) {
        let (piece, rest) = items.split_at_mut(w[1] - w[0]);
        pieces.push(piece);
        items = rest;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::collect::pack;

    fn keys(edges: &[(u32, u32)]) -> Vec<u64> {
        edges.iter().map(|&(s, t)| pack(s, t)).collect()
    }

    fn all_edges(g: &ShardedGraph) -> Vec<(u32, u32, f64)> {
        let mut v: Vec<_> = g.shards.iter().flat_map(|s| s.edges_iter()).collect();
        v.sort_by_key(|e| (e.0, e.1));
        v
    }

    #[test]
    fn collapses_duplicates_keeps_self_loops_and_counts() {
        let g = build(
            keys(&[(0, 1), (0, 1), (1, 1), (1, 2), (0, 2)]),
            None,
            4,
            &BuildOptions::default(),
        );
        assert_eq!(g.stats.edges, 4);
        assert_eq!(g.stats.duplicate_edges, 1);
        assert_eq!(g.stats.self_loops, 1);
        assert_eq!(g.stats.dangling_nodes, 2); // 2 only a target, 3 isolated
        assert_eq!(g.out_degree, vec![2, 2, 0, 0]);
        assert_eq!(g.in_degree, vec![0, 2, 2, 0]);
    }

    #[test]
    fn multi_keeps_parallel_edges() {
        let options = BuildOptions {
            multi: true,
            shards: None,
        };
        let g = build(keys(&[(0, 1), (0, 1), (1, 0)]), None, 2, &options);
        assert_eq!(g.stats.edges, 3);
        assert_eq!(g.out_degree, vec![2, 1]);
    }

    #[test]
    fn weighted_duplicates_keep_the_last_weight() {
        let g = build(
            keys(&[(0, 1), (0, 1), (0, 0)]),
            Some(vec![5.0, 2.0, 1.0]),
            2,
            &BuildOptions::default(),
        );
        assert_eq!(all_edges(&g), vec![(0, 0, 1.0), (0, 1, 2.0)]);
        assert_eq!(g.out_weight, Some(vec![3.0, 0.0]));
        assert!(g.is_dangling(1));
    }

    #[test]
    fn every_shard_count_holds_every_edge_in_its_source_range() {
        let edges: Vec<(u32, u32)> = (0..500u32).map(|i| (i * 7 % 53, i * 13 % 53)).collect();
        let reference = all_edges(&build(keys(&edges), None, 53, &BuildOptions::default()));
        for shards in [1, 2, 3, 8, 60] {
            let g = build(
                keys(&edges),
                None,
                53,
                &BuildOptions {
                    multi: false,
                    shards: Some(shards),
                },
            );
            assert_eq!(g.shards.len(), shards);
            for shard in &g.shards {
                assert!(shard.edges_iter().all(|(s, _, _)| shard.source_range.contains(&s)));
            }
            assert_eq!(all_edges(&g), reference, "{shards} shards");
        }
    }
}
