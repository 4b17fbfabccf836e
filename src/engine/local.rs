//! The single-process executor: shards and destination blocks processed on a rayon pool.
//!
//! The map step runs over node chunks in parallel; the reduce step runs over tasks of
//! consecutive destination blocks in parallel (four blocks in a fused round, one in a blocked
//! one), each task walking the shards in order and combining each shard's cells into its
//! blocks' partial sums, which stay in cache. No locks, no atomics, no allocation per edge;
//! the thread count changes speed, never results.
//!
//! Two ways to get messages to the reduce step ([`Strategy`]): *fused*, where the reduce
//! reads each edge's message from the message array directly (a task streams the whole
//! array once), and *blocked* (propagation blocking), where a first pass copies the
//! messages, source block by source block, into a buffer in the edges' order and the reduce
//! then streams it. The sums are the same in the same order either way, so the strategy
//! changes speed only. Blocked rounds trade the fused round's reads of the message array,
//! once per task, for 3 × 4-8 bytes of buffer traffic per edge: worth it once the array
//! outgrows the last-level cache and the graph has many blocks (see [`Strategy::Auto`]).
//! A [`Carrier`] says how messages are stored between map and reduce: as they are, or as
//! `f32` for `f64` messages (half the bytes; PageRank's `--precision f32`).

use rayon::prelude::*;

use std::ops::Range;

use super::reduce::{Carrier, MessagesOf, ShardSums, apply_block, combine_shard, total_change, weighed};
use super::{IterationReport, Outcome, Rounds, VertexProgram};
use crate::graph::{Cell, Shard, ShardedGraph};
use crate::partition::{DESTINATION_BLOCK, block_count, block_of};

/// Node chunk of the map step.
const MAP_CHUNK: usize = 1 << 14;

/// How a round gets each edge's message to its destination block.
///
/// Runs take `Auto`; tests and the benchmarks (feature `internals`) force the others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
pub(crate) enum Strategy {
    /// [`Fused`](Strategy::Fused) while the stored messages fit in the last-level cache
    /// ([`FUSED_MESSAGE_BYTES`]) or while reading them once per fused task moves at most
    /// half the bytes a blocked round's buffer would (so R-MAT 22 and 23 are fused, scale
    /// 26 is not); else [`Blocked`](Strategy::Blocked) with groups of [`group_edges`].
    #[default]
    Auto,
    /// One pass: each task of destination blocks reads its edges' messages where they lie
    /// in the message array (cell by cell, each source block's messages front to back).
    Fused,
    /// Two passes (propagation blocking): source block by source block, the messages of
    /// each cell's edges are copied, in edge order, into a buffer (reads stay in one cached
    /// source block, writes stream); then destination block by destination block, the
    /// buffer is read in order and summed into the cached block. The destination blocks are
    /// taken in groups of at most `group_edges` edges, which bounds the buffer.
    Blocked {
        /// Largest number of edges (buffer entries) in one group.
        group_edges: usize,
    },
}

/// Bytes of stored messages (nodes × the carrier's size) up to which [`Strategy::Auto`] fuses
/// the two passes: three quarters of the 32 MiB last-level cache of the machine we measure
/// on, the rest left to the edges streaming by. Measured with cells in source order (2
/// threads, 20 iterations, one destination block a task): R-MAT 22 in f64 (19 MB of
/// messages) fused 0.048 s an iteration, blocked 0.084 s; R-MAT 23 in f32 (18 MB) fused
/// 0.113 s, blocked 0.141 s. Beyond it, `Strategy::Auto` weighs the two rounds' memory traffic.
pub(crate) const FUSED_MESSAGE_BYTES: usize = 24 << 20;

/// Bytes of sums a task of a fused round keeps: the 1 MiB L2 cache, four destination blocks
/// of `f64` sums. Each source block's messages are then read once for four destination
/// blocks instead of once for each. On R-MAT 23 in f64 (37 MB of messages, 2 threads, 10
/// iterations): one block a task 0.272 s an iteration, two 0.194 s, three 0.178 s, four
/// 0.154 s; 6 to 16 blocks measured 0.126-0.149 s, within the machine's noise of four, and
/// fewer, larger tasks balance worse on small graphs (R-MAT 22: 4 blocks 0.050 s, 8 blocks
/// 0.067 s).
pub(crate) const FUSED_TASK_BYTES: usize = 1 << 20;

/// Bytes of the buffer of [`Strategy::Auto`]'s blocked rounds at least (more on graphs of
/// many nodes: [`group_edges`]): 32 Mi messages in `f64`, 64 Mi in `f32`. Fewer, larger groups read the message array fewer times (once per group) and
/// wait at fewer barriers: on R-MAT 23 in f64, groups of 32 Mi edges took 0.229 s an
/// iteration against 0.249 s with 16 Mi; on R-MAT 22 a single group of 64 Mi edges was
/// faster still but raised the run's peak memory (868 against 831 MiB), this did not.
pub(crate) const GROUP_BYTES: usize = 256 << 20;

/// Edges (buffer entries) of a blocked round's group on a graph of `nodes` nodes whose
/// messages are carried in `carrier` bytes: [`GROUP_BYTES`] of buffer, or as many entries as
/// nodes when that is more. Each group reads the whole message array in its first pass, so on
/// a graph whose message array is large the groups grow with it, and the array is read at
/// most as many bytes as the buffer holds. On R-MAT 28 (121 M nodes, 970 MB of `f64`
/// messages, 4.26 G edges) 256 MiB groups made 133 of them, about 129 GB of reads an
/// iteration; a group of one entry a node makes 36. Twice the nodes (18 groups) measured
/// within the noise of it at R-MAT 28, and would take another 10 bytes a node: at the
/// moonshot's 147 M nodes, above the 32 bytes a node id + 1 GiB a ranking is held to.
pub(crate) fn group_edges(nodes: u64, carrier: usize) -> usize {
    (GROUP_BYTES / carrier.max(1)).max(usize::try_from(nodes).unwrap_or(usize::MAX))
}

/// Bytes a streamed blocked round's group buffer takes at most for a graph of `nodes` nodes,
/// whatever its carrier (`f64` or `f32`): a message and a 2-byte destination offset an edge.
pub(crate) fn group_buffer_bytes(nodes: u64) -> u64 {
    [8, 4]
        .iter()
        .map(|&c| group_edges(nodes, c) as u64 * (c as u64 + 2))
        .max()
        .unwrap_or(0)
}

/// Bytes the message buffer of a blocked round over a graph held in memory takes at most
/// (whatever the carrier), or 0 when its rounds are fused in both precisions.
pub(crate) fn held_buffer_bytes(nodes: u64, edges: u64) -> u64 {
    [8, 4]
        .iter()
        .filter(|&&c| !fuses(nodes, edges, (8, c)))
        .map(|&c| group_edges(nodes, c) as u64 * c as u64)
        .max()
        .unwrap_or(0)
}

/// Runs vertex programs on the current rayon pool.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LocalExecutor {
    /// How rounds are run.
    pub strategy: Strategy,
}

/// Iterates `program` on a graph held in memory (see [`LocalExecutor::run_rounds`], which
/// sends a store's graph to the streaming executor instead).
pub(super) fn run_in_memory<P: VertexProgram, C: Carrier<P::Message>>(
    executor: &LocalExecutor,
    graph: &ShardedGraph,
    program: &P,
    initial: Vec<P::State>,
    rounds: Rounds<'_, P::State>,
    observer: &mut dyn FnMut(&IterationReport),
) -> Outcome<P::State> {
    let mut states = initial;
    let mut next = states.clone();
    let mut messages: Vec<C> = vec![C::pack(program.identity()); states.len()];
    let plan = executor.plan::<P::Message, C>(graph);
    let mut buffer: Vec<C> = vec![C::pack(program.identity()); plan.as_ref().map_or(0, |p| p.buffer_len)];
    let (iterations, converged) = super::iterate(rounds, observer, &mut states, |states| {
        let change = match &plan {
            None => round_fused(graph, program, states, &mut messages, &mut next),
            Some(plan) => round_blocked(graph, program, plan, &mut buffer, states, &mut messages, &mut next),
        };
        std::mem::swap(states, &mut next);
        Some(change)
    });
    Outcome {
        states,
        iterations,
        converged,
        fault: None,
    }
}

impl LocalExecutor {
    /// The blocked plan for `graph`, or `None` when rounds are fused.
    fn plan<M, C>(&self, graph: &ShardedGraph) -> Option<BlockedPlan> {
        let group_edges = match self.strategy {
            Strategy::Fused => return None,
            Strategy::Blocked { group_edges } => group_edges,
            Strategy::Auto => {
                let sizes = (size_of::<M>(), size_of::<C>());
                if fuses(graph.nodes() as u64, graph.stats().edges, sizes) {
                    return None;
                }
                group_edges(graph.nodes() as u64, size_of::<C>())
            }
        };
        Some(BlockedPlan::new(graph, group_edges.max(1)))
    }

    /// One fused round; writes the new states into `next` and returns the total change.
    #[cfg(feature = "internals")]
    pub(crate) fn round<P: VertexProgram>(
        &self,
        graph: &ShardedGraph,
        program: &P,
        states: &[P::State],
        messages: &mut [P::Message],
        next: &mut [P::State],
    ) -> f64 {
        round_fused::<P, P::Message>(graph, program, states, messages, next)
    }
}

/// One fused round with messages stored as `C`.
fn round_fused<P: VertexProgram, C: Carrier<P::Message>>(
    graph: &ShardedGraph,
    program: &P,
    states: &[P::State],
    messages: &mut [C],
    next: &mut [P::State],
) -> f64 {
    let round = program.begin_round(graph, states);
    map(program, &round, states, messages);
    let messages: &[C] = messages;
    let blocks = block_count(graph.nodes());
    let mut changes = vec![0.0; blocks as usize];
    reduce_blocks(
        program,
        &round,
        graph.shards(),
        states,
        (next, &mut changes),
        0..blocks,
        fused_blocks_per_task(size_of::<P::Message>()),
        |shard, _, start, cell| {
            let (edges, weights) = graph.shards()[shard].cell_edges(start, cell);
            (
                edges,
                MessagesOf::Sources(block_of(messages, cell.source_block), weights),
            )
        },
    );
    total_change(&changes)
}

/// Destination blocks a task of a fused round reduces together: as many as keep the task's
/// sums (`message_bytes` each) within [`FUSED_TASK_BYTES`], at least one.
pub(super) fn fused_blocks_per_task(message_bytes: usize) -> u32 {
    (FUSED_TASK_BYTES / (DESTINATION_BLOCK as usize * message_bytes).max(1)).max(1) as u32
}

/// Whether [`Strategy::Auto`] fuses the rounds of a graph of `nodes` nodes and `edges` edges
/// whose messages take `sizes.0` bytes and are stored in `sizes.1`: when the stored messages
/// fit in [`FUSED_MESSAGE_BYTES`], or when a fused round's reads of the message array (once
/// per task, see [`reduce_task`]) take at most half the bytes a blocked round moves through
/// its buffer (written, read for ownership, read back: 3 × `sizes.1` an edge). Streaming the
/// messages once per task is costlier per byte than the buffer's sequential traffic: on
/// R-MAT 23 in f64 the fused round moved 1.85 GB in 0.15 s, the blocked one 4.7 GB in 0.20 s.
pub(super) fn fuses(nodes: u64, edges: u64, (message, carrier): (usize, usize)) -> bool {
    let stored = nodes * carrier as u64;
    if stored <= FUSED_MESSAGE_BYTES as u64 {
        return true;
    }
    let per_task = fused_blocks_per_task(message) as u64;
    let tasks = nodes.div_ceil(DESTINATION_BLOCK as u64).div_ceil(per_task);
    2 * tasks * stored <= edges * 3 * carrier as u64
}

/// The map step: every node's message, over node chunks in parallel.
pub(super) fn map<P: VertexProgram, C: Carrier<P::Message>>(
    program: &P,
    round: &P::Round,
    states: &[P::State],
    messages: &mut [C],
) {
    messages.par_chunks_mut(MAP_CHUNK).enumerate().for_each(|(c, chunk)| {
        let first = c * MAP_CHUNK;
        for (i, m) in chunk.iter_mut().enumerate() {
            let u = first + i;
            *m = C::pack(program.map(round, u as u32, states[u]));
        }
    });
}

/// Reduces destination blocks `blocks`, in parallel, `per_task` consecutive blocks a task,
/// into their states in `next`, and writes each block's change into `changes` (one per
/// block of `blocks`). `cell_messages` is as for [`reduce_task`].
#[allow(clippy::too_many_arguments)]
pub(super) fn reduce_blocks<'a, P: VertexProgram, C: Carrier<P::Message> + 'a>(
    program: &P,
    round: &P::Round,
    shards: &'a [Shard],
    states: &[P::State],
    (next, changes): (&mut [P::State], &mut [f64]),
    blocks: Range<u32>,
    per_task: u32,
    cell_messages: impl Fn(usize, usize, usize, Cell) -> (&'a [u32], MessagesOf<'a, C>) + Sync,
) where
    P::Message: 'a,
{
    let block = DESTINATION_BLOCK as usize;
    let span = blocks.start as usize * block..(blocks.end as usize * block).min(next.len());
    next[span]
        .par_chunks_mut(block * per_task as usize)
        .zip(changes.par_chunks_mut(per_task as usize))
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (i, (out, changes))| {
            let first = blocks.start + i as u32 * per_task;
            let task = first..(first + per_task).min(blocks.end);
            reduce_task(
                program,
                round,
                shards,
                states,
                (task, out, changes),
                scratch,
                &cell_messages,
            )
        });
}

/// Reduces consecutive destination blocks `task` (combine within each shard, shards in
/// order, apply) into their new states `out`, and writes each block's change into
/// `changes`. `cell_messages(shard, index, start, cell)` gives a cell's packed edges and
/// where their messages are.
///
/// The first shard with edges into the task accumulates straight into the sums, which hold
/// the identity: the same arithmetic as `identity ⊕ partial`, one pass fewer.
fn reduce_task<'a, P: VertexProgram, C: Carrier<P::Message> + 'a>(
    program: &P,
    round: &P::Round,
    shards: &'a [Shard],
    states: &[P::State],
    (task, out, changes): (Range<u32>, &mut [P::State], &mut [f64]),
    scratch: &mut Scratch<P::Message>,
    cell_messages: impl Fn(usize, usize, usize, Cell) -> (&'a [u32], MessagesOf<'a, C>),
) where
    P::Message: 'a,
{
    let block = DESTINATION_BLOCK as usize;
    let task_start = task.start as usize * block;
    let Scratch { sums, order } = scratch;
    sums.begin(program, out.len());
    for (s, shard) in shards.iter().enumerate() {
        let cells = shard.cell_indices_into(task.clone());
        if cells.is_empty() {
            continue; // this shard's partial is the identity: nothing to add
        }
        let edges = shard.cells()[cells.end - 1].end as usize - shard.cell_start(cells.start);
        let messages = |i, start, cell| cell_messages(s, i, start, cell);
        let fold = |sums: &mut [P::Message]| {
            combine_shard(program, shard, task.clone(), sums, order, messages);
        };
        // Each cell's edges, offset by where its destination block lies in the task.
        let touched = cells.flat_map(|i| {
            let cell = shard.cells()[i];
            let at = (cell.destination_block - task.start) as usize * block;
            let (keys, _) = shard.cell_edges(shard.cell_start(i), cell);
            keys.iter().map(move |&e| at + (e & 0xFFFF) as usize)
        });
        sums.shard(program, edges, fold, touched);
    }
    for (b, ((out, sums), change)) in out
        .chunks_mut(block)
        .zip(sums.sums().chunks(block))
        .zip(changes.iter_mut())
        .enumerate()
    {
        let start = task_start + b * block;
        *change = apply_block(
            program,
            round,
            start as u32,
            &states[start..start + out.len()],
            sums,
            out,
        );
    }
}

/// Copies each edge's source message into `out` (pass 1 of a blocked round).
#[inline]
fn gather<C: Copy>(out: &mut [C], edges: &[u32], sources: &[C]) {
    for (o, &e) in out.iter_mut().zip(edges) {
        *o = sources[(e >> 16) as usize];
    }
}

/// A reduce task's sums and cell order, kept from task to task instead of allocated per
/// task (256 KiB a block: above glibc's initial mmap threshold, so every task would map and
/// unmap fresh pages). No speed difference has been measured either way.
struct Scratch<M> {
    sums: ShardSums<M>,
    order: Vec<u32>,
}

impl<M: Copy> Default for Scratch<M> {
    fn default() -> Self {
        Scratch {
            sums: ShardSums::default(),
            order: Vec::new(),
        }
    }
}

/// The layout of a blocked round, computed once per run.
struct BlockedPlan {
    groups: Vec<Group>,
    /// For every shard and cell, where the cell's messages start in its group's buffer.
    cell_values: Vec<Vec<usize>>,
    /// Entries of the largest group's buffer.
    buffer_len: usize,
}

/// Consecutive destination blocks whose messages are buffered together.
pub(super) struct Group {
    blocks: Range<u32>,
    /// Copy tasks in buffer order: one per (shard, source block).
    units: Vec<Unit>,
    /// The cells of every unit, unit after unit, in destination-block order.
    unit_cells: Vec<u32>,
    /// Buffer entries of the group.
    pub len: usize,
}

/// The cells of one shard from one source block into one group.
struct Unit {
    shard: usize,
    source_block: u32,
    cells: Range<usize>,
    /// Buffer entries of its cells.
    len: usize,
}

impl BlockedPlan {
    fn new(graph: &ShardedGraph, group_edges: usize) -> BlockedPlan {
        let blocks = block_count(graph.nodes());
        let mut block_edges = vec![0usize; blocks as usize];
        let shards = graph.shards();
        for shard in shards {
            for (i, c) in shard.cells().iter().enumerate() {
                block_edges[c.destination_block as usize] += c.end as usize - shard.cell_start(i);
            }
        }
        let mut cell_values: Vec<Vec<usize>> = shards.iter().map(|s| vec![0; s.cell_count()]).collect();
        let (mut groups, mut first, mut buffer_len) = (Vec::new(), 0u32, 0usize);
        while first < blocks {
            let (mut last, mut edges) = (first, 0usize);
            while last < blocks && (last == first || edges + block_edges[last as usize] <= group_edges) {
                edges += block_edges[last as usize];
                last += 1;
            }
            let group = Group::new(shards, first..last, &mut cell_values);
            buffer_len = buffer_len.max(group.len);
            groups.push(group);
            first = last;
        }
        BlockedPlan {
            groups,
            cell_values,
            buffer_len,
        }
    }
}

impl Group {
    /// The group of destination blocks `blocks` over `shards`; fills in where each of their
    /// cells' messages go in the buffer.
    pub(super) fn new(shards: &[Shard], blocks: Range<u32>, cell_values: &mut [Vec<usize>]) -> Group {
        let (mut units, mut unit_cells, mut len) = (Vec::new(), Vec::new(), 0usize);
        for (s, shard) in shards.iter().enumerate() {
            let mut order: Vec<u32> = shard.cell_indices_into(blocks.clone()).map(|i| i as u32).collect();
            // Stable: each source block's cells stay in destination-block order.
            order.sort_by_key(|&i| shard.cells()[i as usize].source_block);
            let source_block = |i: u32| shard.cells()[i as usize].source_block;
            for piece in order.chunk_by(|&a, &b| source_block(a) == source_block(b)) {
                // The unit's cells take consecutive pieces of the buffer, in this order.
                let start = len;
                for &i in piece {
                    let i = i as usize;
                    cell_values[s][i] = len;
                    len += shard.cells()[i].end as usize - shard.cell_start(i);
                }
                let first = unit_cells.len();
                unit_cells.extend_from_slice(piece);
                units.push(Unit {
                    shard: s,
                    source_block: source_block(piece[0]),
                    cells: first..unit_cells.len(),
                    len: len - start,
                });
            }
        }
        Group {
            blocks,
            units,
            unit_cells,
            len,
        }
    }
}

/// One blocked round (see [`Strategy::Blocked`]); the same sums in the same order as a fused
/// round, so with the identity carrier the states are bit-identical.
fn round_blocked<P: VertexProgram, C: Carrier<P::Message>>(
    graph: &ShardedGraph,
    program: &P,
    plan: &BlockedPlan,
    buffer: &mut [C],
    states: &[P::State],
    messages: &mut [C],
    next: &mut [P::State],
) -> f64 {
    let round = program.begin_round(graph, states);
    map(program, &round, states, messages);
    let messages: &[C] = messages;
    let mut changes = vec![0.0; block_count(graph.nodes()) as usize];
    for group in &plan.groups {
        let on = Blocked {
            shards: graph.shards(),
            group,
            cell_values: &plan.cell_values,
        };
        on.run(program, &round, buffer, states, messages, next, &mut changes);
    }
    total_change(&changes)
}

/// One group of a blocked round over `shards`: the two passes for its destination blocks.
pub(super) struct Blocked<'a> {
    pub shards: &'a [Shard],
    pub group: &'a Group,
    /// For every shard and cell, where the cell's messages start in the buffer.
    pub cell_values: &'a [Vec<usize>],
}

impl Blocked<'_> {
    /// Runs both passes, writing the group's blocks' states into `next` and their changes
    /// into `changes` (indexed by block, for all blocks).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run<P: VertexProgram, C: Carrier<P::Message>>(
        &self,
        program: &P,
        round: &P::Round,
        buffer: &mut [C],
        states: &[P::State],
        messages: &[C],
        next: &mut [P::State],
        changes: &mut [f64],
    ) {
        let Blocked {
            shards,
            group,
            cell_values,
        } = *self;
        // pass 1: source block by source block, copy each edge's message into the buffer
        let mut pieces = Vec::with_capacity(group.units.len());
        let mut rest = &mut buffer[..group.len];
        for unit in &group.units {
            let (piece, tail) = rest.split_at_mut(unit.len);
            pieces.push(piece);
            rest = tail;
        }
        group.units.par_iter().zip(pieces).for_each(|(unit, piece)| {
            let shard = &shards[unit.shard];
            let sources = block_of(messages, unit.source_block);
            let mut at = 0;
            for &i in &group.unit_cells[unit.cells.clone()] {
                let i = i as usize;
                let (edges, weights) = shard.cell_edges(shard.cell_start(i), shard.cells()[i]);
                let out = &mut piece[at..at + edges.len()];
                match weights {
                    None => gather(out, edges, sources),
                    Some(w) => {
                        for ((o, &e), &w) in out.iter_mut().zip(edges).zip(w) {
                            *o = weighed(program, sources[(e >> 16) as usize], w);
                        }
                    }
                }
                at += edges.len();
            }
        });
        // pass 2: destination block by destination block, sum the buffer into the block
        let buffer: &[C] = buffer;
        let blocks = group.blocks.start as usize..group.blocks.end as usize;
        reduce_blocks(
            program,
            round,
            shards,
            states,
            (next, &mut changes[blocks]),
            group.blocks.clone(),
            1,
            |s, index, start, cell| {
                let at = cell_values[s][index];
                let (edges, _) = shards[s].cell_edges(start, cell);
                (edges, MessagesOf::Carried(&buffer[at..at + edges.len()]))
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{BuildOptions, build, collect::pack};

    #[test]
    fn groups_grow_with_the_nodes_and_their_buffers_are_counted() {
        // Small graphs: 256 MiB of buffer; large ones: one entry a node.
        assert_eq!(group_edges(1000, 8), GROUP_BYTES / 8);
        assert_eq!(group_edges(1000, 4), GROUP_BYTES / 4);
        assert_eq!(group_edges(121_244_865, 8), 121_244_865);
        // A streamed group at most: f32's 64 Mi entries of 6 bytes beat f64's 32 Mi of 10.
        assert_eq!(group_buffer_bytes(1000), (GROUP_BYTES / 4 * 6) as u64);
        assert_eq!(group_buffer_bytes(121_244_865), 121_244_865 * 10);
        // R-MAT 22's shape is fused in both precisions (no buffer), scale 26's is blocked.
        assert_eq!(held_buffer_bytes(2_395_582, 65_245_061), 0);
        assert!(held_buffer_bytes(32_800_000, 1_060_380_131) >= 32_800_000 * 8);
    }

    #[test]
    fn fusing_is_weighed_by_memory_traffic() {
        let (f64s, f32s) = ((8, 8), (8, 4));
        // R-MAT 22 and 23 as generated here: messages in the cache, or streamed once per
        // task of four blocks (1.3 GB at scale 23) against a 3.1 GB buffer.
        assert!(fuses(2_395_582, 65_245_061, f64s));
        assert!(fuses(4_609_149, 131_163_960, f32s));
        assert!(fuses(4_609_149, 131_163_960, f64s));
        // Scale 26: 256 tasks would each stream 262 MB of messages; the buffer moves 25 GB.
        assert!(!fuses(32_800_000, 1_060_380_131, f64s));
        assert!(!fuses(32_800_000, 1_060_380_131, f32s));
        // Sparse graphs with many nodes block as soon as the messages leave the cache.
        assert!(!fuses(4 << 20, 4 << 20, f64s));
        assert!(fuses(3 << 20, 0, f32s));
        assert_eq!(fused_blocks_per_task(8), 4);
        assert_eq!(fused_blocks_per_task(4), 8);
    }

    #[test]
    fn auto_fuses_while_the_messages_fit_and_blocks_beyond() {
        // 4 Mi nodes: 32 MiB of f64 messages (blocked), 16 MiB of f32 ones (fused).
        let n = 4 << 20;
        let keys = (0..n).step_by(1000).map(|u| pack(u, (u * 7 + 3) % n)).collect();
        let graph = build(keys, None, n, &BuildOptions::default());
        let auto = LocalExecutor::default();
        let plan = auto
            .plan::<f64, f64>(&graph)
            .expect("32 MiB of f64 messages outgrow the cache");
        assert_eq!(
            plan.buffer_len as u64,
            graph.stats().edges,
            "one group holds every edge"
        );
        assert!(
            auto.plan::<f64, f32>(&graph).is_none(),
            "messages stored as f32 take 16 MiB: fused"
        );
        let small = build(
            (0..n / 2).step_by(1000).map(|u| pack(u, u + 1)).collect(),
            None,
            n / 2,
            &BuildOptions::default(),
        );
        assert!(auto.plan::<f64, f64>(&small).is_none(), "16 MiB of f64 messages fuse");
        let fused = LocalExecutor {
            strategy: Strategy::Fused,
        };
        assert!(fused.plan::<f64, f64>(&graph).is_none());
        // Forced groups of 500 edges: several, tiling the blocks in order, holding every edge.
        let blocked = LocalExecutor {
            strategy: Strategy::Blocked { group_edges: 500 },
        };
        let plan = blocked.plan::<f64, f64>(&graph).unwrap();
        assert!(plan.groups.len() > 1);
        assert!(plan.groups.windows(2).all(|g| g[0].blocks.end == g[1].blocks.start));
        assert_eq!(
            plan.groups.iter().map(|g| g.len as u64).sum::<u64>(),
            graph.stats().edges
        );
    }
}
