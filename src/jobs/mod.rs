//! The jobs: what each command does, from its inputs to its results, callable from any
//! program. The command line turns its arguments into one of these and runs it.
//!
//! | job | what it does |
//! |---|---|
//! | [`rank`] | reads edges, ranks them and writes a result folder (local or distributed) |
//! | [`stats`] | reads edges and reports counts and degree distributions |
//! | [`export`] | writes a slice of a finished result as GEXF, without ranking again |
//! | `plot` | redraws the charts and report of a finished result (feature `plots`) |

pub mod export;
#[cfg(feature = "plots")]
pub mod plot;
pub mod rank;
pub mod stats;

use crate::error::{Error, Result};

/// A rayon pool of `threads` worker threads (`None`: one per core) to run a job on. Threads
/// change speed, never results.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::parameter("threads", "must be at least 1"));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .thread_name(|i| format!("crawlrank-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start the worker threads: {e}")))
}
