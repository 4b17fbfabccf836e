//! Choosing a slice of a ranked graph and finding the edges inside it.
//!
//! Selections are lists of dense node ids in rank order (best first). The induced edges are
//! found in one streaming pass over the shards, with a node-indexed membership array (4 bytes
//! a node); nothing proportional to the whole edge list is allocated.

use rayon::prelude::*;

use super::Ranked;
use crate::error::{Error, Result};

/// Nodes chosen for export, best-ranked first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Dense node ids, in rank order.
    pub nodes: Vec<u32>,
}

/// An edge between two selected nodes, by their positions in the [`Selection`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InducedEdge {
    /// Position of the source in the selection.
    pub source: u32,
    /// Position of the target in the selection.
    pub target: u32,
    /// The edge's weight; with parallel edges (`--multi`), their number (or summed weights).
    pub weight: f64,
}

/// Orders nodes best first: higher rank, then smaller dense id.
fn by_rank(ranks: &[f64]) -> impl Fn(&u32, &u32) -> std::cmp::Ordering + Sync + '_ {
    move |a, b| ranks[*b as usize].total_cmp(&ranks[*a as usize]).then(a.cmp(b))
}

impl Selection {
    /// The `k` best-ranked nodes.
    pub(crate) fn top(ranked: &Ranked<'_>, k: usize) -> Selection {
        Selection {
            nodes: crate::algo::pagerank::top_indices(ranked.ranks, k),
        }
    }

    /// Every node whose rank is at least `min_rank`, best first, at most `max_nodes` of them.
    pub(crate) fn min_rank(ranked: &Ranked<'_>, min_rank: f64, max_nodes: usize) -> Selection {
        let mut nodes: Vec<u32> = (0..ranked.ranks.len() as u32)
            .into_par_iter()
            .filter(|&v| ranked.ranks[v as usize] >= min_rank)
            .collect();
        nodes.par_sort_unstable_by(by_rank(ranked.ranks));
        nodes.truncate(max_nodes);
        Selection { nodes }
    }

    /// The nodes given, in rank order, without repeats.
    pub(crate) fn listed(ranked: &Ranked<'_>, mut nodes: Vec<u32>) -> Selection {
        nodes.sort_unstable();
        nodes.dedup();
        nodes.sort_unstable_by(by_rank(ranked.ranks));
        Selection { nodes }
    }

    /// Adds the direct in- and out-neighbours of the selection, best-ranked first, until the
    /// selection holds `max_nodes` nodes (it is never cut below its current size).
    pub(crate) fn with_neighbors(self, ranked: &Ranked<'_>, max_nodes: usize) -> crate::Result<Selection> {
        let n = ranked.ranks.len();
        let mut chosen = vec![false; n];
        for &v in &self.nodes {
            chosen[v as usize] = true;
        }
        // One pass over the shards marks neighbours; a bit a node.
        let marks: Vec<Vec<u32>> = (0..ranked.graph.shards().len())
            .into_par_iter()
            .map(|s| {
                let shard = ranked.graph.shard(s)?;
                let mut found = Vec::new();
                for (s, t, _) in shard.edges_iter() {
                    if chosen[s as usize] && !chosen[t as usize] {
                        found.push(t);
                    } else if chosen[t as usize] && !chosen[s as usize] {
                        found.push(s);
                    }
                }
                found.sort_unstable();
                found.dedup();
                Ok(found)
            })
            .collect::<crate::Result<_>>()?;
        let mut neighbor = vec![false; n];
        for v in marks.into_iter().flatten() {
            neighbor[v as usize] = true;
        }
        let room = max_nodes.saturating_sub(self.nodes.len());
        let mut extra: Vec<u32> = (0..n as u32).filter(|&v| neighbor[v as usize]).collect();
        let order = by_rank(ranked.ranks);
        if room < extra.len() {
            if room > 0 {
                extra.select_nth_unstable_by(room - 1, &order);
            }
            extra.truncate(room);
        }
        let mut nodes = self.nodes;
        nodes.extend(extra);
        nodes.sort_unstable_by(order);
        Ok(Selection { nodes })
    }

    /// Each node's position in the selection, or `u32::MAX` when it is not selected.
    pub(crate) fn positions(&self, nodes: usize) -> Vec<u32> {
        let mut position = vec![u32::MAX; nodes];
        for (i, &v) in self.nodes.iter().enumerate() {
            position[v as usize] = i as u32;
        }
        position
    }

    /// The number of edges [`visit_induced_edges`](Self::visit_induced_edges) will visit,
    /// counted in parallel.
    pub(crate) fn count_induced_edges(&self, ranked: &Ranked<'_>, positions: &[u32]) -> crate::Result<usize> {
        (0..ranked.graph.shards().len())
            .into_par_iter()
            .map(|s| -> crate::Result<usize> {
                let shard = ranked.graph.shard(s)?;
                Ok(induced_in_shard(&shard, positions).count())
            })
            .sum()
    }

    /// Calls `visit` for every edge whose both ends are selected, in one streaming pass over
    /// the shards (shard order, then destination, then source; a store's shards decoded one
    /// at a time). Parallel edges become one edge whose weight is their count (or their
    /// summed weights). Nothing is collected.
    pub(crate) fn visit_induced_edges<E: From<crate::Error>>(
        &self,
        ranked: &Ranked<'_>,
        positions: &[u32],
        mut visit: impl FnMut(InducedEdge) -> Result<(), E>,
    ) -> Result<(), E> {
        for s in 0..ranked.graph.shards().len() {
            let shard = ranked.graph.shard(s)?;
            for edge in induced_in_shard(&shard, positions) {
                visit(edge)?;
            }
        }
        Ok(())
    }

    #[cfg(test)]
    /// The induced edges as a list (for small selections and tests).
    pub(crate) fn induced_edges(&self, ranked: &Ranked<'_>) -> Vec<InducedEdge> {
        let positions = self.positions(ranked.ranks.len());
        let mut edges = Vec::new();
        self.visit_induced_edges(ranked, &positions, |e| -> crate::Result<()> {
            edges.push(e);
            Ok(())
        })
        .expect("collecting cannot fail");
        edges
    }
}

/// The induced edges of one shard, parallel edges merged (they are adjacent in storage).
fn induced_in_shard<'a>(
    shard: &'a crate::graph::Shard,
    positions: &'a [u32],
) -> impl Iterator<Item = InducedEdge> + 'a {
    let mut inside = shard.edges_iter().filter_map(move |(s, t, w)| {
        let (source, target) = (positions[s as usize], positions[t as usize]);
        (source != u32::MAX && target != u32::MAX).then_some(InducedEdge {
            source,
            target,
            weight: w,
        })
    });
    let mut pending = inside.next();
    std::iter::from_fn(move || {
        let mut current = pending.take()?;
        for next in inside.by_ref() {
            if next.source == current.source && next.target == current.target {
                current.weight += next.weight;
            } else {
                pending = Some(next);
                break;
            }
        }
        Some(current)
    })
}

/// Reads an explicit node list (one id per line, `#` comments) into dense ids.
pub(crate) fn read_node_list(path: &std::path::Path, ranked: &Ranked<'_>) -> Result<Vec<u32>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (_, reader) = crate::input::compression::decode(file).map_err(|e| Error::io(path, e))?;
    let mut nodes = Vec::new();
    for (index, line) in std::io::BufRead::split(reader, b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line).trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let node = ranked
            .nodes
            .lookup(line)
            .ok_or_else(|| Error::parse(&name, index as u64 + 1, "this node is not in the graph", line))?;
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(Error::Input(format!("{name}: the node list names no node")));
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{BuildOptions, NodeTable, build, collect::pack};

    fn graph(edges: &[(u32, u32)], n: u32, multi: bool) -> crate::graph::ShardedGraph {
        let keys = edges.iter().map(|&(s, t)| pack(s, t)).collect();
        build(
            keys,
            None,
            n,
            &BuildOptions {
                multi,
                shards: Some(2),
                ..Default::default()
            },
        )
    }

    #[test]
    fn top_min_rank_and_listed_are_in_rank_order() {
        let g = graph(&[(0, 1)], 5, false);
        let nodes = NodeTable::Int((0..5).collect());
        let ranks = [0.1, 0.4, 0.2, 0.2, 0.1];
        let r = Ranked {
            graph: &g,
            nodes: &nodes,
            ranks: &ranks,
        };
        assert_eq!(Selection::top(&r, 3).nodes, vec![1, 2, 3]);
        assert_eq!(Selection::top(&r, 10).nodes, vec![1, 2, 3, 0, 4]);
        assert_eq!(Selection::min_rank(&r, 0.2, 10).nodes, vec![1, 2, 3]);
        assert_eq!(Selection::min_rank(&r, 0.2, 1).nodes, vec![1]);
        assert_eq!(Selection::listed(&r, vec![4, 1, 4]).nodes, vec![1, 4]);
    }

    #[test]
    fn induced_edges_keep_only_edges_inside_and_count_parallel_ones() {
        let g = graph(&[(0, 1), (0, 1), (1, 2), (2, 0), (3, 0), (1, 1)], 4, true);
        let nodes = NodeTable::Int((0..4).collect());
        let ranks = [0.4, 0.3, 0.2, 0.1];
        let r = Ranked {
            graph: &g,
            nodes: &nodes,
            ranks: &ranks,
        };
        let s = Selection::top(&r, 2); // nodes 0 and 1
        let mut edges: Vec<_> = s
            .induced_edges(&r)
            .iter()
            .map(|e| (e.source, e.target, e.weight))
            .collect();
        edges.sort_by_key(|e| (e.0, e.1));
        assert_eq!(edges, vec![(0, 1, 2.0), (1, 1, 1.0)]);
    }

    #[test]
    fn neighbors_are_added_best_first_up_to_the_cap() {
        // 0 -> 1, 2 -> 0, 3 -> 0; 4 is unrelated.
        let g = graph(&[(0, 1), (2, 0), (3, 0), (4, 4)], 5, false);
        let nodes = NodeTable::Int((0..5).collect());
        let ranks = [0.5, 0.1, 0.15, 0.2, 0.05];
        let r = Ranked {
            graph: &g,
            nodes: &nodes,
            ranks: &ranks,
        };
        let s = Selection::top(&r, 1).with_neighbors(&r, 3).unwrap();
        assert_eq!(s.nodes, vec![0, 3, 2]);
        let s = Selection::top(&r, 1).with_neighbors(&r, 100).unwrap();
        assert_eq!(s.nodes, vec![0, 3, 2, 1]);
    }
}
