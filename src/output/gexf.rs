//! GEXF for Gephi: a selected slice of the ranked graph, with attributes and visual hints,
//! written as a stream.
//!
//! - Nodes, best-ranked first, with id = position in the selection (0, 1, …), label = the
//!   user's id, attributes `pagerank` (double), `rank_position`, `in_degree`, `out_degree`
//!   (integer, in the whole graph) and, for string ids, `host` (string).
//! - `size`: 1 for the lowest rank in the selection to 50 for the highest, on a log scale of
//!   the rank (`1 + 49·(ln r − ln r_min)/(ln r_max − ln r_min)`; 10 when all ranks are equal).
//! - `color`: by rank decile on the viridis ramp (top decile yellow, bottom purple), or by
//!   host from a 20-colour palette (FNV-1a of the host name, so the same host always gets
//!   the same colour); `a="1.0"` always.
//! - `position`: with [`Layout::Circle`], nodes on one circle in rank order, clockwise from
//!   the top, 4 units of circumference a node.
//! - Edges: explicit ids, `weight` = the edge weight (parallel edges: their number).
//!
//! The namespaces are those of the schemas in `shared/reference/gexf`: `http://gexf.net/1.3`
//! and `http://www.gexf.net/1.2draft`. Those schemas declare the visual elements (`color`,
//! `size`, `position`) in the main namespace, so they are written there, unprefixed; Gephi
//! reads them by local name.
//!
//! Text is escaped for XML (`& < > " '`, and tab, newline and carriage return as character
//! references so they survive attribute normalisation); characters XML 1.0 forbids are
//! dropped; other non-ASCII text is written as UTF-8. XML must be UTF-8, so a string id that
//! is not has U+FFFD in place of its bad bytes in its label (as in the HTML report; the part
//! files and `top.tsv` keep its bytes).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use super::subgraph::{InducedEdge, Selection};
use super::{Exporter, Ranked};
use crate::error::{Error, Result};
use crate::graph::IdKind;

/// GEXF schema version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GexfVersion {
    /// GEXF 1.3, namespace `http://gexf.net/1.3`.
    #[default]
    #[cfg_attr(feature = "cli", value(name = "1.3"))]
    #[serde(rename = "1.3")]
    V1_3,
    /// GEXF 1.2draft, namespace `http://www.gexf.net/1.2draft`.
    #[cfg_attr(feature = "cli", value(name = "1.2draft"))]
    #[serde(rename = "1.2draft")]
    V1_2Draft,
}

impl GexfVersion {
    fn namespace(self) -> &'static str {
        match self {
            GexfVersion::V1_3 => "http://gexf.net/1.3",
            GexfVersion::V1_2Draft => "http://www.gexf.net/1.2draft",
        }
    }

    fn version(self) -> &'static str {
        match self {
            GexfVersion::V1_3 => "1.3",
            GexfVersion::V1_2Draft => "1.2",
        }
    }
}

/// What node colours mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ColorBy {
    /// Rank decile on the viridis ramp.
    #[default]
    Rank,
    /// Host of the URL, from a fixed palette.
    Host,
}

/// Where nodes are placed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One circle, in rank order.
    #[default]
    Circle,
    /// No positions (Gephi places nodes at random).
    None,
}

/// How to write a GEXF file.
#[derive(Clone, Debug, Default)]
pub struct GexfOptions {
    /// Schema version.
    pub version: GexfVersion,
    /// Node colours.
    pub color_by: ColorBy,
    /// Node positions.
    pub layout: Layout,
    /// `<meta><creator>`.
    pub creator: String,
    /// `<meta><description>`.
    pub description: String,
}

/// Viridis sampled at ten evenly spaced points, dark to bright.
const VIRIDIS: [(u8, u8, u8); 10] = [
    (68, 1, 84),
    (72, 40, 120),
    (62, 73, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (110, 206, 88),
    (181, 222, 43),
    (253, 231, 37),
];

/// Twenty distinguishable colours for hosts (the "tab20" palette).
const HOST_PALETTE: [(u8, u8, u8); 20] = [
    (31, 119, 180),
    (174, 199, 232),
    (255, 127, 14),
    (255, 187, 120),
    (44, 160, 44),
    (152, 223, 138),
    (214, 39, 40),
    (255, 152, 150),
    (148, 103, 189),
    (197, 176, 213),
    (140, 86, 75),
    (196, 156, 148),
    (227, 119, 194),
    (247, 182, 210),
    (127, 127, 127),
    (199, 199, 199),
    (188, 189, 34),
    (219, 219, 141),
    (23, 190, 207),
    (158, 218, 229),
];

/// The host of a URL (`scheme://[user@]host[:port]/…`), lower-cased; empty when the id is
/// not a URL.
pub(crate) fn host_of(id: &str) -> String {
    let Some(start) = id.find("://") else {
        // A bare host name (the names of a Common Crawl host graph) is its own host.
        let bare = id.contains('.') && !id.contains(['/', ' ', '\t', '?', '#', '@']);
        return if bare { id.to_lowercase() } else { String::new() };
    };
    let rest = &id[start + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or(host).to_string() + "]"
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    host.to_lowercase()
}

fn host_color(host: &str) -> (u8, u8, u8) {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.bytes() {
        hash ^= b as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    HOST_PALETTE[(hash % HOST_PALETTE.len() as u64) as usize]
}

/// Escapes text for an XML attribute or element: drops characters XML 1.0 does not allow,
/// escapes markup characters, and writes tab, newline and carriage return as references.
pub(crate) fn escape_xml(text: &str) -> Cow<'_, str> {
    let clean = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}');
    if text
        .chars()
        .all(|c| clean(c) && !matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars().filter(|&c| clean(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The text that survives the export of `text`: what a reader gets back.
#[cfg(test)]
pub(crate) fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        })
        .collect()
}

fn attr<'a>(key: &'a str, escaped: Cow<'a, str>) -> Attribute<'a> {
    Attribute {
        key: QName(key),
        value: escaped,
    }
}

/// Writes `selection` and its induced edges as GEXF into `out`, streaming: the edges are
/// counted in one parallel pass over the shards and written in a second one, never held.
/// Returns the writer and the number of edges written.
pub(crate) fn write_gexf<W: Write>(
    out: W,
    ranked: &Ranked<'_>,
    selection: &Selection,
    options: &GexfOptions,
) -> std::io::Result<(W, usize)> {
    let mut xml = Writer::new_with_indent(out, b' ', 2);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("gexf");
    root.push_attribute(("xmlns", options.version.namespace()));
    root.push_attribute(("version", options.version.version()));
    xml.write_event(Event::Start(root))?;

    xml.write_event(Event::Start(BytesStart::new("meta")))?;
    for (tag, text) in [("creator", &options.creator), ("description", &options.description)] {
        xml.write_event(Event::Start(BytesStart::new(tag)))?;
        xml.write_event(Event::Text(BytesText::from_escaped(escape_xml(text))))?;
        xml.write_event(Event::End(BytesEnd::new(tag)))?;
    }
    xml.write_event(Event::End(BytesEnd::new("meta")))?;

    let mut graph = BytesStart::new("graph");
    graph.push_attribute(("defaultedgetype", "directed"));
    graph.push_attribute(("mode", "static"));
    xml.write_event(Event::Start(graph))?;

    let with_host = ranked.nodes.kind() == IdKind::String;
    let mut attributes = BytesStart::new("attributes");
    attributes.push_attribute(("class", "node"));
    xml.write_event(Event::Start(attributes))?;
    let declared: &[(&str, &str, &str)] = &[
        ("0", "pagerank", "double"),
        ("1", "rank_position", "integer"),
        ("2", "in_degree", "integer"),
        ("3", "out_degree", "integer"),
        ("4", "host", "string"),
    ];
    for &(id, title, kind) in &declared[..if with_host { 5 } else { 4 }] {
        let mut a = BytesStart::new("attribute");
        a.push_attribute(("id", id));
        a.push_attribute(("title", title));
        a.push_attribute(("type", kind));
        xml.write_event(Event::Empty(a))?;
    }
    // The names files' extra columns (a Common Crawl domain graph's host count), after the
    // fixed attributes.
    let named = ranked.nodes.named().filter(|n| !n.columns.is_empty());
    let extra_ids: Vec<String> = named.map_or(Vec::new(), |n| {
        (0..n.columns.len()).map(|c| (5 + c).to_string()).collect()
    });
    if let Some(named) = named {
        for (c, title) in named.columns.iter().enumerate() {
            let mut a = BytesStart::new("attribute");
            a.push_attribute(("id", extra_ids[c].as_str()));
            a.push_attribute(attr("title", escape_xml(title)));
            a.push_attribute((
                "type",
                if named.integer_columns.get(c) == Some(&true) {
                    "long"
                } else {
                    "string"
                },
            ));
            xml.write_event(Event::Empty(a))?;
        }
    }
    xml.write_event(Event::End(BytesEnd::new("attributes")))?;

    let count = selection.nodes.len();
    let ranks: Vec<f64> = selection.nodes.iter().map(|&v| ranked.ranks[v as usize]).collect();
    let (low, high) = ranks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
        (lo.min(r), hi.max(r))
    });
    let size_of = |r: f64| -> f64 {
        if high <= low || low <= 0.0 || high.is_nan() {
            10.0
        } else {
            1.0 + 49.0 * (r.ln() - low.ln()) / (high.ln() - low.ln())
        }
    };
    let radius = (4.0 * count as f64 / std::f64::consts::TAU).max(50.0);
    let mut number = ryu::Buffer::new();
    let mut integer = itoa::Buffer::new();
    let mut nodes = BytesStart::new("nodes");
    nodes.push_attribute(("count", integer.format(count)));
    xml.write_event(Event::Start(nodes))?;
    for (i, &v) in selection.nodes.iter().enumerate() {
        let label = ranked.nodes.label(v);
        let mut node = BytesStart::new("node");
        node.push_attribute(("id", integer.format(i)));
        node.push_attribute(attr("label", escape_xml(&label)));
        xml.write_event(Event::Start(node))?;
        xml.write_event(Event::Start(BytesStart::new("attvalues")))?;
        let host = if with_host { host_of(&label) } else { String::new() };
        let values: [(&str, String); 5] = [
            ("0", number.format(ranks[i]).to_string()),
            ("1", (i + 1).to_string()),
            ("2", ranked.graph.in_degree()[v as usize].to_string()),
            ("3", ranked.graph.out_degree()[v as usize].to_string()),
            ("4", host.clone()),
        ];
        for (id, value) in &values[..if with_host { 5 } else { 4 }] {
            let mut a = BytesStart::new("attvalue");
            a.push_attribute(("for", *id));
            a.push_attribute(attr("value", escape_xml(value)));
            xml.write_event(Event::Empty(a))?;
        }
        if let Some(named) = named {
            for (c, value) in named.extra_values(v).into_iter().enumerate() {
                if value.is_empty() {
                    continue; // GEXF leaves an attribute out rather than give it no value
                }
                let mut a = BytesStart::new("attvalue");
                a.push_attribute(("for", extra_ids[c].as_str()));
                a.push_attribute(attr("value", escape_xml(&String::from_utf8_lossy(value))));
                xml.write_event(Event::Empty(a))?;
            }
        }
        xml.write_event(Event::End(BytesEnd::new("attvalues")))?;

        let mut size = BytesStart::new("size");
        size.push_attribute(("value", format!("{:.3}", size_of(ranks[i])).as_str()));
        xml.write_event(Event::Empty(size))?;
        let (r, g, b) = match options.color_by {
            ColorBy::Rank => VIRIDIS[9 - (i * 10 / count.max(1)).min(9)],
            ColorBy::Host => host_color(&if with_host { host } else { host_of(&label) }),
        };
        let mut color = BytesStart::new("color");
        color.push_attribute(("r", integer.format(r)));
        color.push_attribute(("g", integer.format(g)));
        color.push_attribute(("b", integer.format(b)));
        color.push_attribute(("a", "1.0"));
        xml.write_event(Event::Empty(color))?;
        if options.layout == Layout::Circle {
            let angle = std::f64::consts::TAU * i as f64 / count as f64;
            let mut position = BytesStart::new("position");
            // Rounded first, so that a coordinate a hair below zero is written as 0.000.
            let coordinate = |c: f64| format!("{:.3}", (c * 1000.0).round() / 1000.0 + 0.0);
            position.push_attribute(("x", coordinate(radius * angle.sin()).as_str()));
            position.push_attribute(("y", coordinate(radius * angle.cos()).as_str()));
            position.push_attribute(("z", "0.0"));
            xml.write_event(Event::Empty(position))?;
        }
        xml.write_event(Event::End(BytesEnd::new("node")))?;
    }
    xml.write_event(Event::End(BytesEnd::new("nodes")))?;

    let positions = selection.positions(ranked.ranks.len());
    let edge_count = selection.count_induced_edges(ranked, &positions)?;
    let mut edges_start = BytesStart::new("edges");
    edges_start.push_attribute(("count", integer.format(edge_count)));
    xml.write_event(Event::Start(edges_start))?;
    let mut written = 0usize;
    let mut ids = [itoa::Buffer::new(), itoa::Buffer::new(), itoa::Buffer::new()];
    selection.visit_induced_edges(ranked, &positions, |e: InducedEdge| -> std::io::Result<()> {
        let [id, source, target] = &mut ids;
        let mut edge = BytesStart::new("edge");
        edge.push_attribute(("id", id.format(written)));
        edge.push_attribute(("source", source.format(e.source)));
        edge.push_attribute(("target", target.format(e.target)));
        edge.push_attribute(("weight", number.format(e.weight)));
        written += 1;
        xml.write_event(Event::Empty(edge))
    })?;
    debug_assert_eq!(written, edge_count);
    xml.write_event(Event::End(BytesEnd::new("edges")))?;
    xml.write_event(Event::End(BytesEnd::new("graph")))?;
    xml.write_event(Event::End(BytesEnd::new("gexf")))?;
    let mut out = xml.into_inner();
    out.write_all(b"\n")?;
    Ok((out, written))
}

/// How the nodes of a GEXF export are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectBy {
    /// The `k` best-ranked nodes.
    Top(usize),
    /// Every node with at least this rank.
    MinRank(f64),
    /// The nodes listed in this file.
    Nodes(PathBuf),
}

/// Exports a slice of the ranking as a GEXF file (gzip-compressed when the name ends in
/// `.gz`). The file is written next to its final name and renamed when complete.
#[derive(Clone, Debug)]
pub struct GexfExport {
    /// Where to write (relative to the folder passed to [`Exporter::export`]).
    pub path: PathBuf,
    /// Which nodes.
    pub select: SelectBy,
    /// Add the selection's direct neighbours.
    pub neighbors: bool,
    /// Cap on the number of nodes (for `MinRank` and `neighbors`).
    pub max_nodes: usize,
    /// Format options.
    pub options: GexfOptions,
}

/// What a GEXF export wrote.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct GexfReport {
    /// The file.
    pub path: String,
    /// Nodes written.
    pub nodes: usize,
    /// Edges written.
    pub edges: usize,
}

impl GexfExport {
    /// Checks that the selection can work.
    pub fn validate(&self) -> Result<()> {
        match self.select {
            SelectBy::Top(0) => return Err(Error::parameter("gexf_top", "must be at least 1")),
            SelectBy::MinRank(x) if !(x.is_finite() && x >= 0.0) => {
                return Err(Error::parameter("min_rank", format!("must be a number >= 0, not {x}")));
            }
            _ => {}
        }
        if self.max_nodes == 0 {
            return Err(Error::parameter("max_nodes", "must be at least 1"));
        }
        Ok(())
    }

    /// Selects, finds the induced edges and writes the file.
    pub fn write(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<GexfReport> {
        let selection = match &self.select {
            SelectBy::Top(k) => Selection::top(ranked, *k),
            SelectBy::MinRank(x) => Selection::min_rank(ranked, *x, self.max_nodes),
            SelectBy::Nodes(file) => Selection::listed(ranked, super::subgraph::read_node_list(file, ranked)?),
        };
        let selection = if self.neighbors {
            selection.with_neighbors(ranked, self.max_nodes)?
        } else {
            selection
        };
        let path = dir.join(&self.path);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = path.with_file_name(format!(".{file_name}.partial-{}", std::process::id()));
        let result = (|| -> std::io::Result<usize> {
            let file = BufWriter::with_capacity(1 << 16, File::create(&partial)?);
            let edges = if file_name.ends_with(".gz") {
                let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
                let (gz, edges) = write_gexf(gz, ranked, &selection, &self.options)?;
                gz.finish()?.flush()?;
                edges
            } else {
                let (mut file, edges) = write_gexf(file, ranked, &selection, &self.options)?;
                file.flush()?;
                edges
            };
            std::fs::rename(&partial, &path)?;
            Ok(edges)
        })();
        let edges = result.map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            Error::io(&path, e)
        })?;
        Ok(GexfReport {
            path: path.display().to_string(),
            nodes: selection.nodes.len(),
            edges,
        })
    }
}

impl Exporter for GexfExport {
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()> {
        self.write(ranked, dir).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(host_of("https://User@WWW.Example.org:8080/a?b"), "www.example.org");
        assert_eq!(host_of("http://città.it"), "città.it");
        assert_eq!(host_of("http://[::1]:80/x"), "[::1]");
        assert_eq!(host_of("not a url"), "");
        assert_eq!(host_of("WWW.example.com"), "www.example.com");
        assert_eq!(host_of("example.com/page"), "");
        assert_eq!(host_color("a.example"), host_color("a.example"));
    }

    #[test]
    fn escaping_keeps_what_xml_allows() {
        assert_eq!(escape_xml("plain città"), "plain città");
        assert_eq!(
            escape_xml("a&b<c>\"d\"'e'"),
            "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;"
        );
        assert_eq!(escape_xml("x\u{1}\u{8}y\u{FFFE}]]>"), "xy]]&gt;");
        assert_eq!(escape_xml("tab\there"), "tab&#9;here");
        assert_eq!(xml_safe("x\u{1}y\tz"), "xy\tz");
    }
}
