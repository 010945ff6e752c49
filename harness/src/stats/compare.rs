//! Comparing two samples of times: [`speedup`] with its interval, and the
//! verdict [`Change`] that calls a difference real only when the interval says
//! so.
//!
//! Method: the decision rule of criterion.rs (`src/report.rs`, `compare`): a
//! change is reported only when the whole confidence interval of the relative
//! change lies beyond a noise threshold, so a difference smaller than the
//! noise floor of the machine is never called faster or slower, however
//! narrow its interval. The interval itself is the percentile bootstrap of the
//! ratio of medians (Efron & Tibshirani 1993, see [`super::bootstrap`]).
//!
//! Two ratio conventions appear, named so they cannot be mixed up:
//! - a **time ratio** is `new time / old time`: below 1 is faster
//!   ([`classify_ratio`]);
//! - a **speedup** is `old time / new time`: above 1 is faster
//!   ([`speedup`], [`classify_speedup`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Bootstrap, Estimate, Interval, Sample, StatsError};

/// Default noise threshold: relative differences within ±1 % are never
/// called a change (criterion.rs's default `noise_threshold`).
pub const DEFAULT_NOISE: f64 = 0.01;

/// Verdict of comparing a new sample of times against an old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The new times are lower: the whole interval is beyond the noise.
    Faster,
    /// The new times are higher: the whole interval is beyond the noise.
    Slower,
    /// The interval reaches into the noise band: no difference can be
    /// claimed (which is not the same as "proven equal").
    NoChange,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Faster => "faster",
            Change::Slower => "slower",
            Change::NoChange => "no change",
        })
    }
}

/// Speedup of `candidate` over `baseline`, both times (lower is better):
/// `median(baseline) / median(candidate)`, with the percentile-bootstrap
/// interval of that ratio (the two samples resampled independently). Above 1
/// means the candidate is faster.
///
/// # Errors
///
/// As [`Bootstrap::ratio_of_medians_ci`]: [`StatsError::NotPositive`] when a
/// time is not strictly positive, [`StatsError::RatioOverflow`] when a ratio
/// exceeds `f64`.
pub fn speedup(
    baseline: &Sample,
    candidate: &Sample,
    b: &Bootstrap,
) -> Result<Estimate, StatsError> {
    let ci = b.ratio_of_medians_ci(baseline, candidate)?;
    Ok(Estimate {
        point: baseline.median() / candidate.median(),
        ci,
    })
}

/// Verdict for the interval of a **time ratio** `new / old`: [`Change::Faster`]
/// when `ci.high < 1 - noise`, [`Change::Slower`] when `ci.low > 1 + noise`,
/// otherwise [`Change::NoChange`] (the interval touches `[1 - noise, 1 +
/// noise]`).
///
/// `noise` is a fraction (0.01 = 1 %, see [`DEFAULT_NOISE`]); a negative
/// value counts as 0, and `NaN` or an interval with `NaN` bounds gives
/// [`Change::NoChange`], since nothing can be claimed from them.
pub fn classify_ratio(ci: &Interval, noise: f64) -> Change {
    let Some(noise) = usable_noise(noise) else {
        return Change::NoChange;
    };
    if ci.high < 1.0 - noise {
        Change::Faster
    } else if ci.low > 1.0 + noise {
        Change::Slower
    } else {
        Change::NoChange
    }
}

/// Verdict for the interval of a **speedup** `old / new` (as returned by
/// [`speedup`]): [`Change::Faster`] when the whole interval is above `1 +
/// noise`, [`Change::Slower`] when it is below `1 - noise`, otherwise
/// [`Change::NoChange`]. Same `noise` rules as [`classify_ratio`].
pub fn classify_speedup(ci: &Interval, noise: f64) -> Change {
    let Some(noise) = usable_noise(noise) else {
        return Change::NoChange;
    };
    if ci.low > 1.0 + noise {
        Change::Faster
    } else if ci.high < 1.0 - noise {
        Change::Slower
    } else {
        Change::NoChange
    }
}

/// Negative noise counts as 0; `NaN` is unusable (`f64::max` would hide it).
fn usable_noise(noise: f64) -> Option<f64> {
    if noise.is_nan() {
        None
    } else {
        Some(noise.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ci(low: f64, high: f64) -> Interval {
        Interval {
            low,
            high,
            level: 0.95,
        }
    }

    fn sample(values: &[f64]) -> Sample {
        Sample::new(values.to_vec()).unwrap()
    }

    #[test]
    fn classify_ratio_cases() {
        assert_eq!(classify_ratio(&ci(0.80, 0.90), 0.05), Change::Faster);
        assert_eq!(classify_ratio(&ci(1.10, 1.30), 0.05), Change::Slower);
        // Straddles 1.
        assert_eq!(classify_ratio(&ci(0.90, 1.10), 0.05), Change::NoChange);
        // Clearly below 1 but inside the noise band: not a change.
        assert_eq!(classify_ratio(&ci(0.96, 0.98), 0.05), Change::NoChange);
        assert_eq!(classify_ratio(&ci(0.96, 0.98), 0.01), Change::Faster);
        // Touching the band edge is not outside it.
        assert_eq!(classify_ratio(&ci(0.90, 0.95), 0.05), Change::NoChange);
        assert_eq!(classify_ratio(&ci(1.05, 1.20), 0.05), Change::NoChange);
        // Negative noise counts as 0; NaN decides nothing.
        assert_eq!(classify_ratio(&ci(0.98, 0.99), -1.0), Change::Faster);
        assert_eq!(classify_ratio(&ci(0.5, 0.6), f64::NAN), Change::NoChange);
        assert_eq!(
            classify_ratio(&ci(f64::NAN, f64::NAN), 0.01),
            Change::NoChange
        );
    }

    #[test]
    fn classify_speedup_is_the_mirror() {
        assert_eq!(classify_speedup(&ci(1.5, 2.0), 0.05), Change::Faster);
        assert_eq!(classify_speedup(&ci(0.5, 0.8), 0.05), Change::Slower);
        assert_eq!(classify_speedup(&ci(0.9, 1.2), 0.05), Change::NoChange);
        assert_eq!(classify_speedup(&ci(1.02, 1.04), 0.05), Change::NoChange);
        assert_eq!(classify_speedup(&ci(1.5, 2.0), f64::NAN), Change::NoChange);
    }

    #[test]
    fn speedup_of_a_twice_as_fast_candidate() {
        let baseline = sample(&[2.0, 2.1, 1.9, 2.05, 1.95, 2.02, 1.98, 2.0]);
        let candidate = sample(&[1.0, 1.05, 0.95, 1.02, 0.98, 1.01, 0.99, 1.0]);
        let b = Bootstrap {
            resamples: 2_000,
            ..Bootstrap::default()
        };
        let s = speedup(&baseline, &candidate, &b).unwrap();
        assert_eq!(s.point, 2.0);
        assert!(s.ci.contains(2.0), "{s}");
        assert_eq!(classify_speedup(&s.ci, DEFAULT_NOISE), Change::Faster);
        // The reverse comparison, read as a time ratio, agrees.
        let ratio = b.ratio_of_medians_ci(&candidate, &baseline).unwrap();
        assert_eq!(classify_ratio(&ratio, DEFAULT_NOISE), Change::Faster);
        let back = speedup(&candidate, &baseline, &b).unwrap();
        assert_eq!(classify_speedup(&back.ci, DEFAULT_NOISE), Change::Slower);
    }

    #[test]
    fn speedup_errors_name_the_bad_time() {
        let ok = sample(&[1.0]);
        assert!(matches!(
            speedup(&ok, &sample(&[0.0]), &Bootstrap::default()),
            Err(StatsError::NotPositive {
                role: "denominator",
                index: 0,
                ..
            })
        ));
    }

    #[test]
    fn change_display_and_serde() {
        assert_eq!(Change::NoChange.to_string(), "no change");
        assert_eq!(
            serde_json::to_string(&Change::NoChange).unwrap(),
            "\"no_change\""
        );
    }

    proptest! {
        #[test]
        fn verdicts_agree_with_reciprocal(low in 0.1f64..10.0, width in 0.0f64..5.0, noise in 0.0f64..0.2) {
            let r = ci(low, low + width);
            let by_ratio = classify_ratio(&r, noise);
            let by_speedup = classify_speedup(&r.reciprocal(), noise);
            // 1 / (1 - noise) >= 1 + noise but 1 / (1 + noise) <= 1 - noise,
            // so only these two implications are exact.
            if by_ratio == Change::Faster {
                prop_assert_eq!(by_speedup, Change::Faster);
            }
            if by_speedup == Change::Slower {
                prop_assert_eq!(by_ratio, Change::Slower);
            }
        }

        #[test]
        fn identical_samples_are_no_change(values in prop::collection::vec(0.5f64..2.0, 2..30)) {
            let s = Sample::new(values).unwrap();
            let b = Bootstrap { resamples: 500, ..Bootstrap::default() };
            let e = speedup(&s, &s.clone(), &b).unwrap();
            prop_assert_eq!(e.point, 1.0);
            prop_assert_eq!(classify_speedup(&e.ci, 0.0), Change::NoChange);
        }
    }
}
