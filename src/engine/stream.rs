//! The streaming executor: rounds over a graph whose cells stay in a store, so that memory
//! holds the nodes' states and one group of destination blocks' cells at a time.
//!
//! Every round maps all nodes as the local executor does, then takes the destination blocks
//! in groups (tens of millions of edges, or one edge a node on large graphs: the blocked
//! rounds' [`group_edges`]). A group kept in memory, or one of a fused round, is decoded from
//! every shard (in pieces, on the rayon pool) into the in-memory cell layout and reduced with
//! the local executor's own code; a blocked group that is not kept is decoded straight into
//! the round's buffer ([`Round::stream_blocked`]). Each destination still receives each
//! shard's edges in ascending source order and the shards' partials in shard order, so the
//! states are bit-identical to an in-memory run of the same graph and shard count.

use std::ops::Range;

use rayon::prelude::*;

use super::local::{Blocked, Group, Strategy, fused_blocks_per_task, fuses, group_edges, map, reduce_blocks};
use super::reduce::{Carrier, MessagesOf, ShardSums, apply_block, fold_carried, total_change, weighed};
use super::{IterationReport, Outcome, Rounds, VertexProgram};
use crate::error::Result;
use crate::graph::{CellSlices, CellSource, Shard, ShardedGraph, VisitedCell};
use crate::partition::{DESTINATION_BLOCK, block_count, block_of};

/// Edges of the largest piece decoded by one task: pieces of a shard's cells into a group
/// are what the decoding is spread over.
const PIECE_EDGES: u64 = 1 << 20;

/// Edges of a group of a fused streamed round (the blocked rounds' group is bounded by
/// their buffer, [`group_edges`]): 128 MiB of decoded cells.
const FUSED_GROUP_EDGES: u64 = 32 << 20;

/// How a run streams its rounds, worked out once.
struct Layout {
    /// Fused rounds (the local executor's choice for this graph), else blocked.
    fused: bool,
    groups: Vec<StreamGroup>,
    /// Edges of the largest group.
    largest: usize,
}

/// Consecutive destination blocks decoded and reduced together.
struct StreamGroup {
    blocks: Range<u32>,
    /// (shard, destination blocks) pieces that hold the group's cells, shard by shard.
    pieces: Vec<(usize, Range<u32>)>,
    /// Bytes its cells take decoded (edges, weights, cell list).
    bytes: u64,
}

impl Layout {
    fn new(strategy: Strategy, graph: &ShardedGraph, source: &dyn CellSource, sizes: (usize, usize)) -> Layout {
        let fused = match strategy {
            Strategy::Fused => true,
            Strategy::Blocked { .. } => false,
            Strategy::Auto => fuses(graph.nodes() as u64, graph.stats().edges, sizes),
        };
        let group_edges = match strategy {
            Strategy::Blocked { group_edges } => group_edges as u64,
            _ if fused => FUSED_GROUP_EDGES,
            _ => group_edges(graph.nodes() as u64, sizes.1) as u64,
        }
        .max(1);
        let (blocks, shards) = (block_count(graph.nodes()), graph.shards().len());
        let per_shard: Vec<Vec<u64>> = (0..shards)
            .into_par_iter()
            .map(|s| (0..blocks).map(|b| source.edges_into(s, b..b + 1)).collect())
            .collect();
        let (mut groups, mut first, mut largest) = (Vec::new(), 0u32, 0usize);
        while first < blocks {
            let (mut last, mut edges) = (first, 0u64);
            while last < blocks {
                let more: u64 = per_shard.iter().map(|e| e[last as usize]).sum();
                if last > first && edges + more > group_edges {
                    break;
                }
                edges += more;
                last += 1;
            }
            let mut pieces = Vec::new();
            for (s, counts) in per_shard.iter().enumerate() {
                let (mut start, mut held) = (first, 0u64);
                for b in first..last {
                    let e = counts[b as usize];
                    if held > 0 && held + e > PIECE_EDGES {
                        pieces.push((s, start..b));
                        (start, held) = (b, 0);
                    }
                    if held == 0 && e == 0 {
                        start = b + 1;
                        continue;
                    }
                    held += e;
                }
                if held > 0 {
                    pieces.push((s, start..last));
                }
            }
            largest = largest.max(edges as usize);
            let cells: u64 = (0..shards).map(|s| source.cells_into(s, first..last)).sum();
            groups.push(StreamGroup {
                blocks: first..last,
                pieces,
                bytes: graph.decoded_bytes(edges, cells),
            });
            first = last;
        }
        Layout { fused, groups, largest }
    }
}

/// Iterates `program` on a streamed graph (see the module documentation); `strategy` as for
/// the local executor. A store that cannot be read mid-run stops the rounds with the
/// outcome's `fault`.
pub(crate) fn run<P: VertexProgram, C: Carrier<P::Message>>(
    strategy: Strategy,
    graph: &ShardedGraph,
    source: &dyn CellSource,
    program: &P,
    initial: Vec<P::State>,
    rounds: Rounds<'_, P::State>,
    observer: &mut dyn FnMut(&IterationReport),
) -> Outcome<P::State> {
    let layout = Layout::new(strategy, graph, source, (size_of::<P::Message>(), size_of::<C>()));
    let mut states = initial;
    let mut next = states.clone();
    let mut messages: Vec<C> = vec![C::pack(program.identity()); states.len()];
    let buffer_len = if layout.fused { 0 } else { layout.largest };
    let mut buffer: Vec<C> = vec![C::pack(program.identity()); buffer_len];
    // A blocked group that is not kept is decoded straight into the buffer: each edge's
    // message there, its destination offset here (allocated when a group is first streamed:
    // a run whose groups are all kept needs none).
    let mut destinations: Vec<u16> = Vec::new();
    let mut shards = blank_shards(graph);
    // The groups' cells kept as the first round decoded them, while they fit in the room
    // the graph allows (`keep_decoded`); the others are decoded again every round.
    let mut kept = Kept {
        groups: (0..layout.groups.len()).map(|_| None).collect(),
        room: graph.kept_bytes(),
    };
    let mut fault = None;
    let (iterations, converged) = super::iterate(rounds, observer, &mut states, |states| {
        let round = Round {
            graph,
            source,
            program,
            layout: &layout,
        };
        let buffers = (&mut buffer[..], &mut destinations);
        match round.run(&mut shards, &mut kept, buffers, states, &mut messages, &mut next) {
            Ok(change) => {
                std::mem::swap(states, &mut next);
                Some(change)
            }
            Err(e) => {
                fault = Some(e);
                None // stops the rounds; the fault makes the outcome no result
            }
        }
    });
    Outcome {
        states,
        iterations,
        converged,
        fault,
    }
}

/// Groups' cells kept in memory once decoded, and the room left for more.
struct Kept {
    groups: Vec<Option<Vec<Shard>>>,
    room: u64,
}

/// One streamed round's fixed parts.
struct Round<'a, P> {
    graph: &'a ShardedGraph,
    source: &'a dyn CellSource,
    program: &'a P,
    layout: &'a Layout,
}

impl<P: VertexProgram> Round<'_, P> {
    fn run<C: Carrier<P::Message>>(
        &self,
        scratch: &mut [Shard],
        kept: &mut Kept,
        (buffer, destinations): (&mut [C], &mut Vec<u16>),
        states: &[P::State],
        messages: &mut [C],
        next: &mut [P::State],
    ) -> Result<f64> {
        let program = self.program;
        let round = program.begin_round(self.graph, states);
        map(program, &round, states, messages);
        let messages: &[C] = messages;
        let mut changes = vec![0.0; block_count(self.graph.nodes()) as usize];
        let weighted = self.graph.out_weight().is_some();
        for (g, group) in self.layout.groups.iter().enumerate() {
            // A group that did not fit in the first round never fits later: the room only
            // shrinks.
            if kept.groups[g].is_none() && group.bytes <= kept.room {
                let mut decoded = blank_shards(self.graph);
                decode_group(self.source, group, &mut decoded, weighted)?;
                kept.room -= group.bytes;
                kept.groups[g] = Some(decoded);
            }
            let blocks = group.blocks.start as usize..group.blocks.end as usize;
            let shards: &[Shard] = match &kept.groups[g] {
                Some(decoded) => decoded,
                None if !self.layout.fused => {
                    if destinations.len() < buffer.len() {
                        destinations.resize(buffer.len(), 0);
                    }
                    let buffers = (&mut *buffer, &mut destinations[..]);
                    self.stream_blocked(group, buffers, &round, states, messages, next, &mut changes[blocks])?;
                    continue;
                }
                None => {
                    decode_group(self.source, group, scratch, weighted)?;
                    scratch
                }
            };
            if self.layout.fused {
                reduce_blocks(
                    program,
                    &round,
                    shards,
                    states,
                    (&mut *next, &mut changes[blocks]),
                    group.blocks.clone(),
                    fused_blocks_per_task(size_of::<P::Message>()),
                    |s, _, start, cell| {
                        let (edges, weights) = shards[s].cell_edges(start, cell);
                        (
                            edges,
                            MessagesOf::Sources(block_of(messages, cell.source_block), weights),
                        )
                    },
                );
            } else {
                let mut cell_values: Vec<Vec<usize>> = shards.iter().map(|s| vec![0; s.cell_count()]).collect();
                let layout = Group::new(shards, group.blocks.clone(), &mut cell_values);
                let blocked = Blocked {
                    shards,
                    group: &layout,
                    cell_values: &cell_values,
                };
                blocked.run(program, &round, buffer, states, messages, next, &mut changes);
            }
        }
        Ok(total_change(&changes))
    }
}

impl<P: VertexProgram> Round<'_, P> {
    /// A blocked round over one group whose cells are not kept: pass 1 decodes each
    /// shard's cells, source block by source block, and writes each edge's message (weighed)
    /// and destination offset into the buffers, in the store's edge order; pass 2 folds
    /// them, destination block by destination block, shard after shard. The decoded cells
    /// are never written out, and pass 2 reads two bytes an edge for the destination instead
    /// of a four-byte key. The sums are those of [`Blocked::run`], in the same order.
    #[allow(clippy::too_many_arguments)]
    fn stream_blocked<C: Carrier<P::Message>>(
        &self,
        group: &StreamGroup,
        (buffer, destinations): (&mut [C], &mut [u16]),
        round: &P::Round,
        states: &[P::State],
        messages: &[C],
        next: &mut [P::State],
        changes: &mut [f64],
    ) -> Result<()> {
        let (program, source, blocks) = (self.program, self.source, group.blocks.clone());
        let shards = self.graph.shards().len();
        // Where each shard's edges into the group start in the buffers.
        let mut starts = Vec::with_capacity(shards + 1);
        starts.push(0usize);
        for s in 0..shards {
            starts.push(starts[s] + source.edges_into(s, blocks.clone()) as usize);
        }
        let len = starts[shards];
        // pass 1: shard by shard in parallel, each into its own part of the buffers
        let mut work = Vec::with_capacity(shards);
        let (mut values, mut offsets) = (&mut buffer[..len], &mut destinations[..len]);
        for s in 0..shards {
            let n = starts[s + 1] - starts[s];
            let (v, v_rest) = std::mem::take(&mut values).split_at_mut(n);
            let (d, d_rest) = std::mem::take(&mut offsets).split_at_mut(n);
            if n > 0 {
                work.push((s, v, d));
            }
            (values, offsets) = (v_rest, d_rest);
        }
        work.into_par_iter()
            .map(|(s, values, offsets)| {
                let mut copy = |cell: VisitedCell<'_>| {
                    let sources = block_of(messages, cell.source_block);
                    let range = cell.at..cell.at + cell.keys.len();
                    let (values, offsets) = (&mut values[range.clone()], &mut offsets[range]);
                    for (o, &k) in offsets.iter_mut().zip(cell.keys) {
                        *o = k as u16;
                    }
                    match cell.weights {
                        None => {
                            for (v, &k) in values.iter_mut().zip(cell.keys) {
                                *v = sources[(k >> 16) as usize];
                            }
                        }
                        Some(w) => {
                            for ((v, &k), &w) in values.iter_mut().zip(cell.keys).zip(w) {
                                *v = weighed(program, sources[(k >> 16) as usize], w);
                            }
                        }
                    }
                };
                source.visit_cells(s, blocks.clone(), &mut copy)
            })
            .collect::<Result<()>>()?;
        // pass 2: destination block by destination block in parallel
        let (values, offsets): (&[C], &[u16]) = (&buffer[..len], &destinations[..len]);
        let block = DESTINATION_BLOCK as usize;
        let span = blocks.start as usize * block..(blocks.end as usize * block).min(next.len());
        next[span]
            .par_chunks_mut(block)
            .zip(changes.par_iter_mut())
            .enumerate()
            .for_each_init(ShardSums::default, |sums, (i, (out, change))| {
                let b = blocks.start + i as u32;
                sums.begin(program, out.len());
                for (s, &start) in starts[..shards].iter().enumerate() {
                    let before = source.edges_into(s, blocks.start..b) as usize;
                    let n = source.edges_into(s, b..b + 1) as usize;
                    if n == 0 {
                        continue; // this shard's partial is the identity: nothing to add
                    }
                    let range = start + before..start + before + n;
                    let (offsets, values) = (&offsets[range.clone()], &values[range]);
                    let fold = |sums: &mut [P::Message]| fold_carried(program, sums, offsets, values);
                    sums.shard(program, n, fold, offsets.iter().map(|&d| d as usize));
                }
                let start = b as usize * block;
                *change = apply_block(
                    program,
                    round,
                    start as u32,
                    &states[start..start + out.len()],
                    sums.sums(),
                    out,
                );
            });
        Ok(())
    }
}

/// One shard a partition range, without cells: what a group's cells are decoded into.
fn blank_shards(graph: &ShardedGraph) -> Vec<Shard> {
    graph
        .shards()
        .iter()
        .map(|s| Shard::from_stored(s.source_range.clone(), Vec::new(), Vec::new(), None, None))
        .collect()
}

/// Decodes the cells of `group` from every shard into `shards` (their arrays reused and
/// sized from the store's index): the pieces in parallel, each straight into its place.
fn decode_group(source: &dyn CellSource, group: &StreamGroup, shards: &mut [Shard], weighted: bool) -> Result<()> {
    let mut work = Vec::with_capacity(group.pieces.len());
    let mut pieces = group.pieces.iter().peekable();
    for (s, shard) in shards.iter_mut().enumerate() {
        let blocks = group.blocks.clone();
        let (cells, edges) = (source.cells_into(s, blocks.clone()), source.edges_into(s, blocks));
        let mut slices = shard.resize_for(cells as usize, edges as usize, weighted);
        while let Some((_, blocks)) = pieces.next_if(|(p, _)| *p == s) {
            let cells = source.cells_into(s, blocks.clone()) as usize;
            let edges = source.edges_into(s, blocks.clone()) as usize;
            let (piece_cells, rest_cells) = std::mem::take(&mut slices.cells).split_at_mut(cells);
            let (piece_edges, rest_edges) = std::mem::take(&mut slices.edges).split_at_mut(edges);
            let (piece_weights, rest_weights) = match slices.weights.take() {
                Some(w) => {
                    let (a, b) = w.split_at_mut(edges);
                    (Some(a), Some(b))
                }
                None => (None, None),
            };
            let piece = CellSlices {
                cells: piece_cells,
                edges: piece_edges,
                weights: piece_weights,
                edge_base: slices.edge_base,
            };
            work.push((s, blocks.clone(), piece));
            slices = CellSlices {
                cells: rest_cells,
                edges: rest_edges,
                weights: rest_weights,
                edge_base: slices.edge_base + edges as u64,
            };
        }
        debug_assert!(
            slices.cells.is_empty() && slices.edges.is_empty(),
            "the pieces cover the group"
        );
    }
    work.into_par_iter()
        .map_init(Vec::new, |buffer, (s, blocks, piece)| {
            source.load_into(s, blocks, piece, buffer)
        })
        .collect::<Result<()>>()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::algo::PageRankConfig;
    use crate::algo::pagerank::PageRankProgram;
    use crate::engine::LocalExecutor;
    use crate::graph::collect::pack;
    use crate::graph::{BuildOptions, Graph, NodeTable, build};
    use crate::output::summary::LoadRecord;
    use crate::partition::BLOCK;

    /// A graph over five blocks of ids (the last one short) in three shards, `weighted` or
    /// not, written as a store and opened again (cells on disk): random links, or with
    /// `crawl` links to the next few ids, which repeat from source to source so that zstd
    /// frames the records.
    fn stored(dir: &std::path::Path, crawl: bool, weighted: bool) -> (ShardedGraph, ShardedGraph, std::path::PathBuf) {
        let n = 4 * BLOCK + 77;
        let mut x = 7u64;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 33
        };
        let edges: Vec<(u32, u32, f64)> = (0..40_000)
            .map(|i| {
                // A crawl: each source links to the five ids after it.
                let s = if crawl { i / 5 } else { (next() % n as u64) as u32 };
                let t = if crawl {
                    (s + 1 + i % 5) % n
                } else if i % 4 == 0 {
                    (s + 1) % n
                } else {
                    (next() % n as u64 * (next() % n as u64) / n as u64) as u32
                };
                (s, t, (next() % 50) as f64 / 7.0 + if i % 9 == 0 { 1e12 } else { 0.0 })
            })
            .collect();
        let options = BuildOptions {
            multi: false,
            shards: Some(3),
            general_path: false,
        };
        let keys = edges.iter().map(|&(s, t, _)| pack(s, t)).collect();
        let weights = weighted.then(|| edges.iter().map(|e| e.2).collect());
        let memory = build(keys, weights, n, &options);
        let graph = Graph::new(Arc::new(NodeTable::Dense(n)), memory.clone(), Vec::new());
        let load = LoadRecord {
            ids: crate::graph::IdMode::Int,
            separator: None,
            header: None,
            skip_bad_lines: false,
            weighted,
            multi: false,
            shards: 3,
            names: None,
        };
        let path = dir.join(format!("{}-{weighted}.store", if crawl { "crawl" } else { "g" }));
        crate::store::write_store(&graph, load, None, Vec::new(), &path).unwrap();
        let streamed = crate::store::Store::open(&path).unwrap().into_graph().sharded().clone();
        assert!(streamed.cell_source().is_some());
        (memory, streamed, path)
    }

    #[test]
    fn streamed_rounds_equal_in_memory_ones_bit_for_bit_fused_or_blocked_in_any_groups() {
        let dir = tempfile::tempdir().unwrap();
        for crawl in [false, true] {
            for weighted in [true, false] {
                streamed_rounds_match(stored(dir.path(), crawl, weighted), crawl);
            }
        }
    }

    /// Streamed rounds of `streamed` against in-memory ones of `memory`, bit for bit.
    fn streamed_rounds_match((memory, streamed, path): (ShardedGraph, ShardedGraph, std::path::PathBuf), crawl: bool) {
        if crawl {
            // Compressed records (tag 1) go through the streamed decoders too: a crawl's
            // cells, coded at two bytes or more an edge, are stored in well under two.
            let cells: u64 = std::fs::read_dir(path.join("shards"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "cells"))
                .map(|p| std::fs::metadata(p).unwrap().len())
                .sum();
            assert!(cells < streamed.stats().edges * 3 / 2, "{cells} bytes");
        }
        let config = PageRankConfig {
            tolerance: 0.0,
            max_iterations: 6,
            ..PageRankConfig::default()
        };
        let run = |graph: &ShardedGraph, strategy: Strategy, f32s: bool| {
            let program = PageRankProgram::new(graph, &config, None).unwrap();
            let n = graph.nodes() as usize;
            let executor = LocalExecutor { strategy };
            let outcome = if f32s {
                executor.run_carrying::<_, f32>(
                    graph,
                    &program,
                    vec![1.0 / n as f64; n],
                    config.stop_rule(),
                    &mut |_| {},
                )
            } else {
                executor.run(
                    graph,
                    &program,
                    vec![1.0 / n as f64; n],
                    config.stop_rule(),
                    &mut |_| {},
                )
            };
            assert!(outcome.fault.is_none());
            outcome.states.iter().map(|r| r.to_bits()).collect::<Vec<u64>>()
        };
        // Kept once decoded: the rounds after the first reuse the first round's cells, all of
        // them or as many groups as fit (the others decoded every round).
        let mut kept = streamed.clone();
        kept.keep_decoded(u64::MAX);
        let mut part = streamed.clone();
        part.keep_decoded(streamed.decoded_cell_bytes() / 2);
        assert_eq!(kept.cells_where(), "memory");
        assert_eq!(part.cells_where(), "memory and streamed");
        assert_eq!(streamed.cells_where(), "streamed");
        for f32s in [false, true] {
            let expected = run(&memory, Strategy::Fused, f32s);
            for strategy in [
                Strategy::Auto,
                Strategy::Fused,
                Strategy::Blocked { group_edges: 3000 },
                Strategy::Blocked { group_edges: 1 },
                Strategy::Blocked { group_edges: 1 << 30 },
            ] {
                assert!(run(&streamed, strategy, f32s) == expected, "{strategy:?}, f32 {f32s}");
                assert!(run(&kept, strategy, f32s) == expected, "kept, {strategy:?}, f32 {f32s}");
                assert!(
                    run(&part, strategy, f32s) == expected,
                    "half kept, {strategy:?}, f32 {f32s}"
                );
            }
        }
        // A whole shard read back is the shard built, weights as given included.
        for s in 0..3 {
            let back = streamed.shard(s).unwrap();
            assert!(back.edges_iter().eq(memory.shards()[s].edges_iter()), "shard {s}");
        }
        assert_eq!(streamed.scaled_weight_sums(), memory.scaled_weight_sums());
    }

    #[test]
    fn groups_tile_the_blocks_and_pieces_cover_every_edge_once() {
        let dir = tempfile::tempdir().unwrap();
        let (memory, streamed, _) = stored(dir.path(), false, true);
        let source = streamed.cell_source().unwrap();
        for strategy in [Strategy::Fused, Strategy::Blocked { group_edges: 5000 }] {
            let layout = Layout::new(strategy, &streamed, source, (8, 8));
            assert!(layout.groups.windows(2).all(|g| g[0].blocks.end == g[1].blocks.start));
            assert_eq!(layout.groups.last().unwrap().blocks.end, block_count(streamed.nodes()));
            let edges: u64 = layout
                .groups
                .iter()
                .flat_map(|g| g.pieces.iter().map(|(s, b)| source.edges_into(*s, b.clone())))
                .sum();
            assert_eq!(edges, memory.stats().edges);
        }
    }
}
