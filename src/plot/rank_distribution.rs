//! `rank_distribution`: the fraction of nodes with PageRank at least x, log-log, with the
//! power-law fit of the tail, drawn only over the ranks it was fitted to (x_min to the largest
//! rank) and with its quality (exponent, Kolmogorov–Smirnov distance) in the legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, ChartData, log_label};

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
    let (x_low, ccdf_high) = points
        .iter()
        .fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p[0]), hi.max(p[0])));
    // The CCDF's last point is the lower edge of its last bin; the largest rank itself is the
    // first row of the top table.
    let largest = data
        .top
        .first()
        .map(|r| r.pagerank)
        .filter(|&r| super::plottable(r) && r >= ccdf_high)
        .unwrap_or(ccdf_high);
    let fit = d.rank_power_law.as_ref().filter(|f| {
        [f.x_min, f.tail_fraction, f.ccdf_slope, f.alpha, f.ks_distance, largest]
            .iter()
            .all(|v| v.is_finite())
            && f.x_min <= largest
    });
    let line = fit.map(|f| fit_line(f, largest));
    // Fractions: never above 1, whatever a hand-edited summary says. The fitted line may end
    // below the last point.
    let (y_low, y_high) = points
        .iter()
        .map(|p| p[1])
        .chain(line.iter().flatten().map(|p| p.1).filter(|&y| super::plottable(y)))
        .fold((1.0f64, 0f64), |(lo, hi), y| (lo.min(y), hi.max(y).min(1.0)));
    let mut chart = super::log_log_chart(
        root,
        format!(
            "PageRank distribution: {}{}",
            data.input,
            super::left_out_note(left_out)
        ),
        (Axis::log(x_low, largest), Axis::log(y_low, y_high)),
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
    if let (Some(fit), Some(line)) = (fit, line) {
        chart
            .draw_series(LineSeries::new(line, RED.stroke_width(3)))
            .map_err(e)?
            .label(format!(
                "power-law fit: α = {:.2} (slope {:.2}), Kolmogorov–Smirnov distance {:.3}",
                fit.alpha, fit.ccdf_slope, fit.ks_distance
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], RED.stroke_width(3)));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(e)?
            .label(format!(
                "fitted for rank {} to {}: top {:.1}% of nodes ({})",
                log_label(fit.x_min),
                log_label(largest),
                100.0 * fit.tail_fraction,
                fit.tail_nodes
            ))
            .legend(|(x, y)| EmptyElement::at((x, y)));
    }
    super::draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

/// The fitted CCDF `tail_fraction · (x / x_min)^slope` at the ends of the fitted range, from
/// `x_min` to the largest rank (a straight line on log-log axes).
pub(super) fn fit_line(fit: &crate::analysis::PowerLawFit, largest: f64) -> [(f64, f64); 2] {
    [fit.x_min, largest].map(|x| (x, fit.tail_fraction * (x / fit.x_min).powf(fit.ccdf_slope)))
}

fn zero_note(zero: u64) -> String {
    if zero == 0 {
        String::new()
    } else {
        format!(" ({zero} with rank 0 not shown)")
    }
}
