//! Percentile-bootstrap confidence intervals: [`Bootstrap`], [`Interval`],
//! [`Estimate`].
//!
//! Method: the percentile bootstrap of Efron & Tibshirani (1993), *An
//! Introduction to the Bootstrap*, ch. 13. The sample is resampled with
//! replacement `resamples` times, the statistic computed on each resample, and
//! the interval is the `(1 - level) / 2` and `(1 + level) / 2` quantiles of
//! those values. For a ratio of two independent samples (ch. 8, two-sample
//! problems) each sample is resampled on its own. The percentile interval is
//! transformation-respecting: the interval of `1 / r` is the reciprocal of the
//! interval of `r` (up to quantile interpolation).
//!
//! Unlike criterion (which seeds from the clock), the generator is
//! `ChaCha8Rng` seeded from [`Bootstrap::seed`], which the results record: the
//! same seed and data always give bit-identical intervals.
//!
//! Cost: one reused buffer per sample and a linear-time selection
//! (`select_nth_unstable_by`) per resample, no allocation or sort inside the
//! loop; the bootstrap distribution is sorted once at the end.

use std::fmt;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::sample::{median_in_place, quantile_of_sorted};
use super::{Sample, StatsError};

/// Default number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 10_000;
/// Default confidence level of an interval.
pub const DEFAULT_LEVEL: f64 = 0.95;
/// Default seed of the bootstrap generator (a constant, never the clock).
pub const DEFAULT_SEED: u64 = 0x5EED_0010_1AB0;

/// A confidence interval `[low, high]` at confidence `level` (e.g. 0.95).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound (`>= low`).
    pub high: f64,
    /// Confidence level in `(0, 1]`, e.g. 0.95 for a 95 % interval.
    pub level: f64,
}

impl Interval {
    /// Whether `x` lies in the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// Whether the two closed intervals share at least one point: the
    /// "cannot tell apart" test used by comparisons and tuning.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.low <= other.high && other.low <= self.high
    }

    /// `high - low`.
    pub fn width(&self) -> f64 {
        self.high - self.low
    }

    /// The interval of `1 / x` for an interval of positive `x`: `[1 / high,
    /// 1 / low]`. Turns a time ratio `new / old` into a speedup `old / new`
    /// (valid for percentile intervals, which respect monotone transforms).
    pub fn reciprocal(&self) -> Interval {
        Interval {
            low: 1.0 / self.high,
            high: 1.0 / self.low,
            level: self.level,
        }
    }
}

impl fmt::Display for Interval {
    /// `[low, high]`; a precision (`{:.3}`) applies to both bounds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(f, "[{:.p$}, {:.p$}]", self.low, self.high),
            None => write!(f, "[{}, {}]", self.low, self.high),
        }
    }
}

/// A point estimate with its confidence interval: what summary rows and
/// reports print.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The statistic computed on the whole sample (e.g. the median).
    pub point: f64,
    /// Its bootstrap confidence interval.
    pub ci: Interval,
}

impl fmt::Display for Estimate {
    /// `point [low, high]`; a precision (`{:.3}`) applies to all three.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(f, "{:.p$} {:.p$}", self.point, self.ci),
            None => write!(f, "{} {}", self.point, self.ci),
        }
    }
}

/// Settings of the percentile bootstrap. The seed is part of the result:
/// record it next to every interval so a run can be recomputed exactly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Number of resamples; default [`DEFAULT_RESAMPLES`] (10,000). A value
    /// of 0 is treated as 1.
    pub resamples: usize,
    /// Seed of the `ChaCha8Rng` generator; default [`DEFAULT_SEED`]. Never
    /// taken from the clock.
    pub seed: u64,
    /// Confidence level in `(0, 1]`; default [`DEFAULT_LEVEL`] (0.95). An
    /// invalid level falls back to the default, and the returned
    /// [`Interval::level`] says which level was used.
    pub level: f64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: DEFAULT_RESAMPLES,
            seed: DEFAULT_SEED,
            level: DEFAULT_LEVEL,
        }
    }
}

impl Bootstrap {
    /// Validated settings, for values that come from configuration.
    ///
    /// # Errors
    ///
    /// [`StatsError::InvalidResamples`] when `resamples` is 0 and
    /// [`StatsError::InvalidLevel`] when `level` is not in `(0, 1]`.
    pub fn new(resamples: usize, seed: u64, level: f64) -> Result<Bootstrap, StatsError> {
        let b = Bootstrap {
            resamples,
            seed,
            level,
        };
        b.validate()?;
        Ok(b)
    }

    /// Checks the settings (see [`Bootstrap::new`]).
    ///
    /// # Errors
    ///
    /// As [`Bootstrap::new`].
    pub fn validate(&self) -> Result<(), StatsError> {
        if self.resamples == 0 {
            return Err(StatsError::InvalidResamples);
        }
        if !level_is_valid(self.level) {
            return Err(StatsError::InvalidLevel { level: self.level });
        }
        Ok(())
    }

    /// Percentile-bootstrap interval of the median of `s`.
    pub fn median_ci(&self, s: &Sample) -> Interval {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut buf = vec![0.0; s.len()];
        let mut stats = Vec::with_capacity(self.resample_count());
        for _ in 0..self.resample_count() {
            stats.push(resample_median(&mut rng, s.values(), &mut buf));
        }
        self.interval_of(stats)
    }

    /// Percentile-bootstrap interval of `median(numerator) /
    /// median(denominator)`, resampling the two samples independently (they
    /// are separate runs, not pairs).
    ///
    /// # Errors
    ///
    /// [`StatsError::NotPositive`] when a value of either sample is not
    /// strictly positive (a ratio of times needs positive times; zero would
    /// divide by zero), and [`StatsError::RatioOverflow`] when a resampled
    /// ratio is not finite (magnitudes beyond `f64`).
    pub fn ratio_of_medians_ci(
        &self,
        numerator: &Sample,
        denominator: &Sample,
    ) -> Result<Interval, StatsError> {
        require_positive(numerator, "numerator")?;
        require_positive(denominator, "denominator")?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut num_buf = vec![0.0; numerator.len()];
        let mut den_buf = vec![0.0; denominator.len()];
        let mut stats = Vec::with_capacity(self.resample_count());
        for _ in 0..self.resample_count() {
            let num = resample_median(&mut rng, numerator.values(), &mut num_buf);
            let den = resample_median(&mut rng, denominator.values(), &mut den_buf);
            let ratio = num / den;
            if !ratio.is_finite() {
                return Err(StatsError::RatioOverflow);
            }
            stats.push(ratio);
        }
        Ok(self.interval_of(stats))
    }

    /// The median of `s` with its interval.
    pub fn median(&self, s: &Sample) -> Estimate {
        Estimate {
            point: s.median(),
            ci: self.median_ci(s),
        }
    }

    /// The level actually used: `level` when valid, else [`DEFAULT_LEVEL`].
    pub fn effective_level(&self) -> f64 {
        if level_is_valid(self.level) {
            self.level
        } else {
            DEFAULT_LEVEL
        }
    }

    fn resample_count(&self) -> usize {
        self.resamples.max(1)
    }

    /// Percentile interval of a bootstrap distribution (non-empty).
    fn interval_of(&self, mut stats: Vec<f64>) -> Interval {
        let level = self.effective_level();
        stats.sort_unstable_by(f64::total_cmp);
        let alpha = (1.0 - level) / 2.0;
        Interval {
            low: quantile_of_sorted(&stats, alpha),
            high: quantile_of_sorted(&stats, 1.0 - alpha),
            level,
        }
    }
}

fn level_is_valid(level: f64) -> bool {
    level > 0.0 && level <= 1.0
}

fn require_positive(s: &Sample, role: &'static str) -> Result<(), StatsError> {
    match s.values().iter().enumerate().find(|(_, &v)| v <= 0.0) {
        Some((index, &value)) => Err(StatsError::NotPositive { role, index, value }),
        None => Ok(()),
    }
}

/// Fills `buf` with a resample (with replacement) of `values` and returns its
/// median. `buf.len() == values.len()`, both non-empty.
fn resample_median(rng: &mut ChaCha8Rng, values: &[f64], buf: &mut [f64]) -> f64 {
    let n = values.len();
    for slot in buf.iter_mut() {
        *slot = values[rng.random_range(0..n)];
    }
    median_in_place(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(values: &[f64]) -> Sample {
        Sample::new(values.to_vec()).unwrap()
    }

    fn quick(seed: u64) -> Bootstrap {
        Bootstrap {
            resamples: 1_000,
            seed,
            level: 0.95,
        }
    }

    #[test]
    fn defaults() {
        let b = Bootstrap::default();
        assert_eq!(b.resamples, 10_000);
        assert_eq!(b.level, 0.95);
        assert!(b.validate().is_ok());
    }

    #[test]
    fn new_validates() {
        assert_eq!(
            Bootstrap::new(0, 1, 0.95),
            Err(StatsError::InvalidResamples)
        );
        assert_eq!(
            Bootstrap::new(10, 1, 0.0),
            Err(StatsError::InvalidLevel { level: 0.0 })
        );
        assert_eq!(
            Bootstrap::new(10, 1, 1.5),
            Err(StatsError::InvalidLevel { level: 1.5 })
        );
        assert!(Bootstrap::new(10, 1, f64::NAN).is_err());
        assert_eq!(Bootstrap::new(10, 1, 0.9).map(|b| b.level), Ok(0.9));
    }

    #[test]
    fn invalid_level_falls_back_and_says_so() {
        let b = Bootstrap {
            resamples: 0,
            seed: 3,
            level: f64::NAN,
        };
        let ci = b.median_ci(&sample(&[1.0, 2.0, 3.0]));
        assert_eq!(ci.level, DEFAULT_LEVEL);
        assert!(ci.low <= ci.high);
    }

    #[test]
    fn same_seed_same_interval_other_seed_differs() {
        let s = sample(&[1.0, 1.3, 0.9, 1.1, 1.6, 1.05, 0.95, 1.2, 1.4, 0.8]);
        let t = sample(&[2.0, 2.1, 1.9, 2.4, 2.2, 1.8, 2.05]);
        let a = Bootstrap::default();
        let b = Bootstrap::default();
        assert_eq!(a.median_ci(&s), b.median_ci(&s));
        assert_eq!(a.ratio_of_medians_ci(&s, &t), b.ratio_of_medians_ci(&s, &t));
        let other = Bootstrap { seed: 42, ..a };
        // With 10 distinct values the quantiles move with the seed at least
        // once across the two statistics.
        let differs = other.median_ci(&s) != a.median_ci(&s)
            || other.ratio_of_medians_ci(&s, &t) != a.ratio_of_medians_ci(&s, &t);
        assert!(differs);
    }

    #[test]
    fn constant_sample_gives_a_point_interval() {
        let ci = quick(1).median_ci(&sample(&[5.0; 8]));
        assert_eq!((ci.low, ci.high, ci.level), (5.0, 5.0, 0.95));
    }

    #[test]
    fn two_values_span_both() {
        // Resampled medians of [a, b] are a, (a + b) / 2, b with probability
        // 1/4, 1/2, 1/4: the 95 % interval is [a, b].
        let ci = quick(9).median_ci(&sample(&[1.0, 3.0]));
        assert_eq!((ci.low, ci.high), (1.0, 3.0));
    }

    #[test]
    fn ratio_of_scaled_samples() {
        let s = sample(&[1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98]);
        let doubled = sample(&s.values().iter().map(|v| v * 2.0).collect::<Vec<_>>());
        let ci = quick(5).ratio_of_medians_ci(&doubled, &s).unwrap();
        assert!(ci.contains(2.0), "{ci}");
        assert!(ci.low > 1.6 && ci.high < 2.5, "{ci}");
    }

    #[test]
    fn ratio_rejects_non_positive() {
        let ok = sample(&[1.0, 2.0]);
        let zero = sample(&[1.0, 0.0]);
        assert_eq!(
            quick(1).ratio_of_medians_ci(&ok, &zero),
            Err(StatsError::NotPositive {
                role: "denominator",
                index: 1,
                value: 0.0
            })
        );
        assert!(matches!(
            quick(1).ratio_of_medians_ci(&sample(&[-1.0]), &ok),
            Err(StatsError::NotPositive {
                role: "numerator",
                index: 0,
                ..
            })
        ));
        assert_eq!(
            quick(1).ratio_of_medians_ci(&sample(&[1e300]), &sample(&[1e-300])),
            Err(StatsError::RatioOverflow)
        );
    }

    #[test]
    fn interval_helpers() {
        let a = Interval {
            low: 1.0,
            high: 2.0,
            level: 0.95,
        };
        let b = Interval {
            low: 2.0,
            high: 4.0,
            level: 0.95,
        };
        let c = Interval {
            low: 2.5,
            high: 4.0,
            level: 0.95,
        };
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
        assert!(a.contains(1.0) && a.contains(2.0) && !a.contains(2.01));
        assert_eq!(b.width(), 2.0);
        let r = b.reciprocal();
        assert_eq!((r.low, r.high, r.level), (0.25, 0.5, 0.95));
    }

    #[test]
    fn display_honours_precision() {
        let e = Estimate {
            point: 1.23456,
            ci: Interval {
                low: 1.2,
                high: 1.3,
                level: 0.95,
            },
        };
        assert_eq!(format!("{e:.2}"), "1.23 [1.20, 1.30]");
        assert_eq!(format!("{}", e.ci), "[1.2, 1.3]");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn ci_is_ordered_and_contains_the_median(
            values in prop::collection::vec(0.001f64..1000.0, 1..40),
            seed in any::<u64>(),
        ) {
            let s = Sample::new(values).unwrap();
            let ci = quick(seed).median_ci(&s);
            prop_assert!(ci.low <= ci.high);
            prop_assert!(ci.contains(s.median()), "{} not in {}", s.median(), ci);
            prop_assert!(s.min() <= ci.low && ci.high <= s.max());
        }

        #[test]
        fn ratio_of_identical_samples_contains_one(
            values in prop::collection::vec(0.001f64..1000.0, 1..40),
            seed in any::<u64>(),
        ) {
            let s = Sample::new(values).unwrap();
            let ci = quick(seed).ratio_of_medians_ci(&s, &s.clone()).unwrap();
            prop_assert!(ci.low <= ci.high);
            prop_assert!(ci.contains(1.0), "1 not in {}", ci);
        }

        #[test]
        fn deterministic_for_a_seed(
            values in prop::collection::vec(-1e3f64..1e3, 1..30),
            seed in any::<u64>(),
        ) {
            let s = Sample::new(values).unwrap();
            let a = quick(seed).median_ci(&s);
            let b = quick(seed).median_ci(&s);
            prop_assert_eq!(a.low.to_bits(), b.low.to_bits());
            prop_assert_eq!(a.high.to_bits(), b.high.to_bits());
        }
    }
}
