//! Collects parsed edges and turns the user's ids into dense ids.
//!
//! While reading, integer ids are kept as they are (8 bytes an edge while every id fits in 32
//! bits, 16 bytes otherwise) and strings are interned. When reading ends, ids are renumbered
//! densely, by sorting and deduplicating in parallel (or through a lookup table when the ids
//! are dense enough), never through a global hash map of integers.

use rayon::prelude::*;

use super::ids::{IdMode, Interner, NodeTable};
use crate::error::{Error, Result};
use crate::input::EdgeSink;
use crate::input::text::{IntegerBatch, not_an_integer, parse_id, parse_u64};

const LOW: u64 = u32::MAX as u64;

/// Packs a dense edge into one sortable key: source in the high half.
#[inline]
pub(crate) fn pack(source: u32, target: u32) -> u64 {
    ((source as u64) << 32) | target as u64
}

/// Unpacks a key made by [`pack`].
#[inline]
pub(crate) fn unpack(key: u64) -> (u32, u32) {
    ((key >> 32) as u32, (key & LOW) as u32)
}

enum Edges {
    /// Nothing read yet (auto mode has not decided).
    Empty,
    /// Integer ids that all fit in 32 bits, packed as [`pack`] does.
    Narrow(Vec<u64>),
    /// Integer ids, some above 32 bits.
    Wide(Vec<(u64, u64)>),
    /// String ids, interned; keys pack the interned numbers.
    Text { interner: Interner, keys: Vec<u64> },
}

/// An [`EdgeSink`] that keeps every edge for the graph builder.
pub(crate) struct EdgeCollector {
    mode: IdMode,
    edges: Edges,
    weights: Option<Vec<f64>>,
    /// Integer ids `0..declared` are nodes even when no edge names them (a BVGraph's
    /// isolated nodes).
    declared: u64,
    /// More integer ids that are nodes whatever the edges say, sorted and distinct (the ids
    /// of a names file).
    listed: Vec<u64>,
}

/// Edges with dense ids, ready to be sharded.
pub(crate) struct DenseEdges {
    /// The user's ids.
    pub nodes: NodeTable,
    /// One [`pack`]ed key an edge, in input order.
    pub keys: Vec<u64>,
    /// One weight an edge, when the graph is weighted.
    pub weights: Option<Vec<f64>>,
}

impl EdgeCollector {
    /// A collector reading ids as `mode` says, keeping weights when `weighted`.
    pub(crate) fn new(mode: IdMode, weighted: bool) -> Self {
        let edges = match mode {
            IdMode::Auto => Edges::Empty,
            IdMode::Int => Edges::Narrow(Vec::new()),
            IdMode::String => Edges::Text {
                interner: Interner::default(),
                keys: Vec::new(),
            },
        };
        EdgeCollector {
            mode,
            edges,
            weights: weighted.then(Vec::new),
            declared: 0,
            listed: Vec::new(),
        }
    }

    /// The node count a BVGraph declared (`0..count` are nodes), 0 without one.
    pub(crate) fn declared_nodes(&self) -> u64 {
        self.declared
    }

    /// Makes the ids `0..count` nodes, whether or not an edge names them.
    pub(crate) fn declare_count(&mut self, count: u64) {
        self.declared = self.declared.max(count);
    }

    /// Makes every id of `ids` (sorted, distinct) a node, whether or not an edge names it.
    pub(crate) fn declare_ids(&mut self, ids: Vec<u64>) {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        match ids.last() {
            Some(&last) if last + 1 == ids.len() as u64 => self.declared = self.declared.max(last + 1),
            Some(_) => self.listed = ids,
            None => {}
        }
    }

    /// Edges collected so far.
    pub(crate) fn len(&self) -> usize {
        match &self.edges {
            Edges::Empty => 0,
            Edges::Narrow(k) => k.len(),
            Edges::Wide(k) => k.len(),
            Edges::Text { keys, .. } => keys.len(),
        }
    }

    /// True when no edge was collected.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Renumbers the ids densely.
    pub(crate) fn finish(self) -> Result<DenseEdges> {
        let (nodes, keys) = match self.edges {
            Edges::Empty => (NodeTable::Int(Vec::new()), Vec::new()),
            Edges::Narrow(keys) if self.listed.last().is_some_and(|&id| id > LOW) => {
                let pairs = keys.iter().map(|&k| (k >> 32, k & LOW)).collect();
                let (table, keys) = remap_wide(pairs, self.declared, &self.listed)?;
                (NodeTable::Int(table), keys)
            }
            Edges::Narrow(mut keys) => {
                let table = remap_narrow(&mut keys, self.declared, &self.listed);
                (NodeTable::Int(table), keys)
            }
            Edges::Wide(pairs) => {
                let (table, keys) = remap_wide(pairs, self.declared, &self.listed)?;
                (NodeTable::Int(table), keys)
            }
            Edges::Text { interner, mut keys } => {
                let (table, new_of_old) = interner.into_sorted();
                keys.par_iter_mut().for_each(|k| {
                    let (s, t) = unpack(*k);
                    *k = pack(new_of_old[s as usize], new_of_old[t as usize]);
                });
                (NodeTable::String(table), keys)
            }
        };
        Ok(DenseEdges {
            nodes,
            keys,
            weights: self.weights,
        })
    }

    /// Switches integer ids to strings (auto mode met a non-integer id).
    fn switch_to_strings(&mut self) -> Result<(), String> {
        let mut interner = Interner::default();
        let mut intern_int = |v: u64| {
            interner
                .intern(itoa::Buffer::new().format(v).as_bytes())
                .ok_or_else(too_many)
        };
        // Declared nodes keep their place: interned first, as the integers they are.
        if !matches!(self.edges, Edges::Text { .. }) {
            for id in 0..std::mem::take(&mut self.declared) {
                intern_int(id)?;
            }
        }
        let keys = match std::mem::replace(&mut self.edges, Edges::Empty) {
            Edges::Empty => Vec::new(),
            Edges::Narrow(keys) => keys
                .into_iter()
                .map(|k| Ok(pack(intern_int(k >> 32)?, intern_int(k & LOW)?)))
                .collect::<Result<_, String>>()?,
            Edges::Wide(pairs) => pairs
                .into_iter()
                .map(|(s, t)| Ok(pack(intern_int(s)?, intern_int(t)?)))
                .collect::<Result<_, String>>()?,
            text @ Edges::Text { .. } => {
                self.edges = text;
                return Ok(());
            }
        };
        self.edges = Edges::Text { interner, keys };
        Ok(())
    }
}

fn too_many() -> String {
    format!(
        "more than {} distinct nodes; crawlrank numbers nodes with 32 bits",
        u32::MAX - 1
    )
}

impl EdgeSink for EdgeCollector {
    fn integer_batches(&self) -> Option<bool> {
        match (&self.edges, self.mode) {
            (_, IdMode::String) | (Edges::Text { .. }, _) => None,
            (_, mode) => Some(mode == IdMode::Int),
        }
    }

    fn integer_edges(&mut self, batch: IntegerBatch<'_>, weights: &[f64]) {
        if let Edges::Empty = self.edges {
            self.edges = Edges::Narrow(Vec::new());
        }
        match (&mut self.edges, batch) {
            (Edges::Narrow(keys), IntegerBatch::Packed(packed)) => keys.extend_from_slice(packed),
            (Edges::Narrow(keys), IntegerBatch::Pairs(pairs)) => {
                let mut wide: Vec<(u64, u64)> = keys.iter().map(|&k| (k >> 32, k & LOW)).collect();
                wide.extend_from_slice(pairs);
                self.edges = Edges::Wide(wide);
            }
            (Edges::Wide(wide), IntegerBatch::Packed(packed)) => {
                wide.extend(packed.iter().map(|&k| (k >> 32, k & LOW)));
            }
            (Edges::Wide(wide), IntegerBatch::Pairs(pairs)) => wide.extend_from_slice(pairs),
            _ => unreachable!("integer batches are only offered before strings appear"),
        }
        if let Some(w) = &mut self.weights {
            w.extend_from_slice(weights);
        }
    }

    fn integer_nodes(&mut self, count: u64) {
        if let Edges::Empty = self.edges {
            self.edges = Edges::Narrow(Vec::new());
        }
        self.declared = self.declared.max(count);
    }

    #[inline]
    fn edge(&mut self, source: &[u8], target: &[u8], weight: Option<f64>) -> Result<(), String> {
        loop {
            match &mut self.edges {
                Edges::Text { interner, keys } => {
                    let s = interner.intern(source).ok_or_else(too_many)?;
                    let t = interner.intern(target).ok_or_else(too_many)?;
                    keys.push(pack(s, t));
                    break;
                }
                // With --ids auto an integer must read back as it was written (`007` is text).
                edges => match (
                    parse_id(source, self.mode != IdMode::Int),
                    parse_id(target, self.mode != IdMode::Int),
                ) {
                    (Some(s), Some(t)) => {
                        match edges {
                            Edges::Narrow(keys) if s <= LOW && t <= LOW => keys.push((s << 32) | t),
                            Edges::Narrow(keys) => {
                                let mut wide: Vec<(u64, u64)> = keys.iter().map(|&k| (k >> 32, k & LOW)).collect();
                                wide.push((s, t));
                                *edges = Edges::Wide(wide);
                            }
                            Edges::Wide(pairs) => pairs.push((s, t)),
                            Edges::Empty => *edges = Edges::Narrow(Vec::new()),
                            Edges::Text { .. } => unreachable!("handled above"),
                        }
                        if matches!(self.edges, Edges::Narrow(ref k) if k.is_empty()) {
                            continue; // the first edge of auto mode: now stored as integers
                        }
                        break;
                    }
                    _ if self.mode == IdMode::Int => {
                        let bad = if parse_u64(source).is_none() { source } else { target };
                        return Err(not_an_integer(bad));
                    }
                    _ => self.switch_to_strings()?,
                },
            }
        }
        if let Some(weights) = &mut self.weights {
            weights.push(weight.unwrap_or(1.0));
        }
        Ok(())
    }
}

/// Renumbers 32-bit ids in place, with the ids `0..declared` and those `listed` (all 32-bit)
/// among them whether or not an edge names them; returns the sorted distinct ids.
fn remap_narrow(keys: &mut [u64], declared: u64, listed: &[u64]) -> Vec<u64> {
    let max = keys
        .par_iter()
        .map(|&k| (k >> 32).max(k & LOW))
        .max()
        .max(listed.last().copied());
    if declared > 0 && listed.is_empty() && max.is_none_or(|m| m < declared) {
        // Every id is a declared one (a BVGraph alone): the numbering is the identity.
        return (0..declared).collect();
    }
    let max = max.unwrap_or(0).max(declared.saturating_sub(1)) as usize;
    if max <= 2 * keys.len() + declared as usize + listed.len() + (1 << 20) {
        // Dense enough: a lookup table no larger than the edges themselves.
        let seen: Vec<std::sync::atomic::AtomicBool> = (0..=max)
            .map(|raw| std::sync::atomic::AtomicBool::new((raw as u64) < declared))
            .collect();
        listed
            .par_iter()
            .for_each(|&id| seen[id as usize].store(true, std::sync::atomic::Ordering::Relaxed));
        keys.par_iter().for_each(|&k| {
            seen[(k >> 32) as usize].store(true, std::sync::atomic::Ordering::Relaxed);
            seen[(k & LOW) as usize].store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut dense = vec![u32::MAX; max + 1];
        let mut table = Vec::new();
        for (raw, slot) in dense.iter_mut().enumerate() {
            if seen[raw].load(std::sync::atomic::Ordering::Relaxed) {
                *slot = table.len() as u32;
                table.push(raw as u64);
            }
        }
        drop(seen);
        keys.par_iter_mut()
            .for_each(|k| *k = pack(dense[(*k >> 32) as usize], dense[(*k & LOW) as usize]));
        table
    } else {
        let mut ids: Vec<u32> = keys
            .par_iter()
            .flat_map_iter(|&k| [(k >> 32) as u32, k as u32])
            .chain((0..declared as u32).into_par_iter())
            .chain(listed.par_iter().map(|&id| id as u32))
            .collect();
        ids.par_sort_unstable();
        ids.dedup();
        let find = |v: u32| ids.binary_search(&v).expect("every id is in the table") as u32;
        keys.par_iter_mut()
            .for_each(|k| *k = pack(find((*k >> 32) as u32), find(*k as u32)));
        ids.into_iter().map(u64::from).collect()
    }
}

/// Renumbers 64-bit ids, with `0..declared` and `listed` among them; returns the sorted
/// distinct ids and the packed keys.
fn remap_wide(pairs: Vec<(u64, u64)>, declared: u64, listed: &[u64]) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut ids: Vec<u64> = pairs
        .par_iter()
        .flat_map_iter(|&(s, t)| [s, t])
        .chain((0..declared).into_par_iter())
        .chain(listed.par_iter().copied())
        .collect();
    ids.par_sort_unstable();
    ids.dedup();
    if ids.len() >= u32::MAX as usize {
        return Err(Error::Input(too_many()));
    }
    let find = |v: u64| ids.binary_search(&v).expect("every id is in the table") as u32;
    let keys = pairs.par_iter().map(|&(s, t)| pack(find(s), find(t))).collect();
    Ok((ids, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(mode: IdMode, edges: &[(&str, &str)]) -> Result<DenseEdges, String> {
        let mut c = EdgeCollector::new(mode, false);
        for (s, t) in edges {
            c.edge(s.as_bytes(), t.as_bytes(), None)?;
        }
        Ok(c.finish().unwrap())
    }

    fn labelled(d: &DenseEdges) -> Vec<(String, String)> {
        d.keys
            .iter()
            .map(|&k| {
                let (s, t) = unpack(k);
                (d.nodes.label(s), d.nodes.label(t))
            })
            .collect()
    }

    #[test]
    fn integer_ids_are_numbered_by_value() {
        let d = collect(IdMode::Auto, &[("30", "10"), ("10", "20")]).unwrap();
        assert!(matches!(&d.nodes, NodeTable::Int(ids) if ids == &[10, 20, 30]));
        assert_eq!(d.keys, vec![pack(2, 0), pack(0, 1)]);
    }

    #[test]
    fn sparse_and_huge_ids_survive() {
        let big = u64::MAX.to_string();
        let edges = [("5", "4000000000"), ("4000000000", big.as_str()), (big.as_str(), "5")];
        let d = collect(IdMode::Int, &edges).unwrap();
        let expected: Vec<(String, String)> = edges.iter().map(|(s, t)| (s.to_string(), t.to_string())).collect();
        assert_eq!(labelled(&d), expected);
        // Sparse 32-bit ids take the sort path.
        let d = collect(IdMode::Int, &[("4000000", "7"), ("7", "3999999999")]).unwrap();
        assert_eq!(
            labelled(&d),
            vec![("4000000".into(), "7".into()), ("7".into(), "3999999999".into())]
        );
    }

    #[test]
    fn auto_switches_to_strings_and_int_mode_refuses() {
        let d = collect(IdMode::Auto, &[("1", "2"), ("2", "http://a/"), ("007", "1")]).unwrap();
        assert_eq!(
            labelled(&d),
            vec![
                ("1".into(), "2".into()),
                ("2".into(), "http://a/".into()),
                ("007".into(), "1".into())
            ]
        );
        let err = collect(IdMode::Int, &[("1", "2"), ("2", "x")]).err().unwrap();
        assert!(err.contains("\"x\" is not an unsigned 64-bit integer"), "{err}");
    }

    #[test]
    fn auto_keeps_ids_with_leading_zeros_as_written() {
        // Read as integers first, `007` would have become 7 and `00123` 123 when `+7` made
        // the ids text, and `00123` two nodes.
        let d = collect(IdMode::Auto, &[("00123", "007"), ("+7", "00123"), ("7", "0")]).unwrap();
        assert_eq!(
            labelled(&d),
            vec![
                ("00123".into(), "007".into()),
                ("+7".into(), "00123".into()),
                ("7".into(), "0".into())
            ]
        );
        assert_eq!(d.nodes.len(), 5);
        // All integers without leading zeros stay integers; a lone 0 is one.
        let d = collect(IdMode::Auto, &[("0", "10"), ("10", "2")]).unwrap();
        assert!(matches!(&d.nodes, NodeTable::Int(_)));
        // --ids int reads the numbers: 007 is 7.
        let d = collect(IdMode::Int, &[("007", "1"), ("7", "1")]).unwrap();
        assert_eq!(d.nodes.len(), 2);
    }

    #[test]
    fn declared_nodes_are_nodes_without_edges() {
        // A BVGraph alone: the identity.
        let mut c = EdgeCollector::new(IdMode::Auto, false);
        c.integer_nodes(6);
        c.integer_edges(IntegerBatch::Packed(&[pack(0, 1), pack(4, 0)]), &[]);
        let d = c.finish().unwrap();
        assert!(matches!(&d.nodes, NodeTable::Int(ids) if ids == &[0, 1, 2, 3, 4, 5]));
        assert_eq!(d.keys, vec![pack(0, 1), pack(4, 0)]);
        // With other ids beyond them (another input), sparse and wide.
        for big in ["9", "5000000000"] {
            let mut c = EdgeCollector::new(IdMode::Auto, false);
            c.integer_nodes(3);
            c.edge(b"1", big.as_bytes(), None).unwrap();
            let d = c.finish().unwrap();
            assert_eq!(d.nodes.len(), 4, "{big}");
            assert_eq!(labelled(&d), vec![("1".into(), big.to_string())]);
            assert_eq!(d.nodes.label(2), "2");
        }
        // Auto mode meeting text keeps them, as strings.
        let mut c = EdgeCollector::new(IdMode::Auto, false);
        c.integer_nodes(3);
        c.edge(b"1", b"x", None).unwrap();
        let d = c.finish().unwrap();
        assert_eq!(d.nodes.len(), 4);
    }

    #[test]
    fn string_ids_are_sorted() {
        let d = collect(IdMode::String, &[("b", "a"), ("10", "9")]).unwrap();
        assert_eq!(d.nodes.label(0), "10");
        assert_eq!(labelled(&d), vec![("b".into(), "a".into()), ("10".into(), "9".into())]);
    }

    #[test]
    fn declared_ids_are_nodes_whether_narrow_sparse_or_wide() {
        for listed in [vec![1, 7, 9], vec![7, 3_000_000_000], vec![2, 1 << 40]] {
            let mut c = EdgeCollector::new(IdMode::Int, false);
            c.edge(b"7", b"2", None).unwrap();
            c.declare_ids(listed.clone());
            let d = c.finish().unwrap();
            let NodeTable::Int(ids) = &d.nodes else {
                panic!("integer ids")
            };
            let mut expected: Vec<u64> = listed.iter().copied().chain([2, 7]).collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(ids, &expected);
            assert_eq!(labelled(&d), vec![("7".to_string(), "2".to_string())]);
        }
    }
}
