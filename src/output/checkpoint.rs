//! Checkpoints of a long ranking (`--checkpoint-every N`, `--resume`): the states after a
//! round and the reports of the rounds so far, written atomically beside the result folder,
//! so that a run killed after a checkpoint resumes there and ends bit-identical to a run
//! that was never interrupted.
//!
//! The file, `RESULT.checkpoint` beside the result folder `RESULT` (little-endian):
//!
//! ```text
//! "CRCHKPT1"                       magic
//! u64                              fingerprint of the graph and parameters (below)
//! u64 k                            rounds made
//! k × (u64, f64, f64)              each round's number, L1 change, seconds
//! u64 n                            nodes
//! n × f64                          the states (ranks) after round k
//! u32                              CRC-32 of everything before
//! ```
//!
//! The fingerprint covers what the rounds' arithmetic depends on: node and edge counts, the
//! shard bounds, degrees and weight sums, damping, tolerance, dangling, precision and the
//! teleport vector. `--max-iter` is left out: a run resumed with a larger one goes on as if
//! it had been given from the start.

use std::hash::{BuildHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::IterationReport;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"CRCHKPT1";

/// The checkpoint file of the result folder `output`.
pub(crate) fn path_for(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "result".into(), |n| n.to_string_lossy().into_owned());
    output.with_file_name(format!("{name}.checkpoint"))
}

/// Starts a fingerprint; feed it with [`Fingerprint::add`].
pub(crate) struct Fingerprint(foldhash::fast::FoldHasher<'static>);

impl Fingerprint {
    /// An empty fingerprint (the same seed in every process and run).
    pub(crate) fn new() -> Fingerprint {
        static SEED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0xC4EC_9017);
        Fingerprint(SEED.build_hasher())
    }

    /// Adds a value.
    pub(crate) fn add<T: Hash + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.hash(&mut self.0);
        self
    }

    /// Adds floating-point values by their bits.
    pub(crate) fn add_floats(&mut self, values: &[f64]) -> &mut Self {
        values.len().hash(&mut self.0);
        for v in values {
            self.0.write_u64(v.to_bits());
        }
        self
    }

    /// The fingerprint.
    pub(crate) fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// A checkpoint read back.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    /// The rounds made.
    pub reports: Vec<IterationReport>,
    /// The states after the last of them.
    pub states: Vec<f64>,
}

/// Writes a checkpoint at `path`: into `PATH.tmp`, synced, then renamed over the previous
/// one, so that a kill or a full disk at any moment leaves the previous checkpoint whole.
pub(crate) fn write(path: &Path, fingerprint: u64, reports: &[IterationReport], states: &[f64]) -> Result<()> {
    let tmp = path.with_extension("checkpoint.tmp");
    let mut hasher = crc32fast::Hasher::new();
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut put = |bytes: &[u8], out: &mut std::io::BufWriter<std::fs::File>| {
            hasher.update(bytes);
            out.write_all(bytes)
        };
        put(MAGIC, &mut out)?;
        put(&fingerprint.to_le_bytes(), &mut out)?;
        put(&(reports.len() as u64).to_le_bytes(), &mut out)?;
        for r in reports {
            put(&(r.iteration as u64).to_le_bytes(), &mut out)?;
            put(&r.change.to_bits().to_le_bytes(), &mut out)?;
            put(&r.seconds.to_bits().to_le_bytes(), &mut out)?;
        }
        put(&(states.len() as u64).to_le_bytes(), &mut out)?;
        for chunk in states.chunks(1 << 14) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_bits().to_le_bytes()).collect();
            put(&bytes, &mut out)?;
        }
        let crc = hasher.clone().finalize();
        out.write_all(&crc.to_le_bytes())?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads the checkpoint at `path`, which must carry `fingerprint` and `nodes` states.
pub(crate) fn read(path: &Path, fingerprint: u64, nodes: usize) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Input(format!(
            "{}: no checkpoint to resume from; --resume continues a run made with --checkpoint-every N into \
             the same result folder",
            path.display()
        )),
        _ => Error::io(path, e),
    })?;
    let damaged = |what: &str| {
        Error::Input(format!(
            "{}: {what}; not a checkpoint this run can resume from (remove it to start over)",
            path.display()
        ))
    };
    if bytes.len() < 8 + 8 + 8 + 8 + 4 || &bytes[..8] != MAGIC {
        return Err(damaged("not a crawlrank checkpoint"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(damaged("its CRC-32 does not match (cut short or damaged)"));
    }
    let word = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().expect("8 bytes"));
    if word(8) != fingerprint {
        return Err(damaged(
            "it was written for another graph or other parameters (--damping, --tol, --dangling, --precision, \
             --personalize, --weighted, --shards, or another input)",
        ));
    }
    let k = word(16) as usize;
    let states_at = 24 + k.checked_mul(24).ok_or_else(|| damaged("a round count out of range"))?;
    if body.len() < states_at + 8 || word(states_at) as usize != nodes || body.len() != states_at + 8 + nodes * 8 {
        return Err(damaged("its states are not one per node of this graph"));
    }
    let reports = (0..k)
        .map(|i| {
            let at = 24 + i * 24;
            IterationReport {
                iteration: word(at) as usize,
                change: f64::from_bits(word(at + 8)),
                seconds: f64::from_bits(word(at + 16)),
            }
        })
        .collect();
    let states = body[states_at + 8..]
        .chunks_exact(8)
        .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().expect("8 bytes"))))
        .collect();
    Ok(Checkpoint { reports, states })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_and_refuse_other_runs_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(&dir.path().join("out"));
        assert_eq!(path.file_name().unwrap(), "out.checkpoint");
        let reports = vec![
            IterationReport {
                iteration: 1,
                change: 0.5,
                seconds: 0.25,
            },
            IterationReport {
                iteration: 2,
                change: 1e-3,
                seconds: 0.125,
            },
        ];
        let states = vec![0.25, 0.75, f64::MIN_POSITIVE];
        write(&path, 42, &reports, &states).unwrap();
        let back = read(&path, 42, 3).unwrap();
        assert_eq!(back.reports, reports);
        assert_eq!(back.states, states);
        assert!(read(&path, 43, 3).unwrap_err().to_string().contains("another graph"));
        assert!(read(&path, 42, 4).unwrap_err().to_string().contains("one per node"));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(&path, 42, 3).unwrap_err().to_string().contains("CRC-32"));
        std::fs::write(&path, &bytes[..20]).unwrap();
        assert!(read(&path, 42, 3).is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(read(&path, 42, 3).unwrap_err().to_string().contains("no checkpoint"));
        // A second write replaces the first whole, and leaves no temporary file.
        write(&path, 7, &reports[..1], &states).unwrap();
        write(&path, 7, &reports, &states).unwrap();
        assert_eq!(read(&path, 7, 3).unwrap().reports.len(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
