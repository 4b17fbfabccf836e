//! Property-based tests of the input reader and the ranks it leads to, through the public
//! library API (`Graph::builder().read(...)`, `PageRank`), on generated files.
//!
//! 1. Structured edge lists in a random layout (separator, quoting, comments, blank lines,
//!    CRLF, BOM, header, weights, compression, file name) read back the graph they encode,
//!    with the separator and header detected, and rank like a naive power iteration.
//! 2. Arbitrary bytes, and mutations of valid files (plain or compressed), never panic or
//!    hang: the result is a graph whose ranks are a distribution, or an error naming the file
//!    (and, for a parse error, a line and a short quote).
//! 3. A truncated compressed file is an error that says after which line, never a shorter
//!    graph.
//!
//! Each property runs 64 cases unless `PROPTEST_CASES` says otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crawlrank::algo::PageRank;
use crawlrank::error::{Error, QUOTE_LIMIT};
use crawlrank::graph::{Graph, Node};
use crawlrank::input::Separator;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// Whether known misreadings fail the tests (`FUZZ_STRICT=1`) instead of being counted.
fn strict() -> bool {
    std::env::var_os("FUZZ_STRICT").is_some()
}

/// A read that takes longer than this is a hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `f` on a thread of its own; a panic or a run past [`DEADLINE`] fails the test.
fn guarded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(value) => {
            let _ = handle.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {DEADLINE:?} (a hang)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let panic = handle.join().err().map(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            });
            panic!("{what}: the library panicked: {panic:?}")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Generation: graphs and layouts.
// ---------------------------------------------------------------------------------------

/// Pieces node ids are made of: digits, URL parts, words, non-ASCII text, and every byte that
/// matters to the reader (separators, quotes, comment marks, a line break).
const PIECES: &[&str] = &[
    "0",
    "1",
    "7",
    "42",
    "http://",
    "https://",
    "www.",
    "example.org",
    "/",
    "?q=",
    "&",
    "=",
    "a",
    "b",
    "x",
    "NA",
    "page",
    "node",
    "é",
    "日本",
    "ß",
    "—",
    "ü",
    ".",
    "-",
    "_",
    ",",
    " ",
    "\"",
    "\t",
    ";",
    "#",
    "%",
    "'",
    "\\",
    "\n",
    "1.5",
    "e3",
    "+",
];

/// A raw node id (made to fit a layout later, in [`Case::prepare`]).
fn raw_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u64..60).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => Just("18446744073709551616".to_string()),
        6 => prop::collection::vec(prop::sample::select(PIECES), 1..6).prop_map(|p| p.concat()),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compress {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl Compress {
    fn extension(self) -> &'static str {
        match self {
            Compress::None => "",
            Compress::Gzip => ".gz",
            Compress::Zstd => ".zst",
            Compress::Bzip2 => ".bz2",
        }
    }

    /// Bytes of the magic number the reader recognises.
    fn magic_len(self) -> usize {
        match self {
            Compress::None => 0,
            Compress::Gzip => 2,
            Compress::Zstd => 4,
            Compress::Bzip2 => 3,
        }
    }
}

fn compress_one(kind: Compress, data: &[u8]) -> Vec<u8> {
    match kind {
        Compress::None => data.to_vec(),
        Compress::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Compress::Zstd => zstd::stream::encode_all(data, 1).unwrap(),
        Compress::Bzip2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    }
}

/// `data` compressed; split into two members (frames, streams) at `split` when given, as
/// `cat a.gz b.gz` makes.
fn compress(kind: Compress, data: &[u8], split: Option<usize>) -> Vec<u8> {
    match split {
        Some(at) if kind != Compress::None => {
            let at = at.min(data.len());
            let mut out = compress_one(kind, &data[..at]);
            out.extend(compress_one(kind, &data[at..]));
            out
        }
        _ => compress_one(kind, data),
    }
}

/// How a file is written.
#[derive(Clone, Debug)]
struct Layout {
    separator: Separator,
    /// 0: LF, 1: CRLF, 2: each line either.
    endings: u8,
    bom: bool,
    header: bool,
    weights: bool,
    /// Read with `.weighted(true)` (when the file has weights).
    read_weighted: bool,
    compression: Compress,
    /// Compress as two members, cut at this fraction (per mille) of the text.
    split: Option<u16>,
    /// Which name: 0 the separator's extension, 1 `.txt`, 2 no extension, 3 upper case.
    name: u8,
    /// Comment and blank lines: before a record, with odds 1 in `comments + 1` (0: none).
    comments: u8,
    /// Blanks around fields.
    padding: bool,
    /// Quote fields that need no quotes, now and then.
    extra_quotes: bool,
    trailing_newline: bool,
    /// Drives the per-line and per-field choices.
    seed: u64,
}

fn separator() -> impl Strategy<Value = Separator> {
    prop::sample::select(vec![
        Separator::Tab,
        Separator::Comma,
        Separator::Semicolon,
        Separator::Space,
    ])
}

fn compression() -> impl Strategy<Value = Compress> {
    prop_oneof![
        4 => Just(Compress::None),
        1 => Just(Compress::Gzip),
        1 => Just(Compress::Zstd),
        1 => Just(Compress::Bzip2),
    ]
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        (
            separator(),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (compression(), prop::option::weighted(0.3, 0u16..=1000), 0u8..4, 0u8..6),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |(
                (separator, endings, bom, header, weights, read_weighted),
                (compression, split, name, comments),
                (padding, extra_quotes, trailing_newline, seed),
            )| Layout {
                separator,
                endings,
                bom,
                header,
                weights,
                read_weighted,
                compression,
                split,
                name,
                comments,
                padding,
                extra_quotes,
                trailing_newline,
                seed,
            },
        )
}

/// A generated graph and how to write it.
#[derive(Clone, Debug)]
struct Case {
    ids: Vec<String>,
    /// Source and target as indices into `ids` (taken modulo its length), weight in quarters.
    edges: Vec<(usize, usize, u8)>,
    layout: Layout,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(raw_id(), 1..=40),
        prop::collection::vec((0usize..40, 0usize..40, 0u8..=40), 0..=120),
        layout(),
    )
        .prop_map(|(ids, edges, layout)| Case { ids, edges, layout })
}

/// The graph a case encodes: node ids as the reader must give them back, and the edge lines
/// in file order.
#[derive(Clone, Debug)]
struct Encoded {
    /// Edge records, in order: source, target, weight.
    edges: Vec<(String, String, f64)>,
}

/// A tiny deterministic generator for the per-line choices of a layout.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        n > 0 && self.next().is_multiple_of(n)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Makes a raw id one the layout can carry and the reader gives back as written: no blanks
/// around it (they are trimmed from unquoted fields, and ids are quoted only now and then), integers in canonical form (`007` is 7),
/// and, with blank separators (no quoting), no blanks, quotes, line breaks or comment marks.
fn fit_id(raw: &str, separator: Separator) -> String {
    let mut id = raw.to_string();
    if separator == Separator::Space {
        id = id.replace([' ', '\t', '"', '\n'], "_");
        id = id.trim_start_matches(['#', '%']).to_string();
    }
    let mut id = id.trim_ascii().to_string();
    if id.is_empty() {
        id = "z".to_string();
    }
    if is_digits(&id)
        && let Ok(n) = id.parse::<u64>()
    {
        id = n.to_string();
    }
    id
}

/// Header names the reader recognises (for the check that a file written without a header
/// does not start with a record that reads as one).
use crawlrank::input::HEADER_NAMES as HEADER_WORDS;

impl Case {
    /// The edges this case encodes, with ids fitted to its layout.
    fn prepare(&self) -> Encoded {
        let mut ids: Vec<String> = Vec::new();
        for raw in &self.ids {
            let id = fit_id(raw, self.layout.separator);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let edges = self
            .edges
            .iter()
            .map(|&(s, t, w)| (ids[s % ids.len()].clone(), ids[t % ids.len()].clone(), w as f64 / 4.0))
            .collect();
        Encoded { edges }
    }

    /// Whether the reader's header rule may take this file's first record for a header
    /// though none was written: header names, or words above integer or URL ids.
    fn first_record_looks_like_header(&self, encoded: &Encoded) -> bool {
        let Some((first, rest)) = encoded.edges.split_first() else {
            return false;
        };
        let named = |s: &str| HEADER_WORDS.contains(&s.trim_start_matches('#').trim().to_ascii_lowercase().as_str());
        if named(&first.0) && named(&first.1) {
            return true;
        }
        // The reader also splits the first record's text at any separator, blank or quote and
        // takes two leading names for a header (`page,<TAB>page,.`).
        let mut words = [&first.0, &first.1]
            .into_iter()
            .flat_map(|id| id.split([' ', '\t', ',', ';', '"']))
            .filter(|w| !w.is_empty());
        if words.next().is_some_and(named) && words.next().is_some_and(named) {
            return true;
        }
        if rest.is_empty() {
            return false;
        }
        let all = |test: &dyn Fn(&str) -> bool| rest.iter().all(|e| test(&e.0) && test(&e.1));
        let url = |s: &str| s.contains("://");
        (all(&is_digits) && !is_digits(&first.0) && !is_digits(&first.1))
            || (all(&url) && !url(&first.0) && !url(&first.1))
    }

    /// Whether the file is one the reader is known to misread without `--sep` (counted, and
    /// then read with `--sep`; `FUZZ_STRICT=1` makes them failures): ids with a line break
    /// (a quoted field over several lines) that also hold a comma or semicolon. Separator
    /// detection weighs readings record by record, and the pieces and quotes of such ids can
    /// make another separator read as many records as edges as the real one, with ids that
    /// hold the real one's separator (`"0\n0,"<TAB>"0\n0,"` in a `.tsv` reads as commas).
    ///
    /// Also counted, by design rather than by mistake: a blank-separated file whose ids end
    /// in a comma or semicolon (`0,    0,   0`) reads as comma-separated, as `1, 2, 0.5`
    /// must.
    fn known_detection_gap(&self, encoded: &Encoded) -> bool {
        let by_design = self.layout.separator == Separator::Space
            && encoded
                .edges
                .iter()
                .any(|(s, t, _)| [s, t].iter().any(|id| id.ends_with([',', ';'])));
        by_design
            || encoded
                .edges
                .iter()
                .any(|(s, t, _)| [s, t].iter().any(|id| id.contains('\n') && id.contains([',', ';'])))
    }

    /// The file's text.
    fn render(&self, encoded: &Encoded) -> Vec<u8> {
        let layout = &self.layout;
        let mut rng = Rng(layout.seed);
        let mut out: Vec<u8> = Vec::new();
        if layout.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut lines: Vec<String> = Vec::new();
        let filler = |rng: &mut Rng, lines: &mut Vec<String>| {
            while layout.comments > 0 && rng.one_in(layout.comments as u64 + 1) {
                let line = rng
                    .pick(&[
                        "# a comment",
                        "% matrix market, or a comment",
                        "#source,target",
                        "  # indented; with \"quotes\", commas\tand tabs",
                        "%",
                        "",
                        "   ",
                        "\t",
                        "# 1 2",
                        "#\"open quote, never closed",
                    ])
                    .to_string();
                lines.push(line);
            }
        };
        filler(&mut rng, &mut lines);
        if layout.header {
            let names = rng.pick(&[
                ["source", "target", "weight"],
                ["src", "dst", "w"],
                ["from", "to", "value"],
                ["Source", "Target", "Weight"],
            ]);
            let count = if layout.weights { 3 } else { 2 };
            let fields: Vec<String> = names[..count].iter().map(|n| self.field(n, &mut rng, false)).collect();
            lines.push(self.join(&fields, &mut rng));
        }
        for (s, t, w) in &encoded.edges {
            filler(&mut rng, &mut lines);
            let mut fields = vec![self.field(s, &mut rng, false), self.field(t, &mut rng, false)];
            if layout.weights {
                let text = if rng.one_in(3) {
                    format!("{w:e}")
                } else {
                    format!("{w}")
                };
                fields.push(self.field(&text, &mut rng, true));
            }
            lines.push(self.join(&fields, &mut rng));
        }
        filler(&mut rng, &mut lines);
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            out.extend_from_slice(line.as_bytes());
            if i + 1 < count || layout.trailing_newline {
                let crlf = match layout.endings {
                    0 => false,
                    1 => true,
                    _ => rng.one_in(2),
                };
                out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
        out
    }

    /// One field as written: quoted when it must be (or, now and then, when it need not).
    fn field(&self, text: &str, rng: &mut Rng, weight: bool) -> String {
        let sep = self.layout.separator;
        if sep == Separator::Space {
            return text.to_string();
        }
        let byte = sep.byte() as char;
        let must = text.contains([byte, '"', '\n', '\r']) || text.starts_with(['#', '%']);
        let may = self.layout.extra_quotes && rng.one_in(if weight { 4 } else { 3 });
        if must || may {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    /// Fields joined by the separator, with blanks around them in some layouts (never before
    /// a quoted field: a quote is one only at a field's start).
    fn join(&self, fields: &[String], rng: &mut Rng) -> String {
        let layout = &self.layout;
        let mut line = String::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                match layout.separator {
                    Separator::Space => line.push_str(rng.pick(&[" ", "\t", "  ", " \t "])),
                    sep => line.push(sep.byte() as char),
                }
            }
            if layout.padding && !field.starts_with('"') && rng.one_in(3) {
                line.push_str(rng.pick(&[" ", "  "]));
            }
            line.push_str(field);
            if layout.padding && rng.one_in(3) {
                line.push_str(rng.pick(&[" ", "  "]));
            }
        }
        line
    }

    /// The file's name.
    fn file_name(&self) -> String {
        let layout = &self.layout;
        let own = match layout.separator {
            Separator::Comma => ".csv",
            Separator::Tab => {
                if layout.seed.is_multiple_of(2) {
                    ".tsv"
                } else {
                    ".tab"
                }
            }
            _ => ".txt",
        };
        let stem = match layout.name {
            0 => format!("edges{own}"),
            1 => "edges.txt".to_string(),
            2 => "edges".to_string(),
            _ => format!("EDGES{}", own.to_ascii_uppercase()),
        };
        format!("{stem}{}", layout.compression.extension())
    }

    /// Writes the file into `dir`; returns its path.
    fn write(&self, dir: &Path, encoded: &Encoded) -> PathBuf {
        let text = self.render(encoded);
        let split = self.layout.split.map(|p| text.len() * p as usize / 1000);
        let bytes = compress(self.layout.compression, &text, split);
        let path = dir.join(self.file_name());
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

// ---------------------------------------------------------------------------------------
// The reference: the graph as a set of nodes and collapsed edges, and a naive PageRank.
// ---------------------------------------------------------------------------------------

/// Nodes (in first-seen order) and distinct edges with their last weight.
struct Expected {
    nodes: Vec<String>,
    edges: BTreeMap<(usize, usize), f64>,
}

fn expected(encoded: &Encoded, weighted: bool) -> Expected {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut nodes = Vec::new();
    let mut id = |s: &String| {
        *index.entry(s.clone()).or_insert_with(|| {
            nodes.push(s.clone());
            nodes.len() - 1
        })
    };
    let mut edges = BTreeMap::new();
    for (s, t, w) in &encoded.edges {
        let (s, t) = (id(s), id(t));
        // Duplicates collapse; with weights, the last line's weight wins.
        edges.insert((s, t), if weighted { *w } else { 1.0 });
    }
    Expected { nodes, edges }
}

/// PageRank by the formula, written out: damping 0.85, uniform teleport, the rank of dangling
/// nodes (no out-edge, or out-weights summing to 0) spread uniformly, self-loops kept.
fn naive_pagerank(n: usize, edges: &BTreeMap<(usize, usize), f64>) -> Vec<f64> {
    let alpha = 0.85;
    let mut out_weight = vec![0.0; n];
    for (&(s, _), &w) in edges {
        out_weight[s] += w;
    }
    let mut x = vec![1.0 / n as f64; n];
    for _ in 0..10_000 {
        let dangling: f64 = (0..n).filter(|&v| out_weight[v] == 0.0).map(|v| x[v]).sum();
        let mut y = vec![alpha * dangling / n as f64 + (1.0 - alpha) / n as f64; n];
        for (&(s, t), &w) in edges {
            if out_weight[s] > 0.0 {
                y[t] += alpha * x[s] * w / out_weight[s];
            }
        }
        let change: f64 = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum();
        x = y;
        if change < 1e-15 {
            break;
        }
    }
    x
}

fn node_text(node: Node<'_>) -> String {
    match node {
        Node::Int(v) => v.to_string(),
        Node::Text(t) => String::from_utf8(t.to_vec()).expect("ids written as UTF-8 read back as UTF-8"),
    }
}

/// Checks a graph read from a case against the reference; returns the reason it differs.
fn check_graph(graph: &Graph, expected: &Expected, records: usize) -> Result<(), String> {
    let got: BTreeSet<String> = (0..graph.node_count() as u32)
        .map(|v| node_text(graph.node(v)))
        .collect();
    let want: BTreeSet<String> = expected.nodes.iter().cloned().collect();
    if got != want {
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        return Err(format!("node sets differ: missing {missing:?}, unexpected {extra:?}"));
    }
    let stats = graph.stats();
    let self_loops = expected.edges.keys().filter(|(s, t)| s == t).count() as u64;
    if (stats.edges, stats.edges_read, stats.self_loops) != (expected.edges.len() as u64, records as u64, self_loops) {
        return Err(format!(
            "edges kept, read, self-loops: got {:?}, want {:?}",
            (stats.edges, stats.edges_read, stats.self_loops),
            (expected.edges.len(), records, self_loops)
        ));
    }
    let n = expected.nodes.len();
    let (mut out_degree, mut in_degree) = (vec![0u32; n], vec![0u32; n]);
    for &(s, t) in expected.edges.keys() {
        out_degree[s] += 1;
        in_degree[t] += 1;
    }
    for (i, id) in expected.nodes.iter().enumerate() {
        let v = graph
            .find(id.as_str())
            .ok_or_else(|| format!("node {id:?} not found"))? as usize;
        if (graph.out_degree()[v], graph.in_degree()[v]) != (out_degree[i], in_degree[i]) {
            return Err(format!(
                "node {id:?}: out/in degree {:?}, want {:?}",
                (graph.out_degree()[v], graph.in_degree()[v]),
                (out_degree[i], in_degree[i])
            ));
        }
    }
    let all_zero = !expected.edges.is_empty() && expected.edges.values().all(|&w| w == 0.0);
    let ranking = match PageRank::new().tolerance(1e-13).max_iterations(2000).run(graph) {
        // Weights that are all zero carry no rank: an error, not a ranking.
        Err(e) if all_zero && e.to_string().contains("every edge weight is zero") => return Ok(()),
        other => other.map_err(|e| format!("PageRank failed: {e}"))?,
    };
    let reference = naive_pagerank(n, &expected.edges);
    let l1: f64 = expected
        .nodes
        .iter()
        .zip(&reference)
        .map(|(id, r)| (ranking.rank_of(id.as_str()).unwrap_or(f64::NAN) - r).abs())
        .sum();
    if l1.is_nan() || l1 >= 1e-9 {
        return Err(format!("ranks differ from the naive reference by {l1:e} in L1"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Property 1: structured edge lists.
// ---------------------------------------------------------------------------------------

static AMBIGUOUS: AtomicUsize = AtomicUsize::new(0);
static HEADER_HINTS: AtomicUsize = AtomicUsize::new(0);
static READ: AtomicUsize = AtomicUsize::new(0);
static KNOWN_GAPS: AtomicUsize = AtomicUsize::new(0);

fn read_case(
    path: &Path,
    weighted: bool,
    header: Option<bool>,
    separator: Option<Separator>,
) -> crawlrank::Result<Graph> {
    let path = path.to_path_buf();
    guarded(&format!("reading {}", path.display()), move || {
        let mut builder = Graph::builder().weighted(weighted);
        if let Some(h) = header {
            builder = builder.header(h);
        }
        if let Some(s) = separator {
            builder = builder.separator(s);
        }
        builder.read([path])
    })
}

fn structured(case: &Case) -> Result<(), TestCaseError> {
    let encoded = case.prepare();
    let layout = &case.layout;
    let weighted = layout.weights && layout.read_weighted;
    let want = expected(&encoded, weighted);
    let dir = tempfile::tempdir().unwrap();
    let path = case.write(dir.path(), &encoded);
    let text = String::from_utf8_lossy(&case.render(&encoded)).into_owned();
    // A file written without a header whose first record reads as one: say so (the rule is
    // a guess the user overrides with --header/--no-header).
    let header = (!layout.header && case.first_record_looks_like_header(&encoded)).then_some(false);
    if header.is_some() {
        HEADER_HINTS.fetch_add(1, Ordering::Relaxed);
    }
    READ.fetch_add(1, Ordering::Relaxed);
    if std::env::var_os("FUZZ_TRACE").is_some() {
        eprintln!("--- {} {:?}\n{text}", path.display(), layout);
    }
    let name = path.display().to_string();
    let judge = |result: crawlrank::Result<Graph>| -> Result<(), String> {
        let graph = match result {
            Err(e) if encoded.edges.is_empty() && e.to_string().contains(&name) => return Ok(()),
            Err(e) => return Err(e.to_string()),
            Ok(_) if encoded.edges.is_empty() => return Err("a file without edges gave a graph".to_string()),
            Ok(graph) => graph,
        };
        let report = &graph.files()[0].text;
        let read_as = format!(
            "read with separator {:?} ({:?}), header {:?}",
            report.separator, report.separator_source, report.header
        );
        check_graph(&graph, &want, encoded.edges.len()).map_err(|why| format!("{why}\n{read_as}"))?;
        if report.header.is_some() != layout.header {
            return Err(format!("header detection: {read_as}"));
        }
        Ok(())
    };
    let given = || read_case(&path, weighted, header, Some(layout.separator));
    match judge(read_case(&path, weighted, header, None)) {
        Ok(()) => Ok(()),
        Err(message) if message.contains("cannot tell the separator") => {
            AMBIGUOUS.fetch_add(1, Ordering::Relaxed);
            prop_assert!(message.contains(&name) && message.contains("--sep"), "{message}");
            // With the separator given, the file reads.
            judge(given()).map_err(|why| TestCaseError::fail(format!("with --sep: {why}\n--- file ---\n{text}")))
        }
        Err(_) if case.known_detection_gap(&encoded) && !strict() => {
            KNOWN_GAPS.fetch_add(1, Ordering::Relaxed);
            judge(given()).map_err(|why| TestCaseError::fail(format!("with --sep: {why}\n--- file ---\n{text}")))
        }
        Err(why) => Err(TestCaseError::fail(format!("{why}\n--- file ---\n{text}"))),
    }
}

/// Property 1, with a count of the files whose separator could not be told: they must be
/// rare (a fifth at most).
#[test]
fn structured_edge_lists_read_back_and_rank_like_the_reference() {
    let mut runner = proptest::test_runner::TestRunner::new(config(64));
    if let Err(e) = runner.run(&case(), |case| structured(&case)) {
        panic!("{e}");
    }
    let (ambiguous, read) = (AMBIGUOUS.load(Ordering::Relaxed), READ.load(Ordering::Relaxed));
    eprintln!(
        "structured: {read} files read, {ambiguous} with an ambiguous separator, {} first records that look like a \
         header, {} misread in a known way (FUZZ_STRICT=1 fails on them)",
        HEADER_HINTS.load(Ordering::Relaxed),
        KNOWN_GAPS.load(Ordering::Relaxed)
    );
    assert!(
        read < 50 || ambiguous * 5 <= read,
        "{ambiguous} of {read} files had an ambiguous separator"
    );
}

// ---------------------------------------------------------------------------------------
// Property 2: arbitrary bytes never panic or hang.
// ---------------------------------------------------------------------------------------

/// Bytes that matter to the reader, to make random input look like text now and then.
const BYTES: &[u8] = b"0123456789 \t,;\"\n\r#%.e-+xa\xEF\xBB\xBF\xC3\xA9\x00\x1F\x8B";

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        prop::collection::vec(prop::sample::select(BYTES), 0..2000),
    ]
}

/// A change to a valid file: flip a byte, insert one, delete a range, or truncate.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Mutation::Flip(at, x)),
        (any::<usize>(), prop::sample::select(BYTES)).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1usize..8).prop_map(|(at, n)| Mutation::Delete(at, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(data: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let len = data.len();
        match *m {
            Mutation::Flip(at, x) if len > 0 => data[at % len] ^= x,
            Mutation::Insert(at, b) => data.insert(at % (len + 1), b),
            Mutation::Delete(at, n) if len > 0 => {
                let at = at % len;
                data.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(at) => data.truncate(at % (len + 1)),
            _ => {}
        }
    }
}

/// Input for property 2: random bytes, or a valid file mutated before or after compression.
#[derive(Clone, Debug)]
enum Garbage {
    Bytes(Vec<u8>, Compress),
    Mutated(Case, Vec<Mutation>, bool),
}

fn garbage() -> impl Strategy<Value = Garbage> {
    prop_oneof![
        (bytes(), compression()).prop_map(|(b, c)| Garbage::Bytes(b, c)),
        (case(), prop::collection::vec(mutation(), 1..6), any::<bool>())
            .prop_map(|(c, m, after)| Garbage::Mutated(c, m, after)),
    ]
}

/// Read options for property 2.
fn options() -> impl Strategy<Value = (bool, Option<bool>, Option<Separator>, bool)> {
    (
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::option::of(separator()),
        any::<bool>(),
    )
}

fn garbage_case(
    garbage: &Garbage,
    (weighted, header, sep, skip): (bool, Option<bool>, Option<Separator>, bool),
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, name) = match garbage {
        Garbage::Bytes(b, c) => (compress(*c, b, None), format!("input{}", c.extension())),
        Garbage::Mutated(case, mutations, after) => {
            let encoded = case.prepare();
            let mut text = case.render(&encoded);
            if !after {
                mutate(&mut text, mutations);
            }
            let split = case.layout.split.map(|p| text.len() * p as usize / 1000);
            let mut bytes = compress(case.layout.compression, &text, split);
            if *after {
                mutate(&mut bytes, mutations);
            }
            (bytes, case.file_name())
        }
    };
    let path = dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    let shown = path.display().to_string();
    let read = path.clone();
    let result = guarded(&format!("reading {shown}"), move || {
        let mut builder = Graph::builder().weighted(weighted).skip_bad_lines(skip);
        if let Some(h) = header {
            builder = builder.header(h);
        }
        if let Some(s) = sep {
            builder = builder.separator(s);
        }
        let graph = builder.read([read])?;
        let ranking = PageRank::new().run(&graph)?;
        Ok::<Vec<f64>, Error>(ranking.ranks().to_vec())
    });
    match result {
        Ok(ranks) => {
            prop_assert!(ranks.iter().all(|r| r.is_finite() && *r >= 0.0), "{ranks:?}");
            let sum: f64 = ranks.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-9, "ranks sum to {sum}");
        }
        Err(Error::Parse {
            path,
            line,
            text,
            message,
        }) => {
            prop_assert_eq!(&path, &shown);
            prop_assert!(line >= 1);
            prop_assert!(!message.is_empty());
            // The quote's text, escapes included, stays within QUOTE_LIMIT, plus its quotes
            // and "...".
            let limit = QUOTE_LIMIT + 5;
            prop_assert!(
                text.chars().count() <= limit,
                "a quote of {} characters: {text}",
                text.chars().count()
            );
        }
        Err(e) => {
            let message = e.to_string();
            // Ranking's own refusal is about the whole graph, not a place in the file.
            let graph_level = message.starts_with("every edge weight is zero");
            prop_assert!(
                graph_level || message.contains(&shown),
                "the error does not name the file: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn arbitrary_bytes_never_panic_or_hang() {
    let mut runner = proptest::test_runner::TestRunner::new(config(64));
    if let Err(e) = runner.run(&(garbage(), options()), |(g, o)| garbage_case(&g, o)) {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Property 3: truncated compressed files.
// ---------------------------------------------------------------------------------------

/// A valid edge list of `lines` lines (a few of them comments), small or past the reader's
/// first 256 KiB, with integer or text ids.
fn edge_list(lines: usize, text_ids: bool, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for i in 0..lines {
        if rng.one_in(50) {
            out.extend_from_slice(b"# comment\n");
            continue;
        }
        let (s, t) = (rng.next() % 100_000, rng.next() % 100_000);
        if text_ids && i % 7 == 3 {
            writeln!(out, "n{s}\tn{t}").unwrap();
        } else {
            writeln!(out, "{s}\t{t}").unwrap();
        }
    }
    out
}

fn truncated(lines: usize, text_ids: bool, seed: u64, kind: Compress, cut: f64) -> Result<(), TestCaseError> {
    let text = edge_list(lines, text_ids, seed);
    let full = compress_one(kind, &text);
    let magic = kind.magic_len();
    // A cut inside the magic number is another format (plain text); from there to the end.
    let at = magic + ((full.len() - magic) as f64 * cut) as usize;
    prop_assume!(at < full.len());
    let cut_bytes = full[..at].to_vec();
    // What can be decoded before the cut: the reader knows these lines are complete.
    let (_, mut decoder) = crawlrank::input::decode(std::io::Cursor::new(cut_bytes.clone())).unwrap();
    let mut prefix = Vec::new();
    let decoded = decoder.read_to_end(&mut prefix);
    prop_assert!(
        decoded.is_err(),
        "the decoder read a stream cut at {at} of {} as complete",
        full.len()
    );
    prop_assert!(text.starts_with(&prefix), "the decoded prefix is not the text's start");
    let complete = prefix.iter().filter(|&&b| b == b'\n').count();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("cut.tsv{}", kind.extension()));
    std::fs::write(&path, &cut_bytes).unwrap();
    let read = path.clone();
    let result = guarded("reading a truncated file", move || {
        Graph::read([read]).map(|g| g.stats().edges_read)
    });
    let message = match result {
        Ok(edges) => {
            return Err(TestCaseError::fail(format!(
                "a {kind:?} stream cut at byte {at} of {} read as a graph of {edges} edge lines",
                full.len()
            )));
        }
        Err(e) => e.to_string(),
    };
    prop_assert!(message.contains(&path.display().to_string()), "{message}");
    prop_assert!(
        message.contains("truncated") || message.contains("corrupt"),
        "{message}"
    );
    let expected = if complete == 0 {
        "before its first complete line".to_string()
    } else {
        format!("after line {complete}, the last complete one")
    };
    prop_assert!(complete <= lines);
    prop_assert!(message.contains(&expected), "expected {expected:?} in: {message}");
    Ok(())
}

#[test]
fn truncated_compressed_files_are_errors_naming_the_last_complete_line() {
    let sizes = prop_oneof![3 => 1usize..300, 1 => 25_000usize..40_000];
    let kinds = prop::sample::select(vec![Compress::Gzip, Compress::Zstd, Compress::Bzip2]);
    let mut runner = proptest::test_runner::TestRunner::new(config(64));
    let strategy = (sizes, any::<bool>(), any::<u64>(), kinds, 0.0f64..1.0);
    if let Err(e) = runner.run(&strategy, |(lines, text_ids, seed, kind, cut)| {
        truncated(lines, text_ids, seed, kind, cut)
    }) {
        panic!("{e}");
    }
}
