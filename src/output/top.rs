//! The top of the ranking: `top.tsv` with position, id, score and degrees.
//!
//! The id is written as in the part files: the user's bytes, quoted CSV-style when it holds a
//! tab, a `"` or a line end (see `tsv`); [`read_top`] gives back the same bytes.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Exporter, Ranked, tsv};
use crate::error::{Error, Result};

/// One row of the top table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopRow {
    /// One-based position in the ranking.
    pub position: usize,
    /// The user's id, byte for byte: an integer id in decimal, a string id as it was read
    /// (not always UTF-8). [`TopRow::label`] is its text for display; serialized, it is that
    /// text too, since JSON must be UTF-8.
    #[serde(serialize_with = "serialize_label")]
    pub id: Vec<u8>,
    /// The score.
    pub pagerank: f64,
    /// Edges into the node.
    pub in_degree: u32,
    /// Edges out of the node.
    pub out_degree: u32,
}

impl TopRow {
    /// The id as text, for display: bytes that are not UTF-8 become U+FFFD, as in the GEXF
    /// file and the report.
    pub fn label(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.id)
    }
}

fn serialize_label<S: serde::Serializer>(id: &[u8], serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(id))
}

/// The `k` highest-ranked nodes, best first; ties go to the smaller dense id (the smaller
/// integer id, or the lexicographically smaller string).
pub fn top_nodes(ranked: &Ranked<'_>, k: usize) -> Vec<TopRow> {
    top_with_nodes(ranked, k).into_iter().map(|(_, row)| row).collect()
}

/// [`top_nodes`] with the dense id of each row.
fn top_with_nodes(ranked: &Ranked<'_>, k: usize) -> Vec<(u32, TopRow)> {
    let ranks = ranked.ranks;
    super::Selection::top(ranked, k)
        .nodes
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let mut id = Vec::new();
            ranked.nodes.write_label(v, &mut id);
            let row = TopRow {
                position: i + 1,
                id,
                pagerank: ranks[v as usize],
                in_degree: ranked.graph.in_degree()[v as usize],
                out_degree: ranked.graph.out_degree()[v as usize],
            };
            (v, row)
        })
        .collect()
}

/// The header line of `top.tsv`.
const HEADER: &str = "position\tid\tpagerank\tin_degree\tout_degree";

/// Writes `top.tsv`: a header, then the top `k` rows.
#[derive(Clone, Copy, Debug)]
pub struct TopTable {
    /// How many rows.
    pub k: usize,
}

impl Exporter for TopTable {
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()> {
        let path = dir.join("top.tsv");
        let io = |e| Error::io(&path, e);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        let named = ranked.nodes.named();
        let columns: &[String] = named.map_or(&[], |n| &n.columns);
        let mut header = HEADER.to_string();
        for c in columns {
            header.push('\t');
            header.push_str(c);
        }
        writeln!(out, "{header}").map_err(io)?;
        let mut number = ryu::Buffer::new();
        let mut integer = itoa::Buffer::new();
        let mut line = Vec::new();
        for (node, row) in top_with_nodes(ranked, self.k) {
            line.clear();
            line.extend_from_slice(integer.format(row.position).as_bytes());
            line.push(b'\t');
            let start = line.len();
            line.extend_from_slice(&row.id);
            tsv::quote_from(&mut line, start);
            line.push(b'\t');
            line.extend_from_slice(number.format(row.pagerank).as_bytes());
            for degree in [row.in_degree, row.out_degree] {
                line.push(b'\t');
                line.extend_from_slice(integer.format(degree).as_bytes());
            }
            if let Some(named) = named.filter(|n| !n.columns.is_empty()) {
                for value in named.extra_values(node) {
                    line.push(b'\t');
                    let start = line.len();
                    line.extend_from_slice(value);
                    tsv::quote_from(&mut line, start);
                }
            }
            line.push(b'\n');
            out.write_all(&line).map_err(io)?;
        }
        out.flush().map_err(io)
    }
}

/// Shortens an id to `max` characters by cutting out the middle; a URL keeps its scheme and
/// host whole, and the cut falls in the path.
pub fn shorten_id(label: &str, max: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max {
        return label.to_string();
    }
    let host_end = label.find("://").map(|s| {
        let after = s + 3;
        label[after..].find(['/', '?', '#']).map_or(label.len(), |i| after + i)
    });
    match host_end {
        Some(end) => {
            let host_chars = label[..end].chars().count();
            let room = max.saturating_sub(host_chars + 1);
            let tail = (room * 2 / 3).max(6.min(chars.len() - host_chars));
            let head = room.saturating_sub(tail);
            let start: String = chars[..host_chars + head].iter().collect();
            let end: String = chars[chars.len() - tail..].iter().collect();
            format!("{start}…{end}")
        }
        None => {
            let head = (max - 1) / 2;
            let tail = max - 1 - head;
            let start: String = chars[..head].iter().collect();
            let end: String = chars[chars.len() - tail..].iter().collect();
            format!("{start}…{end}")
        }
    }
}

/// Reads a `top.tsv` written by [`TopTable`]: quoted ids are unquoted, and every id comes
/// back with the bytes it was written from.
pub fn read_top(path: &Path) -> Result<Vec<TopRow>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = tsv::reader(file, true);
    // Columns after out_degree: the names files' extra columns (`--names`).
    let extra = reader.byte_headers().map_or(0, |h| h.len().saturating_sub(5));
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Error::io(path, e.into())),
        }
        let line = record.position().map_or(0, |p| p.line());
        let bad = || {
            Error::parse(
                &name,
                line,
                "expected position, id, pagerank, in_degree, out_degree",
                &tsv::record_text(&record),
            )
        };
        let number = |i: usize| std::str::from_utf8(&record[i]).ok();
        let Some(id) = tsv::id_field(&record, 1, 3 + extra) else {
            return Err(bad());
        };
        let n = record.len() - extra;
        rows.push(TopRow {
            position: number(0).and_then(|s| s.parse().ok()).ok_or_else(bad)?,
            id: id.into_owned(),
            pagerank: number(n - 3).and_then(|s| s.parse().ok()).ok_or_else(bad)?,
            in_degree: number(n - 2).and_then(|s| s.parse().ok()).ok_or_else(bad)?,
            out_degree: number(n - 1).and_then(|s| s.parse().ok()).ok_or_else(bad)?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shortened_in_the_path_never_in_the_host() {
        let url = "https://www.example.org/a/very/long/path/to/some/page-with-a-long-name.html";
        let short = shorten_id(url, 40);
        assert_eq!(short.chars().count(), 40, "{short}");
        assert!(short.starts_with("https://www.example.org/"), "{short}");
        assert!(short.ends_with("-name.html"), "{short}");
        let long_host = format!("https://{}.example.org/page", "x".repeat(60));
        let short = shorten_id(&long_host, 30);
        assert!(
            short.starts_with(&format!("https://{}.example.org", "x".repeat(60))),
            "{short}"
        );
        assert_eq!(shorten_id("short", 10), "short");
        assert_eq!(shorten_id("1234567890123", 7), "123…123");
    }

    #[test]
    fn plain_ids_lose_their_middle() {
        assert_eq!(shorten_id("abcdefghij", 5), "ab…ij");
        assert_eq!(shorten_id("short", 10), "short");
    }
}
