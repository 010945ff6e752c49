//! The time budget of a sweep and what its points cost: pure bookkeeping,
//! tested on constructed costs.
//!
//! Owns: the budget ([`Budget`], charged with each round's measured time),
//! the cost model learned from the rows of finished rounds ([`CostModel`]),
//! which strategies a workload's share of the budget can hold ([`admit`]),
//! and which proposed points fit the next round ([`fit`]). Does not own:
//! which points are proposed (`super::planner`) or running them
//! (`super::sweep`).
//!
//! Cost model: a repetition costs its wall time plus an overhead (scratch
//! reset, quiet-storage wait, cache preparation, verification), learned as
//! the mean gap between consecutive repetitions' start times minus the
//! earlier one's wall time; a round adds a fixed cost (corpus check, run
//! folder), learned as its elapsed time minus its repetitions. Every
//! estimate is multiplied by [`SAFETY`] before it is held against the time
//! left, and [`RESERVE_S`] seconds are kept for writing the profile.

use std::time::Duration;

use crate::results::Row;

/// Estimates are multiplied by this before they are compared with the time left.
pub const SAFETY: f64 = 1.2;

/// Seconds kept back for writing the sweep's files and the profile.
pub const RESERVE_S: f64 = 2.0;

/// A bound on the whole sweep, charged with the time each step took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    total: Duration,
    spent: Duration,
}

impl Budget {
    /// A budget of `total` with nothing spent.
    pub fn new(total: Duration) -> Budget {
        Budget {
            total,
            spent: Duration::ZERO,
        }
    }

    /// Record time spent.
    pub fn charge(&mut self, d: Duration) {
        self.spent += d;
    }

    /// The whole budget.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// Time charged so far.
    pub fn spent(&self) -> Duration {
        self.spent
    }

    /// Seconds left for measuring: the total minus what was spent and the
    /// [`RESERVE_S`] kept for writing files (never negative).
    pub fn available_s(&self) -> f64 {
        (self.total.as_secs_f64() - self.spent.as_secs_f64() - RESERVE_S).max(0.0)
    }
}

/// What repetitions and rounds of one workload cost on this machine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CostModel {
    overheads: Vec<f64>,
    fixed: Vec<f64>,
}

impl CostModel {
    /// Learn from the rows of a finished round that took `elapsed_s`.
    /// Rows without a parsable start time are ignored.
    pub fn learn(&mut self, rows: &[Row], elapsed_s: f64) {
        let mut timed: Vec<(u32, f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((r.order, start_seconds(&r.started_at)?, r.wall_s)))
            .collect();
        timed.sort_by_key(|t| t.0);
        for pair in timed.windows(2) {
            let gap = pair[1].1 - pair[0].1;
            self.overheads.push((gap - pair[0].2).max(0.0));
        }
        if timed.is_empty() {
            return;
        }
        let overhead = self.overhead_s();
        let reps: f64 = timed.iter().map(|t| t.2 + overhead).sum();
        self.fixed.push((elapsed_s - reps).max(0.0));
    }

    /// Whether any round was learned from.
    pub fn is_known(&self) -> bool {
        !self.fixed.is_empty()
    }

    /// Overhead of one repetition beyond its wall time: the mean seen (0
    /// before any). The mean, not the median: waits for quiet storage are
    /// heavy-tailed, and a total of n repetitions is n times the mean.
    pub fn overhead_s(&self) -> f64 {
        if self.overheads.is_empty() {
            return 0.0;
        }
        self.overheads.iter().sum::<f64>() / self.overheads.len() as f64
    }

    /// Fixed cost of a round: the mean seen (0 before any).
    pub fn fixed_s(&self) -> f64 {
        if self.fixed.is_empty() {
            0.0
        } else {
            self.fixed.iter().sum::<f64>() / self.fixed.len() as f64
        }
    }

    /// Cost of one scenario of `reps` repetitions (warm-ups included) that
    /// each take about `wall_s`.
    pub fn scenario_s(&self, wall_s: f64, reps: u32) -> f64 {
        f64::from(reps) * (self.overhead_s() + wall_s.max(0.0))
    }
}

fn start_seconds(rfc3339: &str) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(t.timestamp_millis() as f64 / 1000.0)
}

/// A strategy waiting to be admitted to a workload's sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Demand {
    /// Points a whole sweep of it is expected to measure.
    pub points: u32,
    /// Points of its first round.
    pub first_points: u32,
    /// Rounds it is expected to take.
    pub rounds: u32,
}

/// Which of `pending` (in priority order) a share of `allowance_s` seconds
/// can hold, first fit: the expected rounds (each costing `round_base_s`,
/// the fixed cost plus the sequential baseline) of the longest admitted
/// sweep plus every admitted point at `scenario_s`, times [`SAFETY`]. When
/// nothing fits whole and `at_least_one` is set, the first whose first two
/// points fit one round is admitted alone (a curve needs two points; its
/// rounds are then pruned to fit). Returns the admitted indices into
/// `pending`.
pub fn admit(
    pending: &[Demand],
    scenario_s: f64,
    round_base_s: f64,
    allowance_s: f64,
    at_least_one: bool,
) -> Vec<usize> {
    let mut admitted = Vec::new();
    let (mut points, mut rounds) = (0u32, 0u32);
    for (i, d) in pending.iter().enumerate() {
        let (p, r) = (points + d.points, rounds.max(d.rounds));
        let cost = f64::from(r) * round_base_s + f64::from(p) * scenario_s;
        if SAFETY * cost <= allowance_s {
            admitted.push(i);
            (points, rounds) = (p, r);
        }
    }
    if admitted.is_empty() && at_least_one {
        let first = pending.iter().position(|d| {
            let points = d.first_points.min(2);
            SAFETY * (round_base_s + f64::from(points) * scenario_s) <= allowance_s
        });
        admitted.extend(first);
    }
    admitted
}

/// The outcome of fitting a round into the time left.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fit {
    /// Indices of the candidates kept, in order.
    pub kept: Vec<usize>,
    /// Indices of the candidates dropped, in order.
    pub dropped: Vec<usize>,
    /// Estimated seconds of the round as kept (with [`SAFETY`]); 0 when
    /// nothing was kept.
    pub estimate_s: f64,
}

/// Fit the next round into `allowance_s` seconds: `base_s` (fixed cost and
/// sequential baseline) plus candidates `(owner, cost)` in priority order,
/// kept while the total times [`SAFETY`] fits. Once one of an owner's
/// candidates is dropped, its later ones are dropped too (a sweep does not
/// skip a count and measure a larger one).
pub fn fit(base_s: f64, candidates: &[(usize, f64)], allowance_s: f64) -> Fit {
    let mut out = Fit::default();
    let mut total = base_s;
    let mut blocked: Vec<usize> = Vec::new();
    for (i, &(owner, cost)) in candidates.iter().enumerate() {
        if !blocked.contains(&owner) && SAFETY * (total + cost) <= allowance_s {
            total += cost;
            out.kept.push(i);
        } else {
            blocked.push(owner);
            out.dropped.push(i);
        }
    }
    if !out.kept.is_empty() {
        out.estimate_s = SAFETY * total;
    }
    out
}

/// Seconds in a short human form: `42 s`, `3 m 05 s`.
pub fn human_s(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} m {:02} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(order: u32, start_ms: u64, wall_s: f64) -> Row {
        let t = chrono::DateTime::from_timestamp_millis(1_800_000_000_000 + start_ms as i64)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Row {
            order,
            started_at: t,
            wall_s,
            ..Row::default()
        }
    }

    #[test]
    fn the_cost_model_learns_overhead_and_fixed_cost() {
        let mut m = CostModel::default();
        assert!(!m.is_known());
        // Starts 3 s apart, each 1 s of wall: 2 s overhead per repetition.
        let rows = vec![row(2, 6000, 1.0), row(0, 0, 1.0), row(1, 3000, 1.0)];
        m.learn(&rows, 10.0);
        assert!(m.is_known());
        assert!((m.overhead_s() - 2.0).abs() < 1e-9);
        // 10 s elapsed, 3 × (1 + 2) s of repetitions: 1 s fixed.
        assert!((m.fixed_s() - 1.0).abs() < 1e-9);
        assert!((m.scenario_s(0.5, 4) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn the_budget_keeps_a_reserve() {
        let mut b = Budget::new(Duration::from_secs(60));
        assert!((b.available_s() - (60.0 - RESERVE_S)).abs() < 1e-9);
        b.charge(Duration::from_secs(59));
        assert_eq!(b.available_s(), 0.0);
        assert_eq!(b.spent(), Duration::from_secs(59));
    }

    #[test]
    fn admission_is_first_fit_in_priority_order() {
        let line = Demand {
            points: 4,
            first_points: 3,
            rounds: 2,
        };
        let grid = Demand {
            points: 6,
            first_points: 4,
            rounds: 2,
        };
        // Round base 10 s, 10 s per point, 150 s: line 2×10 + 40 = 60 (72
        // with safety); line + grid = 20 + 100 = 120 (144); a third line
        // would be 160 (192).
        let pending = [line, grid, line];
        assert_eq!(admit(&pending, 10.0, 10.0, 150.0, false), vec![0, 1]);
        // A small grid does not fit but the later line does.
        assert_eq!(admit(&pending, 10.0, 10.0, 90.0, false), vec![0]);
        assert_eq!(admit(&[grid, line], 10.0, 10.0, 90.0, false), vec![1]);
        // Nothing fits whole: the first whose first two points fit one round,
        // if asked (10 + 2 × 10 = 30 s, 36 s with safety).
        assert_eq!(
            admit(&pending, 10.0, 10.0, 50.0, false),
            Vec::<usize>::new()
        );
        assert_eq!(admit(&pending, 10.0, 10.0, 50.0, true), vec![0]);
        assert_eq!(admit(&pending, 10.0, 10.0, 36.5, true), vec![0]);
        assert_eq!(admit(&pending, 10.0, 10.0, 35.0, true), Vec::<usize>::new());
    }

    #[test]
    fn fitting_drops_the_rest_of_a_strategy_once_one_point_misses() {
        // Base 10; owner 0: 10, 30; owner 1: 5, 5. Allowance 40 (33.3 before safety).
        let c = [(0, 10.0), (0, 30.0), (1, 5.0), (1, 5.0)];
        let f = fit(10.0, &c, 40.0);
        assert_eq!(f.kept, vec![0, 2, 3]);
        assert_eq!(f.dropped, vec![1]);
        assert!((f.estimate_s - 36.0).abs() < 1e-9);
        // A cheap later point of a blocked owner is not measured either.
        let c = [(0, 30.0), (0, 1.0), (1, 5.0)];
        let f = fit(10.0, &c, 30.0);
        assert_eq!(f.kept, vec![2]);
        assert_eq!(f.dropped, vec![0, 1]);
        // Not even the base fits: nothing is kept.
        let f = fit(50.0, &c, 30.0);
        assert!(f.kept.is_empty());
        assert_eq!(f.estimate_s, 0.0);
    }

    #[test]
    fn seconds_read_well() {
        assert_eq!(human_s(42.4), "42 s");
        assert_eq!(human_s(185.0), "3 m 05 s");
        assert_eq!(human_s(-1.0), "0 s");
    }
}
