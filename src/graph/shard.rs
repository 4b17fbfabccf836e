//! A shard: the edges whose source lies in one source range, cut into cache-sized cells.
//!
//! Node ids are grouped into blocks of [`BLOCK`] consecutive ids. A shard's edges are stored
//! cell by cell, a cell being the edges from one source block into one destination block,
//! ordered by (destination block, source block); inside a cell, edges are ordered by
//! (source, destination) and stored as two 16-bit offsets into their blocks, 4 bytes an edge.
//! While the engine reduces one destination block, the partial sums of that block and the
//! messages of one source block are all it touches: both stay in the L2 cache.
//!
//! Source order inside a cell makes the engine read the source block's messages front to
//! back (a stream the prefetcher follows, even from L3 or memory) and scatter into the
//! destination block's sums, which the block's task keeps in L2; and consecutive edges
//! almost never share a destination, so their additions do not wait on each other. In a
//! model of the loop on R-MAT 22 and 23 (2 threads), the same cells in destination order
//! took 1.1 to 3 times as long (random reads of messages, and chains of additions into hub
//! destinations); see docs/benchmarks.md, session 5.
//!
//! For any destination, a shard's edges into it appear in ascending source order, so the
//! shard's partial sum is added in the same order whatever the block size.

use std::ops::Range;

use crate::partition::{BLOCK, BLOCK_BITS};

/// The edges of one (source block, destination block) pair inside a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Destination block number.
    pub destination_block: u32,
    /// Source block number.
    pub source_block: u32,
    /// End of the cell's edges in the shard's edge array.
    pub end: u64,
}

/// The edges of one source range, in cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Shard {
    /// The source ids this shard owns.
    pub source_range: Range<u32>,
    /// Non-empty cells, ordered by (destination block, source block).
    cells: Vec<Cell>,
    /// `source offset << 16 | destination offset`, cell after cell.
    edges: Vec<u32>,
    /// Edge weights, aligned with `edges`, each divided by its source's power of two
    /// ([`Shard::weight_exponent`]), so that a node's largest weight is at most 2^32 and its
    /// shares can be summed and sent without overflow or underflow.
    weights: Option<Vec<f64>>,
    /// Per source of the range, the power of two its weights were divided by (2^e), when
    /// some source's weights needed it; `None` when every weight is stored as given.
    weight_exponents: Option<Vec<i16>>,
}

/// A node whose largest out-weight lies in `[2^-32, 2^32)` keeps its weights as given: its
/// weight sum and the shares `rank / sum`, even rounded to `f32`, are far from overflow and
/// underflow, and ordinary weights (counts, fractions) keep their exact arithmetic. Outside,
/// the weights are divided by the power of two of the largest one, which is exact.
const UNSCALED_WEIGHTS: std::ops::Range<f64> = (1.0 / 4_294_967_296.0)..4_294_967_296.0;

/// 2^k for k in `-1022..=1023` (a normal number).
fn power_of_two(k: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `x · 2^k`, rounded once: exact whenever the result is a normal number or `x` is scaled
/// up without overflow. `k` lies in `-1074..=1074`.
pub(crate) fn times_power_of_two(x: f64, k: i32) -> f64 {
    if k > 1023 {
        // Scaling up: both steps are exact.
        x * power_of_two(1023) * power_of_two(k - 1023)
    } else if k < -1022 {
        // The first step stays normal whenever the result is representable; only the last
        // step can round.
        x * power_of_two(k + 52) * power_of_two(-52)
    } else {
        x * power_of_two(k)
    }
}

/// The exponent e of a finite `x > 0`: `x / 2^e` lies in `[1, 2)` (subnormals included).
fn binary_exponent(x: f64) -> i32 {
    let field = ((x.to_bits() >> 52) & 0x7FF) as i32;
    if field == 0 {
        binary_exponent(x * power_of_two(64)) - 64
    } else {
        field - 1023
    }
}

/// The power of two a node whose largest out-weight is `max` divides its weights by.
fn weight_exponent_for(max: f64) -> i32 {
    if max == 0.0 || UNSCALED_WEIGHTS.contains(&max) {
        0
    } else {
        binary_exponent(max)
    }
}

/// The sort key that puts edges in storage order: destination block, source block, source,
/// destination.
#[inline]
pub(crate) fn storage_key(source: u32, destination: u32) -> u64 {
    let (sb, so) = ((source >> BLOCK_BITS) as u64, (source & (BLOCK - 1)) as u64);
    let (db, dof) = ((destination >> BLOCK_BITS) as u64, (destination & (BLOCK - 1)) as u64);
    let block_bits = 32 - BLOCK_BITS;
    (((db << block_bits | sb) << BLOCK_BITS | so) << BLOCK_BITS) | dof
}

/// The (source, destination) of a [`storage_key`].
#[inline]
pub(crate) fn from_storage_key(key: u64) -> (u32, u32) {
    let mask = (BLOCK - 1) as u64;
    let dof = key & mask;
    let so = (key >> BLOCK_BITS) & mask;
    let sb = (key >> (2 * BLOCK_BITS)) & ((1u64 << (32 - BLOCK_BITS)) - 1);
    let db = key >> (2 * BLOCK_BITS + 32 - BLOCK_BITS);
    (((sb << BLOCK_BITS) | so) as u32, ((db << BLOCK_BITS) | dof) as u32)
}

/// Appends one edge, given in storage order, to a shard's cells: extends the last cell or
/// opens a new one, and returns the packed edge for the edge array. `end` is the edge's end
/// position in the shard's edge array.
#[inline]
pub(crate) fn append_edge(cells: &mut Vec<Cell>, source: u32, destination: u32, end: u64) -> u32 {
    let (sb, db) = (source >> BLOCK_BITS, destination >> BLOCK_BITS);
    match cells.last_mut() {
        Some(c) if c.destination_block == db && c.source_block == sb => c.end = end,
        _ => cells.push(Cell {
            destination_block: db,
            source_block: sb,
            end,
        }),
    }
    ((source & (BLOCK - 1)) << 16) | (destination & (BLOCK - 1))
}

impl Shard {
    /// A shard from its arrays: cells in storage order with their ends, packed edges, and
    /// one weight per edge when weighted.
    pub(crate) fn from_parts(
        source_range: Range<u32>,
        cells: Vec<Cell>,
        edges: Vec<u32>,
        weights: Option<Vec<f64>>,
    ) -> Shard {
        assert_eq!(
            cells.last().map_or(0, |c| c.end as usize),
            edges.len(),
            "cells cover the edges"
        );
        if let Some(w) = &weights {
            assert_eq!(w.len(), edges.len(), "one weight per edge");
        }
        let mut shard = Shard {
            source_range,
            cells,
            edges,
            weights,
            weight_exponents: None,
        };
        shard.scale_weights();
        shard
    }

    /// A shard from arrays read back from a store: cells, packed edges, weights as stored
    /// (already scaled) and the scales, when the whole shard was read. Nothing is rescaled.
    pub(crate) fn from_stored(
        source_range: Range<u32>,
        cells: Vec<Cell>,
        edges: Vec<u32>,
        weights: Option<Vec<f64>>,
        weight_exponents: Option<Vec<i16>>,
    ) -> Shard {
        debug_assert_eq!(cells.last().map_or(0, |c| c.end as usize), edges.len());
        Shard {
            source_range,
            cells,
            edges,
            weights,
            weight_exponents,
        }
    }

    /// Sizes the shard's arrays for `cells` cells and `edges` edges (weights too when
    /// `weighted`), keeping their capacity, and hands them out to be filled: the cells'
    /// ends must then be filled in against the whole edge array.
    pub(crate) fn resize_for(&mut self, cells: usize, edges: usize, weighted: bool) -> super::CellSlices<'_> {
        let empty = Cell {
            destination_block: 0,
            source_block: 0,
            end: 0,
        };
        self.cells.resize(cells, empty);
        // The decoders write every edge and weight: an array that must grow is allocated
        // afresh and zeroed, which the allocator leaves to the system's zeroed pages, so that
        // the pages are first touched by the decoders, in parallel, rather than written with
        // zeros here first, on one thread (R-MAT 26 held: first iteration 15.2-16.6 s so,
        // 6.9-8.0 s now; docs/benchmarks.md).
        fill_to(&mut self.edges, edges, 0);
        self.weight_exponents = None;
        if weighted {
            fill_to(self.weights.get_or_insert_default(), edges, 0.0);
        } else {
            self.weights = None;
        }
        super::CellSlices {
            cells: &mut self.cells,
            edges: &mut self.edges,
            weights: self.weights.as_deref_mut(),
            edge_base: 0,
        }
    }

    /// Sets the powers of two each source's weights were divided by (a store's shard read
    /// whole).
    pub(crate) fn set_weight_exponents(&mut self, exponents: Option<Vec<i16>>) {
        self.weight_exponents = exponents;
    }

    /// The packed edges, cell after cell.
    pub(crate) fn packed_edges(&self) -> &[u32] {
        &self.edges
    }

    /// The weights as stored (each source's divided by its power of two), when weighted.
    pub(crate) fn stored_weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Per source, the power of two its weights were divided by, when any was.
    pub(crate) fn weight_exponents(&self) -> Option<&[i16]> {
        self.weight_exponents.as_deref()
    }

    /// Divides every source's weights by the power of two of its largest weight when that
    /// lies outside [`UNSCALED_WEIGHTS`] (exact, but for weights below 2^-1022 times their
    /// source's largest, whose shares are below 2^-1021 anyway).
    fn scale_weights(&mut self) {
        if self.weights.is_none() {
            return;
        }
        let first = self.source_range.start;
        let mut largest = vec![0f64; self.source_range.len()];
        for (source, _, w) in self.stored_edges() {
            let slot = &mut largest[(source - first) as usize];
            *slot = slot.max(w);
        }
        if largest.iter().all(|&m| weight_exponent_for(m) == 0) {
            return;
        }
        let exponents: Vec<i16> = largest.iter().map(|&m| weight_exponent_for(m) as i16).collect();
        let sources: Vec<u32> = self.stored_edges().map(|(source, _, _)| source).collect();
        let mut scaled = self.weights.take().expect("weighted");
        for (w, source) in scaled.iter_mut().zip(sources) {
            let e = exponents[(source - first) as usize] as i32;
            if e != 0 {
                *w = times_power_of_two(*w, -e);
            }
        }
        self.weights = Some(scaled);
        self.weight_exponents = Some(exponents);
    }

    /// Adds each source's stored (scaled) weights into `sums[source]`, in storage order: the
    /// total its shares are divided by. `sums` is indexed by node id.
    pub(crate) fn add_stored_out_weights(&self, sums: &mut [f64]) {
        for (source, _, w) in self.stored_edges() {
            sums[source as usize] += w;
        }
    }

    #[cfg(any(test, feature = "distributed"))]
    /// Builds a shard from [`storage_key`]s in ascending order, sequentially (tests and the
    /// distributed ingest, which builds one shard per worker; a local graph is dealt out in
    /// parallel by [`build`](crate::graph::build())).
    pub(crate) fn from_storage_keys(source_range: Range<u32>, keys: &[u64], weights: Option<Vec<f64>>) -> Shard {
        let (mut cells, mut edges) = (Vec::new(), Vec::with_capacity(keys.len()));
        for &key in keys {
            let (s, d) = from_storage_key(key);
            edges.push(append_edge(&mut cells, s, d, edges.len() as u64 + 1));
        }
        Shard::from_parts(source_range, cells, edges, weights)
    }

    #[cfg(test)]
    /// Number of edges.
    pub(crate) fn edges(&self) -> usize {
        self.edges.len()
    }

    /// Number of non-empty cells.
    pub(crate) fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// Bytes held by the shard's arrays.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.edges.capacity() * 4
            + self.weights.as_ref().map_or(0, |w| w.capacity() * 8)
            + self.weight_exponents.as_ref().map_or(0, |e| e.capacity() * 2)
    }

    /// The non-empty cells, in storage order.
    pub(crate) fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Where cell number `index` starts in the edge array.
    #[inline]
    pub(crate) fn cell_start(&self, index: usize) -> usize {
        if index == 0 {
            0
        } else {
            self.cells[index - 1].end as usize
        }
    }

    /// The index range of the cells whose destinations lie in destination blocks `blocks`.
    pub(crate) fn cell_indices_into(&self, blocks: Range<u32>) -> Range<usize> {
        let first = self.cells.partition_point(|c| c.destination_block < blocks.start);
        let last = first + self.cells[first..].partition_point(|c| c.destination_block < blocks.end);
        first..last
    }

    #[cfg(test)]
    /// The cells whose destinations lie in destination block `block`, with where each
    /// starts, in source-block order.
    pub(crate) fn cells_into(&self, block: u32) -> impl Iterator<Item = (usize, Cell)> + '_ {
        self.cell_indices_into(block..block + 1)
            .map(move |i| (self.cell_start(i), self.cells[i]))
    }

    /// The packed edges and weights of a cell that starts at `start`.
    #[inline]
    pub(crate) fn cell_edges(&self, start: usize, cell: Cell) -> (&[u32], Option<&[f64]>) {
        let range = start..cell.end as usize;
        (&self.edges[range.clone()], self.weights.as_ref().map(|w| &w[range]))
    }

    /// Every edge as (source, destination, weight as given), in storage order.
    pub(crate) fn edges_iter(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        let first = self.source_range.start;
        self.stored_edges().map(move |(s, d, w)| match &self.weight_exponents {
            Some(e) => (s, d, times_power_of_two(w, e[(s - first) as usize] as i32)),
            None => (s, d, w),
        })
    }

    /// Every edge as (source, destination, stored weight), in storage order.
    fn stored_edges(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        self.cells.iter().enumerate().flat_map(move |(i, &cell)| {
            let start = if i == 0 { 0 } else { self.cells[i - 1].end as usize };
            let (edges, weights) = self.cell_edges(start, cell);
            let (sb, db) = (cell.source_block << BLOCK_BITS, cell.destination_block << BLOCK_BITS);
            edges
                .iter()
                .enumerate()
                .map(move |(j, &e)| (sb | (e >> 16), db | (e & 0xFFFF), weights.map_or(1.0, |w| w[j])))
        })
    }
}

/// Makes `array` `len` long for a caller that overwrites every element: when it must grow
/// past its capacity it is allocated afresh with `vec!` (all `zero`, its old elements
/// dropped), which asks the allocator for zeroed memory, pages the system zeroes when first
/// touched; otherwise it is resized in place, keeping its first elements.
fn fill_to<T: Clone>(array: &mut Vec<T>, len: usize, zero: T) {
    if len > array.capacity() {
        *array = Vec::new(); // free the old array before the new one is allocated
        *array = vec![zero; len];
    } else {
        array.resize(len, zero);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_to_gives_the_length_asked_and_zeroes_what_it_allocates() {
        let mut a = vec![7u32; 4];
        fill_to(&mut a, 2, 0); // within the capacity: resized in place
        assert_eq!(a, [7, 7]);
        fill_to(&mut a, 4, 0);
        assert_eq!(a, [7, 7, 0, 0]);
        fill_to(&mut a, 1000, 0); // past the capacity: allocated afresh, all zero
        assert_eq!(a.len(), 1000);
        assert!(a.iter().all(|&x| x == 0));
        let mut w = vec![1.5f64; 3];
        fill_to(&mut w, 10, 0.0);
        assert_eq!(w, [0.0; 10]);
    }

    #[test]
    fn storage_keys_round_trip_and_order_by_cell() {
        for (s, d) in [(0, 0), (1, BLOCK + 2), (u32::MAX, 7), (BLOCK * 3 + 5, u32::MAX)] {
            assert_eq!(from_storage_key(storage_key(s, d)), (s, d));
        }
        // Destination block first, then source block, then source, then destination.
        assert!(storage_key(BLOCK * 5, 1) < storage_key(0, BLOCK));
        assert!(storage_key(0, 3) < storage_key(1, 2));
        assert!(storage_key(1, 2) < storage_key(1, 3));
    }

    #[test]
    fn cells_hold_their_edges_in_storage_order() {
        let mut pairs = vec![(10, 1), (11, 1), (10, 4), (12, BLOCK + 9), (BLOCK + 3, 4)];
        let mut keys: Vec<u64> = pairs.iter().map(|&(s, d)| storage_key(s, d)).collect();
        keys.sort_unstable();
        let shard = Shard::from_storage_keys(10..BLOCK + 4, &keys, None);
        assert_eq!(shard.edges(), 5);
        assert_eq!(shard.cell_count(), 3); // (block 0 <- block 0), (0 <- 1), (1 <- 0)
        let listed: Vec<_> = shard.edges_iter().map(|(s, d, _)| (s, d)).collect();
        pairs.sort_by_key(|&(s, d)| storage_key(s, d));
        assert_eq!(listed, pairs);
        let into_first: Vec<u32> = shard.cells_into(0).map(|(_, c)| c.source_block).collect();
        assert_eq!(into_first, vec![0, 1]);
        assert_eq!(shard.cells_into(1).count(), 1);
        assert_eq!(shard.cells_into(2).count(), 0);
    }
}
