//! Distributed ranking: the same job as [`rank::run`](crate::rank::run), split over several
//! processes (and machines) that cooperate on timely dataflow.
//!
//! - [`cluster`]: the hosts file, connections with a deadline, failure handling.
//! - [`exchange`]: one superstep of all-to-all exchange between timely workers.
//! - [`ingest`]: each worker reads its stripe of the inputs; ids, degrees and edges are
//!   exchanged until every worker holds the shards it owns.
//! - [`executor`]: the PageRank rounds: partial sums to destination block owners, new
//!   states back to everyone.
//! - [`job`]: the whole `rank --hosts` job, output and commit protocol included.

pub mod cluster;
pub mod exchange;
pub mod executor;
pub mod ingest;
pub mod job;
