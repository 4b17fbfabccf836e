//! Charts of a finished run, drawn with plotters from `summary.json` (and the top rows): the
//! library computes every series ([`crate::analysis`]); these modules only draw.
//!
//! One file per chart. Fonts are compiled in (Ubuntu Light for text, Hack for ids, from the
//! `epaint_default_fonts` crate) and rendered with ab_glyph, so charts look the same on a
//! machine without any font package; PNG text is laid out glyph by glyph (`text.rs`). Axes
//! end on the ticks next to the data and write their numbers one way (`axis.rs`).

mod axis;
mod convergence;
mod degree_distribution;
mod phases;
mod rank_distribution;
pub mod report;
mod text;
mod top_nodes;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::output::{Summary, TopRow};

pub use crate::output::PlotFormat;
pub(crate) use axis::{Axis, log_label, power_of_ten};
pub use text::GlyphText;
pub(crate) use text::{MONO, SANS};
use text::{png_root, register_fonts};

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
                "How skewed the ranks are: the fraction of nodes whose PageRank is at least x, on log-log axes, with a power-law fit of the tail drawn over the ranks it was fitted to; the legend gives its exponent α and its Kolmogorov–Smirnov distance (the largest gap between the fitted and the observed fractions: the smaller, the better the fit)."
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
        PlotFormat::Png => chart.draw(&png_root(BitMapBackend::new(path, chart.size())), data),
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
pub(crate) type LogLogChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// A log-log chart with the house margins, axis titles and tick labels.
pub(crate) fn log_log_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    (x, y): (Axis, Axis),
    (x_desc, y_desc): (&str, &str),
) -> Result<LogLogChart<'a, DB>, String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x_ticks, y_ticks) = (x.clone(), y.clone());
    let mut chart = ChartBuilder::on(root)
        .caption(title, (SANS, 28))
        .margin(20)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| x_ticks.label(*v))
        .y_label_formatter(&|v| y_ticks.label(*v))
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

/// Where a bar axis must end so that every bar's value label fits just past the bar: `bars`
/// are `(value, label width in pixels)`, `plot_pixels` the width of the plotting area. The
/// labels all sit after their bars, in one style, and the axis then ends at the next tick.
pub(crate) fn bar_axis_end(bars: impl IntoIterator<Item = (f64, u32)>, plot_pixels: u32) -> f64 {
    bars.into_iter()
        .filter(|(value, _)| value.is_finite() && *value > 0.0)
        .map(|(value, text_pixels)| {
            // The label's offset and some air after it; the bar keeps at least half the width.
            let free = plot_pixels
                .saturating_sub(text_pixels + BAR_LABEL_GAP as u32 + 10)
                .max(plot_pixels / 2);
            value * f64::from(plot_pixels) / f64::from(free.max(1))
        })
        .fold(0.0, f64::max)
}

/// Pixels between a bar's end and its value label.
pub(crate) const BAR_LABEL_GAP: i32 = 6;

/// The style of a bar's value label (drawn [`BAR_LABEL_GAP`] pixels past the bar's end).
pub(crate) fn bar_label_style(size: u32) -> TextStyle<'static> {
    (SANS, size)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// `v` with `decimals` decimals, a value that is not finite as itself (`inf`, `NaN`).
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
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
    fn bar_labels_fit_past_their_bars() {
        // Labels up to about half the plot's width.
        let plot = 500;
        for bars in [
            vec![(2.099, 40), (1.1, 40)],
            vec![(1.0, 60), (0.99, 200)],
            vec![(731.5, 70)],
        ] {
            let end = Axis::linear(0.0, bar_axis_end(bars.iter().copied(), plot), false).high();
            for (value, text) in bars {
                let right = value / end * f64::from(plot) + f64::from(BAR_LABEL_GAP) + f64::from(text);
                assert!(
                    right <= f64::from(plot),
                    "{value}: ends at {right} of {plot} (axis to {end})"
                );
            }
        }
    }

    #[test]
    fn the_fit_line_spans_the_fitted_ranks() {
        let fit = crate::analysis::PowerLawFit {
            alpha: 2.1,
            ccdf_slope: -1.1,
            x_min: 7e-6,
            tail_fraction: 0.037,
            tail_nodes: 11887,
            ks_distance: 0.011,
        };
        let [(x0, y0), (x1, y1)] = rank_distribution::fit_line(&fit, 1.78e-2);
        assert_eq!((x0, x1), (7e-6, 1.78e-2));
        assert!((y0 - 0.037).abs() < 1e-15);
        assert!((y1 - 0.037 * (1.78e-2f64 / 7e-6).powf(-1.1)).abs() < 1e-15);
    }

    #[test]
    fn nonfinite_series_do_not_hang_charts() {
        // The bounded part: whatever goes in, an axis spans a bounded number of decades (an
        // infinite range made the tick code allocate until the machine killed it).
        for (low, high) in [
            (f64::NAN, f64::NAN),
            (f64::INFINITY, f64::INFINITY),
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, f64::NAN),
            (5e-324, f64::MAX),
            (-1.0, 0.0),
        ] {
            let axis = Axis::log(low, high);
            let t = axis.ticks();
            assert!(
                t.iter().all(|t| plottable(*t)) && t.len() >= 2 && t.len() <= 12,
                "{low}..{high}: {t:?}"
            );
            let axis = Axis::linear(low, high, false);
            let t = axis.ticks();
            assert!(
                t.iter().all(|t| t.is_finite()) && t.len() >= 2 && t.len() <= 12,
                "{low}..{high}: {t:?}"
            );
        }

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
