//! The reduce kernel every executor shares: how a shard's edges become partial sums, how
//! partial sums are added, how a block's new states and its change are computed, and how a
//! round's change is totalled.
//!
//! The arithmetic contract (see `docs/design.md`), which makes the local and the distributed
//! executors bit-identical for any thread, worker or process count:
//!
//! ```text
//! partial(s, v) = identity ⊕ m(u₁)·w₁ ⊕ m(u₂)·w₂ ⊕ …              (shard s's edges into v, sources ascending)
//! reduced[v]    = identity ⊕ partial(s₀, v) ⊕ partial(s₁, v) ⊕ …    (shards with edges into v's block, in order)
//! change(b)     = 0 + Σ change(x[v], x'[v]) over v in block b, in order
//! change        = Σ change(b) over blocks b, in order
//! ```
//!
//! Only these functions do that arithmetic; the executors decide where each piece runs and
//! how partial sums travel.

use std::ops::Range;

use super::VertexProgram;
use crate::graph::{Cell, Shard};
use crate::partition::DESTINATION_BLOCK;

/// How a message is stored between the map step and the reduce.
///
/// The identity for every message type (bit-identical to the message itself), or `f32` for
/// `f64` messages: half the bytes, each message rounded once to 24 bits.
pub(crate) trait Carrier<M>: Copy + Send + Sync {
    /// The stored form of a message.
    fn pack(message: M) -> Self;
    /// The message back.
    fn unpack(self) -> M;
}

impl<M: Copy + Send + Sync> Carrier<M> for M {
    #[inline(always)]
    fn pack(message: M) -> M {
        message
    }
    #[inline(always)]
    fn unpack(self) -> M {
        self
    }
}

impl Carrier<f64> for f32 {
    #[inline(always)]
    fn pack(message: f64) -> f32 {
        message as f32
    }
    #[inline(always)]
    fn unpack(self) -> f64 {
        self as f64
    }
}

/// Where a cell's edge messages come from.
pub(crate) enum MessagesOf<'a, C> {
    /// The source block's stored messages, indexed by the edges' source offsets (and weighed
    /// by the edge weights, when there are some).
    Sources(&'a [C], Option<&'a [f64]>),
    /// One message per edge, already weighed, in edge order (a blocked round's buffer).
    Carried(&'a [C]),
}

/// Folds the cells of `shard` whose destinations lie in the consecutive destination blocks
/// `task` into `sums` (one value per destination of the task, starting at the task's first
/// block). `cell_messages(index, start, cell)` gives a cell's packed edges and where their
/// messages are; `order` is scratch space.
///
/// The cells are taken source block by source block, and for each source block the task's
/// destination blocks in order, so a task of several blocks reads each source block's
/// messages once for all of them. Each destination still receives the shard's edges in
/// ascending source order, so the sums do not depend on how many blocks a task takes.
/// Returns whether the shard has any edge into the task (if not, `sums` is untouched).
pub(crate) fn combine_shard<'a, P: VertexProgram, C: Carrier<P::Message> + 'a>(
    program: &P,
    shard: &'a Shard,
    task: Range<u32>,
    sums: &mut [P::Message],
    order: &mut Vec<u32>,
    cell_messages: impl Fn(usize, usize, Cell) -> (&'a [u32], MessagesOf<'a, C>),
) -> bool
where
    P::Message: 'a,
{
    let cells = shard.cell_indices_into(task.clone());
    if cells.is_empty() {
        return false;
    }
    let block = DESTINATION_BLOCK as usize;
    let len = sums.len();
    order.clear();
    order.extend(cells.map(|i| i as u32));
    if task.len() > 1 {
        // Stable: each source block's cells stay in destination-block order.
        order.sort_by_key(|&i| shard.cells()[i as usize].source_block);
    }
    for &i in order.iter() {
        let i = i as usize;
        let cell = shard.cells()[i];
        let at = (cell.destination_block - task.start) as usize * block;
        let sums = &mut sums[at..(at + block).min(len)];
        let (edges, messages) = cell_messages(i, shard.cell_start(i), cell);
        match messages {
            MessagesOf::Sources(sources, weights) => combine_cell(program, sums, sources, edges, weights),
            MessagesOf::Carried(values) => fold_cell(program, sums, edges, |i, _| values[i].unpack()),
        }
    }
    true
}

/// Adds a shard's partial sums into the sums of the shards before it:
/// `reduced[v] = reduced[v] ⊕ partial[v]`.
#[inline]
pub(crate) fn add_partial<P: VertexProgram>(program: &P, reduced: &mut [P::Message], partial: &[P::Message]) {
    for (r, p) in reduced.iter_mut().zip(partial) {
        *r = program.combine(*r, *p);
    }
}

/// Applies the program to the nodes `first..first + out.len()` (one destination block, or
/// the part of one): their old states `old`, their reduced sums `sums`, their new states
/// into `out`. Returns the block's change, added in node order.
#[inline]
pub(crate) fn apply_block<P: VertexProgram>(
    program: &P,
    round: &P::Round,
    first: u32,
    old: &[P::State],
    sums: &[P::Message],
    out: &mut [P::State],
) -> f64 {
    let mut change = 0.0;
    for (i, ((new, &sum), &old)) in out.iter_mut().zip(sums).zip(old).enumerate() {
        *new = program.apply(round, first + i as u32, old, sum);
        change += program.change(old, *new);
    }
    change
}

/// Folds messages already weighed into the partial sums of a destination block, in order:
/// `partial[destinations[i]] ⊕= values[i]` (a streamed blocked round's second pass, whose
/// buffer holds each edge's destination offset beside its message).
#[inline]
pub(crate) fn fold_carried<P: VertexProgram, C: Carrier<P::Message>>(
    program: &P,
    partial: &mut [P::Message],
    destinations: &[u16],
    values: &[C],
) {
    for (&d, &v) in destinations.iter().zip(values) {
        let d = d as usize;
        partial[d] = program.combine(partial[d], v.unpack());
    }
}

/// A shard's partial sums are added where its edges point, instead of over the whole range,
/// when it has fewer edges into the range than the range has entries over this.
const SPARSE_SHARD: usize = 4;

/// The sums of a range of destinations over the shards, shard after shard, as both
/// executors reduce them: the first shard's edges fold straight into the sums (which start
/// as the identity), each later shard's into a partial that is then added, entry by entry.
///
/// A shard with few edges into the range (R-MAT 28 in 254 shards: about 4,500 into each
/// block of 32,768) has its partial added only where its edges point, and the identity put
/// back there, instead of the whole partial being filled and added (which was 12 % of a
/// streamed R-MAT 28 round). Both give the same bits: every entry skipped, and every repeat
/// after the first, would add the identity, which leaves a sum unchanged (the
/// [`VertexProgram::identity`] contract).
pub(crate) struct ShardSums<M> {
    sums: Vec<M>,
    partial: Vec<M>,
    /// `partial` holds more than the identity (a whole-range add left it so).
    dirty: bool,
    /// No shard was folded in since [`begin`](Self::begin).
    first: bool,
}

impl<M: Copy> Default for ShardSums<M> {
    fn default() -> Self {
        ShardSums {
            sums: Vec::new(),
            partial: Vec::new(),
            dirty: false,
            first: true,
        }
    }
}

impl<M: Copy> ShardSums<M> {
    /// Starts a range of `len` destinations, all sums the identity.
    pub(crate) fn begin<P: VertexProgram<Message = M>>(&mut self, program: &P, len: usize) {
        self.sums.clear();
        self.sums.resize(len, program.identity());
        self.partial.resize(len, program.identity());
        self.first = true;
    }

    /// Folds in the next shard, which has `edges` edges into the range: `fold` folds them
    /// into the slice it is given (all identity), and `touched` lists the destinations they
    /// went to (repeats allowed; only read when the edges are few).
    #[inline]
    pub(crate) fn shard<P: VertexProgram<Message = M>>(
        &mut self,
        program: &P,
        edges: usize,
        fold: impl FnOnce(&mut [M]),
        touched: impl IntoIterator<Item = usize>,
    ) {
        if self.first {
            fold(&mut self.sums);
            self.first = false;
            return;
        }
        if self.dirty {
            self.partial.fill(program.identity());
            self.dirty = false;
        }
        fold(&mut self.partial);
        if edges.saturating_mul(SPARSE_SHARD) < self.sums.len() {
            for d in touched {
                self.sums[d] = program.combine(self.sums[d], self.partial[d]);
                self.partial[d] = program.identity();
            }
        } else {
            add_partial(program, &mut self.sums, &self.partial);
            self.dirty = true;
        }
    }

    /// The sums of the shards folded in so far.
    pub(crate) fn sums(&self) -> &[M] {
        &self.sums
    }
}

/// A round's change from its blocks' changes, added in block order.
#[inline]
pub(crate) fn total_change(per_block: &[f64]) -> f64 {
    per_block.iter().fold(0.0, |total, &c| total + c)
}

/// An edge's weighed message, stored as `C`: rounded once, wherever it is made.
#[inline(always)]
pub(crate) fn weighed<P: VertexProgram, C: Carrier<P::Message>>(program: &P, source: C, weight: f64) -> C {
    C::pack(program.weigh(source.unpack(), weight))
}

/// Folds one cell's edges into the partial sums of its destination block: for every edge,
/// `partial[destination] ⊕= message[source]` (weighed when the graph is weighted). The
/// engine's hot loop: both arrays are block-sized and stay in cache; a cell is ordered by
/// source, so the messages are read front to back and the sums written at random in L2.
#[inline]
fn combine_cell<P: VertexProgram, C: Carrier<P::Message>>(
    program: &P,
    partial: &mut [P::Message],
    sources: &[C],
    edges: &[u32],
    weights: Option<&[f64]>,
) {
    match weights {
        None => fold_cell(program, partial, edges, |_, e| sources[(e >> 16) as usize].unpack()),
        Some(w) => fold_cell(program, partial, edges, |i, e| {
            // Rounded as a blocked round's copy pass rounds it, so both strategies agree.
            weighed(program, sources[(e >> 16) as usize], w[i]).unpack()
        }),
    }
}

/// [`combine_cell`] for one way of reading an edge's message (monomorphised, so the weighted
/// and unweighted loops carry no per-edge test).
#[inline(always)]
fn fold_cell<P: VertexProgram>(
    program: &P,
    partial: &mut [P::Message],
    edges: &[u32],
    message: impl Fn(usize, u32) -> P::Message,
) {
    for (i, &e) in edges.iter().enumerate() {
        let d = (e & 0xFFFF) as usize;
        partial[d] = program.combine(partial[d], message(i, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ShardedGraph;

    /// Sums of `f64`, the shape of PageRank's reduce without its graph.
    struct Sum;

    impl VertexProgram for Sum {
        type State = f64;
        type Message = f64;
        type Round = ();

        fn begin_round(&self, _: &ShardedGraph, _: &[f64]) {}
        fn map(&self, _: &(), _: u32, state: f64) -> f64 {
            state
        }
        fn weigh(&self, message: f64, weight: f64) -> f64 {
            message * weight
        }
        fn identity(&self) -> f64 {
            0.0
        }
        fn combine(&self, a: f64, b: f64) -> f64 {
            a + b
        }
        fn apply(&self, _: &(), _: u32, _: f64, reduced: f64) -> f64 {
            reduced
        }
        fn change(&self, old: f64, new: f64) -> f64 {
            (old - new).abs()
        }
    }

    #[test]
    fn shard_sums_add_few_edges_where_they_point_with_the_bits_of_whole_partials() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut sums = ShardSums::default();
        let mut sparse_and_dense = (0, 0);
        for len in [1000usize, 777, 1000] {
            // Shards of few edges (added where they point) and of many (added whole), in
            // an order that leaves the partial dirty before a sparse shard, with repeated
            // destinations and values of very different sizes.
            let shards: Vec<Vec<(u16, f64)>> = [3, 900, 40, 0, 249, 250, 2500, 7, 1, 600, 12]
                .iter()
                .map(|&n| {
                    (0..n)
                        .map(|_| {
                            let d = (next() % len as u64) as u16;
                            let scale = [1e-9, 1.0, 1e6][(next() % 3) as usize];
                            (d, (next() >> 11) as f64 / (1u64 << 53) as f64 * scale)
                        })
                        .collect()
                })
                .collect();
            // The reference: the first shard folded into the sums, every later shard into a
            // fresh partial added whole.
            let mut expected = vec![0.0f64; len];
            let mut first = true;
            for edges in shards.iter().filter(|e| !e.is_empty()) {
                let mut partial = vec![0.0f64; len];
                let target = if first { &mut expected } else { &mut partial };
                for &(d, v) in edges {
                    target[d as usize] += v;
                }
                if !first {
                    for (e, p) in expected.iter_mut().zip(&partial) {
                        *e += p;
                    }
                }
                first = false;
            }
            sums.begin(&Sum, len);
            for edges in shards.iter().filter(|e| !e.is_empty()) {
                if edges.len() * SPARSE_SHARD < len {
                    sparse_and_dense.0 += 1;
                } else {
                    sparse_and_dense.1 += 1;
                }
                let fold = |target: &mut [f64]| {
                    for &(d, v) in edges {
                        target[d as usize] += v;
                    }
                };
                sums.shard(&Sum, edges.len(), fold, edges.iter().map(|&(d, _)| d as usize));
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(sums.sums()), bits(&expected), "range of {len}");
        }
        assert!(
            sparse_and_dense.0 >= 15 && sparse_and_dense.1 >= 9,
            "{sparse_and_dense:?}"
        );
    }
}
