//! One import for programs that rank graphs: `use crawlrank::prelude::*;`.
//!
//! ```
//! use crawlrank::prelude::*;
//!
//! let graph = Graph::from_edges([(0, 1), (1, 2), (2, 0), (3, 2)])?;
//! let ranking = PageRank::new().run(&graph)?;
//! for (node, rank) in ranking.top(2) {
//!     println!("{node}\t{rank:.6}");
//! }
//! # Ok::<(), crawlrank::Error>(())
//! ```

pub use crate::algo::{Dangling, PageRank, PageRankConfig, Precision, Ranking};
pub use crate::engine::IterationReport;
pub use crate::error::{Error, Result};
pub use crate::graph::{Graph, GraphBuilder, IdKind, IdMode, Node};
pub use crate::input::Separator;
