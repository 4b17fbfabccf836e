//! Ranks a petgraph graph: a small web of named pages on a few hosts in a
//! `petgraph::graph::DiGraph<String, ()>`, top 5 printed as `name<TAB>rank`, the ranks
//! indexed by petgraph's own node ids.
//!
//! ```sh
//! cargo run --release --features petgraph --example petgraph
//! cargo run --release --features petgraph --example petgraph -- --edges web.tsv
//! crawlrank rank web.tsv                       # the same graph: the same top 5
//! ```

use std::error::Error;
use std::io::Write;

use crawlrank::prelude::*;
use petgraph::graph::DiGraph;

fn main() -> Result<(), Box<dyn Error>> {
    // 60 pages on 6 hosts: every page links to its host's front page and to two pages
    // picked by a fixed pseudo-random sequence; front pages also link to every page of
    // their host. `update_edge` adds a link only once.
    let mut web = DiGraph::<String, ()>::new();
    let pages: Vec<_> = (0..60)
        .map(|i| web.add_node(format!("https://site{}.example/page{}", i % 6, i / 6)))
        .collect();
    let mut state = 12345u64;
    let mut pick = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % 60
    };
    for i in 0..60usize {
        let front = pages[i % 6];
        if pages[i] == front {
            for j in (i..60).step_by(6).skip(1) {
                web.update_edge(front, pages[j], ());
            }
        } else {
            web.update_edge(pages[i], front, ());
        }
        for _ in 0..2 {
            let j = pick();
            if j != i {
                web.update_edge(pages[i], pages[j], ());
            }
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice()
        && flag == "--edges"
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for edge in web.raw_edges() {
            writeln!(out, "{}\t{}", web[edge.source()], web[edge.target()])?;
        }
        out.flush()?;
    }
    let ranks = PageRank::new().run_petgraph(&web)?;
    eprintln!(
        "{} pages, {} links; {} iterations, converged: {}",
        web.node_count(),
        web.edge_count(),
        ranks.ranking().iterations().len(),
        ranks.ranking().converged()
    );
    for (page, rank) in ranks.top(5) {
        println!("{}\t{rank}", web[page]);
    }
    Ok(())
}
