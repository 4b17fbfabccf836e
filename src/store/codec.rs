//! How a shard's cells are coded on disk: per destination block, the cells from each source
//! block, each edge as a two-byte destination offset that says whether a new source starts,
//! and each new source as a one-byte step, the few wide steps set apart.
//!
//! A shard's edges into one destination block form a *block record*:
//!
//! ```text
//! record   = varint(cells) cell*
//! cell     = varint(source block − previous source block in this record; the first: itself)
//!            varint(edges − 1)
//!            varint(wide steps)
//!            destination* wide* step*
//! destination = u16, little-endian: the edge's destination offset (15 bits), and in bit 15
//!               1 when its source offset differs from the previous edge's (always on the first)
//! step     = per edge with bit 15 set, source offset − previous source offset − 1 (the first
//!            edge: its source offset): one byte below 255, else 255, meaning the next wide
//! wide     = u16, little-endian: the steps of 255 or more, in order
//! ```
//!
//! Edges ascend within a cell by (source offset, destination offset); equal pairs are
//! parallel edges, kept with `--multi`. Decoding gives back the in-memory cell layout (keys
//! `source offset << 16 | destination offset`, see graph::shard) exactly, so the engine's
//! sums run over the same values in the same order.
//!
//! Why this code: a streamed round decodes every edge every iteration, so the decoder must
//! cost a few cycles an edge. Every destination, step and wide step sits at a place known
//! from counts alone (2 × the edge's index; the new sources before it; the wide steps before
//! it), so no load waits on another: the only chains from edge to edge are three additions
//! (source offset, place in the steps, place in the wide steps), and the loop needs no
//! branch on the data. Version 2 wrote a wide step inline, after its 255, so that finding the next
//! step waited on reading this one: the decoder had to guess, and R-MAT 28's cells, whose
//! sources lie about 160 apart, make one step in five wide; the mispredicted guesses were
//! about 15 % of a streamed iteration. The version-1 code (LEB128 gaps between keys) was 11 %
//! larger on R-MAT 26 (2.96 bytes an edge against 2.63) and decoded at about 2.5 ns an edge,
//! its byte lengths mispredicted. Destinations take their 15 bits whole: R-MAT's (permuted)
//! ids leave them near 15 bits of entropy, and a bit-level code for the source steps would
//! save about one bit an edge at the price of a serial decode.
//!
//! The same property lets a processor with AVX-512 decode sixteen edges at a time (`avx512`):
//! the new-source bits of sixteen destinations say which step bytes they take (an expand),
//! the wide steps fill in where a step is 255 (another expand), and the source offsets are a
//! prefix sum across the lanes. On R-MAT 27 with edge factor 2, whose cells are R-MAT 28's
//! size, a streamed round took 0.777 s against the scalar loop's 0.981 s. Other processors
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

/// Appends the block record of `cells` (all into the same destination block, ascending by
/// source block), whose packed edges are the consecutive pieces of `edges` the cells' ends
/// mark, relative to `first` (where the first cell starts in `edges`).
pub(crate) fn encode_record(out: &mut Vec<u8>, cells: &[Cell], edges: &[u32], first: usize) {
    put(out, cells.len() as u64);
    let (mut start, mut previous_block) = (first, 0u32);
    for cell in cells {
        let end = cell.end as usize;
        debug_assert!(end > start, "cells are not empty");
        put(out, (cell.source_block - previous_block) as u64);
        previous_block = cell.source_block;
        put(out, (end - start - 1) as u64);
        let keys = &edges[start..end];
        // The steps of the cell's new sources, in order.
        let mut steps = Vec::new();
        let mut previous = None;
        for &key in keys {
            let source = key >> 16;
            if previous != Some(source) {
                steps.push(previous.map_or(source, |p| source - p - 1));
            }
            previous = Some(source);
        }
        put(out, steps.iter().filter(|&&step| step >= 255).count() as u64);
        let mut previous = None;
        for &key in keys {
            let (source, destination) = (key >> 16, key & 0xFFFF);
            debug_assert!(source < BLOCK && destination < BLOCK, "offsets within the cell");
            let new = u16::from(previous != Some(source)) << 15;
            out.extend_from_slice(&(destination as u16 | new).to_le_bytes());
            previous = Some(source);
        }
        for &step in steps.iter().filter(|&&step| step >= 255) {
            out.extend_from_slice(&(step as u16).to_le_bytes());
        }
        out.extend(steps.iter().map(|&step| step.min(255) as u8));
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
        };
        cursor.advance(true)?;
        Ok(cursor)
    }

    /// The next cell's source block and number of edges, or `None` at the end.
    #[inline]
    pub(crate) fn head(&self) -> Option<(u32, usize)> {
        self.head
    }

    /// Asks the processor to start fetching the next cell's bytes (up to 1 KiB), so that
    /// decoding it later does not wait on memory: a group's cursors take turns, one cell
    /// each, so each cell is read from a different place than the one before, too many
    /// streams for the hardware prefetcher to follow. A hint only; nothing on other
    /// processors than x86-64.
    #[inline]
    pub(crate) fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        if let (Some((_, len)), Some(rest)) = (self.head, self.bytes.get(self.at..)) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // Two bytes an edge, then the steps: about three bytes an edge in all.
            let reach = (3 * len).min(rest.len()).min(1024);
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
        let end = decode_cell(self.bytes, self.at, out, self.wide);
        self.at = end.ok_or("an edge cut short or outside its cell")?;
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

/// A cell's destinations, wide steps and steps, as [`parts`] finds them.
type CellParts<'a> = (&'a [u8], &'a [[u8; 2]], &'a [u8]);

/// The parts of a cell of `n` edges and `wide` wide steps at `at`: its destinations, its
/// wide steps and the steps (which run on to the record's end); `None` when the bytes end
/// first or the first edge does not start a source.
#[inline]
fn parts(bytes: &[u8], at: usize, n: usize, wide: usize) -> Option<CellParts<'_>> {
    let destinations = bytes.get(at..at + 2 * n)?;
    let (wides, _) = bytes.get(at + 2 * n..at + 2 * n + 2 * wide)?.as_chunks::<2>();
    let steps = &bytes[at + 2 * n + 2 * wide..];
    if destinations.get(1).is_some_and(|&high| high & 0x80 == 0) {
        return None; // the first edge must start its source
    }
    Some((destinations, wides, steps))
}

/// Decodes `out.len()` edges of a cell with `wide` wide steps from `bytes` at `at` into
/// keys, with AVX-512 where the processor has it ([`avx512`]), else with [`decode_keys`];
/// returns where the cell ends, or `None` as [`decode_keys`] does.
#[inline]
fn decode_cell(bytes: &[u8], at: usize, out: &mut [u32], wide: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if avx512::available() {
        let (destinations, wides, steps) = parts(bytes, at, out.len(), wide)?;
        // SAFETY: the processor has the features `decode` needs (just checked), and
        // `destinations` holds two bytes an edge of `out` (`parts`).
        let (j, w, seen) = unsafe { avx512::decode(destinations, wides, steps, out) };
        return (j <= steps.len() && w == wide && seen < BLOCK).then_some(at + 2 * out.len() + 2 * wide + j);
    }
    // Few wide steps: a branch on them is well predicted, and cheaper than reading a wide
    // step for every edge (the branch-free loop alone was 6 % slower on cells of 500
    // edges); one in 32 or more, as in R-MAT 28's cells, the branch is mispredicted too
    // often.
    if wide * 32 < out.len() {
        decode_keys::<true>(bytes, at, out, wide)
    } else {
        decode_keys::<false>(bytes, at, out, wide)
    }
}

/// Decodes `out.len()` edges of a cell with `wide` wide steps from `bytes` at `at` into
/// keys, one edge at a time; returns where the cell ends, or `None` when the bytes end
/// first, the first edge does not start a source, the steps do not use every wide step, or
/// a source offset leaves the cell (2^15 or more).
///
/// Every edge reads a step byte and a wide step, whether or not it starts a source or its
/// step is wide, and counts them only when it does (with masks, not branches): the loop has
/// no branch on the data, and its reads past the ends (for the last edges, which start no
/// source) give 0 instead.
///
/// With `FEW`, a wide step is read only where a step byte is 255, behind a branch: the
/// decoder for cells whose wide steps are rare enough for the branch to be predicted.
#[inline]
fn decode_keys<const FEW: bool>(bytes: &[u8], at: usize, out: &mut [u32], wide: usize) -> Option<usize> {
    let (destinations, wides, steps) = parts(bytes, at, out.len(), wide)?;
    // Wrapping from u32::MAX: the first edge's step lands on its source offset.
    let (mut source, mut j, mut w, mut seen) = (u32::MAX, 0usize, 0usize, 0u32);
    for (slot, d) in out.iter_mut().zip(destinations.chunks_exact(2)) {
        let d = u16::from_le_bytes([d[0], d[1]]) as u32;
        let new = d >> 15;
        let byte = steps.get(j).map_or(0, |&b| b as u32);
        // 1 when this edge starts a source and its step is the next wide one.
        let is_wide = u32::from(byte == 255) & new;
        let step = if FEW {
            if is_wide == 1 {
                wides.get(w).map_or(0, |&p| u16::from_le_bytes(p) as u32)
            } else {
                byte
            }
        } else {
            let long = wides.get(w).map_or(0, |&p| u16::from_le_bytes(p) as u32);
            byte ^ ((byte ^ long) & is_wide.wrapping_neg())
        };
        // `new` is 0 or 1: the step counts only on an edge that starts a source.
        source = source.wrapping_add((step + 1) & new.wrapping_neg());
        j += new as usize;
        w += is_wide as usize;
        seen |= source;
        *slot = source << 16 | (d & 0x7FFF);
    }
    (j <= steps.len() && w == wide && seen < BLOCK).then_some(at + 2 * out.len() + 2 * wide + j)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell's bytes: `keys` as one cell of a record, past the record's and cell's headers,
    /// and its count of wide steps.
    fn cell_bytes(keys: &[u32]) -> (Vec<u8>, usize) {
        let cell = Cell {
            destination_block: 0,
            source_block: 0,
            end: keys.len() as u64,
        };
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &[cell], keys, 0);
        let mut at = 0;
        for _ in 0..3 {
            get(&bytes, &mut at).unwrap(); // cells, source block, edges − 1
        }
        let wide = get(&bytes, &mut at).unwrap() as usize;
        (bytes.split_off(at), wide)
    }

    #[test]
    fn keys_round_trip_with_and_without_wide_steps() {
        round_trip(decode_keys::<true>);
        round_trip(decode_keys::<false>);
        // With AVX-512 where this processor has it (the next test compares the two).
        round_trip(decode_cell);
    }

    /// A cell decoder: `bytes`, where the cell starts, the keys, the wide steps.
    type Decoder = fn(&[u8], usize, &mut [u32], usize) -> Option<usize>;

    /// The round trip and refusals, with one of the decoders.
    fn round_trip(decode: Decoder) {
        // Sources 0 and 2^15 − 1, steps of 0, 253, 254 (the last one byte), 255 and more
        // (wide), several edges from one source, parallel edges, destinations 0 and
        // 2^15 − 1.
        let mut sources = vec![0u32, 0, 0, 1, 255, 510, 766, 20_000, 32_766, 32_767, 32_767];
        sources.sort();
        let keys: Vec<u32> = sources
            .iter()
            .enumerate()
            .map(|(i, &s)| s << 16 | [0, 5, 5, 32_767, 77][i % 5])
            .collect();
        let mut keys = keys;
        keys.sort();
        let (bytes, wide) = cell_bytes(&keys);
        // The steps of 255 or more: 766 − 510 − 1 = 255, 19,233 and 12,765 (510 − 255 − 1 =
        // 254 is one byte).
        assert_eq!(wide, 3);
        let mut out = vec![0u32; keys.len()];
        assert_eq!(decode(&bytes, 0, &mut out, wide), Some(bytes.len()));
        assert_eq!(out, keys);
        // 2 bytes a destination, one step byte a new source, two more a wide step.
        let distinct = {
            let mut d = sources.clone();
            d.dedup();
            d.len()
        };
        assert_eq!(bytes.len(), 2 * keys.len() + distinct + 2 * wide);
        // Decoded at an offset, and with bytes after the cell.
        let mut shifted = vec![9u8; 3];
        shifted.extend_from_slice(&bytes);
        shifted.extend_from_slice(&[255, 255, 255]);
        assert_eq!(decode(&shifted, 3, &mut out, wide), Some(3 + bytes.len()));
        assert_eq!(out, keys);
        // Every cut is refused (the steps, wide steps or destinations end first).
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], 0, &mut out, wide), None, "cut at {cut}");
        }
        // A wide step too many or too few moves the steps: the cell never decodes to the
        // same keys and end (the record's own checks then see the damage).
        for wrong in [wide - 1, wide + 1] {
            let end = decode(&bytes, 0, &mut out, wrong);
            assert!(
                end != Some(bytes.len()) || out != keys,
                "{wrong} wide steps went unseen"
            );
        }
        // A first edge that does not start a source; a source beyond the cell.
        let mut bad = bytes.clone();
        bad[1] &= 0x7F;
        assert_eq!(decode(&bad, 0, &mut out, wide), None);
        let (over, one) = cell_bytes(&[32_767 << 16]);
        assert_eq!(
            (one, &over[2..]),
            (1, &[0xFF, 0x7F, 255][..]),
            "the step 32,767 is wide"
        );
        assert_eq!(decode(&over, 0, &mut [0u32; 1], 1), Some(over.len()));
        let mut bad = over.clone();
        bad[2..4].copy_from_slice(&[0x00, 0x80]); // step 32,768: source 2^15
        assert_eq!(decode(&bad, 0, &mut [0u32; 1], 1), None);
    }

    /// The keys of a random cell: `edges` pairs of source and destination offsets, the
    /// sources shifted right by `spread` bits so that cells run from one source with many
    /// edges (steps of 0) to sources far apart (wide steps), sorted.
    fn random_cell(pairs: &[(u32, u32)], spread: u32) -> Vec<u32> {
        let mut keys: Vec<u32> = pairs.iter().map(|&(s, d)| (s >> spread) << 16 | d).collect();
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
            pairs in proptest::collection::vec((0..BLOCK, 0..BLOCK), 1..200),
            spread in 0u32..15,
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 1u8..), 0..3),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            damage in 0u8..4,
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let keys = random_cell(&pairs, spread);
            let (mut bytes, mut wide) = cell_bytes(&keys);
            let mut out = vec![0u32; keys.len()];
            proptest::prop_assert_eq!(decode_cell(&bytes, 0, &mut out, wide), Some(bytes.len()));
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
            let want = decode_keys::<false>(&bytes, 0, &mut scalar, wide);
            out.fill(7);
            proptest::prop_assert_eq!(decode_keys::<true>(&bytes, 0, &mut out, wide), want);
            proptest::prop_assert_eq!(&out, &scalar);
            #[cfg(target_arch = "x86_64")]
            if avx512::available() {
                let mut simd = vec![7u32; keys.len()];
                let got = (|| {
                    let (destinations, wides, steps) = parts(&bytes, 0, keys.len(), wide)?;
                    // SAFETY: the processor has AVX-512 F, BW and VL; `parts` gives two bytes
                    // of destination an edge.
                    let (j, w, seen) = unsafe { avx512::decode(destinations, wides, steps, &mut simd) };
                    (j <= steps.len() && w == wide && seen < BLOCK).then_some(2 * keys.len() + 2 * wide + j)
                })();
                proptest::prop_assert_eq!(got, want);
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
