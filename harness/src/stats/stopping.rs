//! When a scenario has enough repetitions (`--reps auto`): keep repeating
//! until the median's 95 % bootstrap interval is narrow enough, the
//! largest count is reached, or the time budget is spent — never fewer than
//! a minimum.
//!
//! Rule, in this order, on the scenario's measured repetitions so far:
//! 1. at the largest count ([`StopRule::max`]): stop (`AtMax`);
//! 2. below the minimum ([`StopRule::min`], 3 by default): continue —
//!    the budget does not cut a scenario short of the minimum;
//! 3. at least the minimum done but none timed (every one failed or was
//!    unavailable): stop (`NothingTimed`), more repetitions would only fail
//!    again;
//! 4. at least the minimum timed and the interval (the percentile bootstrap
//!    of [`super::Bootstrap::median_ci`], the same as `summary.csv`'s) spans
//!    at most [`StopRule::ci_width_pct`] percent of the median: stop
//!    (`Converged`);
//! 5. budget spent: stop (`BudgetSpent`);
//! 6. otherwise continue.
//!
//! A sequential stopping rule of this kind (sample until the interval's
//! half-width reaches a target) is the fixed-width procedure of Chow & Robbins
//! (1965); with the median and a bootstrap interval it is what benchmark
//! harnesses such as criterion's "measure until the estimate is precise"
//! approximate. Its intervals are not exactly 95 % under optional stopping;
//! `docs/commands.md` says so.
//!
//! Owns: the rule, a pure function of the times and the time spent. Does not
//! own: the schedule (`runner`) or where the times come from (`results`).

use serde::{Deserialize, Serialize};

use super::{Bootstrap, Sample};

/// Fewest measured repetitions `--reps auto` gives a scenario.
pub const MIN_REPS: u32 = 3;

/// The stop rule's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    /// Fewest repetitions ([`MIN_REPS`]).
    pub min: u32,
    /// Most repetitions.
    pub max: u32,
    /// Target: the interval spans at most this percentage of the median.
    pub ci_width_pct: f64,
    /// Seconds the run may spend; `None`: no budget.
    pub budget_s: Option<f64>,
}

/// What the rule says about one scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Run another repetition.
    Continue,
    /// The interval is narrow enough.
    Converged {
        /// Its width as a percentage of the median.
        width_pct: f64,
    },
    /// The largest count is reached.
    AtMax {
        /// The interval's width as a percentage of the median, when there is one.
        width_pct: Option<f64>,
    },
    /// The time budget is spent.
    BudgetSpent {
        /// The interval's width as a percentage of the median, when there is one.
        width_pct: Option<f64>,
    },
    /// The minimum ran and none of it could be timed.
    NothingTimed,
}

impl Decision {
    /// Whether the scenario gets no more repetitions.
    pub fn stops(self) -> bool {
        !matches!(self, Decision::Continue)
    }

    /// One line on why a scenario stopped after `n` repetitions (`None`
    /// while it continues).
    pub fn describe(self, n: u32, rule: &StopRule) -> Option<String> {
        let width = |w: Option<f64>| {
            w.map_or_else(
                || "no interval".to_string(),
                |w| format!("interval {w:.1} % of the median"),
            )
        };
        let target = rule.ci_width_pct;
        match self {
            Decision::Continue => None,
            Decision::Converged { width_pct } => Some(format!(
                "converged after {n} repetitions (interval {width_pct:.1} % of the median ≤ {target} %)"
            )),
            Decision::AtMax { width_pct } => Some(format!(
                "stopped at the most repetitions, {n} ({}, target {target} %)",
                width(width_pct)
            )),
            Decision::BudgetSpent { width_pct } => Some(format!(
                "time budget spent after {n} repetitions ({}, target {target} %)",
                width(width_pct)
            )),
            Decision::NothingTimed => Some(format!(
                "stopped after {n} repetitions: none could be timed"
            )),
        }
    }
}

/// Decide for a scenario with `done` measured repetitions, of which `times`
/// are the timed ones (seconds), after the run spent `spent_s` seconds.
pub fn decide(
    rule: &StopRule,
    done: u32,
    times: &[f64],
    spent_s: f64,
    boot: &Bootstrap,
) -> Decision {
    let width_pct = width_pct(times, rule.min, boot);
    if done >= rule.max {
        return Decision::AtMax { width_pct };
    }
    if done < rule.min {
        return Decision::Continue;
    }
    if times.is_empty() {
        return Decision::NothingTimed;
    }
    if let Some(w) = width_pct.filter(|w| *w <= rule.ci_width_pct) {
        return Decision::Converged { width_pct: w };
    }
    if rule.budget_s.is_some_and(|b| spent_s >= b) {
        return Decision::BudgetSpent { width_pct };
    }
    Decision::Continue
}

/// The median interval's width as a percentage of the median, once at
/// least `min` times are there.
pub fn width_pct(times: &[f64], min: u32, boot: &Bootstrap) -> Option<f64> {
    if times.len() < min.max(2) as usize {
        return None;
    }
    let sample = Sample::new(times.to_vec()).ok()?;
    let median = sample.median();
    (median > 0.0).then(|| 100.0 * boot.median_ci(&sample).width() / median)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(budget_s: Option<f64>) -> StopRule {
        StopRule {
            min: MIN_REPS,
            max: 10,
            ci_width_pct: 10.0,
            budget_s,
        }
    }

    /// Repeat as the runner does: one time after another from `source`
    /// until the rule stops, `cost` seconds spent per repetition.
    fn repeat(rule: &StopRule, source: &[f64], cost: f64) -> (usize, Decision) {
        let boot = Bootstrap::default();
        let mut times = Vec::new();
        loop {
            let d = decide(
                rule,
                times.len() as u32,
                &times,
                cost * times.len() as f64,
                &boot,
            );
            if d.stops() {
                return (times.len(), d);
            }
            times.push(source[times.len() % source.len()]);
        }
    }

    #[test]
    fn steady_times_converge_at_the_minimum() {
        let (n, d) = repeat(&rule(None), &[1.00, 1.01, 0.99, 1.02], 1.0);
        assert_eq!(n, 3);
        assert!(
            matches!(d, Decision::Converged { width_pct } if width_pct <= 10.0),
            "{d:?}"
        );
    }

    #[test]
    fn times_that_never_settle_stop_at_the_most() {
        let (n, d) = repeat(&rule(None), &[0.5, 7.0, 1.0, 9.0, 3.0], 1.0);
        assert_eq!(n, 10);
        assert!(
            matches!(d, Decision::AtMax { width_pct: Some(w) } if w > 10.0),
            "{d:?}"
        );
    }

    #[test]
    fn a_spent_budget_stops_after_the_minimum() {
        // 2 s per repetition, 5 s budget: spent after the third.
        let (n, d) = repeat(&rule(Some(5.0)), &[0.5, 7.0, 1.0, 9.0], 2.0);
        assert_eq!(n, 3);
        assert!(matches!(d, Decision::BudgetSpent { .. }), "{d:?}");
    }

    #[test]
    fn the_minimum_holds_even_when_the_budget_is_gone() {
        let boot = Bootstrap::default();
        let r = rule(Some(1.0));
        for done in 0..MIN_REPS {
            let times = vec![1.0; done as usize];
            assert_eq!(decide(&r, done, &times, 100.0, &boot), Decision::Continue);
        }
        // Converged and spent at once: converged is the reason given.
        let d = decide(&r, 3, &[1.0, 1.0, 1.0], 100.0, &boot);
        assert!(matches!(d, Decision::Converged { .. }), "{d:?}");
    }

    #[test]
    fn failing_repetitions_stop_at_the_minimum() {
        let boot = Bootstrap::default();
        assert_eq!(
            decide(&rule(None), 3, &[], 0.0, &boot),
            Decision::NothingTimed
        );
        // Two timed of three: no interval yet (fewer than the minimum timed).
        assert_eq!(
            decide(&rule(None), 3, &[1.0, 1.0], 0.0, &boot),
            Decision::Continue
        );
    }

    #[test]
    fn reasons_name_the_count_and_the_width() {
        let r = rule(None);
        let text = Decision::Converged { width_pct: 4.26 }
            .describe(5, &r)
            .unwrap();
        assert_eq!(
            text,
            "converged after 5 repetitions (interval 4.3 % of the median ≤ 10 %)"
        );
        assert_eq!(Decision::Continue.describe(2, &r), None);
    }
}
