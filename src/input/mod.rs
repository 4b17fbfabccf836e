//! Where an edge comes from: input files, folders, glob patterns and standard input, each
//! decompressed by its magic number and parsed lazily as text, and LAW WebGraph BVGraphs.
//!
//! [`expand`] turns what the user typed into an ordered list of [`InputFile`]s; `read_inputs`
//! streams all of them, in that order, into one edge sink (the graph's collector), through
//! `text` (line by line), `parallel` (integer ids, in parallel batches) or `bvgraph` (a
//! BVGraph's successor lists). A new format plugs in here: a file of its own that feeds an
//! `EdgeSink`, a variant of [`InputFile`] (or a test in [`expand`]) that recognises it, and
//! a branch in `read_inputs`.

pub mod bundled;
pub(crate) mod bvgraph;
pub(crate) mod compression;
pub(crate) mod detect;
pub mod names;
pub(crate) mod parallel;
pub(crate) mod strings;
pub(crate) mod text;

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

pub use compression::{Compression, decode};
pub use detect::HEADER_NAMES;
pub(crate) use text::EdgeSink;
pub use text::{LINE_LIMIT, ParseOptions, Separator, SeparatorSource, TextStats};

use crate::error::{Error, Result};
use crate::progress::{Event, Progress};

/// One concrete input: a file, or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputFile {
    /// A file on disk, named by the user: read as an edge list, or refused with a clear
    /// error when it is a known other format.
    Path(PathBuf),
    /// A file found in a folder or by a glob pattern: read when it looks like edge data,
    /// skipped with a note when it is a known other format (a README, a Parquet file...).
    Listed(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A LAW WebGraph BVGraph: `basename.graph` with `basename.properties` (and `.offsets`
    /// or `.ef`, not needed to read it in one pass).
    BvGraph {
        /// The path without extension.
        basename: PathBuf,
        /// Found in a folder or by a pattern rather than named.
        listed: bool,
    },
    /// A graph compiled into the binary (the bundled default graph).
    Bundled {
        /// Its name, as in `graphs/`.
        name: &'static str,
        /// Its bytes, compressed or not.
        bytes: &'static [u8],
    },
}

impl InputFile {
    /// The name used in messages and in the summary.
    pub fn name(&self) -> String {
        match self {
            InputFile::Path(p) | InputFile::Listed(p) => p.display().to_string(),
            InputFile::BvGraph { basename, .. } => basename.display().to_string(),
            InputFile::Stdin => "<stdin>".to_string(),
            InputFile::Bundled { name, .. } => name.to_string(),
        }
    }

    /// The size in bytes, when it is a file.
    pub fn size(&self) -> Option<u64> {
        match self {
            InputFile::Path(p) | InputFile::Listed(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            InputFile::BvGraph { basename, .. } => std::fs::metadata(bvgraph::part(basename, "graph"))
                .ok()
                .map(|m| m.len()),
            InputFile::Stdin => None,
            InputFile::Bundled { bytes, .. } => Some(bytes.len() as u64),
        }
    }

    /// Its path on disk, if it is a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            InputFile::Path(p) | InputFile::Listed(p) => Some(p),
            _ => None,
        }
    }
}

/// The file that makes a folder a store (`crate::store`) rather than a folder of inputs.
pub(crate) const STORE_MANIFEST: &str = "manifest.json";

/// Expands the inputs as typed into files, in order.
///
/// - `-` is standard input;
/// - a folder stands for the files directly inside it, in name order, without those whose
///   name starts with `_` or `.` (`_SUCCESS`, `.crc` files, as Hadoop and Spark skip them);
/// - a pattern with `*`, `?` or `[` is a glob, its matches in name order;
/// - a BVGraph is named by its basename (`BASE` when `BASE.graph` and `BASE.properties`
///   exist), its `.graph` or its `.properties`; among a folder's or a pattern's files, a
///   `.graph` with its `.properties` is that graph, and its other files (`.offsets`, `.ef`...)
///   are not inputs of their own;
/// - a folder with a `manifest.json` is a store (`crawlrank build`'s output), one input;
/// - anything else must be an existing file.
///
/// Files found in folders and by patterns are [`InputFile::Listed`]: when read, those that
/// are not edge lists (documentation, metadata, images, other formats) are skipped with a
/// note in their [`FileReport`].
pub fn expand(specs: &[String]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for spec in specs {
        if spec == "-" {
            files.push(InputFile::Stdin);
            continue;
        }
        let path = Path::new(spec);
        if path.is_dir() && path.join(STORE_MANIFEST).is_file() {
            // A store (`crawlrank build`'s output) is one input, opened as a whole.
            files.push(InputFile::Path(path.to_path_buf()));
        } else if path.is_dir() {
            let inside = folder_files(path)?;
            if inside.is_empty() {
                return Err(Error::Input(format!(
                    "{spec}: the folder holds no input files (names starting with _ or . are skipped)"
                )));
            }
            files.extend(bvgraph::gather(spec, inside)?);
        } else if let Some(basename) = bvgraph::basename_of(path) {
            files.push(InputFile::BvGraph {
                basename,
                listed: false,
            });
        } else if path.exists() {
            files.push(InputFile::Path(path.to_path_buf()));
        } else if bvgraph::is_basename(path) {
            files.push(InputFile::BvGraph {
                basename: path.to_path_buf(),
                listed: false,
            });
        } else if spec.contains(['*', '?', '[']) {
            let pattern =
                glob::glob(spec).map_err(|e| Error::Config(format!("{spec}: not a valid glob pattern: {e}")))?;
            let mut matched = Vec::new();
            for entry in pattern {
                let p = entry.map_err(|e| Error::io(e.path(), io::Error::other(e.to_string())))?;
                if p.is_dir() {
                    matched.extend(folder_files(&p)?);
                } else {
                    matched.push(p);
                }
            }
            if matched.is_empty() {
                return Err(Error::Input(format!("{spec}: no file matches this pattern")));
            }
            matched.sort();
            matched.dedup();
            files.extend(bvgraph::gather(spec, matched)?);
        } else {
            return Err(Error::Input(format!("{spec}: no such file or folder; check the path")));
        }
    }
    if files.is_empty() {
        return Err(Error::Input("no input given".to_string()));
    }
    Ok(files)
}

fn folder_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with(['_', '.']);
        if !hidden && entry.path().is_file() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// What was read from one input file.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct FileReport {
    /// The file's name as given.
    pub path: String,
    /// Where it came from: `file` (named), `listed` (found in a folder or by a pattern),
    /// `stdin` or `bundled`.
    pub source: String,
    /// The file's absolute path, so that a later `export` can read it again.
    pub absolute_path: Option<String>,
    /// The compression found from its first bytes (`plain` for a BVGraph, whose compression
    /// is its format).
    pub compression: Compression,
    /// What was read: an edge list as text, or a BVGraph.
    #[serde(default)]
    pub format: InputFormat,
    /// Bytes read from the file (compressed size).
    pub bytes: u64,
    /// Lines, edges and skipped lines.
    #[serde(flatten)]
    pub text: TextStats,
    /// Why the file was not read, when it was found in a folder but is not an edge list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The format of an input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// An edge list as text (TSV, CSV, blank-separated), compressed or not.
    #[default]
    Text,
    /// A LAW WebGraph BVGraph (`.graph` + `.properties`); its `bytes` are the `.graph`'s and
    /// its `edges` its arcs.
    BvGraph,
}

/// A reader that counts the bytes taken from it, for progress reports.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Streams every file, in order, into `sink`.
///
/// Each file's separator and header are decided from evidence before its records are read
/// (from its name, else its first records taken together); a file whose lines do not tell
/// its separator on their own takes the one of the files before it. Reports [`Event::Read`]
/// with the compressed bytes read so far out of the known total.
pub fn read_inputs<S: EdgeSink>(
    files: &[InputFile],
    options: &ParseOptions,
    sink: &mut S,
    progress: &dyn Progress,
) -> Result<Vec<FileReport>> {
    let total: Option<u64> = files.iter().map(InputFile::size).sum();
    let mut reports = Vec::with_capacity(files.len());
    let mut bytes_before = 0;
    let mut edges_before = 0;
    let mut earlier: Option<Separator> = None;
    for file in files {
        let name = file.name();
        let mut report = FileReport {
            path: name.clone(),
            source: match file {
                InputFile::Path(_) | InputFile::BvGraph { listed: false, .. } => "file",
                InputFile::Listed(_) | InputFile::BvGraph { listed: true, .. } => "listed",
                InputFile::Stdin => "stdin",
                InputFile::Bundled { .. } => "bundled",
            }
            .to_string(),
            absolute_path: file
                .path()
                .and_then(|p| std::fs::canonicalize(p).ok())
                .map(|p| p.display().to_string()),
            compression: Compression::Plain,
            format: InputFormat::Text,
            bytes: 0,
            text: TextStats::default(),
            skipped: None,
        };
        if let InputFile::BvGraph { basename, .. } = file {
            report.format = InputFormat::BvGraph;
            report.absolute_path = std::fs::canonicalize(bvgraph::part(basename, "graph"))
                .ok()
                .map(|p| p.with_extension("").display().to_string());
            let mut on_progress = |bytes: u64, edges: u64| {
                progress.event(Event::Read {
                    bytes: bytes_before + bytes,
                    total_bytes: total,
                    edges: edges_before + edges,
                });
            };
            report.text.edges = bvgraph::read(basename, options.weighted, sink, &mut on_progress)?;
            report.bytes = file.size().unwrap_or(0);
            bytes_before += report.bytes;
            edges_before += report.text.edges;
            reports.push(report);
            continue;
        }
        if let Some(path) = file.path()
            && let Some(format) = detect::known_by_name(path)
        {
            match file {
                InputFile::Listed(_) => {
                    report.skipped = Some(format!("{}: {}", format.what, format.advice));
                    reports.push(report);
                    continue;
                }
                _ => return Err(not_edges(&name, &format)),
            }
        }
        let count = Arc::new(AtomicU64::new(0));
        let raw: Box<dyn Read + Send> = match file {
            InputFile::Path(p) | InputFile::Listed(p) => Box::new(File::open(p).map_err(|e| Error::io(p, e))?),
            InputFile::Stdin => Box::new(io::stdin()),
            InputFile::Bundled { bytes, .. } => Box::new(io::Cursor::new(*bytes)),
            InputFile::BvGraph { .. } => unreachable!("read above"),
        };
        let counted = Counting {
            inner: raw,
            count: Arc::clone(&count),
        };
        let (compression, reader) = compression::decode(counted).map_err(|e| Error::io(&name, e))?;
        report.compression = compression;
        let mut report_progress = |edges: u64| {
            progress.event(Event::Read {
                bytes: bytes_before + count.load(Ordering::Relaxed),
                total_bytes: total,
                edges: edges_before + edges,
            });
        };
        let listed = matches!(file, InputFile::Listed(_));
        match read_file(
            &name,
            file.path(),
            reader,
            options,
            earlier,
            listed,
            sink,
            &mut report_progress,
        )? {
            Ok(text) => {
                if text.edges == 0 && text.bad_lines > 0 {
                    return Err(Error::Input(format!(
                        "{name}: all {} records were malformed and skipped (--skip-bad-lines); is the separator right ({} was used; --sep)?",
                        text.bad_lines,
                        text.separator.map_or("none", Separator::name)
                    )));
                }
                earlier = earlier.or(text.separator);
                report.text = text;
            }
            Err(format) => report.skipped = Some(format!("{}: {}", format.what, format.advice)),
        }
        report.bytes = count.load(Ordering::Relaxed);
        bytes_before += report.bytes;
        edges_before += report.text.edges;
        reports.push(report);
    }
    progress.event(Event::Read {
        bytes: bytes_before,
        total_bytes: total,
        edges: edges_before,
    });
    Ok(reports)
}

fn not_edges(name: &str, format: &detect::NotEdges) -> Error {
    Error::Input(format!(
        "{name}: {} is not an edge list; {}",
        format.what, format.advice
    ))
}

/// Reads one decoded file into `sink`: decides what it is, its separator and its header from
/// its first bytes, then hands its records to the parallel reader (integer ids) or the record
/// reader. `Ok(Err(format))` when a `listed` file turns out not to be edge text (skipped).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_file<S: EdgeSink>(
    name: &str,
    path: Option<&Path>,
    mut reader: Box<dyn BufRead + Send>,
    options: &ParseOptions,
    earlier: Option<Separator>,
    listed: bool,
    sink: &mut S,
    on_lines: &mut dyn FnMut(u64),
) -> Result<Result<TextStats, detect::NotEdges>> {
    // The evidence: the file's first bytes, read ahead and then read again as the file.
    let mut head = Vec::with_capacity(detect::EVIDENCE_BYTES);
    let mut complete = false;
    while head.len() < detect::EVIDENCE_BYTES {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let lines = memchr::memchr_iter(b'\n', &head).count() as u64;
                return Err(text::read_error(name, lines, e));
            }
        };
        if available.is_empty() {
            complete = true;
            break;
        }
        let n = available.len().min(detect::EVIDENCE_BYTES - head.len());
        head.extend_from_slice(&available[..n]);
        reader.consume(n);
    }
    let content = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if let Some(format) = detect::known_by_content(content) {
        let format = bvgraph_hint(path).unwrap_or(format);
        return if listed {
            Ok(Err(format))
        } else {
            Err(not_edges(name, &format))
        };
    }
    let from_name = path.and_then(detect::separator_from_name);
    let evidence = || detect::separator_from_content(&head, complete);
    let (separator, source) = match (options.separator, from_name) {
        (Some(given), _) => (given, SeparatorSource::Given),
        (None, Some(named)) => match evidence() {
            // A name that the lines contradict (a `.tsv` of blank-separated lines, a `.csv`
            // a spreadsheet wrote with semicolons) gives way to what the lines say.
            detect::SeparatorEvidence::Found(found) if detect::contradicts(&head, found, named, complete) => {
                (found, SeparatorSource::Content)
            }
            _ => (named, SeparatorSource::Extension),
        },
        (None, None) => match evidence() {
            detect::SeparatorEvidence::Found(found) => (found, SeparatorSource::Content),
            detect::SeparatorEvidence::Nothing if listed && has_records(&head) => {
                return Ok(Err(detect::NotEdges {
                    what: "text without edge lines".to_string(),
                    advice: "none of its first lines reads as `source target`",
                }));
            }
            detect::SeparatorEvidence::Nothing => match earlier {
                Some(s) => (s, SeparatorSource::Earlier),
                // No record reads as an edge (perhaps only a header): the separator that splits
                // the first record in two or three, and the reader says what is wrong.
                None => (detect::fallback_separator(&head, complete), SeparatorSource::Content),
            },
            detect::SeparatorEvidence::Ambiguous(candidates) => match earlier {
                Some(s) if candidates.iter().any(|c| c.0 == s) => (s, SeparatorSource::Earlier),
                _ => return Err(ambiguous(name, &candidates)),
            },
        },
    };
    let header = options
        .header
        .unwrap_or_else(|| detect::header_from_content(&head, separator, complete));
    let mut stats = TextStats {
        separator: Some(separator),
        separator_source: Some(source),
        ..TextStats::default()
    };
    let mut rest: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(head).chain(reader));
    if header {
        stats.header = skip_header(name, &mut rest, separator, &mut stats)?;
    }
    match sink.integer_batches() {
        Some(strict) => parallel::read_edges_parallel(name, rest, options, separator, strict, stats, sink, on_lines),
        None => text::read_edges_from(name, rest, options, separator, stats, sink, on_lines),
    }
    .map(Ok)
}

/// A BVGraph's `.graph` file named without its `.properties` beside it is only binary data;
/// with it, say what it is.
fn bvgraph_hint(path: Option<&Path>) -> Option<detect::NotEdges> {
    let path = path?;
    let properties = path.with_extension("properties");
    (properties != path && properties.is_file()).then(|| detect::NotEdges {
        what: format!("part of a LAW WebGraph BVGraph ({} is beside it)", properties.display()),
        advice: "a BVGraph is read from its `.graph` and `.properties`; name it by its basename",
    })
}

/// Whether `head` holds any record that is not a comment or blank.
fn has_records(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .any(|line| !text::is_comment_or_blank(text::without_ending(line)))
}

fn ambiguous(name: &str, candidates: &[(Separator, Vec<Vec<u8>>)]) -> Error {
    let readings: Vec<String> = candidates
        .iter()
        .map(|(separator, fields)| {
            let fields: Vec<String> = fields.iter().map(|f| crate::error::quote(f)).collect();
            format!("with {} as {}", text::describe(*separator), fields.join(" | "))
        })
        .collect();
    let names: Vec<&str> = candidates.iter().map(|c| c.0.name()).collect();
    Error::Input(format!(
        "{name}: cannot tell the separator from the first lines, which read as edges equally well {}; give --sep {}",
        readings.join(", and "),
        names.join(" or --sep ")
    ))
}

/// Consumes the first record (after comments and blank lines) as a header; returns its text.
fn skip_header(
    name: &str,
    reader: &mut Box<dyn BufRead + Send>,
    separator: Separator,
    stats: &mut TextStats,
) -> Result<Option<String>> {
    let mut parser = text::RecordParser::new(separator);
    let mut buffer = Vec::new();
    let mut text: Option<Vec<u8>> = None;
    loop {
        let room = LINE_LIMIT.saturating_sub(parser.len());
        match text::read_line(reader, &mut buffer, room) {
            Ok(0) => return Ok(text.map(|t| String::from_utf8_lossy(&t).into_owned())),
            Ok(_) => {}
            Err(None) => return Err(text::too_long(name, stats.lines + 1, &buffer)),
            Err(Some(e)) => return Err(text::read_error(name, stats.lines, e)),
        }
        stats.lines += 1;
        let mut line = text::without_ending(&buffer);
        if stats.lines == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if text.is_none() && text::is_comment_or_blank(line) {
            continue;
        }
        text.get_or_insert_with(|| line.to_vec());
        if parser.feed(line) == text::Feed::Complete {
            return Ok(text.map(|t| String::from_utf8_lossy(&t).into_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_skip_hidden_and_underscore_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["part-00001", "part-00000", "_SUCCESS", ".part-00000.crc"] {
            std::fs::write(dir.path().join(name), "1 2\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let files = expand(&[dir.path().display().to_string()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.name().rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["part-00000", "part-00001"]);
    }

    #[test]
    fn globs_expand_in_name_order_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.tsv", "a.tsv", "c.txt"] {
            std::fs::write(dir.path().join(name), "1 2\n").unwrap();
        }
        let files = expand(&[format!("{}/*.tsv", dir.path().display())]).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[0].name().ends_with("a.tsv"));
        let missing = expand(&[format!("{}/nothing.tsv", dir.path().display())]).unwrap_err();
        assert!(missing.to_string().contains("no such file"), "{missing}");
        let unmatched = expand(&[format!("{}/*.csv", dir.path().display())]).unwrap_err();
        assert!(unmatched.to_string().contains("no file matches"), "{unmatched}");
    }
}
