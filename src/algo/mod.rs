//! Vertex programs that run on the [engine](crate::engine): PageRank (plain, weighted,
//! personalized) and in-degree counting (countByKey).

pub mod degree;
pub mod pagerank;

pub use degree::InDegree;
pub use pagerank::{
    Dangling, PageRank, PageRankConfig, PageRankProgram, PageRankResult, Precision, Ranking, pagerank, pagerank_with,
    read_personalization,
};
