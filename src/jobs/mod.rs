//! The jobs: what each command does, from its inputs to its results, callable from any
//! program. The command line turns its arguments into one of these and runs it.
//!
//! | job | what it does |
//! |---|---|
//! | [`rank`] | reads edges (or a store), ranks them and writes a result folder (local or distributed) |
//! | [`build`] | reads edges and writes them as a store, to rank many times without reading them again |
//! | [`stats`] | reads edges and reports counts and degree distributions |
//! | [`export`] | writes a slice of a finished result as GEXF, or its graph (or any input's) as a LAW BVGraph, without ranking again |
//! | `plot` | redraws the charts and report of a finished result (feature `plots`) |

pub mod build;
pub mod export;
#[cfg(feature = "plots")]
pub mod plot;
pub mod rank;
pub(crate) mod source;
pub mod stats;

pub use crate::threads::{max_threads, thread_pool};
