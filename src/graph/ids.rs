//! Node ids: the user's ids (64-bit integers or strings such as URLs) and the dense `u32` ids
//! the engine uses.
//!
//! Integer ids are numbered in increasing order of value; string ids in byte-wise
//! lexicographic order (URLs of one host end up next to each other, which helps locality).
//! Either way the numbering depends on the set of ids only, not on the order of the input.

use hashbrown::HashTable;
use rayon::prelude::*;
use serde::Serialize;
use std::hash::BuildHasher;

use crate::input::text::parse_u64;

/// How to read node ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum IdMode {
    /// Integers if the first edge's ids are integers; if a later id is not, switch to strings.
    #[default]
    Auto,
    /// Unsigned integers up to 2^64-1; anything else is an error.
    Int,
    /// Any text (URLs, names); `007` and `7` are different nodes.
    String,
}

impl IdMode {
    /// The mode as `--ids` spells it.
    pub fn name(self) -> &'static str {
        match self {
            IdMode::Auto => "auto",
            IdMode::Int => "int",
            IdMode::String => "string",
        }
    }
}

/// Which kind of ids a graph ended up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdKind {
    /// Unsigned 64-bit integers.
    Int,
    /// Strings.
    String,
}

pub(crate) use crate::input::strings::StringTable;

/// Names for the nodes of an integer-id graph (`--names`): what outputs show instead of the
/// ids, with the names files' extra columns.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    /// The ids, as the edges give them.
    pub ids: NodeTable,
    /// The name of each node, by dense id.
    pub names: StringTable,
    /// The extra columns of each node, tab-joined, by dense id.
    pub extra: Option<StringTable>,
    /// The extra columns' names.
    pub columns: Vec<String>,
    /// Whether each extra column holds integers only.
    pub integer_columns: Vec<bool>,
    /// Finds a node by name; made on first use.
    index: std::sync::OnceLock<HashTable<u32>>,
}

impl Named {
    /// Names `ids` (an integer table) with `names` in dense order.
    pub(crate) fn new(ids: NodeTable, names: StringTable) -> Named {
        Named {
            ids,
            names,
            extra: None,
            columns: Vec::new(),
            integer_columns: Vec::new(),
            index: std::sync::OnceLock::new(),
        }
    }

    fn find_name(&self, name: &[u8]) -> Option<u32> {
        let hasher = foldhash::fast::FixedState::with_seed(0x5eed);
        let index = self.index.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.names.len());
            for i in 0..self.names.len() as u32 {
                let hash = hasher.hash_one(self.names.get(i as usize));
                table.insert_unique(hash, i, |&j| hasher.hash_one(self.names.get(j as usize)));
            }
            table
        });
        index
            .find(hasher.hash_one(name), |&i| self.names.get(i as usize) == name)
            .copied()
    }

    /// The extra column values of `node`, one a column.
    pub(crate) fn extra_values(&self, node: u32) -> Vec<&[u8]> {
        let width = self.columns.len();
        let mut values: Vec<&[u8]> = match &self.extra {
            Some(extra) => extra.get(node as usize).split(|&b| b == b'\t').take(width).collect(),
            None => Vec::new(),
        };
        values.resize(width, b"");
        values
    }
}

/// Maps dense ids back to the user's ids.
#[derive(Clone, Debug)]
pub(crate) enum NodeTable {
    /// Integer ids, ascending: dense id `i` is `ids[i]`.
    Int(Vec<u64>),
    /// String ids, in byte-wise ascending order.
    String(StringTable),
    /// Integer ids `0..n` that are the dense ids themselves (a graph made from `u32` edges).
    Dense(u32),
    /// Integer ids shown by the names given for them (`--names`).
    Named(Box<Named>),
}

/// A node as the user names it: an integer id or a string id (a URL, a name).
///
/// Converts from the ids a program holds (`u32`, `u64`, `usize`, `&str`, `&[u8]`), so that
/// lookups read naturally: `ranking.rank_of(42u64)`, `ranking.rank_of("https://a.example/")`.
/// An integer looks up a graph with string ids as its decimal text, and a string looks up a
/// graph with integer ids if it is a decimal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node<'a> {
    /// An integer id.
    Int(u64),
    /// A string id, as bytes (usually UTF-8).
    Text(&'a [u8]),
}

impl Node<'_> {
    /// The integer id, if this node has one.
    pub fn as_int(&self) -> Option<u64> {
        match self {
            Node::Int(v) => Some(*v),
            Node::Text(_) => None,
        }
    }

    /// The string id's bytes, if this node has one.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Node::Int(_) => None,
            Node::Text(t) => Some(t),
        }
    }
}

impl std::fmt::Display for Node<'_> {
    /// The id as text: the integer in decimal, the string with invalid UTF-8 replaced.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Int(v) => write!(f, "{v}"),
            Node::Text(t) => f.write_str(&String::from_utf8_lossy(t)),
        }
    }
}

impl From<u64> for Node<'_> {
    fn from(id: u64) -> Self {
        Node::Int(id)
    }
}

impl From<u32> for Node<'_> {
    fn from(id: u32) -> Self {
        Node::Int(id.into())
    }
}

impl From<usize> for Node<'_> {
    fn from(id: usize) -> Self {
        Node::Int(id as u64)
    }
}

impl<'a> From<&'a str> for Node<'a> {
    fn from(id: &'a str) -> Self {
        Node::Text(id.as_bytes())
    }
}

impl<'a> From<&'a String> for Node<'a> {
    fn from(id: &'a String) -> Self {
        Node::Text(id.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for Node<'a> {
    fn from(id: &'a [u8]) -> Self {
        Node::Text(id)
    }
}

impl NodeTable {
    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        match self {
            NodeTable::Int(ids) => ids.len(),
            NodeTable::String(t) => t.len(),
            NodeTable::Dense(n) => *n as usize,
            NodeTable::Named(named) => named.names.len(),
        }
    }

    /// Bytes the table holds in memory (names and their extra columns included).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            NodeTable::Int(ids) => ids.capacity() * 8,
            NodeTable::String(t) => t.heap_bytes(),
            NodeTable::Dense(_) => 0,
            NodeTable::Named(named) => {
                named.ids.heap_bytes() + named.names.heap_bytes() + named.extra.as_ref().map_or(0, |e| e.heap_bytes())
            }
        }
    }

    /// The kind of ids.
    pub(crate) fn kind(&self) -> IdKind {
        match self {
            NodeTable::Int(_) | NodeTable::Dense(_) => IdKind::Int,
            NodeTable::String(_) | NodeTable::Named(_) => IdKind::String,
        }
    }

    /// Appends the user's id of dense node `node` to `out`.
    #[inline]
    pub(crate) fn write_label(&self, node: u32, out: &mut Vec<u8>) {
        match self {
            NodeTable::Int(ids) => out.extend_from_slice(itoa::Buffer::new().format(ids[node as usize]).as_bytes()),
            NodeTable::String(t) => out.extend_from_slice(t.get(node as usize)),
            NodeTable::Dense(n) => {
                assert!(node < *n, "node {node} of {n}");
                out.extend_from_slice(itoa::Buffer::new().format(node).as_bytes())
            }
            NodeTable::Named(named) => out.extend_from_slice(named.names.get(node as usize)),
        }
    }

    /// The user's id of dense node `node`.
    pub(crate) fn node(&self, node: u32) -> Node<'_> {
        match self {
            NodeTable::Int(ids) => Node::Int(ids[node as usize]),
            NodeTable::String(t) => Node::Text(t.get(node as usize)),
            NodeTable::Dense(n) => {
                assert!(node < *n, "node {node} of {n}");
                Node::Int(node.into())
            }
            NodeTable::Named(named) => Node::Text(named.names.get(node as usize)),
        }
    }

    /// The dense id of the node `id`, if the graph has it (an integer finds a string id
    /// that is its decimal text, and the other way round).
    pub(crate) fn find(&self, id: Node<'_>) -> Option<u32> {
        match id {
            Node::Text(text) => self.lookup(text),
            Node::Int(v) => match self {
                NodeTable::Int(ids) => ids.binary_search(&v).ok().map(|i| i as u32),
                NodeTable::Dense(n) => u32::try_from(v).ok().filter(|&v| v < *n),
                NodeTable::String(_) => self.lookup(itoa::Buffer::new().format(v).as_bytes()),
                // An integer names a node by its id in the edges.
                NodeTable::Named(named) => named.ids.find(Node::Int(v)),
            },
        }
    }

    /// The user's id of dense node `node`, as text.
    pub(crate) fn label(&self, node: u32) -> String {
        let mut out = Vec::new();
        self.write_label(node, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The dense id of the node the user calls `text`, if there is one.
    pub(crate) fn lookup(&self, text: &[u8]) -> Option<u32> {
        match self {
            NodeTable::Int(ids) => ids.binary_search(&parse_u64(text)?).ok().map(|i| i as u32),
            NodeTable::Dense(n) => u32::try_from(parse_u64(text)?).ok().filter(|&v| v < *n),
            NodeTable::String(t) => {
                let (mut lo, mut hi) = (0, t.len());
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match t.get(mid).cmp(text) {
                        std::cmp::Ordering::Less => lo = mid + 1,
                        std::cmp::Ordering::Greater => hi = mid,
                        std::cmp::Ordering::Equal => return Some(mid as u32),
                    }
                }
                None
            }
            NodeTable::Named(named) => named.find_name(text),
        }
    }

    /// The names and extra columns, when the nodes are named.
    pub(crate) fn named(&self) -> Option<&Named> {
        match self {
            NodeTable::Named(named) => Some(named),
            _ => None,
        }
    }
}

/// Gives each distinct string a number, in order of first appearance.
pub(crate) struct Interner {
    strings: StringTable,
    table: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            strings: StringTable::default(),
            table: HashTable::new(),
            hasher: foldhash::fast::FixedState::with_seed(0x5eed),
        }
    }
}

impl Interner {
    /// The number of `s`, new or old. `None` when the `u32` id space is full.
    #[inline]
    pub(crate) fn intern(&mut self, s: &[u8]) -> Option<u32> {
        let Interner { strings, table, hasher } = self;
        let hash = hasher.hash_one(s);
        let entry = table.entry(
            hash,
            |&id| strings.get(id as usize) == s,
            |&id| hasher.hash_one(strings.get(id as usize)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get()),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let id = u32::try_from(strings.len()).ok().filter(|&id| id < u32::MAX)?;
                strings.push(s);
                e.insert(id);
                Some(id)
            }
        }
    }

    /// Sorts the strings; returns the table and, for each old number, the new one.
    pub(crate) fn into_sorted(self) -> (StringTable, Vec<u32>) {
        let Interner { strings, table, .. } = self;
        drop(table);
        let mut order: Vec<u32> = (0..strings.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| strings.get(a as usize).cmp(strings.get(b as usize)));
        let mut new_of_old = vec![0u32; order.len()];
        let mut sorted = StringTable {
            bytes: Vec::with_capacity(strings.bytes.len()),
            ends: Vec::with_capacity(order.len()),
        };
        for (new, &old) in order.iter().enumerate() {
            new_of_old[old as usize] = new as u32;
            sorted.push(strings.get(old as usize));
        }
        (sorted, new_of_old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_numbers_in_first_seen_order_and_sorts() {
        let mut i = Interner::default();
        assert_eq!(i.intern(b"http://b/"), Some(0));
        assert_eq!(i.intern(b"http://a/"), Some(1));
        assert_eq!(i.intern(b"http://b/"), Some(0));
        let (table, new_of_old) = i.into_sorted();
        assert_eq!(new_of_old, vec![1, 0]);
        let nodes = NodeTable::String(table);
        assert_eq!(nodes.label(0), "http://a/");
        assert_eq!(nodes.lookup(b"http://b/"), Some(1));
        assert_eq!(nodes.lookup(b"http://c/"), None);
    }

    #[test]
    fn nodes_are_found_by_either_kind_of_id() {
        let dense = NodeTable::Dense(4);
        assert_eq!(dense.find(Node::Int(3)), Some(3));
        assert_eq!(dense.find(Node::Int(4)), None);
        assert_eq!(dense.find("2".into()), Some(2));
        assert_eq!(dense.node(1), Node::Int(1));
        assert_eq!(dense.label(3), "3");
        let ints = NodeTable::Int(vec![7, 1 << 40]);
        assert_eq!(ints.find(Node::Int(1 << 40)), Some(1));
        assert_eq!(ints.find("7".into()), Some(0));
        let mut i = Interner::default();
        for s in ["10", "b"] {
            i.intern(s.as_bytes());
        }
        let texts = NodeTable::String(i.into_sorted().0);
        assert_eq!(texts.find(Node::Int(10)), Some(0));
        assert_eq!(texts.find("b".into()), Some(1));
        assert_eq!(texts.node(1).to_string(), "b");
    }

    #[test]
    fn int_table_lookup_and_labels() {
        let nodes = NodeTable::Int(vec![3, 10, u64::MAX]);
        assert_eq!(nodes.lookup(b"10"), Some(1));
        assert_eq!(nodes.lookup(b"11"), None);
        assert_eq!(nodes.label(2), u64::MAX.to_string());
    }
}
