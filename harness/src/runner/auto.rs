//! `--reps auto` inside a run: before each measured repetition, the stop
//! rule (`crate::stats::stopping`) is asked about its scenario, from the
//! rows already written — so a resumed run decides from the rows on disk
//! exactly as the first one would have. A scenario that has stopped gets no
//! more repetitions; the others carry on, round by round. Each stop is
//! announced once, with its reason.
//!
//! Time spent: the clock since this invocation's schedule began, plus, for
//! a resumed run, the settle waits and timed regions of the rows found on
//! disk (the part of the earlier invocations the rows record).
//!
//! Owns: that bookkeeping. Does not own: the rule or the schedule.

use std::collections::HashSet;
use std::time::Instant;

use crate::experiment::reps::AutoReps;
use crate::experiment::Plan;
use crate::results::Row;
use crate::stats::stopping::{self, Decision, StopRule, MIN_REPS};
use crate::stats::Bootstrap;

/// The stop rule of a run and which scenarios it has stopped.
pub(super) struct Auto {
    rule: StopRule,
    boot: Bootstrap,
    started: Instant,
    spent_before_s: f64,
    announced: HashSet<usize>,
}

impl Auto {
    /// The rule of `plan` (`None` without `--reps auto`), with the time the
    /// `rows` already written account for.
    pub(super) fn of(plan: &Plan, settings: Option<AutoReps>, rows: &[Row]) -> Option<Auto> {
        let a = settings?;
        Some(Auto {
            rule: StopRule {
                min: MIN_REPS.min(plan.reps),
                max: plan.reps,
                ci_width_pct: a.ci_width_pct,
                budget_s: a.budget_s,
            },
            boot: Bootstrap {
                seed: plan.bootstrap_seed,
                ..Bootstrap::default()
            },
            started: Instant::now(),
            spent_before_s: rows.iter().map(|r| r.settle_s + r.wall_s).sum(),
            announced: HashSet::new(),
        })
    }

    /// Whether scenario `index` of `plan` gets no more measured
    /// repetitions, with the reason the first time it is asked after the
    /// scenario stopped.
    pub(super) fn stops(
        &mut self,
        plan: &Plan,
        index: usize,
        rows: &[Row],
    ) -> (bool, Option<String>) {
        let spent = self.spent_before_s + self.started.elapsed().as_secs_f64();
        let (n, decision) = decide(
            &self.rule,
            &self.boot,
            &plan.scenarios[index].id,
            rows,
            spent,
        );
        let first = decision.stops() && self.announced.insert(index);
        let note = first.then(|| decision.describe(n, &self.rule)).flatten();
        (decision.stops(), note)
    }
}

/// The rule's decision on the scenario `id` from its measured aggregate
/// rows, with how many there are.
fn decide(
    rule: &StopRule,
    boot: &Bootstrap,
    id: &str,
    rows: &[Row],
    spent_s: f64,
) -> (u32, Decision) {
    let group: Vec<&Row> = rows
        .iter()
        .filter(|r| r.scenario_id == id && !r.warmup && r.is_aggregate())
        .collect();
    let times: Vec<f64> = crate::results::timed(&group)
        .iter()
        .map(|r| r.wall_s.max(1e-9))
        .collect();
    let n = group.len() as u32;
    (n, stopping::decide(rule, n, &times, spent_s, boot))
}

/// The reasons not yet announced, after the last round: scenarios that
/// reached the most repetitions are only asked about then.
pub(super) fn pending(auto: &mut Auto, plan: &Plan, rows: &[Row]) -> Vec<String> {
    (0..plan.scenarios.len())
        .filter_map(|i| {
            let (_, note) = auto.stops(plan, i, rows);
            note.map(|n| format!("{}: {n}", plan.scenarios[i].label()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn row(id: &str, rep: u32, wall_s: f64, warmup: bool) -> Row {
        Row {
            scenario_id: id.into(),
            rep,
            warmup,
            wall_s,
            status: Status::Ok,
            verified: true,
            ..Row::default()
        }
    }

    #[test]
    fn decisions_come_from_the_scenarios_own_measured_rows() {
        let rule = StopRule {
            min: 3,
            max: 8,
            ci_width_pct: 10.0,
            budget_s: None,
        };
        let boot = Bootstrap::default();
        // A slow warm-up and another scenario's noisy rows do not count.
        let mut rows = vec![
            row("a", 0, 9.0, true),
            row("b", 1, 0.1, false),
            row("b", 2, 5.0, false),
        ];
        rows.extend((1..=3).map(|rep| row("a", rep, 1.0, false)));
        let (n, d) = decide(&rule, &boot, "a", &rows, 0.0);
        assert_eq!(n, 3);
        assert!(matches!(d, Decision::Converged { .. }), "{d:?}");
        let (n, d) = decide(&rule, &boot, "b", &rows, 0.0);
        assert_eq!((n, d), (2, Decision::Continue));
    }
}
