//! The worker threads a job runs on: one rayon pool per job, of a bounded size.

use crate::error::{Error, Result};

/// The most worker threads a job may ask for: 8 per core, and at least 64.
///
/// Threads change speed, never results, and past a few per core they only add stacks,
/// per-thread buffers and scheduling (thousands of threads exhausted memory or took minutes
/// to start); 8 per core leaves room for oversubscription experiments, and 64 lets a test or
/// a small machine try a pool larger than its cores.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(8).max(64)
}

/// A rayon pool of `threads` worker threads (`None`: one per core) to run a job on, at most
/// [`max_threads`]. Threads change speed, never results.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::parameter("threads", "must be at least 1"));
    }
    let limit = max_threads();
    if let Some(threads) = threads
        && threads > limit
    {
        return Err(Error::parameter(
            "threads",
            format!("must be at most {limit} (8 per core, at least 64), not {threads}"),
        ));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .thread_name(|i| format!("crawlrank-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start the worker threads: {e}")))
}
