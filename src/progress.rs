//! Progress reports from the library to whoever drives it.
//!
//! The library never prints: it calls [`Progress::event`], and the command line turns events
//! into progress bars (on a terminal only). Tests and library users pass [`Silent`].

/// A stage of a ranking run, for progress reports and the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading and parsing the input text.
    Read,
    /// Remapping ids, sorting and sharding the edges.
    Partition,
    /// The iterations.
    Iterate,
    /// Writing the results.
    Write,
}

/// Something worth telling the user while a job runs.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A phase begins.
    Started(Phase),
    /// Reading advanced: compressed bytes read so far, of the total when known, and edges.
    Read {
        /// Bytes taken from the input files so far.
        bytes: u64,
        /// Their total size, when every input is a file.
        total_bytes: Option<u64>,
        /// Edge lines read so far.
        edges: u64,
    },
    /// An iteration finished.
    Iteration {
        /// One-based iteration number.
        iteration: usize,
        /// The iteration limit.
        max_iterations: usize,
        /// L1 change of the ranks in this iteration.
        change: f64,
        /// The run stops once the change is below this (`--tol`; 0: it runs to the limit).
        tolerance: f64,
    },
    /// A phase ended after `seconds`.
    Finished(Phase, f64),
    /// Another run holds the result folder's lock, and this one waits for it to finish
    /// (`RankJob::wait`).
    Waiting,
}

/// Receives progress events. Must be cheap: it is called from the reading loop.
pub trait Progress: Sync {
    /// Takes one event.
    fn event(&self, event: Event);
}

/// Ignores every event.
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: Event) {}
}
