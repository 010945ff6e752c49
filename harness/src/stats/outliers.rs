//! Outlier detection by the modified z-score.
//!
//! Method: Iglewicz & Hoaglin (1993), *How to Detect and Handle Outliers*
//! (ASQC Basic References in Quality Control, vol. 16), §3.3. The modified
//! z-score of `x_i` is `M_i = 0.6745 (x_i - median) / MAD`, where MAD is the
//! median absolute deviation from the median and 0.6745 the 0.75 quantile of
//! the standard normal (so `MAD / 0.6745` estimates σ for normal data). A value
//! is an outlier when `|M_i| > 3.5`, the authors' recommended cut-off. Unlike
//! the mean and standard deviation, median and MAD are not dragged by the
//! outliers they are meant to find. hyperfine uses the same test
//! (`src/outlier_detection.rs`).
//!
//! This module only flags; it never drops measurements. Reports decide what to
//! say about flagged repetitions (e.g. "a background process interfered").

use super::sample::median_of_sorted;
use super::Sample;

/// The cut-off of Iglewicz & Hoaglin: `|M_i| > 3.5` is an outlier.
pub const MODIFIED_Z_THRESHOLD: f64 = 3.5;

/// 0.75 quantile of the standard normal distribution: scales MAD to σ.
const NORMAL_MAD_SCALE: f64 = 0.6745;

/// Indices (into [`Sample::values`], ascending) of the measurements whose
/// modified z-score exceeds [`MODIFIED_Z_THRESHOLD`].
///
/// When MAD is 0 (more than half the values are equal) the score is undefined;
/// then every value that differs from the median is an outlier, and constant
/// data has none.
pub fn outliers(s: &Sample) -> Vec<usize> {
    let median = s.median();
    let mut deviations: Vec<f64> = s.values().iter().map(|v| (v - median).abs()).collect();
    deviations.sort_unstable_by(f64::total_cmp);
    let mad = median_of_sorted(&deviations);
    s.values()
        .iter()
        .enumerate()
        .filter(|&(_, &v)| {
            if mad == 0.0 {
                v != median
            } else {
                (NORMAL_MAD_SCALE * (v - median) / mad).abs() > MODIFIED_Z_THRESHOLD
            }
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(values: &[f64]) -> Sample {
        Sample::new(values.to_vec()).unwrap()
    }

    #[test]
    fn big_outlier_is_flagged_by_index() {
        let s = sample(&[1.0, 1.1, 0.9, 10.0, 1.05, 0.95, 1.02]);
        assert_eq!(outliers(&s), vec![3]);
        let low = sample(&[5.0, 5.2, 4.9, 5.1, 0.1, 5.05]);
        assert_eq!(outliers(&low), vec![4]);
    }

    #[test]
    fn moderate_spread_is_not_an_outlier() {
        // median 3, MAD 1: the farthest value scores 0.6745 * 2 / 1 ≈ 1.35.
        assert!(outliers(&sample(&[1.0, 2.0, 3.0, 4.0, 5.0])).is_empty());
    }

    #[test]
    fn threshold_boundary() {
        // median 0, MAD 1. Score of x is 0.6745 x: x = 5.2 gives 3.507 (out),
        // x = 5.18 gives 3.494 (in).
        let base = [-1.0, -1.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        let mut out = base.to_vec();
        out.push(5.2);
        out.push(-5.2);
        assert_eq!(outliers(&sample(&out)), vec![7, 8]);
        let mut inside = base.to_vec();
        inside.push(5.18);
        inside.push(-5.18);
        assert!(outliers(&sample(&inside)).is_empty());
    }

    #[test]
    fn zero_mad_flags_values_off_the_median() {
        assert_eq!(outliers(&sample(&[2.0, 2.0, 2.0, 2.0, 2.001])), vec![4]);
        assert!(outliers(&sample(&[7.0])).is_empty());
    }

    proptest! {
        #[test]
        fn constant_data_has_no_outliers(v in -1e9f64..1e9, n in 1usize..50) {
            prop_assert!(outliers(&Sample::new(vec![v; n]).unwrap()).is_empty());
        }

        #[test]
        fn a_far_value_is_flagged(
            values in prop::collection::vec(1.0f64..2.0, 5..40),
            at in any::<prop::sample::Index>(),
        ) {
            // All other values lie within [1, 2], so the median does too and
            // MAD <= 1; 1000 is then at least ~670 MADs away.
            let mut values = values;
            let i = at.index(values.len() + 1);
            values.insert(i, 1000.0);
            let flagged = outliers(&Sample::new(values).unwrap());
            prop_assert!(flagged.contains(&i), "{:?} misses {}", flagged, i);
        }

        #[test]
        fn indices_are_ascending_and_in_range(values in prop::collection::vec(-1e3f64..1e3, 1..40)) {
            let s = Sample::new(values).unwrap();
            let flagged = outliers(&s);
            prop_assert!(flagged.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(flagged.iter().all(|&i| i < s.len()));
            // Fewer than half the values can be outliers: at least half lie
            // within one MAD of the median.
            prop_assert!(flagged.len() * 2 <= s.len());
        }
    }
}
