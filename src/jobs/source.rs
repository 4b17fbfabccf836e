//! Where a job's graph comes from: input files read and built, or a store opened
//! (`crawlrank build`'s output), whose cells stay on disk.

use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::graph::{IdKind, IdMode, LoadOptions, Loaded, load};
use crate::input::InputFile;
use crate::progress::{Event, Phase, Progress};
use crate::store::{Manifest, Store};

/// The store among `inputs`, when they are one store folder; an error when a store comes
/// with other inputs.
pub(crate) fn store_input(inputs: &[InputFile]) -> Result<Option<&Path>> {
    let stores: Vec<&Path> = inputs
        .iter()
        .filter_map(|i| match i {
            InputFile::Path(p) if crate::store::is_store(p) => Some(p.as_path()),
            _ => None,
        })
        .collect();
    match (stores.len(), inputs.len()) {
        (0, _) => Ok(None),
        (1, 1) => Ok(Some(stores[0])),
        _ => Err(Error::Input(format!(
            "{}: a store is ranked alone, not with other inputs; build one store of all of them (crawlrank build INPUT… \
             -o STORE)",
            stores[0].display()
        ))),
    }
}

/// Reads and builds `inputs`, or opens the store they name. For a store, `options` may only
/// repeat what the store was built with.
pub(crate) fn load_any(inputs: &[InputFile], options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
    match store_input(inputs)? {
        None => load(inputs, options, progress),
        Some(dir) => open_store(dir, options, progress),
    }
}

/// Opens the store at `dir` as a loaded graph: as many of its cells as fit in `--memory`
/// beside the nodes' state are kept in memory once the first round has decoded them; the
/// rest are streamed from disk every round.
pub(crate) fn open_store(dir: &Path, options: &LoadOptions, progress: &dyn Progress) -> Result<Loaded> {
    open_store_as(dir, options, progress, true)
}

/// Opens the store at `dir` with its cells left on disk, whatever their size (a distributed
/// worker then holds its own shards when they fit: [`crate::graph::ShardedGraph::hold`]).
#[cfg(feature = "distributed")]
pub(crate) fn open_store_streamed(dir: &Path, options: &LoadOptions) -> Result<Loaded> {
    open_store_as(dir, options, &crate::progress::Silent, false)
}

fn open_store_as(dir: &Path, options: &LoadOptions, progress: &dyn Progress, may_hold: bool) -> Result<Loaded> {
    let started = Instant::now();
    progress.event(Event::Started(Phase::Read));
    let store = Store::open(dir)?;
    check_options(dir, store.manifest(), options)?;
    let names = store.manifest().names.clone();
    let shard_files: u64 = (store.manifest().files.iter())
        .filter(|f| f.path.starts_with("shards/"))
        .map(|f| f.bytes)
        .sum();
    let mut graph = store.into_graph();
    if may_hold {
        let room = room_for_cells(&graph, options.memory, shard_files);
        graph.sharded_mut().keep_decoded(room);
    }
    let read_seconds = started.elapsed().as_secs_f64();
    progress.event(Event::Finished(Phase::Read, read_seconds));
    Ok(Loaded {
        graph,
        read_seconds,
        partition_seconds: 0.0,
        names,
        store: Some(dir.to_path_buf()),
    })
}

/// Bytes of state per node a ranking holds besides the node table: ranks, next ranks,
/// messages, inverse out-degrees (8 each), in- and out-degrees (4 each).
const STATE_BYTES_PER_NODE: u64 = 40;

/// Bytes left for decoded cells in `memory` beside the nodes' state, the node table (ids,
/// names), and the buffer of a blocked round (held: its messages; unless every cell fits,
/// the group a streamed round decodes into).
///
/// Without `--memory` the budget is the default (three quarters of the RAM), and when not
/// every cell fits in it, the store's shard files (`shard_files` bytes: cells, and weights
/// when there are some) are left room in the page cache too: a group streamed from disk costs more than decoding it from memory, and
/// cells kept decoded take more memory than their compressed bytes (R-MAT 28: 17 GB
/// decoded against 13.7 GB stored; keeping 18 GiB of them left most of the store to be
/// read from disk every round, and the run above the 32 bytes a node id + 1 GiB its
/// targets allow).
fn room_for_cells(graph: &crate::graph::Graph, memory: Option<u64>, shard_files: u64) -> u64 {
    let budget = memory.unwrap_or_else(crate::memory::default_budget);
    let (nodes, cells) = (node_bytes(graph, 1), graph.sharded().decoded_cell_bytes());
    let held = nodes + crate::engine::held_buffer_bytes(graph.node_count() as u64, graph.stats().edges);
    if held.saturating_add(cells) <= budget {
        return budget - held;
    }
    let cached = if memory.is_some() { 0 } else { shard_files };
    let group = crate::engine::group_buffer_bytes(graph.node_count() as u64);
    budget.saturating_sub(nodes + cached + cells.min(group))
}

/// Bytes a ranking of `graph` holds for its nodes, whatever its edges: the nodes' state
/// (weighted: their weight sums too) and the node table (ids, names), which `sharing`
/// workers of one process share.
pub(crate) fn node_bytes(graph: &crate::graph::Graph, sharing: usize) -> u64 {
    let per_node = STATE_BYTES_PER_NODE + if graph.stats().weighted { 16 } else { 0 };
    graph.node_count() as u64 * per_node + graph.nodes().heap_bytes() as u64 / sharing.max(1) as u64
}

/// Refuses the options that would need another build of the store: each names what the
/// store has and how to build one with the option.
fn check_options(dir: &Path, manifest: &Manifest, options: &LoadOptions) -> Result<()> {
    let built = &manifest.load;
    let mut clashes = Vec::new();
    if let Some(shards) = options.build.shards
        && shards != manifest.shards()
    {
        clashes.push(format!(
            "--shards {shards} (the store has {} shards)",
            manifest.shards()
        ));
    }
    if options.build.multi && !built.multi {
        clashes.push("--multi (the store collapsed duplicate edges)".to_string());
    }
    if options.parse.weighted && !manifest.graph.weighted {
        clashes.push("--weighted (the store has no weights)".to_string());
    }
    // `--ids int` or `string` repeats an automatic build that found that kind of ids: the
    // ids are then read alike (auto mode takes an id for an integer only when written
    // canonically, so no id reads differently under `int`).
    let same_ids = match options.ids {
        IdMode::Auto => true,
        IdMode::Int => manifest.ids == IdKind::Int,
        IdMode::String => manifest.ids == IdKind::String,
    };
    if !same_ids && options.ids != built.ids {
        clashes.push(format!(
            "--ids {} (the store read ids as {})",
            options.ids.name(),
            built.ids.name()
        ));
    }
    if options.names.is_some() {
        clashes.push("--names (names are read when the store is built)".to_string());
    }
    if options.parse.separator.is_some() || options.parse.header.is_some() || options.parse.skip_bad_lines {
        clashes.push("--sep/--header/--no-header/--skip-bad-lines (the store's edges are already read)".to_string());
    }
    if clashes.is_empty() {
        return Ok(());
    }
    Err(Error::Config(format!(
        "{}: a store fixes how its graph was read and built, and these options would change it: {}; build a new \
         store with them (crawlrank build INPUT… -o STORE), or leave them out",
        dir.display(),
        clashes.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Graph;

    #[test]
    fn the_room_for_cells_leaves_out_the_state_the_node_table_and_one_group() {
        let ring = |i: u64| (i, (i + 1) % 1000);
        let dense = Graph::from_edges((0..1000).map(|i| (i as u32, ((i + 1) % 1000) as u32))).unwrap();
        let sparse = Graph::from_sparse_edges((0..1000).map(ring).map(|(s, t)| (s << 40, t << 40))).unwrap();
        let labelled = Graph::from_labelled_edges(
            (0..1000)
                .map(ring)
                .map(|(s, t)| (format!("host-{s}"), format!("host-{t}"))),
        )
        .unwrap();
        let state = 1000 * STATE_BYTES_PER_NODE;
        // Ids 0..n take no table: the state and every cell fit exactly.
        let cells = dense.sharded().decoded_cell_bytes();
        assert_eq!(room_for_cells(&dense, Some(state + cells), 0), cells);
        // A byte less, and a group to decode into is set aside (here: all the cells).
        assert_eq!(room_for_cells(&dense, Some(state + cells - 1), 0), 0);
        let group = crate::engine::group_buffer_bytes(1000);
        assert!(group > cells);
        assert_eq!(room_for_cells(&dense, Some(state + group + cells), 0), group + cells);
        // A store's cell files are left room in the page cache only under the default
        // budget, and only when not every cell fits.
        assert_eq!(room_for_cells(&dense, Some(state + cells - 1), 1 << 40), 0);
        assert_eq!(room_for_cells(&dense, Some(state + 2 * cells), 1 << 40), 2 * cells);
        assert_eq!(
            room_for_cells(&dense, None, 1 << 50),
            crate::memory::default_budget() - state
        );
        // 64-bit ids take 8 bytes a node, names (6 bytes or more here) their text and an
        // 8-byte end each: without room for them the cells do not fit.
        for (graph, table) in [(&sparse, 8 * 1000), (&labelled, (8 + 6) * 1000)] {
            let cells = graph.sharded().decoded_cell_bytes();
            assert!(graph.nodes().heap_bytes() as u64 >= table);
            assert_eq!(room_for_cells(graph, Some(state + cells), 0), 0);
            let held = state + graph.nodes().heap_bytes() as u64 + cells;
            assert_eq!(room_for_cells(graph, Some(held), 0), cells);
        }
        // Weights add their sums, 16 bytes a node.
        let weighted = Graph::builder()
            .weighted_edges((0..1000).map(|i| (i as u32, ((i + 1) % 1000) as u32, 2.0)))
            .unwrap();
        assert_eq!(node_bytes(&weighted, 1), 1000 * (STATE_BYTES_PER_NODE + 16));
        // Workers of one process share the table.
        assert_eq!(node_bytes(&sparse, 2), state + sparse.nodes().heap_bytes() as u64 / 2);
    }
}
