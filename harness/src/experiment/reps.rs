//! How many measured repetitions a scenario gets: a fixed count (`--reps 5`,
//! `reps = 5`) or as many as its median needs (`--reps auto`, `auto:MAX`,
//! `reps = "auto"`), with the target width of the median's interval
//! (`--ci-width`) and the run's time budget (`--budget`).
//!
//! Owns: parsing and merging those values into the plan's [`AutoReps`].
//! Does not own: the stop rule (`crate::stats::stopping`) or applying it
//! (`crate::runner`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Fewest measured repetitions of a fixed count.
pub const MIN: u32 = 1;
/// Most measured repetitions, fixed or `auto:MAX`.
pub const MAX: u32 = 1000;

/// Most repetitions of `auto` without `:MAX`.
pub const DEFAULT_AUTO_MAX: u32 = 30;
/// Default `--ci-width`: the interval spans at most 10 % of the median.
pub const DEFAULT_CI_WIDTH_PCT: f64 = 10.0;
/// Narrowest and widest `--ci-width`, percent.
pub const CI_WIDTH_RANGE: (f64, f64) = (0.1, 200.0);

/// `bench-all`'s repetitions when `--reps` is not given, per scale: `auto`
/// (at least 3 each, until the median's interval is within `--ci-width`)
/// with at most `max` and, unless `--budget` says otherwise, a time budget
/// for the scheduled repetitions that keeps the whole bench-all (corpus,
/// calibration and report included) within its target: about 2 minutes at
/// quick scale and under 20 at default on a 2-core machine
/// (`experiments/README.md`, "Time budgets", has the measurements). Seed
/// scale has no target: at most 5 each, no budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchAllDefault {
    /// What `--reps` defaults to.
    pub reps: Reps,
    /// What `--budget` defaults to.
    pub budget: Option<Duration>,
}

impl BenchAllDefault {
    /// The default at `scale`.
    pub fn at(scale: crate::corpus::Scale) -> BenchAllDefault {
        use crate::corpus::Scale;
        let (max, budget_s) = match scale {
            Scale::Quick => (QUICK_MAX, Some(QUICK_BUDGET_S)),
            Scale::Default => (DEFAULT_MAX, Some(DEFAULT_BUDGET_S)),
            Scale::Seed => (5, None),
        };
        BenchAllDefault {
            reps: Reps::Auto { max },
            budget: budget_s.map(Duration::from_secs),
        }
    }
}

/// Most repetitions of bench-all's default at quick scale.
const QUICK_MAX: u32 = 10;
/// Seconds of scheduled repetitions bench-all's default allows at quick scale.
const QUICK_BUDGET_S: u64 = 75;
/// Most repetitions of bench-all's default at default scale.
const DEFAULT_MAX: u32 = 10;
/// Seconds of scheduled repetitions bench-all's default allows at default scale.
const DEFAULT_BUDGET_S: u64 = 15 * 60;

/// What `--reps` or `reps` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reps {
    /// Exactly this many.
    Fixed(u32),
    /// Until the interval is narrow enough, at most `max`.
    Auto {
        /// Most repetitions.
        max: u32,
    },
}

impl Reps {
    /// The most repetitions it can take.
    pub fn max(self) -> u32 {
        match self {
            Reps::Fixed(n) | Reps::Auto { max: n } => n,
        }
    }

    /// What several experiment files asking for `self` and `other` get:
    /// the larger count, and `auto` when either asks for it.
    pub fn merge(self, other: Reps) -> Reps {
        let max = self.max().max(other.max());
        match (self, other) {
            (Reps::Fixed(_), Reps::Fixed(_)) => Reps::Fixed(max),
            (Reps::Auto { .. }, _) | (_, Reps::Auto { .. }) => Reps::Auto { max },
        }
    }
}

/// What `--reps` and `reps` accept, for messages.
pub fn allowed() -> String {
    format!(
        "an integer from {} to {}, \"auto\" (at most {DEFAULT_AUTO_MAX}) or \"auto:MAX\" (MAX from 3 to {})",
        MIN, MAX, MAX
    )
}

/// Parse `5`, `auto` or `auto:40`.
///
/// # Errors
/// What is allowed ([`allowed`]), for anything else.
pub fn parse(text: &str) -> Result<Reps, String> {
    let t = text.trim();
    let count = |s: &str, min: u32| s.parse::<u32>().ok().filter(|n| (min..=MAX).contains(n));
    let reps = match t.strip_prefix("auto") {
        Some("") => Some(Reps::Auto {
            max: DEFAULT_AUTO_MAX,
        }),
        Some(rest) => rest
            .strip_prefix(':')
            .and_then(|m| count(m, crate::stats::stopping::MIN_REPS))
            .map(|max| Reps::Auto { max }),
        None => count(t, MIN).map(Reps::Fixed),
    };
    reps.ok_or_else(allowed)
}

/// The plan's `--reps auto` settings: the stop rule's target and budget
/// (the most repetitions are the plan's `reps`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoReps {
    /// The median's 95 % interval may span at most this percentage of the
    /// median (default [`DEFAULT_CI_WIDTH_PCT`]).
    pub ci_width_pct: f64,
    /// Seconds the run may take before scenarios past the minimum stop
    /// getting repetitions; `None`: no budget.
    pub budget_s: Option<f64>,
}

/// Why `--ci-width` or `--budget` cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AutoError {
    /// A width outside [`CI_WIDTH_RANGE`].
    #[error("--ci-width {0}: allowed a percentage from 0.1 to 200, e.g. 10")]
    Width(String),
    /// A target or budget with a fixed number of repetitions.
    #[error("{0} applies to --reps auto (or reps = \"auto\" in the experiment files); here the repetitions are fixed at {1}")]
    NotAuto(&'static str, u32),
}

/// The plan's repetition count and auto settings from what was asked.
///
/// # Errors
/// [`AutoError`] for a width out of range, or a width or budget given
/// where the repetitions are fixed.
pub fn plan_reps(
    reps: Reps,
    ci_width_pct: Option<f64>,
    budget: Option<Duration>,
) -> Result<(u32, Option<AutoReps>), AutoError> {
    if let Some(w) = ci_width_pct.filter(|w| !(CI_WIDTH_RANGE.0..=CI_WIDTH_RANGE.1).contains(w)) {
        return Err(AutoError::Width(w.to_string()));
    }
    match reps {
        Reps::Fixed(n) if ci_width_pct.is_some() => Err(AutoError::NotAuto("--ci-width", n)),
        Reps::Fixed(n) if budget.is_some() => Err(AutoError::NotAuto("--budget", n)),
        Reps::Fixed(n) => Ok((n, None)),
        Reps::Auto { max } => Ok((
            max,
            Some(AutoReps {
                ci_width_pct: ci_width_pct.unwrap_or(DEFAULT_CI_WIDTH_PCT),
                budget_s: budget.map(|b| b.as_secs_f64()),
            }),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_auto_and_auto_max_parse_and_the_rest_is_refused() {
        assert_eq!(parse("5"), Ok(Reps::Fixed(5)));
        assert_eq!(
            parse("auto"),
            Ok(Reps::Auto {
                max: DEFAULT_AUTO_MAX
            })
        );
        assert_eq!(parse("auto:40"), Ok(Reps::Auto { max: 40 }));
        for bad in ["0", "1001", "auto:2", "auto:", "autox", "five", "-1", ""] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("\"auto:MAX\""), "{bad}: {e}");
        }
    }

    #[test]
    fn files_merge_to_the_larger_count_and_auto_wins() {
        assert_eq!(Reps::Fixed(3).merge(Reps::Fixed(5)), Reps::Fixed(5));
        assert_eq!(
            Reps::Fixed(50).merge(Reps::Auto { max: 30 }),
            Reps::Auto { max: 50 }
        );
    }

    #[test]
    fn a_width_or_budget_needs_auto() {
        let (n, auto) =
            plan_reps(Reps::Auto { max: 20 }, None, Some(Duration::from_secs(60))).unwrap();
        assert_eq!(n, 20);
        assert_eq!(
            auto,
            Some(AutoReps {
                ci_width_pct: DEFAULT_CI_WIDTH_PCT,
                budget_s: Some(60.0)
            })
        );
        assert_eq!(plan_reps(Reps::Fixed(5), None, None), Ok((5, None)));
        let e = plan_reps(Reps::Fixed(5), Some(5.0), None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--ci-width applies to --reps auto"),
            "{e}"
        );
        let e = plan_reps(Reps::Auto { max: 9 }, Some(0.0), None).unwrap_err();
        assert!(e.to_string().contains("--ci-width 0: allowed"), "{e}");
    }
}
