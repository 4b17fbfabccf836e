//! Distributed ranking: the rank job's pipeline, run by every worker of several processes
//! (and machines) that cooperate on timely dataflow.
//!
//! - [`cluster`]: the hosts file, the formation of the cluster within a deadline, failure
//!   reports.
//! - `handshake`: the greeting on every connection: mutual HMAC-SHA256 authentication with
//!   the shared [`Secret`], and the job fingerprints compared.
//! - `manifest`: what must agree between the processes (version, options, hosts, each
//!   input's size and a digest of its contents), and what differs when it does not.
//! - `liveness`: heartbeats, so that a stopped or cut-off process ends the run.
//! - `exchange`: one superstep of all-to-all exchange between timely workers.
//! - `ingest`: each worker reads its stripe of the inputs; ids, degrees and edges are
//!   exchanged until every worker holds the shards it owns.
//! - `executor`: the rounds, with the local executor's reduce kernel: partial sums to the
//!   destination block's owner, new states back to everyone.
//! - `run`: a worker as an executor of the rank pipeline, and the process around it.

pub mod cluster;
mod exchange;
mod executor;
mod handshake;
mod ingest;
mod liveness;
mod manifest;
mod run;

pub use cluster::{Cluster, NoteSink, explain_panic};
pub use handshake::Secret;
pub use manifest::JobManifest;
pub use run::{Abort, ProcessOutcome, after_commit, remove_staging, result_committed, run};
