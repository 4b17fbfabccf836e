//! Vertex programs that run on the [engine](crate::engine): PageRank (plain, weighted,
//! personalized) and in-degree counting (countByKey).

#[cfg(test)]
mod degree;
pub(crate) mod pagerank;

pub(crate) use pagerank::read_personalization;
pub use pagerank::{Dangling, PageRank, PageRankConfig, Precision, Ranking};
