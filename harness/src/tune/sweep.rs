//! Running the sweep: per workload a probe, then rounds until every
//! strategy's sweep is done or the budget says stop.
//!
//! Owns: the order of work and what each round's results mean for each
//! strategy. Does not own: which settings come next (`super::planner`), the
//! costs (`super::budget`), executing a plan (`crate::runner`, behind
//! [`RoundRunner`] so the orchestration can be tested with scripted
//! results), or the files written after each round (`super::record`).
//!
//! Steps for each workload, which gets an equal share of the budget left
//! (a workload that finishes early leaves its time to the next):
//! 1. **probe**: the sequential baseline alone, 2 repetitions and no warm-up,
//!    to learn what a repetition costs here ([`CostModel`]);
//! 2. **admit** strategies in `--strategy` order while their expected sweeps
//!    fit the share ([`admit`]); the others wait, and are skipped with their
//!    estimate when the share runs out;
//! 3. **rounds**: one [`Plan`] holds the sequential baseline and the next
//!    proposed setting(s) of every admitted strategy, repetitions
//!    interleaved, so every speedup is measured against the baseline of the
//!    same round; points that do not fit the time left are dropped
//!    ([`fit`]) and their strategy stops there, saying so.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::budget::{self, admit, fit, human_s, Budget, CostModel, Demand};
use super::config::{Kind, TuneConfig};
use super::knee::CurveShape;
use super::planner::{first_cells, first_counts, GridCaps, Phase, Setting, SweepState};
use crate::experiment::{Order, Plan, Scenario};
use crate::results::{Row, RunMeta, SummaryRow};
use crate::stats::{Estimate, Interval};
use crate::strategy::Strategy;
use crate::workload::Workload;

/// Repetitions of the probe round.
pub const PROBE_REPS: u32 = 2;

/// A workload is not begun with fewer seconds than this left.
pub const MIN_START_S: f64 = 1.0;

/// Executes one round's plan. The live implementation is
/// [`super::LiveRunner`]; tests script one.
pub trait RoundRunner {
    /// Run `plan` as the run `run_id`.
    ///
    /// # Errors
    /// Harness failures (corpus, result files); failed scenarios come back
    /// as rows.
    fn run(&mut self, plan: &Plan, run_id: &str) -> anyhow::Result<RoundResult>;
}

/// What a round produced.
#[derive(Clone, Debug, Default)]
pub struct RoundResult {
    /// Its run folder.
    pub dir: PathBuf,
    /// One summary row per scenario.
    pub summary: Vec<SummaryRow>,
    /// Every repetition's row, warm-ups included.
    pub rows: Vec<Row>,
    /// Its `run.json`.
    pub meta: Option<RunMeta>,
    /// Seconds the round took, everything included.
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

    fn end(&mut self, why: impl Into<String>) {
        self.status = Status::Ended(why.into());
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
}

/// A round as run.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundInfo {
    /// 1-based, across the whole sweep.
    pub index: u32,
    /// Its workload's name.
    pub workload: String,
    /// Whether it was the probe.
    pub probe: bool,
    /// Run identifier (folder name under `rounds/`).
    pub run_id: String,
    /// Strategy labels measured besides the baseline.
    pub settings: Vec<String>,
    /// Estimated seconds (with safety), when there was an estimate.
    pub estimate_s: Option<f64>,
    /// Seconds it took (0 until finished).
    pub elapsed_s: f64,
}

/// Something the sweep did not measure, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skip {
    /// Workload name.
    pub workload: String,
    /// Strategy name.
    pub strategy: String,
    /// The setting not measured (`threads(16)`), or empty for a whole sweep.
    pub setting: String,
    /// Why.
    pub reason: String,
}

/// The whole sweep.
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    /// One entry per workload begun.
    pub workloads: Vec<WorkloadSweep>,
    /// Rounds run.
    pub rounds: Vec<RoundInfo>,
    /// What was not measured.
    pub skipped: Vec<Skip>,
    /// Rows of every round, for the merged run folder.
    pub rows: Vec<Row>,
    /// `run.json` of every round.
    pub metas: Vec<RunMeta>,
    /// The scenarios of every round.
    pub scenarios: Vec<Scenario>,
}

/// Everything a sweep step needs besides the sweep itself.
pub struct Context<'a> {
    /// The configuration.
    pub cfg: &'a TuneConfig,
    /// Executes rounds.
    pub runner: &'a mut dyn RoundRunner,
    /// Hears about rounds.
    pub observer: &'a mut dyn Observer,
    /// The budget, charged as rounds finish.
    pub budget: Budget,
}

/// Run the sweep over every configured workload.
///
/// # Errors
/// Harness failures of a round or of the observer.
pub fn run(ctx: &mut Context) -> anyhow::Result<Sweep> {
    let mut sweep = Sweep::default();
    let n = ctx.cfg.workloads.len();
    for (i, workload) in ctx.cfg.workloads.iter().enumerate() {
        let share = ctx.budget.available_s() / (n - i) as f64;
        let ws = new_workload(ctx.cfg, workload, &mut sweep.skipped);
        sweep.workloads.push(ws);
        let wi = sweep.workloads.len() - 1;
        tune_workload(ctx, &mut sweep, wi, share)?;
    }
    Ok(sweep)
}

fn new_workload(cfg: &TuneConfig, workload: &Workload, skipped: &mut Vec<Skip>) -> WorkloadSweep {
    let mut strategies = Vec::new();
    for kind in &cfg.kinds {
        let probe = kind.strategy(Setting::Workers(1));
        if let Some(why) = probe.incompatibility(workload) {
            skipped.push(Skip {
                workload: workload.name().into(),
                strategy: kind.name().into(),
                setting: String::new(),
                reason: why,
            });
            continue;
        }
        strategies.push(StrategySweep {
            kind: *kind,
            state: SweepState::new(kind.is_grid()),
            points: Vec::new(),
            status: Status::Pending,
        });
    }
    WorkloadSweep {
        workload: workload.clone(),
        strategies,
        baselines: BTreeMap::new(),
    }
}

/// Probe, then rounds until nothing is left to measure or the share is spent.
fn tune_workload(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    share: f64,
) -> anyhow::Result<()> {
    let end = ctx.budget.spent().as_secs_f64() + share;
    let mut cost = CostModel::default();
    if sweep.workloads[wi].strategies.is_empty() {
        return Ok(());
    }
    if ctx.budget.available_s() < MIN_START_S {
        skip_pending(sweep, wi, "the budget was spent before this workload began");
        return Ok(());
    }
    let Some(base_wall) = probe(ctx, sweep, wi, &mut cost)? else {
        return Ok(());
    };
    loop {
        let allowance = (end - ctx.budget.spent().as_secs_f64()).min(ctx.budget.available_s());
        let ws = &mut sweep.workloads[wi];
        admit_pending(ctx.cfg, ws, &cost, base_wall, allowance);
        let mut candidates = next_candidates(ctx.cfg, ws, &cost, base_wall);
        if candidates.is_empty() {
            // Sweeps that just ran out of settings make room for waiting ones.
            admit_pending(ctx.cfg, ws, &cost, base_wall, allowance);
            candidates = next_candidates(ctx.cfg, ws, &cost, base_wall);
        }
        if candidates.is_empty() {
            let why = format!(
                "budget: its expected sweep did not fit the {} left for {}",
                human_s(allowance),
                sweep.workloads[wi].workload.name()
            );
            skip_pending(sweep, wi, &why);
            return Ok(());
        }
        let base = cost.fixed_s() + cost.scenario_s(base_wall, ctx.cfg.reps + ctx.cfg.warmup);
        let costs: Vec<(usize, f64)> = candidates.iter().map(|c| (c.0, c.2)).collect();
        let fitted = fit(base, &costs, allowance);
        drop_unfitted(sweep, wi, &candidates, &fitted.dropped, allowance);
        if fitted.kept.is_empty() {
            skip_pending(sweep, wi, "budget: no time left for this workload");
            return Ok(());
        }
        let kept: Vec<(usize, Setting)> = fitted
            .kept
            .iter()
            .map(|&i| (candidates[i].0, candidates[i].1))
            .collect();
        sweep_round(ctx, sweep, wi, &kept, fitted.estimate_s, &mut cost)?;
    }
}

/// The probe round; returns the baseline's median wall seconds, or `None`
/// (with every strategy skipped) when the baseline did not run.
fn probe(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    cost: &mut CostModel,
) -> anyhow::Result<Option<f64>> {
    let cfg = ctx.cfg;
    let workload = sweep.workloads[wi].workload.clone();
    let baseline = Scenario::new("tune", workload, Strategy::Sequential, cfg.cache);
    let plan = plan(
        cfg,
        vec![baseline.clone()],
        PROBE_REPS,
        0,
        sweep.rounds.len(),
    );
    let result = execute(ctx, sweep, wi, &plan, Vec::new(), None, true)?;
    cost.learn(&result.rows, result.elapsed_s);
    let row = result.summary.iter().find(|r| r.scenario_id == baseline.id);
    match row {
        Some(r) if r.status == "ok" => Ok(Some(r.wall_median_s)),
        other => {
            let why = other.map_or("no result".to_string(), |r| {
                format!("{}: {}", r.status, r.detail)
            });
            skip_pending(
                sweep,
                wi,
                &format!("the sequential baseline did not run ({why})"),
            );
            Ok(None)
        }
    }
}

/// A round of the baseline plus `kept` (strategy index, setting).
fn sweep_round(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    kept: &[(usize, Setting)],
    estimate_s: f64,
    cost: &mut CostModel,
) -> anyhow::Result<()> {
    let cfg = ctx.cfg;
    let ws = &sweep.workloads[wi];
    let mut scenarios = vec![Scenario::new(
        "tune",
        ws.workload.clone(),
        Strategy::Sequential,
        cfg.cache,
    )];
    let mut labels = Vec::new();
    let mut ids = Vec::new();
    for &(si, setting) in kept {
        let kind = ws.strategies[si].kind;
        let s = Scenario::new(
            "tune",
            ws.workload.clone(),
            kind.strategy(setting),
            cfg.cache,
        );
        ids.push((si, setting, s.id.clone()));
        labels.push(kind.label(setting));
        scenarios.push(s);
    }
    let plan = plan(cfg, scenarios, cfg.reps, cfg.warmup, sweep.rounds.len());
    let result = execute(ctx, sweep, wi, &plan, labels, Some(estimate_s), false)?;
    cost.learn(&result.rows, result.elapsed_s);
    let round = sweep.rounds.len() as u32;
    let strategies = &mut sweep.workloads[wi].strategies;
    for (si, setting, id) in &ids {
        let row = result.summary.iter().find(|r| &r.scenario_id == id);
        record_point(&mut strategies[*si], *setting, row, round);
    }
    let mut touched: Vec<usize> = ids.iter().map(|i| i.0).collect();
    touched.dedup();
    for si in touched {
        advance(ctx.cfg, &mut strategies[si]);
    }
    notify(ctx, sweep)
}

/// Tell the observer a round finished, charging the time it takes.
fn notify(ctx: &mut Context, sweep: &Sweep) -> anyhow::Result<()> {
    let t = Instant::now();
    let result = ctx.observer.round_finished(sweep);
    ctx.budget.charge(t.elapsed());
    result
}

/// Run `plan` as the next round: announce it, charge the budget, keep its
/// rows and record the baseline.
fn execute(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    plan: &Plan,
    settings: Vec<String>,
    estimate_s: Option<f64>,
    probe: bool,
) -> anyhow::Result<RoundResult> {
    let index = sweep.rounds.len() as u32 + 1;
    let name = sweep.workloads[wi].workload.name();
    let run_id = format!("r{index:02}-{name}{}", if probe { "-probe" } else { "" });
    let mut info = RoundInfo {
        index,
        workload: name.into(),
        probe,
        run_id: run_id.clone(),
        settings,
        estimate_s,
        elapsed_s: 0.0,
    };
    ctx.observer.round_starting(&info, ctx.budget.available_s());
    let result = ctx.runner.run(plan, &run_id)?;
    ctx.budget
        .charge(Duration::from_secs_f64(result.elapsed_s.max(0.0)));
    info.elapsed_s = result.elapsed_s;
    sweep.rounds.push(info);
    sweep.rows.extend(result.rows.iter().cloned());
    sweep.metas.extend(result.meta.clone());
    sweep.scenarios.extend(plan.scenarios.iter().cloned());
    let base_id = plan
        .scenarios
        .iter()
        .find(|s| s.strategy == Strategy::Sequential);
    if let Some(row) = base_id.and_then(|b| result.summary.iter().find(|r| r.scenario_id == b.id)) {
        if row.status == "ok" {
            sweep.workloads[wi].baselines.insert(index, throughput(row));
        }
    }
    if probe {
        notify(ctx, sweep)?;
    }
    Ok(result)
}

fn plan(
    cfg: &TuneConfig,
    mut scenarios: Vec<Scenario>,
    reps: u32,
    warmup: u32,
    round: usize,
) -> Plan {
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    Plan {
        scenarios,
        corpus: cfg.corpus.clone(),
        reps,
        warmup,
        order: match cfg.order {
            Order::Interleaved { seed } => Order::Interleaved {
                seed: seed.wrapping_add(round as u64),
            },
            Order::Sequential => Order::Sequential,
        },
        settle: cfg.settle,
        cold_method: cfg.cold_method,
        bootstrap_seed: cfg.seed,
    }
}

/// A summary row's throughput as an estimate (the interval widened to hold
/// the median if rounding put it outside).
pub fn throughput(r: &SummaryRow) -> Estimate {
    Estimate {
        point: r.mb_per_s,
        ci: Interval {
            low: r.mb_per_s_ci_low.min(r.mb_per_s),
            high: r.mb_per_s_ci_high.max(r.mb_per_s),
            level: 0.95,
        },
    }
}

fn speedup(r: &SummaryRow) -> Option<Estimate> {
    let (point, low, high) = (r.speedup?, r.speedup_ci_low?, r.speedup_ci_high?);
    Some(Estimate {
        point,
        ci: Interval {
            low: low.min(point),
            high: high.max(point),
            level: 0.95,
        },
    })
}

/// Record one point's result; a point that did not run and verify ends the
/// strategy's sweep with the reason.
fn record_point(s: &mut StrategySweep, setting: Setting, row: Option<&SummaryRow>, round: u32) {
    let label = s.kind.label(setting);
    match row {
        Some(r) if r.status == "ok" => {
            let t = throughput(r);
            s.state.record(setting, t);
            s.points.push(Point {
                setting,
                throughput: t,
                speedup: speedup(r),
                wall_s: r.wall_median_s,
                round,
                scenario_id: r.scenario_id.clone(),
            });
        }
        Some(r) => s.end(format!("{label} {}: {}", r.status, r.detail)),
        None => s.end(format!("{label}: no result")),
    }
}

/// After a round: move an active sweep on, ending it when the planner has
/// nothing left.
fn advance(cfg: &TuneConfig, s: &mut StrategySweep) {
    if s.status == Status::Active {
        s.state.advance(&cfg.limits);
        if s.state.phase == Phase::Done {
            let why = s.state.why_done(&cfg.limits);
            s.end(why);
        }
    }
}

/// Admit pending strategies that fit the allowance (the first one if its
/// first round fits, when none is active).
fn admit_pending(
    cfg: &TuneConfig,
    ws: &mut WorkloadSweep,
    cost: &CostModel,
    base_wall: f64,
    allowance: f64,
) {
    let reps = cfg.reps + cfg.warmup;
    let scenario = cost.scenario_s(base_wall, reps);
    let round_base = cost.fixed_s() + scenario;
    let pending: Vec<usize> = (0..ws.strategies.len())
        .filter(|&i| ws.strategies[i].status == Status::Pending)
        .collect();
    let active = ws.strategies.iter().any(|s| s.status == Status::Active);
    let demands: Vec<Demand> = pending
        .iter()
        .map(|&i| demand(cfg, ws.strategies[i].kind))
        .collect();
    for j in admit(&demands, scenario, round_base, allowance, !active) {
        ws.strategies[pending[j]].status = Status::Active;
    }
}

/// What a whole sweep of `kind` is expected to measure: the doublings up to
/// twice the cores (or the cap) plus one refinement point, or the first
/// grid cells plus one climb.
pub fn demand(cfg: &TuneConfig, kind: Kind) -> Demand {
    let lim = &cfg.limits;
    if kind.is_grid() {
        let first = first_cells(&GridCaps::for_machine(lim.cores, lim.max_workers)).len() as u32;
        return Demand {
            points: first + 2,
            first_points: first,
            rounds: 2,
        };
    }
    let first = first_counts(lim.max_workers).len() as u32;
    let top = lim.max_workers.min(lim.cores.saturating_mul(2)).max(1);
    let doublings = 32 - top.leading_zeros(); // 1, 2, 4 … up to top
    let points = doublings.max(first) + 1;
    Demand {
        points,
        first_points: first,
        rounds: points - first + 1,
    }
}

/// The next settings of every active strategy, with their estimated cost:
/// `(strategy index, setting, seconds)`, strategies in priority order. An
/// active strategy with nothing to propose is ended.
fn next_candidates(
    cfg: &TuneConfig,
    ws: &mut WorkloadSweep,
    cost: &CostModel,
    base_wall: f64,
) -> Vec<(usize, Setting, f64)> {
    let reps = cfg.reps + cfg.warmup;
    let mut out = Vec::new();
    for (i, s) in ws.strategies.iter_mut().enumerate() {
        if s.status != Status::Active {
            continue;
        }
        let proposals = s.state.proposals(&cfg.limits);
        if proposals.is_empty() {
            let why = s.state.why_done(&cfg.limits);
            s.end(why);
        }
        for setting in proposals {
            let wall = nearest_wall(&s.points, setting).unwrap_or(base_wall);
            out.push((i, setting, cost.scenario_s(wall, reps)));
        }
    }
    out
}

/// The wall time of the measured point nearest to `setting` (by the ratio
/// of total concurrency).
fn nearest_wall(points: &[Point], setting: Setting) -> Option<f64> {
    let target = f64::from(setting.total().max(1)).log2();
    points
        .iter()
        .min_by(|a, b| {
            let da = (f64::from(a.setting.total().max(1)).log2() - target).abs();
            let db = (f64::from(b.setting.total().max(1)).log2() - target).abs();
            da.total_cmp(&db)
        })
        .map(|p| p.wall_s)
}

fn drop_unfitted(
    sweep: &mut Sweep,
    wi: usize,
    candidates: &[(usize, Setting, f64)],
    dropped: &[usize],
    allowance: f64,
) {
    let ws = &mut sweep.workloads[wi];
    for &i in dropped {
        let (si, setting, cost) = candidates[i];
        let s = &mut ws.strategies[si];
        let label = s.kind.label(setting);
        let reason = format!(
            "budget: about {} with the baseline did not fit the {} left",
            human_s(budget::SAFETY * cost),
            human_s(allowance)
        );
        sweep.skipped.push(Skip {
            workload: ws.workload.name().into(),
            strategy: s.kind.name().into(),
            setting: label.clone(),
            reason: reason.clone(),
        });
        if s.status == Status::Active {
            s.end(format!("stopped before {label}: {reason}"));
        }
    }
}

fn skip_pending(sweep: &mut Sweep, wi: usize, why: &str) {
    let ws = &mut sweep.workloads[wi];
    for s in &mut ws.strategies {
        if s.status == Status::Pending || (s.status == Status::Active && s.points.is_empty()) {
            sweep.skipped.push(Skip {
                workload: ws.workload.name().into(),
                strategy: s.kind.name().into(),
                setting: String::new(),
                reason: why.into(),
            });
            s.end(format!("not swept: {why}"));
        } else if s.status == Status::Active {
            s.end(format!("stopped: {why}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Scale;
    use crate::measure::cache::{CacheState, ColdMethod};
    use crate::measure::quiet::Settle;
    use crate::tune::planner::Limits;
    use crate::workload::ReadSpec;

    /// Answers every round from a throughput function of the strategy, with
    /// repetitions of `wall + overhead` seconds and a fixed cost per round.
    struct Scripted {
        mb: fn(&Strategy) -> f64,
        wall: f64,
        overhead: f64,
        fixed: f64,
        plans: Vec<Vec<String>>,
    }

    impl RoundRunner for Scripted {
        fn run(&mut self, plan: &Plan, run_id: &str) -> anyhow::Result<RoundResult> {
            let per = plan.reps + plan.warmup;
            let mut rows = Vec::new();
            let mut summary = Vec::new();
            for (i, s) in plan.scenarios.iter().enumerate() {
                let mb = (self.mb)(&s.strategy);
                let seq = (self.mb)(&Strategy::Sequential);
                for rep in 0..per {
                    let order = rep * plan.scenarios.len() as u32 + i as u32;
                    let ms = (f64::from(order) * (self.wall + self.overhead) * 1000.0) as i64;
                    rows.push(Row {
                        order,
                        wall_s: self.wall,
                        started_at: chrono::DateTime::from_timestamp_millis(ms)
                            .unwrap()
                            .to_rfc3339(),
                        ..Row::default()
                    });
                }
                let sp = mb / seq;
                summary.push(SummaryRow {
                    scenario_id: s.id.clone(),
                    status: "ok".into(),
                    mb_per_s: mb,
                    mb_per_s_ci_low: mb * 0.97,
                    mb_per_s_ci_high: mb * 1.03,
                    wall_median_s: self.wall,
                    speedup: (s.strategy != Strategy::Sequential).then_some(sp),
                    speedup_ci_low: (s.strategy != Strategy::Sequential).then_some(sp * 0.95),
                    speedup_ci_high: (s.strategy != Strategy::Sequential).then_some(sp * 1.05),
                    ..SummaryRow::default()
                });
            }
            self.plans.push(
                std::iter::once(run_id.to_string())
                    .chain(plan.scenarios.iter().map(|s| s.strategy.to_string()))
                    .collect(),
            );
            let elapsed = rows.len() as f64 * (self.wall + self.overhead) + self.fixed;
            Ok(RoundResult {
                dir: PathBuf::from(run_id),
                summary,
                rows,
                meta: None,
                elapsed_s: elapsed,
            })
        }
    }

    struct Quiet;

    impl Observer for Quiet {
        fn round_starting(&mut self, _: &RoundInfo, _: f64) {}
        fn round_finished(&mut self, _: &Sweep) -> anyhow::Result<()> {
            Ok(())
        }
    }

    fn config(kinds: Vec<Kind>, budget_s: u64) -> TuneConfig {
        TuneConfig {
            workloads: vec![Workload::Read(ReadSpec::default())],
            kinds,
            budget: Duration::from_secs(budget_s),
            limits: Limits {
                cores: 2,
                max_workers: 64,
                tolerance: 0.05,
            },
            cache: CacheState::Warm,
            corpus: Scale::Quick.spec(),
            reps: 3,
            warmup: 1,
            order: Order::Sequential,
            settle: Settle::default(),
            cold_method: ColdMethod::Auto,
            seed: 1,
            data_dir: PathBuf::new(),
            out: PathBuf::new(),
            run_id: "t".into(),
            profiles: PathBuf::new(),
            compare: None,
            progress: false,
            scale: "quick".into(),
        }
    }

    /// Threads scale to 2 workers and then stay level; processes are flat.
    fn two_cores(s: &Strategy) -> f64 {
        match s {
            Strategy::Threads { workers } => 100.0 * f64::from((*workers).min(2)),
            _ => 100.0,
        }
    }

    fn sweep(cfg: &TuneConfig, runner: &mut Scripted) -> (Sweep, Budget) {
        let mut observer = Quiet;
        let mut ctx = Context {
            cfg,
            runner,
            observer: &mut observer,
            budget: Budget::new(cfg.budget),
        };
        let sweep = run(&mut ctx).unwrap();
        (sweep, ctx.budget)
    }

    fn scripted() -> Scripted {
        Scripted {
            mb: two_cores,
            wall: 1.0,
            overhead: 1.0,
            fixed: 1.0,
            plans: Vec::new(),
        }
    }

    #[test]
    fn an_ample_budget_sweeps_every_strategy_in_shared_rounds() {
        let cfg = config(vec![Kind::Threads, Kind::Processes], 3600);
        let mut runner = scripted();
        let (sweep, budget) = sweep(&cfg, &mut runner);
        // Probe, then one round with both strategies' first counts, then a
        // refinement between 2 and 4 for threads (knee at 2).
        assert_eq!(runner.plans.len(), 3, "{:?}", runner.plans);
        assert_eq!(runner.plans[0], vec!["r01-read-probe", "sequential"]);
        assert_eq!(runner.plans[1].len(), 1 + 1 + 6);
        assert_eq!(
            runner.plans[2],
            vec!["r03-read", "sequential", "threads(3)"]
        );
        let ws = &sweep.workloads[0];
        let threads = &ws.strategies[0];
        let (knee, shape) = threads.knee(0.05).unwrap();
        assert_eq!(knee.setting, Setting::Workers(2));
        assert_eq!(shape, CurveShape::Plateau);
        assert!(matches!(threads.status, Status::Ended(_)));
        let (knee, shape) = ws.strategies[1].knee(0.05).unwrap();
        assert_eq!(
            (knee.setting, shape),
            (Setting::Workers(1), CurveShape::Flat)
        );
        assert!(sweep.skipped.is_empty(), "{:?}", sweep.skipped);
        assert_eq!(ws.baselines.len(), 3);
        // Every round was charged: 2 + 7 × 4 + 2 × 4 repetitions of 2 s,
        // 1 s fixed each (and the observer's few microseconds).
        let spent = budget.spent().as_secs_f64();
        assert!((spent - (2.0 * 38.0 + 3.0)).abs() < 0.1, "{spent}");
    }

    #[test]
    fn a_tight_budget_admits_the_first_strategies_and_says_what_it_skipped() {
        // Probe: 2 × 2 s + 1 s = 5 s. Then a scenario costs 4 × 2 s = 8 s
        // and a round's base 9 s; threads' expected sweep (4 points, 2
        // rounds) is 18 + 32 = 50 s, 60 with safety; both would be 82 (98).
        let cfg = config(vec![Kind::Threads, Kind::Processes], 75);
        let mut runner = scripted();
        let (sweep, budget) = sweep(&cfg, &mut runner);
        let ws = &sweep.workloads[0];
        assert!(!ws.strategies[0].points.is_empty());
        assert!(ws.strategies[1].points.is_empty());
        assert_eq!(sweep.skipped.len(), 1, "{:?}", sweep.skipped);
        let skip = &sweep.skipped[0];
        assert_eq!(
            (skip.strategy.as_str(), skip.setting.as_str()),
            ("processes", "")
        );
        assert!(skip.reason.starts_with("budget"), "{}", skip.reason);
        assert!(budget.spent().as_secs_f64() <= 75.0, "{:?}", budget.spent());
    }

    fn rising(s: &Strategy) -> f64 {
        100.0 * f64::from(s.workers())
    }

    #[test]
    fn points_that_do_not_fit_are_dropped_and_named() {
        // 50 s: the probe (5 s) leaves 43; threads' first round (base 9 s +
        // 3 × 8 s, 39.6 s with safety) fits, the rising curve asks for 8
        // workers, which (20.4 s) does not fit the 10 s left.
        let cfg = config(vec![Kind::Threads], 50);
        let mut runner = Scripted {
            mb: rising,
            ..scripted()
        };
        let (sweep, budget) = sweep(&cfg, &mut runner);
        assert_eq!(runner.plans.len(), 2);
        let skipped: Vec<&str> = sweep.skipped.iter().map(|s| s.setting.as_str()).collect();
        assert_eq!(skipped, vec!["threads(8)"], "{:?}", sweep.skipped);
        let threads = &sweep.workloads[0].strategies[0];
        assert!(
            threads
                .stop_reason()
                .starts_with("stopped before threads(8): budget"),
            "{}",
            threads.stop_reason()
        );
        let (knee, shape) = threads.knee(0.05).unwrap();
        assert_eq!(
            (knee.setting, shape),
            (Setting::Workers(4), CurveShape::RisingAtCap)
        );
        assert!(budget.spent().as_secs_f64() <= 50.0);
    }

    #[test]
    fn a_strategy_whose_first_round_cannot_fit_is_skipped_whole() {
        // 40 s: after the probe 33 s are left, less than the 39.6 s the
        // first round needs.
        let cfg = config(vec![Kind::Threads], 40);
        let mut runner = scripted();
        let (sweep, _) = sweep(&cfg, &mut runner);
        assert_eq!(runner.plans.len(), 1);
        assert_eq!(sweep.skipped.len(), 1);
        assert!(sweep.skipped[0]
            .reason
            .contains("did not fit the 33 s left"));
        assert!(sweep.workloads[0].strategies[0].points.is_empty());
    }
}
