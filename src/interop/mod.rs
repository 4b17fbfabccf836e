//! Ranking graphs that live in other libraries' types.
//!
//! - `petgraph` (feature `petgraph`): any directed petgraph graph, with
//!   ranks indexed by its own node ids.

#[cfg(feature = "petgraph")]
pub mod petgraph;
