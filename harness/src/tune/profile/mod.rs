//! The machine profile's data: the machine, the settings of the sweep, and
//! per workload the recommendation with its expected throughput and speedup
//! ([`Profile`]), built from a finished sweep ([`build::build`]) and compared with
//! another ([`compare`]). Does not own: the sweep (`super::sweep`), the
//! profile's files (`super::files`) or the terminal tables
//! (`super::render`).
//!
//! The recommendation of a workload, in three steps:
//! 1. each strategy's **knee**: the smallest setting within noise of that
//!    strategy's best ([`super::knee::choose_knee`]);
//! 2. among the knees, those within noise of the fastest (intervals overlap
//!    or medians within the tolerance), the one with the **fewest workers**,
//!    ties broken by [`Kind::SIMPLEST_FIRST`](crate::tune::config::Kind::SIMPLEST_FIRST);
//! 3. that setting is recommended only if it has **more than one worker**
//!    and is **clearly faster than sequential** (its same-round speedup
//!    interval lies wholly above 1 + tolerance); otherwise the
//!    recommendation is `sequential` and the note says how close the best
//!    concurrent setting came (one worker is no concurrency, whatever noise
//!    made its speedup look like).

pub mod build;
pub mod compare;

use serde::{Deserialize, Serialize};

use super::knee::CurveShape;
use super::sweep::Skip;
use crate::results::{row::round, Machine};
use crate::stats::Estimate;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadId;

/// Value of [`Profile::format`].
pub const PROFILE_FORMAT: &str = "iolab-tuning-profile";
/// Value of [`Profile::version`]; profiles of a later version are refused.
pub const PROFILE_VERSION: u32 = 1;

/// A machine's tuning profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`PROFILE_FORMAT`].
    pub format: String,
    /// Schema version.
    pub version: u32,
    /// RFC 3339 time the profile was written.
    pub created_at: String,
    /// iolab's version.
    pub iolab_version: String,
    /// The sweep's run folder (curves, rounds, `tuning.json`).
    pub run_dir: String,
    /// The command line of the sweep.
    pub command_line: String,
    /// The budget, seconds.
    pub budget_s: f64,
    /// Wall seconds the whole command took.
    pub elapsed_s: f64,
    /// How the sweep measured.
    pub settings: Settings,
    /// The machine and the storage under the corpus.
    pub machine: Machine,
    /// One entry per workload, in the order tuned.
    pub workloads: Vec<WorkloadProfile>,
    /// What was not measured and why.
    pub skipped: Vec<Skip>,
}

/// How the sweep measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Named corpus scale (`quick`, `default`, `seed`).
    pub scale: String,
    /// Corpus files.
    pub files: u32,
    /// Lines per file.
    pub lines: u32,
    /// Values per line.
    pub values: u32,
    /// Cache state of every measurement.
    pub cache: String,
    /// The storage every measurement ran on (`tune --storage`); absent
    /// for the data folder, as in profiles from before it.
    #[serde(default, skip_serializing_if = "crate::storage::Storage::is_data_dir")]
    pub storage: crate::storage::Storage,
    /// Measured repetitions per point the sweep planned with.
    pub reps: u32,
    /// `--reps` as asked.
    pub reps_requested: u32,
    /// Why `reps` is below `reps_requested` (absent when it is not).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reps_note: String,
    /// Warm-ups per point.
    pub warmup: u32,
    /// Knee tolerance (fraction).
    pub tolerance: f64,
    /// Largest worker count allowed.
    pub max_workers: u32,
    /// Logical CPUs the sweep planned for.
    pub cores: u32,
    /// Bootstrap and shuffle seed.
    pub seed: u64,
}

/// One workload's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadProfile {
    /// Workload.
    pub workload: WorkloadId,
    /// Variant label (its knobs).
    pub variant: String,
    /// `ok`, or `not measured` (see `note` and the skipped list).
    pub status: String,
    /// What the numbers mean here, in words.
    pub note: String,
    /// Other strategies' knees within noise of the recommendation.
    pub within_noise: Vec<String>,
    /// The recommendation.
    pub recommended: Option<Choice>,
    /// The sequential baseline of the round the recommendation comes from.
    pub sequential: Option<Throughput>,
    /// Present when the sequential baseline moved between this workload's
    /// rounds beyond its intervals: the machine drifted during the sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Each swept strategy's knee.
    pub strategies: Vec<Choice>,
}

/// How far the sequential baseline moved between a workload's rounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Lowest round median, MB/s.
    pub min_mb_per_s: f64,
    /// Highest round median, MB/s.
    pub max_mb_per_s: f64,
    /// Rounds that measured the baseline.
    pub rounds: u32,
}

/// The baseline's drift across rounds: `Some` when two rounds' intervals
/// do not overlap.
pub fn drift(baselines: &[Estimate]) -> Option<Drift> {
    let apart = baselines
        .iter()
        .any(|a| baselines.iter().any(|b| !a.ci.overlaps(&b.ci)));
    if !apart {
        return None;
    }
    let medians = baselines.iter().map(|e| e.point);
    Some(Drift {
        min_mb_per_s: round(medians.clone().fold(f64::INFINITY, f64::min), 3),
        max_mb_per_s: round(medians.fold(f64::NEG_INFINITY, f64::max), 3),
        rounds: baselines.len() as u32,
    })
}

/// A throughput with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Median MB/s.
    pub mb_per_s: f64,
    /// Interval, low.
    pub mb_per_s_low: f64,
    /// Interval, high.
    pub mb_per_s_high: f64,
}

impl From<Estimate> for Throughput {
    fn from(e: Estimate) -> Throughput {
        Throughput {
            mb_per_s: round(e.point, 3),
            mb_per_s_low: round(e.ci.low, 3),
            mb_per_s_high: round(e.ci.high, 3),
        }
    }
}

/// A strategy at a setting with what was measured there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Strategy (`sequential` when nothing concurrent was clearly faster).
    pub strategy: StrategyKind,
    /// Label, e.g. `threads(4)` or `nested(2×4)`.
    pub setting: String,
    /// Total concurrency.
    pub workers: u32,
    /// Worker processes.
    pub processes: u32,
    /// Threads per process.
    pub threads: u32,
    /// Expected throughput: median MB/s.
    pub mb_per_s: f64,
    /// Its 95 % interval, low.
    pub mb_per_s_low: f64,
    /// Its 95 % interval, high.
    pub mb_per_s_high: f64,
    /// Speedup over sequential (same round), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    /// Its interval, low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_low: Option<f64>,
    /// Its interval, high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_high: Option<f64>,
    /// Shape of the strategy's curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<CurveShape>,
    /// Points the strategy's sweep measured.
    #[serde(default)]
    pub points: u32,
    /// Largest total concurrency it tried.
    #[serde(default)]
    pub largest: u32,
    /// Why its sweep stopped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop: String,
}

impl Choice {
    /// The expected throughput as an estimate.
    pub fn estimate(&self) -> Estimate {
        Estimate {
            point: self.mb_per_s,
            ci: crate::stats::Interval {
                low: self.mb_per_s_low,
                high: self.mb_per_s_high,
                level: 0.95,
            },
        }
    }

    /// `1.91× [1.70 … 2.10]`, or `—` without a speedup.
    pub fn speedup_text(&self) -> String {
        match (self.speedup, self.speedup_low, self.speedup_high) {
            (Some(s), Some(l), Some(h)) => format!("{s:.2}× [{l:.2} … {h:.2}]"),
            (Some(s), _, _) => format!("{s:.2}×"),
            _ => "—".into(),
        }
    }

    /// `1203.1 [1150.2 … 1250.0]`.
    pub fn throughput_text(&self) -> String {
        with_interval(self.mb_per_s, self.mb_per_s_low, self.mb_per_s_high, 1)
    }
}

/// Whether two throughputs cannot be told apart: their intervals overlap or
/// their medians differ by at most `tolerance` of the larger (the rule of
/// [`super::knee`]).
pub fn indistinguishable(a: &Estimate, b: &Estimate, tolerance: f64) -> bool {
    a.ci.overlaps(&b.ci)
        || (a.point - b.point).abs() <= tolerance * a.point.abs().max(b.point.abs())
}

impl Profile {
    /// The first entry of workload `id` (its only one unless it was tuned
    /// at several settings of its knobs).
    pub fn workload(&self, id: WorkloadId) -> Option<&WorkloadProfile> {
        self.workloads.iter().find(|w| w.workload == id)
    }

    /// The entry of workload `id` with knobs `variant` (its variant
    /// label): each combination of knob values is tuned apart.
    pub fn entry(&self, id: WorkloadId, variant: &str) -> Option<&WorkloadProfile> {
        self.workloads
            .iter()
            .find(|w| w.workload == id && w.variant == variant)
    }

    /// How `w` reads in a table: its name, and its knobs when the profile
    /// holds the workload at more than one setting of them
    /// (`gzip level=9`).
    pub fn label(&self, w: &WorkloadProfile) -> String {
        let several = self
            .workloads
            .iter()
            .filter(|o| o.workload == w.workload)
            .count()
            > 1;
        if several {
            format!("{} {}", w.workload, w.variant)
        } else {
            w.workload.to_string()
        }
    }
}

/// `1203.1 [1150.2 … 1250.0]`: a median and its interval with `digits`
/// decimals.
pub fn with_interval(median: f64, low: f64, high: f64, digits: usize) -> String {
    format!("{median:.digits$} [{low:.digits$} … {high:.digits$}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_median_then_bounds() {
        assert_eq!(with_interval(1.0, 0.5, 1.25, 2), "1.00 [0.50 … 1.25]");
    }
}
