//! `tuning.json` in the sweep's run folder: the curves and knees for the
//! report's tuning section, rewritten after every round, so an interrupted
//! sweep leaves a consistent record (`"complete": false`).
//!
//! Owns: the `tuning.json` schema ([`TuningRecord`]) and writing it. Does
//! not own: the profile (`crate::tune::profile`) or the merged run folders
//! beside it (`crate::tune::sweep::folder`).
//!
//! The speedups here are the same-round ones tuning uses; the merged
//! `summary.csv` pools every round's baseline, so its speedups may differ
//! slightly.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::results::{self, row::round};
use crate::stats::Estimate;
use crate::strategy::StrategyKind;
use crate::tune::config::{shape_of, Kind, TuneConfig};
use crate::tune::knee::CurveShape;
use crate::tune::plan::Setting;
use crate::tune::sweep::{Point, Skip, StrategySweep, Sweep};
use crate::workload::WorkloadId;

/// File name of the sweep record.
pub const TUNING_JSON: &str = "tuning.json";
/// The most iolab reads of a `tuning.json` (a sweep's record is well
/// under a MiB).
pub const TUNING_JSON_MAX_BYTES: u64 = 64 << 20;
/// Value of [`TuningRecord::format`].
pub const TUNING_FORMAT: &str = "iolab-tuning-sweep";
/// Value of [`TuningRecord::version`].
pub const TUNING_VERSION: u32 = 1;

/// `tuning.json`: every point of every sweep, the knees and the rounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningRecord {
    /// Always [`TUNING_FORMAT`].
    pub format: String,
    /// Schema version ([`TUNING_VERSION`]).
    pub version: u32,
    /// The sweep's run identifier (its folder name).
    pub run_id: String,
    /// Whether the sweep finished (false while running or if interrupted).
    pub complete: bool,
    /// The profile written from it (`.toml` path), once written.
    pub profile: Option<String>,
    /// Logical CPUs the planner used.
    pub cores: u32,
    /// Knee tolerance (fraction).
    pub tolerance: f64,
    /// Measured repetitions per point the rounds planned with (a round may
    /// stop at 3 when it runs over; see each point's `reps`).
    pub reps: u32,
    /// `--reps` as asked.
    pub reps_requested: u32,
    /// Warm-up repetitions per point.
    pub warmup: u32,
    /// Cache state (`warm` or `cold`).
    pub cache: String,
    /// `--max-workers`.
    pub max_workers: u32,
    /// The budget, seconds.
    pub budget_s: f64,
    /// Seconds charged to the budget so far.
    pub spent_s: f64,
    /// Rounds in the order run.
    pub rounds: Vec<RoundRecord>,
    /// One entry per (workload, strategy) swept.
    pub sweeps: Vec<SweepRecord>,
    /// What was not measured and why.
    pub skipped: Vec<Skip>,
}

/// One round: a standard run folder under `rounds/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// 1-based round number.
    pub index: u32,
    /// Workload.
    pub workload: WorkloadId,
    /// Whether it was the cost probe (sequential only).
    pub probe: bool,
    /// Run folder, relative to the sweep folder (`rounds/r03-read`): a
    /// standard run folder merging its parts (`warmup/`, `rep-1/` …).
    pub run_dir: String,
    /// Settings measured besides the sequential baseline.
    pub settings: Vec<String>,
    /// Estimated seconds before it ran (none for a probe).
    pub estimate_s: Option<f64>,
    /// Measured repetitions per point (between 3 and `reps`; the budget
    /// may stop a round early).
    pub reps: u32,
    /// Seconds it took.
    pub elapsed_s: f64,
    /// The sequential baseline measured in it, MB/s.
    pub sequential: Option<Value>,
}

/// A median with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Value {
    /// Median.
    pub median: f64,
    /// Interval, low.
    pub ci_low: f64,
    /// Interval, high.
    pub ci_high: f64,
}

impl From<Estimate> for Value {
    fn from(e: Estimate) -> Value {
        Value {
            median: round(e.point, 4),
            ci_low: round(e.ci.low, 4),
            ci_high: round(e.ci.high, 4),
        }
    }
}

/// One (workload, strategy) sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    /// Workload.
    pub workload: WorkloadId,
    /// Workload variant label.
    pub variant: String,
    /// Strategy.
    pub strategy: StrategyKind,
    /// Whether points are processes × threads (nested).
    pub grid: bool,
    /// Every measured point, by total concurrency then processes.
    pub points: Vec<PointRecord>,
    /// The chosen knee (none when nothing was measured).
    pub knee: Option<KneeRecord>,
    /// Shape of the curve.
    pub shape: Option<CurveShape>,
    /// Why the sweep stopped.
    pub stop: String,
}

/// One measured point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    /// The setting and its throughput (written inline, the knee's fields).
    #[serde(flatten)]
    pub at: KneeRecord,
    /// Speedup over the sequential baseline of the same round.
    pub speedup: Option<Value>,
    /// Median wall seconds.
    pub wall_s: f64,
    /// Measured (verified) repetitions behind it.
    pub reps: u32,
    /// Round it was measured in.
    pub round: u32,
    /// Scenario identifier in the round's (and the merged) run folder.
    pub scenario_id: String,
    /// Whether it is on the curve the knee is chosen from (for nested: the
    /// best cell of its total; always true otherwise).
    pub on_curve: bool,
}

/// A setting and its throughput: the chosen knee of a sweep, and the first
/// fields of every point ([`PointRecord::at`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KneeRecord {
    /// Total concurrency (the x axis).
    pub workers: u32,
    /// Worker processes (1 for in-process strategies).
    pub processes: u32,
    /// Threads per process (1 for processes and io_uring).
    pub threads: u32,
    /// Label, e.g. `nested(2×4)`.
    pub setting: String,
    /// Throughput MB/s: median.
    pub mb_per_s: f64,
    /// Its 95 % interval, low.
    pub ci_low: f64,
    /// Its 95 % interval, high.
    pub ci_high: f64,
}

/// Describe `sweep` as `tuning.json`.
pub fn tuning_record(
    cfg: &TuneConfig,
    sweep: &Sweep,
    spent_s: f64,
    complete: bool,
    profile: Option<&Path>,
) -> TuningRecord {
    let mut sweeps = Vec::new();
    for ws in &sweep.workloads {
        for s in &ws.strategies {
            sweeps.push(sweep_record(
                cfg,
                ws.workload.id(),
                &ws.workload.variant_label(),
                s,
            ));
        }
    }
    let rounds = sweep
        .rounds
        .iter()
        .map(|r| RoundRecord {
            index: r.index,
            workload: r.workload,
            probe: r.probe,
            run_dir: r.folder.clone(),
            settings: r.settings.clone(),
            estimate_s: r.estimate_s.map(|e| round(e, 1)),
            reps: r.reps,
            elapsed_s: round(r.elapsed_s, 3),
            sequential: sweep
                .workloads
                .iter()
                .find_map(|w| w.baselines.get(&r.index))
                .map(|e| Value::from(*e)),
        })
        .collect();
    TuningRecord {
        format: TUNING_FORMAT.into(),
        version: TUNING_VERSION,
        run_id: cfg.run_id.clone(),
        complete,
        profile: profile.map(|p| p.display().to_string()),
        cores: cfg.limits.cores,
        tolerance: cfg.limits.tolerance,
        reps: sweep.reps,
        reps_requested: cfg.reps,
        warmup: cfg.warmup,
        cache: cfg.cache.as_str().into(),
        max_workers: cfg.limits.max_workers,
        budget_s: cfg.budget.as_secs_f64(),
        spent_s: round(spent_s, 3),
        rounds,
        sweeps,
        skipped: sweep.skipped.clone(),
    }
}

fn sweep_record(
    cfg: &TuneConfig,
    workload: WorkloadId,
    variant: &str,
    s: &StrategySweep,
) -> SweepRecord {
    let on_curve: Vec<Setting> = s.state.curve_settings().iter().map(|c| c.0).collect();
    let mut points: Vec<PointRecord> = s
        .points
        .iter()
        .map(|p| point_record(s.kind, p, on_curve.contains(&p.setting)))
        .collect();
    points.sort_by_key(|p| (p.at.workers, p.at.processes));
    let knee = s.knee(cfg.limits.tolerance);
    SweepRecord {
        workload,
        variant: variant.into(),
        strategy: s.kind.strategy_kind(),
        grid: s.kind.is_grid(),
        points,
        shape: knee.map(|k| k.1),
        knee: knee.map(|(p, _)| point_record(s.kind, p, true).at),
        stop: s.stop_reason().into(),
    }
}

fn point_record(kind: Kind, p: &Point, on_curve: bool) -> PointRecord {
    let (processes, threads) = shape_of(kind, p.setting);
    let v = Value::from(p.throughput);
    PointRecord {
        at: KneeRecord {
            workers: p.setting.total(),
            processes,
            threads,
            setting: kind.label(p.setting),
            mb_per_s: v.median,
            ci_low: v.ci_low,
            ci_high: v.ci_high,
        },
        speedup: p.speedup.map(Value::from),
        wall_s: p.wall_s,
        reps: p.reps,
        round: p.round,
        scenario_id: p.scenario_id.clone(),
        on_curve,
    }
}

/// Write `tuning.json` into the sweep folder `dir`.
///
/// # Errors
/// When the file cannot be written, naming it.
pub fn write_tuning(dir: &Path, record: &TuningRecord) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(record)?;
    text.push(b'\n');
    results::write_atomically(&dir.join(TUNING_JSON), &text)
}
