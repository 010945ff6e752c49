//! Two modes in one sample: repetitions that fall into a fast and a slow
//! cluster (writes that take 0.5–1.5 s or 6–9 s) are better described by
//! both clusters than by one median with an interval spanning both.
//!
//! Rule (documented in `docs/results.md`, `summary.csv` columns): sort the times; take the largest ratio
//! between neighbours; when it exceeds [`GAP_RATIO`] and each side holds at
//! least [`MIN_PER_MODE`] repetitions, the sample has two modes, split at
//! that gap. A gap of 2× between neighbours is far wider than the spread of
//! one mode in any run seen here (coefficients of variation under 30 %), so
//! it does not split a single noisy mode of a handful of repetitions.
//!
//! Owns: the rule. Does not own: where the modes are shown (`results`,
//! `report`).

use serde::{Deserialize, Serialize};

/// Neighbouring sorted times further apart than this ratio separate modes.
pub const GAP_RATIO: f64 = 2.0;
/// Each mode needs at least this many repetitions.
pub const MIN_PER_MODE: usize = 2;

/// One cluster of repetitions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mode {
    /// Repetitions in it.
    pub n: usize,
    /// Their median.
    pub median: f64,
}

/// A sample split into its fast and slow modes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Modes {
    /// The faster cluster.
    pub fast: Mode,
    /// The slower cluster.
    pub slow: Mode,
    /// The ratio across the gap between them (slowest fast to fastest slow).
    pub gap_ratio: f64,
}

/// The two modes of `times`, if the rule finds two (non-positive or
/// non-finite times are ignored).
pub fn two_modes(times: &[f64]) -> Option<Modes> {
    let mut t: Vec<f64> = times
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if t.len() < 2 * MIN_PER_MODE {
        return None;
    }
    t.sort_by(f64::total_cmp);
    let (split, gap_ratio) = (MIN_PER_MODE..=t.len() - MIN_PER_MODE)
        .map(|i| (i, t[i] / t[i - 1]))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (gap_ratio > GAP_RATIO).then(|| Modes {
        fast: mode(&t[..split]),
        slow: mode(&t[split..]),
        gap_ratio,
    })
}

fn mode(sorted: &[f64]) -> Mode {
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Mode { n, median }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_slow_saves_are_two_modes() {
        let m = two_modes(&[6.2, 0.7, 8.9, 1.4, 0.5, 7.1]).unwrap();
        assert_eq!(m.fast, Mode { n: 3, median: 0.7 });
        assert_eq!(m.slow, Mode { n: 3, median: 7.1 });
        assert!((m.gap_ratio - 6.2 / 1.4).abs() < 1e-9);
    }

    #[test]
    fn one_noisy_mode_is_not_split() {
        assert_eq!(two_modes(&[1.0, 1.3, 1.9, 1.5, 1.1]), None);
    }

    #[test]
    fn a_lone_outlier_is_not_a_mode() {
        // The 9 s repetition is one: each mode needs two.
        assert_eq!(two_modes(&[1.0, 1.1, 0.9, 9.0]), None);
        assert_eq!(two_modes(&[1.0, 9.0, 1.1]), None, "too few repetitions");
    }

    #[test]
    fn the_widest_gap_decides_where_to_split() {
        let m = two_modes(&[1.0, 1.1, 2.5, 2.6, 30.0, 31.0]).unwrap();
        assert_eq!((m.fast.n, m.slow.n), (4, 2));
        assert_eq!(m.slow.median, 30.5);
    }
}
