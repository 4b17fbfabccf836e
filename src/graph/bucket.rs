//! The fast path of [`build`](super::build()) for unweighted graphs: a counting sort into
//! cells instead of a comparison sort of all edges.
//!
//! A cell (destination block, source block) is where the engine wants an edge anyway, and
//! there are few of them (16 Ki at 4 M nodes), so the edges are counted per cell, scattered
//! once into a 4-byte array grouped by cell, and each cell (a few thousand edges, in cache)
//! is sorted and deduplicated on its own. The shards are then cut out of that array in
//! storage order. The result is the same graph as the general path's, array for array
//! (a test checks it); only the work differs: one pass of scattered writes and many small
//! in-cache sorts instead of a sort of 8-byte keys over the whole graph.
//!
//! Peak memory: the 8-byte keys and the 4-byte cell array during the scatter (12 bytes an
//! edge, as the general path), then the cell array and the shards (8 bytes an edge).

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::collect::unpack;
use super::{EdgeCounts, Shard, ShardedGraph};
use crate::graph::BuildOptions;
use crate::graph::shard::Cell;
use crate::partition::{BLOCK, BLOCK_BITS, Partition, default_shard_count};

/// Above this many cells, the per-thread cell counters cost more than they save; the
/// general path is used.
pub(crate) const MAX_CELLS: usize = 1 << 24;

/// Builds the graph of `nodes` nodes from unweighted packed keys, or gives the keys back
/// when the graph has too many cells for this path.
pub(crate) fn build_by_cells(keys: Vec<u64>, nodes: u32, options: &BuildOptions) -> Result<ShardedGraph, Vec<u64>> {
    let blocks = (nodes as usize).div_ceil(BLOCK as usize).max(1);
    let cells = blocks * blocks;
    if cells > MAX_CELLS {
        return Err(keys);
    }
    let edges_read = keys.len() as u64;
    let cell_of = |key: u64| {
        let (s, t) = unpack(key);
        (t >> BLOCK_BITS) as usize * blocks + (s >> BLOCK_BITS) as usize
    };

    // 1. Count edges per cell, one counter array per chunk of the keys.
    let chunks = rayon::current_num_threads().clamp(1, 8);
    let chunk_len = keys.len().div_ceil(chunks).max(1);
    let mut counts: Vec<Vec<u32>> = keys
        .par_chunks(chunk_len)
        .map(|chunk| {
            let mut count = vec![0u32; cells];
            for &k in chunk {
                count[cell_of(k)] += 1;
            }
            count
        })
        .collect();
    // Cell starts, and each chunk's first position inside every cell (counts become those).
    let mut cell_start = vec![0usize; cells + 1];
    let mut position = 0usize;
    for c in 0..cells {
        cell_start[c] = position;
        for count in counts.iter_mut() {
            let n = count[c] as usize;
            count[c] = position as u32;
            position += n;
        }
    }
    cell_start[cells] = position;
    if position > u32::MAX as usize {
        // positions are kept in 32 bits here; the general path has no such limit
        return Err(keys);
    }

    // 2. Scatter in the engine's packed form (source offset << 16 | destination offset),
    // which sorts as the engine stores a cell: by source, then destination.
    // Every position is written by exactly one chunk (its own range of each cell); relaxed
    // atomic stores make that safe to express and compile to plain stores.
    let scattered: Vec<AtomicU32> = (0..keys.len()).into_par_iter().map(|_| AtomicU32::new(0)).collect();
    keys.par_chunks(chunk_len)
        .zip(counts.par_iter_mut())
        .for_each(|(chunk, next)| {
            for &k in chunk {
                let (s, t) = unpack(k);
                let c = (t >> BLOCK_BITS) as usize * blocks + (s >> BLOCK_BITS) as usize;
                let at = next[c] as usize;
                next[c] += 1;
                scattered[at].store(((s & (BLOCK - 1)) << 16) | (t & (BLOCK - 1)), Ordering::Relaxed);
            }
        });
    drop(counts);
    drop(keys);
    // Sequential on purpose: it reuses the allocation in place (no second 4-byte array).
    let mut grouped: Vec<u32> = scattered.into_iter().map(AtomicU32::into_inner).collect();
    // 3. Sort and deduplicate every cell; a destination block's row of cells is one task,
    // which also owns that block's in-degrees.
    let out_degree: Vec<AtomicU32> = (0..nodes).map(|_| AtomicU32::new(0)).collect();
    let mut in_degree = vec![0u32; nodes as usize];
    let mut kept = vec![0u32; cells];
    let mut rows: Vec<&mut [u32]> = Vec::with_capacity(blocks);
    let mut rest = grouped.as_mut_slice();
    for db in 0..blocks {
        let (row, tail) = rest.split_at_mut(cell_start[(db + 1) * blocks] - cell_start[db * blocks]);
        rows.push(row);
        rest = tail;
    }
    let self_loops: u64 = rows
        .into_par_iter()
        .zip(in_degree.par_chunks_mut(BLOCK as usize))
        .zip(kept.par_chunks_mut(blocks))
        .enumerate()
        .map(|(db, ((row, in_block), kept_row))| {
            let mut self_loops = 0u64;
            let row_start = cell_start[db * blocks];
            for (sb, kept_cell) in kept_row.iter_mut().enumerate() {
                let c = db * blocks + sb;
                let cell = &mut row[cell_start[c] - row_start..cell_start[c + 1] - row_start];
                cell.sort_unstable();
                let len = if options.multi { cell.len() } else { dedup_sorted(cell) };
                *kept_cell = len as u32;
                for &e in &cell[..len] {
                    let (so, dof) = (e >> 16, e & 0xFFFF);
                    let source = ((sb as u32) << BLOCK_BITS) | so;
                    out_degree[source as usize].fetch_add(1, Ordering::Relaxed);
                    in_block[dof as usize] += 1;
                    self_loops += u64::from(sb == db && so == dof);
                }
            }
            self_loops
        })
        .sum();
    let out_degree: Vec<u32> = out_degree.into_iter().map(AtomicU32::into_inner).collect();
    let edges: u64 = kept.iter().map(|&k| k as u64).sum();
    // 4. The partition, then each shard cut out in storage order.
    let partition = Partition::balanced(
        &out_degree,
        options.shards.unwrap_or_else(|| default_shard_count(edges)),
    );
    let shards: Vec<Shard> = (0..partition.shards())
        .into_par_iter()
        .map(|s| cut_shard(&partition, s, blocks, &cell_start, &kept, &grouped))
        .collect();
    drop(grouped);

    Ok(ShardedGraph::assemble(
        partition,
        shards,
        out_degree,
        in_degree,
        None,
        EdgeCounts {
            read: edges_read,
            kept: edges,
            self_loops,
        },
        options.multi,
    ))
}

/// Removes repeats from a sorted slice in place; returns the number kept.
fn dedup_sorted(cell: &mut [u32]) -> usize {
    if cell.is_empty() {
        return 0;
    }
    let mut kept = 1;
    for i in 1..cell.len() {
        if cell[i] != cell[kept - 1] {
            cell[kept] = cell[i];
            kept += 1;
        }
    }
    kept
}

/// Shard `s`: its sources' edges from every cell, in storage order, in the engine's format.
fn cut_shard(
    partition: &Partition,
    s: usize,
    blocks: usize,
    cell_start: &[usize],
    kept: &[u32],
    grouped: &[u32],
) -> Shard {
    let range = partition.range(s);
    if range.is_empty() {
        return Shard::from_parts(range, Vec::new(), Vec::new(), None);
    }
    let first_sb = (range.start >> BLOCK_BITS) as usize;
    let last_sb = ((range.end - 1) >> BLOCK_BITS) as usize;
    let whole = |sb: usize| {
        let start = (sb as u32) << BLOCK_BITS;
        start >= range.start && start.saturating_add(BLOCK) <= range.end
    };
    // Count first, so that the arrays are allocated once.
    let mut total = 0usize;
    for db in 0..blocks {
        for sb in first_sb..=last_sb {
            let c = db * blocks + sb;
            let cell = &grouped[cell_start[c]..cell_start[c] + kept[c] as usize];
            total += if whole(sb) {
                cell.len()
            } else {
                cell.iter()
                    .filter(|&&e| range.contains(&(((sb as u32) << BLOCK_BITS) | (e >> 16))))
                    .count()
            };
        }
    }
    let mut edges = Vec::with_capacity(total);
    let mut cells = Vec::new();
    for db in 0..blocks {
        for sb in first_sb..=last_sb {
            let c = db * blocks + sb;
            let cell = &grouped[cell_start[c]..cell_start[c] + kept[c] as usize];
            let before = edges.len();
            if whole(sb) {
                edges.extend_from_slice(cell);
            } else {
                let mine = |&&e: &&u32| range.contains(&(((sb as u32) << BLOCK_BITS) | (e >> 16)));
                edges.extend(cell.iter().filter(mine));
            }
            if edges.len() > before {
                cells.push(Cell {
                    destination_block: db as u32,
                    source_block: sb as u32,
                    end: edges.len() as u64,
                });
            }
        }
    }
    Shard::from_parts(range, cells, edges, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::SplitMix64;
    use crate::graph::build;
    use crate::graph::collect::pack;

    fn unit(rng: &mut SplitMix64) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Skewed random edges over `nodes` ids, with duplicates and self-loops.
    fn edges(seed: u64, nodes: u32, count: usize) -> Vec<u64> {
        let mut rng = SplitMix64::new(seed);
        (0..count)
            .map(|_| {
                // squaring skews towards small ids, so that some cells are dense
                let s = (unit(&mut rng).powi(2) * nodes as f64) as u32;
                let t = (unit(&mut rng).powi(2) * nodes as f64) as u32;
                pack(s.min(nodes - 1), t.min(nodes - 1))
            })
            .collect()
    }

    #[test]
    fn cells_build_the_same_graph_as_the_general_path() {
        for (seed, nodes, count) in [
            (1, 5, 40),
            (2, 1000, 5000),
            (3, 3 * BLOCK + 17, 200_000),
            (4, BLOCK, 1000),
        ] {
            for multi in [false, true] {
                for shards in [None, Some(1), Some(3), Some(7)] {
                    let keys = edges(seed, nodes, count);
                    let options = BuildOptions {
                        multi,
                        shards,
                        general_path: false,
                    };
                    let general = BuildOptions {
                        general_path: true,
                        ..options.clone()
                    };
                    let fast = build_by_cells(keys.clone(), nodes, &options).expect("few cells");
                    let reference = build(keys, None, nodes, &general);
                    assert_eq!(
                        fast, reference,
                        "seed {seed}, {nodes} nodes, multi {multi}, shards {shards:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn too_many_cells_give_the_keys_back() {
        let nodes = u32::MAX;
        let keys = vec![pack(0, 1)];
        assert_eq!(
            build_by_cells(keys.clone(), nodes, &BuildOptions::default()).unwrap_err(),
            keys
        );
    }
}
