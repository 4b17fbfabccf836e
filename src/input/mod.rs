//! Where an edge comes from: input files, folders, glob patterns and standard input, each
//! decompressed by its magic number and parsed lazily as text.
//!
//! [`expand`] turns what the user typed into an ordered list of [`InputFile`]s; `read_inputs`
//! streams all of them, in that order, into one edge sink (the graph's collector), through
//! `text` (line by line) or `parallel` (integer ids, in parallel batches).

pub mod bundled;
pub(crate) mod compression;
pub(crate) mod parallel;
pub(crate) mod text;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

pub use compression::{Compression, decode};
pub(crate) use text::EdgeSink;
pub use text::{ParseOptions, Separator, TextStats};

use crate::error::{Error, Result};
use crate::progress::{Event, Progress};

/// One concrete input: a file, or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputFile {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
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
            InputFile::Path(p) => p.display().to_string(),
            InputFile::Stdin => "<stdin>".to_string(),
            InputFile::Bundled { name, .. } => name.to_string(),
        }
    }

    /// The size in bytes, when it is a file.
    pub fn size(&self) -> Option<u64> {
        match self {
            InputFile::Path(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            InputFile::Stdin => None,
            InputFile::Bundled { bytes, .. } => Some(bytes.len() as u64),
        }
    }
}

/// Expands the inputs as typed into files, in order.
///
/// - `-` is standard input;
/// - a folder stands for the files directly inside it, in name order, without those whose
///   name starts with `_` or `.` (`_SUCCESS`, `.crc` files, as Hadoop and Spark skip them);
/// - a pattern with `*`, `?` or `[` is a glob, its matches in name order;
/// - anything else must be an existing file.
pub fn expand(specs: &[String]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for spec in specs {
        if spec == "-" {
            files.push(InputFile::Stdin);
            continue;
        }
        let path = Path::new(spec);
        if path.is_dir() {
            let inside = folder_files(path)?;
            if inside.is_empty() {
                return Err(Error::Input(format!(
                    "{spec}: the folder holds no input files (names starting with _ or . are skipped)"
                )));
            }
            files.extend(inside.into_iter().map(InputFile::Path));
        } else if path.exists() {
            files.push(InputFile::Path(path.to_path_buf()));
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
            files.extend(matched.into_iter().map(InputFile::Path));
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
    /// Where it came from: `file`, `stdin` or `bundled`.
    pub source: String,
    /// The file's absolute path, so that a later `export` can read it again.
    pub absolute_path: Option<String>,
    /// The compression found from its first bytes.
    pub compression: Compression,
    /// Bytes read from the file (compressed size).
    pub bytes: u64,
    /// Lines, edges and skipped lines.
    #[serde(flatten)]
    pub text: TextStats,
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
/// Reports [`Event::Read`] with the compressed bytes read so far out of the known total.
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
    for file in files {
        let name = file.name();
        let count = Arc::new(AtomicU64::new(0));
        let raw: Box<dyn Read + Send> = match file {
            InputFile::Path(p) => Box::new(File::open(p).map_err(|e| Error::io(p, e))?),
            InputFile::Stdin => Box::new(io::stdin()),
            InputFile::Bundled { bytes, .. } => Box::new(io::Cursor::new(*bytes)),
        };
        let counted = Counting {
            inner: raw,
            count: Arc::clone(&count),
        };
        let (compression, reader) = compression::decode(counted).map_err(|e| Error::io(&name, e))?;
        let mut report_progress = |edges: u64| {
            progress.event(Event::Read {
                bytes: bytes_before + count.load(Ordering::Relaxed),
                total_bytes: total,
                edges: edges_before + edges,
            });
        };
        let text = match sink.integer_batches() {
            Some(strict) if !options.header => {
                parallel::read_edges_parallel(&name, reader, options, strict, sink, &mut report_progress)?
            }
            _ => text::read_edges(&name, reader, options, sink, &mut report_progress)?,
        };
        let bytes = count.load(Ordering::Relaxed);
        bytes_before += bytes;
        edges_before += text.edges;
        reports.push(FileReport {
            path: name,
            source: match file {
                InputFile::Path(_) => "file",
                InputFile::Stdin => "stdin",
                InputFile::Bundled { .. } => "bundled",
            }
            .to_string(),
            absolute_path: match file {
                InputFile::Path(p) => std::fs::canonicalize(p).ok().map(|p| p.display().to_string()),
                _ => None,
            },
            compression,
            bytes,
            text,
        });
    }
    progress.event(Event::Read {
        bytes: bytes_before,
        total_bytes: total,
        edges: edges_before,
    });
    Ok(reports)
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
