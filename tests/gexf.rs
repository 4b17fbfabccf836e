//! GEXF export: an exact golden file for a tiny graph, and hostile labels that must come back
//! from a real XML parser exactly as written (less the characters XML 1.0 forbids).

use std::path::Path;

use crawlrank::output::{ColorBy, GexfExport, GexfOptions, GexfVersion, Layout, Ranked, SelectBy};
use crawlrank::prelude::*;
use quick_xml::events::Event;

/// The GEXF text of the top `k` nodes of a graph from labelled edges (one shard, ranked with
/// PageRank's defaults), as `export gexf` writes it.
fn gexf_text(edges: &[(&str, &str)], k: usize, options: &GexfOptions) -> String {
    let graph = Graph::builder()
        .shards(1)
        .labelled_edges(edges.iter().copied())
        .unwrap();
    let ranks = PageRank::new().run(&graph).unwrap().ranks().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let export = GexfExport {
        path: "top.gexf".into(),
        select: SelectBy::Top(k),
        neighbors: false,
        max_nodes: k,
        options: options.clone(),
    };
    let report = export.write(&Ranked::new(&graph, &ranks), dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("top.gexf")).unwrap();
    assert_eq!(report.nodes, k.min(graph.node_count()));
    assert_eq!(
        report.edges,
        text.matches("<edge ").count(),
        "the report counts the edges written"
    );
    text
}

/// What XML 1.0 lets a document hold of `text`: the characters it forbids are dropped.
fn xml_allowed(text: &str) -> String {
    text.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect()
}

fn fixed_options(version: GexfVersion, color_by: ColorBy) -> GexfOptions {
    GexfOptions {
        version,
        color_by,
        layout: Layout::Circle,
        creator: "crawlrank test".to_string(),
        description: "golden file: a 5-page crawl, top 4".to_string(),
    }
}

const TINY: &[(&str, &str)] = &[
    ("http://a.example/", "http://b.example/x?p=1&q=2"),
    ("http://a.example/", "http://c.example/città"),
    ("http://b.example/x?p=1&q=2", "http://a.example/"),
    ("http://c.example/città", "http://a.example/"),
    ("http://c.example/città", "http://b.example/x?p=1&q=2"),
    ("http://d.example/", "http://c.example/città"),
    ("http://d.example/", "http://e.example/\"quoted\""),
];

/// Compares with the golden file; `CRAWLRANK_BLESS=1` rewrites it (then read the diff!).
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name);
    if std::env::var_os("CRAWLRANK_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "{name} differs from the golden file");
}

#[test]
fn tiny_graph_matches_the_golden_file_in_both_versions() {
    golden(
        "tiny-1.3.gexf",
        &gexf_text(TINY, 4, &fixed_options(GexfVersion::V1_3, ColorBy::Rank)),
    );
    golden(
        "tiny-1.2draft-host.gexf",
        &gexf_text(TINY, 4, &fixed_options(GexfVersion::V1_2Draft, ColorBy::Host)),
    );
}

/// Labels and attribute values as a conforming XML parser reads them back.
fn parsed_labels(xml: &str) -> (Vec<String>, usize) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut labels = Vec::new();
    let mut edges = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "node" => {
                let label = e.try_get_attribute("label").unwrap().expect("every node has a label");
                labels.push(
                    label
                        .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                );
            }
            Event::Empty(e) if e.name().as_ref() == "edge" => edges += 1,
            Event::Eof => return (labels, edges),
            _ => {}
        }
    }
}

#[test]
fn hostile_labels_survive_a_real_xml_parser() {
    let long = format!("http://long.example/{}", "x".repeat(10_000));
    let hostile = [
        "http://a.example/?a=1&b=2",
        "lone & ampersand",
        "<script>alert('x')</script>",
        "cdata end ]]> inside",
        "quotes \" and ' both",
        "control \u{1}\u{2}\u{7}\u{1b} characters",
        "tab\tinside",
        "non-ASCII: città, über, 日本語, emoji 🦀",
        "replacement \u{FFFE}\u{FFFF} non-characters",
        long.as_str(),
    ];
    let mut edges: Vec<(&str, &str)> = hostile.windows(2).map(|w| (w[0], w[1])).collect();
    edges.push((hostile[hostile.len() - 1], hostile[0]));
    for version in [GexfVersion::V1_3, GexfVersion::V1_2Draft] {
        let xml = gexf_text(&edges, hostile.len(), &fixed_options(version, ColorBy::Host));
        let (mut labels, edge_count) = parsed_labels(&xml);
        let mut expected: Vec<String> = hostile.iter().map(|s| xml_allowed(s)).collect();
        labels.sort();
        expected.sort();
        assert_eq!(labels, expected);
        assert_eq!(edge_count, edges.len());
        assert!(
            !xml.contains('\u{1}') && !xml.contains("]]>"),
            "forbidden text written raw"
        );
    }
}
