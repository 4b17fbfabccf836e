//! PageRank on petgraph graphs: `Graph`, `StableGraph`, `GraphMap`, `Csr`, or anything else
//! with petgraph's visit traits, directed, with optional edge weights.
//!
//! Every petgraph edge is an edge of the ranked graph: parallel edges each carry their share
//! of rank (as in `networkx.pagerank` on a multigraph, and in petgraph's own `page_rank`).
//! The ranks come back indexed by the graph's own node ids ([`NodeRanks`]). A
//! [personalization](crate::algo::PageRank::personalization) names nodes by their petgraph
//! index (`NodeIndexable::to_index`; `n.index()` for `Graph` and `StableGraph`).
//!
//! ```
//! use crawlrank::prelude::*;
//! use petgraph::graph::DiGraph;
//!
//! let mut web = DiGraph::<&str, ()>::new();
//! let a = web.add_node("a");
//! let b = web.add_node("b");
//! let c = web.add_node("c");
//! web.extend_with_edges([(a, b), (b, c), (c, a), (c, b)]);
//! let ranks = PageRank::new().run_petgraph(&web)?;
//! let (best, _) = ranks.top(1)[0];
//! assert_eq!(web[best], "b");
//! assert!((ranks[a] + ranks[b] + ranks[c] - 1.0).abs() < 1e-12);
//! # Ok::<(), crawlrank::Error>(())
//! ```

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Index;

use ::petgraph::Directed;
use ::petgraph::visit::{EdgeRef, GraphProp, IntoEdgeReferences, IntoNodeIdentifiers, NodeIndexable};

use crate::algo::{PageRank, Ranking};
use crate::error::{Error, Result};
use crate::graph::{Graph, Node};

/// Ranks indexed by a petgraph graph's node ids.
#[derive(Clone, Debug)]
pub struct NodeRanks<Id> {
    /// The graph's node ids, in the order of its node identifiers.
    ids: Vec<Id>,
    /// Where each id is in `ids`.
    position: HashMap<Id, u32>,
    /// The ranks, indexed like `ids`.
    ranking: Ranking,
}

impl<Id: Copy + Eq + Hash> NodeRanks<Id> {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True for a graph without nodes (which cannot be ranked).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The rank of node `id`, if the graph has it.
    pub fn get(&self, id: Id) -> Option<f64> {
        self.position.get(&id).map(|&i| self.ranking.ranks()[i as usize])
    }

    /// Every node with its rank, in the order of the graph's node identifiers.
    pub fn iter(&self) -> impl Iterator<Item = (Id, f64)> + '_ {
        self.ids.iter().copied().zip(self.ranking.ranks().iter().copied())
    }

    /// The `k` best-ranked nodes, best first; ties go to the node listed first.
    pub fn top(&self, k: usize) -> Vec<(Id, f64)> {
        crate::algo::pagerank::top_indices(self.ranking.ranks(), k)
            .into_iter()
            .map(|i| (self.ids[i as usize], self.ranking.ranks()[i as usize]))
            .collect()
    }

    /// The ranking behind, for its iterations, convergence and error bound. Its nodes are
    /// numbered by position in the graph's node identifiers, not by petgraph id: look ranks
    /// up through [`get`](Self::get), [`iter`](Self::iter) and [`top`](Self::top).
    pub fn ranking(&self) -> &Ranking {
        &self.ranking
    }
}

impl<Id: Copy + Eq + Hash> Index<Id> for NodeRanks<Id> {
    type Output = f64;

    /// The rank of node `id`.
    ///
    /// # Panics
    ///
    /// When the graph has no node `id`.
    fn index(&self, id: Id) -> &f64 {
        let i = *self.position.get(&id).expect("a node of the ranked graph");
        &self.ranking.ranks()[i as usize]
    }
}

impl PageRank<'_> {
    /// Ranks a directed petgraph graph, every edge of weight 1.
    pub fn run_petgraph<G>(&mut self, graph: G) -> Result<NodeRanks<G::NodeId>>
    where
        G: IntoEdgeReferences + IntoNodeIdentifiers + NodeIndexable + GraphProp<EdgeType = Directed>,
        G::NodeId: Eq + Hash,
    {
        let (ids, dense_of) = number_nodes(graph)?;
        let edges = graph.edge_references().map(|e| ends(graph, &dense_of, e));
        let ranked = petgraph_builder(ids.len()).edges(edges)?;
        self.finish(ids, &dense_of, &ranked)
    }

    /// Ranks a directed petgraph graph whose edge `e` weighs `weight(e)`: each node splits
    /// its rank in proportion to its out-edges' weights (finite and not negative).
    pub fn run_petgraph_weighted<G>(
        &mut self,
        graph: G,
        mut weight: impl FnMut(G::EdgeRef) -> f64,
    ) -> Result<NodeRanks<G::NodeId>>
    where
        G: IntoEdgeReferences + IntoNodeIdentifiers + NodeIndexable + GraphProp<EdgeType = Directed>,
        G::NodeId: Eq + Hash,
    {
        let (ids, dense_of) = number_nodes(graph)?;
        let edges = graph.edge_references().map(|e| {
            let (source, target) = ends(graph, &dense_of, e);
            (source, target, weight(e))
        });
        let ranked = petgraph_builder(ids.len()).weighted_edges(edges)?;
        self.finish(ids, &dense_of, &ranked)
    }

    fn finish<Id: Copy + Eq + Hash>(&mut self, ids: Vec<Id>, dense_of: &[u32], graph: &Graph) -> Result<NodeRanks<Id>> {
        // Personalization names petgraph node indices; the ranked graph numbers the nodes
        // in the order of the graph's identifiers (which skips the holes of a StableGraph).
        let find = |node: Node<'_>| {
            let index = usize::try_from(node.as_int()?).ok()?;
            dense_of.get(index).copied().filter(|&d| d != u32::MAX)
        };
        let ranking = self.run_resolving(graph, &find)?;
        let position = ids.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
        Ok(NodeRanks { ids, position, ranking })
    }
}

/// The dense ids of an edge's ends.
fn ends<G: NodeIndexable, E: EdgeRef<NodeId = G::NodeId>>(graph: G, dense_of: &[u32], edge: E) -> (u32, u32) {
    (
        dense_of[graph.to_index(edge.source())],
        dense_of[graph.to_index(edge.target())],
    )
}

/// How a petgraph graph becomes a crawlrank graph: its nodes are `0..nodes`, every edge kept.
fn petgraph_builder(nodes: usize) -> crate::graph::GraphBuilder {
    Graph::builder().node_count(nodes as u32).multi(true)
}

/// The graph's node ids in the order of its identifiers, and for every node index (up to
/// `node_bound`) the dense id of the node there.
fn number_nodes<G>(graph: G) -> Result<(Vec<G::NodeId>, Vec<u32>)>
where
    G: IntoNodeIdentifiers + NodeIndexable,
{
    let mut dense_of = vec![u32::MAX; graph.node_bound()];
    let mut ids = Vec::new();
    for id in graph.node_identifiers() {
        let dense = u32::try_from(ids.len())
            .ok()
            .filter(|&d| d < u32::MAX)
            .ok_or_else(|| Error::Input("too many nodes for 32-bit ids".to_string()))?;
        dense_of[graph.to_index(id)] = dense;
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(Error::Input("the graph has no nodes".to_string()));
    }
    Ok((ids, dense_of))
}

#[cfg(test)]
mod tests {
    use ::petgraph::csr::Csr;
    use ::petgraph::graph::{DiGraph, NodeIndex};
    use ::petgraph::graphmap::DiGraphMap;
    use ::petgraph::stable_graph::StableDiGraph;

    use super::*;

    /// A small web: five pages, a dangling one, a parallel edge.
    const EDGES: [(u32, u32); 8] = [(0, 1), (0, 2), (1, 2), (2, 0), (3, 0), (3, 2), (3, 2), (2, 4)];

    fn reference() -> Vec<f64> {
        let g = Graph::builder().multi(true).edges(EDGES).unwrap();
        PageRank::new().run(&g).unwrap().ranks().to_vec()
    }

    #[test]
    fn every_petgraph_kind_ranks_like_the_same_edges() {
        let expected = reference();
        let graph = DiGraph::<(), ()>::from_edges(EDGES);
        let ranks = PageRank::new().run_petgraph(&graph).unwrap();
        for (i, &r) in expected.iter().enumerate() {
            assert_eq!(ranks[NodeIndex::new(i)], r, "Graph, node {i}");
        }
        let stable = StableDiGraph::<(), ()>::from_edges(EDGES);
        let ranks = PageRank::new().run_petgraph(&stable).unwrap();
        assert_eq!(ranks.get(NodeIndex::new(4)), Some(expected[4]));
        // GraphMap keeps one edge per pair: without the parallel edge the ranks differ.
        let map = DiGraphMap::<u32, ()>::from_edges(EDGES);
        let ranks = PageRank::new().run_petgraph(&map).unwrap();
        let single = Graph::from_edges(EDGES).unwrap();
        let single = PageRank::new().run(&single).unwrap();
        for v in 0..5u32 {
            assert_eq!(ranks[v], single.ranks()[v as usize], "GraphMap node {v}");
        }
        // A Csr built from sorted edges takes each pair once too.
        let mut sorted = EDGES.to_vec();
        sorted.sort();
        sorted.dedup();
        let csr = Csr::<(), (), Directed, u32>::from_sorted_edges(&sorted).unwrap();
        let ranks = PageRank::new().run_petgraph(&csr).unwrap();
        assert_eq!(ranks.iter().map(|(_, r)| r).collect::<Vec<_>>(), single.ranks());
    }

    #[test]
    fn personalization_names_petgraph_indices_also_across_holes() {
        let mut g = StableDiGraph::<(), ()>::from_edges(EDGES);
        let gone = g.add_node(());
        let seed = g.add_node(());
        g.add_edge(seed, NodeIndex::new(2), ());
        g.remove_node(gone);
        let ranks = PageRank::new()
            .personalization([(seed.index(), 1.0)])
            .run_petgraph(&g)
            .unwrap();
        // All teleport goes to the seed, which nobody links to: its rank is exactly 1 - α of
        // what teleport and the dangling mass give it, and every other node without
        // in-links gets none.
        assert!(ranks[seed] > 0.15, "{:?}", ranks.top(7));
        assert_eq!(
            ranks[NodeIndex::new(3)],
            0.0,
            "node 3 has no in-link and is not the seed"
        );
        let e = PageRank::new()
            .personalization([(gone.index(), 1.0)])
            .run_petgraph(&g)
            .unwrap_err();
        assert!(e.to_string().contains("is not in the graph"), "{e}");
    }

    #[test]
    fn holes_in_a_stable_graph_are_not_nodes() {
        let mut g = StableDiGraph::<(), ()>::from_edges(EDGES);
        let gone = g.add_node(());
        let extra = g.add_node(());
        g.add_edge(extra, NodeIndex::new(0), ());
        g.remove_node(gone);
        let ranks = PageRank::new().run_petgraph(&g).unwrap();
        assert_eq!(ranks.len(), 6);
        assert_eq!(ranks.get(gone), None);
        assert!((ranks.iter().map(|(_, r)| r).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn weights_split_rank_and_bad_weights_are_errors() {
        let mut g = DiGraph::<(), f64>::new();
        let n: Vec<_> = (0..3).map(|_| g.add_node(())).collect();
        g.add_edge(n[0], n[1], 3.0);
        g.add_edge(n[0], n[2], 1.0);
        g.add_edge(n[1], n[0], 1.0);
        g.add_edge(n[2], n[0], 1.0);
        let ranks = PageRank::new().run_petgraph_weighted(&g, |e| *e.weight()).unwrap();
        assert!(ranks[n[1]] > 2.0 * ranks[n[2]], "{:?}", ranks.top(3));
        let expected = Graph::builder()
            .weighted_edges([(0, 1, 3.0), (0, 2, 1.0), (1, 0, 1.0), (2, 0, 1.0)])
            .unwrap();
        let expected = PageRank::new().run(&expected).unwrap();
        assert_eq!(ranks[n[1]], expected.ranks()[1]);
        g.add_edge(n[2], n[1], f64::NAN);
        let e = PageRank::new().run_petgraph_weighted(&g, |e| *e.weight()).unwrap_err();
        assert!(e.to_string().contains("not finite"), "{e}");
        let empty = DiGraph::<(), ()>::new();
        assert!(PageRank::new().run_petgraph(&empty).is_err());
    }
}
