//! Writing a store: a built graph's node table, degrees and shards, each file checksummed,
//! into a staging folder beside the destination that replaces it only once complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{CELL_CODING, CELLS_MAGIC, FORMAT, FileEntry, MANIFEST, Manifest, VERSION, codec};
use crate::error::{Error, Result};
use crate::graph::names::NamesReport;
use crate::graph::{Graph, NodeTable, Shard};
use crate::input::strings::StringTable;
use crate::output::summary::LoadRecord;
use crate::partition::{BLOCK_BITS, block_count};

/// What `build` wrote.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// The manifest written.
    pub manifest: Manifest,
    /// Bytes of the shards' cells files (the edges).
    pub cell_bytes: u64,
}

/// Writes `graph` as a store at `dir`. A store already there is replaced only once the new
/// one is complete (a run killed before that leaves it as it was); anything else there that
/// is not empty is refused.
pub fn write_store(
    graph: &Graph,
    load: LoadRecord,
    names: Option<NamesReport>,
    command: Vec<String>,
    dir: &Path,
) -> Result<BuildReport> {
    let staging = prepare(dir)?;
    let result = write_into(graph, load, names, command, &staging);
    finish(result, &staging, dir)
}

/// Checks that a store may be written at `dir` and makes its staging folder (`nodes/` and
/// `shards/` inside), empty.
pub(crate) fn prepare(dir: &Path) -> Result<PathBuf> {
    if dir.exists() && !super::is_store(dir) {
        let empty = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.next().is_none();
        if !empty {
            return Err(Error::Config(format!(
                "{}: a folder that is not a crawlrank store and not empty; give a new folder (build does not write \
                 beside other files)",
                dir.display()
            )));
        }
    }
    let staging = staging_path(dir)?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    }
    for sub in ["nodes", "shards"] {
        let path = staging.join(sub);
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(staging)
}

/// Puts the store written into `staging` at `dir`, or removes the staging folder when the
/// writing failed.
pub(crate) fn finish(written: Result<BuildReport>, staging: &Path, dir: &Path) -> Result<BuildReport> {
    match written {
        Ok(report) => {
            replace(staging, dir)?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(staging);
            Err(e)
        }
    }
}

/// `.NAME.building` beside `dir`.
fn staging_path(dir: &Path) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Config(format!("{}: not a folder name", dir.display())))?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.building", name.to_string_lossy())))
}

/// Puts the complete store `staging` at `dir`: the old store (if any) is moved aside first
/// and removed after.
fn replace(staging: &Path, dir: &Path) -> Result<()> {
    if dir.exists() {
        let old = staging.with_extension("replaced");
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
        std::fs::rename(staging, dir).map_err(|e| Error::io(dir, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    } else {
        std::fs::rename(staging, dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

fn write_into(
    graph: &Graph,
    load: LoadRecord,
    names: Option<NamesReport>,
    command: Vec<String>,
    dir: &Path,
) -> Result<BuildReport> {
    let sharded = graph.sharded();
    let sums = sharded.scaled_weight_sums();
    let weights = sharded.out_weight().zip(sums.as_deref());
    let (mut files, node_table, columns) =
        write_nodes(dir, graph.nodes(), sharded.out_degree(), sharded.in_degree(), weights)?;
    let blocks = block_count(sharded.nodes());
    let shard_files: Vec<Vec<FileEntry>> = sharded
        .shards()
        .par_iter()
        .enumerate()
        .map(|(s, shard)| write_shard(dir, s, shard, blocks))
        .collect::<Result<_>>()?;
    files.extend(shard_files.into_iter().flatten());
    let partition = sharded.partition();
    let manifest = Manifest {
        format: FORMAT.to_string(),
        version: VERSION,
        crawlrank_version: env!("CARGO_PKG_VERSION").to_string(),
        command,
        graph: sharded.stats().clone(),
        ids: graph.id_kind(),
        node_table: node_table.to_string(),
        block_bits: BLOCK_BITS,
        cell_coding: CELL_CODING.to_string(),
        bounds: partition.bounds().to_vec(),
        load,
        inputs: graph.files().to_vec(),
        names,
        columns,
        files,
    };
    write_manifest(dir, manifest)
}

/// Writes the node files: ids (or names), degrees, and with weights each node's sums as
/// given and as stored. Returns their entries, the node table's kind and the extra columns.
#[allow(clippy::type_complexity)]
pub(crate) fn write_nodes(
    dir: &Path,
    nodes: &NodeTable,
    out_degree: &[u32],
    in_degree: &[u32],
    weights: Option<(&[f64], &[f64])>,
) -> Result<(Vec<FileEntry>, &'static str, Vec<(String, bool)>)> {
    let mut files = Vec::new();
    files.push(write_u32s(dir, "nodes/out-degree.u32", out_degree)?);
    files.push(write_u32s(dir, "nodes/in-degree.u32", in_degree)?);
    if let Some((given, scaled)) = weights {
        files.push(write_f64s(dir, "nodes/out-weight.f64", given)?);
        files.push(write_f64s(dir, "nodes/scaled-weight-sum.f64", scaled)?);
    }
    let mut columns = Vec::new();
    let node_table = match nodes {
        NodeTable::Named(named) => {
            write_ids(dir, &named.ids, &mut files)?;
            write_strings(dir, "nodes/names", &named.names, &mut files)?;
            if let Some(extra) = &named.extra {
                write_strings(dir, "nodes/extra", extra, &mut files)?;
            }
            columns = named
                .columns
                .iter()
                .cloned()
                .zip(named.integer_columns.iter().copied())
                .collect();
            "named"
        }
        table => write_ids(dir, table, &mut files)?,
    };
    Ok((files, node_table, columns))
}

/// Writes `manifest.json` last and syncs the folder: the store is complete.
pub(crate) fn write_manifest(dir: &Path, manifest: Manifest) -> Result<BuildReport> {
    let cell_bytes = manifest
        .files
        .iter()
        .filter(|f| f.path.ends_with(".cells"))
        .map(|f| f.bytes)
        .sum();
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
    write_synced(&path, text.as_bytes())?;
    sync_dir(dir)?;
    Ok(BuildReport { manifest, cell_bytes })
}

/// Writes the ids of an integer or string table; returns the table's kind.
fn write_ids(dir: &Path, table: &NodeTable, files: &mut Vec<FileEntry>) -> Result<&'static str> {
    Ok(match table {
        // Ids 0..n are their own dense ids (a crawl numbered by its crawler, a BVGraph):
        // nothing to write.
        NodeTable::Int(ids) if ids.iter().enumerate().all(|(i, &id)| id == i as u64) => "dense",
        NodeTable::Int(ids) => {
            files.push(write_array(dir, "nodes/ids.u64", ids, |v: &u64| v.to_le_bytes())?);
            "int"
        }
        NodeTable::Dense(_) => "dense",
        NodeTable::String(strings) => {
            write_strings(dir, "nodes/ids", strings, files)?;
            "string"
        }
        NodeTable::Named(_) => unreachable!("names are not nested"),
    })
}

/// Writes a string table as `BASE.text` (bytes back to back) and `BASE.ends` (u64 ends).
fn write_strings(dir: &Path, base: &str, strings: &StringTable, files: &mut Vec<FileEntry>) -> Result<()> {
    files.push(write_file(dir, &format!("{base}.text"), &[&strings.bytes])?);
    files.push(write_array(
        dir,
        &format!("{base}.ends"),
        &strings.ends,
        |&e: &usize| (e as u64).to_le_bytes(),
    )?);
    Ok(())
}

fn write_u32s(dir: &Path, name: &str, values: &[u32]) -> Result<FileEntry> {
    write_array(dir, name, values, |v: &u32| v.to_le_bytes())
}

fn write_f64s(dir: &Path, name: &str, values: &[f64]) -> Result<FileEntry> {
    write_array(dir, name, values, |v: &f64| v.to_bits().to_le_bytes())
}

/// Writes `values` little-endian, a chunk at a time.
fn write_array<T, const N: usize>(
    dir: &Path,
    name: &str,
    values: &[T],
    bytes: impl Fn(&T) -> [u8; N],
) -> Result<FileEntry> {
    let mut chunks = Vec::new();
    for chunk in values.chunks(1 << 16) {
        let mut buf = Vec::with_capacity(chunk.len() * N);
        chunk.iter().for_each(|v| buf.extend_from_slice(&bytes(v)));
        chunks.push(buf);
    }
    let pieces: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    write_file(dir, name, &pieces)
}

/// Writes the pieces into `dir/name`, synced; returns its entry.
fn write_file(dir: &Path, name: &str, pieces: &[&[u8]]) -> Result<FileEntry> {
    let path = super::at(dir, name);
    let mut hasher = crc32fast::Hasher::new();
    let mut bytes = 0u64;
    let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for piece in pieces {
        hasher.update(piece);
        bytes += piece.len() as u64;
        out.write_all(piece).map_err(|e| Error::io(&path, e))?;
    }
    let file = out.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&path, e))?;
    Ok(FileEntry {
        path: name.to_string(),
        bytes,
        crc32: format!("{:08x}", hasher.finalize()),
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    for d in [dir.to_path_buf(), dir.join("nodes"), dir.join("shards")] {
        if let Ok(f) = std::fs::File::open(&d) {
            let _ = f.sync_all();
        }
    }
    Ok(())
}

/// The bytes of a cells file's header before its index: magic, version, shard, source range,
/// destination blocks, a reserved word, edges, cells, payload bytes.
pub(crate) const HEADER_BYTES: usize = 56;

/// Writes shard `s`'s cells file (and its weights files when weighted).
pub(crate) fn write_shard(dir: &Path, s: usize, shard: &Shard, blocks: u32) -> Result<Vec<FileEntry>> {
    let (mut payload, mut byte_index, mut edge_index, mut cell_index) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let cells = shard.cells();
    let edges = shard.packed_edges();
    let (mut i, mut record) = (0, Vec::new());
    for block in 0..blocks {
        byte_index.push(payload.len() as u64);
        edge_index.push(shard.cell_start(i) as u64);
        cell_index.push(i as u64);
        let end = i + cells[i..].partition_point(|c| c.destination_block == block);
        if end > i {
            record.clear();
            codec::encode_record(&mut record, &cells[i..end], edges, shard.cell_start(i));
            codec::frame(&mut payload, &record);
        }
        i = end;
    }
    byte_index.push(payload.len() as u64);
    edge_index.push(edges.len() as u64);
    cell_index.push(cells.len() as u64);
    let mut header = Vec::with_capacity(HEADER_BYTES);
    header.extend_from_slice(CELLS_MAGIC);
    header.extend_from_slice(&super::VERSION.to_le_bytes());
    header.extend_from_slice(&(s as u32).to_le_bytes());
    header.extend_from_slice(&shard.source_range.start.to_le_bytes());
    header.extend_from_slice(&shard.source_range.end.to_le_bytes());
    header.extend_from_slice(&blocks.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&(edges.len() as u64).to_le_bytes());
    header.extend_from_slice(&(cells.len() as u64).to_le_bytes());
    header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    debug_assert_eq!(header.len(), HEADER_BYTES);
    let index: Vec<u8> = byte_index
        .iter()
        .chain(&edge_index)
        .chain(&cell_index)
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut files = vec![write_file(dir, &super::cells_file(s), &[&header, &index, &payload])?];
    if let Some(weights) = shard.stored_weights() {
        files.push(write_f64s(dir, &super::weights_file(s), weights)?);
        if let Some(scales) = shard.weight_exponents() {
            files.push(write_array(dir, &super::scales_file(s), scales, |v: &i16| {
                v.to_le_bytes()
            })?);
        }
    }
    Ok(files)
}
