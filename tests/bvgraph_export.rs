//! `crawlrank export bvgraph` (issue 15): the graph crawlrank read, written as a LAW BVGraph
//! and read back here with the `webgraph` crate (random access through `.ef`, and the
//! sequential reader, which must agree); node numbers named through `BASE.ids`; a round trip
//! through `crawlrank rank BASE`; export from a result folder; and the errors (exit code 2),
//! after which the previous files are as they were.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use dsi_bitstream::traits::BE;
use webgraph::graphs::bvgraph::BvComp;
use webgraph::graphs::vec_graph::VecGraph;
use webgraph::prelude::{BvGraph, BvGraphSeq, RandomAccessGraph, RandomAccessLabeling, SequentialLabeling};

mod common;

const EXTENSIONS: [&str; 5] = ["graph", "properties", "offsets", "ef", "ids"];

fn export(args: &[&str]) -> (i32, String) {
    let mut all = vec!["export", "bvgraph"];
    all.extend_from_slice(args);
    let (code, _, stderr) = common::crawlrank(&all);
    (code, stderr)
}

fn export_ok(args: &[&str]) -> String {
    let (code, stderr) = export(args);
    assert_eq!(code, 0, "export bvgraph {args:?}: {stderr}");
    stderr
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn file(base: &Path, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}.{ext}", base.display()))
}

/// The nodes and arcs of the BVGraph `base`, read with the `webgraph` crate: by random access
/// (which needs `.ef`), checked against the sequential reader and against `.properties`.
fn read_back(base: &Path) -> (usize, Vec<(usize, usize)>) {
    let random = BvGraph::with_basename(base).endianness::<BE>().load().unwrap();
    let sequential = BvGraphSeq::with_basename(base).endianness::<BE>().load().unwrap();
    webgraph::traits::graph::eq(&sequential, &random).unwrap();
    let nodes = random.num_nodes();
    let mut arcs = Vec::new();
    for node in 0..nodes {
        let successors: Vec<usize> = random.successors(node).collect();
        assert!(
            successors.windows(2).all(|w| w[0] < w[1]),
            "node {node}: successors ascending, each once: {successors:?}"
        );
        arcs.extend(successors.into_iter().map(|t| (node, t)));
    }
    assert_eq!(random.num_arcs(), arcs.len() as u64, "arcs= of .properties");
    (nodes, arcs)
}

/// `BASE.ids`, one name a line.
fn names(base: &Path) -> Vec<String> {
    std::fs::read_to_string(file(base, "ids"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The arcs of `base` named through `BASE.ids`.
fn named_arcs(base: &Path) -> BTreeSet<(String, String)> {
    let names = names(base);
    let (nodes, arcs) = read_back(base);
    assert_eq!(nodes, names.len(), "one name per node");
    arcs.into_iter()
        .map(|(s, t)| (names[s].clone(), names[t].clone()))
        .collect()
}

/// The distinct edges of a two-column text.
fn edge_set(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}

/// Hidden files an export leaves beside `base` (none once it ended).
fn leftovers(base: &Path) -> Vec<String> {
    let name = base.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(base.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.crawlrank")))
        .collect()
}

/// The BVGraph files at `base`, by extension.
fn bvgraph_files(base: &Path) -> Vec<(String, Vec<u8>)> {
    EXTENSIONS
        .iter()
        .filter_map(|ext| std::fs::read(file(base, ext)).ok().map(|b| (ext.to_string(), b)))
        .collect()
}

const URL_EDGES: &str = "http://b.example/\thttp://a.example/
http://a.example/\thttp://c.example/x
http://a.example/\thttp://c.example/x
http://c.example/x\thttp://b.example/
http://c.example/x\thttp://c.example/x
http://a.example/\thttp://d.example/m\u{fc}nchen
http://e.example/\thttp://a.example/
";

#[test]
fn url_ids_read_back_through_the_names_file_and_the_folder_ranks_as_one_bvgraph() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("urls.tsv");
    std::fs::write(&input, URL_EDGES).unwrap();
    let out = dir.path().join("bv");
    std::fs::create_dir(&out).unwrap();
    let base = out.join("g");
    let stderr = export_ok(&[s(&input), "-o", s(&base)]);
    assert!(
        stderr.contains(&format!("wrote {}.graph (5 nodes, 6 arcs", base.display())),
        "{stderr}"
    );
    assert!(stderr.contains("g.ids (node names)"), "{stderr}");
    // Nodes in crawlrank's order: the ids byte-wise ascending.
    let ids = names(&base);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 5);
    assert_eq!(named_arcs(&base), edge_set(URL_EDGES));
    assert!(leftovers(&base).is_empty(), "{:?}", leftovers(&base));

    // The folder holds g.graph, g.ids…: one BVGraph, its names file not an input of its own.
    let result = dir.path().join("ranked");
    common::run_local(&[s(&out)], &result, &[]);
    let summary = common::summary(&result);
    let inputs = summary["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0]["format"], "bvgraph");
    assert_eq!(summary["graph"]["nodes"], 5);
    assert_eq!(summary["graph"]["edges"], 6);
}

#[test]
fn sparse_integer_ids_read_back_through_the_names_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sparse.tsv");
    let big = (1u64 << 40).to_string();
    let text = format!("5\t1000000007\n1000000007\t42\n42\t5\n5\t1000000007\n{big}\t7\n7\t{big}\n42\t7\n");
    std::fs::write(&input, &text).unwrap();
    let base = dir.path().join("sparse");
    // Three segments compressed in parallel, one per shard.
    export_ok(&[s(&input), "-o", s(&base), "-q", "--shards", "3"]);
    // Integer ids ascending by value, not as text.
    assert_eq!(names(&base), ["5", "7", "42", "1000000007", big.as_str()]);
    assert_eq!(named_arcs(&base), edge_set(&text));
}

#[test]
fn isolated_nodes_stay_and_ids_0_to_n_need_no_names_file() {
    let dir = tempfile::tempdir().unwrap();
    // A BVGraph of 8 nodes, 5 of them isolated, made by the crate itself.
    let source = dir.path().join("source");
    let mut graph = VecGraph::empty(8);
    graph.add_arcs([(0, 3), (3, 0), (5, 5), (0, 5)]);
    BvComp::with_basename(&source).comp_graph::<BE>(graph).unwrap();
    let base = dir.path().join("copy");
    let stderr = export_ok(&[s(&source), "-o", s(&base)]);
    assert!(stderr.contains("(8 nodes, 4 arcs"), "{stderr}");
    assert!(!file(&base, "ids").exists(), "node i is id i: no names file");
    assert!(!stderr.contains(".ids"), "{stderr}");
    assert_eq!(read_back(&base), (8, vec![(0, 3), (0, 5), (3, 0), (5, 5)]));
}

/// An R-MAT graph of scale 12 renumbered so that its ids are exactly 0..n-1, in `dir`.
fn dense_rmat(dir: &Path) -> (PathBuf, String) {
    let raw = dir.join("rmat.tsv");
    common::generate_rmat(&raw, 12);
    let text = std::fs::read_to_string(&raw).unwrap();
    let edges: Vec<(u64, u64)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split_whitespace().map(|x| x.parse::<u64>().unwrap());
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    let ids: Vec<u64> = edges
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect();
    let dense = |id: u64| ids.binary_search(&id).unwrap();
    let text: String = edges
        .iter()
        .map(|&(a, b)| format!("{}\t{}\n", dense(a), dense(b)))
        .collect();
    let path = dir.join("dense.tsv");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

#[test]
fn ranking_the_export_of_ids_0_to_n_gives_the_same_part_files() {
    let dir = tempfile::tempdir().unwrap();
    let (input, text) = dense_rmat(dir.path());
    let from_text = dir.path().join("from-text");
    common::run_local(&[s(&input)], &from_text, &["--tol", "1e-12"]);
    let base = dir.path().join("rmat");
    // Seven segments compressed in parallel; the graph is the same whatever the segments.
    export_ok(&[s(&input), "-o", s(&base), "--shards", "7"]);
    assert!(!file(&base, "ids").exists(), "the ids are 0..n-1");
    let (_, arcs) = read_back(&base);
    let arcs: BTreeSet<(String, String)> = arcs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(arcs, edge_set(&text));
    let from_bvgraph = dir.path().join("from-bvgraph");
    common::run_local(&[s(&base)], &from_bvgraph, &["--tol", "1e-12"]);
    common::assert_same_result(&from_text, &from_bvgraph, "the export ranked again");
}

#[test]
fn a_result_folder_exports_the_graph_it_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("urls.tsv");
    std::fs::write(&input, URL_EDGES).unwrap();
    let result = d.join("result");
    common::run_local(&[s(&input)], &result, &[]);
    for name in ["a", "b", "c"] {
        std::fs::create_dir(d.join(name)).unwrap();
    }
    // The same files as the export of the inputs themselves.
    export_ok(&[s(&result), "-o", s(&d.join("a/g"))]);
    export_ok(&[s(&input), "-o", s(&d.join("b/g"))]);
    let from_result = bvgraph_files(&d.join("a/g"));
    assert_eq!(from_result.len(), 5, "graph, properties, offsets, ef, ids");
    assert_eq!(from_result, bvgraph_files(&d.join("b/g")));
    assert_eq!(named_arcs(&d.join("a/g")), edge_set(URL_EDGES));

    // Input options do not apply to a result, read as it was ranked.
    let (code, stderr) = export(&[s(&result), "--multi", "-o", s(&d.join("c/g"))]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is a result folder") && stderr.contains("--multi"),
        "{stderr}"
    );

    // Moved inputs are given after the folder.
    let moved = d.join("moved.tsv");
    std::fs::rename(&input, &moved).unwrap();
    let (code, stderr) = export(&[s(&result), "-o", s(&d.join("c/g"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no longer there"), "{stderr}");
    assert!(bvgraph_files(&d.join("c/g")).is_empty(), "nothing written");
    export_ok(&[s(&result), s(&moved), "-o", s(&d.join("c/g"))]);
    assert_eq!(bvgraph_files(&d.join("c/g")), from_result);

    // Only a complete result.
    std::fs::remove_file(result.join("ranks/_SUCCESS")).unwrap();
    let (code, stderr) = export(&[s(&result), s(&moved), "-o", s(&d.join("c/h"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a complete crawlrank result"), "{stderr}");
}

#[test]
fn a_weighted_or_multi_graph_is_refused_unless_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("w.tsv");
    std::fs::write(&input, "1\t2\t0.5\n1\t2\t0.25\n2\t3\t1\n3\t1\t2\n").unwrap();
    let result = d.join("weighted");
    common::run_local(&[s(&input)], &result, &["--weighted"]);
    let base = d.join("g");
    let (code, stderr) = export(&[s(&result), "-o", s(&base)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--weighted") && stderr.contains("--collapse"),
        "{stderr}"
    );
    assert!(bvgraph_files(&base).is_empty() && leftovers(&base).is_empty());
    let stderr = export_ok(&[s(&result), "-o", s(&base), "--collapse"]);
    assert!(
        stderr.contains("note:") && stderr.contains("weights dropped"),
        "{stderr}"
    );
    assert_eq!(named_arcs(&base).len(), 3);

    let parallel = d.join("parallel.tsv");
    std::fs::write(&parallel, "1\t2\n1\t2\n2\t3\n3\t1\n").unwrap();
    let multi = d.join("m");
    let (code, stderr) = export(&[s(&parallel), "--multi", "-o", s(&multi)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--multi") && stderr.contains("--collapse"), "{stderr}");
    assert!(bvgraph_files(&multi).is_empty());
    let stderr = export_ok(&[s(&parallel), "--multi", "--collapse", "-o", s(&multi)]);
    assert!(stderr.contains("1 parallel edges collapsed"), "{stderr}");
    assert_eq!(named_arcs(&multi), named_arcs(&base));
}

#[test]
fn bad_outputs_are_errors_naming_the_file_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("urls.tsv");
    std::fs::write(&input, URL_EDGES).unwrap();

    // A folder as -o.
    let (code, stderr) = export(&[s(&input), "-o", s(d)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("names a folder"), "{stderr}");

    // A folder that does not exist is not made.
    let missing = d.join("missing/g");
    let (code, stderr) = export(&[s(&input), "-o", s(&missing)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing: no such folder"), "{stderr}");
    assert!(!d.join("missing").exists());

    // An existing BASE.graph, not replaced without --force.
    let base = d.join("g");
    std::fs::write(file(&base, "graph"), "someone else's").unwrap();
    let (code, stderr) = export(&[s(&input), "-o", s(&base)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("{}: already exists", file(&base, "graph").display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read(file(&base, "graph")).unwrap(), b"someone else's");
    export_ok(&[s(&input), "-o", s(&base), "--force"]);
    assert_eq!(named_arcs(&base), edge_set(URL_EDGES));

    // An id with a line break cannot be a line of BASE.ids: nothing is written.
    let csv = d.join("breaks.csv");
    std::fs::write(&csv, "\"two\nlines\",b\nb,c\n").unwrap();
    let broken = d.join("broken");
    let (code, stderr) = export(&[s(&csv), "-o", s(&broken)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line break"), "{stderr}");
    assert!(bvgraph_files(&broken).is_empty());
    assert!(leftovers(&broken).is_empty(), "{:?}", leftovers(&broken));
}

#[test]
fn a_failure_while_replacing_a_bvgraph_leaves_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = d.join("first.tsv");
    std::fs::write(&first, URL_EDGES).unwrap();
    let second = d.join("second.tsv");
    std::fs::write(&second, "0\t1\n1\t2\n2\t0\n").unwrap();
    let base = d.join("g");
    export_ok(&[s(&first), "-o", s(&base)]);
    let previous = bvgraph_files(&base);
    // Fail each file system step of putting the new files in place, in turn (the testing
    // hook of the result folder's commit), until the export gets through.
    let mut step = 0;
    loop {
        let done = Command::new(common::BIN)
            .args(["export", "bvgraph", s(&second), "-o", s(&base), "--force", "-q"])
            .env("CRAWLRANK_FAULT", format!("fail:{step}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(leftovers(&base).is_empty(), "step {step}: {:?}", leftovers(&base));
        if done.status.code() == Some(0) {
            break;
        }
        assert_eq!(done.status.code(), Some(2), "step {step}: {stderr}");
        assert!(stderr.contains("injected failure"), "step {step}: {stderr}");
        assert_eq!(
            bvgraph_files(&base),
            previous,
            "step {step}: the previous BVGraph is whole"
        );
        step += 1;
        assert!(step < 100, "the export never got through");
    }
    assert!(step >= 10, "every step of the replacement failed once ({step})");
    // The new graph, and no stale names file: its ids are 0, 1, 2.
    assert!(!file(&base, "ids").exists());
    let (nodes, arcs) = read_back(&base);
    assert_eq!((nodes, arcs.len()), (3, 3));
}

/// CI (`.ci/run`): the export of the cnr-2000 result, at the basename in `CRAWLRANK_BVGRAPH`,
/// is LAW's cnr-2000 arc for arc (from `CRAWLRANK_SHARED`, default `../shared`), read by
/// random access and sequentially.
#[test]
#[ignore = "needs the export of the cnr-2000 result (CRAWLRANK_BVGRAPH); .ci/run makes it"]
fn the_export_of_the_cnr_2000_result_is_laws_graph() {
    let base = PathBuf::from(std::env::var_os("CRAWLRANK_BVGRAPH").expect("set CRAWLRANK_BVGRAPH to the export"));
    let shared = std::env::var_os("CRAWLRANK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let law = BvGraphSeq::with_basename(shared.join("data/cnr-2000/cnr-2000"))
        .endianness::<BE>()
        .load()
        .unwrap();
    let (nodes, arcs) = read_back(&base);
    assert_eq!((nodes, arcs.len()), (325_557, 3_216_152));
    let exported = BvGraphSeq::with_basename(&base).endianness::<BE>().load().unwrap();
    webgraph::traits::graph::eq(&law, &exported).unwrap();
}

#[test]
fn the_export_ranked_with_its_names_file_gives_the_part_files_of_the_original_ids() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("urls.tsv.gz");
    let (code, _, stderr) = common::crawlrank(&["generate", "rmat", "--scale", "11", "--urls", "-q", "-o", s(&input)]);
    assert_eq!(code, 0, "{stderr}");
    let original = dir.path().join("original");
    common::run_local(&[s(&input)], &original, &["--tol", "1e-12"]);
    let base = dir.path().join("urls");
    export_ok(&[s(&original), "-o", s(&base)]);
    assert!(file(&base, "ids").is_file());
    let again = dir.path().join("again");
    common::run_local(
        &[s(&base)],
        &again,
        &["--tol", "1e-12", "--names", s(&file(&base, "ids"))],
    );
    let parts = |out: &Path| -> Vec<(String, Vec<u8>)> {
        common::result_files(out)
            .into_iter()
            .filter(|(name, _)| name.starts_with("part-"))
            .collect()
    };
    assert!(!parts(&original).is_empty());
    assert_eq!(parts(&original), parts(&again), "URL ids back through BASE.ids");
    assert_eq!(common::summary(&again)["names"]["layout"], "node-order");
}
