//! How a shard's cells are coded on disk: per destination block, the cells from each source
//! block with their edges as gaps between packed keys, in LEB128 varints.
//!
//! A shard's edges into one destination block form a *block record*:
//!
//! ```text
//! record   = varint(cells) cell*
//! cell     = varint(source block − previous source block in this record; the first: itself)
//!            varint(edges − 1)
//!            varint(key₀) varint(key₁ − key₀) … varint(keyₖ − keyₖ₋₁)
//! key      = source offset << 16 | destination offset   (the in-memory edge, see graph::shard)
//! ```
//!
//! Keys ascend within a cell (equal keys are parallel edges, kept with `--multi`), so the
//! gaps are small where edges are dense: crawl order puts a page's links next to it, and
//! R-MAT's hubs crowd the first blocks. Decoding gives back the in-memory cell layout
//! exactly, so the engine's sums run over the same values in the same order.
//!
//! On disk a record is *framed*: a tag byte, then either the record as above (tag 0) or
//! its length as a varint and the record compressed as one zstd frame (tag 1), whichever
//! is smaller by a tenth. Crawls repeat themselves (pages of a site link to the same
//! pages): zstd takes cnr-2000's records from 1.25 to about 0.4 bytes an edge, where
//! R-MAT's random links gain 5 % and stay as they are, costing nothing to read.
//!
//! Hand-written because it is the product's own fast path: a byte-aligned varint decodes
//! with one branch a byte and no table, a few nanoseconds an edge on the rayon pool.

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
        let mut previous = 0u32;
        for &key in &edges[start..end] {
            put(out, (key - previous) as u64);
            previous = key;
        }
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
        };
        cursor.advance(true)?;
        Ok(cursor)
    }

    /// The next cell's source block and number of edges, or `None` at the end.
    #[inline]
    pub(crate) fn head(&self) -> Option<(u32, usize)> {
        self.head
    }

    /// Decodes the next cell's keys into `out` (exactly [`head`](Cursor::head)'s edges) and
    /// moves to the cell after it.
    pub(crate) fn keys(&mut self, out: &mut [u32]) -> Result<(), Malformed> {
        let (source_block, len) = self.head.ok_or("a record that does not fit the index")?;
        debug_assert_eq!(out.len(), len, "the cell's edges");
        self.at = decode_keys(self.bytes, self.at, out).ok_or("an edge cut short or outside its cell")?;
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
        self.head = Some((self.source_block as u32, len as usize));
        Ok(())
    }
}

/// Decodes `out.len()` key gaps from `bytes` at `at` into keys; returns where they end, or
/// `None` when the bytes end first or a key leaves its cell (an offset of 2^15 or more).
///
/// While four bytes remain, gaps of one to three bytes (a destination's step, or a step to
/// the next source: nearly all of them) are read without a bounds check per byte. A
/// branch-free variant that finds the length from the continuation bits measured slower
/// (1.13 s against 0.79-1.05 s ranking cnr-2000 from a store): each gap's position then
/// waits on the previous one's length, where predicted branches let the loads run ahead.
/// Keys ascend, so the cell check is one OR per key and one test at the end.
#[inline]
fn decode_keys(bytes: &[u8], mut at: usize, out: &mut [u32]) -> Option<usize> {
    let mut key = 0u64;
    let mut seen = 0u64;
    for slot in out.iter_mut() {
        match bytes.get(at..at + 4) {
            Some(w) if w[0] < 0x80 => {
                key += w[0] as u64;
                at += 1;
            }
            Some(w) if w[1] < 0x80 => {
                key += (w[0] & 0x7F) as u64 | (w[1] as u64) << 7;
                at += 2;
            }
            Some(w) if w[2] < 0x80 => {
                key += (w[0] & 0x7F) as u64 | ((w[1] & 0x7F) as u64) << 7 | (w[2] as u64) << 14;
                at += 3;
            }
            _ => key += get(bytes, &mut at)?,
        }
        seen |= key;
        *slot = key as u32;
    }
    // Keys ascend: the last is the largest.
    let outside = (BLOCK as u64) << 16 | BLOCK as u64;
    (key <= u32::MAX as u64 && seen & outside == 0).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_alike_on_the_fast_and_the_slow_path() {
        // Gaps of every length from 1 to 5 bytes, enough of them that the fast path runs,
        // then the last ones through the byte-by-byte path.
        let gaps: Vec<u64> = (0..200u64)
            .map(|i| [0, 1, 127, 128, 16_383, 16_384, (1 << 21) + 5, 1 << 28][i as usize % 8] % (1 << 22))
            .collect();
        let mut bytes = Vec::new();
        gaps.iter().for_each(|&g| put(&mut bytes, g));
        let mut keys = vec![0u32; gaps.len()];
        let mut expected = Vec::new();
        let mut key = 0u64;
        for &g in &gaps {
            key += g;
            expected.push(key as u32);
        }
        let fits = key < (1 << 31) && expected.iter().all(|&k| k & 0x8000_8000 == 0);
        assert_eq!(decode_keys(&bytes, 0, &mut keys).is_some(), fits);
        if fits {
            assert_eq!(keys, expected);
        }
        // Keys inside a cell: offsets below 2^15, both ways.
        let inside: Vec<u32> = (0..100u32).map(|i| (i * 300) << 16 | (i * 7 % 100)).collect();
        let mut bytes = Vec::new();
        let mut previous = 0;
        for &k in &inside {
            put(&mut bytes, (k - previous) as u64);
            previous = k;
        }
        let mut keys = vec![0u32; inside.len()];
        assert_eq!(decode_keys(&bytes, 0, &mut keys), Some(bytes.len()));
        assert_eq!(keys, inside);
        // A five-byte gap on the fast path (more bytes follow) and one offset too large.
        let mut bytes = Vec::new();
        put(&mut bytes, 1 << 31);
        put(&mut bytes, 1);
        bytes.extend([0; 8]);
        assert_eq!(
            decode_keys(&bytes, 0, &mut [0u32; 2]),
            None,
            "bit 31 set: outside the cell"
        );
        let mut bytes = Vec::new();
        put(&mut bytes, 1 << 15);
        bytes.extend([0; 8]);
        assert_eq!(decode_keys(&bytes, 0, &mut [0u32; 1]), None, "destination offset 2^15");
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
