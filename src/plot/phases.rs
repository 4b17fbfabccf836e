//! `phases`: time per phase as horizontal bars, in one unit (seconds, or milliseconds for a run
//! under a second) and with the same number of decimals on every bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, Chart, ChartData, SANS, fixed};

/// Size of the bar labels.
const LABEL_SIZE: u32 = 18;
/// Margins and the width of the phase names, in pixels.
const MARGIN: u32 = 20;
const MARGIN_RIGHT: u32 = 30;
const LABEL_AREA: u32 = 110;

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    let p = &data.summary.phases;
    // Bottom to top, so that reading is at the top.
    let phases = [
        ("write", p.write),
        ("iterate", p.iterate),
        ("partition", p.partition),
        ("read", p.read),
    ];
    // Seconds that are not finite (a hand-edited summary) are drawn as 0 and noted.
    let left_out = phases.iter().filter(|x| !x.1.is_finite()).count();
    let phases = phases.map(|(name, seconds)| (name, if seconds.is_finite() { seconds } else { 0.0 }));
    let longest = phases.iter().map(|x| x.1).fold(0.0, f64::max);
    let (unit, per_second) = if longest >= 1.0 { ("s", 1.0) } else { ("ms", 1000.0) };
    let longest = longest * per_second;
    // Three significant digits on the longest bar, at least one decimal.
    let decimals = (2 - longest.max(1e-3).log10().floor() as i64).clamp(1, 3) as usize;
    let label = |seconds: f64| format!("{} {unit}", fixed(seconds * per_second, decimals));
    let label_style = super::bar_label_style(LABEL_SIZE);
    let label_pixels = |seconds: f64| {
        root.estimate_text_size(&label(seconds), &label_style)
            .map_or(0, |s| s.0)
    };
    let (width, _) = Chart::Phases.size();
    let plot_pixels = width - MARGIN - MARGIN_RIGHT - LABEL_AREA;
    let end = super::bar_axis_end(
        phases
            .iter()
            .map(|&(_, seconds)| (seconds * per_second, label_pixels(seconds))),
        plot_pixels,
    );
    let x_axis = Axis::linear(0.0, end.max(1e-3), false);
    let x_ticks = x_axis.clone();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Time per phase: {} ({} in all){}",
                data.input,
                label(p.total),
                super::left_out_note(left_out)
            ),
            (SANS, 28),
        )
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(55)
        .y_label_area_size(LABEL_AREA)
        .build_cartesian_2d(x_axis, (0..phases.len() - 1).into_segmented())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(if unit == "s" { "seconds" } else { "milliseconds" })
        .x_label_formatter(&|v| x_ticks.label(*v))
        .y_labels(phases.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => phases.get(*i).map_or(String::new(), |x| x.0.to_string()),
            _ => String::new(),
        })
        .label_style((SANS, 19))
        .axis_desc_style((SANS, 19))
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    let blue = RGBColor(31, 119, 180);
    chart
        .draw_series(phases.iter().enumerate().map(|(i, &(_, seconds))| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (seconds * per_second, SegmentValue::Exact(i + 1)),
                ],
                blue.mix(0.85).filled(),
            );
            bar.set_margin(8, 8, 0, 0);
            bar
        }))
        .map_err(e)?;
    let labels = phases.iter().enumerate().map(|(i, &(_, seconds))| {
        EmptyElement::at((seconds * per_second, SegmentValue::CenterOf(i)))
            + Text::new(label(seconds), (super::BAR_LABEL_GAP, 0), label_style.clone())
    });
    chart.draw_series(labels).map_err(e)?;
    Ok(())
}
