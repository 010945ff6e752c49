//! Sweeping: running the rounds of every workload's strategies and what
//! their results mean. This module owns the types of a sweep's state
//! ([`Sweep`] and its parts) and the seam to the runner ([`PlanRunner`],
//! [`Observer`]); [`passes`] decides which workload and strategy get time,
//! [`round`] runs one round, [`folder`] writes the run folders. Does not
//! own: which settings come next (`crate::tune::plan`), the costs
//! (`crate::tune::plan::budget`), executing a plan (`crate::runner`, behind
//! [`PlanRunner`] so the orchestration is tested with scripted results), or
//! `tuning.json` (`crate::tune::files::record`).

pub mod folder;
pub mod passes;
pub mod round;
#[cfg(test)]
mod tests;

pub use passes::run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::experiment::{Plan, Scenario};
use crate::results::{Row, RunMeta, SummaryRow};
use crate::stats::Estimate;
use crate::strategy::StrategyKind;
use crate::tune::config::{Kind, TuneConfig};
use crate::tune::knee::CurveShape;
use crate::tune::plan::budget::{Budget, CostModel};
use crate::tune::plan::{Setting, SweepState};
use crate::workload::{Workload, WorkloadId};

/// Executes one plan. The live implementation is [`super::LiveRunner`];
/// tests script one.
pub trait PlanRunner {
    /// Run `plan` into `folder` (relative to the sweep's run folder, e.g.
    /// `rounds/r03-read/rep-1`).
    ///
    /// # Errors
    /// Harness failures (corpus, result files); failed scenarios come back
    /// as rows.
    fn run(&mut self, plan: &Plan, folder: &Path) -> anyhow::Result<PlanResult>;
}

/// What running one plan produced.
#[derive(Clone, Debug, Default)]
pub struct PlanResult {
    /// Its run folder.
    pub dir: PathBuf,
    /// One summary row per scenario.
    pub summary: Vec<SummaryRow>,
    /// Every repetition's row, warm-ups included.
    pub rows: Vec<Row>,
    /// Its `run.json`.
    pub meta: Option<RunMeta>,
    /// Seconds it took, everything included.
    pub elapsed_s: f64,
}

/// Hears about the sweep as it goes: the live one prints and rewrites the
/// sweep's files after every round.
pub trait Observer {
    /// A round is about to start.
    fn round_starting(&mut self, info: &RoundInfo, available_s: f64);
    /// A round finished and `sweep` includes it.
    ///
    /// # Errors
    /// When the sweep's files cannot be written.
    fn round_finished(&mut self, sweep: &Sweep) -> anyhow::Result<()>;
}

/// One measured point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The setting measured.
    pub setting: Setting,
    /// Throughput, MB/s, median with its interval.
    pub throughput: Estimate,
    /// Speedup over the sequential baseline of the same round.
    pub speedup: Option<Estimate>,
    /// Median wall seconds of a repetition.
    pub wall_s: f64,
    /// Measured repetitions behind it.
    pub reps: u32,
    /// Round it was measured in.
    pub round: u32,
    /// Its scenario identifier.
    pub scenario_id: String,
}

/// Where a strategy's sweep stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not admitted yet.
    Pending,
    /// Being swept.
    Active,
    /// Finished, with why it stopped.
    Ended(String),
}

/// One strategy's sweep for one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySweep {
    /// The strategy.
    pub kind: Kind,
    /// Planner state (measured throughputs and phase).
    pub state: SweepState,
    /// Measured points, in the order measured.
    pub points: Vec<Point>,
    /// Where it stands.
    pub status: Status,
}

impl StrategySweep {
    /// A sweep not admitted yet.
    pub fn new(kind: Kind) -> StrategySweep {
        StrategySweep {
            kind,
            state: SweepState::new(kind.is_grid()),
            points: Vec::new(),
            status: Status::Pending,
        }
    }

    /// Why the sweep stopped (empty while it runs).
    pub fn stop_reason(&self) -> &str {
        match &self.status {
            Status::Ended(why) => why,
            _ => "",
        }
    }

    /// The knee of the sweep's curve: the point recommended for this
    /// strategy and the curve's shape; `None` before anything was measured.
    pub fn knee(&self, tolerance: f64) -> Option<(&Point, CurveShape)> {
        let (setting, knee) = self.state.knee(tolerance)?;
        let point = self.points.iter().find(|p| p.setting == setting)?;
        Some((point, knee.shape))
    }

    /// The largest total concurrency measured (0 before any).
    pub fn largest(&self) -> u32 {
        self.points
            .iter()
            .map(|p| p.setting.total())
            .max()
            .unwrap_or(0)
    }

    /// End the sweep with a reason (kept if it has ended already).
    pub fn end(&mut self, why: impl Into<String>) {
        if !matches!(self.status, Status::Ended(_)) {
            self.status = Status::Ended(why.into());
        }
    }
}

/// All strategies' sweeps for one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSweep {
    /// The workload.
    pub workload: Workload,
    /// Its strategies in `--strategy` order (incompatible ones left out).
    pub strategies: Vec<StrategySweep>,
    /// The sequential baseline of each round (round number → MB/s).
    pub baselines: BTreeMap<u32, Estimate>,
    /// What its repetitions cost, learned from its rounds.
    pub cost: CostModel,
    /// Median wall seconds of the sequential baseline in the probe; `None`
    /// before the probe or when the baseline did not run.
    pub base_wall: Option<f64>,
    /// Whether the probe has run.
    pub probed: bool,
}

/// A round as run.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundInfo {
    /// 1-based, across the whole sweep.
    pub index: u32,
    /// Its workload.
    pub workload: WorkloadId,
    /// Whether it was the probe.
    pub probe: bool,
    /// Its folder, relative to the sweep folder (`rounds/r03-read`).
    pub folder: String,
    /// Strategy labels measured besides the baseline.
    pub settings: Vec<String>,
    /// Estimated seconds (with safety), when there was an estimate.
    pub estimate_s: Option<f64>,
    /// Measured repetitions (0 until finished).
    pub reps: u32,
    /// Seconds it took (0 until finished).
    pub elapsed_s: f64,
}

/// Something the sweep did not measure, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skip {
    /// Workload.
    pub workload: WorkloadId,
    /// Strategy.
    pub strategy: StrategyKind,
    /// The setting not measured (`threads(16)`), or empty for a whole sweep.
    pub setting: String,
    /// Why.
    pub reason: String,
}

/// The whole sweep.
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    /// One entry per configured workload.
    pub workloads: Vec<WorkloadSweep>,
    /// Rounds run.
    pub rounds: Vec<RoundInfo>,
    /// What was not measured.
    pub skipped: Vec<Skip>,
    /// Rows of every round, for the merged run folder.
    pub rows: Vec<Row>,
    /// `run.json` of every plan run.
    pub metas: Vec<RunMeta>,
    /// The scenarios of every round.
    pub scenarios: Vec<Scenario>,
    /// Measured repetitions per point the rounds plan with: `--reps`, or
    /// fewer (never below [`MIN_REPS`](crate::tune::config::MIN_REPS)) when the budget needs it.
    pub reps: u32,
    /// Why `reps` is below `--reps` (empty when it is not).
    pub reps_note: String,
}

impl Sweep {
    /// Record that `kind` at `setting` (or the whole sweep, `None`) of
    /// workload `wi` was not measured.
    pub fn skip(&mut self, wi: usize, kind: Kind, setting: Option<Setting>, reason: &str) {
        self.skipped.push(Skip {
            workload: self.workloads[wi].workload.id(),
            strategy: kind.strategy_kind(),
            setting: setting.map_or(String::new(), |s| kind.label(s)),
            reason: reason.into(),
        });
    }
}

/// Everything a sweep step needs besides the sweep itself.
pub struct Context<'a> {
    /// The configuration.
    pub cfg: &'a TuneConfig,
    /// Executes plans.
    pub runner: &'a mut dyn PlanRunner,
    /// Hears about rounds.
    pub observer: &'a mut dyn Observer,
    /// The budget, charged as plans finish.
    pub budget: Budget,
}

impl Context<'_> {
    /// Tell the observer a round finished, charging the time it takes.
    ///
    /// # Errors
    /// The observer's.
    pub fn notify(&mut self, sweep: &Sweep) -> anyhow::Result<()> {
        let t = Instant::now();
        let result = self.observer.round_finished(sweep);
        self.budget.charge(t.elapsed());
        result
    }

    /// Run `plan` into `folder` and charge the budget with its time.
    ///
    /// # Errors
    /// The runner's.
    pub fn run_plan(&mut self, plan: &Plan, folder: &Path) -> anyhow::Result<PlanResult> {
        let result = self.runner.run(plan, folder)?;
        let elapsed = Duration::from_secs_f64(result.elapsed_s.max(0.0));
        self.budget.charge(elapsed);
        Ok(result)
    }

    /// Seconds charged so far.
    pub fn spent_s(&self) -> f64 {
        self.budget.spent().as_secs_f64()
    }
}

/// The wall time expected at `setting`: that of the measured point nearest
/// to it (by the ratio of total concurrency), or the baseline's.
pub fn wall_guess(points: &[Point], setting: Setting, base_wall: f64) -> f64 {
    let target = f64::from(setting.total().max(1)).log2();
    points
        .iter()
        .min_by(|a, b| {
            let da = (f64::from(a.setting.total().max(1)).log2() - target).abs();
            let db = (f64::from(b.setting.total().max(1)).log2() - target).abs();
            da.total_cmp(&db)
        })
        .map_or(base_wall, |p| p.wall_s)
}

/// Strategy `si` of workload `wi` stops before `setting`, which is recorded
/// as skipped for `why`.
pub fn stop_at(sweep: &mut Sweep, wi: usize, si: usize, setting: Setting, why: &str) {
    let kind = sweep.workloads[wi].strategies[si].kind;
    sweep.skip(wi, kind, Some(setting), why);
    let label = kind.label(setting);
    sweep.workloads[wi].strategies[si].end(format!("stopped before {label}: {why}"));
}
