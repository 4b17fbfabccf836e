//! Joins node names (`--names`) with the graph's integer ids: every listed id becomes a node,
//! every node must have a name, and the dense node table turns into a [`Named`] one so that
//! every output shows the names.
//!
//! The join costs two sorts of the ids at most and no hash map: the names' ids are sorted
//! (Common Crawl's already are: then nothing moves), declared to the collector, and after
//! the collector has numbered the ids densely (ascending), dense node `i` is the `i`-th
//! smallest listed id, so the names fall into place by one permutation.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::EdgeCollector;
use super::collect::{DenseEdges, unpack};
use super::ids::{Named, NodeTable};
use crate::error::{Error, Result};
use crate::input::names::{NameList, NamesFileReport, NamesLayout};

/// What `--names` gave, for `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NamesReport {
    /// How the files gave ids: `id-name` or `node-order`.
    pub layout: NamesLayout,
    /// Names read (one a node).
    pub names: u64,
    /// Names shown the usual way round (`--names-reversed`).
    pub reversed: bool,
    /// Extra columns kept (shown in `top.tsv` and the GEXF).
    pub columns: Vec<String>,
    /// Edges dropped because an end has no name (with `--skip-bad-lines`).
    pub unnamed_edges_skipped: u64,
    /// Each names file.
    pub files: Vec<NamesFileReport>,
}

/// The ids names make nodes: `0..count`, or the listed ids, ascending.
pub(crate) enum Declared {
    /// Ids `0..count`.
    Count(u64),
    /// These ids, ascending.
    Ids(Vec<u64>),
}

/// Names read and sorted by id, waiting for the edges.
pub(crate) struct PendingNames {
    list: NameList,
    /// The listed ids, ascending (empty in node order).
    sorted: Vec<u64>,
    /// `order[i]`: the file position of the `i`-th smallest id; `None` when the files
    /// list the ids ascending already.
    order: Option<Vec<u32>>,
    reversed: bool,
}

impl PendingNames {
    /// Sorts the names by id and refuses duplicate ids.
    pub(crate) fn new(list: NameList, reversed: bool) -> Result<PendingNames> {
        if list.len() >= u32::MAX as usize {
            return Err(Error::Input(format!(
                "--names: {} names; crawlrank numbers nodes with 32 bits",
                list.len()
            )));
        }
        let (sorted, order) = match list.layout {
            NamesLayout::NodeOrder => (Vec::new(), None),
            NamesLayout::IdName if list.ids.windows(2).all(|w| w[0] < w[1]) => (Vec::new(), None),
            NamesLayout::IdName => {
                let mut order: Vec<u32> = (0..list.ids.len() as u32).collect();
                order.par_sort_unstable_by_key(|&i| (list.ids[i as usize], i));
                let sorted: Vec<u64> = order.par_iter().map(|&i| list.ids[i as usize]).collect();
                if let Some(w) = order
                    .windows(2)
                    .find(|w| list.ids[w[0] as usize] == list.ids[w[1] as usize])
                {
                    return Err(duplicate(&list, w[0] as usize, w[1] as usize));
                }
                (sorted, Some(order))
            }
        };
        if let Some((a, b)) = same_name(&list) {
            let id = |i: usize| match list.layout {
                NamesLayout::IdName => list.ids[i].to_string(),
                NamesLayout::NodeOrder => format!("node {i}"),
            };
            return Err(Error::Input(format!(
                "--names: `{}` names two nodes ({} and {}); outputs could not tell them apart",
                String::from_utf8_lossy(list.names.get(a)),
                id(a),
                id(b)
            )));
        }
        Ok(PendingNames {
            list,
            sorted,
            order,
            reversed,
        })
    }

    /// Makes every listed id a node. `bvgraph_nodes` is the node count a BVGraph among the
    /// inputs declared (0 without one): names in node order must name exactly its nodes.
    pub(crate) fn declare(&mut self, collector: &mut EdgeCollector, bvgraph_nodes: u64) -> Result<()> {
        match self.declared(bvgraph_nodes)? {
            Declared::Count(n) => collector.declare_count(n),
            Declared::Ids(ids) => collector.declare_ids(ids),
        }
        Ok(())
    }

    /// The ids the names make nodes, checked against a BVGraph's node count as for
    /// [`declare`](Self::declare).
    pub(crate) fn declared(&mut self, bvgraph_nodes: u64) -> Result<Declared> {
        Ok(match self.list.layout {
            NamesLayout::NodeOrder => {
                let n = self.list.len() as u64;
                if bvgraph_nodes > 0 && n != bvgraph_nodes {
                    return Err(Error::Input(format!(
                        "--names {}: {n} names in node order, but the BVGraph has {bvgraph_nodes} nodes; \
                         is this the graph's names file?",
                        self.files()
                    )));
                }
                Declared::Count(n)
            }
            NamesLayout::IdName if bvgraph_nodes > 0 && self.max_id().is_some_and(|m| m >= bvgraph_nodes) => {
                return Err(Error::Input(format!(
                    "--names {}: id {} is listed, but the BVGraph's nodes are 0..{}; is this the graph's names file?",
                    self.files(),
                    self.max_id().unwrap_or_default(),
                    bvgraph_nodes - 1
                )));
            }
            NamesLayout::IdName => match (&self.order, self.list.ids.last()) {
                // Listed ascending from 0 without a gap (Common Crawl's): a count says it all.
                (None, Some(&last)) if last + 1 == self.list.ids.len() as u64 => Declared::Count(last + 1),
                (None, _) => Declared::Ids(self.list.ids.clone()),
                (Some(_), _) => Declared::Ids(std::mem::take(&mut self.sorted)),
            },
        })
    }

    /// How many ids the names files list.
    pub(crate) fn listed(&self) -> usize {
        self.list.len()
    }

    /// Bytes the names hold while they wait for the edges.
    pub(crate) fn heap_bytes(&self) -> usize {
        let list = &self.list;
        list.ids.capacity() * 8
            + list.names.heap_bytes()
            + list.extra.as_ref().map_or(0, |e| e.heap_bytes())
            + self.sorted.capacity() * 8
            + self.order.as_ref().map_or(0, |o| o.capacity() * 4)
    }

    /// Whether the names files list `id` (after [`declared`](Self::declared)).
    pub(crate) fn is_listed(&self, id: u64) -> bool {
        match self.list.layout {
            NamesLayout::NodeOrder => id < self.list.len() as u64,
            NamesLayout::IdName => self.sorted_id_exists(id),
        }
    }

    /// The error for edges that name ids no names file lists: `count` of them, the first
    /// `examples`, and `edge` (an example edge, or empty).
    pub(crate) fn unnamed(&self, count: usize, examples: &[String], edge: &str) -> Error {
        Error::Input(format!(
            "the edges name {count} node id{} that no names file lists: {}{}{edge}; every node needs a name \
             in --names {} (or --skip-bad-lines drops those edges, counted in summary.json)",
            if count == 1 { "" } else { "s" },
            examples.join(", "),
            if count > examples.len() { ", …" } else { "" },
            self.files()
        ))
    }

    /// The largest listed id (id-and-name layout).
    pub(crate) fn max_id(&self) -> Option<u64> {
        match &self.order {
            Some(_) => self.sorted.last().copied(),
            None => self.list.ids.last().copied(),
        }
    }

    fn files(&self) -> String {
        let names: Vec<&str> = self.list.files.iter().map(|f| f.path.as_str()).collect();
        names.join(", ")
    }

    /// Checks that every node has a name (dropping the edges of those without one when
    /// `skip`), and names the node table.
    pub(crate) fn attach(self, dense: DenseEdges, skip: bool) -> Result<(DenseEdges, NamesReport)> {
        let DenseEdges {
            nodes,
            mut keys,
            mut weights,
        } = dense;
        let NodeTable::Int(mut table) = nodes else {
            return Err(Error::Input(
                "--names needs integer node ids in the edges (the ids the names files list)".to_string(),
            ));
        };
        let listed_count = self.list.len();
        let mut skipped = 0u64;
        if table.len() != listed_count {
            // Every listed id is in `table`; the others are ids that only edges name.
            let unnamed: Vec<bool> = table.par_iter().map(|&id| !self.is_listed(id)).collect();
            let count = unnamed.iter().filter(|&&u| u).count();
            if !skip {
                let examples: Vec<String> = table
                    .iter()
                    .zip(&unnamed)
                    .filter(|(_, u)| **u)
                    .take(5)
                    .map(|(id, _)| id.to_string())
                    .collect();
                let first = unnamed.iter().position(|&u| u).expect("some node is unnamed") as u32;
                let edge = keys
                    .iter()
                    .map(|&k| unpack(k))
                    .find(|&(s, t)| s == first || t == first)
                    .map(|(s, t)| format!(" (for example the edge {} -> {})", table[s as usize], table[t as usize]))
                    .unwrap_or_default();
                return Err(self.unnamed(count, &examples, &edge));
            }
            // Drop the edges with an unnamed end, and number the named nodes again.
            let mut new_of_old = vec![u32::MAX; table.len()];
            let mut next = 0u32;
            for (old, slot) in new_of_old.iter_mut().enumerate() {
                if !unnamed[old] {
                    *slot = next;
                    next += 1;
                }
            }
            let keep: Vec<bool> = keys
                .par_iter()
                .map(|&k| {
                    let (s, t) = unpack(k);
                    !unnamed[s as usize] && !unnamed[t as usize]
                })
                .collect();
            skipped = keep.iter().filter(|&&k| !k).count() as u64;
            if let Some(w) = &mut weights {
                let mut i = 0;
                w.retain(|_| {
                    i += 1;
                    keep[i - 1]
                });
            }
            let mut i = 0;
            keys.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            keys.par_iter_mut().for_each(|k| {
                let (s, t) = unpack(*k);
                *k = super::collect::pack(new_of_old[s as usize], new_of_old[t as usize]);
            });
            let mut i = 0;
            table.retain(|_| {
                i += 1;
                !unnamed[i - 1]
            });
        }
        debug_assert_eq!(table.len(), listed_count);
        let (nodes, report) = self.name_table(table, skipped);
        Ok((DenseEdges { nodes, keys, weights }, report))
    }

    /// The node table naming `table`'s ids (every listed id, ascending), and the report;
    /// `skipped` edges were dropped for an unnamed end.
    pub(crate) fn name_table(self, table: Vec<u64>, skipped: u64) -> (NodeTable, NamesReport) {
        let listed_count = self.list.len();
        let PendingNames {
            list, order, reversed, ..
        } = self;
        let (names, extra) = match &order {
            Some(order) => (
                list.names.permuted(order),
                list.extra.as_ref().map(|e| e.permuted(order)),
            ),
            None => (list.names, list.extra),
        };
        // Common Crawl's ids are 0..n: no table needed to map them back.
        let identity = table.iter().enumerate().all(|(i, &id)| id == i as u64) && table.len() <= u32::MAX as usize;
        let ids = if identity {
            NodeTable::Dense(table.len() as u32)
        } else {
            NodeTable::Int(table)
        };
        let mut named = Named::new(ids, names);
        named.extra = extra;
        named.columns = list.columns.clone();
        named.integer_columns = list.integer_columns.clone();
        let report = NamesReport {
            layout: list.layout,
            names: listed_count as u64,
            reversed,
            columns: list.columns,
            unnamed_edges_skipped: skipped,
            files: list.files,
        };
        (NodeTable::Named(Box::new(named)), report)
    }

    fn sorted_id_exists(&self, id: u64) -> bool {
        match &self.order {
            // The sorted ids went to the collector; find the id among the file's ids.
            Some(order) => order.binary_search_by_key(&id, |&i| self.list.ids[i as usize]).is_ok(),
            None => self.list.ids.binary_search(&id).is_ok(),
        }
    }
}

/// Two positions holding the same name, if any: names hashed in parallel, the hashes sorted,
/// equal neighbours compared (8 bytes a name for a moment, no hash map).
fn same_name(list: &NameList) -> Option<(usize, usize)> {
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::FixedState::with_seed(0x4e41_4d45);
    let hash = |i: usize| hasher.hash_one(list.names.get(i));
    let mut hashes: Vec<u64> = (0..list.len()).into_par_iter().map(hash).collect();
    hashes.par_sort_unstable();
    let mut repeated: Vec<u64> = hashes.par_windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    drop(hashes);
    repeated.dedup();
    if repeated.is_empty() {
        return None;
    }
    // Rare: the names whose hash repeats, compared for real.
    let mut suspects: Vec<(u64, usize)> = (0..list.len())
        .into_par_iter()
        .map(|i| (hash(i), i))
        .filter(|(h, _)| repeated.binary_search(h).is_ok())
        .collect();
    suspects.sort_unstable();
    let mut first: Option<(usize, usize)> = None;
    for (k, &(h, a)) in suspects.iter().enumerate() {
        for &(g, b) in &suspects[k + 1..] {
            if g != h {
                break;
            }
            if list.names.get(a) == list.names.get(b) && first.is_none_or(|(x, _)| a < x) {
                first = Some((a, b));
            }
        }
    }
    first
}

/// The error for an id listed twice: the two names and the files they are in.
fn duplicate(list: &NameList, a: usize, b: usize) -> Error {
    let file_of = |i: usize| {
        let mut start = 0u64;
        for f in &list.files {
            if (i as u64) < start + f.names {
                return format!("{} (name {} of the file)", f.path, i as u64 - start + 1);
            }
            start += f.names;
        }
        "?".to_string()
    };
    let (a, b) = (a.min(b), a.max(b));
    Error::Input(format!(
        "--names: id {} is listed twice: `{}` in {} and `{}` in {}; every id needs one name",
        list.ids[a],
        String::from_utf8_lossy(list.names.get(a)),
        file_of(a),
        String::from_utf8_lossy(list.names.get(b)),
        file_of(b)
    ))
}
