//! Node names (`--names`, issue 15): the Common Crawl-layout fixtures in tests/data/cc (host
//! and domain graphs, vertices and edges split over gzip files, isolated hosts), names in
//! every output, Common Crawl's ranks layout, names in node order for a BVGraph, and the
//! errors for names that do not fit the edges.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crawlrank::input::decode;

mod common;

fn data(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cc")
        .join(path)
        .display()
        .to_string()
}

/// Every line of every file in `folder` (any compression), files in name order.
fn lines_of(folder: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut lines = Vec::new();
    for f in files {
        lines.extend(read_text(&f).lines().map(str::to_string));
    }
    lines
}

fn read_text(path: &Path) -> String {
    let (_, mut reader) = decode(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    text
}

/// The ranks in a result's part files, by label.
fn ranks(out: &Path) -> BTreeMap<String, f64> {
    let mut ranks = BTreeMap::new();
    for line in lines_of(&out.join("ranks")) {
        let (id, rank) = line.rsplit_once('\t').unwrap();
        assert!(
            ranks.insert(id.to_string(), rank.parse().unwrap()).is_none(),
            "{id} twice"
        );
    }
    ranks
}

fn unreverse(name: &str) -> String {
    name.split('.').rev().collect::<Vec<_>>().join(".")
}

/// PageRank by the power method to a fixed point (networkx's model: uniform teleport,
/// dangling mass spread uniformly), on `nodes` nodes.
fn reference_pagerank(nodes: usize, arcs: &[(usize, usize)]) -> Vec<f64> {
    let mut degree = vec![0usize; nodes];
    for &(s, _) in arcs {
        degree[s] += 1;
    }
    let mut rank = vec![1.0 / nodes as f64; nodes];
    for _ in 0..500 {
        let dangling: f64 = (0..nodes).filter(|&v| degree[v] == 0).map(|v| rank[v]).sum();
        let mut next = vec![(0.15 + 0.85 * dangling) / nodes as f64; nodes];
        for &(s, t) in arcs {
            next[t] += 0.85 * rank[s] / degree[s] as f64;
        }
        rank = next;
    }
    rank
}

/// A vertex of a fixture: id, name as in the file, host count (domain graphs).
type Vertex = (usize, String, Option<String>);

/// The fixture's vertices and edges.
fn cc_graph(kind: &str) -> (Vec<Vertex>, Vec<(usize, usize)>) {
    let vertices = lines_of(Path::new(&data(&format!("{kind}/vertices"))))
        .into_iter()
        .map(|l| {
            let mut f = l.split('\t');
            let id = f.next().unwrap().parse().unwrap();
            (id, f.next().unwrap().to_string(), f.next().map(str::to_string))
        })
        .collect();
    let edges = lines_of(Path::new(&data(&format!("{kind}/edges"))))
        .into_iter()
        .map(|l| {
            let (s, t) = l.split_once('\t').unwrap();
            (s.parse().unwrap(), t.parse().unwrap())
        })
        .collect();
    (vertices, edges)
}

fn rank(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = common::crawlrank(args);
    (code, stderr)
}

#[test]
fn a_common_crawl_host_graph_ranks_with_host_names_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let gexf = tmp.path().join("top.gexf");
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        "--tol",
        "1e-14",
        &data("host/edges"),
        "-o",
        out.to_str().unwrap(),
        "--cc-ranks",
        "--gexf",
        gexf.to_str().unwrap(),
        "--names",
        &data("host/vertices/part-00000.txt.gz"),
        &data("host/vertices/part-00001.txt.gz"),
        "--names-reversed",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (vertices, edges) = cc_graph("host");
    let expected = reference_pagerank(vertices.len(), &edges);
    let got = ranks(&out);
    // Every host is a node, isolated ones included, under its name the usual way round.
    assert_eq!(got.len(), vertices.len());
    let mut l1 = 0.0;
    for (id, name, _) in &vertices {
        let shown = unreverse(name);
        let r = got
            .get(&shown)
            .unwrap_or_else(|| panic!("{shown} missing from the part files"));
        l1 += (r - expected[*id]).abs();
    }
    assert!(l1 < 1e-9, "L1 {l1:e} from the reference");
    let isolated: Vec<&String> = vertices
        .iter()
        .filter(|(id, _, _)| !edges.iter().any(|&(s, t)| s == *id || t == *id))
        .map(|(_, name, _)| name)
        .collect();
    assert!(isolated.len() >= 5, "the fixture has isolated hosts");
    let summary = common::summary(&out);
    assert_eq!(summary["graph"]["nodes"], vertices.len());
    assert_eq!(summary["names"]["names"], vertices.len());
    assert_eq!(summary["names"]["layout"], "id-name");

    // top.tsv and the GEXF speak names too.
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    let first = top.lines().nth(1).unwrap().split('\t').nth(1).unwrap().to_string();
    let best = got.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!(&first, best);
    let gexf = std::fs::read_to_string(&gexf).unwrap();
    assert!(gexf.contains(&format!("label=\"{first}\"")), "{first} not a GEXF label");

    // Common Crawl's layout: header, positions from 1, best first, names reversed again.
    let cc = read_text(&out.join("cc-ranks.txt.gz"));
    let mut lines = cc.lines();
    assert_eq!(lines.next(), Some("#pr_pos\t#pr_val\t#host_rev"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), vertices.len());
    let mut last = f64::INFINITY;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        let value: f64 = row[1].parse().unwrap();
        assert!(value <= last, "not best first at {}", i + 1);
        last = value;
        assert_eq!(got[&unreverse(row[2])], value, "{}", row[2]);
        assert!(
            vertices.iter().any(|(_, name, _)| name == row[2]),
            "{} is not a vertex",
            row[2]
        );
    }
}

#[test]
fn a_domain_graph_keeps_its_host_count_in_top_tsv_and_the_gexf() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let gexf = tmp.path().join("d.gexf");
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        &data("domain/edges"),
        "-o",
        out.to_str().unwrap(),
        "--gexf",
        gexf.to_str().unwrap(),
        "--names",
        &data("domain/vertices"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (vertices, _) = cc_graph("domain");
    let counts: HashMap<&str, &str> = vertices
        .iter()
        .map(|(_, name, count)| (name.as_str(), count.as_deref().unwrap()))
        .collect();
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    let mut lines = top.lines();
    assert_eq!(
        lines.next(),
        Some("position\tid\tpagerank\tin_degree\tout_degree\thost_count")
    );
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 6, "{line}");
        assert_eq!(counts[f[1]], f[5], "{line}");
        rows += 1;
    }
    assert_eq!(rows, vertices.len());
    let gexf = std::fs::read_to_string(&gexf).unwrap();
    assert!(gexf.contains(r#"title="host_count" type="long""#), "{gexf}");
    let (name, count) = counts.iter().next().unwrap();
    let node = gexf
        .split("<node ")
        .find(|n| n.contains(&format!("label=\"{name}\"")))
        .unwrap();
    assert!(node.contains(&format!(r#"value="{count}""#)), "{node}");
    // The report and `plot` read top.tsv with its extra column.
    #[cfg(feature = "plots")]
    {
        let (code, _, stderr) = common::crawlrank(&["plot", "-q", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
    }
}

/// Writes `text` to `dir/name`.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn names_in_any_order_with_sparse_ids_rank_as_the_edge_list_written_with_the_names() {
    let tmp = tempfile::tempdir().unwrap();
    let edges = write(
        tmp.path(),
        "e.tsv",
        "1000\t5\n5\t77\n77\t1000\n5\t1000\n1000\t123456789012\n",
    );
    let names = write(
        tmp.path(),
        "n.tsv",
        "#id\tname\n77\thttp://c.example/\n5\thttp://b.example/\n123456789012\thttp://z.example/\n1000\thttp://a.example/\n999\thttp://lonely.example/\n",
    );
    let named = write(
        tmp.path(),
        "named.tsv",
        "http://a.example/\thttp://b.example/\nhttp://b.example/\thttp://c.example/\nhttp://c.example/\thttp://a.example/\nhttp://b.example/\thttp://a.example/\nhttp://a.example/\thttp://z.example/\n",
    );
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", a.to_str().unwrap(), "--names", &names]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = rank(&["rank", "-q", &named, "-o", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (with_names, with_urls) = (ranks(&a), ranks(&b));
    // The listed id 999 has no edge and is a node all the same.
    assert_eq!(with_names.len(), with_urls.len() + 1);
    assert!(with_names.contains_key("http://lonely.example/"));
    let total: f64 = with_names.values().sum();
    assert!((total - 1.0).abs() < 1e-12);
    // The order of the names file does not matter: the same files sorted give the same bytes.
    let sorted = write(
        tmp.path(),
        "sorted.tsv",
        "5\thttp://b.example/\n77\thttp://c.example/\n999\thttp://lonely.example/\n1000\thttp://a.example/\n123456789012\thttp://z.example/\n",
    );
    let c = tmp.path().join("c");
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", c.to_str().unwrap(), "--names", &sorted]);
    assert_eq!(code, 0, "{stderr}");
    let parts = |out: &Path| -> Vec<(String, Vec<u8>)> {
        common::result_files(out)
            .into_iter()
            .filter(|(n, _)| n.starts_with("part-"))
            .collect()
    };
    assert!(!parts(&a).is_empty());
    assert_eq!(parts(&a), parts(&c));
    // An isolated node scales the other ranks by one factor (its teleport and dangling
    // shares are uniform), so the linked nodes' ratios match the edge list named by URLs.
    let ratio = |r: &BTreeMap<String, f64>| r["http://a.example/"] / r["http://c.example/"];
    assert!((ratio(&with_names) - ratio(&with_urls)).abs() < 1e-9);
}

#[test]
fn names_that_do_not_fit_the_edges_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let edges = write(tmp.path(), "e.tsv", "0\t1\n1\t2\n2\t0\n2\t3\n");
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "dup.tsv",
            "0\ta.com\n1\tb.com\n2\tc.com\n3\td.com\n1\tbb.com\n",
            "id 1 is listed twice: `b.com`",
        ),
        (
            "short.tsv",
            "0\ta.com\n1\tb.com\n2\tc.com\n",
            "1 node id that no names file lists: 3",
        ),
        ("noname.tsv", "0\ta.com\n1\n2\tc.com\n3\td.com\n", "noname.tsv:2"),
        ("empty.tsv", "0\ta.com\n1\t\n2\tc.com\n3\td.com\n", "the name is empty"),
        (
            "badid.tsv",
            "0\ta.com\nx1\tb.com\n2\tc.com\n3\td.com\n",
            "not an unsigned integer",
        ),
    ];
    for (file, text, message) in cases {
        let names = write(tmp.path(), file, text);
        let (code, stderr) = rank(&["rank", "-q", &edges, "-o", out, "--names", &names]);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
        assert!(!Path::new(out).join("ranks").exists(), "{file}: a result was written");
    }
    // An edge naming an unlisted id: with --skip-bad-lines the edge is dropped and counted.
    let names = write(tmp.path(), "three.tsv", "0\ta.com\n1\tb.com\n2\tc.com\n");
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", out, "--names", &names, "--skip-bad-lines"]);
    assert_eq!(code, 0, "{stderr}");
    let summary = common::summary(Path::new(out));
    assert_eq!(summary["names"]["unnamed_edges_skipped"], 1);
    assert_eq!(summary["graph"]["nodes"], 3);
    assert_eq!(
        ranks(Path::new(out)).keys().cloned().collect::<Vec<_>>(),
        ["a.com", "b.com", "c.com"]
    );
    // Two layouts at once, and names with string ids, are refused.
    let order = write(tmp.path(), "order.txt", "a.com\nb.com\nc.com\nd.com\n");
    let four = write(tmp.path(), "four.tsv", "0\ta.com\n1\tb.com\n2\tc.com\n3\td.com\n");
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", out, "--names", &four, &order]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("one name a line in node order"), "{stderr}");
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", out, "--ids", "string", "--names", &four]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--ids string"), "{stderr}");
    // Names in node order for an edge list: line i names node i.
    let (code, stderr) = rank(&["rank", "-q", &edges, "-o", out, "--names", &order]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        ranks(Path::new(out)).keys().cloned().collect::<Vec<_>>(),
        ["a.com", "b.com", "c.com", "d.com"]
    );
}

#[cfg(feature = "bvgraph")]
#[test]
fn a_bvgraph_takes_names_one_a_line_in_node_order() {
    use dsi_bitstream::traits::BE;
    use webgraph::graphs::bvgraph::BvComp;
    use webgraph::graphs::vec_graph::VecGraph;

    let tmp = tempfile::tempdir().unwrap();
    let arcs = [(0, 1), (0, 2), (1, 2), (2, 0), (3, 2), (4, 3), (4, 0)];
    let mut graph = VecGraph::empty(6);
    graph.add_arcs(arcs.iter().copied());
    let base = tmp.path().join("g");
    BvComp::with_basename(&base).comp_graph::<BE>(graph).unwrap();
    let urls: Vec<String> = (0..6).map(|i| format!("http://site{i}.example/page")).collect();
    let names = write(tmp.path(), "g.urls", &(urls.join("\n") + "\n"));
    let out = tmp.path().join("out");
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        "--tol",
        "1e-14",
        base.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--names",
        &names,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let got = ranks(&out);
    let expected = reference_pagerank(6, &arcs);
    for (i, url) in urls.iter().enumerate() {
        assert!((got[url] - expected[i]).abs() < 1e-12, "{url}");
    }
    assert_eq!(common::summary(&out)["names"]["layout"], "node-order");
    // One name short of the graph's nodes: an error naming both counts.
    let five = write(tmp.path(), "five.urls", &(urls[..5].join("\n") + "\n"));
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        base.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--names",
        &five,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("5 names in node order, but the BVGraph has 6 nodes"),
        "{stderr}"
    );
}

#[test]
fn export_gexf_reads_the_names_again() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        &data("host/edges"),
        "-o",
        out.to_str().unwrap(),
        "--names",
        &data("host/vertices"),
        "--names-reversed",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let gexf = tmp.path().join("x.gexf");
    let (code, _, stderr) = common::crawlrank(&[
        "export",
        "gexf",
        "-q",
        out.to_str().unwrap(),
        "-o",
        gexf.to_str().unwrap(),
        "--top",
        "5",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&gexf).unwrap();
    let top = std::fs::read_to_string(out.join("top.tsv")).unwrap();
    for line in top.lines().skip(1).take(5) {
        let name = line.split('\t').nth(1).unwrap();
        assert!(text.contains(&format!("label=\"{name}\"")), "{name}");
    }
}

#[test]
fn a_readme_in_a_folder_of_names_files_is_skipped_with_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let edges = write(tmp.path(), "e.tsv", "0\t1\n1\t2\n");
    let folder = tmp.path().join("vertices");
    std::fs::create_dir(&folder).unwrap();
    write(&folder, "README.md", "# Vertices\nOne host a line.\n");
    write(&folder, "part-00000.txt", "0\tcom.a\n1\tcom.b\n2\tcom.c\n");
    let out = tmp.path().join("out");
    let (code, stderr) = rank(&[
        "rank",
        "-q",
        &edges,
        "-o",
        out.to_str().unwrap(),
        "--names",
        folder.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let summary = common::summary(&out);
    let files = summary["names"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0]["skipped"].is_string(), "{files:?}");
    assert_eq!(
        ranks(&out).keys().cloned().collect::<Vec<_>>(),
        ["com.a", "com.b", "com.c"]
    );
}
