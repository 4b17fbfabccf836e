//! Opening a store: the manifest checked, every file's size and CRC-32 verified, the nodes
//! read into memory and each shard's index kept, so that the engine can decode any shard's
//! cells into any range of destination blocks, every iteration, without holding the edges.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::write::HEADER_BYTES;
use super::{CELL_CODING, CELLS_MAGIC, FORMAT, FileEntry, MANIFEST, Manifest, VERSION, codec};
use crate::error::{Error, Result};
use crate::graph::ids::Named;
use crate::graph::{CellSlices, CellSource, Graph, NodeTable, ShardedGraph, VisitedCell};
use crate::input::strings::StringTable;
use crate::partition::{BLOCK_BITS, Partition, block_count};

/// An opened store: its manifest, and its graph ready to rank (nodes in memory, cells on
/// disk).
pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
    graph: Graph,
}

impl Store {
    /// Opens the store at `dir`, verifying every file against the manifest. A missing,
    /// truncated or changed file is an error naming it.
    pub fn open(dir: &Path) -> Result<Store> {
        let manifest = read_manifest(dir)?;
        verify(dir, &manifest.files)?;
        let graph = read_graph(dir, &manifest)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            manifest,
            graph,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The graph: its cells are read from the store whenever the engine needs them.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, taken out of the store.
    pub fn into_graph(self) -> Graph {
        self.graph
    }
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Input(format!(
        "{}: {what}; the store is damaged or incomplete: build it again (crawlrank build … -o STORE)",
        path.display()
    ))
}

/// Reads and checks the manifest of the store at `dir` (the other files are not read).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| corrupt(&path, format!("not a store manifest ({e})")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(corrupt(
            &path,
            format!("not a crawlrank store manifest (no \"format\": \"{FORMAT}\")"),
        ));
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(VERSION as u64) {
        return Err(Error::Input(format!(
            "{}: a store of layout version {}, and this crawlrank reads version {VERSION}; build the store again \
             with this crawlrank",
            path.display(),
            version.map_or("?".to_string(), |v| v.to_string())
        )));
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| corrupt(&path, format!("a manifest that does not read ({e})")))?;
    if manifest.cell_coding != CELL_CODING || manifest.block_bits != BLOCK_BITS {
        return Err(corrupt(
            &path,
            format!(
                "cells coded as {} with blocks of 2^{} ids; this crawlrank reads {CELL_CODING} with 2^{BLOCK_BITS}",
                manifest.cell_coding, manifest.block_bits
            ),
        ));
    }
    let bounds = &manifest.bounds;
    let nodes = manifest.graph.nodes;
    if bounds.len() < 2
        || bounds[0] != 0
        || bounds.windows(2).any(|w| w[0] > w[1])
        || *bounds.last().expect("two bounds") as u64 != nodes
    {
        return Err(corrupt(&path, "shard bounds that do not cover the nodes"));
    }
    Ok(manifest)
}

/// Checks every file's size and CRC-32, in parallel.
fn verify(dir: &Path, files: &[FileEntry]) -> Result<()> {
    files.par_iter().try_for_each(|entry| {
        let path = super::at(dir, &entry.path);
        let file = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => corrupt(&path, "missing"),
            _ => Error::io(&path, e),
        })?;
        let size = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if size != entry.bytes {
            return Err(corrupt(
                &path,
                format!("{size} bytes where the manifest says {}", entry.bytes),
            ));
        }
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0u64;
        while at < size {
            let len = buf.len().min((size - at) as usize);
            file.read_exact_at(&mut buf[..len], at)
                .map_err(|e| Error::io(&path, e))?;
            hasher.update(&buf[..len]);
            at += len as u64;
        }
        let crc = format!("{:08x}", hasher.finalize());
        if crc != entry.crc32 {
            return Err(corrupt(
                &path,
                format!("CRC-32 {crc} where the manifest says {}", entry.crc32),
            ));
        }
        Ok(())
    })
}

/// Reads a little-endian array of `N`-byte values.
fn read_array<T: Send, const N: usize>(
    dir: &Path,
    name: &str,
    count: usize,
    value: impl Fn([u8; N]) -> T + Sync,
) -> Result<Vec<T>> {
    let path = super::at(dir, name);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    if bytes.len() != count * N {
        return Err(corrupt(
            &path,
            format!("{} bytes where {count} values take {}", bytes.len(), count * N),
        ));
    }
    Ok(bytes
        .par_chunks_exact(N)
        .map(|c| value(c.try_into().expect("N bytes")))
        .collect())
}

fn read_strings(dir: &Path, base: &str, count: usize) -> Result<StringTable> {
    let ends: Vec<usize> = read_array(dir, &format!("{base}.ends"), count, |b| u64::from_le_bytes(b) as usize)?;
    let path = super::at(dir, &format!("{base}.text"));
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let ascending = ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().is_none_or(|&e| e == bytes.len());
    if !ascending {
        return Err(corrupt(&path, "string ends that do not fit the text"));
    }
    Ok(StringTable { bytes, ends })
}

fn read_ids(dir: &Path, kind: &str, n: usize) -> Result<NodeTable> {
    Ok(match kind {
        "dense" => NodeTable::Dense(n as u32),
        "int" | "named" => NodeTable::Int(read_array(dir, "nodes/ids.u64", n, u64::from_le_bytes)?),
        "string" => NodeTable::String(read_strings(dir, "nodes/ids", n)?),
        other => return Err(corrupt(&dir.join(MANIFEST), format!("an unknown node table `{other}`"))),
    })
}

fn has(manifest: &Manifest, name: &str) -> bool {
    manifest.files.iter().any(|f| f.path == name)
}

/// The graph of a verified store: node table, degrees and weight sums in memory, shards as
/// ranges whose cells are decoded on demand.
fn read_graph(dir: &Path, manifest: &Manifest) -> Result<Graph> {
    let n = manifest.graph.nodes as usize;
    let mut nodes = match manifest.node_table.as_str() {
        "named" if !has(manifest, "nodes/ids.u64") => NodeTable::Dense(n as u32),
        kind => read_ids(dir, kind, n)?,
    };
    if manifest.node_table == "named" {
        let ids = nodes;
        let mut named = Named::new(ids, read_strings(dir, "nodes/names", n)?);
        if has(manifest, "nodes/extra.ends") {
            named.extra = Some(read_strings(dir, "nodes/extra", n)?);
        }
        named.columns = manifest.columns.iter().map(|(c, _)| c.clone()).collect();
        named.integer_columns = manifest.columns.iter().map(|&(_, i)| i).collect();
        nodes = NodeTable::Named(Box::new(named));
    }
    let out_degree = read_array(dir, "nodes/out-degree.u32", n, u32::from_le_bytes)?;
    let in_degree = read_array(dir, "nodes/in-degree.u32", n, u32::from_le_bytes)?;
    let f64s = |name: &str| read_array(dir, name, n, |b| f64::from_bits(u64::from_le_bytes(b)));
    let weighted = manifest.graph.weighted;
    let (out_weight, scaled_sums) = if weighted {
        (
            Some(f64s("nodes/out-weight.f64")?),
            Some(f64s("nodes/scaled-weight-sum.f64")?),
        )
    } else {
        (None, None)
    };
    let bounds = manifest.bounds.clone();
    let partition = Partition::from_bounds(bounds.clone());
    let blocks = block_count(n as u32);
    let shards: Vec<StoredShard> = (0..manifest.shards())
        .into_par_iter()
        .map(|s| StoredShard::open(dir, manifest, s, bounds[s]..bounds[s + 1], blocks))
        .collect::<Result<_>>()?;
    let edges: u64 = shards.iter().map(|s| s.edges).sum();
    if edges != manifest.graph.edges {
        return Err(corrupt(
            &dir.join(MANIFEST),
            format!(
                "{edges} edges in the shards where the manifest says {}",
                manifest.graph.edges
            ),
        ));
    }
    let cells = StoreCells {
        shards,
        nodes: n as u32,
    };
    let sharded = ShardedGraph::streamed(
        partition,
        out_degree,
        in_degree,
        out_weight,
        scaled_sums,
        manifest.graph.clone(),
        Arc::new(cells),
    );
    Ok(Graph::new(Arc::new(nodes), sharded, manifest.inputs.clone()))
}

/// The cells of every shard of a store, read on demand.
#[derive(Debug)]
struct StoreCells {
    shards: Vec<StoredShard>,
    /// Nodes of the graph.
    nodes: u32,
}

/// One shard's cells file, opened and mapped, with its index.
///
/// The records are read through the mapping, where they lie in the page cache: reading them
/// with `pread` copied every byte once more, 12 % of a streamed R-MAT 28 round. Each read
/// asks the kernel to start reading its range ahead, and gives the range's pages back to
/// the page cache when decoded, so they never count in the process's resident memory for
/// longer than one group of one shard. A cells file cut short while a run reads it (the
/// store is checked when opened) would stop the process with SIGBUS instead of an error.
#[derive(Debug)]
struct StoredShard {
    path: PathBuf,
    map: memmap2::Mmap,
    source_range: Range<u32>,
    /// Where each destination block's record starts in the file (`blocks + 1` entries).
    byte_index: Vec<u64>,
    /// Edges before each destination block's record (`blocks + 1` entries).
    edge_index: Vec<u64>,
    /// Cells before each destination block's record (`blocks + 1` entries).
    cell_index: Vec<u64>,
    edges: u64,
    weights: Option<(PathBuf, File)>,
    /// The power of two each source's weights were divided by, when any was.
    scales: Option<Vec<i16>>,
}

impl StoredShard {
    fn open(dir: &Path, manifest: &Manifest, s: usize, range: Range<u32>, blocks: u32) -> Result<StoredShard> {
        let path = super::at(dir, &super::cells_file(s));
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut header = [0u8; HEADER_BYTES];
        file.read_exact_at(&mut header, 0)
            .map_err(|_| corrupt(&path, "shorter than its header"))?;
        let u32_at = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
        if &header[..8] != CELLS_MAGIC
            || u32_at(8) != VERSION
            || u32_at(12) as usize != s
            || (u32_at(16)..u32_at(20)) != range
            || u32_at(24) != blocks
        {
            return Err(corrupt(&path, "a header that does not match the manifest"));
        }
        let (edges, cells, payload) = (u64_at(32), u64_at(40), u64_at(48));
        let entries = blocks as usize + 1;
        let mut index = vec![0u8; 24 * entries];
        file.read_exact_at(&mut index, HEADER_BYTES as u64)
            .map_err(|_| corrupt(&path, "shorter than its index"))?;
        let values: Vec<u64> = index
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let start = (HEADER_BYTES + index.len()) as u64;
        let byte_index: Vec<u64> = values[..entries].iter().map(|&b| start.saturating_add(b)).collect();
        let edge_index = values[entries..2 * entries].to_vec();
        let cell_index = values[2 * entries..].to_vec();
        let size = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        let sorted = |v: &[u64]| v.windows(2).all(|w| w[0] <= w[1]);
        // A block has cells exactly when it has edges and a record, and never more cells
        // than edges.
        let fits = (0..blocks as usize).all(|b| {
            let (bytes, edges, cells) = (
                byte_index[b + 1] - byte_index[b],
                edge_index[b + 1] - edge_index[b],
                cell_index[b + 1] - cell_index[b],
            );
            edges >= cells && (edges == 0) == (cells == 0) && (bytes == 0) == (edges == 0)
        });
        if !sorted(&byte_index)
            || !sorted(&edge_index)
            || !sorted(&cell_index)
            || byte_index[0] != start
            || byte_index[blocks as usize] != size
            || size != start + payload
            || edge_index[0] != 0
            || edge_index[blocks as usize] != edges
            || cell_index[0] != 0
            || cell_index[blocks as usize] != cells
            || !fits
        {
            return Err(corrupt(&path, "an index that does not fit the file"));
        }
        let weights = if manifest.graph.weighted {
            let wpath = super::at(dir, &super::weights_file(s));
            let wfile = File::open(&wpath).map_err(|e| Error::io(&wpath, e))?;
            let wsize = wfile.metadata().map_err(|e| Error::io(&wpath, e))?.len();
            if wsize != edges * 8 {
                return Err(corrupt(&wpath, format!("{wsize} bytes for {edges} weights")));
            }
            Some((wpath, wfile))
        } else {
            None
        };
        let scales = if has(manifest, &super::scales_file(s)) {
            Some(read_array(
                dir,
                &super::scales_file(s),
                range.len(),
                i16::from_le_bytes,
            )?)
        } else {
            None
        };
        // SAFETY: the mapping is read-only (shared with the page cache, never written), and
        // a store's files are never changed in place: `build` writes a new store beside the
        // old and swaps the folders with renames, so the mapped file keeps its bytes. A file
        // cut short by someone else during a run would stop the process with SIGBUS.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(&path, e))?;
        Ok(StoredShard {
            path,
            map,
            source_range: range,
            byte_index,
            edge_index,
            cell_index,
            edges,
            weights,
            scales,
        })
    }
}

impl CellSource for StoreCells {
    fn edges_into(&self, s: usize, blocks: Range<u32>) -> u64 {
        let index = &self.shards[s].edge_index;
        index[blocks.end as usize] - index[blocks.start as usize]
    }

    fn cells_into(&self, s: usize, blocks: Range<u32>) -> u64 {
        let index = &self.shards[s].cell_index;
        index[blocks.end as usize] - index[blocks.start as usize]
    }

    fn scales(&self, s: usize) -> Option<Vec<i16>> {
        self.shards[s].scales.clone()
    }

    fn load_into(&self, s: usize, blocks: Range<u32>, into: CellSlices<'_>, buffer: &mut Vec<u8>) -> Result<()> {
        let shard = &self.shards[s];
        let CellSlices {
            cells,
            edges,
            weights,
            edge_base,
        } = into;
        let (first, last) = (blocks.start as usize, blocks.end as usize);
        debug_assert_eq!(cells.len() as u64, shard.cell_index[last] - shard.cell_index[first]);
        debug_assert_eq!(edges.len() as u64, shard.edge_index[last] - shard.edge_index[first]);
        let (base_cells, base_edges) = (shard.cell_index[first], shard.edge_index[first]);
        shard.with_records(first..last, |records, from| {
            let mut unframer = codec::Unframer::default();
            for block in blocks.clone() {
                let b = block as usize;
                let record = (shard.byte_index[b] - from) as usize..(shard.byte_index[b + 1] - from) as usize;
                if record.is_empty() {
                    continue;
                }
                let c = (shard.cell_index[b] - base_cells) as usize..(shard.cell_index[b + 1] - base_cells) as usize;
                let e = (shard.edge_index[b] - base_edges) as usize..(shard.edge_index[b + 1] - base_edges) as usize;
                let record = unframer
                    .unframe(&records[record])
                    .map_err(|what| corrupt(&shard.path, format!("destination block {block}: {what}")))?;
                let bounds = self.bounds(shard, block);
                codec::decode_record(
                    record,
                    &bounds,
                    &mut cells[c],
                    &mut edges[e.clone()],
                    edge_base + e.start as u64,
                )
                .map_err(|what| corrupt(&shard.path, format!("destination block {block}: {what}")))?;
            }
            Ok(())
        })?;
        if let Some(weights) = weights {
            shard.read_weights(first..last, weights, buffer)?;
        }
        Ok(())
    }

    fn visit_cells(&self, s: usize, blocks: Range<u32>, visit: &mut dyn FnMut(VisitedCell<'_>)) -> Result<()> {
        let shard = &self.shards[s];
        let (first, last) = (blocks.start as usize, blocks.end as usize);
        shard.with_records(first..last, |bytes, from| {
            self.visit_records(shard, blocks, bytes, from, visit)
        })
    }
}

impl StoreCells {
    /// [`CellSource::visit_cells`] over the records `buffer` (as mapped) of `shard`'s
    /// destination blocks `blocks`, which start at file offset `from`.
    fn visit_records(
        &self,
        shard: &StoredShard,
        blocks: Range<u32>,
        buffer: &[u8],
        from: u64,
        visit: &mut dyn FnMut(VisitedCell<'_>),
    ) -> Result<()> {
        let (first, last) = (blocks.start as usize, blocks.end as usize);
        let weights = match shard.weights {
            Some(_) => {
                let mut weights = vec![0.0; (shard.edge_index[last] - shard.edge_index[first]) as usize];
                shard.read_weights(first..last, &mut weights, &mut Vec::new())?;
                Some(weights)
            }
            None => None,
        };
        let damaged = |block: u32, what| corrupt(&shard.path, format!("destination block {block}: {what}"));
        // Raw records are read where they lie; compressed ones are decompressed each into
        // its own buffer, since the cursors move through all of them together.
        let mut unframer = codec::Unframer::default();
        let mut records = Vec::new();
        for block in blocks.clone() {
            let b = block as usize;
            let bytes = &buffer[(shard.byte_index[b] - from) as usize..(shard.byte_index[b + 1] - from) as usize];
            if !bytes.is_empty() {
                let record = codec::unframe_owned(&mut unframer, bytes).map_err(|what| damaged(block, what))?;
                records.push((block, record));
            }
        }
        // (destination block, cursor, where its next cell's edges go)
        let mut cursors = Vec::with_capacity(records.len());
        for (block, record) in &records {
            let b = *block as usize;
            let cells = shard.cell_index[b + 1] - shard.cell_index[b];
            let edges = shard.edge_index[b + 1] - shard.edge_index[b];
            let cursor = codec::Cursor::new(record, self.bounds(shard, *block), cells, edges)
                .map_err(|what| damaged(*block, what))?;
            cursors.push((*block, cursor, (shard.edge_index[b] - shard.edge_index[first]) as usize));
        }
        let mut keys = Vec::new();
        let source_blocks = shard.source_range.start >> BLOCK_BITS..shard.source_range.end.div_ceil(1 << BLOCK_BITS);
        for source_block in source_blocks {
            for i in 0..cursors.len() {
                if let Some((_, next, _)) = cursors.get(i + 1) {
                    next.prefetch();
                }
                let (block, cursor, at) = &mut cursors[i];
                let Some((next, len)) = cursor.head() else { continue };
                if next != source_block {
                    continue;
                }
                if keys.len() < len {
                    keys.resize(len, 0); // grown, never filled again for a smaller cell
                }
                let keys = &mut keys[..len];
                cursor.keys(keys).map_err(|what| damaged(*block, what))?;
                visit(VisitedCell {
                    source_block,
                    at: *at,
                    keys,
                    weights: weights.as_ref().map(|w| &w[*at..*at + len]),
                });
                *at += len;
            }
        }
        // A cursor that still has cells would be one whose source blocks descend; the
        // cursor's checks make that impossible, but say so rather than lose edges.
        if let Some((block, _, _)) = cursors.iter().find(|(_, c, _)| c.head().is_some()) {
            return Err(damaged(*block, "cells out of order"));
        }
        Ok(())
    }
}

impl StoreCells {
    /// Where the edges of `shard`'s record into `block` may lead.
    fn bounds(&self, shard: &StoredShard, block: u32) -> codec::Bounds {
        codec::Bounds {
            block,
            block_len: (self.nodes - (block << BLOCK_BITS)).min(1 << BLOCK_BITS),
            sources: shard.source_range.clone(),
        }
    }
}

impl StoredShard {
    /// Runs `decode` on the records of destination blocks `blocks`, where they lie in the
    /// mapped file, and the file offset they start at: the kernel is asked to read them
    /// ahead, and their pages are given back to the page cache afterwards, whatever
    /// `decode` returns.
    fn with_records<T>(&self, blocks: Range<usize>, decode: impl FnOnce(&[u8], u64) -> T) -> T {
        let records = self.records(blocks.clone());
        let result = decode(records.0, records.1);
        self.release(blocks);
        result
    }

    /// The records of destination blocks `blocks`, where they lie in the mapped file, and
    /// the file offset they start at; the kernel is asked to read them ahead.
    fn records(&self, blocks: Range<usize>) -> (&[u8], u64) {
        let (from, to) = (self.byte_index[blocks.start], self.byte_index[blocks.end]);
        let range = from as usize..to as usize;
        if !range.is_empty() {
            // Advice only: a kernel that ignores it reads the pages as they are touched.
            let _ = self
                .map
                .advise_range(memmap2::Advice::WillNeed, range.start, range.len());
        }
        (&self.map[range], from)
    }

    /// Unmaps the pages of the records of `blocks` from this process; they stay in the page cache, and the mapping reads them again there
    /// if touched again.
    fn release(&self, blocks: Range<usize>) {
        let (from, to) = (self.byte_index[blocks.start], self.byte_index[blocks.end]);
        if to > from {
            // SAFETY: the mapping is read-only and backed by the file: dropping its pages
            // loses nothing, and any later read faults them in from the file again.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from as usize, (to - from) as usize)
            };
        }
    }

    /// Reads the stored weights of the edges into destination blocks `blocks` into
    /// `weights` (exactly their number), through `buffer`.
    fn read_weights(&self, blocks: Range<usize>, weights: &mut [f64], buffer: &mut Vec<u8>) -> Result<()> {
        let Some((path, file)) = &self.weights else {
            return Ok(());
        };
        let (a, b) = (self.edge_index[blocks.start], self.edge_index[blocks.end]);
        buffer.resize(((b - a) * 8) as usize, 0);
        file.read_exact_at(buffer, a * 8).map_err(|e| Error::io(path, e))?;
        for (w, c) in weights.iter_mut().zip(buffer.chunks_exact(8)) {
            *w = f64::from_bits(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        Ok(())
    }
}
