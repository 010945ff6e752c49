//! Which settings a sweep measures next: pure functions of the points
//! measured so far, with no clock and no I/O, so they are tested on
//! constructed curves.
//!
//! Owns: the adaptive search over worker counts (one dimension) and over
//! processes × threads (the nested grid), and the state machine of one
//! strategy's sweep. Does not own: running the points (`super::sweep`), what
//! they cost (`super::budget`), or the knee statistics ([`super::knee`]).
//!
//! One dimension, after the rule:
//! 1. **start** with 1, 2 and 4 workers (those under `max_workers`);
//! 2. **explore** by doubling while [`keep_exploring`] says so: up to the
//!    core count as long as the curve has not clearly fallen
//!    ([`should_continue`]), past it only while the newest point is the best
//!    so far (throughput still rising), and never past `max_workers`;
//! 3. **refine** with the integer midpoints between the knee and its
//!    measured neighbours ([`refine_counts`]), at most
//!    [`MAX_REFINE_ROUNDS`] times, so the knee can move to a count the
//!    doubling skipped.
//!
//! The nested grid is a hill climb on powers of two: start with 1×1, 1×2,
//! 2×1 and 2×2 (processes × threads), then measure the unmeasured neighbours
//! (2P, T) and (P, 2T) of the best cell until the best cell's neighbours are
//! all measured or outside the caps ([`GridCaps`]: by default P up to
//! max(4, cores) and T up to max(8, cores) — the small grid P ∈ {1, 2, 4} ×
//! T ∈ {1, 2, 4, 8} on a 2-core machine — and P × T up to `max_workers`).
//! Its curve for the knee is the best cell of each total P × T.

pub mod budget;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::knee::{choose_knee, should_continue, CurvePoint, Knee};
use crate::stats::Estimate;

/// Most refinement rounds of a one-dimensional sweep.
pub const MAX_REFINE_ROUNDS: u32 = 2;

/// First worker counts of a one-dimensional sweep.
pub const FIRST_COUNTS: [u32; 3] = [1, 2, 4];

/// First cells (processes, threads) of the nested grid.
pub const FIRST_CELLS: [(u32, u32); 4] = [(1, 1), (1, 2), (2, 1), (2, 2)];

/// A setting of a strategy's concurrency knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Workers (threads, processes, tasks in flight or queue depth).
    Workers(u32),
    /// Processes × threads per process (nested).
    Grid {
        /// Worker processes.
        processes: u32,
        /// Threads in each.
        threads: u32,
    },
}

impl Setting {
    /// Total concurrency: tasks that can be in flight at once.
    pub fn total(&self) -> u32 {
        match *self {
            Setting::Workers(n) => n,
            Setting::Grid { processes, threads } => processes.saturating_mul(threads),
        }
    }
}

impl fmt::Display for Setting {
    /// `4` or `2×4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Workers(n) => write!(f, "{n}"),
            Setting::Grid { processes, threads } => write!(f, "{processes}×{threads}"),
        }
    }
}

/// Limits of the nested grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridCaps {
    /// Most processes.
    pub processes: u32,
    /// Most threads per process.
    pub threads: u32,
    /// Most processes × threads.
    pub total: u32,
}

impl GridCaps {
    /// The default caps for a machine: P ≤ max(4, cores), T ≤ max(8, cores),
    /// P × T ≤ `max_workers` (each cap at least 1 and at most `max_workers`).
    pub fn for_machine(cores: u32, max_workers: u32) -> GridCaps {
        let max = max_workers.max(1);
        GridCaps {
            processes: cores.max(4).min(max),
            threads: cores.max(8).min(max),
            total: max,
        }
    }

    fn allows(&self, processes: u32, threads: u32) -> bool {
        processes >= 1
            && threads >= 1
            && processes <= self.processes
            && threads <= self.threads
            && processes.saturating_mul(threads) <= self.total
    }
}

/// What the planner needs to know about the machine and the user's limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Logical CPUs available to iolab.
    pub cores: u32,
    /// Largest worker count (or P × T) tried.
    pub max_workers: u32,
    /// Relative tolerance of the knee (see [`super::knee::DEFAULT_TOLERANCE`]).
    pub tolerance: f64,
}

impl Limits {
    fn grid(&self) -> GridCaps {
        GridCaps::for_machine(self.cores, self.max_workers)
    }
}

/// Where one strategy's sweep stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing measured yet: propose the first settings.
    Start,
    /// Doubling (or climbing the grid).
    Explore,
    /// Midpoints around the knee; the number is the refinement rounds done.
    Refine(u32),
    /// No more settings to propose.
    Done,
}

/// One strategy's sweep: its measured points and its phase.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepState {
    /// Whether the strategy has the processes × threads grid (nested).
    pub grid: bool,
    /// Where the sweep stands.
    pub phase: Phase,
    /// Measured settings with their throughput (higher is better).
    pub measured: BTreeMap<Setting, Estimate>,
}

impl SweepState {
    /// A sweep that has measured nothing yet.
    pub fn new(grid: bool) -> SweepState {
        SweepState {
            grid,
            phase: Phase::Start,
            measured: BTreeMap::new(),
        }
    }

    /// Record a measured point.
    pub fn record(&mut self, setting: Setting, throughput: Estimate) {
        self.measured.insert(setting, throughput);
    }

    /// The settings to measure in the next round (unmeasured, ascending).
    pub fn proposals(&self, limits: &Limits) -> Vec<Setting> {
        let mut out: Vec<Setting> = match (self.phase, self.grid) {
            (Phase::Done, _) => Vec::new(),
            (Phase::Start, false) => first_counts(limits.max_workers)
                .into_iter()
                .map(Setting::Workers)
                .collect(),
            (Phase::Start, true) => first_cells(&limits.grid()),
            (Phase::Explore, false) => next_count(&self.curve(), limits.cores, limits.max_workers)
                .into_iter()
                .map(Setting::Workers)
                .collect(),
            (Phase::Explore, true) => next_cells(&self.measured, &limits.grid()),
            (Phase::Refine(_), _) => refine_counts(&self.curve(), limits.tolerance)
                .into_iter()
                .map(Setting::Workers)
                .collect(),
        };
        out.retain(|s| !self.measured.contains_key(s));
        out.sort();
        out.dedup();
        out
    }

    /// Move on after a round: the first round leads to exploring; each
    /// refinement round is counted; a phase with nothing left to propose
    /// gives way to the next (explore → refine → done).
    pub fn advance(&mut self, limits: &Limits) {
        self.phase = match self.phase {
            Phase::Start => Phase::Explore,
            Phase::Refine(n) => Phase::Refine(n + 1),
            other => other,
        };
        loop {
            let next = match self.phase {
                Phase::Refine(n) if n >= MAX_REFINE_ROUNDS => Phase::Done,
                _ if !self.proposals(limits).is_empty() => return,
                Phase::Explore if !self.grid => Phase::Refine(0),
                _ => Phase::Done,
            };
            self.phase = next;
            if next == Phase::Done {
                return;
            }
        }
    }

    /// The curve the knee is chosen on: every point by worker count, or for
    /// the grid the best cell of each total P × T.
    pub fn curve(&self) -> Vec<CurvePoint> {
        self.curve_settings()
            .into_iter()
            .map(|(setting, throughput)| CurvePoint {
                workers: setting.total(),
                throughput,
            })
            .collect()
    }

    /// The settings on the curve with their throughput, by total.
    pub fn curve_settings(&self) -> Vec<(Setting, Estimate)> {
        let mut best: BTreeMap<u32, (Setting, Estimate)> = BTreeMap::new();
        for (s, e) in &self.measured {
            let slot = best.entry(s.total()).or_insert((*s, *e));
            if e.point > slot.1.point {
                *slot = (*s, *e);
            }
        }
        best.into_values().collect()
    }

    /// The knee of the curve and the setting it stands for; `None` before
    /// anything was measured.
    pub fn knee(&self, tolerance: f64) -> Option<(Setting, Knee)> {
        let settings = self.curve_settings();
        let knee = choose_knee(&self.curve(), tolerance).ok()?;
        let setting = settings
            .iter()
            .find(|(s, _)| s.total() == knee.workers)
            .map(|(s, _)| *s)?;
        Some((setting, knee))
    }
}

impl SweepState {
    /// Why the sweep has nothing more to propose, in words.
    pub fn why_done(&self, limits: &Limits) -> String {
        let curve = self.curve();
        let Some(largest) = curve.last().map(|p| p.workers) else {
            return "nothing was measured".into();
        };
        if self.grid {
            let caps = limits.grid();
            return format!(
                "every larger neighbour of the best cell was measured or is past the caps \
                 (P ≤ {}, T ≤ {}, P×T ≤ {})",
                caps.processes, caps.threads, caps.total
            );
        }
        if largest >= limits.max_workers {
            format!("reached --max-workers {}", limits.max_workers)
        } else if !should_continue(&curve) {
            format!("throughput clearly fell by {largest} workers")
        } else {
            format!(
                "no longer rising at {largest} workers (past the {} cores)",
                limits.cores
            )
        }
    }
}

/// The first counts of a one-dimensional sweep: [`FIRST_COUNTS`] up to
/// `max_workers` (at least `[1]`).
pub fn first_counts(max_workers: u32) -> Vec<u32> {
    let counts: Vec<u32> = FIRST_COUNTS
        .iter()
        .copied()
        .filter(|&n| n <= max_workers)
        .collect();
    if counts.is_empty() {
        vec![1]
    } else {
        counts
    }
}

/// The first cells of the grid: [`FIRST_CELLS`] within the caps.
pub fn first_cells(caps: &GridCaps) -> Vec<Setting> {
    FIRST_CELLS
        .iter()
        .filter(|(p, t)| caps.allows(*p, *t))
        .map(|&(processes, threads)| Setting::Grid { processes, threads })
        .collect()
}

/// Whether a doubling sweep should measure a larger count: not once the
/// newest point has clearly fallen below the best ([`should_continue`]);
/// below the core count otherwise yes; at or past it only while the newest
/// point is the best so far (throughput still rising). `true` for an empty
/// curve.
pub fn keep_exploring(curve: &[CurvePoint], cores: u32) -> bool {
    let Some(last) = curve.last() else {
        return true;
    };
    if !should_continue(curve) {
        return false;
    }
    if last.workers < cores {
        return true;
    }
    curve[..curve.len() - 1]
        .iter()
        .all(|p| p.throughput.point < last.throughput.point)
}

/// The next count of a doubling sweep (twice the largest, capped at
/// `max_workers`), or `None` when [`keep_exploring`] says stop or the cap is
/// reached.
pub fn next_count(curve: &[CurvePoint], cores: u32, max_workers: u32) -> Option<u32> {
    let last = curve.last()?.workers;
    if last >= max_workers || !keep_exploring(curve, cores) {
        return None;
    }
    Some(last.saturating_mul(2).min(max_workers))
}

/// The unmeasured grid neighbours (2P, T) and (P, 2T) of the best cell
/// (highest median; the smallest total on ties), within the caps.
pub fn next_cells(measured: &BTreeMap<Setting, Estimate>, caps: &GridCaps) -> Vec<Setting> {
    let mut best: Option<(Setting, f64)> = None;
    for (s, e) in measured {
        let better = match best {
            None => true,
            Some((b, p)) => e.point > p || (e.point == p && s.total() < b.total()),
        };
        if better {
            best = Some((*s, e.point));
        }
    }
    let Some((Setting::Grid { processes, threads }, _)) = best else {
        return Vec::new();
    };
    [
        (processes.saturating_mul(2), threads),
        (processes, threads.saturating_mul(2)),
    ]
    .into_iter()
    .filter(|(p, t)| caps.allows(*p, *t))
    .map(|(processes, threads)| Setting::Grid { processes, threads })
    .filter(|s| !measured.contains_key(s))
    .collect()
}

/// The integer midpoints between the knee and its measured neighbours on
/// either side (where the gap is at least 2), so a second look can move the
/// knee to a count the doubling skipped. Empty when the curve is empty.
pub fn refine_counts(curve: &[CurvePoint], tolerance: f64) -> Vec<u32> {
    let Ok(knee) = choose_knee(curve, tolerance) else {
        return Vec::new();
    };
    let Some(i) = curve.iter().position(|p| p.workers == knee.workers) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut between = |a: u32, b: u32| {
        if b >= a + 2 {
            out.push(a + (b - a) / 2);
        }
    };
    if i > 0 {
        between(curve[i - 1].workers, knee.workers);
    }
    if let Some(next) = curve.get(i + 1) {
        between(knee.workers, next.workers);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    fn est(point: f64, half: f64) -> Estimate {
        Estimate {
            point,
            ci: Interval {
                low: point - half,
                high: point + half,
                level: 0.95,
            },
        }
    }

    fn curve(points: &[(u32, f64, f64)]) -> Vec<CurvePoint> {
        points
            .iter()
            .map(|&(workers, p, h)| CurvePoint {
                workers,
                throughput: est(p, h),
            })
            .collect()
    }

    fn limits(cores: u32, max_workers: u32) -> Limits {
        Limits {
            cores,
            max_workers,
            tolerance: 0.05,
        }
    }

    #[test]
    fn first_counts_respect_the_cap() {
        assert_eq!(first_counts(64), vec![1, 2, 4]);
        assert_eq!(first_counts(3), vec![1, 2]);
        assert_eq!(first_counts(1), vec![1]);
        assert_eq!(first_counts(0), vec![1]);
    }

    #[test]
    fn doubling_continues_below_the_core_count_until_clearly_fallen() {
        let rising = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 180.0, 5.0)]);
        assert_eq!(next_count(&rising, 16, 64), Some(8));
        // Lower median at 4 but not clearly fallen, below 16 cores: go on.
        let dip = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 140.0, 12.0)]);
        assert_eq!(next_count(&dip, 16, 64), Some(8));
        // Clearly fallen: stop, however many cores.
        let fallen = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 120.0, 5.0)]);
        assert_eq!(next_count(&fallen, 16, 64), None);
    }

    #[test]
    fn past_the_core_count_only_a_rising_curve_goes_on() {
        let rising = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 180.0, 5.0)]);
        assert_eq!(next_count(&rising, 2, 64), Some(8));
        let level = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 149.0, 5.0)]);
        assert_eq!(next_count(&level, 2, 64), None);
    }

    #[test]
    fn doubling_stops_at_the_cap() {
        let rising = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (4, 180.0, 5.0)]);
        assert_eq!(next_count(&rising, 2, 6), Some(6));
        let at_cap = curve(&[(1, 100.0, 5.0), (2, 150.0, 5.0), (6, 180.0, 5.0)]);
        assert_eq!(next_count(&at_cap, 2, 6), None);
        assert_eq!(next_count(&[], 2, 6), None);
    }

    #[test]
    fn refinement_proposes_midpoints_around_the_knee() {
        // Knee at 4 (8 is within noise): look at 3 and 6.
        let c = curve(&[
            (1, 100.0, 3.0),
            (2, 190.0, 5.0),
            (4, 300.0, 5.0),
            (8, 305.0, 5.0),
        ]);
        assert_eq!(refine_counts(&c, 0.05), vec![3, 6]);
        // Knee at 1 with a neighbour at 2: nothing between.
        let flat = curve(&[(1, 100.0, 5.0), (2, 101.0, 5.0), (4, 99.0, 5.0)]);
        assert_eq!(refine_counts(&flat, 0.05), Vec::<u32>::new());
        // Knee at 16 between 8 and 32.
        let c = curve(&[(8, 100.0, 1.0), (16, 200.0, 1.0), (32, 150.0, 1.0)]);
        assert_eq!(refine_counts(&c, 0.05), vec![12, 24]);
        assert_eq!(refine_counts(&[], 0.05), Vec::<u32>::new());
    }

    fn run_line(
        state: &mut SweepState,
        lim: &Limits,
        f: impl Fn(u32) -> Estimate,
    ) -> Vec<Vec<u32>> {
        let mut rounds = Vec::new();
        for _ in 0..20 {
            let p = state.proposals(lim);
            if p.is_empty() {
                break;
            }
            for s in &p {
                state.record(*s, f(s.total()));
            }
            rounds.push(p.iter().map(Setting::total).collect());
            state.advance(lim);
        }
        rounds
    }

    #[test]
    fn a_peaked_sweep_explores_then_refines_then_stops() {
        let mut s = SweepState::new(false);
        let lim = limits(2, 64);
        // Peak at 4 workers, 8 clearly lower, 3 in between as good as 4.
        let rounds = run_line(&mut s, &lim, |n| match n {
            1 => est(100.0, 3.0),
            2 => est(180.0, 3.0),
            3 => est(250.0, 3.0),
            4 => est(250.0, 3.0),
            6 => est(200.0, 3.0),
            _ => est(150.0, 3.0),
        });
        assert_eq!(rounds, vec![vec![1, 2, 4], vec![8], vec![3, 6]]);
        assert_eq!(s.phase, Phase::Done);
        let (setting, knee) = s.knee(0.05).unwrap();
        assert_eq!(setting, Setting::Workers(3));
        assert_eq!(knee.workers, 3);
    }

    #[test]
    fn a_flat_sweep_on_two_cores_stops_after_the_first_round() {
        let mut s = SweepState::new(false);
        let rounds = run_line(&mut s, &limits(2, 64), |_| est(100.0, 5.0));
        assert_eq!(rounds, vec![vec![1, 2, 4]]);
        assert_eq!(s.phase, Phase::Done);
    }

    #[test]
    fn a_rising_sweep_stops_at_the_cap() {
        let mut s = SweepState::new(false);
        let rounds = run_line(&mut s, &limits(2, 16), |n| est(100.0 * f64::from(n), 1.0));
        // Then a look between 8 and the knee at 16, twice at most.
        assert_eq!(
            rounds,
            vec![vec![1, 2, 4], vec![8], vec![16], vec![12], vec![14]]
        );
        let (setting, knee) = s.knee(0.05).unwrap();
        assert_eq!(setting, Setting::Workers(16));
        assert_eq!(knee.shape, crate::stats::knee::CurveShape::RisingAtCap);
    }

    #[test]
    fn grid_caps_follow_the_machine() {
        assert_eq!(
            GridCaps::for_machine(2, 64),
            GridCaps {
                processes: 4,
                threads: 8,
                total: 64
            }
        );
        assert_eq!(GridCaps::for_machine(32, 16).processes, 16);
        assert_eq!(first_cells(&GridCaps::for_machine(2, 1)).len(), 1);
    }

    #[test]
    fn the_grid_climbs_from_the_best_cell() {
        let caps = GridCaps::for_machine(2, 64);
        let g = |p, t| Setting::Grid {
            processes: p,
            threads: t,
        };
        let mut m = BTreeMap::new();
        m.insert(g(1, 1), est(100.0, 2.0));
        m.insert(g(1, 2), est(150.0, 2.0));
        m.insert(g(2, 1), est(140.0, 2.0));
        m.insert(g(2, 2), est(200.0, 2.0));
        assert_eq!(next_cells(&m, &caps), vec![g(4, 2), g(2, 4)]);
        // Best at the process cap: only more threads.
        m.insert(g(4, 2), est(300.0, 2.0));
        m.insert(g(2, 4), est(210.0, 2.0));
        assert_eq!(next_cells(&m, &caps), vec![g(4, 4)]);
        m.insert(g(4, 4), est(250.0, 2.0));
        assert_eq!(next_cells(&m, &caps), Vec::<Setting>::new());
    }

    #[test]
    fn a_grid_sweep_ends_when_the_best_cell_is_surrounded() {
        let mut s = SweepState::new(true);
        let lim = limits(2, 64);
        let mut rounds = Vec::new();
        for _ in 0..10 {
            let p = s.proposals(&lim);
            if p.is_empty() {
                break;
            }
            for c in &p {
                // Best at 2×2; everything else lower.
                let v = if c.total() == 4
                    && *c
                        == (Setting::Grid {
                            processes: 2,
                            threads: 2,
                        }) {
                    300.0
                } else {
                    100.0 + f64::from(c.total())
                };
                s.record(*c, est(v, 2.0));
            }
            rounds.push(p.len());
            s.advance(&lim);
        }
        assert_eq!(rounds, vec![4, 2]);
        assert_eq!(s.phase, Phase::Done);
        // The curve has one point per total, the best cell of each.
        let totals: Vec<u32> = s.curve().iter().map(|p| p.workers).collect();
        assert_eq!(totals, vec![1, 2, 4, 8]);
        let (setting, _) = s.knee(0.05).unwrap();
        assert_eq!(
            setting,
            Setting::Grid {
                processes: 2,
                threads: 2
            }
        );
    }
}
