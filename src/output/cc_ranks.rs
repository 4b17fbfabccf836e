//! Common Crawl's ranks layout (`--cc-ranks`): `cc-ranks.txt.gz` in the result folder, one
//! line a node, best first, as Common Crawl publishes the ranks of its host and domain
//! graphs (`cc-main-*-host-ranks.txt.gz`), without the harmonic centrality columns crawlrank
//! does not compute:
//!
//! ```text
//! #pr_pos  #pr_val  #host_rev          (tab-separated)
//! 1        0.0123   com.example.www
//! ```
//!
//! `#pr_pos` counts from 1; ties keep the node order (ascending id). `#host_rev` is the name
//! as Common Crawl writes it, reversed (`com.example.www`): names read with
//! `--names-reversed` are turned back, other ids are written as they are. The file is a
//! series of gzip members compressed in parallel, which every gzip reader reads as one file.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::{Exporter, Ranked, tsv};
use crate::error::{Error, Result};

/// The file name in the result folder.
pub const FILE: &str = "cc-ranks.txt.gz";

/// The header line.
pub const HEADER: &str = "#pr_pos\t#pr_val\t#host_rev";

/// Nodes a gzip member holds.
const CHUNK: usize = 1 << 20;

/// Writes [`FILE`].
#[derive(Clone, Copy, Debug)]
pub struct CcRanks {
    /// The names were read with `--names-reversed` (shown the usual way round): write them
    /// reversed again.
    pub reverse: bool,
}

impl Exporter for CcRanks {
    fn export(&self, ranked: &Ranked<'_>, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let io = |e| Error::io(&path, e);
        let ranks = ranked.ranks;
        let mut order: Vec<u32> = (0..ranks.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| ranks[b as usize].total_cmp(&ranks[a as usize]).then(a.cmp(&b)));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        let member = |first: usize, nodes: &[u32]| -> std::io::Result<Vec<u8>> {
            let mut text = Vec::with_capacity(nodes.len() * 40);
            if first == 0 {
                text.extend_from_slice(HEADER.as_bytes());
                text.push(b'\n');
            }
            let (mut number, mut integer) = (ryu::Buffer::new(), itoa::Buffer::new());
            let mut label = Vec::new();
            for (i, &v) in nodes.iter().enumerate() {
                text.extend_from_slice(integer.format(first + i + 1).as_bytes());
                text.push(b'\t');
                text.extend_from_slice(number.format(ranks[v as usize]).as_bytes());
                text.push(b'\t');
                let start = text.len();
                if self.reverse {
                    label.clear();
                    ranked.nodes.write_label(v, &mut label);
                    crate::input::names::unreverse_host(&label, &mut text);
                } else {
                    ranked.nodes.write_label(v, &mut text);
                }
                tsv::quote_from(&mut text, start);
                text.push(b'\n');
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 3), flate2::Compression::fast());
            gz.write_all(&text)?;
            gz.finish()
        };
        // A window of members compressed in parallel, written in order.
        let window = CHUNK * 2 * rayon::current_num_threads().max(1);
        for (w, nodes) in order.chunks(window).enumerate() {
            let members: Vec<Vec<u8>> = nodes
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(c, chunk)| member(w * window + c * CHUNK, chunk))
                .collect::<std::io::Result<_>>()
                .map_err(io)?;
            for m in &members {
                out.write_all(m).map_err(io)?;
            }
        }
        if order.is_empty() {
            out.write_all(&member(0, &[]).map_err(io)?).map_err(io)?;
        }
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    }
}
