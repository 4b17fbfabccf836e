//! PageRank as a vertex program.
//!
//! With damping α, teleport distribution p (uniform, or the personalization vector), dangling
//! distribution q (p by default, uniform with [`Dangling::Uniform`]) and D the dangling nodes
//! (no out-edge, or out-weights summing to zero), one round computes
//!
//! ```text
//! x'[v] = α · ( Σ_{u→v} x[u] · w(u,v) / W(u)  +  q[v] · Σ_{d∈D} x[d] )  +  (1 − α) · p[v]
//! ```
//!
//! where W(u) is u's out-degree (or total out-weight), starting from the uniform vector. This
//! is `networkx.pagerank` exactly; the ranks keep summing to 1. Iteration stops when the L1
//! change ‖x' − x‖₁ drops below the tolerance, or at the iteration limit; the error bound
//! reported is α/(1−α)·‖x' − x‖₁, the stopping rule of LAW's WebGraph PageRank.
//!
//! Precision: `f64` throughout by default; with [`Precision::F32`] each node's share of rank
//! (`x[u] / W(u)`, or times the weight) is rounded to `f32` before it travels, and everything
//! else stays `f64`. The dangling mass is summed sequentially over the dangling
//! nodes in id order; the edge sums follow the engine's fixed order, so the ranks are the
//! same bits for any thread count.
//!
//! A program ranks a [`Graph`] with the [`PageRank`] builder and gets a [`Ranking`]:
//!
//! ```
//! use crawlrank::prelude::*;
//!
//! let graph = Graph::from_labelled_edges([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])?;
//! let ranking = PageRank::new().damping(0.85).tolerance(1e-12).max_iterations(300).run(&graph)?;
//! assert!(ranking.converged());
//! let (best, rank) = ranking.top(1)[0];
//! assert_eq!(best.to_string(), "a");
//! assert!((ranking.ranks().iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! assert_eq!(ranking.rank_of("a"), Some(rank));
//! # Ok::<(), crawlrank::Error>(())
//! ```

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use crate::engine::{IterationReport, LocalExecutor, Outcome, StopRule, VertexProgram};
use crate::error::{Error, Result};
use crate::graph::{Graph, Node, NodeTable, ShardedGraph};

/// Where the rank of dangling nodes goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Dangling {
    /// Like teleportation: uniformly, or to the personalization nodes (networkx's default).
    #[default]
    Teleport,
    /// Uniformly over all nodes, even with a personalization vector.
    Uniform,
}

impl Dangling {
    /// The name `summary.json` and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Dangling::Teleport => "teleport",
            Dangling::Uniform => "uniform",
        }
    }
}

/// How ranks travel along edges. The ranks themselves, the sums into each node and the
/// stopping rule are `f64` in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Every share of rank is an `f64` (cnr-2000: L1 2.2e-9 to networkx's ranks).
    #[default]
    F64,
    /// Each node's share of rank (on weighted graphs, each edge's share) is rounded to `f32`
    /// before it is sent: half the bytes for the engine's random reads, the ranks within
    /// about 1e-7 (L1) of the `f64` ones.
    F32,
}

impl Precision {
    /// The default tolerance of this precision: 1e-10 for `f64`; 1e-7 for `f32`, whose
    /// rounded shares leave an L1 change of a few 1e-9 from one iteration to the next however
    /// long it runs (cnr-2000: 4.5e-9 after 1000 iterations), so a smaller tolerance is never
    /// reached.
    pub fn default_tolerance(self) -> f64 {
        match self {
            Precision::F64 => 1e-10,
            Precision::F32 => 1e-7,
        }
    }

    /// The name `summary.json` and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// PageRank parameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PageRankConfig {
    /// Probability of following a link (α), in (0, 1).
    pub damping: f64,
    /// Stop when the L1 change of a round is below this; 0 runs `max_iterations` rounds.
    pub tolerance: f64,
    /// Iteration limit (default 1000: the L1 change shrinks at least by `damping` each
    /// round, so 0.85 reaches 1e-10 within 146 rounds, and 0.97 within 780).
    pub max_iterations: usize,
    /// Where dangling rank goes.
    pub dangling: Dangling,
    /// Precision of the shares of rank sent along edges.
    pub precision: Precision,
}

impl Default for PageRankConfig {
    fn default() -> Self {
        PageRankConfig {
            damping: 0.85,
            tolerance: Precision::F64.default_tolerance(),
            max_iterations: 1000,
            dangling: Dangling::Teleport,
            precision: Precision::F64,
        }
    }
}

impl PageRankConfig {
    /// Checks that the parameters can work.
    pub fn validate(&self) -> Result<()> {
        if !(self.damping > 0.0 && self.damping < 1.0) {
            return Err(Error::parameter(
                "damping",
                format!("must be between 0 and 1 (exclusive), not {}", self.damping),
            ));
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(Error::parameter(
                "tolerance",
                format!("must be a finite number >= 0, not {}", self.tolerance),
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::parameter("max_iterations", "must be at least 1"));
        }
        Ok(())
    }
}

/// A probability distribution over the nodes.
#[derive(Clone, Debug)]
enum Distribution {
    /// Every node gets `1/n`.
    Uniform(f64),
    /// One probability per node.
    Dense(Vec<f64>),
}

impl Distribution {
    #[inline]
    fn at(&self, v: u32) -> f64 {
        match self {
            Distribution::Uniform(p) => *p,
            Distribution::Dense(p) => p[v as usize],
        }
    }
}

/// The teleport distribution of personalization `pairs` (node, weight; a node listed twice
/// gets the sum): weights must be finite, non-negative and not all zero. Every weight is
/// divided by the largest before anything is summed, so that no sum overflows and the
/// distribution sums to 1 whatever the weights' magnitude (1e308 or 1e-320).
fn normalise_personalization(n: u32, pairs: &[(u32, f64)]) -> Result<Vec<f64>> {
    if let Some(&(node, w)) = pairs.iter().find(|p| !(p.1.is_finite() && p.1 >= 0.0)) {
        return Err(Error::Input(format!(
            "personalization: node {node} has weight {w}; weights must be finite and not negative"
        )));
    }
    let largest = pairs.iter().fold(0f64, |m, p| m.max(p.1));
    if largest == 0.0 {
        return Err(Error::Input("the personalization weights sum to zero".to_string()));
    }
    let mut p = vec![0.0; n as usize];
    for &(v, w) in pairs {
        p[v as usize] += w / largest;
    }
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
    Ok(p)
}

/// The PageRank vertex program for one graph.
pub(crate) struct PageRankProgram {
    damping: f64,
    /// 1/W(u), and 0 for dangling nodes.
    inverse_out: Vec<f64>,
    dangling: Vec<u32>,
    teleport: Distribution,
    dangling_to: Distribution,
}

/// Per-round globals of PageRank.
pub(crate) struct PageRankRound {
    dangling_mass: f64,
}

impl PageRankProgram {
    /// PageRank on `graph` (weighted if the graph carries weights), teleporting uniformly or
    /// to `personalization` (node, weight) pairs, normalised here. `config` has been
    /// validated by the caller (the job, or the [`PageRank`] builder).
    pub(crate) fn new(
        graph: &ShardedGraph,
        config: &PageRankConfig,
        personalization: Option<&[(u32, f64)]>,
    ) -> Result<PageRankProgram> {
        let n = graph.nodes();
        if n == 0 {
            return Err(Error::Input("the graph has no nodes".to_string()));
        }
        let inverse_out: Vec<f64> = match graph.out_weight() {
            Some(totals) => {
                // Every node's total, not only those of the shards held here (a process of a
                // cluster may hold none).
                if graph.out_degree().iter().any(|&d| d > 0) && totals.iter().all(|&w| w == 0.0) {
                    return Err(Error::Input(
                        "every edge weight is zero: no link carries rank (every page would be dangling); fix the weights or rank without --weighted"
                            .to_string(),
                    ));
                }
                // The shards' stored weights: each node's scaled so that the largest is in
                // a range where the sum and its inverse neither overflow nor underflow.
                let sums = graph.scaled_weight_sums().expect("a weighted graph");
                sums.iter().map(|&w| if w > 0.0 { 1.0 / w } else { 0.0 }).collect()
            }
            None => graph
                .out_degree()
                .iter()
                .map(|&d| if d > 0 { 1.0 / d as f64 } else { 0.0 })
                .collect(),
        };
        let dangling = (0..n).filter(|&v| graph.is_dangling(v)).collect();
        let uniform = Distribution::Uniform(1.0 / n as f64);
        let teleport = match personalization {
            None => uniform.clone(),
            Some(pairs) => Distribution::Dense(normalise_personalization(n, pairs)?),
        };
        let dangling_to = match config.dangling {
            Dangling::Teleport => teleport.clone(),
            Dangling::Uniform => uniform,
        };
        Ok(PageRankProgram {
            damping: config.damping,
            inverse_out,
            dangling,
            teleport,
            dangling_to,
        })
    }
}

impl VertexProgram for PageRankProgram {
    type State = f64;
    type Message = f64;
    type Round = PageRankRound;

    fn begin_round(&self, _: &ShardedGraph, ranks: &[f64]) -> PageRankRound {
        PageRankRound {
            dangling_mass: self.dangling.iter().map(|&d| ranks[d as usize]).sum(),
        }
    }
    #[inline]
    fn map(&self, _: &PageRankRound, source: u32, rank: f64) -> f64 {
        rank * self.inverse_out[source as usize]
    }
    #[inline]
    fn weigh(&self, message: f64, weight: f64) -> f64 {
        message * weight
    }
    #[inline]
    fn identity(&self) -> f64 {
        0.0
    }
    #[inline]
    fn combine(&self, a: f64, b: f64) -> f64 {
        a + b
    }
    #[inline]
    fn apply(&self, round: &PageRankRound, node: u32, _: f64, reduced: f64) -> f64 {
        self.damping * (reduced + round.dangling_mass * self.dangling_to.at(node))
            + (1.0 - self.damping) * self.teleport.at(node)
    }
    #[inline]
    fn change(&self, old: f64, new: f64) -> f64 {
        (new - old).abs()
    }
}

/// Ranks and how they were reached.
#[derive(Clone, Debug)]
pub(crate) struct PageRankResult {
    /// One rank per dense node id; they sum to 1.
    pub ranks: Vec<f64>,
    /// One report per iteration.
    pub iterations: Vec<IterationReport>,
    /// Whether the L1 change fell below the tolerance.
    pub converged: bool,
    /// The last iteration's L1 change.
    pub residual: f64,
    /// α/(1−α) times the residual: a bound on the L1 distance to the exact ranks.
    pub error_bound: f64,
}

/// Runs PageRank on `graph` with the local executor on the current rayon pool.
pub(crate) fn pagerank(
    graph: &ShardedGraph,
    config: &PageRankConfig,
    personalization: Option<&[(u32, f64)]>,
    observer: &mut dyn FnMut(&IterationReport),
) -> Result<PageRankResult> {
    pagerank_with(&LocalExecutor::default(), graph, config, personalization, observer)
}

/// [`pagerank`] with a given local executor (its strategy changes speed, never results).
pub(crate) fn pagerank_with(
    executor: &LocalExecutor,
    graph: &ShardedGraph,
    config: &PageRankConfig,
    personalization: Option<&[(u32, f64)]>,
    observer: &mut dyn FnMut(&IterationReport),
) -> Result<PageRankResult> {
    let program = PageRankProgram::new(graph, config, personalization)?;
    let n = graph.nodes() as usize;
    let initial = vec![1.0 / n as f64; n];
    let outcome = match config.precision {
        Precision::F64 => executor.run(graph, &program, initial, config.stop_rule(), observer),
        Precision::F32 => executor.run_carrying::<_, f32>(graph, &program, initial, config.stop_rule(), observer),
    };
    PageRankResult::new(config, outcome)
}

impl PageRankConfig {
    /// When iterating stops.
    pub(crate) fn stop_rule(&self) -> StopRule {
        StopRule {
            tolerance: self.tolerance,
            max_iterations: self.max_iterations,
        }
    }
}

impl Precision {
    /// How far from 1 the ranks' sum may be: `f64` rounding keeps it within about 1e-15;
    /// `f32` shares move it by up to about 1e-7 (each round's rounded shares change the
    /// mass a little), so 1e-5, the issue's accuracy bound for the fast mode.
    pub(crate) fn rank_sum_tolerance(self) -> f64 {
        match self {
            Precision::F64 => 1e-9,
            Precision::F32 => 1e-5,
        }
    }
}

/// Checks that `ranks` are a probability distribution: every rank finite and not negative,
/// their sum (compensated, so that the check does not depend on the node count) within
/// `tolerance` of 1. Ranks that fail cannot be trusted and must never be published.
pub(crate) fn check_ranks(ranks: &[f64], tolerance: f64) -> Result<()> {
    if let Some((v, r)) = ranks.iter().enumerate().find(|(_, r)| !(r.is_finite() && **r >= 0.0)) {
        return Err(Error::Ranks(format!(
            "node index {v} has rank {r} (ranks must be finite and not negative)"
        )));
    }
    // Neumaier's compensated sum.
    let (mut sum, mut compensation) = (0.0f64, 0.0f64);
    for &r in ranks {
        let t = sum + r;
        compensation += if sum.abs() >= r.abs() {
            (sum - t) + r
        } else {
            (r - t) + sum
        };
        sum = t;
    }
    let sum = sum + compensation;
    // Every rank is finite and not negative here, so the sum is a number (at worst +inf).
    if (sum - 1.0).abs() > tolerance {
        return Err(Error::Ranks(format!(
            "the ranks sum to {sum}, not 1 within {tolerance:e}"
        )));
    }
    Ok(())
}

impl PageRankResult {
    /// The result of an executor's run (local or distributed) under `config`; an error when
    /// its ranks are not a probability distribution ([`check_ranks`]).
    pub(crate) fn new(config: &PageRankConfig, outcome: Outcome<f64>) -> Result<PageRankResult> {
        if let Some(fault) = outcome.fault {
            return Err(fault);
        }
        check_ranks(&outcome.states, config.precision.rank_sum_tolerance())?;
        let residual = outcome.iterations.last().map_or(f64::NAN, |r| r.change);
        Ok(PageRankResult {
            ranks: outcome.states,
            converged: outcome.converged,
            residual,
            error_bound: config.damping / (1.0 - config.damping) * residual,
            iterations: outcome.iterations,
        })
    }
}

/// PageRank on a [`Graph`], with its parameters set one by one; [`run`](Self::run) returns
/// the ranks in memory. The defaults are networkx's: damping 0.85, uniform teleport,
/// dangling rank following the teleport distribution; tolerance 1e-10 in L1 (1e-7 with `f32`
/// shares, unless set), at most 1000 iterations, `f64` shares, all cores.
#[derive(Default)]
pub struct PageRank<'a> {
    config: PageRankConfig,
    /// Whether the tolerance was chosen (else it follows the precision's default).
    tolerance_given: bool,
    personalization: Option<Vec<(Key, f64)>>,
    threads: Option<usize>,
    progress: Option<Observer<'a>>,
}

/// A callback that sees every iteration's report.
type Observer<'a> = Box<dyn FnMut(&IterationReport) + Send + 'a>;

/// A node id the builder keeps until it meets the graph.
#[derive(Clone, Debug)]
enum Key {
    Int(u64),
    Text(Vec<u8>),
}

impl<'a> PageRank<'a> {
    /// PageRank with the defaults.
    pub fn new() -> Self {
        PageRank::default()
    }

    /// Probability of following a link (α), strictly between 0 and 1.
    pub fn damping(mut self, damping: f64) -> Self {
        self.config.damping = damping;
        self
    }

    /// Stop when an iteration changes the ranks by less than this in L1; 0 runs
    /// [`max_iterations`](Self::max_iterations) iterations.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.config.tolerance = tolerance;
        self.tolerance_given = true;
        self
    }

    /// Stop after this many iterations in any case.
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.config.max_iterations = max_iterations;
        self
    }

    /// Where the rank of nodes without out-edges goes.
    pub fn dangling(mut self, dangling: Dangling) -> Self {
        self.config.dangling = dangling;
        self
    }

    /// How shares of rank travel along edges.
    pub fn precision(mut self, precision: Precision) -> Self {
        self.config.precision = precision;
        if !self.tolerance_given {
            self.config.tolerance = precision.default_tolerance();
        }
        self
    }

    /// All parameters at once.
    pub fn config(mut self, config: PageRankConfig) -> Self {
        self.config = config;
        self.tolerance_given = true;
        self
    }

    /// Teleport (and, by default, dangling rank) to these nodes, in proportion to their
    /// weights (a node listed twice gets the sum). Every node must be in the graph.
    pub fn personalization<'n, N: Into<Node<'n>>>(mut self, seeds: impl IntoIterator<Item = (N, f64)>) -> Self {
        let seeds = seeds
            .into_iter()
            .map(|(node, weight)| {
                let key = match node.into() {
                    Node::Int(v) => Key::Int(v),
                    Node::Text(t) => Key::Text(t.to_vec()),
                };
                (key, weight)
            })
            .collect();
        self.personalization = Some(seeds);
        self
    }

    /// Run on a pool of this many threads (the default: the current rayon pool, all cores).
    /// Threads change speed, never the ranks.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Call `progress` after every iteration (from the thread that runs the iterations).
    pub fn on_iteration(mut self, progress: impl FnMut(&IterationReport) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Ranks `graph`.
    ///
    /// ```
    /// use crawlrank::prelude::*;
    ///
    /// let graph = Graph::from_sparse_edges([(10, 20), (20, 30), (30, 10), (40, 10)])?;
    /// let mut changes = Vec::new();
    /// let ranking = PageRank::new()
    ///     .personalization([(40u64, 1.0)])
    ///     .threads(2)
    ///     .on_iteration(|report| changes.push(report.change))
    ///     .run(&graph)?;
    /// assert_eq!(changes.len(), ranking.iterations().len());
    /// // All teleport goes to 40, which only links to 10.
    /// assert!(ranking.rank_of(40u64).unwrap() > 0.15 - 1e-9);
    /// assert!(PageRank::new().personalization([(99u64, 1.0)]).run(&graph).is_err());
    /// # Ok::<(), crawlrank::Error>(())
    /// ```
    pub fn run(&mut self, graph: &Graph) -> Result<Ranking> {
        self.run_resolving(graph, &|node| graph.find(node))
    }

    /// [`run`](Self::run), with the personalization's nodes found by `find` (a petgraph
    /// graph names its nodes by their index, not by the dense ids of `graph`).
    pub(crate) fn run_resolving(&mut self, graph: &Graph, find: &dyn Fn(Node<'_>) -> Option<u32>) -> Result<Ranking> {
        self.config.validate()?;
        let personalization = match &self.personalization {
            None => None,
            Some(seeds) => Some(resolve(find, seeds)?),
        };
        let mut silent = |_: &IterationReport| {};
        let observer: &mut (dyn FnMut(&IterationReport) + Send) = match &mut self.progress {
            Some(progress) => progress,
            None => &mut silent,
        };
        let config = &self.config;
        let mut rank = || pagerank(graph.sharded(), config, personalization.as_deref(), observer);
        let result = match self.threads {
            None => rank()?,
            threads => crate::threads::thread_pool(threads)?.install(rank)?,
        };
        Ok(Ranking {
            nodes: Arc::clone(graph.node_table()),
            result,
        })
    }
}

/// The personalization seeds as dense ids.
fn resolve(find: &dyn Fn(Node<'_>) -> Option<u32>, seeds: &[(Key, f64)]) -> Result<Vec<(u32, f64)>> {
    seeds
        .iter()
        .map(|(key, weight)| {
            let node = match key {
                Key::Int(v) => Node::Int(*v),
                Key::Text(t) => Node::Text(t),
            };
            let found =
                find(node).ok_or_else(|| Error::Input(format!("personalization: node {node} is not in the graph")))?;
            let weight = crate::input::text::check_weight(*weight)
                .map_err(|m| Error::Input(format!("personalization: node {node}: {m}")))?;
            Ok((found, weight))
        })
        .collect()
}

/// The ranks of a graph's nodes, with how they were reached.
///
/// Two ways to name a node: by the user's id ([`rank_of`](Self::rank_of), with a `u64`, a
/// `&str`...), or by its index in the graph, `0..len()` ([`ranks`](Self::ranks),
/// [`Graph::node`]). They are the same number only for a graph of dense `u32` ids; for sparse
/// or labelled ids, the index is the id's position in increasing (or byte) order.
#[derive(Clone, Debug)]
pub struct Ranking {
    nodes: Arc<NodeTable>,
    result: PageRankResult,
}

impl Ranking {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.result.ranks.len()
    }

    /// True for the ranking of a graph without nodes (which cannot be made).
    pub fn is_empty(&self) -> bool {
        self.result.ranks.is_empty()
    }

    /// One rank per node, by node index (for a graph of dense `u32` ids, by the id itself;
    /// [`Graph::node`] names the others). They sum to 1.
    pub fn ranks(&self) -> &[f64] {
        &self.result.ranks
    }

    /// The rank of the node the user calls `id`, if the graph has it. Integer literals need
    /// their type (`rank_of(7u64)`).
    pub fn rank_of<'n>(&self, id: impl Into<Node<'n>>) -> Option<f64> {
        self.nodes.find(id.into()).map(|v| self.result.ranks[v as usize])
    }

    /// Every node with its rank, in node order.
    pub fn iter(&self) -> impl Iterator<Item = (Node<'_>, f64)> + '_ {
        self.result
            .ranks
            .iter()
            .enumerate()
            .map(|(v, &rank)| (self.nodes.node(v as u32), rank))
    }

    /// The `k` best-ranked nodes, best first; ties go to the node that comes first.
    pub fn top(&self, k: usize) -> Vec<(Node<'_>, f64)> {
        top_indices(&self.result.ranks, k)
            .into_iter()
            .map(|v| (self.nodes.node(v), self.result.ranks[v as usize]))
            .collect()
    }

    /// One report per iteration: its L1 change and seconds.
    pub fn iterations(&self) -> &[IterationReport] {
        &self.result.iterations
    }

    /// Whether the L1 change fell below the tolerance before the iteration limit.
    pub fn converged(&self) -> bool {
        self.result.converged
    }

    /// The last iteration's L1 change.
    pub fn residual(&self) -> f64 {
        self.result.residual
    }

    /// α/(1−α) times the residual: a bound on the L1 distance to the exact ranks.
    pub fn error_bound(&self) -> f64 {
        self.result.error_bound
    }
}

/// The indices of the `k` highest of `ranks`, highest first; ties go to the smaller index.
pub(crate) fn top_indices(ranks: &[f64], k: usize) -> Vec<u32> {
    let mut nodes: Vec<u32> = (0..ranks.len() as u32).collect();
    let k = k.min(nodes.len());
    let order = |a: &u32, b: &u32| ranks[*b as usize].total_cmp(&ranks[*a as usize]).then(a.cmp(b));
    if k > 0 && k < nodes.len() {
        nodes.select_nth_unstable_by(k - 1, &order);
    }
    nodes.truncate(k);
    nodes.sort_unstable_by(&order);
    nodes
}

/// Reads a personalization file: one node id per line, optionally followed by a weight
/// (tab, blank or comma), `#` comments and blank lines skipped. A node listed twice gets the
/// sum of its weights. Every id must be a node of the graph.
pub(crate) fn read_personalization(path: &Path, nodes: &NodeTable) -> Result<Vec<(u32, f64)>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (_, reader) = crate::input::compression::decode(file).map_err(|e| Error::io(path, e))?;
    let mut pairs = Vec::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let number = index as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        let line = if number == 1 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        }
        .trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        // `id weight`, split at the last tab, blank or comma, when what follows is a number
        // and what precedes is a node; otherwise the whole line is the id.
        let split = line
            .iter()
            .rposition(|&b| b == b'\t' || b == b',' || b == b' ')
            .filter(|&at| at > 0)
            .and_then(|at| {
                let weight = crate::input::text::parse_weight(&line[at + 1..]);
                let id = line[..at].trim_ascii();
                match (nodes.lookup(id), weight) {
                    (Some(node), Ok(w)) => Some(Ok((node, w))),
                    (Some(_), Err(m)) if nodes.lookup(line).is_none() => Some(Err(m)),
                    _ => None,
                }
            });
        let (node, weight) = match split {
            Some(pair) => pair.map_err(|m| Error::parse(&name, number, m, line))?,
            None => (
                nodes
                    .lookup(line)
                    .ok_or_else(|| Error::parse(&name, number, "this node is not in the graph", line))?,
                1.0,
            ),
        };
        pairs.push((node, weight));
    }
    if pairs.is_empty() {
        return Err(Error::Input(format!("{name}: the personalization file names no node")));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_shares_default_to_a_tolerance_they_can_reach_unless_one_is_given() {
        assert_eq!(PageRank::new().config.tolerance, 1e-10);
        assert_eq!(PageRank::new().precision(Precision::F32).config.tolerance, 1e-7);
        let given = PageRank::new().tolerance(1e-9).precision(Precision::F32);
        assert_eq!(given.config.tolerance, 1e-9);
        assert_eq!(
            PageRank::new()
                .precision(Precision::F32)
                .precision(Precision::F64)
                .config
                .tolerance,
            1e-10
        );
    }
    use crate::graph::{BuildOptions, build, collect::pack};

    /// A naive power iteration on an edge list, the formula written out directly.
    fn naive(n: usize, edges: &[(u32, u32, f64)], alpha: f64, p: &[f64], q: &[f64], iterations: usize) -> Vec<f64> {
        let mut w_out = vec![0.0; n];
        for &(s, _, w) in edges {
            w_out[s as usize] += w;
        }
        let mut x = vec![1.0 / n as f64; n];
        for _ in 0..iterations {
            let dangling: f64 = (0..n).filter(|&v| w_out[v] == 0.0).map(|v| x[v]).sum();
            let mut y: Vec<f64> = (0..n).map(|v| alpha * dangling * q[v] + (1.0 - alpha) * p[v]).collect();
            for &(s, t, w) in edges {
                y[t as usize] += alpha * x[s as usize] * w / w_out[s as usize];
            }
            x = y;
        }
        x
    }

    fn graph(n: u32, edges: &[(u32, u32, f64)], weighted: bool, shards: usize) -> ShardedGraph {
        let keys = edges.iter().map(|&(s, t, _)| pack(s, t)).collect();
        let weights = weighted.then(|| edges.iter().map(|e| e.2).collect());
        build(
            keys,
            weights,
            n,
            &BuildOptions {
                multi: true,
                shards: Some(shards),
                general_path: false,
            },
        )
    }

    fn l1(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
    }

    fn run(g: &ShardedGraph, config: &PageRankConfig, personalization: Option<&[(u32, f64)]>) -> PageRankResult {
        pagerank(g, config, personalization, &mut |_| {}).unwrap()
    }

    #[test]
    fn cycle_is_uniform() {
        let edges: Vec<_> = (0..5).map(|i| (i, (i + 1) % 5, 1.0)).collect();
        let r = run(&graph(5, &edges, false, 2), &PageRankConfig::default(), None);
        assert!(r.converged);
        for x in &r.ranks {
            assert!((x - 0.2).abs() < 1e-14, "{x}");
        }
    }

    #[test]
    fn star_has_closed_form() {
        // Leaves 1..=k point at the hub 0, which is dangling. With n = k + 1 nodes, a leaf
        // gets only teleport and the hub's dangling share: l = (a h + 1 - a) / n, and
        // h + k l = 1, so l = 1 / (n + a k) and h = 1 - k l.
        let k = 9u32;
        let (n, a) = ((k + 1) as f64, 0.85);
        let edges: Vec<_> = (1..=k).map(|i| (i, 0, 1.0)).collect();
        let r = run(&graph(k + 1, &edges, false, 3), &PageRankConfig::default(), None);
        let leaf = 1.0 / (n + a * k as f64);
        let hub = 1.0 - k as f64 * leaf;
        assert!((r.ranks[0] - hub).abs() < 1e-10, "{} vs {hub}", r.ranks[0]);
        for v in 1..=k as usize {
            assert!((r.ranks[v] - leaf).abs() < 1e-10);
        }
    }

    #[test]
    fn dangling_chain_sums_to_one() {
        let edges = vec![(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0)];
        let r = run(&graph(4, &edges, false, 1), &PageRankConfig::default(), None);
        assert!((r.ranks.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(
            r.ranks.windows(2).all(|w| w[0] < w[1]),
            "rank grows along the chain: {:?}",
            r.ranks
        );
    }

    /// A deterministic pseudo-random sequence for the seeded graphs (SplitMix64).
    fn splitmix(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_edges(seed: u64, n: u32, m: usize) -> Vec<(u32, u32, f64)> {
        let mut s = seed;
        (0..m)
            .map(|_| {
                let a = (splitmix(&mut s) % n as u64) as u32;
                // Skewed destinations, as on the web.
                let b = ((splitmix(&mut s) % n as u64) * (splitmix(&mut s) % n as u64) / n as u64) as u32;
                (a, b, 0.5 + (splitmix(&mut s) % 100) as f64 / 10.0)
            })
            .collect()
    }

    #[test]
    fn blocked_rounds_equal_fused_ones_bit_for_bit_and_f32_shares_stay_close() {
        use crate::engine::local::{LocalExecutor, Strategy};
        // Six blocks of nodes, so that cells, groups and units all come in several, and a
        // fused round has a task of four destination blocks and a shorter one of two.
        let n = 6 * crate::partition::BLOCK - 1000;
        let edges = random_edges(7, n, 300_000);
        let config = PageRankConfig {
            tolerance: 0.0,
            max_iterations: 12,
            ..Default::default()
        };
        let f32_config = PageRankConfig {
            precision: Precision::F32,
            ..config.clone()
        };
        let strategies = [
            Strategy::Fused,
            Strategy::Blocked { group_edges: 40_000 },
            Strategy::Blocked {
                group_edges: usize::MAX,
            },
            Strategy::Auto,
        ];
        for weighted in [false, true] {
            let g = graph(n, &edges, weighted, 3);
            let rank = |strategy, config: &PageRankConfig| {
                pagerank_with(&LocalExecutor { strategy }, &g, config, None, &mut |_| {})
                    .unwrap()
                    .ranks
            };
            let fused = rank(Strategy::Fused, &config);
            let fused_f32 = rank(Strategy::Fused, &f32_config);
            for strategy in strategies {
                assert!(rank(strategy, &config) == fused, "{strategy:?}, weighted {weighted}");
                // f32 shares: the same in every strategy, close to f64, and not f64.
                let f32_ranks = rank(strategy, &f32_config);
                assert!(f32_ranks == fused_f32, "{strategy:?}, weighted {weighted}");
                let d = l1(&f32_ranks, &fused);
                assert!(d > 0.0 && d < 1e-6, "{strategy:?}: L1 {d:e}");
            }
        }
    }

    #[test]
    fn seeded_random_graphs_match_the_naive_power_method() {
        let config = PageRankConfig {
            tolerance: 0.0,
            max_iterations: 60,
            ..Default::default()
        };
        for seed in 1..6 {
            let n = 300 + seed as u32 * 37;
            let edges = random_edges(seed, n, 2000);
            let uniform = vec![1.0 / n as f64; n as usize];
            for weighted in [false, true] {
                let g = graph(n, &edges, weighted, 1 + seed as usize);
                let naive_edges: Vec<_> = edges
                    .iter()
                    .map(|&(s, t, w)| (s, t, if weighted { w } else { 1.0 }))
                    .collect();
                let expected = naive(n as usize, &naive_edges, 0.85, &uniform, &uniform, 60);
                let r = run(&g, &config, None);
                assert!(
                    l1(&r.ranks, &expected) < 1e-12,
                    "seed {seed} weighted {weighted}: {}",
                    l1(&r.ranks, &expected)
                );
            }
            // Personalized, with dangling mass following the teleport vector or uniform.
            let seeds = [(3u32, 1.0), (7, 3.0)];
            let mut p = vec![0.0; n as usize];
            p[3] = 0.25;
            p[7] = 0.75;
            let naive_edges: Vec<_> = edges.iter().map(|&(s, t, _)| (s, t, 1.0)).collect();
            let g = graph(n, &edges, false, 2);
            for (dangling, q) in [(Dangling::Teleport, &p), (Dangling::Uniform, &uniform)] {
                let c = PageRankConfig {
                    dangling,
                    ..config.clone()
                };
                let r = run(&g, &c, Some(&seeds));
                let expected = naive(n as usize, &naive_edges, 0.85, &p, q, 60);
                assert!(l1(&r.ranks, &expected) < 1e-12, "personalized {dangling:?}");
            }
        }
    }

    #[test]
    fn shard_count_changes_rounding_only_and_threads_change_nothing() {
        let edges = random_edges(42, 5000, 40_000);
        let config = PageRankConfig::default();
        let reference = run(&graph(5000, &edges, false, 1), &config, None);
        for shards in [2, 7] {
            let g = graph(5000, &edges, false, shards);
            let mut by_threads = Vec::new();
            for threads in [1, 2, 8] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                by_threads.push(pool.install(|| run(&g, &config, None)).ranks);
            }
            assert!(
                by_threads.windows(2).all(|w| w[0] == w[1]),
                "bit-identical for 1, 2 and 8 threads"
            );
            assert!(l1(&by_threads[0], &reference.ranks) < 1e-12);
        }
    }

    #[test]
    fn tolerance_zero_runs_every_iteration_and_bound_is_reported() {
        let edges = random_edges(7, 100, 500);
        let g = graph(100, &edges, false, 1);
        let r = run(
            &g,
            &PageRankConfig {
                tolerance: 0.0,
                max_iterations: 17,
                ..Default::default()
            },
            None,
        );
        assert_eq!(r.iterations.len(), 17);
        assert!(!r.converged);
        assert!((r.error_bound - 0.85 / 0.15 * r.residual).abs() <= 1e-18);
    }

    #[test]
    fn personalization_files_with_and_without_weights() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = NodeTable::String({
            let mut i = crate::graph::ids::Interner::default();
            for s in ["a", "b c", "http://x/?p=1,5"] {
                i.intern(s.as_bytes());
            }
            i.into_sorted().0
        });
        let path = dir.path().join("seeds");
        std::fs::write(&path, "# seeds\na\t2.5\nb c\nhttp://x/?p=1,5\n").unwrap();
        let pairs = read_personalization(&path, &nodes).unwrap();
        let id = |s: &str| nodes.lookup(s.as_bytes()).unwrap();
        assert_eq!(
            pairs,
            vec![(id("a"), 2.5), (id("b c"), 1.0), (id("http://x/?p=1,5"), 1.0)]
        );
        std::fs::write(&path, "a\t-1\n").unwrap();
        let err = read_personalization(&path, &nodes).unwrap_err().to_string();
        assert!(err.contains(":1: the weight is negative"), "{err}");
        std::fs::write(&path, "a\nzzz\n").unwrap();
        let err = read_personalization(&path, &nodes).unwrap_err().to_string();
        assert!(err.ends_with(":2: this node is not in the graph: \"zzz\""), "{err}");
    }

    #[test]
    fn invalid_parameters_are_refused() {
        for config in [
            PageRankConfig {
                damping: 1.0,
                ..Default::default()
            },
            PageRankConfig {
                tolerance: -1.0,
                ..Default::default()
            },
            PageRankConfig {
                max_iterations: 0,
                ..Default::default()
            },
        ] {
            assert!(config.validate().is_err(), "{config:?}");
        }
    }

    #[test]
    fn ranks_that_do_not_sum_to_one_are_not_published() {
        // The check every run passes before its ranks are returned or written.
        assert!(check_ranks(&[0.25, 0.25, 0.5], 1e-9).is_ok());
        for (bad, expected) in [
            (vec![0.5, f64::NAN, 0.5], "node index 1 has rank NaN"),
            (vec![f64::INFINITY, 0.0], "node index 0 has rank inf"),
            (vec![1.5, -0.5], "node index 1 has rank -0.5"),
            (vec![0.1, 0.1], "sum to 0.2"),
            (vec![0.235, 0.0], "sum to 0.235"),
            (vec![0.5, 0.5 + 1e-8], "not 1 within 1e-9"),
        ] {
            let e = check_ranks(&bad, 1e-9).unwrap_err().to_string();
            assert!(e.contains(expected) && e.contains("none were written"), "{bad:?}: {e}");
        }
        // A million ranks of 1e-6 sum to 1 when compensated (a plain sum is off by ~1e-11;
        // with other values, by more than the bound).
        assert!(check_ranks(&vec![1e-6; 1_000_000], 1e-12).is_ok());
        // And a result is only made of checked ranks.
        let outcome = Outcome {
            states: vec![0.5, f64::NAN],
            iterations: Vec::new(),
            converged: true,
            fault: None,
        };
        assert!(PageRankResult::new(&PageRankConfig::default(), outcome).is_err());
    }

    #[test]
    fn huge_out_weights_do_not_overflow() {
        // Node 0 weighs its edges 1e308 each (their sum is beyond f64::MAX), node 1 its only
        // edge 1e-320 (its inverse is beyond f64::MAX): the same ranks as weights of 1, in
        // f64 and f32, and nobody dangling.
        let extreme = [
            (0, 1, 1e308),
            (0, 2, 1e308),
            (1, 2, 1e-320),
            (2, 0, 1e300),
            (2, 1, 3e300),
        ];
        let plain = [(0, 1, 1.0), (0, 2, 1.0), (1, 2, 1.0), (2, 0, 1.0), (2, 1, 3.0)];
        for (precision, tolerance) in [(Precision::F64, 1e-15), (Precision::F32, 1e-6)] {
            let config = PageRankConfig {
                precision,
                ..Default::default()
            };
            let g = graph(3, &extreme, true, 2);
            assert_eq!(g.stats().dangling_nodes, 0);
            let r = run(&g, &config, None);
            let expected = run(&graph(3, &plain, true, 2), &config, None);
            assert!(
                l1(&r.ranks, &expected.ranks) < tolerance,
                "{precision:?}: {:?}",
                r.ranks
            );
        }
        // The export still sees the weights as given.
        let g = graph(3, &extreme, true, 2);
        let mut seen: Vec<(u32, u32, f64)> = g.shards().iter().flat_map(|s| s.edges_iter()).collect();
        seen.sort_by_key(|e| (e.0, e.1));
        assert_eq!(seen, extreme);
    }

    #[test]
    fn huge_personalization_values_normalise() {
        let p = normalise_personalization(3, &[(0, 1e308), (1, 1e308), (1, 1e308)]).unwrap();
        assert_eq!(p, vec![1.0 / 3.0, 2.0 / 3.0, 0.0]);
        let p = normalise_personalization(2, &[(0, 1e-320), (1, 1e-320)]).unwrap();
        assert_eq!(p, vec![0.5, 0.5]);
        assert!(normalise_personalization(2, &[(0, 0.0)]).is_err());
        assert!(normalise_personalization(2, &[(0, f64::NAN)]).is_err());
        assert!(normalise_personalization(2, &[(0, f64::INFINITY)]).is_err());
    }
}
