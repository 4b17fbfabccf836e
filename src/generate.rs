//! Synthetic graphs for benchmarks: Graph500-style R-MAT (Kronecker) and uniform random
//! edge lists, written as text.
//!
//! R-MAT: each of the `edge_factor · 2^scale` edges picks one quadrant of the adjacency matrix
//! per level, with probabilities a = 0.57, b = 0.19, c = 0.19, d = 0.05, as the Graph500
//! specification does; node ids are then scrambled by a seeded bijection of `[0, 2^scale)`,
//! so that high-degree nodes are not the small ids. Self-loops and duplicate edges are
//! written as generated (crawlrank collapses duplicates on reading).
//!
//! Deterministic: edges are made in chunks of [`CHUNK_EDGES`], each with its own generator
//! seeded from (seed, chunk number), so the output is the same for any thread count. The
//! random generator is SplitMix64, written here so that a seed means the same graph in
//! every version of crawlrank (general-purpose RNG crates do not promise stable streams).
//!
//! Compression is chosen by the output's extension: `.gz` writes one gzip member per chunk
//! and `.zst` one zstd frame per chunk, compressed in parallel; both are valid streams that
//! every reader decodes to the same text.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Edges per independently seeded chunk.
pub const CHUNK_EDGES: u64 = 1 << 20;

/// Which random graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// Recursive matrix with quadrant probabilities a, b, c (d = 1 − a − b − c).
    Rmat {
        /// Top-left.
        a: f64,
        /// Top-right.
        b: f64,
        /// Bottom-left.
        c: f64,
    },
    /// Source and target uniform over all nodes (Erdős–Rényi-like, no locality).
    Uniform,
}

impl Model {
    /// Graph500's R-MAT parameters.
    pub const GRAPH500: Model = Model::Rmat {
        a: 0.57,
        b: 0.19,
        c: 0.19,
    };
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// The model.
    pub model: Model,
    /// 2^scale node ids.
    pub scale: u32,
    /// Edges per node.
    pub edge_factor: u64,
    /// Seed of the whole graph.
    pub seed: u64,
    /// Write URLs on synthetic hosts instead of integers.
    pub urls: bool,
}

/// The SplitMix64 generator.
#[derive(Clone, Copy, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A seeded bijection of `[0, 2^scale)`: odd multiplications, additions and xor-shifts, each
/// invertible modulo 2^scale.
#[derive(Clone, Copy, Debug)]
pub struct Scramble {
    mask: u64,
    shift: u32,
    multipliers: [u64; 2],
    offsets: [u64; 2],
}

impl Scramble {
    /// The bijection for `scale` bits and `seed`.
    pub fn new(scale: u32, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ 0x5CA3_B1E5);
        let mask = if scale >= 64 { u64::MAX } else { (1u64 << scale) - 1 };
        Scramble {
            mask,
            shift: (scale / 2).max(1),
            multipliers: [rng.next_u64() | 1, rng.next_u64() | 1],
            offsets: [rng.next_u64(), rng.next_u64()],
        }
    }

    /// The image of `x` (which must be below 2^scale).
    #[inline]
    pub fn apply(&self, mut x: u64) -> u64 {
        for round in 0..2 {
            x = x
                .wrapping_mul(self.multipliers[round])
                .wrapping_add(self.offsets[round])
                & self.mask;
            x ^= x >> self.shift;
        }
        x
    }
}

/// Writes the edges of chunk `chunk` as text into `out`.
fn chunk_text(options: &GenerateOptions, scramble: &Scramble, chunk: u64, edges: u64, out: &mut Vec<u8>) {
    let mut rng = SplitMix64::new(options.seed.wrapping_mul(0x100_0000_01B3) ^ chunk.wrapping_mul(0x9E37_79B9));
    let nodes_mask = scramble.mask;
    let hosts = ((nodes_mask + 1) / 64).max(1);
    let mut number = itoa::Buffer::new();
    let mut write_id = |out: &mut Vec<u8>, v: u64| {
        if options.urls {
            out.extend_from_slice(b"https://site");
            out.extend_from_slice(number.format(v % hosts).as_bytes());
            out.extend_from_slice(b".example.com/page/");
            out.extend_from_slice(number.format(v / hosts).as_bytes());
        } else {
            out.extend_from_slice(number.format(v).as_bytes());
        }
    };
    // Quadrant thresholds in 32-bit fixed point.
    let (ta, tab, tabc) = match options.model {
        Model::Rmat { a, b, c } => {
            let t = |p: f64| (p * 4_294_967_296.0) as u64;
            (t(a), t(a + b), t(a + b + c))
        }
        Model::Uniform => (0, 0, 0),
    };
    for _ in 0..edges {
        let (mut s, mut t) = (0u64, 0u64);
        match options.model {
            Model::Uniform => {
                s = rng.next_u64() & nodes_mask;
                t = rng.next_u64() & nodes_mask;
            }
            Model::Rmat { .. } => {
                let mut bits = 0u64;
                for level in 0..options.scale {
                    if level % 2 == 0 {
                        bits = rng.next_u64();
                    }
                    let r = bits & 0xFFFF_FFFF;
                    bits >>= 32;
                    let (down, right) = if r < ta {
                        (0, 0)
                    } else if r < tab {
                        (0, 1)
                    } else if r < tabc {
                        (1, 0)
                    } else {
                        (1, 1)
                    };
                    s = (s << 1) | down;
                    t = (t << 1) | right;
                }
            }
        }
        write_id(out, scramble.apply(s));
        out.push(b'\t');
        write_id(out, scramble.apply(t));
        out.push(b'\n');
    }
}

/// How the output is compressed, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Plain,
    Gzip,
    Zstd,
}

/// Counts of what was written.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Generated {
    /// Node id space (2^scale).
    pub nodes: u64,
    /// Edge lines written.
    pub edges: u64,
    /// Bytes written (compressed size when compressed).
    pub bytes: u64,
}

/// Generates the graph into `path` (`-` for standard output), calling `on_chunk` with the
/// number of edges written so far.
pub fn generate(options: &GenerateOptions, path: &Path, on_chunk: &mut dyn FnMut(u64, u64)) -> Result<Generated> {
    if options.scale == 0 || options.scale > 40 {
        return Err(Error::parameter(
            "scale",
            format!("must be between 1 and 40, not {}", options.scale),
        ));
    }
    if options.edge_factor == 0 {
        return Err(Error::parameter("edge_factor", "must be at least 1"));
    }
    if let Model::Rmat { a, b, c } = options.model
        && !(a >= 0.0 && b >= 0.0 && c >= 0.0 && a + b + c <= 1.0)
    {
        return Err(Error::Config(
            "R-MAT probabilities must be >= 0 and sum to at most 1".to_string(),
        ));
    }
    let name = path.display().to_string();
    let framing = if name.ends_with(".gz") {
        Framing::Gzip
    } else if name.ends_with(".zst") {
        Framing::Zstd
    } else {
        Framing::Plain
    };
    let io = |e: io::Error| Error::io(path, e);
    let stdout = name == "-";
    let partial = path.with_file_name(format!(
        ".{}.partial-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut out: Box<dyn Write> = if stdout {
        Box::new(io::stdout().lock())
    } else {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        Box::new(BufWriter::with_capacity(1 << 20, File::create(&partial).map_err(io)?))
    };
    let nodes = 1u64 << options.scale;
    let edges = nodes * options.edge_factor;
    let chunks = edges.div_ceil(CHUNK_EDGES);
    let scramble = Scramble::new(options.scale, options.seed);
    let batch = (rayon::current_num_threads() as u64 * 2).max(2);
    let mut written = Generated { nodes, edges, bytes: 0 };
    let mut done = 0;
    let result = (|| -> io::Result<()> {
        for first in (0..chunks).step_by(batch as usize) {
            let last = (first + batch).min(chunks);
            let blocks: Vec<io::Result<Vec<u8>>> = (first..last)
                .into_par_iter()
                .map(|chunk| {
                    let count = CHUNK_EDGES.min(edges - chunk * CHUNK_EDGES);
                    let mut text = Vec::with_capacity(count as usize * if options.urls { 80 } else { 20 });
                    chunk_text(options, &scramble, chunk, count, &mut text);
                    match framing {
                        Framing::Plain => Ok(text),
                        Framing::Gzip => {
                            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                            e.write_all(&text)?;
                            e.finish()
                        }
                        Framing::Zstd => zstd::stream::encode_all(&text[..], 3),
                    }
                })
                .collect();
            for block in blocks {
                let block = block?;
                out.write_all(&block)?;
                written.bytes += block.len() as u64;
            }
            done = (last * CHUNK_EDGES).min(edges);
            on_chunk(done, edges);
        }
        out.flush()
    })();
    drop(out);
    match result {
        Ok(()) if stdout => Ok(written),
        Ok(()) => {
            std::fs::rename(&partial, path).map_err(io)?;
            Ok(written)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(Generated { edges: done, ..written });
            }
            Err(io(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scramble_is_a_bijection() {
        for scale in [1, 3, 8, 12] {
            let s = Scramble::new(scale, 42);
            let mut seen: Vec<u64> = (0..1u64 << scale).map(|x| s.apply(x)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..1u64 << scale).collect::<Vec<_>>(), "scale {scale}");
        }
    }

    fn text(options: &GenerateOptions) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.tsv");
        let out = generate(options, &path, &mut |_, _| {}).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count() as u64, out.edges);
        text
    }

    #[test]
    fn rmat_is_deterministic_skewed_and_thread_independent() {
        let options = GenerateOptions {
            model: Model::GRAPH500,
            scale: 12,
            edge_factor: 16,
            seed: 1,
            urls: false,
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| text(&options));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| text(&options));
        assert_eq!(one, four);
        let other_seed = text(&GenerateOptions {
            seed: 2,
            ..options.clone()
        });
        assert_ne!(one, other_seed);
        // Skew: the most frequent target gets far more than the average of 16 edges.
        let mut counts = std::collections::HashMap::new();
        for line in one.lines() {
            let (_, t) = line.split_once('\t').unwrap();
            let t: u64 = t.parse().unwrap();
            assert!(t < 4096);
            *counts.entry(t).or_insert(0) += 1;
        }
        assert!(*counts.values().max().unwrap() > 16 * 20, "R-MAT is skewed");
        let uniform = text(&GenerateOptions {
            model: Model::Uniform,
            ..options
        });
        let mut counts = std::collections::HashMap::new();
        for line in uniform.lines() {
            *counts.entry(line.split_once('\t').unwrap().1.to_string()).or_insert(0) += 1;
        }
        assert!(*counts.values().max().unwrap() < 16 * 4, "uniform is not skewed");
    }

    #[test]
    fn compressed_output_decodes_to_the_same_text() {
        let options = GenerateOptions {
            model: Model::GRAPH500,
            scale: 17, // 2 Mi edges: more than one chunk, so several gzip members
            edge_factor: 16,
            seed: 9,
            urls: true,
        };
        let plain = text(&options);
        assert!(plain.starts_with("https://site"));
        let dir = tempfile::tempdir().unwrap();
        for name in ["g.tsv.gz", "g.tsv.zst"] {
            let path = dir.path().join(name);
            generate(&options, &path, &mut |_, _| {}).unwrap();
            let (_, mut reader) = crate::input::compression::decode(File::open(&path).unwrap()).unwrap();
            let mut decoded = String::new();
            std::io::Read::read_to_string(&mut reader, &mut decoded).unwrap();
            assert!(decoded == plain, "{name} decodes to the plain text");
        }
    }
}
