//! Choosing a worker count from a throughput curve: the knee, not the noisy
//! maximum.
//!
//! Input: points `(workers, throughput estimate)` sorted by worker count, with
//! higher throughput better. Two points are **indistinguishable** when their
//! confidence intervals overlap or their medians differ by at most `tolerance`
//! of the larger one; otherwise one is **clearly** above the other. The
//! recommendation is the smallest worker count indistinguishable from the best
//! point: more workers cost memory, file descriptors and contention for no
//! throughput that the measurements can show.
//!
//! Method: the interval-overlap reading of "no measurable difference" follows
//! the criterion.rs comparison rule (see [`super::compare`]); the choice of
//! the smallest configuration within the noise of the optimum is the knee
//! heuristic of Jain (1991), *The Art of Computer Systems Performance
//! Analysis*, §3.3 ("knee capacity": the load beyond which throughput gains
//! are small). The adaptive sweep ([`should_continue`]) stops once the curve
//! has clearly fallen from its best, a one-sided version of the same test.
//!
//! Tuning sweeps (`crate::tune`) call this module; it knows nothing about how
//! the points were measured.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Estimate, StatsError};

/// Default relative tolerance: medians within 5 % of each other are treated as
/// the same throughput.
pub const DEFAULT_TOLERANCE: f64 = 0.05;

/// One point of a throughput curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Number of workers the point was measured with.
    pub workers: u32,
    /// Throughput (higher is better, e.g. files/s) with its interval.
    pub throughput: Estimate,
}

/// How throughput responds to more workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveShape {
    /// Every point is indistinguishable from the first: concurrency does not
    /// help here (the device or a lock is the bottleneck).
    Flat,
    /// The best point is the last one and clearly above its predecessor: the
    /// sweep stopped before the curve levelled off; larger counts may help.
    RisingAtCap,
    /// Rises to the best point, then clearly falls: past the peak, workers
    /// contend and cost throughput.
    Peaked,
    /// Rises, then stays within the noise of the best: extra workers neither
    /// help nor hurt.
    Plateau,
    /// The first point is (within noise) the best and later points fall
    /// clearly below it: concurrency hurts.
    Falling,
}

impl fmt::Display for CurveShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CurveShape::Flat => "flat: more workers do not help",
            CurveShape::RisingAtCap => "still rising at the largest worker count tried",
            CurveShape::Peaked => "peaked: throughput falls past the best worker count",
            CurveShape::Plateau => "plateau: more workers past the knee change nothing",
            CurveShape::Falling => "falling: concurrency hurts",
        })
    }
}

/// The recommended worker count and what the curve looked like.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    /// Recommended number of workers.
    pub workers: u32,
    /// Throughput measured at that count.
    pub throughput: Estimate,
    /// Shape of the whole curve.
    pub shape: CurveShape,
}

/// Chooses the recommended worker count: the smallest one whose throughput is
/// indistinguishable from the best point's (intervals overlap, or medians
/// within `tolerance`, a fraction such as [`DEFAULT_TOLERANCE`]).
///
/// # Errors
///
/// [`StatsError::EmptyCurve`] when `curve` is empty,
/// [`StatsError::UnsortedCurve`] when worker counts are not strictly
/// increasing, and [`StatsError::InvalidTolerance`] when `tolerance` is not in
/// `[0, 1)`.
pub fn choose_knee(curve: &[CurvePoint], tolerance: f64) -> Result<Knee, StatsError> {
    check_curve(curve)?;
    if !(0.0..1.0).contains(&tolerance) {
        return Err(StatsError::InvalidTolerance { tolerance });
    }
    let best = best_index(curve).ok_or(StatsError::EmptyCurve)?;
    let knee = curve
        .iter()
        .position(|p| same(p, &curve[best], tolerance))
        .unwrap_or(best);
    Ok(Knee {
        workers: curve[knee].workers,
        throughput: curve[knee].throughput,
        shape: shape(curve, best, tolerance),
    })
}

/// Whether an adaptive sweep (doubling the worker count) should measure the
/// next count: `true` until the last point has clearly fallen below the best,
/// i.e. its interval lies wholly under the best's (`last.high < best.low`).
/// `true` for an empty curve. The caller enforces its own maximum count.
pub fn should_continue(curve: &[CurvePoint]) -> bool {
    let (Some(best), Some(last)) = (best_index(curve), curve.last()) else {
        return true;
    };
    last.throughput.ci.high >= curve[best].throughput.ci.low
}

fn check_curve(curve: &[CurvePoint]) -> Result<(), StatsError> {
    if curve.is_empty() {
        return Err(StatsError::EmptyCurve);
    }
    match curve.windows(2).position(|w| w[1].workers <= w[0].workers) {
        Some(i) => Err(StatsError::UnsortedCurve {
            index: i + 1,
            workers: curve[i + 1].workers,
            previous: curve[i].workers,
        }),
        None => Ok(()),
    }
}

/// Index of the highest median; the first (fewest workers) on ties.
fn best_index(curve: &[CurvePoint]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in curve.iter().enumerate() {
        match best {
            Some(b)
                if p.throughput
                    .point
                    .total_cmp(&curve[b].throughput.point)
                    .is_le() => {}
            _ => best = Some(i),
        }
    }
    best
}

/// Indistinguishable: intervals overlap or medians within `tolerance`.
fn same(a: &CurvePoint, b: &CurvePoint, tolerance: f64) -> bool {
    let (x, y) = (a.throughput.point, b.throughput.point);
    a.throughput.ci.overlaps(&b.throughput.ci) || (x - y).abs() <= tolerance * x.abs().max(y.abs())
}

fn shape(curve: &[CurvePoint], best: usize, tolerance: f64) -> CurveShape {
    let first = &curve[0];
    if curve.iter().all(|p| same(p, first, tolerance)) {
        return CurveShape::Flat;
    }
    let top = &curve[best];
    let rises = !same(top, first, tolerance);
    let falls = curve[best + 1..].iter().any(|p| !same(p, top, tolerance));
    let last = curve.len() - 1;
    match (rises, falls) {
        (true, true) => CurveShape::Peaked,
        (false, true) => CurveShape::Falling,
        _ if best == last && last > 0 && !same(top, &curve[last - 1], tolerance) => {
            CurveShape::RisingAtCap
        }
        _ => CurveShape::Plateau,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    /// A curve from `(workers, median, half-width of the interval)`.
    fn curve(points: &[(u32, f64, f64)]) -> Vec<CurvePoint> {
        points
            .iter()
            .map(|&(workers, point, half)| CurvePoint {
                workers,
                throughput: Estimate {
                    point,
                    ci: Interval {
                        low: point - half,
                        high: point + half,
                        level: 0.95,
                    },
                },
            })
            .collect()
    }

    fn knee(points: &[(u32, f64, f64)]) -> Knee {
        choose_knee(&curve(points), DEFAULT_TOLERANCE).unwrap()
    }

    #[test]
    fn flat_curve_recommends_one_worker() {
        let k = knee(&[
            (1, 100.0, 3.0),
            (2, 101.0, 3.0),
            (4, 99.0, 3.0),
            (8, 100.5, 3.0),
        ]);
        assert_eq!((k.workers, k.shape), (1, CurveShape::Flat));
        assert_eq!(k.throughput.point, 100.0);
    }

    #[test]
    fn rising_curve_recommends_the_cap() {
        let k = knee(&[(1, 100.0, 3.0), (2, 190.0, 5.0), (4, 350.0, 8.0)]);
        assert_eq!((k.workers, k.shape), (4, CurveShape::RisingAtCap));
    }

    #[test]
    fn peaked_curve_recommends_the_peak() {
        let k = knee(&[
            (1, 100.0, 3.0),
            (2, 190.0, 5.0),
            (4, 300.0, 6.0),
            (8, 200.0, 6.0),
        ]);
        assert_eq!((k.workers, k.shape), (4, CurveShape::Peaked));
    }

    #[test]
    fn plateau_recommends_its_start() {
        let k = knee(&[
            (1, 100.0, 3.0),
            (2, 190.0, 5.0),
            (4, 300.0, 5.0),
            (8, 305.0, 5.0),
            (16, 302.0, 5.0),
        ]);
        assert_eq!((k.workers, k.shape), (4, CurveShape::Plateau));
        // Best at the cap but indistinguishable from its predecessor is a
        // plateau too, not "rising".
        let k = knee(&[(1, 100.0, 3.0), (2, 300.0, 5.0), (4, 302.0, 5.0)]);
        assert_eq!((k.workers, k.shape), (2, CurveShape::Plateau));
    }

    #[test]
    fn noisy_maximum_yields_to_an_earlier_point() {
        // 8 workers has the highest median but a wide interval reaching 4's.
        let k = knee(&[
            (1, 100.0, 3.0),
            (2, 180.0, 5.0),
            (4, 260.0, 10.0),
            (8, 330.0, 60.0),
        ]);
        assert_eq!(k.workers, 4);
        assert_eq!(k.throughput.point, 260.0);
        // Tight intervals but medians within 5 %: the earlier point still wins.
        let k = knee(&[(1, 100.0, 1.0), (2, 290.0, 1.0), (4, 300.0, 1.0)]);
        assert_eq!(k.workers, 2);
        // With zero tolerance and tight intervals the maximum is chosen.
        let k = choose_knee(
            &curve(&[(1, 100.0, 1.0), (2, 290.0, 1.0), (4, 300.0, 1.0)]),
            0.0,
        )
        .unwrap();
        assert_eq!((k.workers, k.shape), (4, CurveShape::RisingAtCap));
    }

    #[test]
    fn falling_curve_recommends_one_worker() {
        let k = knee(&[(1, 300.0, 5.0), (2, 200.0, 5.0), (4, 120.0, 5.0)]);
        assert_eq!((k.workers, k.shape), (1, CurveShape::Falling));
    }

    #[test]
    fn single_point_is_flat() {
        let k = knee(&[(1, 50.0, 1.0)]);
        assert_eq!((k.workers, k.shape), (1, CurveShape::Flat));
    }

    #[test]
    fn invalid_curves_are_errors() {
        assert_eq!(choose_knee(&[], 0.05), Err(StatsError::EmptyCurve));
        assert_eq!(
            choose_knee(&curve(&[(1, 1.0, 0.1), (4, 2.0, 0.1), (4, 3.0, 0.1)]), 0.05),
            Err(StatsError::UnsortedCurve {
                index: 2,
                workers: 4,
                previous: 4
            })
        );
        assert_eq!(
            choose_knee(&curve(&[(1, 1.0, 0.1)]), 1.0),
            Err(StatsError::InvalidTolerance { tolerance: 1.0 })
        );
        assert!(choose_knee(&curve(&[(1, 1.0, 0.1)]), f64::NAN).is_err());
    }

    #[test]
    fn sweep_continues_until_clearly_fallen() {
        assert!(should_continue(&[]));
        assert!(should_continue(&curve(&[(1, 100.0, 3.0)])));
        assert!(should_continue(&curve(&[(1, 100.0, 3.0), (2, 190.0, 5.0)])));
        // Last point lower but its interval reaches the best's: keep going.
        assert!(should_continue(&curve(&[
            (1, 100.0, 3.0),
            (2, 200.0, 5.0),
            (4, 185.0, 11.0)
        ])));
        // Last interval wholly below the best's: stop.
        assert!(!should_continue(&curve(&[
            (1, 100.0, 3.0),
            (2, 200.0, 5.0),
            (4, 185.0, 9.0)
        ])));
    }

    #[test]
    fn shape_display_is_prose() {
        assert_eq!(
            CurveShape::Flat.to_string(),
            "flat: more workers do not help"
        );
        assert_eq!(
            serde_json::to_string(&CurveShape::RisingAtCap).unwrap(),
            "\"rising_at_cap\""
        );
    }
}
