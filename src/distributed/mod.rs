//! Distributed ranking: the rank job's pipeline, run by every worker of several processes
//! (and machines) that cooperate on timely dataflow.
//!
//! - [`cluster`]: the hosts file, connections with a deadline, failure reports.
//! - `exchange`: one superstep of all-to-all exchange between timely workers.
//! - `ingest`: each worker reads its stripe of the inputs; ids, degrees and edges are
//!   exchanged until every worker holds the shards it owns.
//! - `executor`: the rounds, with the local executor's reduce kernel: partial sums to the
//!   destination block's owner, new states back to everyone.
//! - `run`: a worker as an executor of the rank pipeline, and the process around it.

pub mod cluster;
mod exchange;
mod executor;
mod ingest;
mod run;

pub use cluster::{Cluster, explain_panic};
pub use run::{Abort, ProcessOutcome, remove_staging, run};
