//! From dense edges to a [`ShardedGraph`]: one sort into storage order, collapse duplicates,
//! count degrees, then deal the edges out to their shards.
//!
//! Storage order (destination block, source block, source, destination; see
//! [`storage_key`]) is a total order on edges, so one parallel sort of the 8-byte keys both
//! brings duplicates together and leaves every shard's edges in the order the shard stores
//! them: a stable pass then deals them out. Peak memory is the keys plus the 4-byte shard
//! arrays being filled, 12 bytes an edge unweighted.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::collect::unpack;
use super::shard::{Cell, append_edge, from_storage_key, storage_key};
use super::{EdgeCounts, Shard, ShardedGraph};
use crate::partition::{BLOCK_BITS, MAX_SHARDS, Partition, default_shard_count};

/// How to turn edges into a graph.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Keep duplicate edges as parallel edges instead of collapsing them.
    pub multi: bool,
    /// Number of shards; `None` chooses it from the edge count only: one per 16 Mi edges,
    /// at least 1 and at most 1024. At most 65,536 and at most the node count.
    pub shards: Option<usize>,
    /// Always take the general (sort) path, also for unweighted graphs that the counting
    /// sort into cells would build (tests compare the two).
    pub general_path: bool,
}

impl BuildOptions {
    /// Checks that the options can work.
    pub fn validate(&self) -> crate::error::Result<()> {
        match self.shards {
            Some(0) => Err(crate::error::Error::parameter("shards", "must be at least 1")),
            Some(shards) if shards > MAX_SHARDS => Err(too_many_shards(shards, None)),
            _ => Ok(()),
        }
    }

    /// Checks the shard count against the graph's node count, once it is known (after
    /// reading, before building): every shard owns at least a node's range.
    pub(crate) fn validate_for(&self, nodes: u32) -> crate::error::Result<()> {
        match self.shards {
            Some(shards) if shards > nodes as usize => Err(too_many_shards(shards, Some(nodes))),
            _ => Ok(()),
        }
    }
}

/// The error for a shard count beyond [`MAX_SHARDS`] or beyond the node count.
fn too_many_shards(shards: usize, nodes: Option<u32>) -> crate::error::Error {
    let nodes = match nodes {
        Some(n) => format!("the graph's node count, {n}"),
        None => "the graph's node count".to_string(),
    };
    crate::error::Error::parameter(
        "shards",
        format!("must be at most {nodes}, and at most {MAX_SHARDS}; not {shards}"),
    )
}

/// Builds the sharded graph of `nodes` nodes from packed edge keys (see
/// [`pack`](super::collect::pack)) and optional weights, in input order.
///
/// Duplicates collapse unless `multi`; with weights, the last occurrence's weight wins, as
/// when networkx adds the same edge twice to a `DiGraph`.
pub(crate) fn build(mut keys: Vec<u64>, weights: Option<Vec<f64>>, nodes: u32, options: &BuildOptions) -> ShardedGraph {
    if weights.is_none() && !options.general_path {
        match super::bucket::build_by_cells(keys, nodes, options) {
            Ok(graph) => return graph,
            Err(given_back) => keys = given_back,
        }
    }
    let edges_read = keys.len() as u64;
    keys.par_iter_mut().for_each(|k| {
        let (s, t) = unpack(*k);
        *k = storage_key(s, t);
    });
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
            // Stable, so that equal keys keep their input order: the last weight wins, and
            // parallel edges (with --multi) are summed in input order.
            pairs.par_sort_by_key(|p| p.0);
            if !options.multi {
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
            let (k, w): (Vec<u64>, Vec<f64>) = pairs.into_par_iter().unzip();
            keys = k;
            Some(w)
        }
    };

    let out_degree: Vec<AtomicU32> = (0..nodes).map(|_| AtomicU32::new(0)).collect();
    let in_degree: Vec<AtomicU32> = (0..nodes).map(|_| AtomicU32::new(0)).collect();
    let self_loops: u64 = keys
        .par_iter()
        .map(|&k| {
            let (s, t) = from_storage_key(k);
            out_degree[s as usize].fetch_add(1, Ordering::Relaxed);
            in_degree[t as usize].fetch_add(1, Ordering::Relaxed);
            (s == t) as u64
        })
        .sum();
    let out_degree: Vec<u32> = out_degree.into_iter().map(AtomicU32::into_inner).collect();
    let in_degree: Vec<u32> = in_degree.into_iter().map(AtomicU32::into_inner).collect();
    let out_weight = weights.as_ref().map(|w| {
        let mut sums = vec![0f64; nodes as usize];
        // Sequential, in storage order: the sums do not depend on the thread count.
        for (&k, &w) in keys.iter().zip(w) {
            sums[from_storage_key(k).0 as usize] += w;
        }
        sums
    });

    let edges = keys.len() as u64;
    let partition = Partition::balanced(
        &out_degree,
        options.shards.unwrap_or_else(|| default_shard_count(edges)),
    );
    let shards = deal_out(&partition, &keys, weights);
    drop(keys);

    ShardedGraph::assemble(
        partition,
        shards,
        out_degree,
        in_degree,
        out_weight,
        EdgeCounts {
            read: edges_read,
            kept: edges,
            self_loops,
        },
        options.multi,
    )
}

/// Deals keys in storage order out to the shards of their sources; each shard receives its
/// edges in storage order.
///
/// In parallel: the keys are cut into pieces at destination-block boundaries (a cell never
/// spans two pieces), each piece counts its edges per shard, every shard's arrays are
/// allocated once at their final size, and each piece fills its own slice of them.
fn deal_out(partition: &Partition, keys: &[u64], weights: Option<Vec<f64>>) -> Vec<Shard> {
    let shards = partition.shards();
    let shard_of = |key: u64| partition.shard_of(from_storage_key(key).0);
    let pieces = pieces_at_block_boundaries(keys, 4 * rayon::current_num_threads().max(1));
    let counts: Vec<Vec<usize>> = pieces
        .par_iter()
        .map(|r| {
            let mut count = vec![0usize; shards];
            for &k in &keys[r.clone()] {
                count[shard_of(k)] += 1;
            }
            count
        })
        .collect();
    let totals: Vec<usize> = (0..shards).map(|s| counts.iter().map(|c| c[s]).sum()).collect();
    let mut edges: Vec<Vec<u32>> = totals.iter().map(|&t| vec![0u32; t]).collect();
    let mut shard_weights: Vec<Vec<f64>> = match &weights {
        Some(_) => totals.iter().map(|&t| vec![0f64; t]).collect(),
        None => Vec::new(),
    };
    // slices[piece][shard]: where the piece writes that shard's edges (and weights).
    let edge_slices = slices_per_piece(&mut edges, &counts);
    let weight_slices = slices_per_piece(&mut shard_weights, &counts);
    let mut offsets = vec![0usize; shards];
    let starts: Vec<Vec<usize>> = counts
        .iter()
        .map(|count| {
            let here = offsets.clone();
            for (o, c) in offsets.iter_mut().zip(count) {
                *o += c;
            }
            here
        })
        .collect();
    let cells: Vec<Vec<Vec<Cell>>> = pieces
        .into_par_iter()
        .zip(edge_slices)
        .zip(weight_slices)
        .zip(starts)
        .map(|(((range, mut out), mut out_weights), start)| {
            let mut cells: Vec<Vec<Cell>> = vec![Vec::new(); shards];
            let mut filled = vec![0usize; shards];
            for i in range {
                let key = keys[i];
                let (src, dst) = from_storage_key(key);
                let s = partition.shard_of(src);
                let end = (start[s] + filled[s] + 1) as u64;
                out[s][filled[s]] = append_edge(&mut cells[s], src, dst, end);
                if let Some(w) = &weights {
                    out_weights[s][filled[s]] = w[i];
                }
                filled[s] += 1;
            }
            cells
        })
        .collect();
    let mut shard_weights = shard_weights.into_iter();
    edges
        .into_iter()
        .enumerate()
        .map(|(s, shard_edges)| {
            let shard_cells: Vec<Cell> = cells.iter().flat_map(|piece| piece[s].iter().copied()).collect();
            Shard::from_parts(
                partition.range(s),
                shard_cells,
                shard_edges,
                weights.as_ref().and_then(|_| shard_weights.next()),
            )
        })
        .collect()
}

/// Cuts every shard's array into one slice per piece (`counts[piece][shard]` long) and
/// returns them grouped by piece: `result[piece][shard]` (no arrays: an empty list a piece).
fn slices_per_piece<'a, T>(arrays: &'a mut [Vec<T>], counts: &[Vec<usize>]) -> Vec<Vec<&'a mut [T]>> {
    let mut slices: Vec<Vec<&mut [T]>> = counts.iter().map(|_| Vec::with_capacity(arrays.len())).collect();
    for (s, array) in arrays.iter_mut().enumerate() {
        let mut rest = array.as_mut_slice();
        for (p, count) in counts.iter().enumerate() {
            let (mine, tail) = rest.split_at_mut(count[s]);
            slices[p].push(mine);
            rest = tail;
        }
    }
    slices
}

/// Cuts `keys` (in storage order) into about `pieces` ranges, each ending where the
/// destination block changes.
fn pieces_at_block_boundaries(keys: &[u64], pieces: usize) -> Vec<std::ops::Range<usize>> {
    let block_of = |k: u64| from_storage_key(k).1 >> BLOCK_BITS;
    let mut ranges = Vec::with_capacity(pieces);
    let mut start = 0;
    for p in 1..=pieces {
        let target = keys.len() * p / pieces;
        if target <= start {
            continue;
        }
        let end = if target >= keys.len() {
            keys.len()
        } else {
            let block = block_of(keys[target - 1]);
            target + keys[target..].partition_point(|&k| block_of(k) == block)
        };
        ranges.push(start..end);
        start = end;
        if start == keys.len() {
            break;
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::collect::pack;

    fn keys(edges: &[(u32, u32)]) -> Vec<u64> {
        edges.iter().map(|&(s, t)| pack(s, t)).collect()
    }

    fn all_edges(g: &ShardedGraph) -> Vec<(u32, u32, f64)> {
        let mut v: Vec<_> = g.shards().iter().flat_map(|s| s.edges_iter()).collect();
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
        assert_eq!(g.stats().edges, 4);
        assert_eq!(g.stats().duplicate_edges, 1);
        assert_eq!(g.stats().self_loops, 1);
        assert_eq!(g.stats().dangling_nodes, 2); // 2 only a target, 3 isolated
        assert_eq!(g.out_degree(), vec![2, 2, 0, 0]);
        assert_eq!(g.in_degree(), vec![0, 2, 2, 0]);
    }

    #[test]
    fn multi_keeps_parallel_edges() {
        let options = BuildOptions {
            multi: true,
            shards: None,
            general_path: false,
        };
        let g = build(keys(&[(0, 1), (0, 1), (1, 0)]), None, 2, &options);
        assert_eq!(g.stats().edges, 3);
        assert_eq!(g.out_degree(), vec![2, 1]);
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
        assert_eq!(g.out_weight(), Some(&[3.0, 0.0][..]));
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
                    general_path: false,
                },
            );
            assert_eq!(g.shards().len(), shards);
            for shard in g.shards() {
                assert!(shard.edges_iter().all(|(s, _, _)| shard.source_range.contains(&s)));
            }
            assert_eq!(all_edges(&g), reference, "{shards} shards");
        }
    }

    #[test]
    fn dealing_across_many_blocks_is_the_same_for_any_thread_count() {
        let n = 5 * crate::partition::BLOCK + 17;
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let edges: Vec<(u32, u32)> = (0..60_000).map(|_| (next() % n, next() % n)).collect();
        let weights: Vec<f64> = (0..edges.len()).map(|i| (i % 7) as f64 + 0.5).collect();
        let mut expected: Vec<(u32, u32)> = edges.clone();
        expected.sort_unstable();
        expected.dedup();
        for shards in [1, 3, 7] {
            for weighted in [false, true] {
                let mut listings = Vec::new();
                for threads in [1, 4] {
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    let g = pool.install(|| {
                        build(
                            keys(&edges),
                            weighted.then(|| weights.clone()),
                            n,
                            &BuildOptions {
                                multi: false,
                                shards: Some(shards),
                                general_path: false,
                            },
                        )
                    });
                    let listing: Vec<Vec<(u32, u32, f64)>> =
                        g.shards().iter().map(|s| s.edges_iter().collect()).collect();
                    for (shard, list) in g.shards().iter().zip(&listing) {
                        assert!(list.iter().all(|e| shard.source_range.contains(&e.0)));
                    }
                    let mut all: Vec<(u32, u32)> = listing.iter().flatten().map(|e| (e.0, e.1)).collect();
                    all.sort_unstable();
                    assert_eq!(all, expected, "{shards} shards, weighted {weighted}, {threads} threads");
                    listings.push(listing);
                }
                assert_eq!(listings[0], listings[1], "storage does not depend on the thread count");
            }
        }
    }
}
