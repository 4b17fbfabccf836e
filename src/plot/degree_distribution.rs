//! `degree_distribution`: in- and out-degree densities in bins of powers of two, log-log.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, ChartData};
use crate::analysis::DegreeHistogram;

fn points(h: &DegreeHistogram) -> Vec<(f64, f64)> {
    h.bins
        .iter()
        .map(|b| (((b.low as f64) * (b.high as f64)).sqrt(), b.density))
        .collect()
}

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    let d = &data.summary.distributions;
    let series = [
        (
            "in-degree",
            points(&d.in_degree),
            d.in_degree.zero,
            RGBColor(31, 119, 180),
        ),
        (
            "out-degree",
            points(&d.out_degree),
            d.out_degree.zero,
            RGBColor(255, 127, 14),
        ),
    ];
    let all = || series.iter().flat_map(|s| s.1.iter());
    let (x_low, x_high) = all().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (y_low, y_high) = all().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = super::log_log_chart(
        root,
        format!("Degree distributions: {}", data.input),
        (Axis::log(x_low, x_high), Axis::log(y_low, y_high)),
        (
            "degree (log scale; bins 1, 2–3, 4–7, …)",
            "fraction of nodes per unit of degree (log scale)",
        ),
    )?;
    for (name, points, zero, color) in &series {
        let color = *color;
        let label = if *zero > 0 {
            format!("{name} ({zero} nodes with 0 not shown)")
        } else {
            name.to_string()
        };
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(e)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(e)?;
    }
    super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}
