//! `top_nodes`: the 25 best-ranked nodes as horizontal bars, labelled with their ids (URLs
//! shortened in the path, never in the host).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartData, MONO, SANS, linear_tick};
use crate::output::top::shorten_id;

/// Bars shown.
pub(super) const ROWS: usize = 25;
/// Longest label, in characters.
const LABEL: usize = 56;

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    // Bottom to top: the best node is drawn last, at the top.
    let rows: Vec<_> = data.top.iter().take(ROWS).rev().collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("{:>2}. {}", r.position, shorten_id(&r.label(), LABEL)))
        .collect();
    let best = super::linear_high(
        rows.iter()
            .map(|r| r.pagerank)
            .filter(|r| r.is_finite())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE),
    );
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    // Hack at 15 px is about 9 px a character.
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32 * 9 + 24;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Top {} nodes by PageRank: {}", rows.len(), data.input),
            (SANS, 28),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(label_width.max(80))
        .build_cartesian_2d(0.0..best * 1.25, (0..rows.len().max(1) - 1).into_segmented())
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("PageRank")
        .x_labels(6)
        .x_label_formatter(&linear_tick)
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
                    (shown(r.pagerank), SegmentValue::Exact(i + 1)),
                ],
                RGBColor(49, 104, 142).filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(e)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            Text::new(
                format!(" {:.3e}", r.pagerank),
                (shown(r.pagerank), SegmentValue::CenterOf(i)),
                (SANS, 15).into_font(),
            )
        }))
        .map_err(e)?;
    Ok(())
}

/// Where a bar ends: its rank, or 0 for a rank that is not finite (its label says which).
fn shown(rank: f64) -> f64 {
    if rank.is_finite() { rank } else { 0.0 }
}
