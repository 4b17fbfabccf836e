//! The graph store: a sharded graph written once by `crawlrank build` and ranked many times
//! by `crawlrank rank STORE`, its cells streamed from disk every iteration, so that ranking
//! needs memory for the nodes only.
//!
//! A store is a folder (the layout in full, for other programs, is `docs/store.md`):
//!
//! ```text
//! STORE/
//!   manifest.json              format, version, counts, how it was built, every file's size and CRC-32
//!   nodes/out-degree.u32       per node, little-endian
//!   nodes/in-degree.u32
//!   nodes/ids.u64              integer ids (absent when the ids are 0..n)
//!   nodes/ids.text, ids.ends   string ids: the bytes back to back, each id's end (u64)
//!   nodes/names.text, …        names and their extra columns (`--names`)
//!   nodes/out-weight.f64       weighted: each node's weight sum, and the engine's scaled sums
//!   nodes/scaled-weight-sum.f64
//!   shards/shard-NNNNN.cells   a shard's cells: header, index by destination block, records
//!   shards/shard-NNNNN.weights weighted: the scaled weights in edge order (f64), and
//!   shards/shard-NNNNN.scales  the power of two each source's weights were divided by (i16)
//! ```
//!
//! `codec` is the cell coding, `write` makes a store from a built graph, `read` opens one and
//! decodes the cells of a shard into a destination-block range, for the engine.

pub(crate) mod codec;
pub(crate) mod external;
pub(crate) mod read;
pub(crate) mod write;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::graph::{GraphStats, IdKind};
use crate::input::FileReport;
use crate::output::summary::LoadRecord;

pub use read::{Store, read_manifest};
pub use write::{BuildReport, write_store};

/// The `format` of every store's manifest.
pub const FORMAT: &str = "crawlrank-store";
/// The layout version this crawlrank writes and reads.
pub const VERSION: u32 = 4;
/// The cell coding of version 4 (see `codec`; version 3 gave every destination two bytes,
/// version 2 wrote the wide source steps among the others, version 1 coded gaps between keys
/// in LEB128).
pub const CELL_CODING: &str = "hot-table-destination-bytes-source-steps";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The first bytes of a shard's cells file.
pub(crate) const CELLS_MAGIC: &[u8; 8] = b"CRCELLS1";

/// What `manifest.json` says: enough to read every other file, and to tell which rank
/// options the store already fixes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version ([`VERSION`]).
    pub version: u32,
    /// The crawlrank that wrote it.
    pub crawlrank_version: String,
    /// The `build` command line.
    pub command: Vec<String>,
    /// Node, edge, duplicate, self-loop and dangling counts.
    pub graph: GraphStats,
    /// Whether the ids are integers or strings.
    pub ids: IdKind,
    /// How the node table is kept: `int`, `dense` (ids `0..n`), `string` or `named`.
    pub node_table: String,
    /// log2 of the node ids per block (cells hold 16-bit offsets into blocks).
    pub block_bits: u32,
    /// The cell coding ([`CELL_CODING`]).
    pub cell_coding: String,
    /// Shard `s` owns the sources `bounds[s]..bounds[s + 1]`.
    pub bounds: Vec<u32>,
    /// How the inputs were read and built (the options `rank` must not change).
    pub load: LoadRecord,
    /// What each input held.
    pub inputs: Vec<FileReport>,
    /// What the names files held, with `--names`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<crate::graph::names::NamesReport>,
    /// The names files' extra columns, and whether each holds integers only.
    #[serde(default)]
    pub columns: Vec<(String, bool)>,
    /// Every file of the store but the manifest, with its size and CRC-32.
    pub files: Vec<FileEntry>,
}

/// One file of a store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the store folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 (IEEE, as gzip's) of its bytes, as 8 hexadecimal digits.
    pub crc32: String,
}

impl Manifest {
    /// Total bytes of the store's files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }
}

/// The path of shard `s`'s cells file inside a store, relative.
pub(crate) fn cells_file(shard: usize) -> String {
    format!("shards/shard-{shard:05}.cells")
}

/// The path of shard `s`'s weights file inside a store, relative.
pub(crate) fn weights_file(shard: usize) -> String {
    format!("shards/shard-{shard:05}.weights")
}

/// The path of shard `s`'s weight scales file inside a store, relative.
pub(crate) fn scales_file(shard: usize) -> String {
    format!("shards/shard-{shard:05}.scales")
}

/// Whether `path` is a store: a folder with a manifest (its content is checked on opening).
pub fn is_store(path: &Path) -> bool {
    path.is_dir() && path.join(MANIFEST).is_file()
}

/// `path` joined with a relative `/`-separated file name.
pub(crate) fn at(store: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(store.to_path_buf(), |p, part| p.join(part))
}
