//! Charts of a finished run, drawn with plotters from `summary.json` (and the top rows): the
//! library computes every series ([`crate::analysis`]); these modules only draw.
//!
//! One file per chart. Fonts are compiled in (Ubuntu Light for text, Hack for ids, from the
//! `epaint_default_fonts` crate) and rendered with ab_glyph, so charts look the same on a
//! machine without any font package.

mod convergence;
mod degree_distribution;
mod phases;
mod rank_distribution;
pub mod report;
mod top_nodes;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::output::{Summary, TopRow};

pub use crate::output::PlotFormat;

/// The charts, in the order the report shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    /// L1 change per iteration, tolerance and error bound.
    Convergence,
    /// CCDF of PageRank with the power-law fit.
    RankDistribution,
    /// In- and out-degree distributions.
    DegreeDistribution,
    /// Seconds per phase.
    Phases,
    /// The 25 best-ranked nodes.
    TopNodes,
}

impl Chart {
    /// Every chart.
    pub const ALL: [Chart; 5] = [
        Chart::Convergence,
        Chart::RankDistribution,
        Chart::DegreeDistribution,
        Chart::Phases,
        Chart::TopNodes,
    ];

    /// File stem, e.g. `convergence`.
    pub fn name(self) -> &'static str {
        match self {
            Chart::Convergence => "convergence",
            Chart::RankDistribution => "rank_distribution",
            Chart::DegreeDistribution => "degree_distribution",
            Chart::Phases => "phases",
            Chart::TopNodes => "top_nodes",
        }
    }

    /// A sentence saying what the chart shows.
    pub fn caption(self) -> &'static str {
        match self {
            Chart::Convergence => {
                "Did it converge, and how fast: the L1 change of the ranks at every iteration, with the stopping tolerance and the error bound it implies."
            }
            Chart::RankDistribution => {
                "How skewed the ranks are: the fraction of nodes whose PageRank is at least x, on log-log axes, with a power-law fit of the tail."
            }
            Chart::DegreeDistribution => {
                "How skewed the links are: in- and out-degree distributions in bins of powers of two, on log-log axes."
            }
            Chart::Phases => "Where the time went: seconds spent reading, partitioning, iterating and writing.",
            Chart::TopNodes => "The 25 best-ranked nodes and their PageRank.",
        }
    }

    /// Pixel size.
    pub fn size(self) -> (u32, u32) {
        match self {
            Chart::TopNodes => (1100, 860),
            Chart::Phases => (1000, 420),
            _ => (1000, 620),
        }
    }

    fn draw<DB: DrawingBackend>(self, root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        match self {
            Chart::Convergence => convergence::draw(root, data),
            Chart::RankDistribution => rank_distribution::draw(root, data),
            Chart::DegreeDistribution => degree_distribution::draw(root, data),
            Chart::Phases => phases::draw(root, data),
            Chart::TopNodes => top_nodes::draw(root, data),
        }?;
        root.present().map_err(|e| e.to_string())
    }
}

/// What the charts are drawn from.
pub struct ChartData<'a> {
    /// The run.
    pub summary: &'a Summary,
    /// Its best-ranked nodes, best first.
    pub top: &'a [TopRow],
    /// A short name of the input, for titles.
    pub input: String,
}

impl<'a> ChartData<'a> {
    /// Chart data for a run; titles name its first input.
    pub fn new(summary: &'a Summary, top: &'a [TopRow]) -> Self {
        let input = match summary.inputs.as_slice() {
            [] => "no input".to_string(),
            [one] => file_name(&one.path),
            [first, rest @ ..] => format!("{} and {} more", file_name(&first.path), rest.len()),
        };
        ChartData { summary, top, input }
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Text font family (Ubuntu Light).
pub(crate) const SANS: &str = "sans-serif";
/// Id font family (Hack, monospace).
pub(crate) const MONO: &str = "monospace";

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both fonts are known-good TrueType files compiled into the binary.
        let _ = plotters::style::register_font(SANS, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
        let _ = plotters::style::register_font(MONO, FontStyle::Normal, epaint_default_fonts::HACK_REGULAR);
    });
}

/// Draws one chart into a file.
pub fn draw_file(chart: Chart, data: &ChartData<'_>, path: &Path, format: PlotFormat) -> Result<()> {
    register_fonts();
    let failed = |e: String| {
        Error::Input(format!(
            "{}: drawing the {} chart failed: {e}",
            path.display(),
            chart.name()
        ))
    };
    match format {
        PlotFormat::Png => chart.draw(&BitMapBackend::new(path, chart.size()).into_drawing_area(), data),
        PlotFormat::Svg => chart.draw(&SVGBackend::new(path, chart.size()).into_drawing_area(), data),
    }
    .map_err(failed)
}

/// Draws one chart as SVG text (for embedding in the report).
pub fn draw_svg(chart: Chart, data: &ChartData<'_>) -> Result<String> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        chart
            .draw(&root, data)
            .map_err(|e| Error::Input(format!("drawing the {} chart failed: {e}", chart.name())))?;
    }
    Ok(svg)
}

/// Draws every chart into `dir/plots/<name>.<ext>`; returns the files.
pub fn draw_all(data: &ChartData<'_>, dir: &Path, format: PlotFormat) -> Result<Vec<PathBuf>> {
    let folder = dir.join("plots");
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    Chart::ALL
        .iter()
        .map(|&chart| {
            let path = folder.join(format!("{}.{}", chart.name(), format.extension()));
            draw_file(chart, data, &path, format)?;
            Ok(path)
        })
        .collect()
}

/// A chart with logarithmic x and y axes.
pub(crate) type LogLogChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogCoord<f64>, LogCoord<f64>>>;

/// A log-log chart with the house margins, axis titles and tick labels.
pub(crate) fn log_log_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
    (x_desc, y_desc): (&str, &str),
) -> Result<LogLogChart<'a, DB>, String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (SANS, 28))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x.log_scale(), y.log_scale())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&log_tick)
        .y_label_formatter(&log_tick)
        .label_style((SANS, 17))
        .axis_desc_style((SANS, 19))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// Draws the series legend the same way on every chart.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((SANS, 17))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())
}

/// Formats a positive number for a log axis: `1e-6`, `3e-4`, `0.01`, `10`, `2e4`.
pub(crate) fn log_tick(v: &f64) -> String {
    if *v >= 0.01 && *v < 10_000.0 {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.0e}");
        s.replace("e0", "").replace("e-0", "e-")
    }
}

/// Formats a tick of a linear axis with the digits it needs: `0`, `0.005`, `0.015`, `2.5e-5`.
pub(crate) fn linear_tick(v: &f64) -> String {
    if *v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 1e-3 {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    }
}

/// The exponents of ten a log axis may span: every tick and label of a decade is drawn, so
/// the range is bounded (an infinite one made the tick code run until memory ran out).
const DECADES: std::ops::RangeInclusive<f64> = -300.0..=300.0;

/// A log axis range around `[low, high]`, padded by whole powers of ten; always finite,
/// positive and within 10^±300. Values that are not finite and positive do not count: the
/// charts draw only such values ([`plottable`]), and an axis with none gets a default.
pub(crate) fn log_range(low: f64, high: f64) -> std::ops::Range<f64> {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    // Half a decade of room on each side, so that nothing sits on the frame.
    let low = if usable(low) { low / 2.0 } else { 1e-18 };
    let high = if usable(high) && high * 2.0 > low {
        high * 2.0
    } else {
        low * 10.0
    };
    let decade = |v: f64, round: fn(f64) -> f64| round(v.log10()).clamp(*DECADES.start(), *DECADES.end());
    let (low, high) = (decade(low, f64::floor), decade(high, f64::ceil));
    10f64.powf(low)..10f64.powf(high.max(low + 1.0))
}

/// A linear axis's upper end for values up to `high`: finite and above zero.
pub(crate) fn linear_high(high: f64) -> f64 {
    if high.is_finite() && high > 0.0 {
        high.min(f64::MAX / 2.0)
    } else {
        1.0
    }
}

/// Whether a value can be placed on a log axis: finite and above zero.
pub(crate) fn plottable(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// The note a chart's title carries when it leaves values out: ` (3 values not finite, not
/// shown)`, or nothing.
pub(crate) fn left_out_note(left_out: usize) -> String {
    match left_out {
        0 => String::new(),
        1 => " (1 value not finite, not shown)".to_string(),
        n => format!(" ({n} values not finite, not shown)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_knows_every_chart_by_name() {
        let names: Vec<&str> = Chart::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, crate::output::commit::CHART_NAMES, "output::commit::CHART_NAMES");
    }

    #[test]
    fn log_ticks_read_well() {
        assert_eq!(log_tick(&1e-6), "1e-6");
        assert_eq!(log_tick(&0.1), "0.1");
        assert_eq!(log_tick(&100.0), "100");
        assert_eq!(log_tick(&1e5), "1e5");
        assert_eq!(log_range(3e-7, 0.02), 1e-7..0.1);
        assert_eq!(log_range(1e-10, 1.0), 1e-11..10.0);
        assert_eq!(linear_tick(&0.015), "0.015");
        assert_eq!(linear_tick(&0.0), "0");
        assert_eq!(linear_tick(&2.5e-5), "2.5e-5");
    }

    #[test]
    fn nonfinite_series_do_not_hang_charts() {
        // The bounded part: whatever goes in, an axis spans a bounded number of decades (an
        // infinite range made the tick code allocate until the machine killed it).
        let decades = |r: std::ops::Range<f64>| {
            assert!(
                r.start.is_finite() && r.end.is_finite() && r.start > 0.0 && r.start < r.end,
                "{r:?}"
            );
            (r.end.log10() - r.start.log10()).round()
        };
        for (low, high) in [
            (f64::NAN, f64::NAN),
            (f64::INFINITY, f64::INFINITY),
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, f64::NAN),
            (5e-324, f64::MAX),
            (-1.0, 0.0),
        ] {
            let span = decades(log_range(low, high));
            assert!((1.0..=601.0).contains(&span), "{low}..{high}: {span} decades");
        }
        assert_eq!(linear_high(f64::INFINITY), 1.0);
        assert_eq!(linear_high(f64::NAN), 1.0);

        // The whole charts, from a real run's summary with values that are not finite.
        let dir = tempfile::tempdir().unwrap();
        let edges = dir.path().join("edges.tsv");
        std::fs::write(&edges, "1 2\n2 3\n3 1\n4 1\n").unwrap();
        let job = crate::jobs::rank::RankJob::new(vec![edges], dir.path().join("out"));
        let outcome = crate::jobs::rank::run(&job, &crate::progress::Silent).unwrap();
        let mut summary = outcome.summary;
        let mut top = outcome.top;
        let distributions = &mut summary.distributions;
        distributions.rank_ccdf = vec![[f64::NAN, 1.0], [f64::INFINITY, 0.5], [0.0, f64::NAN], [1e308, 1e-320]];
        for report in &mut summary.iterations {
            report.change = f64::NAN;
        }
        summary.iterations[0].change = f64::INFINITY;
        summary.phases.iterate = f64::INFINITY;
        summary.phases.read = f64::NAN;
        top[0].pagerank = f64::INFINITY;
        top[1].pagerank = f64::NAN;
        let data = ChartData::new(&summary, &top);
        for chart in Chart::ALL {
            let svg = draw_svg(chart, &data).unwrap_or_else(|e| panic!("{}: {e}", chart.name()));
            assert!(svg.contains("</svg>"), "{}", chart.name());
        }
        // With nothing plottable at all, the charts are empty with a note.
        summary.distributions.rank_ccdf = vec![[f64::NAN, f64::NAN]];
        let data = ChartData::new(&summary, &top);
        let svg = draw_svg(Chart::RankDistribution, &data).unwrap();
        assert!(svg.contains("1 value not finite, not shown"), "{svg}");
        let svg = draw_svg(Chart::Convergence, &data).unwrap();
        assert!(svg.contains("values not finite, not shown"), "{svg}");
    }
}
