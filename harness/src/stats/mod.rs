//! Statistics of measured repetitions: medians with bootstrap confidence
//! intervals, outliers, speedups, the verdict on a comparison, and the knee of
//! a worker-count curve.
//!
//! Owns: the numbers computed from samples of measurements. Does not own: how
//! measurements are taken (`measure`), stored (`results`) or shown (`report`);
//! tuning sweeps (`tune`) use [`knee`] but run elsewhere.
//!
//! Methods and sources, one submodule each:
//!
//! | item | method | source |
//! | --- | --- | --- |
//! | [`Sample`] | invariant-checked sample; type-7 percentiles; `n - 1` standard deviation | criterion.rs `stats/univariate/sample.rs`; Hyndman & Fan 1996 |
//! | [`Bootstrap`], [`Interval`] | percentile bootstrap, seeded `ChaCha8Rng`; independent two-sample resampling for ratios | Efron & Tibshirani 1993, ch. 8 and 13 |
//! | [`outliers()`] | modified z-score with MAD, `\|M\| > 3.5` | Iglewicz & Hoaglin 1993; hyperfine `outlier_detection.rs` |
//! | [`speedup`], [`classify_ratio`] | ratio of medians; change only when the interval clears a noise band | criterion.rs `report.rs` |
//! | [`knee::choose_knee`] | smallest worker count within noise of the best | Jain 1991 ("knee capacity") |
//! | [`stopping::decide`] | repeat until the median's interval spans at most a target share of the median, with a minimum, a maximum and a budget | Chow & Robbins 1965 (fixed-width sequential intervals) |
//! | [`modes::two_modes`] | two clusters split at the widest gap between sorted neighbours (ratio > 2, ≥ 2 each) | a gap rule in the manner of Jenks natural breaks for k = 2 on log times |
//!
//! Determinism: every interval is a pure function of the data and
//! [`Bootstrap::seed`]; nothing reads the clock.

pub mod bootstrap;
pub mod compare;
pub mod knee;
pub mod modes;
pub mod outliers;
pub mod sample;
pub mod stopping;
pub mod summary;

pub use bootstrap::{Bootstrap, Estimate, Interval};
pub use compare::{classify_ratio, classify_speedup, speedup, Change};
pub use outliers::outliers;
pub use sample::Sample;
pub use summary::{summarize, Summary};

/// What can go wrong when building samples or asking for statistics; each
/// message names the offending value and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A sample needs at least one measurement.
    #[error("empty sample: at least one measurement is needed")]
    EmptySample,
    /// A measurement is `NaN` or infinite.
    #[error("measurement {index} is {value}: measurements must be finite numbers")]
    NonFinite {
        /// Position of the value in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A percentile outside `0..=100` was requested.
    #[error("percentile {p} is out of range: allowed is 0 to 100")]
    PercentileOutOfRange {
        /// The requested percentile.
        p: f64,
    },
    /// A bootstrap with zero resamples was requested.
    #[error("bootstrap resamples is 0: at least 1 is needed (10000 is the default)")]
    InvalidResamples,
    /// A confidence level outside `(0, 1]`.
    #[error("confidence level {level} is out of range: allowed is above 0 up to 1 (e.g. 0.95)")]
    InvalidLevel {
        /// The requested level.
        level: f64,
    },
    /// A ratio of times needs strictly positive times.
    #[error("{role} measurement {index} is {value}: a ratio of times needs times above 0")]
    NotPositive {
        /// Which side of the ratio: `"numerator"` or `"denominator"`.
        role: &'static str,
        /// Position of the value in its sample.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A resampled ratio was not a finite number.
    #[error("a ratio of medians is not finite: the measurements differ by more than f64 can hold")]
    RatioOverflow,
    /// A throughput curve with no points.
    #[error("empty throughput curve: at least one worker count must be measured")]
    EmptyCurve,
    /// Worker counts of a curve are not strictly increasing.
    #[error(
        "throughput curve point {index} has {workers} workers after {previous}: \
         worker counts must be strictly increasing"
    )]
    UnsortedCurve {
        /// Position of the offending point.
        index: usize,
        /// Its worker count.
        workers: u32,
        /// The worker count of the point before it.
        previous: u32,
    },
    /// A knee tolerance outside `[0, 1)`.
    #[error("knee tolerance {tolerance} is out of range: allowed is 0 up to (not including) 1, e.g. 0.05")]
    InvalidTolerance {
        /// The requested tolerance.
        tolerance: f64,
    },
}
