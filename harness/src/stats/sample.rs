//! [`Sample`]: a validated, non-empty set of finite measurements, and the
//! descriptive statistics of one sample (median, mean, spread, percentiles).
//!
//! Modelled on criterion.rs `src/stats/univariate/sample.rs`: the invariant
//! (non-empty, every value finite) is checked once, at construction, so no
//! statistic below has to handle `NaN`, infinities or an empty slice.
//!
//! Percentiles use linear interpolation between closest ranks, the default of
//! NumPy and R (`type = 7` in Hyndman & Fan 1996, "Sample quantiles in
//! statistical packages", *The American Statistician* 50(4)). The standard
//! deviation is the sample (Bessel-corrected, `n - 1`) one.

use serde::{Deserialize, Serialize};

use super::StatsError;

/// A non-empty set of finite measurements, e.g. the wall seconds of the
/// repetitions of one scenario.
///
/// Construction rejects an empty set and any `NaN` or infinite value, so every
/// statistic is defined. The values are kept in the order given (outlier
/// indices refer to that order) together with a sorted copy, so order
/// statistics cost nothing after construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Sample {
    /// The measurements, in the order they were given.
    values: Vec<f64>,
    /// The same measurements, ascending.
    sorted: Vec<f64>,
}

impl Sample {
    /// Builds a sample from measurements.
    ///
    /// # Errors
    ///
    /// [`StatsError::EmptySample`] when `values` is empty and
    /// [`StatsError::NonFinite`] (with the index) when a value is `NaN` or
    /// infinite.
    pub fn new(values: Vec<f64>) -> Result<Sample, StatsError> {
        if values.is_empty() {
            return Err(StatsError::EmptySample);
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(StatsError::NonFinite { index, value });
        }
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        Ok(Sample { values, sorted })
    }

    /// Number of measurements (at least 1).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always `false`: a sample holds at least one measurement. Present
    /// because a type with `len` is expected to have it.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The measurements in the order they were given.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The measurements in ascending order.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// The median: the middle value, or the midpoint of the two middle values
    /// when the length is even. Equal to `percentile(50.0)`.
    pub fn median(&self) -> f64 {
        median_of_sorted(&self.sorted)
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> f64 {
        // Dividing each term keeps the sum finite for finite inputs.
        let n = self.len() as f64;
        self.values.iter().map(|v| v / n).sum()
    }

    /// The sample standard deviation (divisor `n - 1`, Bessel's correction);
    /// 0 for a single measurement, where spread is not observable.
    pub fn std_dev(&self) -> f64 {
        let n = self.len();
        if n < 2 {
            return 0.0;
        }
        let mean = self.mean();
        let squares: f64 = self.values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (squares / (n - 1) as f64).sqrt()
    }

    /// The smallest measurement.
    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    /// The largest measurement.
    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }

    /// The `p`-th percentile (`p` in `0..=100`), linearly interpolated between
    /// the closest ranks (Hyndman & Fan type 7): `percentile(0.0)` is the
    /// minimum, `percentile(100.0)` the maximum, `percentile(50.0)` the median.
    ///
    /// # Errors
    ///
    /// [`StatsError::PercentileOutOfRange`] when `p` is outside `0..=100` or
    /// `NaN` (percentiles such as p99 can come from user configuration).
    pub fn percentile(&self, p: f64) -> Result<f64, StatsError> {
        if !(0.0..=100.0).contains(&p) {
            return Err(StatsError::PercentileOutOfRange { p });
        }
        Ok(quantile_of_sorted(&self.sorted, p / 100.0))
    }

    /// The coefficient of variation, `std_dev / |mean|`: spread relative to
    /// size, comparable across scenarios of different durations. `None` when
    /// the mean is 0, where the ratio is undefined.
    pub fn coefficient_of_variation(&self) -> Option<f64> {
        let mean = self.mean();
        if mean == 0.0 {
            None
        } else {
            Some(self.std_dev() / mean.abs())
        }
    }
}

impl TryFrom<Vec<f64>> for Sample {
    type Error = StatsError;

    fn try_from(values: Vec<f64>) -> Result<Self, Self::Error> {
        Sample::new(values)
    }
}

impl From<Sample> for Vec<f64> {
    fn from(sample: Sample) -> Self {
        sample.values
    }
}

/// Linear interpolation from `a` to `b` (`a <= b`) at `t` in `0..=1`,
/// clamped to `[a, b]` so rounding can never leave the bracket. The form
/// `a * (1 - t) + b * t` cannot overflow for finite inputs.
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    (a * (1.0 - t) + b * t).clamp(a, b)
}

/// Quantile `q` in `0..=1` of an ascending, non-empty slice (type 7).
/// Returns `NaN` for an empty slice; callers guarantee non-emptiness.
pub(crate) fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = q.clamp(0.0, 1.0) * last as f64;
    // `rank` lies in 0..=last, so both casts stay in bounds.
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    lerp(sorted[lo], sorted[hi], rank - lo as f64)
}

/// Median of an ascending, non-empty slice; `NaN` when empty.
pub(crate) fn median_of_sorted(sorted: &[f64]) -> f64 {
    quantile_of_sorted(sorted, 0.5)
}

/// Median of a non-empty, unordered buffer, reordering it in place with
/// `select_nth_unstable_by` (linear time; no full sort). Gives the same bits
/// as [`median_of_sorted`] on the sorted buffer. `NaN` when empty.
pub(crate) fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (left, &mut upper, _) = buf.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        return upper;
    }
    // Even length: the lower middle value is the largest of the left part.
    // `total_cmp` agrees with the sort used by `Sample` (even on -0.0 / 0.0).
    let lower = left.iter().copied().max_by(f64::total_cmp).unwrap_or(upper);
    lerp(lower, upper, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(values: &[f64]) -> Sample {
        Sample::new(values.to_vec()).unwrap()
    }

    #[test]
    fn rejects_empty_and_non_finite() {
        assert_eq!(Sample::new(vec![]), Err(StatsError::EmptySample));
        match Sample::new(vec![1.0, f64::NAN]) {
            Err(StatsError::NonFinite { index, value }) => {
                assert_eq!(index, 1);
                assert!(value.is_nan());
            }
            other => panic!("expected NonFinite, got {other:?}"),
        }
        assert!(matches!(
            Sample::new(vec![f64::INFINITY]),
            Err(StatsError::NonFinite { index: 0, .. })
        ));
        assert!(matches!(
            Sample::new(vec![2.0, 3.0, f64::NEG_INFINITY]),
            Err(StatsError::NonFinite { index: 2, .. })
        ));
    }

    #[test]
    fn known_values() {
        let s = sample(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(s.len(), 4);
        assert_eq!(s.median(), 2.5);
        assert_eq!(s.mean(), 2.5);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.max(), 4.0);
        assert_eq!(s.values(), &[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(s.sorted(), &[1.0, 2.0, 3.0, 4.0]);
        // Sum of squared deviations 5, divided by n - 1 = 3.
        assert!((s.std_dev() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let cv = s.coefficient_of_variation().unwrap();
        assert!((cv - (5.0f64 / 3.0).sqrt() / 2.5).abs() < 1e-12);

        assert_eq!(sample(&[3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(
            sample(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).std_dev(),
            2.138089935299395
        );
    }

    #[test]
    fn single_value() {
        let s = sample(&[7.5]);
        assert_eq!(s.median(), 7.5);
        assert_eq!(s.std_dev(), 0.0);
        assert_eq!(s.percentile(0.0).unwrap(), 7.5);
        assert_eq!(s.percentile(99.0).unwrap(), 7.5);
        assert_eq!(s.coefficient_of_variation(), Some(0.0));
    }

    #[test]
    fn percentiles_interpolate_linearly() {
        let s = sample(&[10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(s.percentile(0.0).unwrap(), 10.0);
        assert_eq!(s.percentile(100.0).unwrap(), 50.0);
        assert_eq!(s.percentile(50.0).unwrap(), 30.0);
        assert_eq!(s.percentile(25.0).unwrap(), 20.0);
        // Rank 0.9 * 4 = 3.6: 40 + 0.6 * 10.
        assert!((s.percentile(90.0).unwrap() - 46.0).abs() < 1e-12);
        // numpy.percentile([1, 2, 3, 4], 40) == 2.2
        assert!((sample(&[1.0, 2.0, 3.0, 4.0]).percentile(40.0).unwrap() - 2.2).abs() < 1e-12);
    }

    #[test]
    fn percentile_rejects_out_of_range() {
        let s = sample(&[1.0, 2.0]);
        assert_eq!(
            s.percentile(-0.1),
            Err(StatsError::PercentileOutOfRange { p: -0.1 })
        );
        assert_eq!(
            s.percentile(100.5),
            Err(StatsError::PercentileOutOfRange { p: 100.5 })
        );
        assert!(s.percentile(f64::NAN).is_err());
    }

    #[test]
    fn zero_mean_has_no_cv() {
        assert_eq!(sample(&[-1.0, 1.0]).coefficient_of_variation(), None);
    }

    #[test]
    fn serde_round_trip_revalidates() {
        let s = sample(&[3.0, 1.0, 2.0]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "[3.0,1.0,2.0]");
        let back: Sample = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<Sample>("[]").is_err());
    }

    proptest! {
        #[test]
        fn median_in_place_matches_sorted(values in prop::collection::vec(-1e6f64..1e6, 1..60)) {
            let s = Sample::new(values.clone()).unwrap();
            let mut buf = values;
            prop_assert_eq!(median_in_place(&mut buf).to_bits(), s.median().to_bits());
            prop_assert_eq!(s.percentile(50.0).unwrap().to_bits(), s.median().to_bits());
        }

        #[test]
        fn order_statistics_are_ordered(values in prop::collection::vec(-1e6f64..1e6, 1..60), p in 0.0f64..=100.0) {
            let s = Sample::new(values).unwrap();
            let q = s.percentile(p).unwrap();
            prop_assert!(s.min() <= q && q <= s.max());
            prop_assert!(s.min() <= s.median() && s.median() <= s.max());
            prop_assert!(s.std_dev() >= 0.0);
            let mean = s.mean();
            prop_assert!(s.min() - 1e-6 <= mean && mean <= s.max() + 1e-6);
        }
    }
}
