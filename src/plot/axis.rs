//! Chart axes that end at the ticks next to the data, with one label format per axis
//! ([`Axis`], a plotters `Ranged` coordinate).

use super::plottable;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
