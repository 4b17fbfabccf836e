//! What must agree between the processes of a run, and how to say what does not.
//!
//! A [`JobManifest`] is a list of named entries: crawlrank's version, the options, the hosts,
//! and every input's name, size and a digest of its contents. Its SHA-256 is the job
//! fingerprint the processes compare when they connect ([`handshake`](super::handshake));
//! when two authenticated processes' fingerprints differ they exchange their manifests, so
//! the error names the entries that differ ("input crawl/part-3.tsv: different contents")
//! rather than only "a different job".
//!
//! An input's digest covers its size and its first and last MiB (the whole file when it is at
//! most 2 MiB): a different file under the same name is caught whenever it differs in size,
//! in its head or in its tail, which a different crawl, a truncated copy or a re-export does;
//! a change confined to the middle of a file larger than 2 MiB is not. Reading 2 MiB per
//! input keeps the check fast on a crawl of thousands of part files.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::input::InputFile;

/// Bytes read from each end of an input for its digest.
const END_BYTES: u64 = 1 << 20;

/// The entries that must agree between the processes of a run, in a fixed order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobManifest {
    entries: Vec<(String, Value)>,
}

/// One entry's value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    /// An option, a version, a list: compared as text.
    Text(String),
    /// A file: its size and the SHA-256 of its size, first and last MiB.
    File {
        /// Bytes.
        size: u64,
        /// The digest.
        digest: [u8; 32],
    },
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(text) => write!(f, "{text}"),
            Value::File { size, digest } => write!(f, "{size} bytes, sha256 {}…", hex(&digest[..8])),
        }
    }
}

impl JobManifest {
    /// An empty manifest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry compared as text.
    pub fn add(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.entries.push((key.into(), Value::Text(value.into())));
    }

    /// Adds the inputs: their number, their names in order, and each one's size and digest
    /// (read in parallel on the current rayon pool). An input that cannot be read is an
    /// error naming it.
    pub fn add_inputs(&mut self, inputs: &[InputFile]) -> Result<()> {
        let names: Vec<String> = inputs.iter().map(InputFile::name).collect();
        self.add("input count", inputs.len().to_string());
        let mut order = Sha256::new();
        for name in &names {
            order.update((name.len() as u64).to_be_bytes());
            order.update(name.as_bytes());
        }
        self.add(
            "input names in order",
            format!("sha256 {}", hex(&order.finalize()[..8])),
        );
        let files: Vec<Value> = inputs.par_iter().map(input_value).collect::<Result<_>>()?;
        let mut seen = std::collections::HashMap::new();
        for (name, value) in names.into_iter().zip(files) {
            // A file named twice gets two entries.
            let count = seen.entry(name.clone()).or_insert(0usize);
            *count += 1;
            let key = match *count {
                1 => format!("input {name}"),
                n => format!("input {name} (occurrence {n})"),
            };
            self.entries.push((key, value));
        }
        Ok(())
    }

    /// Adds the file at `path` under `key`: its size and digest.
    pub fn add_file(&mut self, key: impl Into<String>, path: &Path) -> Result<()> {
        let value = file_value(path).map_err(|e| Error::io(path, e))?;
        self.entries.push((key.into(), value));
        Ok(())
    }

    /// The job fingerprint: SHA-256 of the encoded manifest.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }

    /// The manifest as bytes: per entry, the key's and the value's lengths (u32, big-endian)
    /// and bytes; a file's value is its size (u64) and digest.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (key, value) in &self.entries {
            bytes.extend_from_slice(&(key.len() as u32).to_be_bytes());
            bytes.extend_from_slice(key.as_bytes());
            match value {
                Value::Text(text) => {
                    bytes.push(0);
                    bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
                    bytes.extend_from_slice(text.as_bytes());
                }
                Value::File { size, digest } => {
                    bytes.push(1);
                    bytes.extend_from_slice(&size.to_be_bytes());
                    bytes.extend_from_slice(digest);
                }
            }
        }
        bytes
    }

    /// The manifest [`encode`](Self::encode) wrote; `None` for anything else.
    pub fn decode(mut bytes: &[u8]) -> Option<JobManifest> {
        fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = bytes.split_at_checked(n)?;
            *bytes = rest;
            Some(head)
        }
        fn text(bytes: &mut &[u8]) -> Option<String> {
            let length = u32::from_be_bytes(take(bytes, 4)?.try_into().ok()?) as usize;
            String::from_utf8(take(bytes, length)?.to_vec()).ok()
        }
        let mut entries = Vec::new();
        while !bytes.is_empty() {
            let key = text(&mut bytes)?;
            let value = match take(&mut bytes, 1)?[0] {
                0 => Value::Text(text(&mut bytes)?),
                1 => Value::File {
                    size: u64::from_be_bytes(take(&mut bytes, 8)?.try_into().ok()?),
                    digest: take(&mut bytes, 32)?.try_into().ok()?,
                },
                _ => return None,
            };
            entries.push((key, value));
        }
        Some(JobManifest { entries })
    }

    /// The entries in which `theirs` (another process's manifest) differs from this one, as
    /// sentences: at most four, then how many more.
    pub fn differences(&self, theirs: &JobManifest) -> Vec<String> {
        const SHOWN: usize = 4;
        // Looked up by key: a crawl may have a million inputs.
        let index = |entries: &[(String, Value)]| -> std::collections::HashMap<String, Value> {
            entries.iter().cloned().collect()
        };
        let (mine, other_side) = (index(&self.entries), index(&theirs.entries));
        let mut all = Vec::new();
        for (key, ours) in &self.entries {
            match other_side.get(key) {
                Some(other) if other == ours => {}
                Some(other) => all.push(describe_difference(key, ours, other)),
                None => all.push(format!("{key}: only on this process")),
            }
        }
        for (key, _) in &theirs.entries {
            if !mine.contains_key(key) {
                all.push(format!("{key}: only on the other process"));
            }
        }
        if all.len() > SHOWN {
            let more = all.len() - SHOWN;
            all.truncate(SHOWN);
            all.push(format!("and {more} more differences"));
        }
        all
    }
}

/// How an entry differs, in words.
fn describe_difference(key: &str, ours: &Value, theirs: &Value) -> String {
    match (ours, theirs) {
        (Value::File { size: a, .. }, Value::File { size: b, .. }) if a != b => {
            format!("{key} differs in size ({a} bytes here, {b} bytes there)")
        }
        (Value::File { .. }, Value::File { .. }) => {
            format!("{key} differs in contents (here {ours}; there {theirs})")
        }
        _ => format!("{key} differs ({ours} here, {theirs} there)"),
    }
}

/// An input's entry value.
fn input_value(input: &InputFile) -> Result<Value> {
    match input {
        // A store's manifest names every file of it with its size and CRC-32.
        InputFile::Path(path) if crate::store::is_store(path) => {
            let manifest = path.join("manifest.json");
            file_value(&manifest).map_err(|e| Error::io(&manifest, e))
        }
        InputFile::Path(path) | InputFile::Listed(path) => file_value(path).map_err(|e| Error::io(path, e)),
        InputFile::BvGraph { basename, .. } => {
            let graph = crate::input::bvgraph::part(basename, "graph");
            file_value(&graph).map_err(|e| Error::io(&graph, e))
        }
        InputFile::Bundled { bytes, .. } => {
            digest(&mut io::Cursor::new(*bytes), bytes.len() as u64).map_err(|e| Error::io(input.name(), e))
        }
        InputFile::Stdin => Ok(Value::Text("standard input".to_string())),
    }
}

/// The size and digest of the file at `path`.
fn file_value(path: &Path) -> io::Result<Value> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    digest(&mut file, size)
}

/// The size and the SHA-256 of the size, the first MiB and the last MiB of `reader` (of
/// `size` bytes; all of it when it is at most 2 MiB).
fn digest<R: Read + Seek>(reader: &mut R, size: u64) -> io::Result<Value> {
    let mut hasher = Sha256::new();
    hasher.update(size.to_be_bytes());
    let mut buffer = vec![0u8; 64 << 10];
    let mut hash_range = |reader: &mut R, start: u64, length: u64| -> io::Result<()> {
        reader.seek(SeekFrom::Start(start))?;
        let mut left = length;
        while left > 0 {
            let n = left.min(buffer.len() as u64) as usize;
            reader.read_exact(&mut buffer[..n])?;
            hasher.update(&buffer[..n]);
            left -= n as u64;
        }
        Ok(())
    };
    if size <= 2 * END_BYTES {
        hash_range(reader, 0, size)?;
    } else {
        hash_range(reader, 0, END_BYTES)?;
        hash_range(reader, size - END_BYTES, END_BYTES)?;
    }
    Ok(Value::File {
        size,
        digest: hasher.finalize().into(),
    })
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(dir: &Path, files: &[(&str, &[u8])]) -> JobManifest {
        let inputs: Vec<InputFile> = files
            .iter()
            .map(|(name, bytes)| {
                let path = dir.join(name);
                std::fs::write(&path, bytes).unwrap();
                InputFile::Path(path)
            })
            .collect();
        let mut m = JobManifest::new();
        m.add("version", "1");
        m.add_inputs(&inputs).unwrap();
        m
    }

    #[test]
    fn same_files_give_the_same_fingerprint_and_other_contents_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let a = manifest(dir.path(), &[("x.tsv", b"1 2\n"), ("y.tsv", b"2 3\n")]);
        let b = manifest(dir.path(), &[("x.tsv", b"1 2\n"), ("y.tsv", b"2 3\n")]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert!(a.differences(&b).is_empty());
        let c = manifest(dir.path(), &[("x.tsv", b"1 2\n"), ("y.tsv", b"2 4\n")]);
        assert_ne!(a.fingerprint(), c.fingerprint());
        let d = a.differences(&c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("y.tsv differs in contents"), "{d:?}");
        let e = manifest(dir.path(), &[("x.tsv", b"1 2\n"), ("y.tsv", b"2 3\n3 4\n")]);
        assert!(a.differences(&e)[0].contains("y.tsv differs in size (4 bytes here, 8 bytes there)"));
    }

    #[test]
    fn the_head_and_the_tail_of_a_large_file_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let mut bytes = vec![7u8; 5 << 20];
        std::fs::write(&path, &bytes).unwrap();
        let value = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            file_value(&path).unwrap()
        };
        let original = value(&bytes);
        bytes[(5 << 20) - 1] = 8; // the last byte
        assert_ne!(value(&bytes), original);
        bytes[(5 << 20) - 1] = 7;
        bytes[0] = 8; // the first byte
        assert_ne!(value(&bytes), original);
        bytes[0] = 7;
        bytes[2 << 20] = 8; // the middle is not read
        assert_eq!(value(&bytes), original);
    }

    #[test]
    fn manifests_survive_encoding_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = manifest(dir.path(), &[("x.tsv", b"1 2\n")]);
        assert_eq!(JobManifest::decode(&a.encode()), Some(a.clone()));
        let mut bad = a.encode();
        bad.pop();
        assert_eq!(JobManifest::decode(&bad), None);
        assert_eq!(JobManifest::decode(b"\xff\xff\xff\xff"), None);
    }

    #[test]
    fn extra_inputs_and_options_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = manifest(dir.path(), &[("x.tsv", b"1 2\n")]);
        let mut b = manifest(dir.path(), &[("x.tsv", b"1 2\n"), ("z.tsv", b"5 6\n")]);
        a.add("damping", "0.85");
        b.add("damping", "0.9");
        let d = a.differences(&b);
        assert!(d.iter().any(|s| s == "input count differs (1 here, 2 there)"), "{d:?}");
        assert!(d.iter().any(|s| s == "damping differs (0.85 here, 0.9 there)"), "{d:?}");
        assert!(
            d.iter().any(|s| s.contains("z.tsv: only on the other process")),
            "{d:?}"
        );
    }
}
