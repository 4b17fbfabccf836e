//! `rank_distribution`: the fraction of nodes with PageRank at least x, log-log, with the
//! power-law fit of the tail.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartData, log_range, log_tick};

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    let d = &data.summary.distributions;
    let points: Vec<[f64; 2]> = d
        .rank_ccdf
        .iter()
        .copied()
        .filter(|p| super::plottable(p[0]) && super::plottable(p[1]))
        .collect();
    let left_out = d.rank_ccdf.len() - points.len();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (x_low, x_high) = points
        .iter()
        .fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p[0]), hi.max(p[0])));
    let y_low = points.iter().map(|p| p[1]).fold(1.0, f64::min);
    let mut chart = super::log_log_chart(
        root,
        format!(
            "PageRank distribution: {}{}",
            data.input,
            super::left_out_note(left_out)
        ),
        (log_range(x_low, x_high), log_range(y_low, 1.0)),
        ("PageRank x (log scale)", "fraction of nodes with rank ≥ x (log scale)"),
    )?;
    let blue = RGBColor(31, 119, 180);
    let nodes = data.summary.graph.nodes;
    chart
        .draw_series(points.iter().map(|p| Circle::new((p[0], p[1]), 3, blue.filled())))
        .map_err(e)?
        .label(format!(
            "{nodes} node{}{}",
            if nodes == 1 { "" } else { "s" },
            zero_note(d.zero_rank_nodes)
        ))
        .legend(move |(x, y)| Circle::new((x + 12, y), 4, blue.filled()));
    if let Some(fit) = d.rank_power_law.as_ref().filter(|f| {
        [f.x_min, f.tail_fraction, f.ccdf_slope, x_high]
            .iter()
            .all(|v| v.is_finite())
    }) {
        let line = [fit.x_min, x_high].map(|x| (x, fit.tail_fraction * (x / fit.x_min).powf(fit.ccdf_slope)));
        chart
            .draw_series(LineSeries::new(line, RED.stroke_width(3)))
            .map_err(e)?
            .label(format!(
                "power-law fit: slope {:.2} (α = {:.2}) for rank ≥ {}, top {:.1}% of nodes",
                fit.ccdf_slope,
                fit.alpha,
                log_tick(&fit.x_min),
                100.0 * fit.tail_fraction
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], RED.stroke_width(3)));
    }
    super::draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

fn zero_note(zero: u64) -> String {
    if zero == 0 {
        String::new()
    } else {
        format!(" ({zero} with rank 0 not shown)")
    }
}
