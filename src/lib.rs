//! # crawlrank
//!
//! Ranks the pages of large link graphs with PageRank, in the map/reduce style: edge lists
//! are read lazily, partitioned by source key into shards, and every iteration maps ranks to
//! contributions and reduces them by destination key, in parallel on rayon.
//!
//! The data flow, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | bytes → edge lines (files, folders, globs, stdin; gzip/bzip2/zstd) | [`input`] |
//! | edge lines → dense ids → sorted, sharded graph | [`graph`] |
//! | who owns which source range, destination block and shard | `partition` (internal) |
//! | the graph kept on disk: build once, rank many times | [`store`] |
//! | map / combine / reduce-by-key / apply iterations | [`engine`] |
//! | PageRank and other vertex programs | [`algo`] |
//! | part files, top table, summary, GEXF; the result folder's commit | [`output`] |
//! | the jobs (rank, stats, export, plot), stage after stage | [`jobs`] |
//! | the rank job over several processes (feature `distributed`) | `distributed` |
//! | charts and the HTML report (feature `plots`) | `plot` |
//!
//! ```no_run
//! use crawlrank::jobs::rank::{RankJob, run};
//! use crawlrank::progress::Silent;
//!
//! let job = RankJob::new(vec!["crawl.tsv.gz".into()], "output/crawl".into());
//! let outcome = run(&job, &Silent)?;
//! println!("{} iterations, converged: {}", outcome.summary.iterations_run, outcome.summary.converged);
//! # Ok::<(), crawlrank::Error>(())
//! ```

#![deny(missing_docs)]
#![deny(unreachable_pub)]

pub mod algo;
pub mod analysis;
#[cfg(feature = "distributed")]
pub mod distributed;
pub mod engine;
pub mod error;
pub mod generate;
pub mod graph;
pub mod input;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
pub mod interop;
pub mod jobs;
pub mod memory;
pub mod output;
pub(crate) mod partition;
#[cfg(feature = "plots")]
pub mod plot;
pub mod prelude;
pub mod progress;
pub mod store;
pub mod threads;

pub use error::{Error, Result};
