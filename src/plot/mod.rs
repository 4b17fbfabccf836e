//! Charts of a finished run, drawn with plotters from `summary.json` (and the top rows): the
//! library computes every series ([`crate::analysis`]); these modules only draw.
//!
//! One file per chart. Fonts are compiled in (Ubuntu Light for text, Hack for ids, from the
//! `epaint_default_fonts` crate) and rendered with ab_glyph, so charts look the same on a
//! machine without any font package; PNG text is laid out glyph by glyph (`GlyphText`).
//! Axes end on the ticks next to the data and write their numbers one way (`Axis`).

mod convergence;
mod degree_distribution;
mod phases;
mod rank_distribution;
pub mod report;
mod top_nodes;

use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, GlyphId, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

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

/// The drawing area of a PNG chart: the bitmap with text laid out by [`GlyphText`].
fn png_root(bitmap: BitMapBackend<'_>) -> DrawingArea<GlyphText<BitMapBackend<'_>>, Shift> {
    GlyphText(bitmap).into_drawing_area()
}

/// The two compiled-in fonts, parsed once, for the PNG text path.
struct Fonts {
    sans: FontRef<'static>,
    mono: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let parse = |bytes: &'static [u8]| FontRef::try_from_slice(bytes).expect("the compiled-in fonts are valid");
        Fonts {
            sans: parse(epaint_default_fonts::UBUNTU_LIGHT),
            mono: parse(epaint_default_fonts::HACK_REGULAR),
        }
    })
}

/// One line of text laid out at a pixel size: each glyph's font, id and pen position, and
/// the line's advance width.
struct Line {
    glyphs: Vec<(&'static FontRef<'static>, GlyphId, f32)>,
    width: f32,
    /// Height of a capital letter of the line's font, in pixels.
    cap_height: f32,
}

impl Line {
    /// Lays `text` out in the family's font (a character the font lacks comes from the
    /// other one), advancing the pen by each glyph's advance and the kerning of each pair.
    /// `size` is plotters' font size, the font's ascent-to-descent height in pixels, as in
    /// plotters' own text measurements, so that the layout it computes stays right.
    fn new(family: &str, size: f32, text: &str) -> Line {
        let fonts = fonts();
        let (primary, fallback) = if family == MONO {
            (&fonts.mono, &fonts.sans)
        } else {
            (&fonts.sans, &fonts.mono)
        };
        let mut glyphs = Vec::with_capacity(text.len());
        let mut pen = 0f32;
        let mut previous: Option<(&FontRef<'static>, GlyphId)> = None;
        for c in text.chars() {
            let (font, id) = match primary.glyph_id(c) {
                GlyphId(0) if fallback.glyph_id(c) != GlyphId(0) => (fallback, fallback.glyph_id(c)),
                id => (primary, id),
            };
            let scaled = font.as_scaled(size);
            if let Some((previous_font, previous_id)) = previous
                && std::ptr::eq(previous_font, font)
            {
                pen += scaled.kern(previous_id, id);
            }
            glyphs.push((font, id, pen));
            pen += scaled.h_advance(id);
            previous = Some((font, id));
        }
        let cap_height = primary.outline(primary.glyph_id('H')).map_or(size * 0.6, |o| {
            o.bounds.max.y * primary.as_scaled(size).v_scale_factor()
        });
        Line {
            glyphs,
            width: pen,
            cap_height,
        }
    }

    /// The layout box, as plotters measures text: the advance width by the font size / 1.24.
    fn box_size(&self, size: f32) -> (f32, f32) {
        (self.width, size / 1.24)
    }
}

/// A drawing backend that draws text itself and everything else through `DB`.
///
/// plotters' bitmap text (its `ab_glyph` font code) places each glyph's ink at the pen
/// position, dropping the glyph's left side bearing (the outline's pixel bounds start where
/// the ink starts), and truncates the pen to whole pixels. Each glyph's bearings therefore
/// pile up on its right: "1e-10" reads "1 e-1 0", "change" reads "ch ange". Here each glyph is
/// rasterised at its exact pen position (sub-pixel, bounds included), with the font's advances
/// and kerning, and the line's capitals are centred in plotters' layout box.
pub struct GlyphText<DB>(DB);

impl<DB: DrawingBackend> GlyphText<DB> {
    /// Wraps a bitmap backend (text in the `sans-serif` and `monospace` families, drawn with
    /// the fonts compiled in); for charts drawn outside this module, such as the benchmark
    /// comparison in `examples/compare_chart.rs`.
    pub fn new(backend: DB) -> Self {
        register_fonts();
        GlyphText(backend)
    }
}

impl<DB: DrawingBackend> DrawingBackend for GlyphText<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (width, height): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, (width, height), src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let size = style.size() as f32;
        let (width, height) = Line::new(style.family().as_str(), size, text).box_size(size);
        Ok((width.ceil() as u32, height as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size() as f32;
        let line = Line::new(style.family().as_str(), size, text);
        let (width, height) = line.box_size(size);
        let anchor = style.anchor();
        let left = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Right => -width,
            HPos::Center => -width / 2.0,
        };
        let top = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let baseline = top + (height + line.cap_height) / 2.0;
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.get_size();
        let mut result = Ok(());
        for &(font, id, pen) in &line.glyphs {
            let glyph = id.with_scale_and_position(size, ab_glyph::point(left + pen, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                let (x, y) = (bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32);
                let (x, y) = transform.transform(x, y);
                let (x, y) = (pos.0 + x, pos.1 + y);
                let inside = x >= 0 && y >= 0 && (x as u32) < canvas_width && (y as u32) < canvas_height;
                if coverage > 0.0 && inside && result.is_ok() {
                    let ink = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    result = self.0.draw_pixel((x, y), ink);
                }
            });
        }
        result
    }
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

/// The most ticks an axis gets (plus one when its ends fall just past a tick).
const MAX_TICKS: usize = 10;

/// Mantissas of the ticks inside one decade, coarse to fine: a log axis over less than two
/// decades takes the first set that gives it three ticks.
const MANTISSAS: [&[u32]; 2] = [&[1, 2, 5], &[1, 2, 3, 4, 5, 6, 7, 8, 9]];

/// One axis of a chart: its ends lie on ticks, the first at or below the smallest value shown
/// and the last at or above the largest, so the axis runs at most one tick step past the data.
/// Labels have one format per axis: `1e-3`, `2e-3`, … on a log axis (powers of ten written the
/// same way from 1e-300 to 1e300), and the same number of decimals at every tick of a linear
/// axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Axis {
    ticks: Vec<f64>,
    log: bool,
    /// Decimals of a linear axis's labels.
    decimals: usize,
}

impl Axis {
    /// A logarithmic axis over the positive values `low ..= high`. Values that are not finite
    /// and positive do not count (the charts do not draw them; [`plottable`]): an axis with none
    /// spans 0.1 to 1. The span is bounded (1e-290 to 1e290: an infinite one made the tick code
    /// run until memory ran out).
    pub(crate) fn log(low: f64, high: f64) -> Axis {
        let (low, high) = match (plottable(low), plottable(high)) {
            (true, true) => (low.min(high), low.max(high)),
            (true, false) => (low, low),
            (false, true) => (high, high),
            (false, false) => (0.1, 1.0),
        };
        let (low, high) = (low.clamp(1e-290, 1e290), high.clamp(1e-290, 1e290));
        // Decades by the exponent of a tick written out (`1e-7`), not by `10^k` in floating
        // point, so that a value that is a tick is recognised as one.
        let exponent = |v: f64| -> i32 {
            format!("{v:e}")
                .split_once('e')
                .map_or(0, |(_, e)| e.parse().unwrap_or(0))
        };
        let (low_decade, high_decade) = (
            exponent(low),
            exponent(high) + i32::from(high > power_of_ten(exponent(high))),
        );
        let decades = (high_decade - low_decade) as usize;
        let ticks = if decades >= 2 {
            // Every k-th power of ten, at most MAX_TICKS of them.
            let k = decades.div_ceil(MAX_TICKS) as i32;
            let first = low_decade.div_euclid(k) * k;
            let last = (high_decade + k - 1).div_euclid(k) * k;
            (first..=last).step_by(k as usize).map(power_of_ten).collect()
        } else {
            let candidates: Vec<Vec<f64>> = MANTISSAS
                .iter()
                .map(|mantissas| {
                    let all: Vec<f64> = (low_decade - 1..=high_decade)
                        .flat_map(|e| mantissas.iter().map(move |m| format!("{m}e{e}").parse().unwrap_or(1.0)))
                        .collect();
                    let first = all.iter().rposition(|&t| t <= low).unwrap_or(0);
                    let last = all.iter().position(|&t| t >= high).unwrap_or(all.len() - 1);
                    // A single value gets the step below it, so that a fraction of 1 stays at 1.
                    let first = if first == last { first.saturating_sub(1) } else { first };
                    all[first..=last].to_vec()
                })
                .collect();
            let three = candidates.iter().find(|ticks| ticks.len() >= 3);
            three.unwrap_or(&candidates[0]).clone()
        };
        Axis {
            ticks,
            log: true,
            decimals: 0,
        }
    }

    /// A linear axis over `low ..= high` (`low` ≥ 0 in these charts), with ticks at 1, 2 or 5
    /// times a power of ten; whole numbers only when `whole` (iterations). Values that are not
    /// finite count as 0.
    pub(crate) fn linear(low: f64, high: f64, whole: bool) -> Axis {
        let finite = |v: f64| if v.is_finite() { v.clamp(-1e300, 1e300) } else { 0.0 };
        let (low, high) = (finite(low).min(finite(high)), finite(low).max(finite(high)));
        let span = if high > low { high - low } else { high.abs().max(1e-300) };
        // The smallest of 1, 2 and 5 × 10^k that splits the span into at most MAX_TICKS steps.
        let mut exponent = (span / MAX_TICKS as f64).log10().floor() as i32;
        let mantissa = loop {
            let fits = |m: &f64| span / (m * power_of_ten(exponent)) <= MAX_TICKS as f64 * (1.0 + 1e-9);
            match [1.0, 2.0, 5.0].into_iter().find(fits) {
                Some(m) => break m,
                None => exponent += 1,
            }
        };
        let (mantissa, exponent) = if whole && exponent < 0 {
            (1.0, 0)
        } else {
            (mantissa, exponent)
        };
        let step = mantissa * power_of_ten(exponent);
        let decimals = usize::try_from(-exponent).unwrap_or(0);
        let first = (low / step + 1e-9).floor();
        let last = (high / step - 1e-9).ceil().max(first + 1.0);
        let ticks = (0..=(last - first) as i64)
            .map(|i| {
                // Rounded to the axis's decimals, so that 0.30000000000000004 is 0.3.
                let v = (first + i as f64) * step;
                format!("{v:.decimals$}").parse().unwrap_or(v)
            })
            .collect();
        Axis {
            ticks,
            log: false,
            decimals,
        }
    }

    /// The tick labels' text for `v`: `1e-3` on a log axis, a fixed number of decimals on a
    /// linear one.
    pub(crate) fn label(&self, v: f64) -> String {
        if self.log {
            log_label(v)
        } else {
            format!("{v:.*}", self.decimals)
        }
    }

    /// The ticks, lowest first; the first and last are the axis's ends.
    #[cfg(test)]
    pub(crate) fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// The axis's lower end.
    pub(crate) fn low(&self) -> f64 {
        self.ticks[0]
    }

    /// The axis's upper end.
    pub(crate) fn high(&self) -> f64 {
        self.ticks[self.ticks.len() - 1]
    }

    /// Where `v` falls between the ends, 0 at the lower and 1 at the upper.
    fn fraction(&self, v: f64) -> f64 {
        let (low, high) = (self.low(), self.high());
        let t = if self.log {
            (v.ln() - low.ln()) / (high.ln() - low.ln())
        } else {
            (v - low) / (high - low)
        };
        // Far outside the chart (or not a number): clamped so the pixel stays an i32.
        if t.is_nan() { -1.0 } else { t.clamp(-100.0, 100.0) }
    }
}

impl plotters::coord::ranged1d::Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (start, end): (i32, i32)) -> i32 {
        start + (self.fraction(*value) * f64::from(end - start)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.low()..self.high()
    }
}

/// 10^e, exactly as the decimal `1e{e}` rounds (`10f64.powi(-7)` is not).
pub(crate) fn power_of_ten(e: i32) -> f64 {
    format!("1e{e}").parse().unwrap_or(1.0)
}

/// A positive number as log-axis labels and legends write it: `1e-6`, `2e-3`, `1e0`, `5e2`,
/// `1.5e-4` (the mantissa's digits as needed, at most three).
pub(crate) fn log_label(v: f64) -> String {
    let s = format!("{v:.2e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
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

    /// Columns `0..width` of an RGB image that hold any ink (a pixel that is not white).
    fn ink_columns(pixels: &[u8], (width, height): (u32, u32)) -> Vec<bool> {
        (0..width as usize)
            .map(|x| (0..height as usize).any(|y| pixels[3 * (y * width as usize + x)..][..3] != [255, 255, 255]))
            .collect()
    }

    /// Runs of columns without ink between the first and last inked column: (start, end).
    fn gaps(ink: &[bool]) -> Vec<(usize, usize)> {
        let first = ink.iter().position(|&i| i).unwrap_or(0);
        let last = ink.iter().rposition(|&i| i).unwrap_or(0);
        let mut gaps = Vec::new();
        let mut start = None;
        for (x, &inked) in ink.iter().enumerate().take(last + 1).skip(first) {
            match (inked, start) {
                (false, None) => start = Some(x),
                (true, Some(s)) => {
                    gaps.push((s, x));
                    start = None;
                }
                _ => {}
            }
        }
        gaps
    }

    #[test]
    fn png_text_keeps_the_fonts_advances_and_kerning() {
        // The reported text: glyph bearings piled up right of each glyph ("ch ange", "b ound",
        // "1 e-1 0"). Drawn through the PNG path, left/top at (x0, 10).
        let text = "change bound 1e-10";
        let (size, x0) = (28.0f32, 10);
        let canvas = (420u32, 60u32);
        let mut pixels = vec![255u8; (canvas.0 * canvas.1 * 3) as usize];
        register_fonts();
        {
            let root = png_root(BitMapBackend::with_buffer(&mut pixels, canvas));
            let style = (SANS, f64::from(size)).into_font().color(&BLACK);
            root.draw_text(text, &style.pos(Pos::new(HPos::Left, VPos::Top)), (x0, 10))
                .unwrap();
            root.present().unwrap();
        }
        let measured = ink_columns(&pixels, canvas);

        // Where the font puts the ink: each glyph at its pen position (advances plus kerning),
        // its outline's pixel bounds from there.
        let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).unwrap();
        let scaled = font.as_scaled(size);
        let mut expected = vec![false; canvas.0 as usize];
        let mut spaces = Vec::new();
        let (mut pen, mut previous) = (x0 as f32, None);
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                pen += scaled.kern(previous, id);
            }
            if c == ' ' {
                spaces.push((pen, pen + scaled.h_advance(id)));
            }
            if let Some(outline) = font.outline_glyph(id.with_scale_and_position(size, ab_glyph::point(pen, 40.0))) {
                let b = outline.px_bounds();
                expected[b.min.x as usize..b.max.x as usize].fill(true);
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }

        // Ink never strays from the glyphs' boxes, and every gap between glyphs the font leaves
        // (2 px or more) is there within a pixel.
        for (x, (&m, &e)) in measured.iter().zip(&expected).enumerate() {
            assert!(!m || e, "ink at column {x}, outside every glyph");
        }
        let wide = |g: &(usize, usize)| g.1 - g.0 >= 2;
        let expected_gaps: Vec<_> = gaps(&expected).into_iter().filter(wide).collect();
        let measured_gaps: Vec<_> = gaps(&measured).into_iter().filter(wide).collect();
        assert_eq!(
            measured_gaps.len(),
            expected_gaps.len(),
            "{measured_gaps:?} vs {expected_gaps:?}"
        );
        for (m, e) in measured_gaps.iter().zip(&expected_gaps) {
            assert!(
                m.0 <= e.0 + 1 && m.0 + 1 >= e.0 && m.1 + 1 >= e.1 && m.1 <= e.1 + 1,
                "{m:?} vs {e:?}"
            );
        }

        // And as a reader sees it: no gap inside a word as wide as a space between words.
        let at_space = |g: &(usize, usize)| spaces.iter().any(|s| (g.0 as f32) < s.1 && (g.1 as f32) > s.0);
        let all = gaps(&measured);
        let between: Vec<usize> = all.iter().filter(|g| at_space(g)).map(|g| g.1 - g.0).collect();
        let within = all
            .iter()
            .filter(|g| !at_space(g))
            .map(|g| g.1 - g.0)
            .max()
            .unwrap_or(0);
        assert_eq!(between.len(), 2, "{all:?}");
        assert!(
            within < *between.iter().min().unwrap(),
            "a gap of {within} px inside a word, spaces {between:?}"
        );
    }

    #[test]
    fn png_text_is_anchored_where_plotters_measures_it() {
        // Right-aligned text ends at the anchor; the measured width is the laid-out width.
        let canvas = (300u32, 40u32);
        let mut pixels = vec![255u8; (canvas.0 * canvas.1 * 3) as usize];
        let width;
        register_fonts();
        {
            let root = png_root(BitMapBackend::with_buffer(&mut pixels, canvas));
            let style = TextStyle::from((SANS, 20).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
            width = root.estimate_text_size("1e-10", &style).unwrap().0;
            root.draw_text("1e-10", &style, (250, 20)).unwrap();
            root.present().unwrap();
        }
        let ink = ink_columns(&pixels, canvas);
        let (first, last) = (
            ink.iter().position(|&i| i).unwrap(),
            ink.iter().rposition(|&i| i).unwrap(),
        );
        assert!((246..=250).contains(&last), "ends at {last}");
        assert!(first >= 250 - width as usize, "starts at {first}, width {width}");
        assert!(
            last - first + 4 >= width as usize * 8 / 10,
            "{first}..{last} for {width} px"
        );
    }

    /// Whether `label` is written `<digit>e<exponent>`, the one format of log-axis ticks.
    fn is_power_label(label: &str) -> bool {
        let Some((mantissa, exponent)) = label.split_once('e') else {
            return false;
        };
        mantissa.len() == 1
            && ('1'..='9').contains(&mantissa.chars().next().unwrap())
            && exponent.parse::<i32>().is_ok()
    }

    /// An axis that covers `[low, high]` and ends within one tick step of it.
    fn assert_tight(axis: &Axis, low: f64, high: f64) {
        let t = axis.ticks();
        assert!(t.len() >= 2 && t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
        let slack = 1.0 + 1e-9;
        assert!(t[0] <= low * slack && t[1] > low / slack, "{low}..{high}: {t:?}");
        let n = t.len();
        assert!(
            t[n - 1] >= high / slack && t[n - 2] < high * slack,
            "{low}..{high}: {t:?}"
        );
        assert!(n <= MAX_TICKS + 2, "{n} ticks: {t:?}");
    }

    #[test]
    fn log_axes_end_at_the_ticks_next_to_the_data() {
        // The reports: R-MAT 21's ranks (1.4e-7 to 1.7e-3) ran from 1e-8; degrees up to 451
        // (bin middle 362) ran to 1e4; a fraction's axis ran to 10.
        assert_eq!(
            Axis::log(1.43e-7, 1.7e-3).ticks(),
            &[1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
        );
        assert_eq!(Axis::log(1.0, 362.0).ticks(), &[1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(Axis::log(3.1e-6, 1.0).high(), 1.0);
        assert_eq!(Axis::log(1e-10, 1.0).ticks().first(), Some(&1e-10));
        let labels: Vec<String> = [1e-3, 0.01, 1.0, 10.0, 2e4]
            .iter()
            .map(|&v| Axis::log(1e-3, 1.0).label(v))
            .collect();
        assert_eq!(labels, ["1e-3", "1e-2", "1e0", "1e1", "2e4"]);

        let mut rng = crate::generate::SplitMix64::new(17);
        let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        for _ in 0..5000 {
            // Spans from a hair to 40 decades, anywhere from 1e-30 to 1e10.
            let low = 10f64.powf(-30.0 + 38.0 * uniform());
            let high = (low * 10f64.powf(40.0 * uniform().powi(3))).min(1e10);
            let axis = Axis::log(low, high);
            assert_tight(&axis, low, high);
            for &t in axis.ticks() {
                assert!(is_power_label(&axis.label(t)), "{} for {t}", axis.label(t));
            }
            // A fraction's axis stops at 1.
            let fraction = Axis::log(low.min(1.0), 1.0);
            assert_eq!(fraction.high(), 1.0, "{low}");
        }
        // A single value, and nothing plottable at all.
        assert_eq!(Axis::log(1.0, 1.0).high(), 1.0);
        assert!(Axis::log(1.0, 1.0).low() < 1.0);
        assert_eq!(
            (Axis::log(f64::NAN, -1.0).low(), Axis::log(f64::NAN, -1.0).high()),
            (0.1, 1.0)
        );
    }

    #[test]
    fn linear_axes_end_at_the_next_tick_with_one_format() {
        let mut rng = crate::generate::SplitMix64::new(3);
        let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        for _ in 0..5000 {
            let high = 10f64.powf(-8.0 + 14.0 * uniform());
            let whole = uniform() < 0.3;
            let high = if whole { high.ceil() } else { high };
            let axis = Axis::linear(0.0, high, whole);
            assert_tight(&axis, 0.0, high);
            assert_eq!(axis.low(), 0.0);
            let labels: Vec<String> = axis.ticks().iter().map(|&t| axis.label(t)).collect();
            let decimals = |l: &String| l.split_once('.').map_or(0, |d| d.1.len());
            assert!(labels.iter().all(|l| decimals(l) == decimals(&labels[0])), "{labels:?}");
            if whole {
                assert!(labels.iter().all(|l| !l.contains('.')), "{labels:?}");
            }
            // Each label names its tick exactly (no 0.30000000000000004, no rounding away).
            for (l, &t) in labels.iter().zip(axis.ticks()) {
                assert_eq!(l.parse::<f64>().unwrap(), t, "{labels:?}");
            }
        }
        assert_eq!(Axis::linear(0.0, 2.099, false).ticks(), &[0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(Axis::linear(0.0, 116.0, true).ticks().last(), Some(&120.0));
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
