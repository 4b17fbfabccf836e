//! The `export` jobs: turn a finished result folder into other formats without ranking
//! again. The graph is read once more (with the options recorded in `summary.json`) and the
//! ranks come from the part files.
//!
//! - [`export_gexf`]: a slice of the ranking as GEXF for Gephi;
//! - `export_bvgraph` (feature `bvgraph`): the graph itself, from a result folder or from
//!   inputs read as `rank` reads them, as a LAW WebGraph BVGraph.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::graph::{BuildOptions, LoadOptions, Loaded, NodeTable, load};
use crate::input::{InputFile, InputFormat, ParseOptions, bundled};
use crate::output::summary::LoadRecord;
use crate::output::{GexfExport, GexfReport, Ranked};
use crate::progress::Progress;

/// Everything `export gexf` needs.
#[derive(Clone, Debug)]
pub struct ExportGexfJob {
    /// The result folder.
    pub result: PathBuf,
    /// Edge lists to read instead of those recorded in the summary.
    pub inputs: Vec<String>,
    /// What to write.
    pub export: GexfExport,
}

#[derive(Deserialize)]
struct RecordedInput {
    path: String,
    source: String,
    absolute_path: Option<String>,
    #[serde(default)]
    format: InputFormat,
    #[serde(default)]
    skipped: Option<String>,
}

#[derive(Deserialize)]
struct RecordedRun {
    inputs: Vec<RecordedInput>,
    load: LoadRecord,
    /// The store it ranked, if it ranked one.
    #[serde(default)]
    store: Option<crate::output::summary::StoreRecord>,
}

/// Reads the ranking in `job.result` and writes the GEXF file.
pub fn export_gexf(job: &ExportGexfJob, progress: &dyn Progress) -> Result<GexfReport> {
    job.export.validate()?;
    let dir = &job.result;
    let _lock = open_result(dir, "crawlrank export gexf")?;
    let loaded = reload_graph(dir, &job.inputs, progress)?;
    let ranks = read_ranks(&dir.join("ranks"), loaded.graph.nodes())?;
    job.export.write(&Ranked::new(&loaded.graph, &ranks), Path::new("."))
}

/// Where an export takes its graph from.
#[derive(Clone, Debug)]
pub enum GraphSource {
    /// The graph of the complete result folder `dir`, read again with the options recorded in
    /// its `summary.json`, from `inputs` when given (the files were moved).
    Result {
        /// The result folder.
        dir: PathBuf,
        /// Edge lists to read instead of those recorded in the summary.
        inputs: Vec<String>,
    },
    /// Inputs read as `rank` reads them.
    Inputs {
        /// The inputs (see [`crate::input::expand`]).
        inputs: Vec<InputFile>,
        /// How to read them.
        load: LoadOptions,
    },
}

/// Whether an export's first argument `path` is a result folder rather than an input: a
/// folder holding `summary.json` (an input folder of edge lists holds none). The result must
/// then be complete ([`require_complete`]).
pub fn is_result_folder(path: &Path) -> bool {
    path.is_dir() && path.join("summary.json").is_file()
}

/// Everything `export bvgraph` needs.
#[cfg(feature = "bvgraph")]
#[derive(Clone, Debug)]
pub struct ExportBvgraphJob {
    /// The graph to write.
    pub source: GraphSource,
    /// Where to write it.
    pub export: crate::output::BvgraphExport,
    /// Write the simple graph under a graph read with `--multi` or `--weighted` (one arc per
    /// pair of nodes, no weights) instead of refusing it.
    pub collapse: bool,
}

/// What `export bvgraph` did.
#[cfg(feature = "bvgraph")]
#[derive(Clone, Debug)]
pub struct ExportBvgraphOutcome {
    /// What was written.
    pub report: crate::output::BvgraphReport,
    /// What each input file held (separator, header, skipped files).
    pub inputs: Vec<crate::input::FileReport>,
    /// What the user should know: a graph collapsed to the simple graph under it.
    pub notes: Vec<String>,
}

/// Reads the graph of `job.source` and writes it as a BVGraph. A graph read with `multi` or
/// `weighted` is refused unless `job.collapse`: a BVGraph is a simple graph, and ranking the
/// export would not give that ranking.
#[cfg(feature = "bvgraph")]
pub fn export_bvgraph(job: &ExportBvgraphJob, progress: &dyn Progress) -> Result<ExportBvgraphOutcome> {
    // The output is checked before the graph is read, which may take long.
    job.export.check()?;
    let (loaded, _lock) = match &job.source {
        GraphSource::Result { dir, inputs } => {
            let lock = open_result(dir, "crawlrank export bvgraph")?;
            (reload_graph(dir, inputs, progress)?, lock)
        }
        GraphSource::Inputs { inputs, load: options } => {
            options.build.validate()?;
            (super::source::load_any(inputs, options, progress)?, None)
        }
    };
    let graph = &loaded.graph;
    let stats = graph.stats();
    let read_as: Vec<&str> = [(stats.multi, "--multi"), (stats.weighted, "--weighted")]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect();
    if !read_as.is_empty() && !job.collapse {
        let what = match &job.source {
            GraphSource::Result { dir, .. } => format!("{} was ranked", dir.display()),
            GraphSource::Inputs { .. } => "the graph was read".to_string(),
        };
        return Err(Error::Config(format!(
            "{what} with {}, but a BVGraph holds a simple graph (one arc per pair of nodes, no weights); \
             --collapse writes the simple graph under it instead (which ranks differently)",
            read_as.join(" and ")
        )));
    }
    let report = job.export.write(graph, progress)?;
    let mut notes = Vec::new();
    if !read_as.is_empty() {
        let mut dropped = Vec::new();
        if stats.multi {
            dropped.push(format!("{} parallel edges collapsed", graph.edge_count() - report.arcs));
        }
        if stats.weighted {
            dropped.push("weights dropped".to_string());
        }
        notes.push(format!(
            "the graph was read with {}; the BVGraph holds the simple graph under it ({})",
            read_as.join(" and "),
            dropped.join(", ")
        ));
    }
    Ok(ExportBvgraphOutcome {
        report,
        inputs: graph.files().to_vec(),
        notes,
    })
}

/// Reads the graph of the complete result in `dir` again, with the options recorded in its
/// `summary.json`, from `inputs` when given (the files were moved) or else from the recorded
/// paths. The caller holds the folder's lock (or reads a folder that cannot be locked).
pub(crate) fn reload_graph(dir: &Path, inputs: &[String], progress: &dyn Progress) -> Result<Loaded> {
    let summary_path = dir.join("summary.json");
    let text = std::fs::read(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
    let run: RecordedRun = serde_json::from_slice(&text).map_err(|e| {
        Error::Input(format!(
            "{}: not a crawlrank summary this version can read ({e})",
            summary_path.display()
        ))
    })?;
    if inputs.is_empty()
        && let Some(store) = &run.store
    {
        let dir = Path::new(&store.path);
        if crate::store::is_store(dir) {
            return super::source::open_store(dir, &LoadOptions::default(), progress);
        }
        return Err(Error::Input(format!(
            "{}: ranked the store {}, which is gone; build it again there, or give its inputs after the result folder",
            summary_path.display(),
            store.path
        )));
    }
    let inputs = if inputs.is_empty() {
        recorded_inputs(&run)?
    } else {
        crate::input::expand(inputs)?
    };
    let options = LoadOptions {
        parse: ParseOptions {
            separator: run.load.separator,
            weighted: run.load.weighted,
            skip_bad_lines: run.load.skip_bad_lines,
            header: run.load.header,
        },
        ids: run.load.ids,
        build: BuildOptions {
            multi: run.load.multi,
            shards: Some(run.load.shards),
            general_path: false,
        },
        names: run.load.names.clone(),
        memory: None,
    };
    load(&inputs, &options, progress)
}

/// Opens the complete result in `dir` for reading: locked, so that no rank run commits into
/// it meanwhile, and recovered from an interrupted commit. A folder beside which no lock can
/// be made (a read-only share) is read as it is (`None`).
fn open_result(dir: &Path, command: &str) -> Result<Option<crate::output::FolderLock>> {
    if !dir.is_dir() {
        return Err(Error::Input(format!("{}: no such result folder", dir.display())));
    }
    let lock = match crate::output::FolderLock::acquire(dir, None, command) {
        Ok(lock) => {
            crate::output::commit::recover(&crate::output::commit::RealFs, dir)?;
            Some(lock)
        }
        Err(Error::Io { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    require_complete(dir)?;
    Ok(lock)
}

/// Fails unless `dir` holds a complete result (`ranks/_SUCCESS`).
pub fn require_complete(dir: &Path) -> Result<()> {
    let previous = dir.join(crate::output::commit::PREVIOUS);
    if previous.exists() {
        return Err(Error::Input(format!(
            "{}: a run's commit was interrupted here, and the folder cannot be locked to set it right; \
             the previous result is whole in {} (any crawlrank run with write access restores it)",
            dir.display(),
            previous.display()
        )));
    }
    if !dir.join("ranks").join(crate::output::SUCCESS).is_file() {
        return Err(Error::Input(format!(
            "{}: not a complete crawlrank result (no ranks/_SUCCESS); rank into it first",
            dir.display()
        )));
    }
    Ok(())
}

fn recorded_inputs(run: &RecordedRun) -> Result<Vec<InputFile>> {
    run.inputs
        .iter()
        .filter(|input| input.skipped.is_none())
        .map(|input| match input.source.as_str() {
            "bundled" if input.path == bundled::NAME => Ok(bundled::input()),
            "stdin" => Err(Error::Input(
                "the ranking read standard input, which cannot be read again; give the edge lists after the folder"
                    .to_string(),
            )),
            _ => {
                let path = input.absolute_path.clone().unwrap_or_else(|| input.path.clone());
                if input.format == InputFormat::BvGraph && crate::input::bvgraph::is_basename(Path::new(&path)) {
                    Ok(InputFile::BvGraph {
                        basename: path.into(),
                        listed: false,
                    })
                } else if Path::new(&path).is_file() {
                    Ok(InputFile::Path(path.into()))
                } else {
                    Err(Error::Input(format!(
                        "{path}: the ranked edge list is no longer there; give its new place after the folder"
                    )))
                }
            }
        })
        .collect()
}

/// Reads `id<TAB>rank` part files into a rank per dense node id; every node of the graph
/// must have its rank there, and every id there must be a node (the ranked graph).
fn read_ranks(folder: &Path, nodes: &NodeTable) -> Result<Vec<f64>> {
    let read = crate::output::parts::read_ranks(folder, nodes, true)?;
    if read.found != nodes.len() {
        return Err(Error::Input(format!(
            "{}: ranks for {} nodes, but the graph read now has {}; is this the ranked graph?",
            folder.display(),
            read.found,
            nodes.len()
        )));
    }
    Ok(read.ranks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Graph;
    use crate::input::compression;
    use crate::output::tsv;
    use crate::output::{Exporter, OutputCompression, PartFiles, TopTable, read_top};

    /// Ids that a CSV input can hold, and the plain ones that must not change.
    const TRICKY_IDS: [&[u8]; 12] = [
        b"tab\tinside",
        b"a \"quoted\" word",
        b"\"leading quote",
        b"new\nline",
        b"carriage\rreturn",
        b"crlf\r\n",
        b"comma,inside",
        b"bad \xff\xfe utf-8",
        b"https://a.example/page?x=1&y=2",
        b"NA",
        b"nan",
        b"12345",
    ];

    /// Every record of the part files, split by the files' own dialect.
    fn records(folder: &Path) -> Vec<Vec<Vec<u8>>> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if !path.file_name().unwrap().to_string_lossy().starts_with("part-") {
                continue;
            }
            let (_, decoded) = compression::decode(std::fs::File::open(&path).unwrap()).unwrap();
            for record in tsv::reader(decoded, false).into_byte_records() {
                all.push(record.unwrap().iter().map(<[u8]>::to_vec).collect());
            }
        }
        all
    }

    #[test]
    fn tricky_ids_read_back_byte_for_byte_from_part_files_and_top_tsv() {
        let n = TRICKY_IDS.len();
        let edges: Vec<(&[u8], &[u8])> = (0..n).map(|i| (TRICKY_IDS[i], TRICKY_IDS[(i * 5 + 1) % n])).collect();
        let graph = Graph::builder().shards(3).labelled_edges(edges).unwrap();
        assert_eq!(graph.node_count(), n);
        // Distinct ranks, so that a lookup that found the wrong node would show.
        let ranks: Vec<f64> = (0..n).map(|v| 1.0 / (v as f64 + 3.0)).collect();
        let ranked = Ranked::new(&graph, &ranks);
        for compression in [OutputCompression::Gzip, OutputCompression::None] {
            let dir = tempfile::tempdir().unwrap();
            PartFiles { compression }.export(&ranked, dir.path()).unwrap();
            TopTable { k: n }.export(&ranked, dir.path()).unwrap();

            // Every line is one id and one rank, the id being one of the graph's.
            let written = records(&dir.path().join("ranks"));
            assert_eq!(written.len(), n);
            for record in &written {
                assert_eq!(record.len(), 2, "{record:?}");
                assert!(TRICKY_IDS.contains(&&record[0][..]), "{record:?}");
            }
            assert_eq!(read_ranks(&dir.path().join("ranks"), graph.nodes()).unwrap(), ranks);

            let file = std::fs::File::open(dir.path().join("top.tsv")).unwrap();
            for record in tsv::reader(file, true).into_byte_records() {
                let record = record.unwrap();
                assert_eq!(record.len(), 5, "{record:?}");
            }
            let top = read_top(&dir.path().join("top.tsv")).unwrap();
            assert_eq!(top.len(), n);
            for (i, row) in top.iter().enumerate() {
                assert_eq!(row.position, i + 1);
                let node = graph
                    .find(&row.id[..])
                    .unwrap_or_else(|| panic!("{:?} is not an id of the graph", row.label()));
                assert_eq!(row.pagerank, ranks[node as usize]);
                assert_eq!(row.in_degree, graph.in_degree()[node as usize]);
                assert_eq!(row.out_degree, graph.out_degree()[node as usize]);
            }
            let mut ids: Vec<&[u8]> = top.iter().map(|r| &r.id[..]).collect();
            ids.sort();
            let mut expected = TRICKY_IDS.to_vec();
            expected.sort();
            assert_eq!(ids, expected);
        }
    }

    #[test]
    fn integer_ids_are_written_unquoted() {
        let graph = Graph::from_sparse_edges([(7, 1 << 40), (1 << 40, 7), (3, 7)]).unwrap();
        let ranks = [0.25, 0.5, 0.25];
        let dir = tempfile::tempdir().unwrap();
        let ranked = Ranked::new(&graph, &ranks);
        PartFiles {
            compression: OutputCompression::None,
        }
        .export(&ranked, dir.path())
        .unwrap();
        TopTable { k: 3 }.export(&ranked, dir.path()).unwrap();
        let part = std::fs::read_to_string(dir.path().join("ranks/part-00000")).unwrap();
        assert_eq!(part, "3\t0.25\n7\t0.5\n1099511627776\t0.25\n");
        let top = std::fs::read_to_string(dir.path().join("top.tsv")).unwrap();
        assert_eq!(
            top,
            "position\tid\tpagerank\tin_degree\tout_degree\n1\t7\t0.5\t2\t1\n2\t3\t0.25\t0\t1\n3\t1099511627776\t0.25\t1\t1\n"
        );
        assert_eq!(read_ranks(&dir.path().join("ranks"), graph.nodes()).unwrap(), ranks);
        let ids: Vec<Vec<u8>> = read_top(&dir.path().join("top.tsv"))
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [&b"7"[..], b"3", b"1099511627776"]);
    }

    #[test]
    fn files_written_before_ids_were_quoted_still_read() {
        // Then an id with a tab was written bare; the extra fields belong to the id.
        let graph = Graph::from_labelled_edges([("a\tb", "c")]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ranks")).unwrap();
        std::fs::write(dir.path().join("ranks/part-00000"), "a\tb\t0.75\nc\t0.25\n").unwrap();
        assert_eq!(
            read_ranks(&dir.path().join("ranks"), graph.nodes()).unwrap(),
            [0.75, 0.25]
        );
        let top = dir.path().join("top.tsv");
        std::fs::write(
            &top,
            "position\tid\tpagerank\tin_degree\tout_degree\n1\ta\tb\t0.75\t0\t1\n",
        )
        .unwrap();
        assert_eq!(read_top(&top).unwrap()[0].id, b"a\tb");
    }

    #[test]
    fn a_bad_part_line_names_its_file_and_line() {
        let graph = Graph::from_labelled_edges([("a", "b")]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ranks")).unwrap();
        std::fs::write(dir.path().join("ranks/part-00000"), "a\t0.5\n\"b\nc\"\tx\n").unwrap();
        let message = read_ranks(&dir.path().join("ranks"), graph.nodes())
            .unwrap_err()
            .to_string();
        assert!(message.contains("part-00000"), "{message}");
        assert!(message.contains("part-00000:2:"), "{message}");
        assert!(
            message.contains("the rank is not a finite number at least 0"),
            "{message}"
        );
    }
}
