//! Ranks edges a program already holds, with the library alone: a synthetic web of 2,000
//! pages as `(u32, u32)` pairs, ranked with PageRank's defaults, top 5 printed as
//! `id<TAB>rank`.
//!
//! ```sh
//! cargo run --release --example rank_edges
//! cargo run --release --example rank_edges -- --edges web.tsv   # also write the edges
//! crawlrank rank web.tsv                                         # the same graph, same ranks
//! ```

use std::error::Error;
use std::io::Write;

use crawlrank::prelude::*;

/// A web of `pages` pages with skewed in-degrees: page `u` links to `u / 2` (so low pages
/// gather links), to `(7u + 3) mod pages`, and every fifth page to `u² mod 97`; every
/// eleventh page of the first half has no links (dangling). Every page has an edge, so an
/// edge list of these pairs holds every node of the graph (a dense graph's node without
/// edges, which a file cannot mention, would be a node here and not there).
fn web(pages: u32) -> Vec<(u32, u32)> {
    let mut edges = Vec::new();
    for u in 0..pages {
        if u % 11 == 0 && u < pages / 2 {
            continue;
        }
        edges.push((u, u / 2));
        edges.push((u, (7 * u + 3) % pages));
        if u % 5 == 0 {
            edges.push((u, u * u % 97));
        }
    }
    edges
}

fn main() -> Result<(), Box<dyn Error>> {
    let edges = web(2000);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice()
        && flag == "--edges"
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (s, t) in &edges {
            writeln!(out, "{s}\t{t}")?;
        }
        out.flush()?;
    }
    let graph = Graph::from_edges(edges.iter().copied())?;
    let ranking = PageRank::new().run(&graph)?;
    eprintln!(
        "{} nodes, {} edges; {} iterations, converged: {}",
        graph.node_count(),
        graph.edge_count(),
        ranking.iterations().len(),
        ranking.converged()
    );
    for (node, rank) in ranking.top(5) {
        println!("{node}\t{rank}");
    }
    Ok(())
}
