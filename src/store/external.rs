//! The external-memory build: a store made without ever holding all the edges in memory.
//!
//! 1. **Spill.** Edges are read as `rank` reads them (lazily, in parallel) into a buffer of
//!    raw `source << 32 | target` keys; each time it is full it is sorted, deduplicated and
//!    written to the temporary folder as a *run* (the gaps between keys as varints), and the
//!    ids it names are marked in a bitmap of ids.
//! 2. **Number.** The bitmap gives the nodes: dense id = how many marked ids come before, a
//!    rank over the bitmap (ids ascending, as the in-memory build numbers them). The map is
//!    monotone, so raw key order is dense key order.
//! 3. **Merge, twice.** The runs are merged into one ascending stream, duplicates collapsed
//!    across runs: the first pass counts degrees (then the partition is made, as in memory);
//!    the second deals the edges, in source order, to one shard at a time, which is sorted
//!    into cells and written while the next fills.
//!
//! Memory holds the buffer (about half of `--memory`), the bitmap (one bit an id up to the
//! largest), the degrees and ids (16 bytes a node) and one or two shards' edges. The store is
//! byte for byte the one the in-memory build writes. Integer ids below 2^32 without weights
//! take this path, named (`--names`, every edge's ends listed) or not; other graphs are built
//! in memory.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use std::sync::atomic::AtomicU32;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use rayon::prelude::*;

use super::codec::{get, put};
use super::write::{BuildReport, finish, prepare, write_manifest, write_nodes, write_shard};
use super::{CELL_CODING, FORMAT, Manifest, VERSION};
use crate::error::{Error, Result};
use crate::graph::names::{Declared, PendingNames};
use crate::graph::shard::{append_edge, storage_key};
use crate::graph::{GraphStats, NodeTable, Shard};
use crate::input::text::{IntegerBatch, parse_id};
use crate::input::{EdgeSink, FileReport};
use crate::output::summary::LoadRecord;
use crate::partition::{BLOCK_BITS, MAX_SHARDS, Partition, block_count, default_shard_count};

/// Keys a run holds at most, whatever the budget (a run is sorted in memory).
const MAX_RUN_KEYS: usize = 1 << 31;

/// An [`EdgeSink`] that spills sorted runs of raw keys to a temporary folder.
pub(crate) struct Spiller {
    tmp: PathBuf,
    buffer: Vec<u64>,
    capacity: usize,
    runs: Vec<PathBuf>,
    /// Bit `id` set: `id` is a node (atomics, marked from the rayon pool).
    ids: Vec<AtomicU64>,
    /// Ids `0..declared` are nodes whatever the edges say (a BVGraph's).
    declared: u64,
    edges_read: u64,
    multi: bool,
    /// The first error met while spilling (sink calls cannot fail).
    error: Option<Error>,
}

impl Spiller {
    /// A sink spilling runs of at most `memory / 2` bytes into a new folder inside `tmp`.
    pub(crate) fn new(tmp: &Path, memory: u64, multi: bool) -> Result<Spiller> {
        std::fs::create_dir_all(tmp).map_err(|e| Error::io(tmp, e))?;
        let folder = tmp.join(format!("crawlrank-build-{}", std::process::id()));
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        }
        std::fs::create_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        let capacity = ((memory / 2 / 8) as usize).clamp(1 << 16, MAX_RUN_KEYS);
        Ok(Spiller {
            tmp: folder,
            buffer: Vec::new(),
            capacity,
            runs: Vec::new(),
            ids: Vec::new(),
            declared: 0,
            edges_read: 0,
            multi,
            error: None,
        })
    }

    /// Makes the ids names files list nodes, with or without edges.
    pub(crate) fn declare(&mut self, declared: Declared) -> Result<()> {
        match declared {
            Declared::Count(n) => self.declared = self.declared.max(n),
            Declared::Ids(ids) => {
                for id in ids {
                    if id > u32::MAX as u64 {
                        return Err(wide_ids(id));
                    }
                    self.mark(id);
                }
            }
        }
        Ok(())
    }

    /// The node count a BVGraph among the inputs declared (0 without one).
    pub(crate) fn declared_count(&self) -> u64 {
        self.declared
    }

    fn mark(&mut self, id: u64) {
        let word = (id >> 6) as usize;
        if word >= self.ids.len() {
            self.ids
                .resize_with((word + 1).next_power_of_two(), || AtomicU64::new(0));
        }
        self.ids[word].fetch_or(1 << (id & 63), Relaxed);
    }

    fn push(&mut self, key: u64) {
        if self.buffer.capacity() == 0 {
            self.buffer.reserve_exact(self.capacity);
        }
        self.buffer.push(key);
        self.edges_read += 1;
        if self.buffer.len() >= self.capacity {
            self.spill();
        }
    }

    /// Marks the ids of the buffer's edges, in parallel.
    fn mark_buffer(&mut self) {
        let largest = self.buffer.par_iter().map(|&k| (k >> 32).max(k & 0xFFFF_FFFF)).max();
        if let Some(largest) = largest {
            self.mark(largest);
        }
        let words = &self.ids;
        self.buffer.par_iter().for_each(|&k| {
            for id in [k >> 32, k & 0xFFFF_FFFF] {
                words[(id >> 6) as usize].fetch_or(1 << (id & 63), Relaxed);
            }
        });
    }

    /// Sorts the buffer, collapses duplicates unless `multi`, and writes it as a run.
    fn spill(&mut self) {
        if self.buffer.is_empty() || self.error.is_some() {
            self.buffer.clear();
            return;
        }
        self.mark_buffer();
        self.buffer.par_sort_unstable();
        if !self.multi {
            self.buffer.dedup();
        }
        let path = self.tmp.join(format!("run-{:05}", self.runs.len()));
        let written = (|| -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let mut bytes = Vec::with_capacity(1 << 16);
            let mut previous = 0u64;
            for &key in &self.buffer {
                put(&mut bytes, key - previous);
                previous = key;
                if bytes.len() >= 1 << 16 {
                    out.write_all(&bytes)?;
                    bytes.clear();
                }
            }
            out.write_all(&bytes)?;
            out.flush()
        })();
        match written {
            Ok(()) => self.runs.push(path),
            Err(e) => self.error = Some(Error::io(&path, e)),
        }
        self.buffer.clear();
    }
}

impl EdgeSink for Spiller {
    fn integer_batches(&self) -> Option<bool> {
        // A non-integer id comes to `edge`, which explains why it cannot be taken.
        Some(false)
    }

    fn integer_edges(&mut self, batch: IntegerBatch<'_>, _: &[f64]) {
        match batch {
            IntegerBatch::Packed(keys) => {
                let mut rest = keys;
                while !rest.is_empty() {
                    if self.buffer.capacity() == 0 {
                        self.buffer.reserve_exact(self.capacity);
                    }
                    let room = self.capacity - self.buffer.len();
                    let (now, later) = rest.split_at(room.min(rest.len()));
                    self.buffer.extend_from_slice(now);
                    self.edges_read += now.len() as u64;
                    if self.buffer.len() >= self.capacity {
                        self.spill();
                    }
                    rest = later;
                }
            }
            IntegerBatch::Pairs(pairs) => {
                for &(s, t) in pairs {
                    if s > u32::MAX as u64 || t > u32::MAX as u64 {
                        self.error.get_or_insert_with(|| wide_ids(s.max(t)));
                    } else {
                        self.push(s << 32 | t);
                    }
                }
            }
        }
    }

    fn integer_nodes(&mut self, count: u64) {
        self.declared = self.declared.max(count);
    }

    fn edge(&mut self, source: &[u8], target: &[u8], _: Option<f64>) -> Result<(), String> {
        let id = |text: &[u8]| {
            parse_id(text, false).ok_or_else(|| {
                "not an integer id: a build beyond memory (--memory, standard input) reads integer ids; give --ids \
                 string and enough --memory to build in memory"
                    .to_string()
            })
        };
        let (s, t) = (id(source)?, id(target)?);
        if s > u32::MAX as u64 || t > u32::MAX as u64 {
            return Err(wide_ids(s.max(t)).to_string());
        }
        self.push(s << 32 | t);
        Ok(())
    }
}

fn wide_ids(id: u64) -> Error {
    Error::Input(format!(
        "id {id} is above 2^32-1: a build beyond memory takes ids below 2^32; give enough --memory to build in memory"
    ))
}

impl Drop for Spiller {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// The ids marked in a bitmap, with the rank (dense id) of each.
struct Numbering {
    words: Vec<u64>,
    /// Marked ids before each word.
    before: Vec<u32>,
    nodes: u32,
}

impl Numbering {
    fn new(mut words: Vec<u64>, declared: u64) -> Result<Numbering> {
        for id in 0..declared {
            let word = (id >> 6) as usize;
            if word >= words.len() {
                words.resize(word + 1, 0);
            }
            words[word] |= 1 << (id & 63);
        }
        let mut before = Vec::with_capacity(words.len());
        let mut count = 0u64;
        for &w in &words {
            before.push(count as u32);
            count += w.count_ones() as u64;
        }
        let nodes = u32::try_from(count)
            .ok()
            .filter(|&n| n < u32::MAX)
            .ok_or_else(|| Error::Input("too many nodes for 32-bit ids".to_string()))?;
        Ok(Numbering { words, before, nodes })
    }

    #[inline]
    fn dense(&self, id: u64) -> u32 {
        let (word, bit) = ((id >> 6) as usize, id & 63);
        self.before[word] + (self.words[word] & ((1u64 << bit) - 1)).count_ones()
    }

    /// The ids, ascending: dense id `i` is the `i`-th.
    fn ids(&self) -> Vec<u64> {
        let mut ids = Vec::with_capacity(self.nodes as usize);
        for (w, &word) in self.words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                ids.push((w as u64) << 6 | bits.trailing_zeros() as u64);
                bits &= bits - 1;
            }
        }
        ids
    }
}

/// One run read back.
struct Run {
    reader: BufReader<File>,
    previous: u64,
    path: PathBuf,
}

impl Run {
    fn open(path: &Path) -> Result<Run> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Run {
            reader: BufReader::with_capacity(1 << 20, file),
            previous: 0,
            path: path.to_path_buf(),
        })
    }

    fn next(&mut self) -> Result<Option<u64>> {
        use std::io::BufRead;
        let buf = self.reader.fill_buf().map_err(|e| Error::io(&self.path, e))?;
        if buf.is_empty() {
            return Ok(None);
        }
        let mut at = 0;
        let gap = match get(buf, &mut at) {
            Some(gap) => {
                self.reader.consume(at);
                gap
            }
            None => {
                // A varint across the buffer's end: read it byte by byte.
                let mut value = 0u64;
                let mut shift = 0;
                loop {
                    let mut byte = [0u8];
                    self.reader
                        .read_exact(&mut byte)
                        .map_err(|e| Error::io(&self.path, e))?;
                    value |= ((byte[0] & 0x7F) as u64) << shift;
                    if byte[0] < 0x80 {
                        break value;
                    }
                    shift += 7;
                }
            }
        };
        self.previous += gap;
        Ok(Some(self.previous))
    }
}

/// The runs merged into one ascending stream of raw keys, duplicates across runs collapsed
/// unless `multi`.
struct Merge {
    runs: Vec<Run>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    last: Option<u64>,
    multi: bool,
}

impl Merge {
    fn new(paths: &[PathBuf], multi: bool) -> Result<Merge> {
        let mut runs = paths.iter().map(|p| Run::open(p)).collect::<Result<Vec<_>>>()?;
        let mut heap = BinaryHeap::with_capacity(runs.len());
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(key) = run.next()? {
                heap.push(Reverse((key, i)));
            }
        }
        Ok(Merge {
            runs,
            heap,
            last: None,
            multi,
        })
    }

    fn next(&mut self) -> Result<Option<u64>> {
        loop {
            // The run that gave the smallest key gives its next one in place: one sift down,
            // not a pop and a push.
            let Some(mut top) = self.heap.peek_mut() else {
                return Ok(None);
            };
            let Reverse((key, i)) = *top;
            match self.runs[i].next()? {
                Some(more) => *top = Reverse((more, i)),
                None => drop(PeekMut::pop(top)),
            }
            if !self.multi && self.last == Some(key) {
                continue;
            }
            self.last = Some(key);
            return Ok(Some(key));
        }
    }
}

/// Where the spilled edges came from and how to build them.
pub(crate) struct ExternalBuild {
    /// How the inputs were read and built.
    pub load: LoadRecord,
    /// The shard count asked for.
    pub shards: Option<usize>,
    /// What each input held.
    pub inputs: Vec<FileReport>,
    /// The `build` command line.
    pub command: Vec<String>,
    /// Names for the nodes (`--names`), their ids already declared to the spiller.
    pub names: Option<PendingNames>,
}

/// Writes the store of the edges `spiller` took, at `dir`.
pub(crate) fn write(mut spiller: Spiller, build: ExternalBuild, dir: &Path) -> Result<BuildReport> {
    spiller.spill();
    spiller.buffer = Vec::new(); // the merge needs no buffer of edges
    if let Some(e) = spiller.error.take() {
        return Err(e);
    }
    let words = std::mem::take(&mut spiller.ids)
        .into_iter()
        .map(AtomicU64::into_inner)
        .collect();
    let numbering = Numbering::new(words, spiller.declared)?;
    let n = numbering.nodes;
    // Names make nodes without edges: no edges read is still no graph.
    if n == 0 || spiller.edges_read == 0 {
        return Err(Error::Input("no edges in the inputs".to_string()));
    }
    // Every listed id is a node; a node more is an id only edges name.
    if let Some(names) = &build.names
        && n as usize != names.listed()
    {
        let unnamed: Vec<u64> = numbering.ids().into_iter().filter(|&id| !names.is_listed(id)).collect();
        let examples: Vec<String> = unnamed.iter().take(5).map(u64::to_string).collect();
        return Err(names.unnamed(unnamed.len(), &examples, ""));
    }
    let multi = spiller.multi;
    // Pass 1: out-degrees (sources arrive in order: the writes stream). In-degrees are
    // counted in pass 2, shard by shard, in destination-block order.
    let mut out_degree = vec![0u32; n as usize];
    let (mut kept, mut self_loops) = (0u64, 0u64);
    let mut merge = Merge::new(&spiller.runs, multi)?;
    // Only the source is numbered here: sources come in order (one rank an id, not an edge),
    // and numbering is monotone, so a self-loop is one in raw ids too.
    let mut source = (u64::MAX, 0u32);
    while let Some(key) = merge.next()? {
        let raw = key >> 32;
        if raw != source.0 {
            source = (raw, numbering.dense(raw));
        }
        out_degree[source.1 as usize] += 1;
        kept += 1;
        self_loops += (raw == key & 0xFFFF_FFFF) as u64;
    }
    drop(merge);
    let in_degree: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let shards = build.shards.unwrap_or_else(|| default_shard_count(kept));
    if shards > MAX_SHARDS || shards > n as usize {
        return Err(Error::parameter(
            "shards",
            format!("must be at most the graph's node count, {n}, and at most {MAX_SHARDS}; not {shards}"),
        ));
    }
    let partition = Partition::balanced(&out_degree, shards);
    let staging = prepare(dir)?;
    let written = (|| -> Result<BuildReport> {
        // Pass 2: shards, one filling while the one before is written.
        let blocks = block_count(n);
        let mut merge = Merge::new(&spiller.runs, multi)?;
        let mut pending: Option<(u64, u32)> = None;
        let mut last_source = (u64::MAX, 0u32);
        let shard_files = std::thread::scope(|scope| -> Result<Vec<FileEntryList>> {
            let mut writing: Option<std::thread::ScopedJoinHandle<'_, Result<FileEntryList>>> = None;
            let mut done = Vec::with_capacity(shards);
            for s in 0..shards {
                let range = partition.range(s);
                let mut keys: Vec<u64> = Vec::with_capacity(
                    out_degree[range.start as usize..range.end as usize]
                        .iter()
                        .map(|&d| d as usize)
                        .sum(),
                );
                loop {
                    let (key, source) = match pending.take() {
                        Some(p) => p,
                        None => match merge.next()? {
                            Some(key) => {
                                let raw = key >> 32;
                                if raw != last_source.0 {
                                    last_source = (raw, numbering.dense(raw));
                                }
                                (key, last_source.1)
                            }
                            None => break,
                        },
                    };
                    if source >= range.end {
                        pending = Some((key, source));
                        break;
                    }
                    // The target is numbered by the shard's writer, in parallel: it is a
                    // random look-up in the bitmap, one an edge.
                    keys.push((source as u64) << 32 | (key & 0xFFFF_FFFF));
                }
                if let Some(previous) = writing.take() {
                    done.push(previous.join().expect("a shard writer does not panic")?);
                }
                let (staging, in_degree, numbering) = (&staging, &in_degree, &numbering);
                writing = Some(scope.spawn(move || -> Result<FileEntryList> {
                    keys.par_iter_mut().for_each(|k| {
                        let target = numbering.dense(*k & 0xFFFF_FFFF);
                        in_degree[target as usize].fetch_add(1, Relaxed);
                        *k = storage_key((*k >> 32) as u32, target);
                    });
                    let keys = by_destination_block(&{ keys }, blocks as usize);
                    let (mut cells, mut edges) = (Vec::new(), Vec::with_capacity(keys.len()));
                    for &k in &keys {
                        let (source, target) = crate::graph::shard::from_storage_key(k);
                        edges.push(append_edge(&mut cells, source, target, edges.len() as u64 + 1));
                    }
                    drop(keys);
                    let shard = Shard::from_parts(range, cells, edges, None);
                    write_shard(staging, s, &shard, blocks)
                }));
            }
            if let Some(last) = writing.take() {
                done.push(last.join().expect("a shard writer does not panic")?);
            }
            Ok(done)
        })?;
        let in_degree: Vec<u32> = in_degree.into_iter().map(AtomicU32::into_inner).collect();
        let (ids, names) = match build.names {
            Some(names) => {
                let (table, report) = names.name_table(numbering.ids(), 0);
                (table, Some(report))
            }
            None => (NodeTable::Int(numbering.ids()), None),
        };
        let (mut files, node_table, columns) = write_nodes(&staging, &ids, &out_degree, &in_degree, None)?;
        let id_kind = ids.kind();
        drop(ids);
        files.extend(shard_files.into_iter().flatten());
        let dangling = out_degree.iter().filter(|&&d| d == 0).count() as u64;
        let manifest = Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            crawlrank_version: env!("CARGO_PKG_VERSION").to_string(),
            command: build.command,
            graph: GraphStats {
                nodes: n as u64,
                edges: kept,
                edges_read: spiller.edges_read,
                duplicate_edges: spiller.edges_read - kept,
                self_loops,
                dangling_nodes: dangling,
                multi,
                weighted: false,
            },
            ids: id_kind,
            node_table: node_table.to_string(),
            block_bits: BLOCK_BITS,
            cell_coding: CELL_CODING.to_string(),
            bounds: partition.bounds().to_vec(),
            load: LoadRecord { shards, ..build.load },
            inputs: build.inputs,
            names,
            columns,
            files,
        };
        write_manifest(&staging, manifest)
    })();
    finish(written, &staging, dir)
}

type FileEntryList = Vec<super::FileEntry>;

/// Storage keys in (source, target) order put in storage order, (destination block, source,
/// target): a stable counting sort by destination block is all it takes, because within one
/// destination block the keys are already in source, then target order.
fn by_destination_block(keys: &[u64], blocks: usize) -> Vec<u64> {
    let block = |k: u64| (k >> (32 + BLOCK_BITS)) as usize;
    let mut starts = vec![0usize; blocks + 1];
    for &k in keys {
        starts[block(k) + 1] += 1;
    }
    for b in 0..blocks {
        starts[b + 1] += starts[b];
    }
    let mut sorted = vec![0u64; keys.len()];
    for &k in keys {
        let at = &mut starts[block(k)];
        sorted[*at] = k;
        *at += 1;
    }
    debug_assert!(sorted.is_sorted());
    sorted
}
