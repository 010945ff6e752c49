//! Equal footing: two checks that a comparison measured the strategies, not
//! the state a repetition started from.
//!
//! - **One core, three ways.** `threads(1)`, `processes(1)` and
//!   `nested(1×1)` do their sequential baseline's work on one core, so
//!   their times must agree with it once each side's own calibrated
//!   dispatch cost (start-up and per task, `run.json`'s `dispatch`) is
//!   accounted for. A pair whose interval lies wholly outside
//!   ±[`IDENTITY_TOLERANCE`] of that is named, with the page faults and CPU
//!   of both sides.
//! - **Superlinear speedups.** A speedup above the machine's core count,
//!   against a baseline whose CPU time is close to its wall time (CPU-bound:
//!   at least [`CPU_BOUND`] of it), cannot come from running on more
//!   cores: the faster side did less work — or, where both sides spent the
//!   same CPU per repetition, the medians' noise. It is named with its
//!   measured cause — CPU per repetition and minor page faults of both sides.
//!
//! Both are notes of the report (`report::warnings`) and of the terminal
//! after a run, never silent. The checks read `summary.csv`'s medians and
//! intervals; they decide nothing about the run's exit code.
//!
//! Owns: the rules and their sentences. Does not own: the medians and
//! intervals (`summary`), the dispatch calibration (`runner::calibrate`).

use std::fmt;

use super::{DispatchCost, SummaryRow, SummaryStatus};
use crate::strategy::StrategyKind;

/// How far a one-core scenario's time may stray from its baseline's
/// (after dispatch) before the pair is said to disagree: 10 %, the same
/// share as the report's high-variation threshold, and only when the whole
/// interval lies beyond it.
pub const IDENTITY_TOLERANCE: f64 = 0.10;

/// A baseline whose median CPU time (user + system) is at least this share
/// of its median wall time is CPU-bound: concurrency cannot hide waits it
/// does not have.
pub const CPU_BOUND: f64 = 0.8;

/// A finding of the footing checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Footing {
    /// A one-core scenario whose time disagrees with its sequential
    /// baseline's.
    OneCoreDisagrees {
        /// The scenario.
        scenario_id: String,
        /// Its median time over the baseline's.
        ratio: f64,
        /// That ratio's 95 % interval.
        interval: (f64, f64),
        /// The ratio its calibrated dispatch cost alone would give.
        expected: f64,
        /// Median minor page faults per repetition: this, baseline.
        faults: (Option<u64>, Option<u64>),
        /// Median CPU seconds per repetition: this, baseline.
        cpu_s: (f64, f64),
    },
    /// A speedup above the core count over a CPU-bound baseline.
    Superlinear {
        /// The scenario.
        scenario_id: String,
        /// Its speedup over the baseline.
        speedup: f64,
        /// The machine's logical CPUs.
        cores: usize,
        /// Median wall seconds of the baseline.
        baseline_wall_s: f64,
        /// Median CPU seconds per repetition: this, baseline.
        cpu_s: (f64, f64),
        /// Median minor page faults per repetition: this, baseline.
        faults: (Option<u64>, Option<u64>),
    },
}

impl Footing {
    /// The scenario the finding is about.
    pub fn scenario_id(&self) -> &str {
        match self {
            Footing::OneCoreDisagrees { scenario_id, .. }
            | Footing::Superlinear { scenario_id, .. } => scenario_id,
        }
    }
}

impl fmt::Display for Footing {
    /// The finding and its measured cause in one sentence, without the
    /// scenario id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Footing::OneCoreDisagrees {
                ratio,
                interval: (lo, hi),
                expected,
                faults,
                cpu_s,
                ..
            } => {
                write!(
                    f,
                    "took {ratio:.2}× its sequential baseline's time [{lo:.2} … {hi:.2}] for \
                     the same work on one core"
                )?;
                if (expected - 1.0).abs() >= 0.005 {
                    write!(
                        f,
                        ", where its calibrated start-up and dispatch account for {expected:.2}×"
                    )?;
                }
                write!(
                    f,
                    ": beyond ±{:.0} %. CPU {} against the baseline's {}; {}",
                    IDENTITY_TOLERANCE * 100.0,
                    millis(cpu_s.0),
                    millis(cpu_s.1),
                    fault_clause(*faults)
                )
            }
            Footing::Superlinear {
                speedup,
                cores,
                baseline_wall_s,
                cpu_s,
                faults,
                ..
            } => {
                write!(
                    f,
                    "{speedup:.2}× over sequential on {cores} cores, more than the cores can \
                     give: the baseline is CPU-bound (CPU {} of {} wall), ",
                    millis(cpu_s.1),
                    millis(*baseline_wall_s),
                )?;
                if (cpu_s.0 - cpu_s.1).abs() <= SAME_CPU * cpu_s.1 {
                    f.write_str(
                        "yet both sides spent the same CPU, so the excess over the cores is \
                         the medians' noise (wall and CPU medians come from different \
                         repetitions), not less work",
                    )?;
                } else {
                    f.write_str("so this did less work, not the same work on more cores")?;
                }
                write!(
                    f,
                    ". CPU per repetition {} against the baseline's {}; {}",
                    millis(cpu_s.0),
                    millis(cpu_s.1),
                    fault_clause(*faults)
                )
            }
        }
    }
}

/// What the page-fault counts of a pair say: `(this, baseline)`.
fn fault_clause(faults: (Option<u64>, Option<u64>)) -> String {
    match faults {
        (Some(this), Some(base)) if base > this => format!(
            "the baseline took {} more page faults per repetition ({} against {})",
            grouped(base - this),
            grouped(base),
            grouped(this)
        ),
        (Some(this), Some(base)) if this > base => format!(
            "this took {} more page faults per repetition ({} against the baseline's {})",
            grouped(this - base),
            grouped(this),
            grouped(base)
        ),
        (Some(this), Some(_)) => format!("both took {} page faults per repetition", grouped(this)),
        _ => "no page-fault counts (rows from before the minor_faults column)".into(),
    }
}

fn millis(s: f64) -> String {
    format!("{:.1} ms", s * 1e3)
}

/// `6886` as `6,886`: a count with thousands separators (the report's
/// counts too, `report::view::count`).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every footing finding of a run's summary: `cores` is the machine's
/// logical CPU count (0: unknown, no superlinear check), `dispatch` the
/// run's calibration (empty: none).
pub fn check(summary: &[SummaryRow], cores: usize, dispatch: &[DispatchCost]) -> Vec<Footing> {
    let timed = |r: &&SummaryRow| r.status == SummaryStatus::Ok;
    let baseline = |r: &SummaryRow| {
        summary
            .iter()
            .filter(timed)
            .find(|b| b.scenario_id == r.baseline_id && b.scenario_id != r.scenario_id)
    };
    let mut out = Vec::new();
    for r in summary.iter().filter(timed) {
        let Some(base) = baseline(r) else {
            continue;
        };
        if one_core(r) {
            out.extend(identity(r, base, dispatch));
        }
        if cores > 0 {
            out.extend(superlinear(r, base, cores));
        }
    }
    out
}

/// Whether `r` runs its baseline's lane loop on one core (a pool of one
/// thread, one worker process of one thread).
fn one_core(r: &SummaryRow) -> bool {
    // Any other strategy — another backend (tokio's pool, a ring), the
    // baseline itself, an external program, or one registered later — does
    // not run the same work.
    matches!(
        r.strategy,
        StrategyKind::Threads | StrategyKind::Processes | StrategyKind::Nested
    ) && r.workers == 1
}

fn cpu_s(r: &SummaryRow) -> f64 {
    r.user_s + r.sys_s
}

/// The identity check of one pair.
fn identity(r: &SummaryRow, base: &SummaryRow, dispatch: &[DispatchCost]) -> Option<Footing> {
    let (lo, hi) = (r.speedup_ci_low?, r.speedup_ci_high?);
    let speedup = r.speedup?;
    if base.wall_median_s <= 0.0 || lo <= 0.0 || speedup <= 0.0 {
        return None;
    }
    // Tasks per repetition: the same work on both sides.
    let tasks = (base.tasks_per_s * base.wall_median_s).round();
    let cost = |label: &str| {
        dispatch
            .iter()
            .find(|d| d.strategy == label)
            .map_or(0.0, |d| {
                d.startup_us.unwrap_or(0.0) * 1e-6 + tasks * d.ns_per_task.unwrap_or(0.0) * 1e-9
            })
    };
    let extra = (cost(&r.strategy_label) - cost(&base.strategy_label)).max(0.0);
    let expected = 1.0 + extra / base.wall_median_s;
    let (ratio, interval) = (1.0 / speedup, (1.0 / hi, 1.0 / lo));
    let band = (
        expected / (1.0 + IDENTITY_TOLERANCE),
        expected * (1.0 + IDENTITY_TOLERANCE),
    );
    let disagrees = interval.1 < band.0 || interval.0 > band.1;
    disagrees.then(|| Footing::OneCoreDisagrees {
        scenario_id: r.scenario_id.clone(),
        ratio,
        interval,
        expected,
        faults: (r.minor_faults, base.minor_faults),
        cpu_s: (cpu_s(r), cpu_s(base)),
    })
}

/// CPU per repetition within this share of the baseline's counts as the
/// same work: a superlinear speedup then comes from the medians' noise, and
/// its sentence says so instead of blaming less work.
const SAME_CPU: f64 = 0.05;

/// The superlinear check of one scenario against its baseline.
fn superlinear(r: &SummaryRow, base: &SummaryRow, cores: usize) -> Option<Footing> {
    let speedup = r.speedup?;
    let cpu_bound = cpu_s(base) >= CPU_BOUND * base.wall_median_s;
    (speedup > cores as f64 && cpu_bound).then(|| Footing::Superlinear {
        scenario_id: r.scenario_id.clone(),
        speedup,
        cores,
        baseline_wall_s: base.wall_median_s,
        cpu_s: (cpu_s(r), cpu_s(base)),
        faults: (r.minor_faults, base.minor_faults),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQ: &str = "read/whole/sequential/warm";

    fn scenario(id: &str, strategy: StrategyKind, workers: u32, label: &str) -> SummaryRow {
        SummaryRow {
            scenario_id: id.into(),
            baseline_id: SEQ.into(),
            strategy,
            strategy_label: label.into(),
            workers,
            status: SummaryStatus::Ok,
            ..SummaryRow::default()
        }
    }

    /// The baseline of the table: 35 ms of wall, 35 ms of CPU,
    /// 3,000 tasks, 6,886 faults.
    fn sequential() -> SummaryRow {
        SummaryRow {
            wall_median_s: 0.035,
            user_s: 0.001,
            sys_s: 0.034,
            tasks_per_s: 3000.0 / 0.035,
            minor_faults: Some(6_886),
            ..scenario(SEQ, StrategyKind::Sequential, 1, "sequential")
        }
    }

    fn timed(mut r: SummaryRow, speedup: f64, ci: (f64, f64)) -> SummaryRow {
        r.speedup = Some(speedup);
        r.speedup_ci_low = Some(ci.0);
        r.speedup_ci_high = Some(ci.1);
        r.wall_median_s = 0.035 / speedup;
        r
    }

    #[test]
    fn one_core_pairs_that_agree_are_not_named() {
        let t1 = timed(
            scenario(
                "read/whole/threads-1/warm",
                StrategyKind::Threads,
                1,
                "threads(1)",
            ),
            0.97,
            (0.89, 1.28),
        );
        assert_eq!(check(&[sequential(), t1], 2, &[]), vec![]);
    }

    #[test]
    fn a_one_core_pair_outside_the_band_is_named_with_its_faults() {
        let t1 = SummaryRow {
            user_s: 0.003,
            sys_s: 0.020,
            minor_faults: Some(3),
            ..timed(
                scenario(
                    "read/whole/threads-1/warm",
                    StrategyKind::Threads,
                    1,
                    "threads(1)",
                ),
                1.5,
                (1.4, 1.6),
            )
        };
        let found = check(&[sequential(), t1], 2, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].scenario_id(), "read/whole/threads-1/warm");
        let text = found[0].to_string();
        assert!(
            text.starts_with("took 0.67× its sequential baseline's time [0.62 … 0.71]"),
            "{text}"
        );
        assert!(
            text.contains(
                "the baseline took 6,883 more page faults per repetition (6,886 against 3)"
            ),
            "{text}"
        );
    }

    #[test]
    fn calibrated_dispatch_is_expected_not_named() {
        // processes(1, batch 1): 2 ms start-up and 10 µs a task over
        // sequential's nothing is 1 + (0.002 + 3000 × 10 µs) / 35 ms ≈ 1.91×.
        let p1 = timed(
            scenario(
                "read/whole/processes-1-b1/warm",
                StrategyKind::Processes,
                1,
                "processes(1, batch 1)",
            ),
            1.0 / 1.9,
            (1.0 / 2.0, 1.0 / 1.8),
        );
        let dispatch = |strategy: &str, startup_us, ns| DispatchCost {
            strategy: strategy.into(),
            ns_per_task: Some(ns),
            startup_us: Some(startup_us),
            tasks: [512, 4096],
            detail: String::new(),
        };
        let calibrated = [
            dispatch("sequential", 0.0, 0.0),
            dispatch("processes(1, batch 1)", 2000.0, 10_000.0),
        ];
        assert_eq!(check(&[sequential(), p1.clone()], 2, &calibrated), vec![]);
        let found = check(&[sequential(), p1], 2, &[]);
        assert_eq!(
            found.len(),
            1,
            "without a calibration it is named: {found:?}"
        );
    }

    #[test]
    fn superlinear_speedups_over_a_cpu_bound_baseline_say_why() {
        let t2 = SummaryRow {
            user_s: 0.003,
            sys_s: 0.019,
            minor_faults: Some(3),
            ..timed(
                scenario(
                    "read/whole/threads-2/warm",
                    StrategyKind::Threads,
                    2,
                    "threads(2)",
                ),
                3.01,
                (2.94, 3.33),
            )
        };
        let found = check(&[sequential(), t2.clone()], 2, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        let text = found[0].to_string();
        assert!(
            text.starts_with("3.01× over sequential on 2 cores"),
            "{text}"
        );
        assert!(
            text.contains("CPU per repetition 22.0 ms against the baseline's 35.0 ms"),
            "{text}"
        );
        assert!(
            text.contains("the baseline took 6,883 more page faults"),
            "{text}"
        );
        assert!(text.contains("so this did less work"), "{text}");
        // The same CPU on both sides: noise, not less work.
        let same = SummaryRow {
            user_s: 0.001,
            sys_s: 0.0335,
            ..t2.clone()
        };
        let text = check(&[sequential(), same], 2, &[])[0].to_string();
        assert!(text.contains("both sides spent the same CPU"), "{text}");
        assert!(!text.contains("did less work"), "{text}");
        // On 4 cores it is within reach; with a baseline that waits (CPU
        // far below wall) concurrency can overlap the waits.
        assert_eq!(check(&[sequential(), t2.clone()], 4, &[]), vec![]);
        let waiting = SummaryRow {
            sys_s: 0.005,
            ..sequential()
        };
        assert_eq!(check(&[waiting, t2], 2, &[]), vec![]);
    }

    #[test]
    fn rows_from_before_the_fault_column_still_get_a_sentence() {
        let t2 = timed(
            scenario(
                "read/whole/threads-2/warm",
                StrategyKind::Threads,
                2,
                "threads(2)",
            ),
            3.0,
            (2.9, 3.1),
        );
        let base = SummaryRow {
            minor_faults: None,
            ..sequential()
        };
        let text = check(&[base, t2], 2, &[])[0].to_string();
        assert!(text.ends_with("no page-fault counts (rows from before the minor_faults column)"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(
            [0, 999, 1000, 6886, 1_234_567].map(grouped),
            ["0", "999", "1,000", "6,886", "1,234,567"]
        );
    }
}
