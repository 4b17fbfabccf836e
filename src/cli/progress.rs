//! Progress bars on stderr, shown only on a terminal and without `--quiet`.
//!
//! Rates come from a sliding window of the last few seconds ([`Window`]), not from the start
//! or from indicatif's per-tick estimate, so the first frame shows no rate rather than a spike
//! (`81.82 GiB/s` for the first buffer read), and they are written with three significant
//! digits (`8.66 M edges/s`, [`human_rate`]). The iteration bar measures progress toward
//! `--tol` on a log scale and ends at the iteration where the run stopped.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crawlrank::progress::{Event, Phase, Progress};

/// Seconds of history a rate is measured over.
const WINDOW: Duration = Duration::from_secs(3);
/// The shortest span a rate is shown for: less is the noise of the first buffers.
const SHORTEST: Duration = Duration::from_millis(400);
/// Steps of the iteration bar (its progress is a fraction).
const ITERATION_STEPS: u64 = 1000;

/// Recent samples of a growing count, for a rate over the last [`WINDOW`].
#[derive(Debug, Default)]
pub struct Window {
    samples: VecDeque<(Instant, f64)>,
}

impl Window {
    /// Records the count at `now`.
    pub fn push(&mut self, now: Instant, count: f64) {
        self.samples.push_back((now, count));
        // Keep one sample at or beyond the window's start, so the span covers the window.
        while self.samples.len() > 2 && now.duration_since(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
    }

    /// Counts a second over the window, once it spans at least [`SHORTEST`].
    pub fn rate(&self) -> Option<f64> {
        let (&(first, from), &(last, to)) = (self.samples.front()?, self.samples.back()?);
        let span = last.duration_since(first);
        (span >= SHORTEST).then(|| (to - from).max(0.0) / span.as_secs_f64())
    }
}

/// A rate with three significant digits and an SI prefix: `8.66 M edges/s`, `412 k edges/s`,
/// `950 edges/s`.
pub fn human_rate(per_second: f64, unit: &str) -> String {
    let prefixes = [(1e12, "T "), (1e9, "G "), (1e6, "M "), (1e3, "k ")];
    let (value, prefix) = prefixes
        .iter()
        .find(|(scale, _)| per_second >= *scale * 0.9995)
        .map_or((per_second, ""), |&(scale, prefix)| (per_second / scale, prefix));
    let digits = if value >= 99.95 || (prefix.is_empty() && value >= 1.0) {
        0
    } else if value >= 9.995 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {prefix}{unit}/s")
}

/// Bytes a second in binary units with three significant digits: `412 MiB/s`, `1.21 GiB/s`.
pub fn human_byte_rate(per_second: f64) -> String {
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    let (value, unit) = units
        .iter()
        .find(|(scale, _)| per_second >= *scale as f64 * 0.9995)
        .map_or((per_second, "B"), |&(scale, unit)| (per_second / scale as f64, unit));
    let digits = if value >= 99.95 || unit == "B" {
        0
    } else if value >= 9.995 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {unit}/s")
}

/// Seconds left as a person says them: `8 s`, `3 min 20 s`, `1 h 05 min`.
fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// How far an iteration has come toward stopping, from 0 to 1: the L1 change's fall from the
/// first iteration's toward `tolerance`, on a log scale (each iteration divides the change by
/// about the damping factor); by the iteration count when the run stops only at the limit.
pub fn iteration_progress(first_change: f64, change: f64, tolerance: f64, iteration: usize, max: usize) -> f64 {
    let by_count = iteration as f64 / max.max(1) as f64;
    let usable = tolerance > 0.0 && change.is_finite() && first_change.is_finite();
    if !usable {
        return by_count.clamp(0.0, 1.0);
    }
    if change <= tolerance {
        return 1.0;
    }
    let whole = (first_change / tolerance).ln();
    if whole.is_nan() || whole <= 0.0 {
        return by_count.clamp(0.0, 1.0);
    }
    // Never behind the count: a run that reaches the limit ends a full bar.
    ((first_change / change).ln() / whole).max(by_count).clamp(0.0, 1.0)
}

/// The iteration bar's message: `iteration 13 (at most 1000) · L1 change 3.2e-9, stops below 1e-10`.
pub fn iteration_message(iteration: usize, max: usize, change: f64, tolerance: f64) -> String {
    if tolerance > 0.0 {
        format!("iteration {iteration} (at most {max}) · L1 change {change:.1e}, stops below {tolerance:.0e}")
    } else {
        format!("iteration {iteration} of {max} · L1 change {change:.1e} (--tol 0: runs to --max-iter)")
    }
}

/// What the iteration bar says when the iterations are over.
pub fn iteration_end(iteration: usize, change: f64, tolerance: f64) -> String {
    if tolerance > 0.0 && change <= tolerance {
        format!("converged at iteration {iteration}: L1 change {change:.1e} below {tolerance:.0e}")
    } else if tolerance > 0.0 {
        format!("stopped at iteration {iteration} (--max-iter): L1 change {change:.1e}, not below {tolerance:.0e}")
    } else {
        format!("ran {iteration} iterations: last L1 change {change:.1e}")
    }
}

/// A rate and time left from a window, for a bar's message.
fn rate_and_eta(window: &Window, done: f64, total: Option<f64>, format: impl Fn(f64) -> String) -> String {
    match window.rate() {
        None => String::new(),
        Some(rate) => {
            let eta = total
                .filter(|_| rate > 0.0)
                .map(|total| format!(" · ETA {}", human_duration((total - done).max(0.0) / rate)))
                .unwrap_or_default();
            format!(" · {}{eta}", format(rate))
        }
    }
}

/// The state of the iteration bar.
#[derive(Default)]
struct Iterating {
    first_change: Option<f64>,
    last: Option<(usize, f64, f64)>,
}

/// The state of the reading bar.
#[derive(Default)]
struct Reading {
    bytes: Window,
    edges: Window,
}

/// Turns library events into indicatif bars.
pub struct Bars {
    visible: bool,
    /// Say that the run waits for another (not with `--quiet`).
    notes: bool,
    bar: Mutex<Option<ProgressBar>>,
    reading: Mutex<Reading>,
    iterating: Mutex<Iterating>,
}

impl Bars {
    /// Bars that draw only when `visible` (stderr is a terminal and not `--quiet`).
    pub fn new(visible: bool) -> Bars {
        Bars {
            visible,
            notes: false,
            bar: Mutex::new(None),
            reading: Mutex::new(Reading::default()),
            iterating: Mutex::new(Iterating::default()),
        }
    }

    /// Bars as [`Bars::new`], which also say (on any stderr) when the run waits for another.
    pub fn with_notes(visible: bool, notes: bool) -> Bars {
        Bars {
            notes,
            ..Bars::new(visible)
        }
    }

    fn replace(&self, bar: Option<ProgressBar>) {
        let mut current = self.bar.lock().expect("progress lock");
        if let Some(old) = current.take() {
            old.finish_and_clear();
        }
        *current = bar;
    }

    /// Ends the iteration bar where the run stopped and leaves it on the screen.
    fn end_iterations(&self) {
        let mut current = self.bar.lock().expect("progress lock");
        let Some(bar) = current.take() else { return };
        match self.iterating.lock().expect("progress lock").last {
            Some((iteration, change, tolerance)) => {
                let done = tolerance > 0.0 && change <= tolerance;
                if done {
                    bar.set_position(ITERATION_STEPS);
                }
                bar.finish_with_message(iteration_end(iteration, change, tolerance));
                // The finished line stays; the next bar starts below it.
                eprintln!();
            }
            None => bar.finish_and_clear(),
        }
    }
}

/// A bar (or a spinner without `length`) with a template, drawn eight times a second.
pub fn new_bar(length: Option<u64>, template: &str) -> ProgressBar {
    let bar = match length {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar.enable_steady_tick(Duration::from_millis(125));
    bar
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        if let Event::Waiting = event {
            if self.notes {
                eprintln!("crawlrank: waiting for the other crawlrank run writing into the result folder (--wait)");
            }
            return;
        }
        if !self.visible {
            return;
        }
        match event {
            Event::Started(Phase::Read) => {
                *self.reading.lock().expect("progress lock") = Reading::default();
                self.replace(None)
            }
            Event::Read {
                bytes,
                total_bytes,
                edges,
            } => {
                let now = Instant::now();
                let mut reading = self.reading.lock().expect("progress lock");
                reading.bytes.push(now, bytes as f64);
                reading.edges.push(now, edges as f64);
                let mut current = self.bar.lock().expect("progress lock");
                let bar = current.get_or_insert_with(|| match total_bytes {
                    Some(total) => new_bar(Some(total), "reading   {bar:30} {bytes}/{total_bytes}{msg}"),
                    None => new_bar(None, "reading   {spinner} {bytes}{msg}"),
                });
                bar.set_position(bytes);
                let rates = match (reading.bytes.rate(), reading.edges.rate()) {
                    (Some(b), Some(e)) => {
                        let eta = total_bytes
                            .filter(|_| b > 0.0)
                            .map(|t| format!(" · ETA {}", human_duration(t.saturating_sub(bytes) as f64 / b)))
                            .unwrap_or_default();
                        format!(" · {}, {}{eta}", human_byte_rate(b), human_rate(e, "edges"))
                    }
                    _ => String::new(),
                };
                bar.set_message(format!(" · {} edges{rates}", HumanCount(edges)));
            }
            Event::Started(Phase::Partition) => {
                self.replace(Some(new_bar(None, "sharding  {spinner} {elapsed}")));
            }
            Event::Started(Phase::Iterate) => {
                *self.iterating.lock().expect("progress lock") = Iterating::default();
                self.replace(None)
            }
            Event::Iteration {
                iteration,
                max_iterations,
                change,
                tolerance,
            } => {
                let mut iterating = self.iterating.lock().expect("progress lock");
                let first = *iterating.first_change.get_or_insert(change);
                iterating.last = Some((iteration, change, tolerance));
                let mut current = self.bar.lock().expect("progress lock");
                let bar =
                    current.get_or_insert_with(|| new_bar(Some(ITERATION_STEPS), "iterating {bar:30} {elapsed} {msg}"));
                let progress = iteration_progress(first, change, tolerance, iteration, max_iterations);
                bar.set_position((progress * ITERATION_STEPS as f64).round() as u64);
                bar.set_message(iteration_message(iteration, max_iterations, change, tolerance));
            }
            Event::Finished(Phase::Iterate, _) => self.end_iterations(),
            Event::Started(Phase::Write) => {
                self.replace(Some(new_bar(None, "writing   {spinner} {elapsed}")));
            }
            Event::Finished(_, _) | Event::Waiting => self.replace(None),
        }
    }
}

/// The generator's bar: edges written of the total, with a windowed rate and time left.
pub struct GenerateBar {
    bar: ProgressBar,
    window: Mutex<Window>,
}

impl GenerateBar {
    /// A bar drawn on stderr for `total` edges.
    pub fn new(total: u64) -> GenerateBar {
        GenerateBar {
            bar: new_bar(Some(total), "generating {bar:30} {human_pos}/{human_len} edges{msg}"),
            window: Mutex::new(Window::default()),
        }
    }

    /// `done` of `total` edges are written.
    pub fn update(&self, done: u64, total: u64) {
        let mut window = self.window.lock().expect("progress lock");
        window.push(Instant::now(), done as f64);
        self.bar.set_length(total);
        self.bar.set_position(done);
        let message = rate_and_eta(&window, done as f64, Some(total as f64), |r| human_rate(r, "edges"));
        self.bar.set_message(message);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Bytes in human units, for the closing summary.
pub fn human_bytes(bytes: u64) -> String {
    HumanBytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_a_person_writes_them() {
        assert_eq!(human_rate(8_664_136.105_3, "edges"), "8.66 M edges/s");
        assert_eq!(human_rate(412_345.0, "edges"), "412 k edges/s");
        assert_eq!(human_rate(99_960.0, "edges"), "100 k edges/s");
        assert_eq!(human_rate(12_340_000_000.0, "edges"), "12.3 G edges/s");
        assert_eq!(human_rate(950.4, "edges"), "950 edges/s");
        assert_eq!(human_rate(0.5, "edges"), "0.50 edges/s");
        assert_eq!(human_byte_rate(1.21 * (1u64 << 30) as f64), "1.21 GiB/s");
        assert_eq!(human_byte_rate(412.0 * (1u64 << 20) as f64), "412 MiB/s");
        assert_eq!(human_byte_rate(100.0), "100 B/s");
        assert_eq!(human_duration(8.4), "8 s");
        assert_eq!(human_duration(200.0), "3 min 20 s");
        assert_eq!(human_duration(3900.0), "1 h 05 min");
    }

    #[test]
    fn a_rate_needs_a_span_and_forgets_the_first_buffers() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut window = Window::default();
        // The first buffer arrives at once: 1 GB in 10 ms would read as 100 GB/s.
        window.push(at(0), 0.0);
        window.push(at(10), 1e9);
        assert_eq!(window.rate(), None, "no rate from the first 10 ms");
        // Then a steady 100 MB/s for ten seconds: the window forgets the burst.
        for step in 1..=100 {
            window.push(at(10 + step * 100), 1e9 + step as f64 * 1e7);
        }
        let rate = window.rate().unwrap();
        assert!((rate - 1e8).abs() < 1e6, "{rate}");
    }

    #[test]
    fn iteration_progress_is_toward_the_tolerance_on_a_log_scale() {
        // From 1 to 1e-10 over ten decades: 1e-5 is half way.
        assert!((iteration_progress(1.0, 1e-5, 1e-10, 50, 1000) - 0.5).abs() < 1e-9);
        assert_eq!(iteration_progress(1.0, 1.0, 1e-10, 1, 1000), 0.001);
        assert_eq!(iteration_progress(1.0, 1e-11, 1e-10, 120, 1000), 1.0);
        // Not ahead of a run that stops at --max-iter: full when the limit is reached.
        assert_eq!(iteration_progress(1.0, 1e-3, 1e-10, 20, 20), 1.0);
        // --tol 0: by the count.
        assert_eq!(iteration_progress(1.0, 1e-3, 0.0, 5, 20), 0.25);
        // Nonsense in, a fraction out.
        for change in [f64::NAN, f64::INFINITY, 0.0, 10.0] {
            let p = iteration_progress(1.0, change, 1e-10, 3, 10);
            assert!((0.0..=1.0).contains(&p), "{change}: {p}");
        }
        assert_eq!(
            iteration_message(13, 1000, 3.2e-9, 1e-10),
            "iteration 13 (at most 1000) · L1 change 3.2e-9, stops below 1e-10"
        );
        assert_eq!(
            iteration_end(14, 8e-11, 1e-10),
            "converged at iteration 14: L1 change 8.0e-11 below 1e-10"
        );
        assert!(iteration_end(20, 1e-3, 1e-10).starts_with("stopped at iteration 20 (--max-iter)"));
    }
}
