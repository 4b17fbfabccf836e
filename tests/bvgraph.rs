//! LAW WebGraph BVGraph input (issue 15) on small graphs written here with the `webgraph`
//! crate's compressor: isolated nodes are ranked, both endiannesses are read, a BVGraph
//! ranks as its edge list does, and truncated or corrupt files are errors naming the file
//! (exit code 2), never panics.

use std::io::Read;
use std::path::{Path, PathBuf};

use crawlrank::input::decode;
use dsi_bitstream::traits::{BE, LE};
use webgraph::graphs::bvgraph::BvComp;
use webgraph::graphs::vec_graph::VecGraph;

mod common;

/// Writes the BVGraph `dir/name` (`.graph`, `.properties`, `.offsets`) of `nodes` nodes and
/// `arcs`; returns its basename.
fn write_bvgraph(dir: &Path, name: &str, nodes: usize, arcs: &[(usize, usize)]) -> PathBuf {
    write_bvgraph_as(false, dir, name, nodes, arcs)
}

/// [`write_bvgraph`], little-endian when `little` (as the Rust crate can write it).
fn write_bvgraph_as(little: bool, dir: &Path, name: &str, nodes: usize, arcs: &[(usize, usize)]) -> PathBuf {
    let mut graph = VecGraph::empty(nodes);
    graph.add_arcs(arcs.iter().copied());
    let base = dir.join(name);
    let mut compressor = BvComp::with_basename(&base);
    if little {
        compressor.comp_graph::<LE>(graph).unwrap();
    } else {
        compressor.comp_graph::<BE>(graph).unwrap();
    }
    assert!(dir.join(format!("{name}.graph")).is_file());
    assert!(dir.join(format!("{name}.properties")).is_file());
    base
}

/// The ranks in a result folder's part files, by node.
fn ranks(out: &Path) -> Vec<(u64, f64)> {
    let mut ranks = Vec::new();
    for entry in std::fs::read_dir(out.join("ranks")).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with("part-") {
            continue;
        }
        let (_, mut reader) = decode(std::fs::File::open(&path).unwrap()).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        for line in text.lines() {
            let (id, rank) = line.split_once('\t').unwrap();
            ranks.push((id.parse().unwrap(), rank.parse().unwrap()));
        }
    }
    ranks.sort_by_key(|r| r.0);
    ranks
}

fn part_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut parts: Vec<_> = std::fs::read_dir(out.join("ranks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    parts.sort();
    parts
}

fn rank_ok(input: &Path, out: &Path) {
    let (code, _, stderr) = common::crawlrank(&[
        "rank",
        "-q",
        "--tol",
        "0",
        "--max-iter",
        "100",
        "-o",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

/// PageRank by the power method, dangling mass spread uniformly, 100 iterations.
fn naive_pagerank(nodes: usize, arcs: &[(usize, usize)], damping: f64) -> Vec<f64> {
    let mut degree = vec![0usize; nodes];
    for &(s, _) in arcs {
        degree[s] += 1;
    }
    let mut rank = vec![1.0 / nodes as f64; nodes];
    for _ in 0..100 {
        let dangling: f64 = (0..nodes).filter(|&v| degree[v] == 0).map(|v| rank[v]).sum();
        let mut next = vec![(1.0 - damping) / nodes as f64 + damping * dangling / nodes as f64; nodes];
        for &(s, t) in arcs {
            next[t] += damping * rank[s] / degree[s] as f64;
        }
        rank = next;
    }
    rank
}

/// Six nodes, node 5 isolated: no arc names it, so only the format says it exists.
const ARCS: [(usize, usize); 7] = [(0, 1), (0, 2), (1, 2), (2, 0), (3, 2), (4, 3), (4, 0)];

#[test]
fn a_bvgraph_isolated_node_is_ranked_in_both_endiannesses() {
    let tmp = tempfile::tempdir().unwrap();
    let expected = naive_pagerank(6, &ARCS, 0.85);
    // Node 5 is the only dangling node and has no in-link: r5 = (1-d)/n + d r5/n.
    let isolated = (0.15 / 6.0) / (1.0 - 0.85 / 6.0);
    assert!((expected[5] - isolated).abs() < 1e-12);
    for (endianness, base) in [
        ("big", write_bvgraph_as(false, tmp.path(), "big", 6, &ARCS)),
        ("little", write_bvgraph_as(true, tmp.path(), "little", 6, &ARCS)),
    ] {
        let out = tmp.path().join(format!("out-{endianness}"));
        rank_ok(&base, &out);
        let ranks = ranks(&out);
        let ids: Vec<u64> = ranks.iter().map(|r| r.0).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5], "{endianness}");
        for (node, rank) in &ranks {
            assert!(
                (rank - expected[*node as usize]).abs() < 1e-12,
                "{endianness}: node {node}: {rank}"
            );
        }
        assert!((ranks[5].1 - isolated).abs() < 1e-12, "{endianness}");
        assert!((ranks.iter().map(|r| r.1).sum::<f64>() - 1.0).abs() < 1e-12);
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["graph"]["nodes"], 6, "{endianness}");
        assert_eq!(summary["graph"]["edges"], 7, "{endianness}");
        assert_eq!(summary["inputs"][0]["format"], "bvgraph", "{endianness}");
        assert_eq!(summary["inputs"][0]["edges"], 7, "{endianness}");
    }
}

/// A random graph in which every node has an arc, so that its edge list names every node.
fn random_arcs(nodes: usize, arcs: usize) -> Vec<(usize, usize)> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut list: Vec<(usize, usize)> = (0..nodes).map(|v| (v, (v + 1) % nodes)).collect();
    // Runs of neighbours and near-copies of earlier lists, so that the compressor uses
    // intervals and references too.
    for _ in 0..arcs {
        let s = next(nodes);
        let t = if next(3) == 0 {
            (s + 1 + next(8)) % nodes
        } else {
            next(nodes)
        };
        list.push((s, t));
    }
    list.sort_unstable();
    list.dedup();
    list
}

#[test]
fn a_bvgraph_ranks_byte_identically_to_its_edge_list_from_its_basename_graph_properties_and_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let arcs = random_arcs(3000, 30_000);
    let folder = tmp.path().join("graph");
    std::fs::create_dir(&folder).unwrap();
    let base = write_bvgraph(&folder, "g", 3000, &arcs);
    let text = tmp.path().join("g.tsv");
    let lines: String = arcs.iter().map(|(s, t)| format!("{s}\t{t}\n")).collect();
    std::fs::write(&text, lines).unwrap();
    let from_text = tmp.path().join("text");
    rank_ok(&text, &from_text);
    for (what, input) in [
        ("basename", base.clone()),
        ("graph", folder.join("g.graph")),
        ("properties", folder.join("g.properties")),
        ("folder", folder.clone()),
    ] {
        let out = tmp.path().join(format!("out-{what}"));
        rank_ok(&input, &out);
        assert_eq!(part_files(&out), part_files(&from_text), "{what}");
    }
}

#[test]
fn a_truncated_or_corrupt_graph_file_is_an_error_naming_it_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let arcs = random_arcs(3000, 30_000);
    for (what, damage) in [
        (
            "truncated",
            Box::new(|bytes: &mut Vec<u8>| bytes.truncate(bytes.len() / 2)) as Box<dyn Fn(&mut Vec<u8>)>,
        ),
        (
            "overwritten",
            Box::new(|bytes: &mut Vec<u8>| {
                let middle = bytes.len() / 3;
                for (i, b) in bytes[middle..middle + 64].iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(37) ^ 0xA5;
                }
            }),
        ),
        (
            "zeroed",
            Box::new(|bytes: &mut Vec<u8>| bytes.iter_mut().skip(16).for_each(|b| *b = 0)),
        ),
        (
            "ones",
            Box::new(|bytes: &mut Vec<u8>| bytes.iter_mut().skip(16).for_each(|b| *b = 0xff)),
        ),
    ] {
        let base = write_bvgraph(tmp.path(), what, 3000, &arcs);
        let graph = tmp.path().join(format!("{what}.graph"));
        let mut bytes = std::fs::read(&graph).unwrap();
        damage(&mut bytes);
        std::fs::write(&graph, bytes).unwrap();
        let out = tmp.path().join(format!("out-{what}"));
        let (code, _, stderr) = common::crawlrank(&["rank", "-q", "-o", out.to_str().unwrap(), base.to_str().unwrap()]);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(stderr.contains(&format!("{what}.graph")), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(!out.exists(), "{what}: no result for a broken input");
    }
}

#[test]
fn garbage_properties_are_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_bvgraph(tmp.path(), "g", 6, &ARCS);
    for garbage in [
        &b"this is not a properties file\n"[..],
        b"\x00\x9f\x92\x96 binary",
        b"nodes=6\narcs=many\n",
    ] {
        std::fs::write(tmp.path().join("g.properties"), garbage).unwrap();
        let (code, _, stderr) = common::crawlrank(&["stats", base.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("g.properties"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Fewer arcs announced than the lists hold.
    let base = write_bvgraph(tmp.path(), "h", 6, &ARCS);
    let properties = tmp.path().join("h.properties");
    let text = std::fs::read_to_string(&properties)
        .unwrap()
        .replace("arcs=7", "arcs=5");
    std::fs::write(&properties, text).unwrap();
    let (code, _, stderr) = common::crawlrank(&["stats", base.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("h.graph"), "{stderr}");
}

#[test]
fn stats_reads_a_bvgraph_with_its_isolated_node() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_bvgraph(tmp.path(), "g", 6, &ARCS);
    let (code, stdout, stderr) = common::crawlrank(&["stats", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let field = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .split_whitespace()
            .nth(name.split_whitespace().count())
            .unwrap()
            .to_string()
    };
    assert_eq!(field("nodes"), "6", "{stdout}");
    assert_eq!(field("edges"), "7", "{stdout}");
    assert_eq!(field("dangling nodes"), "1", "{stdout}");
}

#[test]
fn bvgraph_options_that_do_not_apply_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_bvgraph(tmp.path(), "g", 6, &ARCS);
    let out = tmp.path().join("out");
    for (flag, says) in [("--weighted", "--weighted"), ("--ids=string", "--ids string")] {
        let (code, _, stderr) =
            common::crawlrank(&["rank", "-q", flag, "-o", out.to_str().unwrap(), base.to_str().unwrap()]);
        assert_eq!(code, 2, "{flag}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains("BVGraph"), "{flag}: {stderr}");
    }
}
