//! LAW WebGraph BVGraph input: `BASE.graph` (the compressed successor lists) described by
//! `BASE.properties`, decoded with the [`webgraph`](https://crates.io/crates/webgraph) crate
//! straight into the edge sink, without going through text.
//!
//! A BVGraph is named by its basename (`cnr-2000`), its `.graph` or `.properties` file, or a
//! folder holding it ([`gather`] turns a folder's or a pattern's files into one
//! [`InputFile::BvGraph`] and drops the graph's other files: `.offsets`, `.ef`...). Its nodes
//! are the integers `0..nodes` of the format, isolated nodes included: the reader declares
//! them all to the sink ([`EdgeSink::integer_nodes`]), so with integer ids the dense numbering
//! is the identity and the results speak the BVGraph's node numbers.
//!
//! Decoding is sequential: the successor lists are read in one pass over the `.graph`
//! bitstream, which needs neither the Java `.offsets` nor the Rust `.ef`. (Decoding in
//! parallel needs the offsets as an Elias–Fano list, `BASE.ef`, which Java/LAW
//! distributions do not ship; building it is itself one sequential pass over `.offsets`.)
//!
//! A corrupt or truncated file is an error naming it, never a panic or an abort: the
//! decoder is wrapped in [`Guarded`], which bounds every count the bitstream gives before
//! the crate allocates for it (an out-degree beyond the arcs left, intervals or copied
//! blocks beyond the out-degree), the crate's own panics (a read past the end) are caught,
//! every successor must be below `nodes`, and the arcs read must be the `arcs` of
//! `.properties`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{EdgeSink, InputFile};
use crate::error::{Error, Result};

/// The extensions of a BVGraph's files: a folder's files with these extensions and the
/// graph's basename belong to the graph and are not read on their own.
pub(crate) const PARTS: &[&str] = &["graph", "properties", "offsets", "ef", "obl", "dcf", "ids"];

/// `base` with `.extension` appended (a basename may hold dots of its own).
pub(crate) fn part(base: &Path, extension: &str) -> PathBuf {
    let mut name = OsString::from(base.as_os_str());
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Whether `base.graph` and `base.properties` are both files.
pub(crate) fn is_basename(base: &Path) -> bool {
    part(base, "graph").is_file() && part(base, "properties").is_file()
}

/// The basename of `path` when it is the `.graph` or `.properties` file of a BVGraph whose
/// other file is beside it.
pub(crate) fn basename_of(path: &Path) -> Option<PathBuf> {
    let extension = path.extension()?;
    if extension != "graph" && extension != "properties" {
        return None;
    }
    let base = path.with_extension("");
    is_basename(&base).then_some(base)
}

/// Turns the files of a folder or a pattern into inputs: a BVGraph among them (a `.graph`
/// with its `.properties`) becomes one [`InputFile::BvGraph`] where its `.graph` was, and its
/// other files are dropped; every other file stays [`InputFile::Listed`]. More than one
/// BVGraph is an error: their node numbers would share one id space.
pub(crate) fn gather(place: &str, paths: Vec<PathBuf>) -> Result<Vec<InputFile>> {
    let bases: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "graph"))
        .filter_map(|p| basename_of(p))
        .collect();
    if bases.len() > 1 {
        let names: Vec<String> = bases.iter().map(|b| b.display().to_string()).collect();
        return Err(Error::Input(format!(
            "{place}: holds {} BVGraphs ({}); their node numbers would be one id space: name the one to rank by its basename",
            bases.len(),
            names.join(", ")
        )));
    }
    let belongs = |p: &Path| {
        bases
            .iter()
            .any(|base| p.extension().is_some_and(|e| PARTS.iter().any(|x| e == *x)) && p.with_extension("") == *base)
    };
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        if !belongs(&path) {
            files.push(InputFile::Listed(path));
        } else if path.extension().is_some_and(|e| e == "graph") {
            files.push(InputFile::BvGraph {
                basename: path.with_extension(""),
                listed: true,
            });
        }
    }
    Ok(files)
}

/// What `.properties` says about a graph, as far as reading it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Properties {
    /// Nodes, numbered `0..nodes`.
    pub nodes: u64,
    /// Arcs: what the successor lists must add up to.
    pub arcs: u64,
    /// Whether the bitstream is little-endian (`endianness=little`, written by the Rust
    /// crate on request); big-endian, as Java writes it, otherwise.
    pub little_endian: bool,
}

impl Properties {
    /// Reads and checks `path` (a Java properties file: `key=value`, `key: value` or `key
    /// value` lines, `#` and `!` comments).
    pub(crate) fn read(path: &Path) -> Result<Properties> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Properties::parse(&bytes)
            .map_err(|why| Error::Input(format!("{}: not the properties of a BVGraph: {why}", path.display())))
    }

    fn parse(bytes: &[u8]) -> std::result::Result<Properties, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not text (not UTF-8)".to_string())?;
        let mut values = std::collections::HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', '!']) {
                continue;
            }
            let cut = line.find(['=', ':', ' ', '\t']).unwrap_or(line.len());
            let value = line[cut..].trim_start_matches([' ', '\t']);
            let value = value.strip_prefix(['=', ':']).unwrap_or(value).trim();
            values.insert(&line[..cut], value);
        }
        let number = |key: &str| -> std::result::Result<u64, String> {
            let value = values.get(key).ok_or_else(|| format!("it has no `{key}`"))?;
            value
                .parse()
                .map_err(|_| format!("`{key}={value}` is not a non-negative integer"))
        };
        if let Some(class) = values.get("graphclass")
            && !class.ends_with("BVGraph")
            && !class.ends_with("BvGraph")
        {
            return Err(format!(
                "its graphclass is {class}; only BVGraph files are read (not {class})"
            ));
        }
        let nodes = number("nodes")?;
        let arcs = number("arcs")?;
        if nodes >= u64::from(u32::MAX) {
            return Err(format!(
                "it has {nodes} nodes; crawlrank numbers nodes with 32 bits (fewer than {})",
                u32::MAX
            ));
        }
        let little_endian = match values.get("endianness").copied() {
            None | Some("big") => false,
            Some("little") => true,
            Some(other) => return Err(format!("`endianness={other}` is neither big nor little")),
        };
        Ok(Properties {
            nodes,
            arcs,
            little_endian,
        })
    }
}

/// Reads the BVGraph `base` into `sink`: declares its nodes `0..nodes`, then hands its arcs
/// over in batches of packed ids. `on_progress(bytes, arcs)` is called after each batch with
/// the share of `.graph` decoded so far (nodes done × file size) and the arcs read. Returns
/// the arcs read.
///
/// `--weighted` is refused (a BVGraph's arcs carry no weights), and so are string ids (its
/// nodes are integers); the text options (`--sep`, `--header`, `--skip-bad-lines`) describe
/// text and do not apply.
pub(crate) fn read<S: EdgeSink>(
    base: &Path,
    weighted: bool,
    sink: &mut S,
    on_progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let name = base.display();
    if weighted {
        return Err(Error::Input(format!(
            "{name}: a BVGraph's arcs carry no weights; --weighted does not apply to it"
        )));
    }
    if sink.integer_batches().is_none() {
        return Err(Error::Input(format!(
            "{name}: a BVGraph's nodes are the integers 0..n; --ids string does not apply to it (use --ids auto or int)"
        )));
    }
    let properties_path = part(base, "properties");
    let graph_path = part(base, "graph");
    let properties = Properties::read(&properties_path)?;
    let graph_bytes = std::fs::metadata(&graph_path)
        .map_err(|e| Error::io(&graph_path, e))?
        .len();
    if properties.arcs == 0 {
        return Err(Error::Input(format!(
            "{}: the graph has no arcs (arcs=0); there is nothing to rank",
            properties_path.display()
        )));
    }
    sink.integer_nodes(properties.nodes);
    decode::read(
        &graph_path,
        &properties_path,
        &properties,
        graph_bytes,
        sink,
        on_progress,
    )
}

#[cfg(not(feature = "bvgraph"))]
mod decode {
    use super::*;

    pub(super) fn read<S: EdgeSink>(
        graph_path: &Path,
        _: &Path,
        _: &Properties,
        _: u64,
        _: &mut S,
        _: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        Err(Error::Input(format!(
            "{}: this crawlrank was built without the `bvgraph` feature, which reads BVGraphs",
            graph_path.display()
        )))
    }
}

#[cfg(feature = "bvgraph")]
mod decode {
    use std::cell::Cell;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Once;

    use dsi_bitstream::traits::{BE, LE};
    use webgraph::graphs::bvgraph::{
        BvGraphSeq, CompFlags, Decode, SequentialDecoderFactory, parse_properties, sequential::NodeLabels,
    };

    use super::*;
    use crate::input::text::IntegerBatch;

    /// Arcs handed to the sink at a time.
    const BATCH: usize = 1 << 20;

    /// The error for a BVGraph file that cannot be read as one.
    fn corrupt(file: &Path, why: String) -> Error {
        Error::Input(format!("{}: {why}", file.display()))
    }

    pub(super) fn read<S: EdgeSink>(
        graph_path: &Path,
        properties_path: &Path,
        properties: &Properties,
        graph_bytes: u64,
        sink: &mut S,
        on_progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        // The crate's loader derives the other file names from this one by replacing its
        // extension, so it is given the `.graph` path: a basename with dots stays whole.
        macro_rules! decode_as {
            ($endianness:ty) => {{
                let (_, _, flags) = parse_properties::<$endianness>(properties_path).map_err(|e| {
                    corrupt(
                        properties_path,
                        format!("cannot read the compression flags: {e:#}"),
                    )
                })?;
                let load = || {
                    BvGraphSeq::with_basename(graph_path)
                        .endianness::<$endianness>()
                        .load()
                };
                decode_lists(
                    load,
                    &flags,
                    graph_path,
                    properties_path,
                    properties,
                    graph_bytes,
                    sink,
                    on_progress,
                )
            }};
        }
        if properties.little_endian {
            decode_as!(LE)
        } else {
            decode_as!(BE)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn decode_lists<F: SequentialDecoderFactory, S: EdgeSink, Failure: std::fmt::Display>(
        load: impl FnOnce() -> std::result::Result<BvGraphSeq<F>, Failure>,
        flags: &CompFlags,
        graph_path: &Path,
        properties_path: &Path,
        properties: &Properties,
        graph_bytes: u64,
        sink: &mut S,
        on_progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let nodes = properties.nodes;
        let arcs = properties.arcs;
        quiet_panics();
        let outcome = catch_unwind(AssertUnwindSafe(|| -> std::result::Result<u64, String> {
            let _quiet = Quiet::new();
            let graph = load().map_err(|e| format!("cannot open it as a BVGraph: {e:#}"))?;
            let factory = graph.into_inner();
            let decoder = factory.new_decoder().map_err(|e| format!("cannot decode it: {e:#}"))?;
            let guarded = Guarded::new(decoder, flags, arcs, nodes);
            let mut lists = NodeLabels::new(
                guarded,
                nodes as usize,
                flags.compression_window,
                flags.min_interval_length,
            );
            let mut batch: Vec<u64> = Vec::with_capacity(BATCH.min(arcs as usize) + 1);
            let mut read = 0u64;
            let report = |node: u64, read: u64, on_progress: &mut dyn FnMut(u64, u64)| {
                let share = (u128::from(graph_bytes) * u128::from(node) / u128::from(nodes.max(1))) as u64;
                on_progress(share, read);
            };
            for node in 0..nodes {
                let successors = lists
                    .next_successors()
                    .map_err(|e| format!("corrupt at node {node}: {e:#}"))?;
                for &target in successors {
                    if target as u64 >= nodes {
                        return Err(format!(
                            "corrupt: node {node} has successor {target}, but the graph has {nodes} nodes"
                        ));
                    }
                    batch.push((node << 32) | target as u64);
                }
                read += successors.len() as u64;
                if batch.len() >= BATCH {
                    sink.integer_edges(IntegerBatch::Packed(&batch), &[]);
                    batch.clear();
                    report(node + 1, read, on_progress);
                }
            }
            sink.integer_edges(IntegerBatch::Packed(&batch), &[]);
            report(nodes, read, on_progress);
            Ok(read)
        }));
        let read = match outcome {
            Ok(Ok(read)) => read,
            Ok(Err(why)) => return Err(corrupt(graph_path, why)),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("the decoder failed");
                return Err(corrupt(
                    graph_path,
                    format!("corrupt or truncated BVGraph bitstream ({what})"),
                ));
            }
        };
        if read != arcs {
            return Err(corrupt(
                graph_path,
                format!(
                    "truncated or corrupt: its successor lists hold {read} arcs, but {} says arcs={arcs}",
                    properties_path.display()
                ),
            ));
        }
        Ok(read)
    }

    thread_local! {
        /// Set while this thread decodes a bitstream whose panics are caught and reported as
        /// errors.
        static DECODING: Cell<bool> = const { Cell::new(false) };
    }

    /// Marks this thread as decoding until dropped.
    struct Quiet;

    impl Quiet {
        fn new() -> Quiet {
            DECODING.with(|d| d.set(true));
            Quiet
        }
    }

    impl Drop for Quiet {
        fn drop(&mut self) {
            DECODING.with(|d| d.set(false));
        }
    }

    /// Installs, once, a panic hook that stays silent for the panics of a decoding thread
    /// (they are caught and become an error naming the file) and hands every other panic to
    /// the hook that was there before.
    fn quiet_panics() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !DECODING.with(Cell::get) {
                    previous(info);
                }
            }));
        });
    }

    /// A decoder that checks every count the bitstream gives before the crate's decoder acts
    /// on it: the crate reserves room for an out-degree and fills intervals and copied
    /// blocks without bounds, so a corrupt count would otherwise allocate without limit (an
    /// abort, not a panic). A count out of bounds panics here, inside `catch_unwind`.
    struct Guarded<D> {
        inner: D,
        /// Arcs `.properties` announces but not yet given out-degrees.
        arcs_left: u64,
        nodes: u64,
        min_interval_length: u64,
        /// The out-degrees of the last `window + 1` nodes, by node modulo their count.
        recent: Vec<u64>,
        /// The node being decoded (its out-degree was read last).
        node: u64,
        degree: u64,
        /// Successors of the node accounted for by copies and intervals.
        filled: u64,
        /// The copy from the reference: its out-degree, blocks left to read, the position
        /// in its list, and the index of the next block.
        reference_degree: u64,
        blocks_left: u64,
        position: u64,
        block_index: u64,
    }

    impl<D: Decode> Guarded<D> {
        fn new(inner: D, flags: &CompFlags, arcs: u64, nodes: u64) -> Self {
            Guarded {
                inner,
                arcs_left: arcs,
                nodes,
                min_interval_length: flags.min_interval_length as u64,
                recent: vec![0; flags.compression_window + 1],
                node: u64::MAX,
                degree: 0,
                filled: 0,
                reference_degree: 0,
                blocks_left: 0,
                position: 0,
                block_index: 0,
            }
        }

        fn fill(&mut self, count: u64) {
            self.filled = self.filled.saturating_add(count);
            if self.filled > self.degree {
                panic!(
                    "node {} lists more successors than its out-degree {}",
                    self.node, self.degree
                );
            }
        }

        fn copy_block(&mut self, length: u64, copied: bool) {
            self.position = self.position.saturating_add(length);
            if self.position > self.reference_degree {
                panic!("node {} copies beyond its reference's successors", self.node);
            }
            if copied {
                self.fill(length);
            }
            self.block_index += 1;
            self.blocks_left -= 1;
            if self.blocks_left == 0 && self.block_index.is_multiple_of(2) {
                // An even count of blocks: the rest of the reference's list is copied too.
                self.fill(self.reference_degree - self.position);
            }
        }
    }

    impl<D: Decode> Decode for Guarded<D> {
        fn read_outdegree(&mut self) -> u64 {
            let degree = self.inner.read_outdegree();
            self.node = self.node.wrapping_add(1);
            if degree > self.arcs_left || degree > self.nodes {
                panic!(
                    "node {} has out-degree {degree}, more than the arcs left ({}) or the nodes",
                    self.node, self.arcs_left
                );
            }
            self.arcs_left -= degree;
            self.degree = degree;
            self.filled = 0;
            let slots = self.recent.len() as u64;
            self.recent[(self.node % slots) as usize] = degree;
            degree
        }

        fn read_reference_offset(&mut self) -> u64 {
            let offset = self.inner.read_reference_offset();
            let slots = self.recent.len() as u64;
            if offset >= slots || offset > self.node {
                panic!("node {} refers {offset} nodes back, outside the window", self.node);
            }
            self.reference_degree = self.recent[((self.node - offset) % slots) as usize];
            self.position = 0;
            self.block_index = 0;
            offset
        }

        fn read_block_count(&mut self) -> u64 {
            let count = self.inner.read_block_count();
            if count > self.reference_degree.saturating_add(1) {
                panic!("node {} has {count} copy blocks", self.node);
            }
            self.blocks_left = count;
            if count == 0 {
                self.fill(self.reference_degree);
            }
            count
        }

        fn read_block(&mut self) -> u64 {
            let block = self.inner.read_block();
            if self.blocks_left == 0 {
                panic!("node {} reads more copy blocks than it has", self.node);
            }
            // The first block may be empty; the others are stored less one.
            let (length, copied) = if self.block_index == 0 {
                (block, true)
            } else {
                (block.saturating_add(1), self.block_index.is_multiple_of(2))
            };
            self.copy_block(length, copied);
            block
        }

        fn read_interval_count(&mut self) -> u64 {
            self.inner.read_interval_count()
        }

        fn read_interval_start(&mut self) -> u64 {
            self.inner.read_interval_start()
        }

        fn read_interval_len(&mut self) -> u64 {
            let length = self.inner.read_interval_len();
            self.fill(length.saturating_add(self.min_interval_length));
            length
        }

        fn read_first_residual(&mut self) -> u64 {
            self.inner.read_first_residual()
        }

        fn read_residual(&mut self) -> u64 {
            self.inner.read_residual()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_of_the_java_format_are_read_and_garbage_is_named() {
        let p = Properties::parse(
            b"#BVGraph properties\nnodes=6\narcs = 7\ngraphclass=it.unimi.dsi.webgraph.BVGraph\nversion=0\n",
        )
        .unwrap();
        assert_eq!(
            p,
            Properties {
                nodes: 6,
                arcs: 7,
                little_endian: false
            }
        );
        assert!(
            Properties::parse(b"nodes: 1\narcs 2\nendianness=little\n")
                .unwrap()
                .little_endian
        );
        let missing = Properties::parse(b"hello world\n").unwrap_err();
        assert!(missing.contains("no `nodes`"), "{missing}");
        let bad = Properties::parse(b"nodes=x\narcs=1\n").unwrap_err();
        assert!(bad.contains("`nodes=x`"), "{bad}");
        assert!(Properties::parse(b"\xff\xfe\x00").unwrap_err().contains("not text"));
        let other =
            Properties::parse(b"nodes=1\narcs=1\ngraphclass=it.unimi.dsi.webgraph.ArcListASCIIGraph\n").unwrap_err();
        assert!(other.contains("only BVGraph"), "{other}");
    }

    #[test]
    fn a_folder_holding_a_bvgraph_is_that_graph_and_its_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["g.graph", "g.properties", "g.offsets", "g.ef", "notes.tsv", "x.offsets"] {
            std::fs::write(d.join(name), "").unwrap();
        }
        let paths = ["g.ef", "g.graph", "g.offsets", "g.properties", "notes.tsv", "x.offsets"]
            .iter()
            .map(|n| d.join(n))
            .collect();
        let files = gather("d", paths).unwrap();
        assert_eq!(
            files,
            vec![
                InputFile::BvGraph {
                    basename: d.join("g"),
                    listed: true
                },
                InputFile::Listed(d.join("notes.tsv")),
                InputFile::Listed(d.join("x.offsets")),
            ]
        );
        assert_eq!(basename_of(&d.join("g.properties")), Some(d.join("g")));
        assert_eq!(basename_of(&d.join("g.offsets")), None);
        std::fs::write(d.join("h.graph"), "").unwrap();
        std::fs::write(d.join("h.properties"), "").unwrap();
        let two = gather("d", vec![d.join("g.graph"), d.join("h.graph")]).unwrap_err();
        assert!(two.to_string().contains("holds 2 BVGraphs"), "{two}");
    }
}
