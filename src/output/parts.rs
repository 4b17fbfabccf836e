//! Ranks as compressed text part files, one per shard, in Spark's `saveAsTextFile` layout:
//! `ranks/part-00000.gz`, … with lines `id<TAB>rank`, written in parallel.
//!
//! Ranks are printed in the shortest form that reads back to the same `f64` (ryu), so a
//! reader gets exactly the computed values. Ids are written as the user gave them, byte for
//! byte; one that holds a tab, a `"` or a line end is quoted CSV-style (see `tsv`), so that
//! every line has exactly two fields.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Exporter, Ranked, tsv};
use crate::error::{Error, Result};
use crate::graph::{IdKind, NodeTable};
use crate::input::compression;

/// How part files are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OutputCompression {
    /// gzip (`.gz`), fast level; what every tool reads.
    #[default]
    Gzip,
    /// Zstandard (`.zst`), level 3.
    Zstd,
    /// bzip2 (`.bz2`), splittable by Hadoop.
    Bzip2,
    /// Plain text, no extension.
    None,
}

impl OutputCompression {
    /// The file name extension, with its dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputCompression::Gzip => ".gz",
            OutputCompression::Zstd => ".zst",
            OutputCompression::Bzip2 => ".bz2",
            OutputCompression::None => "",
        }
    }

    /// Wraps `file` in this compression's encoder.
    pub fn writer(self, file: File) -> std::io::Result<Box<dyn FinishWrite>> {
        let buffered = BufWriter::with_capacity(1 << 16, file);
        Ok(match self {
            OutputCompression::Gzip => Box::new(flate2::write::GzEncoder::new(buffered, flate2::Compression::fast())),
            OutputCompression::Zstd => Box::new(zstd::stream::write::Encoder::new(buffered, 3)?),
            OutputCompression::Bzip2 => Box::new(bzip2::write::BzEncoder::new(buffered, bzip2::Compression::default())),
            OutputCompression::None => Box::new(buffered),
        })
    }
}

/// A writer that must be finished explicitly (compressed streams write their trailer then).
pub trait FinishWrite: Write + Send {
    /// Writes any trailer and flushes everything to the file.
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

impl FinishWrite for BufWriter<File> {
    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.flush()
    }
}

impl FinishWrite for flate2::write::GzEncoder<BufWriter<File>> {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

impl FinishWrite for zstd::stream::write::Encoder<'static, BufWriter<File>> {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

impl FinishWrite for bzip2::write::BzEncoder<BufWriter<File>> {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

/// Writes `ranks/part-NNNNN<ext>`, one per shard, in parallel.
#[derive(Clone, Copy, Debug)]
pub struct PartFiles {
    /// Compression of every part.
    pub compression: OutputCompression,
}

/// The name of shard `shard`'s part file.
pub(crate) fn part_name(shard: usize, compression: OutputCompression) -> String {
    format!("part-{shard:05}{}", compression.extension())
}

impl Exporter for PartFiles {
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()> {
        let shards: Vec<usize> = (0..ranked.graph.partition().shards()).collect();
        self.write_shards(ranked, dir, &shards)
    }
}

impl PartFiles {
    /// Writes the part files of `shards` only (a distributed run writes those it owns).
    pub(crate) fn write_shards(&self, ranked: &Ranked<'_>, dir: &Path, shards: &[usize]) -> Result<()> {
        let folder = dir.join("ranks");
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let partition = &ranked.graph.partition();
        // Integer ids never need quotes: their lines are written without looking at the id.
        let quote_ids = ranked.nodes.kind() == IdKind::String;
        shards.par_iter().try_for_each(|&shard| {
            let path = folder.join(part_name(shard, self.compression));
            let io = |e| Error::io(&path, e);
            let file = File::create(&path).map_err(io)?;
            let mut out = self.compression.writer(file).map_err(io)?;
            let mut line = Vec::with_capacity(1 << 16);
            let mut number = ryu::Buffer::new();
            for node in partition.range(shard) {
                let start = line.len();
                ranked.nodes.write_label(node, &mut line);
                if quote_ids {
                    tsv::quote_from(&mut line, start);
                }
                line.push(b'\t');
                line.extend_from_slice(number.format(ranked.ranks[node as usize]).as_bytes());
                line.push(b'\n');
                if line.len() >= 1 << 16 {
                    out.write_all(&line).map_err(io)?;
                    line.clear();
                }
            }
            out.write_all(&line).map_err(io)?;
            out.finish().map_err(io)
        })
    }
}

/// Ranks read back from part files onto the nodes of a graph.
#[derive(Debug)]
pub(crate) struct ReadRanks {
    /// A rank per dense node id; NaN for a node the files do not name.
    pub ranks: Vec<f64>,
    /// Nodes that have a rank.
    pub found: usize,
    /// Lines whose id is not a node of the graph (always 0 when `strict`).
    pub unknown: u64,
}

/// Reads the `id<TAB>rank` part files of `folder` (`part-*`, any compression) onto the nodes of
/// `nodes`. Quoted ids (those holding a tab, a `"` or a line end) are unquoted, so every id is
/// looked up with the bytes it was written from. With `strict`, an id that is not a node is an
/// error naming the file and line; otherwise it is counted. A rank that is not a finite number
/// at least 0 is an error either way.
pub(crate) fn read_ranks(folder: &Path, nodes: &NodeTable, strict: bool) -> Result<ReadRanks> {
    let mut read = ReadRanks {
        ranks: vec![f64::NAN; nodes.len()],
        found: 0,
        unknown: 0,
    };
    let mut parts: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| Error::io(folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("part-")))
        .collect();
    parts.sort();
    let mut record = csv::ByteRecord::new();
    for part in &parts {
        let name = part.display().to_string();
        let file = File::open(part).map_err(|e| Error::io(part, e))?;
        let (_, decoded) = compression::decode(file).map_err(|e| Error::io(part, e))?;
        let mut reader = tsv::reader(decoded, false);
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(Error::io(part, e.into())),
            }
            let number = record.position().map_or(0, |p| p.line());
            let bad = |message: &str| Error::parse(&name, number, message, &tsv::record_text(&record));
            let id = tsv::id_field(&record, 0, 1).ok_or_else(|| bad("expected id<TAB>rank"))?;
            let rank: f64 = std::str::from_utf8(&record[record.len() - 1])
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| bad("the rank is not a finite number at least 0"))?;
            let Some(node) = nodes.lookup(&id) else {
                if strict {
                    return Err(bad("this node is not in the graph read now; is this the ranked graph?"));
                }
                read.unknown += 1;
                continue;
            };
            if read.ranks[node as usize].is_nan() {
                read.found += 1;
            }
            read.ranks[node as usize] = rank;
        }
    }
    Ok(read)
}
