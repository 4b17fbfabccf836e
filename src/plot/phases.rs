//! `phases`: seconds per phase as horizontal bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartData, SANS};

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
    let longest = super::linear_high(phases.iter().map(|x| x.1).fold(0.0, f64::max).max(1e-3));
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Time per phase: {} ({:.3} s in all){}",
                data.input,
                p.total,
                super::left_out_note(left_out)
            ),
            (SANS, 28),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..longest * 1.2, (0..phases.len() - 1).into_segmented())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
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
                [(0.0, SegmentValue::Exact(i)), (seconds, SegmentValue::Exact(i + 1))],
                blue.mix(0.85).filled(),
            );
            bar.set_margin(8, 8, 0, 0);
            bar
        }))
        .map_err(e)?;
    chart
        .draw_series(phases.iter().enumerate().map(|(i, &(_, seconds))| {
            let text = if seconds < 1.0 {
                format!(" {:.1} ms", seconds * 1000.0)
            } else {
                format!(" {seconds:.2} s")
            };
            Text::new(text, (seconds, SegmentValue::CenterOf(i)), (SANS, 18).into_font())
        }))
        .map_err(e)?;
    Ok(())
}
