//! [`Summary`]: everything a summary row or a report prints about one sample,
//! computed in one call.
//!
//! Centre: the median with its percentile-bootstrap interval (Efron &
//! Tibshirani 1993), because timing distributions are skewed by background
//! interference and the median is robust to it. Spread: mean, sample standard
//! deviation and coefficient of variation, kept for readers used to them.
//! Outliers: modified z-score (Iglewicz & Hoaglin 1993), flagged, never
//! dropped.

use serde::{Deserialize, Serialize};

use super::{outliers, Bootstrap, Estimate, Sample};

/// Descriptive statistics of one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of measurements.
    pub n: usize,
    /// Median with its bootstrap confidence interval.
    pub median: Estimate,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (`n - 1`; 0 when `n == 1`).
    pub std_dev: f64,
    /// Smallest measurement.
    pub min: f64,
    /// Largest measurement.
    pub max: f64,
    /// Coefficient of variation `std_dev / |mean|`; `None` when the mean is 0.
    pub cv: Option<f64>,
    /// Indices (into [`Sample::values`]) of the outliers.
    pub outliers: Vec<usize>,
    /// The bootstrap settings used, seed included, so the interval can be
    /// recomputed exactly.
    pub bootstrap: Bootstrap,
}

/// Summarises `s`, with the median's interval from `b`.
pub fn summarize(s: &Sample, b: &Bootstrap) -> Summary {
    Summary {
        n: s.len(),
        median: b.median(s),
        mean: s.mean(),
        std_dev: s.std_dev(),
        min: s.min(),
        max: s.max(),
        cv: s.coefficient_of_variation(),
        outliers: outliers(s),
        bootstrap: *b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_sample() {
        let s = Sample::new(vec![1.0, 1.2, 0.8, 1.1, 0.9, 9.0]).unwrap();
        let b = Bootstrap {
            resamples: 1_000,
            seed: 7,
            level: 0.9,
        };
        let sum = summarize(&s, &b);
        assert_eq!(sum.n, 6);
        assert_eq!(sum.median.point, 1.05);
        assert!(sum.median.ci.contains(1.05));
        assert_eq!(sum.median.ci.level, 0.9);
        assert_eq!(sum.median.ci, b.median_ci(&s));
        assert!((sum.mean - 14.0 / 6.0).abs() < 1e-12);
        assert_eq!((sum.min, sum.max), (0.8, 9.0));
        assert_eq!(sum.std_dev, s.std_dev());
        assert!(sum.cv.is_some_and(|cv| cv > 1.0));
        assert_eq!(sum.outliers, vec![5]);
        assert_eq!(sum.bootstrap.seed, 7);
    }

    #[test]
    fn summary_serializes_the_seed() {
        let s = Sample::new(vec![2.0, 2.0]).unwrap();
        let b = Bootstrap {
            resamples: 10,
            ..Bootstrap::default()
        };
        let json = serde_json::to_value(summarize(&s, &b)).unwrap();
        assert_eq!(json["bootstrap"]["seed"], serde_json::json!(b.seed));
        assert_eq!(json["median"]["ci"]["low"], serde_json::json!(2.0));
        assert_eq!(json["outliers"], serde_json::json!([]));
    }
}
