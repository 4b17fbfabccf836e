//! The `plot` job: redraw the charts and the HTML report of a finished result folder from
//! its `summary.json` and `top.tsv`, without ranking again.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::{Summary, read_top};
use crate::plot::{ChartData, PlotFormat, draw_all, report};

/// What a redraw wrote.
pub struct Redrawn {
    /// The chart files.
    pub charts: Vec<PathBuf>,
    /// The HTML report.
    pub report: PathBuf,
}

/// Draws the charts of the result in `dir` into `dir/plots` and writes `dir/report.html`.
pub fn run(dir: &Path, format: PlotFormat) -> Result<Redrawn> {
    if !dir.is_dir() {
        return Err(crate::error::Error::Input(format!(
            "{}: no such result folder",
            dir.display()
        )));
    }
    // Redrawn in place: no rank run may commit into the folder meanwhile.
    let _lock = crate::output::FolderLock::acquire(dir, None, "crawlrank plot")?;
    crate::output::commit::recover(&crate::output::commit::RealFs, dir)?;
    super::export::require_complete(dir)?;
    let summary = Summary::read(dir)?;
    let top = read_top(&dir.join("top.tsv"))?;
    let charts = draw_all(&ChartData::new(&summary, &top), dir, format)?;
    let report = report::write(&summary, &top, dir)?;
    Ok(Redrawn { charts, report })
}
