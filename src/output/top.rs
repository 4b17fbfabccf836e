//! The top of the ranking: `top.tsv` with position, id, score and degrees.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Exporter, Ranked};
use crate::error::{Error, Result};

/// One row of the top table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopRow {
    /// One-based position in the ranking.
    pub position: usize,
    /// The user's id.
    pub id: String,
    /// The score.
    pub pagerank: f64,
    /// Edges into the node.
    pub in_degree: u32,
    /// Edges out of the node.
    pub out_degree: u32,
}

/// The `k` highest-ranked nodes, best first; ties go to the smaller dense id (the smaller
/// integer id, or the lexicographically smaller string).
pub fn top_nodes(ranked: &Ranked<'_>, k: usize) -> Vec<TopRow> {
    let ranks = ranked.ranks;
    super::Selection::top(ranked, k)
        .nodes
        .into_iter()
        .enumerate()
        .map(|(i, v)| TopRow {
            position: i + 1,
            id: ranked.nodes.label(v),
            pagerank: ranks[v as usize],
            in_degree: ranked.graph.in_degree()[v as usize],
            out_degree: ranked.graph.out_degree()[v as usize],
        })
        .collect()
}

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
        writeln!(out, "position\tid\tpagerank\tin_degree\tout_degree").map_err(io)?;
        let mut number = ryu::Buffer::new();
        for row in top_nodes(ranked, self.k) {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                row.position,
                row.id,
                number.format(row.pagerank),
                row.in_degree,
                row.out_degree
            )
            .map_err(io)?;
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

/// Reads a `top.tsv` written by [`TopTable`].
pub fn read_top(path: &Path) -> Result<Vec<TopRow>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let bad = || {
            Error::parse(
                &name,
                index as u64 + 1,
                "expected position, id, pagerank, in_degree, out_degree",
                line.as_bytes(),
            )
        };
        // The id may itself contain tabs only if the input was comma-separated: take the
        // numbers from both ends.
        if fields.len() < 5 {
            return Err(bad());
        }
        let n = fields.len();
        rows.push(TopRow {
            position: fields[0].parse().map_err(|_| bad())?,
            id: fields[1..n - 3].join("\t"),
            pagerank: fields[n - 3].parse().map_err(|_| bad())?,
            in_degree: fields[n - 2].parse().map_err(|_| bad())?,
            out_degree: fields[n - 1].parse().map_err(|_| bad())?,
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
