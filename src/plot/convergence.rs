//! `convergence`: L1 change per iteration on a log axis, with the tolerance and the error
//! bound α/(1−α)·‖Δ‖₁.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, ChartData, SANS, log_label};

/// The smallest value shown on the log axis (a change of exactly 0 is drawn there).
const FLOOR: f64 = 1e-18;

pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData<'_>) -> Result<(), String> {
    let s = data.summary;
    let damping = s.parameters.damping;
    // A change that is not finite is left out (NaN would also slip through `max`).
    let changes: Vec<(f64, f64)> = s
        .iterations
        .iter()
        .filter(|r| r.change.is_finite())
        .map(|r| (r.iteration as f64, r.change.max(FLOOR)))
        .collect();
    let left_out = s.iterations.len() - changes.len();
    let bounds: Vec<(f64, f64)> = changes
        .iter()
        .map(|&(i, c)| (i, (damping / (1.0 - damping) * c).max(FLOOR)))
        .collect();
    let tolerance = s.parameters.tolerance;
    let low = changes
        .iter()
        .map(|p| p.1)
        .chain(super::plottable(tolerance).then_some(tolerance))
        .fold(f64::INFINITY, f64::min);
    // The bound lies above the change when α > 1/2, below it otherwise.
    let high = changes.iter().chain(&bounds).map(|p| p.1).fold(FLOOR, f64::max);
    let last = s.iterations.len().max(1) as f64;
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let x_axis = Axis::linear(0.0, last, true);
    let y_axis = Axis::log(low, high);
    let (x_ticks, y_ticks) = (x_axis.clone(), y_axis.clone());
    let x_end = x_axis.high();

    let verdict = if s.converged {
        format!("converged in {} iterations", s.iterations_run)
    } else {
        format!("stopped at the limit, {} iterations", s.iterations_run)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Convergence: {} ({verdict}){}",
                data.input,
                super::left_out_note(left_out)
            ),
            (SANS, 26),
        )
        .margin(20)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("L1 change between iterations (log scale)")
        .x_label_formatter(&|v| x_ticks.label(*v))
        .y_label_formatter(&|v| y_ticks.label(*v))
        .label_style((SANS, 17))
        .axis_desc_style((SANS, 19))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    chart
        .draw_series(LineSeries::new(changes.iter().copied(), blue.stroke_width(3)))
        .map_err(e)?
        .label("L1 change of the ranks")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], blue.stroke_width(3)));
    if changes.len() <= 60 {
        chart
            .draw_series(changes.iter().map(|&p| Circle::new(p, 3, blue.filled())))
            .map_err(e)?;
    }
    chart
        .draw_series(DashedLineSeries::new(
            bounds.iter().copied(),
            8,
            5,
            orange.stroke_width(2),
        ))
        .map_err(e)?
        .label(format!("error bound α/(1 − α) × L1 change (α = {damping})"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], orange.stroke_width(2)));
    if super::plottable(tolerance) {
        chart
            .draw_series(LineSeries::new(
                [(0.0, tolerance), (x_end, tolerance)],
                RED.stroke_width(2),
            ))
            .map_err(e)?
            .label(format!("tolerance {}", log_label(tolerance)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], RED.stroke_width(2)));
    }
    super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}
