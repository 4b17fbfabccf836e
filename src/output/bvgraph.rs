//! LAW WebGraph BVGraph output (`crawlrank export bvgraph`): the graph crawlrank read, after
//! id mapping, compressed with the [`webgraph`](https://crates.io/crates/webgraph) crate so
//! that LAW's tools (Java WebGraph, the `webgraph` command line, `webgraph-rank`) read the
//! graph crawlrank read.
//!
//! For a basename `BASE` it writes:
//!
//! - `BASE.graph`, `BASE.offsets`, `BASE.properties`: a BVGraph as Java WebGraph writes one
//!   (big-endian, version 0, WebGraph's default parameters: window 7, at most 3 references
//!   in a chain, intervals of at least 4, ζ₃ residuals);
//! - `BASE.ef`: the offsets as the Elias–Fano list that the Rust crate needs for random
//!   access (what `webgraph build ef BASE` makes);
//! - `BASE.ids`, unless node `i` is the id `i` for every node: the user's id of node `i` on
//!   line `i` (LAW's `.ids` and `.urls` style), so that node numbers can be named again.
//!
//! The graph is a simple graph. Node `i` is crawlrank's dense id `i` (integer ids ascending,
//! string ids byte-wise ascending), every node is there, isolated ones included, and each
//! successor list is sorted with each target once: parallel edges become one arc and weights
//! are dropped. Whether the graph may lose them is the caller's decision.
//!
//! Each shard's source range is compressed as one segment, the segments in parallel (the
//! crate's `par_comp`). A segment gathers its shard's successor lists when its compression
//! starts and drops them when it ends, so the memory the export adds to the graph's is one
//! shard's edges (4 bytes each) per thread, not a second copy of the graph.
//!
//! Nothing is written under `BASE` until everything is: the files are made in a hidden
//! folder beside it (`.NAME.crawlrank-export-PID`), flushed to disk, and renamed into place,
//! `.properties` last (a reader recognises a BVGraph by it). A previous BVGraph `BASE` is
//! replaced only when asked ([`BvgraphExport::force`]): its files are moved aside first
//! (`.properties` first), and moved back if a later step fails. The lock
//! `.NAME.crawlrank-lock` beside `BASE` keeps two exports from interleaving their files.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use dsi_bitstream::traits::BE;
use rayon::prelude::*;
use webgraph::graphs::bvgraph::{BvComp, store_ef_with_data};
use webgraph::graphs::par_sorted_graph::ParSortedGraph;

use super::FolderLock;
use super::commit::{Fs, commit_fs};
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeTable, Shard};
use crate::input::bvgraph::{Properties, part};
use crate::progress::{Event, Phase, Progress};

/// The extensions written, in the order they are put in place: `.properties` last, so that
/// a reader finds no BVGraph until its other files are there.
const WRITTEN: [&str; 5] = ["ids", "graph", "offsets", "ef", "properties"];
/// The files of a previous BVGraph that a forced export replaces, in the order they are
/// moved aside: `.properties` first. `.obl` and `.dcf` are derived from the previous graph
/// and would be wrong for the new one.
const REPLACED: [&str; 7] = ["properties", "graph", "offsets", "ef", "ids", "obl", "dcf"];
/// The basename of the files inside the hidden folder.
const STEM: &str = "graph";
/// Prefix of the hidden folder's name after `.NAME`.
const SCRATCH: &str = ".crawlrank-export-";
/// The folder inside the hidden folder where a previous BVGraph waits while the new one
/// moves in.
const PREVIOUS: &str = "previous";

/// Where and how to write a BVGraph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BvgraphExport {
    /// The basename `BASE` (a trailing `.graph` or `.properties` is dropped): the files are
    /// `BASE.graph`, `BASE.properties`… Its folder must exist.
    pub base: PathBuf,
    /// Replace the files of a BVGraph already at `BASE`; without it they are an error.
    pub force: bool,
}

/// What [`BvgraphExport::write`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct BvgraphReport {
    /// The basename written.
    pub base: PathBuf,
    /// Nodes, `0..nodes`.
    pub nodes: u64,
    /// Arcs: the distinct (source, target) pairs of the graph.
    pub arcs: u64,
    /// Length of the compressed successor lists (`BASE.graph`) in bits.
    pub graph_bits: u64,
    /// The files written, in the order they were put in place.
    pub files: Vec<PathBuf>,
    /// Whether `BASE.ids` was written (the ids are not the node numbers).
    pub names: bool,
}

impl BvgraphReport {
    /// Bits of `BASE.graph` per arc.
    pub fn bits_per_arc(&self) -> f64 {
        self.graph_bits as f64 / self.arcs.max(1) as f64
    }
}

impl BvgraphExport {
    /// The basename the files are named after: [`base`](Self::base) without a trailing
    /// `.graph` or `.properties`.
    pub fn basename(&self) -> PathBuf {
        match self.base.extension() {
            Some(e) if e == "graph" || e == "properties" => self.base.with_extension(""),
            _ => self.base.clone(),
        }
    }

    /// Checks that the BVGraph can be written: the basename names a file in a folder that
    /// exists, and no BVGraph is there unless [`force`](Self::force). Cheap: it is meant to
    /// run before the graph is read, and [`write`](Self::write) runs it again.
    pub fn check(&self) -> Result<()> {
        let base = self.basename();
        if base.as_os_str().is_empty() {
            return Err(Error::parameter("output", "must be a basename, such as graphs/crawl"));
        }
        let trailing_slash = self.base.as_os_str().as_encoded_bytes().last() == Some(&b'/');
        if trailing_slash || base.is_dir() {
            return Err(Error::parameter(
                "output",
                format!(
                    "names a folder ({}); give a basename in it, such as {}: the files are BASE.graph, BASE.properties, …",
                    base.display(),
                    base.join("graph").display()
                ),
            ));
        }
        if base.file_name().is_none() {
            return Err(Error::parameter(
                "output",
                format!("must end in a file name, not {}", base.display()),
            ));
        }
        let parent = parent_of(&base);
        match fs::metadata(&parent) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::Input(format!(
                    "{}: not a folder, so {}.graph cannot be written in it",
                    parent.display(),
                    base.display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Input(format!(
                    "{}: no such folder; create it first (the BVGraph is written as {}.graph, .properties, …)",
                    parent.display(),
                    base.display()
                )));
            }
            Err(e) => return Err(Error::io(&parent, e)),
        }
        if !self.force
            && let Some(existing) = std::iter::once("graph")
                .chain(REPLACED.into_iter().filter(|&ext| ext != "graph"))
                .map(|ext| part(&base, ext))
                .find(|p| exists(p))
        {
            return Err(Error::Input(format!(
                "{}: already exists; --force replaces the BVGraph {} (its .graph, .properties, .offsets, .ef, .ids), or choose another basename",
                existing.display(),
                base.display()
            )));
        }
        Ok(())
    }

    /// Writes `graph` as the BVGraph [`basename`](Self::basename) (see the module
    /// documentation): nothing under it changes unless everything is written.
    pub fn write(&self, graph: &Graph, progress: &dyn Progress) -> Result<BvgraphReport> {
        self.check()?;
        let base = self.basename();
        let parent = parent_of(&base);
        let _lock =
            FolderLock::acquire(&base, None, "crawlrank export bvgraph").map_err(|e| cannot_write(&parent, e))?;
        // Another export may have finished while this one waited for nothing else than
        // reading: look again, under the lock.
        self.check()?;
        let started = Instant::now();
        progress.event(Event::Started(Phase::Write));
        let mut scratch = Scratch::create(&base)?;
        let names = !is_identity(graph.nodes());
        if names {
            write_ids(graph.nodes(), &scratch.file("ids"))?;
        }
        let graph_bits = compress(graph, scratch.path())?;
        let graph_path = scratch.file("graph");
        store_ef_with_data(
            graph.node_count(),
            &graph_path,
            scratch.file("offsets"),
            scratch.file("ef"),
            &mut Option::<dsi_progress_logger::ProgressLogger>::None,
        )
        .map_err(|e| crate_error(&scratch.file("ef"), e))?;
        let properties = Properties::read(&scratch.file("properties"))?;
        if properties.nodes != graph.node_count() as u64 {
            return Err(Error::Config(format!(
                "{}: the compressor wrote {} nodes, but the graph has {}",
                scratch.file("properties").display(),
                properties.nodes,
                graph.node_count()
            )));
        }
        let written: Vec<&str> = WRITTEN.into_iter().filter(|&ext| ext != "ids" || names).collect();
        put_in_place(&*commit_fs()?, &mut scratch, &base, &written, self.force)?;
        progress.event(Event::Finished(Phase::Write, started.elapsed().as_secs_f64()));
        Ok(BvgraphReport {
            files: written.iter().map(|ext| part(&base, ext)).collect(),
            base,
            nodes: properties.nodes,
            arcs: properties.arcs,
            graph_bits,
            names,
        })
    }
}

/// The folder `base` is in (`.` for a bare name).
fn parent_of(base: &Path) -> PathBuf {
    match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// An error making a file in `folder` said as one about the folder, when the folder does
/// not let files be made in it.
fn cannot_write(folder: &Path, e: Error) -> Error {
    match e {
        Error::Io { source, .. }
            if matches!(
                source.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            Error::Input(format!(
                "{}: cannot write the BVGraph there ({source})",
                folder.display()
            ))
        }
        e => e,
    }
}

/// An error of the `webgraph` crate about `path`: an I/O error keeps its kind.
fn crate_error<E>(path: &Path, e: E) -> Error
where
    E: std::fmt::Display + AsRef<dyn std::error::Error + Send + Sync + 'static>,
{
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            return Error::io(path, io::Error::new(io.kind(), format!("{e:#}")));
        }
        cause = c.source();
    }
    Error::Config(format!("{}: the BVGraph compressor failed: {e:#}", path.display()))
}

/// Whether node `i` is called `i` for every node: then no names file is needed.
fn is_identity(nodes: &NodeTable) -> bool {
    match nodes {
        NodeTable::Dense(_) => true,
        // Ascending and distinct: the last is n - 1 only when every id is its index.
        NodeTable::Int(ids) => ids.last().is_none_or(|&last| last + 1 == ids.len() as u64),
        NodeTable::String(_) | NodeTable::Named(_) => false,
    }
}

/// Writes the user's id of every node, one a line, in node order.
fn write_ids(nodes: &NodeTable, path: &Path) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    for node in 0..nodes.len() as u32 {
        line.clear();
        nodes.write_label(node, &mut line);
        if memchr::memchr2(b'\n', b'\r', &line).is_some() {
            return Err(Error::Input(format!(
                "node {node}'s id {} holds a line break, which a names file of one id a line cannot hold",
                crate::error::quote(&line)
            )));
        }
        line.push(b'\n');
        out.write_all(&line).map_err(|e| Error::io(path, e))?;
    }
    out.flush().map_err(|e| Error::io(path, e))
}

/// Compresses `graph` into `folder/graph.{graph,offsets,properties}`, a segment per shard;
/// returns the length of `.graph` in bits.
fn compress(graph: &Graph, folder: &Path) -> Result<u64> {
    // A store's shards are decoded into memory here: the crate's compressor takes every
    // segment at once.
    let shards: Vec<std::borrow::Cow<'_, Shard>> = (0..graph.sharded().shards().len())
        .into_par_iter()
        .map(|s| graph.sharded().shard(s))
        .collect::<Result<_>>()?;
    let mut boundaries = Vec::with_capacity(shards.len() + 1);
    boundaries.push(0usize);
    for shard in &shards {
        debug_assert_eq!(shard.source_range.start as usize, *boundaries.last().expect("0"));
        boundaries.push(shard.source_range.end as usize);
    }
    let segments: Vec<ShardArcs<'_>> = shards.par_iter().map(|s| ShardArcs::new(s)).collect();
    let sorted = ParSortedGraph::from_parts(boundaries.into_boxed_slice(), segments.into_boxed_slice());
    let basename = folder.join(STEM);
    BvComp::with_basename(&basename)
        .tmp_dir(folder)
        .par_comp::<BE, _>(sorted)
        .map_err(|e| crate_error(&part(&basename, "graph"), e))
}

/// The arcs of one shard's source range in (source, target) order, each pair once.
///
/// The crate's compressor looks at the first arc of every segment before it starts any, so
/// that arc is found beforehand ([`ShardArcs::new`]), and the successor lists are gathered
/// only when the second arc is asked for, by the thread that compresses the segment.
struct ShardArcs<'a> {
    shard: &'a Shard,
    /// The smallest (source, target) pair of the shard.
    first: Option<(u32, u32)>,
    /// Whether `first` was handed out.
    started: bool,
    /// The successor lists, once gathered; dropped again at the end.
    lists: Option<Lists>,
}

impl<'a> ShardArcs<'a> {
    fn new(shard: &'a Shard) -> ShardArcs<'a> {
        ShardArcs {
            shard,
            first: shard.edges_iter().map(|(source, target, _)| (source, target)).min(),
            started: false,
            lists: None,
        }
    }
}

impl Iterator for ShardArcs<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let widen = |(source, target): (u32, u32)| (source as usize, target as usize);
        if !self.started {
            self.started = true;
            return self.first.map(widen);
        }
        self.first?;
        let shard = self.shard;
        let first = self.first;
        let lists = self.lists.get_or_insert_with(|| {
            let mut lists = Lists::gather(shard);
            let skipped = lists.next();
            debug_assert_eq!(skipped, first, "the lists start with the smallest pair");
            lists
        });
        let arc = lists.next();
        if arc.is_none() {
            self.lists = Some(Lists::default());
            self.first = None;
        }
        arc.map(widen)
    }
}

/// The successor lists of a source range: node `start + i`'s targets are
/// `targets[offsets[i]..offsets[i + 1]]`, ascending, each once; and where the next arc is.
#[derive(Default)]
struct Lists {
    start: u32,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// The next arc's index in `targets`, and its source (relative to `start`).
    position: usize,
    source: usize,
}

impl Lists {
    /// Gathers a shard's edges by source, sorts each list and keeps each target once.
    fn gather(shard: &Shard) -> Lists {
        let start = shard.source_range.start;
        let sources = shard.source_range.len();
        let mut offsets = vec![0usize; sources + 1];
        for (source, _, _) in shard.edges_iter() {
            offsets[(source - start) as usize + 1] += 1;
        }
        for i in 0..sources {
            offsets[i + 1] += offsets[i];
        }
        let mut targets = vec![0u32; offsets[sources]];
        let mut next = offsets[..sources].to_vec();
        for (source, target, _) in shard.edges_iter() {
            let slot = &mut next[(source - start) as usize];
            targets[*slot] = target;
            *slot += 1;
        }
        drop(next);
        // The shard's storage order lists a source's targets ascending already, so the sort
        // is a check; then each list is compacted in place, each target once.
        let mut kept = 0;
        let mut begin = 0;
        for i in 0..sources {
            let end = offsets[i + 1];
            let list = &mut targets[begin..end];
            if !list.is_sorted() {
                list.sort_unstable();
            }
            let list_start = kept;
            for j in begin..end {
                let target = targets[j];
                if kept == list_start || targets[kept - 1] != target {
                    targets[kept] = target;
                    kept += 1;
                }
            }
            offsets[i + 1] = kept;
            begin = end;
        }
        targets.truncate(kept);
        Lists {
            start,
            offsets,
            targets,
            position: 0,
            source: 0,
        }
    }

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.position == self.targets.len() {
            return None;
        }
        while self.offsets[self.source + 1] <= self.position {
            self.source += 1;
        }
        let arc = (self.start + self.source as u32, self.targets[self.position]);
        self.position += 1;
        Some(arc)
    }
}

/// The hidden folder beside `BASE` in which the files are made; removed when dropped,
/// unless a failed rollback left a previous BVGraph's files in it.
struct Scratch {
    path: PathBuf,
    keep: bool,
}

impl Scratch {
    /// Makes `.NAME.crawlrank-export-PID` beside `base`. Under the lock of `base`, no other
    /// export of it runs: such folders left by earlier exports that were killed are removed
    /// first, unless one holds a previous BVGraph's files (an export killed while it
    /// replaced them), which must be put back by hand.
    fn create(base: &Path) -> Result<Scratch> {
        let parent = parent_of(base);
        let name = base.file_name().expect("checked").to_string_lossy().into_owned();
        let prefix = format!(".{name}{SCRATCH}");
        let entries = fs::read_dir(&parent).map_err(|e| Error::io(&parent, e))?;
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let leftover = entry.path();
            if leftover.join(PREVIOUS).exists() {
                return Err(Error::Input(format!(
                    "{}: an export that was killed while it replaced {} left the previous BVGraph's files in it; \
                     move them back (or delete the folder) first",
                    leftover.join(PREVIOUS).display(),
                    base.display()
                )));
            }
            fs::remove_dir_all(&leftover).map_err(|e| Error::io(&leftover, e))?;
        }
        let path = parent.join(format!("{prefix}{}", std::process::id()));
        fs::create_dir(&path).map_err(|e| cannot_write(&parent, Error::io(&path, e)))?;
        Ok(Scratch { path, keep: false })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The file with extension `ext` made here.
    fn file(&self, ext: &str) -> PathBuf {
        part(&self.path.join(STEM), ext)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Puts the files `written` (extensions) made in `scratch` in place as the BVGraph `base`:
/// flushes them, moves a previous BVGraph's files aside (with `force`), renames the new ones
/// in, `.properties` last, and flushes the folder. On a failure, what was moved is moved
/// back and the error returned; if that fails too, the error says where the previous files
/// are (and they stay there).
fn put_in_place(fs: &dyn Fs, scratch: &mut Scratch, base: &Path, written: &[&str], force: bool) -> Result<()> {
    let parent = parent_of(base);
    let previous: Vec<&str> = REPLACED.into_iter().filter(|ext| exists(&part(base, ext))).collect();
    if let (false, Some(ext)) = (force, previous.first()) {
        return Err(Error::Input(format!(
            "{}: already exists; --force replaces the BVGraph {}",
            part(base, ext).display(),
            base.display()
        )));
    }
    for ext in written {
        let file = scratch.file(ext);
        fs.sync(&file).map_err(|e| Error::io(&file, e))?;
    }
    let aside = scratch.path().join(PREVIOUS);
    let mut moved_aside = Vec::new();
    let mut moved_in = Vec::new();
    let mut steps = || -> Result<()> {
        if !previous.is_empty() {
            fs.create_dir(&aside).map_err(|e| Error::io(&aside, e))?;
        }
        for &ext in &previous {
            let from = part(base, ext);
            fs.rename(&from, &aside.join(ext)).map_err(|e| Error::io(&from, e))?;
            moved_aside.push(ext);
        }
        for &ext in written {
            let to = part(base, ext);
            fs.rename(&scratch.file(ext), &to).map_err(|e| Error::io(&to, e))?;
            moved_in.push(ext);
        }
        fs.sync(&parent).map_err(|e| Error::io(&parent, e))
    };
    let Err(e) = steps() else {
        return Ok(());
    };
    let mut restored = true;
    for ext in moved_in.iter().rev() {
        restored &= fs.rename(&part(base, ext), &scratch.file(ext)).is_ok();
    }
    for ext in moved_aside.iter().rev() {
        restored &= fs.rename(&aside.join(ext), &part(base, ext)).is_ok();
    }
    if restored {
        return Err(e);
    }
    scratch.keep = true;
    Err(Error::Config(format!(
        "{e}; and the files of the previous BVGraph {} could not all be moved back: those missing are in {}",
        base.display(),
        aside.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::commit::{Fault, Injected};

    fn graph_of(edges: &[(u64, u64)], shards: usize) -> Graph {
        Graph::builder()
            .shards(shards)
            .sparse_edges(edges.iter().copied())
            .unwrap()
    }

    /// Every arc the segments give, in order.
    fn arcs(graph: &Graph) -> Vec<(usize, usize)> {
        graph.sharded().shards().iter().flat_map(ShardArcs::new).collect()
    }

    #[test]
    fn segments_give_each_pair_once_in_order_whatever_the_shards() {
        let edges: Vec<(u64, u64)> = (0..2000u64).map(|i| ((i * 7919) % 97, (i * 104_729) % 89)).collect();
        let mut expected: Vec<(usize, usize)> = edges.iter().map(|&(s, t)| (s as usize, t as usize)).collect();
        expected.sort_unstable();
        expected.dedup();
        for shards in [1, 3, 16] {
            let graph = graph_of(&edges, shards);
            // Ids 0..=96 are dense already, so dense ids are the ids.
            assert_eq!(arcs(&graph), expected, "{shards} shards");
        }
    }

    #[test]
    fn parallel_edges_become_one_arc() {
        let graph = Graph::builder()
            .multi(true)
            .sparse_edges([(3u64, 1u64), (0, 2), (3, 1), (0, 2), (0, 1)])
            .unwrap();
        assert_eq!(graph.edge_count(), 5);
        // Ids 0, 1, 2, 3 → dense 0, 1, 2, 3.
        assert_eq!(arcs(&graph), vec![(0, 1), (0, 2), (3, 1)]);
    }

    #[test]
    fn identity_tables_need_no_names() {
        assert!(is_identity(&NodeTable::Dense(5)));
        assert!(is_identity(&NodeTable::Int(vec![0, 1, 2])));
        assert!(!is_identity(&NodeTable::Int(vec![0, 1, 3])));
        assert!(!is_identity(&NodeTable::Int(vec![1, 2, 3])));
        let strings = Graph::from_labelled_edges([("0", "1")]).unwrap();
        assert!(!is_identity(strings.nodes()));
    }

    /// The previous BVGraph `base` of `dir`, file by file.
    fn files(base: &Path) -> Vec<(String, Vec<u8>)> {
        REPLACED
            .iter()
            .filter_map(|ext| fs::read(part(base, ext)).ok().map(|b| (ext.to_string(), b)))
            .collect()
    }

    #[test]
    fn a_failure_at_any_step_of_putting_in_place_leaves_the_previous_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("g");
        for ext in ["graph", "properties", "offsets", "ids", "obl"] {
            fs::write(part(&base, ext), format!("old {ext}")).unwrap();
        }
        let before = files(&base);
        let new = ["graph", "offsets", "ef", "properties"];
        let mut step = 0;
        loop {
            let mut scratch = Scratch::create(&base).unwrap();
            for ext in new {
                fs::write(scratch.file(ext), format!("new {ext}")).unwrap();
            }
            let fs = Injected::new(Fault::Once(step));
            let outcome = put_in_place(&fs, &mut scratch, &base, &new, true);
            let scratch_path = scratch.path().to_path_buf();
            drop(scratch);
            assert!(!scratch_path.exists(), "step {step}: the hidden folder is removed");
            if outcome.is_ok() {
                let after: Vec<(String, Vec<u8>)> = files(&base);
                let expected: Vec<(String, Vec<u8>)> = ["properties", "graph", "offsets", "ef"]
                    .iter()
                    .map(|ext| (ext.to_string(), format!("new {ext}").into_bytes()))
                    .collect();
                assert_eq!(after, expected, "the stale .ids and .obl went with the previous graph");
                assert!(step > 10, "every step was failed once before ({step})");
                break;
            }
            assert_eq!(files(&base), before, "step {step}: the previous files are as they were");
            step += 1;
        }
    }

    #[test]
    fn a_failed_rollback_keeps_the_previous_files_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("g");
        fs::write(part(&base, "graph"), "old").unwrap();
        fs::write(part(&base, "properties"), "old").unwrap();
        let mut scratch = Scratch::create(&base).unwrap();
        fs::write(scratch.file("graph"), "new").unwrap();
        fs::write(scratch.file("properties"), "new").unwrap();
        // sync, sync, create_dir, rename aside ×2, then every operation fails.
        let fs = Injected::new(Fault::From(5));
        let e = put_in_place(&fs, &mut scratch, &base, &["graph", "properties"], true).unwrap_err();
        let aside = scratch.path().join(PREVIOUS);
        drop(scratch);
        assert!(e.to_string().contains(&aside.display().to_string()), "{e}");
        assert_eq!(std::fs::read(aside.join("graph")).unwrap(), b"old");
        // The next export refuses until the previous files are put back.
        let again = Scratch::create(&base).err().expect("refused").to_string();
        assert!(again.contains("killed while it replaced"), "{again}");
    }
}
