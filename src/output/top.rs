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
            in_degree: ranked.graph.in_degree[v as usize],
            out_degree: ranked.graph.out_degree[v as usize],
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
