//! `top_nodes`: the 25 best-ranked nodes as horizontal bars, labelled with their ids (URLs
//! shortened in the path, never in the host). Ranks are written in units of the best rank's
//! power of ten (`PageRank (× 1e-2)`: 2.099, 0.953), with the same decimals on every bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, Chart, ChartData, MONO, SANS, fixed};
use crate::output::top::shorten_id;

/// Bars shown.
pub(super) const ROWS: usize = 25;
/// Longest label, in characters.
const LABEL: usize = 56;
/// Size of the bar labels.
const VALUE_SIZE: u32 = 15;
/// Margins, in pixels.
const MARGIN: u32 = 20;
const MARGIN_RIGHT: u32 = 30;

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    // Bottom to top: the best node is drawn last, at the top.
    let rows: Vec<_> = data.top.iter().take(ROWS).rev().collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{:>2}. {}", r.position, shorten_id(&r.label(), LABEL)))
        .collect();
    let best = rows
        .iter()
        .map(|r| r.pagerank)
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max);
    // Ranks in units of the best one's power of ten: 1 ≤ best / unit < 10.
    let exponent = if best > 0.0 {
        best.log10().floor().clamp(-300.0, 300.0) as i32
    } else {
        0
    };
    let unit = super::power_of_ten(exponent);
    let scaled = |rank: f64| if rank.is_finite() { rank / unit } else { 0.0 };
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    // Hack at 15 px is about 9 px a character.
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32 * 9 + 24;
    let value_text = |rank: f64| {
        // A rank that is not finite is written as it is (`inf`, `NaN`) at a bar of 0.
        if rank.is_finite() {
            fixed(scaled(rank), VALUE_DECIMALS)
        } else {
            rank.to_string()
        }
    };
    let value_style = super::bar_label_style(VALUE_SIZE);
    let (width, _) = Chart::TopNodes.size();
    let plot_pixels = width.saturating_sub(MARGIN + MARGIN_RIGHT + label_width.max(80));
    let end = super::bar_axis_end(
        rows.iter().map(|r| {
            let text = root.estimate_text_size(&value_text(r.pagerank), &value_style);
            (scaled(r.pagerank), text.map_or(0, |s| s.0))
        }),
        plot_pixels.max(100),
    );
    let x_axis = Axis::linear(0.0, end.max(1.0), false);
    let x_ticks = x_axis.clone();
    let x_desc = if exponent == 0 {
        "PageRank".to_string()
    } else {
        format!("PageRank (× {})", super::log_label(unit))
    };
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Top {} nodes by PageRank: {}", rows.len(), data.input),
            (SANS, 28),
        )
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(55)
        .y_label_area_size(label_width.max(80))
        .build_cartesian_2d(x_axis, (0..rows.len().max(1) - 1).into_segmented())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&|v| x_ticks.label(*v))
        .y_labels(rows.len().max(1))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_style((MONO, 15))
        .x_label_style((SANS, 17))
        .axis_desc_style((SANS, 19))
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (scaled(r.pagerank), SegmentValue::Exact(i + 1)),
                ],
                RGBColor(49, 104, 142).filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(e)?;
    let values = rows.iter().enumerate().map(|(i, r)| {
        EmptyElement::at((scaled(r.pagerank), SegmentValue::CenterOf(i)))
            + Text::new(value_text(r.pagerank), (super::BAR_LABEL_GAP, 0), value_style.clone())
    });
    chart.draw_series(values).map_err(e)?;
    Ok(())
}

/// Decimals of the bar labels: four significant digits on the best bar (2.099).
const VALUE_DECIMALS: usize = 3;
