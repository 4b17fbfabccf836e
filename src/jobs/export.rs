//! The `export` job: turn a finished result folder into other formats without ranking
//! again. The graph is read once more (with the options recorded in `summary.json`) and the
//! ranks come from the part files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::graph::{BuildOptions, LoadOptions, NodeTable, load};
use crate::input::{InputFile, ParseOptions, bundled, compression};
use crate::output::summary::LoadRecord;
use crate::output::{GexfExport, GexfReport, Ranked, tsv};
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
}

#[derive(Deserialize)]
struct RecordedRun {
    inputs: Vec<RecordedInput>,
    load: LoadRecord,
}

/// Reads the ranking in `job.result` and writes the GEXF file.
pub fn export_gexf(job: &ExportGexfJob, progress: &dyn Progress) -> Result<GexfReport> {
    job.export.validate()?;
    let dir = &job.result;
    require_complete(dir)?;
    let summary_path = dir.join("summary.json");
    let text = std::fs::read(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
    let run: RecordedRun = serde_json::from_slice(&text).map_err(|e| {
        Error::Input(format!(
            "{}: not a crawlrank summary this version can read ({e})",
            summary_path.display()
        ))
    })?;
    let inputs = if job.inputs.is_empty() {
        recorded_inputs(&run)?
    } else {
        crate::input::expand(&job.inputs)?
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
    };
    let loaded = load(&inputs, &options, progress)?;
    let ranks = read_ranks(&dir.join("ranks"), loaded.graph.nodes())?;
    job.export.write(&Ranked::new(&loaded.graph, &ranks), Path::new("."))
}

/// Fails unless `dir` holds a complete result (`ranks/_SUCCESS`).
pub fn require_complete(dir: &Path) -> Result<()> {
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
        .map(|input| match input.source.as_str() {
            "bundled" if input.path == bundled::NAME => Ok(bundled::input()),
            "stdin" => Err(Error::Input(
                "the ranking read standard input, which cannot be read again; give the edge lists after the folder"
                    .to_string(),
            )),
            _ => {
                let path = input.absolute_path.clone().unwrap_or_else(|| input.path.clone());
                if Path::new(&path).is_file() {
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

/// Reads `id<TAB>rank` part files into a rank per dense node id. Quoted ids (those holding a
/// tab, a `"` or a line end) are unquoted, so every id is looked up with the bytes it was
/// written from.
fn read_ranks(folder: &Path, nodes: &NodeTable) -> Result<Vec<f64>> {
    let mut ranks = vec![f64::NAN; nodes.len()];
    let mut parts: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| Error::io(folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("part-")))
        .collect();
    parts.sort();
    let mut seen = 0usize;
    let mut record = csv::ByteRecord::new();
    for part in &parts {
        let name = part.display().to_string();
        let file = std::fs::File::open(part).map_err(|e| Error::io(part, e))?;
        let (_, decoded) = compression::decode(file).map_err(|e| Error::io(part, e))?;
        let mut reader = tsv::reader(decoded, false);
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(Error::io(part, e.into())),
            }
            let number = record.position().map_or(0, |p| p.line());
            let bad = |message: &str| Error::parse(&name, number, message, &tsv::record_text(&record));
            let id = tsv::id_field(&record, 0, 1).ok_or_else(|| bad("expected id<TAB>rank"))?;
            let rank: f64 = std::str::from_utf8(&record[record.len() - 1])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("the rank is not a number"))?;
            let node = nodes
                .lookup(&id)
                .ok_or_else(|| bad("this node is not in the graph read now; is this the ranked graph?"))?;
            if ranks[node as usize].is_nan() {
                seen += 1;
            }
            ranks[node as usize] = rank;
        }
    }
    if seen != nodes.len() {
        return Err(Error::Input(format!(
            "{}: ranks for {seen} nodes, but the graph read now has {}; is this the ranked graph?",
            folder.display(),
            nodes.len()
        )));
    }
    Ok(ranks)
}
