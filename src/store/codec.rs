//! How a shard's cells are coded on disk: per destination block, a table of the block's most
//! linked destinations, then the cells from each source block, each edge as one byte naming a
//! destination of the table or two bytes giving its offset, a bit saying whether a new source
//! starts, and each new source as a one-byte step, the few wide steps set apart.
//!
//! A shard's edges into one destination block form a *block record*:
//!
//! ```text
//! record   = varint(cells) varint(h) hot* cell*
//! hot      = u16, little-endian: a destination offset the record's edges often lead to (h ≤ 128)
//! cell     = varint(source block − previous source block in this record; the first: itself)
//!            varint(edges − 1)
//!            varint(wide steps)
//!            new first* wide* step* second*
//! new      = ⌈edges / 8⌉ bytes, bit i (byte i / 8, bit i mod 8): edge i's source offset differs
//!            from the previous edge's (always set on the first edge; the bits past the last 0)
//! first    = per edge, one byte: below 128, the index of its destination in the hot table;
//!            else 128 + the top 7 bits of its destination offset (a *cold* edge)
//! wide     = u16, little-endian: the steps of 255 or more, in order
//! step     = per edge whose new bit is set, source offset − previous source offset − 1 (the
//!            first edge: its source offset): one byte below 255, else 255, meaning the next wide
//! second   = per cold edge, in order, the low 8 bits of its destination offset
//! ```
//!
//! Edges ascend within a cell by (source offset, destination offset); equal pairs are
//! parallel edges, kept with `--multi`. Decoding gives back the in-memory cell layout (keys
//! `source offset << 16 | destination offset`, see graph::shard) exactly, so the engine's
//! sums run over the same values in the same order.
//!
//! Why this code: a streamed round decodes every edge every iteration, so the decoder must
//! cost a few cycles an edge. Every first byte, new bit, step and wide step sits at a place
//! known from counts alone (the edge's index; the new sources before it; the wide steps
//! before it; the cold edges before it), so no load waits on another: the only chains from
//! edge to edge are additions (source offset, places in the steps, wide steps and second
//! bytes), and the loop needs no branch on the data. The hot table is what R-MAT's skew
//! gives: two edges in five (R-MAT 26) lead to their record's 128 most linked destinations,
//! so they take one byte instead of two (R-MAT 26: 2.34 bytes an edge against version 3's
//! 2.63, whose destinations took their 15 bits whole with the new bit in the sixteenth). A
//! destination enters the table with three edges or more in the record (two bytes in the
//! table, one saved on each edge). Version 2 wrote a wide step inline, after its 255, so that finding
//! the next step waited on reading this one: the decoder had to guess, and R-MAT 28's cells,
//! whose sources lie about 160 apart, make one step in five wide; the mispredicted guesses
//! were about 15 % of a streamed iteration. The version-1 code (LEB128 gaps between keys) was
//! 2.96 bytes an edge on R-MAT 26 and decoded at about 2.5 ns an edge, its byte lengths
//! mispredicted. A bit-level code for the source steps would save about one bit an edge at
//! the price of a serial decode.
//!
//! The same property lets a processor with AVX-512 decode sixteen edges at a time (`avx512`):
//! sixteen new bits say which step bytes they take (an expand), the wide steps fill in where
//! a step is 255 (another expand), and the source offsets are a prefix sum across the lanes;
//! the cold lanes take the next second bytes (an expand), the hot ones their table entries (a
//! gather). With version 3, on R-MAT 27 with edge factor 2, whose cells are R-MAT 28's size,
//! a streamed round took 0.777 s against the scalar loop's 0.981 s; with version 4 on R-MAT
//! 26, 2.66 s against 3.45 s (docs/benchmarks.md). Other processors
//! run the scalar loops below, which the tests hold the vector decoder to.
//!
//! On disk a record is *framed*: a tag byte, then either the record as above (tag 0) or
//! its length as a varint and the record compressed as one zstd frame (tag 1), whichever
//! is smaller by a tenth. Crawls repeat themselves (pages of a site link to the same
//! pages), so zstd shrinks their records several times over, where R-MAT's random links
//! gain little and stay as they are, costing nothing to read.

#[cfg(target_arch = "x86_64")]
mod avx512;

use std::borrow::Cow;

use crate::graph::Cell;
use crate::partition::{BLOCK, BLOCK_BITS};

/// Appends `value` as a LEB128 varint (7 bits a byte, high bit set on all but the last).
#[inline]
pub(crate) fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint at `*at`, advancing it; `None` when the bytes end first or it is longer
/// than ten bytes.
#[inline]
pub(crate) fn get(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0u32;
    loop {
        let byte = *bytes.get(*at)?;
        *at += 1;
        if shift > 63 {
            return None;
        }
        value |= ((byte & 0x7F) as u64) << shift;
        if byte < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
}

/// The most destinations a record's hot table holds: a first byte below 128 names one.
pub(crate) const HOT: usize = 128;
/// The fewest edges into a destination that earn it a place in the hot table: it costs two
/// bytes there and saves one on each edge.
const HOT_EDGES: u32 = 3;

thread_local! {
    /// Scratch for [`encode_record`], one entry a destination offset: all zero between
    /// records (the encoder clears what it set).
    static SCRATCH: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(vec![0; BLOCK as usize]);
}

/// The hot table of a record whose edges are `keys`: the destinations with the most edges
/// (at least [`HOT_EDGES`]), at most [`HOT`] of them, the most linked first (ties: the
/// lower offset), then sorted by offset. Counts in `scratch` (all zero on entry) and leaves
/// there each table entry's index plus one, zero elsewhere, for the encoder to look up.
fn hot_table(keys: &[u32], scratch: &mut [u32]) -> Vec<u16> {
    let mut linked = Vec::new();
    for &key in keys {
        let count = &mut scratch[(key & 0xFFFF) as usize];
        if *count == 0 {
            linked.push((key & 0xFFFF) as u16);
        }
        *count += 1;
    }
    let mut hot: Vec<(u32, u16)> = linked
        .iter()
        .map(|&d| (scratch[d as usize], d))
        .filter(|&(count, _)| count >= HOT_EDGES)
        .collect();
    linked.iter().for_each(|&d| scratch[d as usize] = 0);
    hot.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    hot.truncate(HOT);
    let mut table: Vec<u16> = hot.into_iter().map(|(_, d)| d).collect();
    table.sort_unstable();
    for (index, &d) in table.iter().enumerate() {
        scratch[d as usize] = index as u32 + 1;
    }
    table
}

/// Appends the block record of `cells` (all into the same destination block, ascending by
/// source block), whose packed edges are the consecutive pieces of `edges` the cells' ends
/// mark, relative to `first` (where the first cell starts in `edges`).
pub(crate) fn encode_record(out: &mut Vec<u8>, cells: &[Cell], edges: &[u32], first: usize) {
    SCRATCH.with_borrow_mut(|scratch| {
        let last = cells.last().map_or(first, |cell| cell.end as usize);
        let table = hot_table(&edges[first..last], scratch);
        encode_cells(out, cells, edges, first, &table, scratch);
        table.iter().for_each(|&d| scratch[d as usize] = 0);
    })
}

/// [`encode_record`] once the hot table is chosen: `index[d]` is destination `d`'s place in
/// `table` plus one, or zero.
fn encode_cells(out: &mut Vec<u8>, cells: &[Cell], edges: &[u32], first: usize, table: &[u16], index: &[u32]) {
    put(out, cells.len() as u64);
    put(out, table.len() as u64);
    table.iter().for_each(|d| out.extend_from_slice(&d.to_le_bytes()));
    let (mut start, mut previous_block) = (first, 0u32);
    let (mut bits, mut steps, mut seconds) = (Vec::new(), Vec::new(), Vec::new());
    for cell in cells {
        let end = cell.end as usize;
        debug_assert!(end > start, "cells are not empty");
        put(out, (cell.source_block - previous_block) as u64);
        previous_block = cell.source_block;
        put(out, (end - start - 1) as u64);
        let keys = &edges[start..end];
        // The new bits, and the steps of the cell's new sources, in order.
        bits.clear();
        bits.resize(keys.len().div_ceil(8), 0);
        steps.clear();
        let mut previous = None;
        for (i, &key) in keys.iter().enumerate() {
            let source = key >> 16;
            if previous != Some(source) {
                bits[i / 8] |= 1 << (i % 8);
                steps.push(previous.map_or(source, |p| source - p - 1));
            }
            previous = Some(source);
        }
        put(out, steps.iter().filter(|&&step| step >= 255).count() as u64);
        out.extend_from_slice(&bits);
        seconds.clear();
        for &key in keys {
            let (source, destination) = (key >> 16, (key & 0xFFFF) as u16);
            debug_assert!(
                source < BLOCK && u32::from(destination) < BLOCK,
                "offsets within the cell"
            );
            match index[destination as usize] {
                0 => {
                    out.push(0x80 | (destination >> 8) as u8);
                    seconds.push(destination as u8);
                }
                place => out.push(place as u8 - 1),
            }
        }
        for &step in steps.iter().filter(|&&step| step >= 255) {
            out.extend_from_slice(&(step as u16).to_le_bytes());
        }
        out.extend(steps.iter().map(|&step| step.min(255) as u8));
        out.extend_from_slice(&seconds);
        start = end;
    }
}

/// The tag of a record stored as it is.
const RAW: u8 = 0;
/// The tag of a record stored as a zstd frame.
const ZSTD: u8 = 1;
/// The zstd level records are compressed at (the command-line tool's default).
const ZSTD_LEVEL: i32 = 3;

/// Appends `record` framed: compressed when that saves a tenth of it, else as it is.
pub(crate) fn frame(out: &mut Vec<u8>, record: &[u8]) {
    if record.len() >= 64
        && let Ok(packed) = zstd::bulk::compress(record, ZSTD_LEVEL)
        && packed.len() < record.len() / 10 * 9
    {
        out.push(ZSTD);
        put(out, record.len() as u64);
        out.extend_from_slice(&packed);
        return;
    }
    out.push(RAW);
    out.extend_from_slice(record);
}

/// Scratch space for [`unframe`]: the decompressed record and a zstd context, kept from
/// record to record.
#[derive(Default)]
pub(crate) struct Unframer {
    raw: Vec<u8>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl Unframer {
    /// The record inside a framed record: `framed` itself past its tag, or decompressed.
    pub(crate) fn unframe<'a>(&'a mut self, framed: &'a [u8]) -> Result<&'a [u8], Malformed> {
        match framed.split_first() {
            Some((&RAW, record)) => Ok(record),
            Some((&ZSTD, rest)) => {
                let mut at = 0;
                let len = get(rest, &mut at).ok_or("a compressed record's length cut short")?;
                // zstd compresses at most ~32000:1; a longer claim is damage, not a record.
                if len > (rest.len() as u64).saturating_mul(1 << 15) {
                    return Err("a compressed record of an impossible length");
                }
                self.raw.resize(len as usize, 0);
                let zstd = match &mut self.zstd {
                    Some(z) => z,
                    None => self
                        .zstd
                        .insert(zstd::bulk::Decompressor::new().map_err(|_| "no memory for zstd")?),
                };
                let got = zstd
                    .decompress_to_buffer(&rest[at..], &mut self.raw[..])
                    .map_err(|_| "a compressed record that does not decompress")?;
                if got as u64 != len {
                    return Err("a compressed record of another length than its own");
                }
                Ok(&self.raw)
            }
            Some(_) => Err("a record of an unknown kind"),
            None => Err("an empty record"),
        }
    }
}

/// The record inside a framed record, borrowed when it is stored as it is and decompressed
/// into its own buffer otherwise (for readers that hold several records at once).
pub(crate) fn unframe_owned<'a>(unframer: &mut Unframer, framed: &'a [u8]) -> Result<Cow<'a, [u8]>, Malformed> {
    match framed.split_first() {
        Some((&RAW, record)) => Ok(Cow::Borrowed(record)),
        _ => Ok(Cow::Owned(unframer.unframe(framed)?.to_vec())),
    }
}

/// What is wrong with a record that does not decode.
pub(crate) type Malformed = &'static str;

/// Where a record's edges may lead: the destination block and its node count, and the
/// shard's source range.
#[derive(Clone, Debug)]
pub(crate) struct Bounds {
    /// The destination block.
    pub block: u32,
    /// Nodes in the destination block (the last block of a graph may be short).
    pub block_len: u32,
    /// The shard's sources.
    pub sources: std::ops::Range<u32>,
}

/// Decodes the block record `bytes` into `cells` and `edges`, which must be exactly its
/// size (known from the shard's index); each cell's end is counted on from `edge_base`.
/// Every edge must lie within `bounds`: a record that decodes is safe to reduce.
pub(crate) fn decode_record(
    bytes: &[u8],
    bounds: &Bounds,
    cells: &mut [Cell],
    edges: &mut [u32],
    edge_base: u64,
) -> Result<(), Malformed> {
    let mut cursor = Cursor::new(bytes, bounds.clone(), cells.len() as u64, edges.len() as u64)?;
    let mut start = 0usize;
    for cell in cells.iter_mut() {
        let (source_block, len) = cursor.head().ok_or("a record that does not fit the index")?;
        let end = start + len;
        cursor.keys(&mut edges[start..end])?;
        *cell = Cell {
            destination_block: bounds.block,
            source_block,
            end: edge_base + end as u64,
        };
        start = end;
    }
    Ok(())
}

/// Reads a block record cell by cell: the next cell's source block and edge count
/// ([`head`](Cursor::head)), then its keys ([`keys`](Cursor::keys)). A streamed round keeps
/// one cursor for each destination block of a group and takes their cells source block by
/// source block, so that the messages of one source block are read for all of them at once.
/// Everything [`decode_record`] checks is checked here, as the cells come.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    bounds: Bounds,
    /// The shard's source blocks.
    sources: std::ops::Range<u32>,
    at: usize,
    cells_left: u64,
    edges_left: u64,
    source_block: u64,
    /// The next cell's source block and edges; `None` once the record is read to its end.
    head: Option<(u32, usize)>,
    /// The next cell's wide steps.
    wide: usize,
    /// The record's hot table.
    table: Table,
}

impl<'a> Cursor<'a> {
    /// A cursor at the first cell of the record `bytes`, which the shard's index says holds
    /// `cells` cells and `edges` edges.
    pub(crate) fn new(bytes: &'a [u8], bounds: Bounds, cells: u64, edges: u64) -> Result<Self, Malformed> {
        let mut at = 0;
        let count = get(bytes, &mut at).ok_or("a cell count cut short")?;
        if count != cells {
            return Err("a cell count that does not fit the index");
        }
        let table = Table::read(bytes, &mut at, bounds.block_len)?;
        let sources = (bounds.sources.start >> BLOCK_BITS)..bounds.sources.end.div_ceil(BLOCK);
        let mut cursor = Cursor {
            bytes,
            bounds,
            sources,
            at,
            cells_left: cells,
            edges_left: edges,
            source_block: 0,
            head: None,
            wide: 0,
            table,
        };
        cursor.advance(true)?;
        Ok(cursor)
    }

    /// The next cell's source block and number of edges, or `None` at the end.
    #[inline]
    pub(crate) fn head(&self) -> Option<(u32, usize)> {
        self.head
    }

    /// Asks the processor to start fetching the next cell's bytes (all of them, up to 8
    /// KiB), so that decoding it later does not wait on memory: a group's cursors take
    /// turns, one cell each, so each cell is read from a different place than the one
    /// before, too many streams for the hardware prefetcher to follow (and a cell is itself
    /// three streams: first bytes, steps, second bytes). Fetching only its first KiB, as
    /// for version 3, left R-MAT 26's streamed rounds 1.3 times slower. A hint only;
    /// nothing on other processors than x86-64.
    #[inline]
    pub(crate) fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        if let (Some((_, len)), Some(rest)) = (self.head, self.bytes.get(self.at..)) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // The whole cell: its first bytes, steps and second bytes are three streams, each
            // of which would otherwise miss at its start. At most a new bit and three bytes
            // an edge, and the wide steps (R-MAT 26's cells: about 2.3 KiB).
            let reach = (len.div_ceil(8) + 3 * len + 2 * self.wide).min(rest.len()).min(8192);
            for offset in (0..reach).step_by(64) {
                // SAFETY: a prefetch of an address inside `rest`; it never faults.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(rest.as_ptr().add(offset).cast()) };
            }
        }
    }

    /// Decodes the next cell's keys into `out` (exactly [`head`](Cursor::head)'s edges) and
    /// moves to the cell after it.
    pub(crate) fn keys(&mut self, out: &mut [u32]) -> Result<(), Malformed> {
        let (source_block, len) = self.head.ok_or("a record that does not fit the index")?;
        debug_assert_eq!(out.len(), len, "the cell's edges");
        let end = decode_cell(self.bytes, self.at, out, self.wide, &self.table);
        self.at =
            end.ok_or("a cell cut short, with wrong new bits, a hot index past its table or a source outside it")?;
        // Keys ascend: the first and last edges hold the cell's smallest and largest source.
        let first_source = source_block << BLOCK_BITS | out[0] >> 16;
        let last_source = source_block << BLOCK_BITS | out[len - 1] >> 16;
        let sources = &self.bounds.sources;
        if !sources.contains(&first_source) || !sources.contains(&last_source) {
            return Err("a source outside the shard's range");
        }
        if self.bounds.block_len < BLOCK && out.iter().any(|&k| k & 0xFFFF >= self.bounds.block_len) {
            return Err("a destination beyond the last node");
        }
        self.cells_left -= 1;
        self.edges_left -= len as u64;
        self.advance(false)
    }

    /// Reads the next cell's header into `head`, or checks that the record ends here.
    fn advance(&mut self, first: bool) -> Result<(), Malformed> {
        if self.cells_left == 0 {
            self.head = None;
            return if self.edges_left == 0 && self.at == self.bytes.len() {
                Ok(())
            } else {
                Err("a record that does not fit the index")
            };
        }
        let step = get(self.bytes, &mut self.at).ok_or("a source block cut short")?;
        if !first && step == 0 {
            return Err("two cells from one source block");
        }
        self.source_block += step;
        if self.source_block < self.sources.start as u64 || self.source_block >= self.sources.end as u64 {
            return Err("a source block outside the shard's range");
        }
        let len = get(self.bytes, &mut self.at).ok_or("an edge count cut short")? + 1;
        if len > self.edges_left {
            return Err("more edges than the index says");
        }
        let wide = get(self.bytes, &mut self.at).ok_or("a wide step count cut short")?;
        if wide > len {
            return Err("more wide steps than edges");
        }
        self.wide = wide as usize;
        self.head = Some((self.source_block as u32, len as usize));
        Ok(())
    }
}

/// A record's hot table as the decoders read it: its entries, then zeros up to [`HOT`] and
/// one more, so that any first byte below 128 reads inside it (the vector decoder's gather
/// reads four bytes at an entry).
#[derive(Clone, Debug)]
pub(crate) struct Table {
    entries: [u16; HOT + 2],
    len: u32,
}

impl Table {
    /// Reads a table at `*at` (its length, then its entries), advancing `at`; every entry
    /// must lie inside the destination block of `block_len` nodes.
    fn read(bytes: &[u8], at: &mut usize, block_len: u32) -> Result<Self, Malformed> {
        let len = get(bytes, at).ok_or("a hot table cut short")?;
        if len > HOT as u64 {
            return Err("a hot table longer than 128");
        }
        let len = len as usize;
        let raw = bytes.get(*at..*at + 2 * len).ok_or("a hot table cut short")?;
        let mut entries = [0u16; HOT + 2];
        for (entry, pair) in entries.iter_mut().zip(raw.as_chunks::<2>().0) {
            *entry = u16::from_le_bytes(*pair);
            if u32::from(*entry) >= block_len {
                return Err("a hot destination beyond the last node");
            }
        }
        *at += 2 * len;
        Ok(Table {
            entries,
            len: len as u32,
        })
    }
}

/// A cell's parts, as [`parts`] finds them.
struct CellParts<'a> {
    /// The new bits, a byte for eight edges.
    new: &'a [u8],
    /// The first bytes, one an edge.
    firsts: &'a [u8],
    wides: &'a [[u8; 2]],
    /// The step bytes, one a new bit set.
    steps: &'a [u8],
    /// The second bytes, which run on to the record's end: the cell takes one for each
    /// first byte of 128 or more.
    seconds: &'a [u8],
    /// Where the second bytes start in the record.
    seconds_at: usize,
}

/// The parts of a cell of `n` edges (at least one) and `wide` wide steps at `at`; `None`
/// when the bytes end first, the first edge does not start a source, or a new bit past the
/// last edge is set.
#[inline]
fn parts(bytes: &[u8], at: usize, n: usize, wide: usize) -> Option<CellParts<'_>> {
    let bits = n.div_ceil(8);
    let new = bytes.get(at..at + bits)?;
    let firsts = bytes.get(at + bits..at + bits + n)?;
    let wides_at = at + bits + n;
    let (wides, _) = bytes.get(wides_at..wides_at + 2 * wide)?.as_chunks::<2>();
    if new.first()? & 1 == 0 || (!n.is_multiple_of(8) && new[bits - 1] >> (n % 8) != 0) {
        return None;
    }
    let news = new.iter().map(|b| b.count_ones() as usize).sum::<usize>();
    let steps_at = wides_at + 2 * wide;
    let steps = bytes.get(steps_at..steps_at + news)?;
    Some(CellParts {
        new,
        firsts,
        wides,
        steps,
        seconds: &bytes[steps_at + news..],
        seconds_at: steps_at + news,
    })
}

/// Decodes `out.len()` edges of a cell with `wide` wide steps from `bytes` at `at` into
/// keys, with AVX-512 where the processor has it ([`avx512`]), else with [`decode_keys`];
/// returns where the cell ends, or `None` as [`decode_keys`] does.
#[inline]
fn decode_cell(bytes: &[u8], at: usize, out: &mut [u32], wide: usize, table: &Table) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        return decode_avx512(bytes, at, out, wide, table);
    }
    // Few wide steps: a branch on them is well predicted, and cheaper than reading a wide
    // step for every edge (the branch-free loop alone was 6 % slower on cells of 500
    // edges); one in 32 or more, as in R-MAT 28's cells, the branch is mispredicted too
    // often.
    if wide * 32 < out.len() {
        decode_keys::<true>(bytes, at, out, wide, table)
    } else {
        decode_keys::<false>(bytes, at, out, wide, table)
    }
}

/// [`decode_cell`] with AVX-512, which the processor must have ([`avx512::available`]).
#[cfg(target_arch = "x86_64")]
#[inline]
fn decode_avx512(bytes: &[u8], at: usize, out: &mut [u32], wide: usize, table: &Table) -> Option<usize> {
    let parts = parts(bytes, at, out.len(), wide)?;
    // SAFETY: the caller checked the processor's features; `parts` gives a first byte and a
    // new bit for every edge of `out`.
    let (w, c, seen, bad) = unsafe { avx512::decode(&parts, table, out) };
    (w == wide && c <= parts.seconds.len() && seen < BLOCK && !bad).then_some(parts.seconds_at + c)
}

/// Decodes `out.len()` edges of a cell with `wide` wide steps from `bytes` at `at` into
/// keys, one edge at a time, their hot destinations from `table`; returns where the cell
/// ends, or `None` when the bytes end first, the new bits are wrong (the first not set, or
/// one set past the last edge), the steps do not use every wide step, a source offset leaves
/// the cell (2^15 or more), or a first byte names a hot destination past the table's end.
///
/// Every edge reads a step byte, a wide step and a second byte, and counts them only when it
/// starts a source, its step is wide or it is cold (with masks, not branches): the loop has
/// no branch on the data, and its reads past the ends give 0 instead.
///
/// With `FEW`, a wide step is read only where a step byte is 255, behind a branch: the
/// decoder for cells whose wide steps are rare enough for the branch to be predicted.
#[inline]
fn decode_keys<const FEW: bool>(bytes: &[u8], at: usize, out: &mut [u32], wide: usize, table: &Table) -> Option<usize> {
    let CellParts {
        new: bits,
        firsts,
        wides,
        steps,
        seconds,
        seconds_at,
    } = parts(bytes, at, out.len(), wide)?;
    // Wrapping from u32::MAX: the first edge's step lands on its source offset.
    let (mut source, mut j, mut w, mut c, mut seen, mut bad) = (u32::MAX, 0usize, 0usize, 0usize, 0u32, 0u32);
    for (i, (slot, &first)) in out.iter_mut().zip(firsts).enumerate() {
        let new = u32::from(bits[i / 8] >> (i % 8)) & 1;
        let first = u32::from(first);
        let cold = first >> 7;
        let second = seconds.get(c).map_or(0, |&b| u32::from(b));
        let hot = u32::from(table.entries[(first & 0x7F) as usize]);
        // A hot index past the table's end.
        bad |= u32::from(first >= table.len) & (cold ^ 1);
        let destination = hot ^ ((hot ^ ((first & 0x7F) << 8 | second)) & cold.wrapping_neg());
        c += cold as usize;
        let byte = steps.get(j).map_or(0, |&b| u32::from(b));
        // 1 when this edge starts a source and its step is the next wide one.
        let is_wide = u32::from(byte == 255) & new;
        let step = if FEW {
            if is_wide == 1 {
                wides.get(w).map_or(0, |&p| u32::from(u16::from_le_bytes(p)))
            } else {
                byte
            }
        } else {
            let long = wides.get(w).map_or(0, |&p| u32::from(u16::from_le_bytes(p)));
            byte ^ ((byte ^ long) & is_wide.wrapping_neg())
        };
        // `new` is 0 or 1: the step counts only on an edge that starts a source.
        source = source.wrapping_add((step + 1) & new.wrapping_neg());
        j += new as usize;
        w += is_wide as usize;
        seen |= source;
        *slot = source << 16 | destination;
    }
    (w == wide && c <= seconds.len() && seen < BLOCK && bad == 0).then_some(seconds_at + c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell's bytes: `keys` as one cell of a record, past the record's and cell's headers,
    /// its count of wide steps and the record's hot table.
    fn cell_bytes(keys: &[u32]) -> (Vec<u8>, usize, Table) {
        let cell = Cell {
            destination_block: 0,
            source_block: 0,
            end: keys.len() as u64,
        };
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &[cell], keys, 0);
        let mut at = 0;
        get(&bytes, &mut at).unwrap(); // cells
        let table = Table::read(&bytes, &mut at, BLOCK).unwrap();
        get(&bytes, &mut at).unwrap(); // source block
        get(&bytes, &mut at).unwrap(); // edges − 1
        let wide = get(&bytes, &mut at).unwrap() as usize;
        (bytes.split_off(at), wide, table)
    }

    /// The hot table of `keys`, from a scratch of its own.
    fn hot_of(keys: &[u32]) -> Vec<u16> {
        hot_table(keys, &mut vec![0; BLOCK as usize])
    }

    /// The entries of a table.
    fn entries(table: &Table) -> &[u16] {
        &table.entries[..table.len as usize]
    }

    #[test]
    fn keys_round_trip_with_and_without_wide_steps() {
        round_trip(decode_keys::<true>);
        round_trip(decode_keys::<false>);
        // With AVX-512 where this processor has it (the next test compares the two).
        round_trip(decode_cell);
    }

    /// A cell decoder: `bytes`, where the cell starts, the keys, the wide steps, the table.
    type Decoder = fn(&[u8], usize, &mut [u32], usize, &Table) -> Option<usize>;

    /// The round trip and refusals, with one of the decoders.
    fn round_trip(decode: Decoder) {
        // Sources 0 and 2^15 − 1, steps of 0, 253, 254 (the last one byte), 255 and more
        // (wide), several edges from one source, parallel edges, destinations 0 and
        // 2^15 − 1; destinations 0 and 5 have three edges or more (hot), 77 and 32,767 two.
        let mut sources = vec![0u32, 0, 0, 1, 255, 510, 766, 20_000, 32_766, 32_767, 32_767];
        sources.sort();
        let mut keys: Vec<u32> = sources
            .iter()
            .enumerate()
            .map(|(i, &s)| s << 16 | [0, 5, 5, 32_767, 77][i % 5])
            .collect();
        keys.sort();
        let (bytes, wide, table) = cell_bytes(&keys);
        assert_eq!(entries(&table), &[0, 5]);
        // The steps of 255 or more: 766 − 510 − 1 = 255, 19,233 and 12,765 (510 − 255 − 1 =
        // 254 is one byte).
        assert_eq!(wide, 3);
        let mut out = vec![0u32; keys.len()];
        assert_eq!(decode(&bytes, 0, &mut out, wide, &table), Some(bytes.len()));
        assert_eq!(out, keys);
        // A new bit and a first byte an edge, a second byte a cold edge, one step byte a new
        // source, two more a wide step.
        let distinct = {
            let mut d = sources.clone();
            d.dedup();
            d.len()
        };
        let cold = keys.iter().filter(|&&k| k & 0xFFFF > 5).count();
        assert_eq!(cold, 4);
        assert_eq!(bytes.len(), 2 + keys.len() + cold + distinct + 2 * wide);
        // Decoded at an offset, and with bytes after the cell.
        let mut shifted = vec![9u8; 3];
        shifted.extend_from_slice(&bytes);
        shifted.extend_from_slice(&[255, 255, 255]);
        assert_eq!(decode(&shifted, 3, &mut out, wide, &table), Some(3 + bytes.len()));
        assert_eq!(out, keys);
        // Every cut is refused (the second bytes, steps, wide steps, first bytes or new bits
        // end first).
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], 0, &mut out, wide, &table), None, "cut at {cut}");
        }
        // A wide step too many or too few moves the steps: the cell never decodes to the
        // same keys and end (the record's own checks then see the damage).
        for wrong in [wide - 1, wide + 1] {
            let end = decode(&bytes, 0, &mut out, wrong, &table);
            assert!(
                end != Some(bytes.len()) || out != keys,
                "{wrong} wide steps went unseen"
            );
        }
        // A first edge that does not start a source; a new bit past the last edge; a first
        // byte that names an entry past the table (the first edge's is hot: 0 → 0).
        let mut bad = bytes.clone();
        bad[0] &= 0xFE;
        assert_eq!(decode(&bad, 0, &mut out, wide, &table), None);
        let mut bad = bytes.clone();
        bad[1] |= 0x80;
        assert_eq!(decode(&bad, 0, &mut out, wide, &table), None);
        assert_eq!(bytes[2], 0, "the first edge leads to the table's first entry");
        for index in [2, 127] {
            let mut bad = bytes.clone();
            bad[2] = index;
            assert_eq!(decode(&bad, 0, &mut out, wide, &table), None, "hot index {index}");
        }
        // A source beyond the cell.
        let (over, one, empty) = cell_bytes(&[32_767 << 16]);
        assert_eq!(
            (one, entries(&empty), &over[..]),
            (1, &[][..], &[1, 0x80, 0xFF, 0x7F, 255, 0][..]),
            "the step 32,767 is wide, the destination 0 cold"
        );
        assert_eq!(decode(&over, 0, &mut [0u32; 1], 1, &empty), Some(over.len()));
        let mut bad = over.clone();
        bad[2..4].copy_from_slice(&[0x00, 0x80]); // step 32,768: source 2^15
        assert_eq!(decode(&bad, 0, &mut [0u32; 1], 1, &empty), None);
    }

    #[test]
    fn hot_tables_hold_the_128_most_linked_destinations() {
        // Destination d < 200 has 3 + d / 10 edges (ties among each ten), from one source;
        // 300 has two, too few for a place.
        let mut keys: Vec<u32> = (0..200u32)
            .flat_map(|d| std::iter::repeat_n(d, 3 + d as usize / 10))
            .collect();
        keys.extend([300, 300]);
        keys.sort();
        let table = hot_of(&keys);
        // The 128 most linked: the 120 of 80..200, then eight of the ten tied at 70..80, the
        // lower offsets.
        assert_eq!(table, (70..78).chain(80..200).collect::<Vec<u16>>());
        let tied: Vec<u32> = (0..200u32).flat_map(|d| [d, d, d]).collect();
        assert_eq!(hot_of(&tied), (0..128).collect::<Vec<u16>>(), "ties: the lower offsets");
        assert_eq!(hot_of(&[1, 1, 2]), Vec::<u16>::new(), "two edges earn no place");
        // What the scratch holds after a table: each entry's place plus one.
        let mut scratch = vec![0u32; BLOCK as usize];
        assert_eq!(hot_table(&[9, 4, 4, 4, 9, 9, 1], &mut scratch), [4, 9]);
        assert_eq!((scratch[4], scratch[9], scratch[1]), (1, 2, 0));
        // The encoder leaves its scratch clear between records: after a record whose table
        // holds destination 5, two edges into 5 (too few for a place) are coded cold.
        let mut record = Vec::new();
        let cell = |end| Cell {
            destination_block: 0,
            source_block: 0,
            end,
        };
        let full: Vec<u32> = (0..600u32).map(|s| (s << 16) | (s / 3)).collect();
        encode_record(&mut record, &[cell(600)], &full, 0);
        record.clear();
        encode_record(&mut record, &[cell(2)], &[5, 5], 0);
        // cells, table length, source block, edges − 1, wide steps, new bits, two cold first
        // bytes, the step, two second bytes.
        assert_eq!(record, [1, 0, 0, 1, 0, 0x01, 0x80, 0x80, 0, 5, 5]);
        // A full table, its last entry used, through every decoder: destination d < 200 from
        // the three sources 3d, 3d + 1, 3d + 2.
        let keys: Vec<u32> = (0..600u32).map(|s| (s << 16) | (s / 3)).collect();
        let (bytes, wide, table) = cell_bytes(&keys);
        assert_eq!(entries(&table), (0..128).collect::<Vec<u16>>());
        assert!(bytes.contains(&127), "an edge names entry 127");
        let decoders: [Decoder; 3] = [decode_keys::<true>, decode_keys::<false>, decode_cell];
        for decode in decoders {
            let mut out = vec![0u32; keys.len()];
            assert_eq!(decode(&bytes, 0, &mut out, wide, &table), Some(bytes.len()));
            assert_eq!(out, keys);
        }
    }

    /// The keys of a random cell: `edges` pairs of source and destination offsets, the
    /// sources shifted right by `spread` bits so that cells run from one source with many
    /// edges (steps of 0) to sources far apart (wide steps), the destinations by `narrow`
    /// bits so that they run from all cold to all hot, sorted.
    fn random_cell(pairs: &[(u32, u32)], spread: u32, narrow: u32) -> Vec<u32> {
        let mut keys: Vec<u32> = pairs.iter().map(|&(s, d)| (s >> spread) << 16 | d >> narrow).collect();
        keys.sort_unstable();
        keys
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The AVX-512 decoder gives the keys back, and on damaged bytes (flipped, cut, a
        /// wrong count of wide steps) writes exactly what the scalar decoder writes and
        /// ends or refuses where it does.
        #[test]
        fn the_avx512_decoder_agrees_with_the_scalar_one(
            pairs in proptest::collection::vec((0..BLOCK, 0..BLOCK), 1..600),
            spread in 0u32..15,
            narrow in 0u32..15,
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 1u8..), 0..3),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            damage in 0u8..4,
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let keys = random_cell(&pairs, spread, narrow);
            let (mut bytes, mut wide, table) = cell_bytes(&keys);
            let mut out = vec![0u32; keys.len()];
            proptest::prop_assert_eq!(decode_cell(&bytes, 0, &mut out, wide, &table), Some(bytes.len()));
            proptest::prop_assert_eq!(&out, &keys);
            // Damage: 1 flips bytes, 2 cuts the cell, 3 miscounts the wide steps; all but 2
            // leave bytes after the cell, as the next cell's would be.
            match damage {
                1 => flips.iter().for_each(|(at, x)| { let i = at.index(bytes.len()); bytes[i] ^= x }),
                2 => bytes.truncate(cut.index(bytes.len())),
                3 => wide = (wide + 1 + cut.index(3)) % (keys.len() + 1),
                _ => {}
            }
            if damage != 2 {
                bytes.extend_from_slice(&tail);
            }
            let mut scalar = vec![7u32; keys.len()];
            let want = decode_keys::<false>(&bytes, 0, &mut scalar, wide, &table);
            out.fill(7);
            proptest::prop_assert_eq!(decode_keys::<true>(&bytes, 0, &mut out, wide, &table), want);
            proptest::prop_assert_eq!(&out, &scalar);
            #[cfg(target_arch = "x86_64")]
            if avx512::available() {
                let mut simd = vec![7u32; keys.len()];
                proptest::prop_assert_eq!(decode_avx512(&bytes, 0, &mut simd, wide, &table), want);
                proptest::prop_assert_eq!(&simd, &scalar);
            } else {
                eprintln!("this processor has no AVX-512 (F, BW, VL): only the scalar decoders were compared");
            }
        }
    }

    /// Whether this test run compared the AVX-512 decoder at all: said once, so that a run
    /// on a processor without it does not pass silently.
    #[test]
    fn says_which_decoder_this_processor_uses() {
        #[cfg(target_arch = "x86_64")]
        eprintln!("AVX-512 cell decoder on this processor: {}", avx512::available());
    }

    #[test]
    fn varints_round_trip_and_refuse_what_is_cut_or_too_long() {
        let values = [0u64, 1, 127, 128, 300, 1 << 32, u64::MAX];
        let mut bytes = Vec::new();
        values.iter().for_each(|&v| put(&mut bytes, v));
        let mut at = 0;
        for &v in &values {
            assert_eq!(get(&bytes, &mut at), Some(v));
        }
        assert_eq!(at, bytes.len());
        assert_eq!(get(&bytes, &mut at), None, "past the end");
        assert_eq!(get(&[0x80, 0x80], &mut 0), None, "cut short");
        assert_eq!(get(&[0xFF; 11], &mut 0), None, "eleven bytes");
    }

    #[test]
    fn records_round_trip_and_refuse_damage() {
        let edges: Vec<u32> = vec![5, 5, 9, (3 << 16) | 7, 1, (BLOCK - 1) << 16 | (BLOCK - 1)];
        let cells = [
            Cell {
                destination_block: 4,
                source_block: 2,
                end: 4,
            },
            Cell {
                destination_block: 4,
                source_block: 9,
                end: 6,
            },
        ];
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &cells, &edges, 0);
        let decode = |bytes: &[u8], sources: std::ops::Range<u32>| {
            let (mut got_cells, mut got_edges) = (vec![cells[0]; 2], vec![0u32; 6]);
            let bounds = Bounds {
                block: 4,
                block_len: BLOCK,
                sources,
            };
            decode_record(bytes, &bounds, &mut got_cells, &mut got_edges, 0).map(|()| (got_cells, got_edges))
        };
        let all = 0..10 * BLOCK;
        assert_eq!(decode(&bytes, all.clone()), Ok((cells.to_vec(), edges.clone())));
        // Source ranges that exclude block 9, or the last source, every truncation, a byte
        // too many, and a flipped byte.
        assert!(decode(&bytes, 0..9 * BLOCK).is_err());
        assert!(decode(&bytes, 0..9 * BLOCK + BLOCK - 1).is_err());
        assert!(decode(&bytes, 2 * BLOCK + 1..10 * BLOCK).is_err(), "source 2·BLOCK + 0");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], all.clone()).is_err(), "cut at {cut}");
        }
        // A hot destination beyond a short last block.
        let hot: Vec<u32> = vec![7, 7, 7];
        let cell = Cell {
            destination_block: 4,
            source_block: 2,
            end: 3,
        };
        let mut record = Vec::new();
        encode_record(&mut record, &[cell], &hot, 0);
        let bounds = |block_len| Bounds {
            block: 4,
            block_len,
            sources: all.clone(),
        };
        assert!(Cursor::new(&record, bounds(8), 1, 3).is_ok());
        assert_eq!(
            Cursor::new(&record, bounds(7), 1, 3).err(),
            Some("a hot destination beyond the last node")
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, all.clone()).is_err());
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            if let Ok((c, e)) = decode(&bad, all.clone()) {
                assert!(c != cells || e != edges, "a flipped byte {i} went unseen");
            }
        }
    }
}
