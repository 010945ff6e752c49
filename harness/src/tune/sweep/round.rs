//! One round of a sweep, run as parts so the budget is checked between
//! repetitions: a warm-up part (every scenario's warm-ups), then one part
//! per measured repetition (every scenario once, in a seeded random order),
//! each an ordinary [`Plan`] run by `crate::runner::run` into
//! `rounds/rNN-<workload>/<part>/`. The parts are then merged into one
//! standard run folder `rounds/rNN-<workload>/` and summarised together, so
//! every point's interval and speedup come from all its repetitions.
//!
//! Owns: the probe, the parts of a round and their budget rule, and what a
//! round's summary means for each strategy. Does not own: choosing the
//! round's points (`super::passes`).
//!
//! Budget rule: before each measured part, the parts still needed (enough
//! to reach [`MIN_REPS`], or one more beyond it) are estimated from the walls
//! measured so far in this round and the learned overhead ([`CostModel`]),
//! scaled by how far this round's finished parts ran over that model (the
//! wait for quiet storage varies from minute to minute). Below [`MIN_REPS`], the lowest-priority points that do
//! not fit are cut from the round (a cut point is not used: it has too few
//! repetitions); at or beyond it, the round simply stops adding
//! repetitions, so a point has between [`MIN_REPS`] and `--reps` of them.
//! The deadline of the first [`MIN_REPS`] repetitions is the workload's
//! share plus as much again as the round was allowed (capped by the whole
//! budget): cutting measured points costs more than borrowing from the
//! workloads after it, whose shares are recomputed at their turn.

use std::collections::HashMap;
use std::path::Path;

use super::folder::{self, ROUNDS_DIR};
use super::{
    stop_at, wall_guess, Context, PlanResult, Point, RoundInfo, Status, StrategySweep, Sweep,
};
use crate::experiment::{Order, Plan, Scenario};
use crate::results::{self, Row, RunMeta, SummaryRow, SummaryStatus};
use crate::stats::{Estimate, Interval};
use crate::strategy::Strategy;
use crate::tune::config::{TuneConfig, MIN_REPS};
use crate::tune::plan::budget::{self, human_s, CostModel};
use crate::tune::plan::{Phase, Setting};

/// Repetitions of the probe.
pub const PROBE_REPS: u32 = 2;

/// The probe of workload `wi`: its sequential baseline alone, [`PROBE_REPS`]
/// repetitions without warm-up, to learn what a repetition costs. When the
/// baseline does not run, every strategy of the workload is skipped.
///
/// # Errors
/// Harness failures of the run or of the observer.
pub fn probe(ctx: &mut Context, sweep: &mut Sweep, wi: usize) -> anyhow::Result<()> {
    let cfg = ctx.cfg;
    let workload = sweep.workloads[wi].workload.clone();
    let baseline =
        Scenario::new("tune", workload, Strategy::sequential(), cfg.cache).on_storage(cfg.storage);
    let index = sweep.rounds.len() as u32 + 1;
    let folder = format!(
        "{ROUNDS_DIR}/r{index:02}-{}-probe",
        baseline.workload.name()
    );
    let mut info = round_info(index, &baseline, &folder, Vec::new(), None);
    info.probe = true;
    ctx.observer.round_starting(&info, ctx.budget.available_s());
    let plan = plan(cfg, vec![baseline.clone()], PROBE_REPS, 0, index);
    let result = ctx.run_plan(&plan, Path::new(&folder))?;
    let ws = &mut sweep.workloads[wi];
    ws.probed = true;
    ws.cost.learn(&result.rows, result.elapsed_s);
    let row = result.summary.iter().find(|r| r.scenario_id == baseline.id);
    match row {
        Some(r) if r.status == SummaryStatus::Ok => {
            ws.base_wall = Some(r.wall_median_s);
            ws.baselines.insert(index, throughput(r));
        }
        other => {
            let why = other.map_or("no result".to_string(), |r| {
                format!("{}: {}", r.status, r.detail)
            });
            let why = format!("the sequential baseline did not run ({why})");
            let kinds: Vec<_> = ws.strategies.iter().map(|s| s.kind).collect();
            for (si, kind) in kinds.into_iter().enumerate() {
                sweep.skip(wi, kind, None, &why);
                sweep.workloads[wi].strategies[si].end(format!("not swept: {why}"));
            }
        }
    }
    info.reps = PROBE_REPS;
    info.elapsed_s = result.elapsed_s;
    sweep.rounds.push(info);
    sweep.rows.extend(result.rows);
    sweep.metas.extend(result.meta);
    sweep.scenarios.push(baseline);
    ctx.notify(sweep)
}

fn round_info(
    index: u32,
    baseline: &Scenario,
    folder: &str,
    settings: Vec<String>,
    estimate_s: Option<f64>,
) -> RoundInfo {
    RoundInfo {
        index,
        workload: baseline.workload.id(),
        probe: false,
        folder: folder.into(),
        settings,
        estimate_s,
        reps: 0,
        elapsed_s: 0.0,
    }
}

/// A scenario of a round: the baseline (no owner) or a strategy's setting.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub(super) scenario: Scenario,
    pub(super) owner: Option<(usize, Setting)>,
    pub(super) wall_guess: f64,
}

/// A round of workload `wi`: its sequential baseline and `kept` (strategy
/// index, setting), in priority order, estimated at `estimate_s`, to end by
/// the time the budget has `deadline_s` spent.
///
/// # Errors
/// Harness failures of a part, of writing the round folder or of the
/// observer.
pub fn sweep_round(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    kept: &[(usize, Setting)],
    estimate_s: f64,
    deadline_s: f64,
) -> anyhow::Result<()> {
    let mut entries = entries(ctx.cfg, sweep, wi, kept);
    let index = sweep.rounds.len() as u32 + 1;
    let folder = format!(
        "{ROUNDS_DIR}/r{index:02}-{}",
        entries[0].scenario.workload.name()
    );
    let labels = kept
        .iter()
        .map(|&(si, s)| sweep.workloads[wi].strategies[si].kind.label(s))
        .collect();
    let mut info = round_info(
        index,
        &entries[0].scenario,
        &folder,
        labels,
        Some(estimate_s),
    );
    ctx.observer.round_starting(&info, ctx.budget.available_s());
    let scenarios: Vec<Scenario> = entries.iter().map(|e| e.scenario.clone()).collect();
    let mut cost = sweep.workloads[wi].cost.clone();
    let reps = sweep.reps;
    let (parts, cut) = run_parts(
        ctx,
        (index, &folder, reps),
        &mut entries,
        deadline_s,
        &mut cost,
    )?;
    sweep.workloads[wi].cost = cost;
    let rows = parts.rows;
    let summary = results::summarize_rows(&rows, ctx.cfg.seed);
    let dir = ctx.cfg.run_dir().join(&folder);
    let run_id = folder
        .trim_start_matches(&format!("{ROUNDS_DIR}/"))
        .to_string();
    let folder_meta = folder::Merge {
        run_id: &run_id,
        metas: &parts.metas,
        rows: &rows,
        scenarios: &scenarios,
        reps: parts.measured,
        warmup: ctx.cfg.warmup,
        seed: ctx.cfg.seed,
    };
    folder::write_run_folder(&dir, &folder_meta)?;
    apply(ctx.cfg, sweep, wi, index, &entries, &cut, &summary);
    info.reps = parts.measured;
    info.elapsed_s = parts.elapsed_s;
    sweep.rounds.push(info);
    sweep.rows.extend(rows);
    sweep.metas.extend(parts.metas);
    sweep.scenarios.extend(scenarios);
    ctx.notify(sweep)
}

fn entries(cfg: &TuneConfig, sweep: &Sweep, wi: usize, kept: &[(usize, Setting)]) -> Vec<Entry> {
    let ws = &sweep.workloads[wi];
    let base_wall = ws.base_wall.unwrap_or(0.0);
    let baseline = Scenario::new(
        "tune",
        ws.workload.clone(),
        Strategy::sequential(),
        cfg.cache,
    )
    .on_storage(cfg.storage);
    let mut out = vec![Entry {
        scenario: baseline,
        owner: None,
        wall_guess: base_wall,
    }];
    for &(si, setting) in kept {
        let s = &ws.strategies[si];
        out.push(Entry {
            scenario: Scenario::new(
                "tune",
                ws.workload.clone(),
                s.kind.strategy(setting),
                cfg.cache,
            )
            .on_storage(cfg.storage),
            owner: Some((si, setting)),
            wall_guess: wall_guess(&s.points, setting, base_wall),
        });
    }
    out
}

/// The parts of a round, merged as they come.
#[derive(Debug, Default)]
pub(super) struct Parts {
    rows: Vec<Row>,
    metas: Vec<RunMeta>,
    pub(super) elapsed_s: f64,
    /// What the cost model, updated with each part, says the parts run so
    /// far should have cost (the residual against `elapsed_s` is what the
    /// model's history-wide averages miss about this round).
    pub(super) predicted_s: f64,
    measured: u32,
    walls: HashMap<String, (f64, u32)>,
}

impl Parts {
    /// Take a part's rows: measured ones are renumbered as repetition
    /// `warmup + measured`, all get the round's order.
    pub(super) fn absorb(&mut self, r: PlanResult, warmup: u32, cost: &mut CostModel) {
        cost.learn(&r.rows, r.elapsed_s);
        let mut measured = false;
        for mut row in r.rows {
            if !row.warmup {
                row.rep = warmup + self.measured;
                measured = true;
            }
            row.order = self.rows.len() as u32;
            let w = self
                .walls
                .entry(row.scenario_id.clone())
                .or_insert((0.0, 0));
            *w = (w.0 + row.wall_s, w.1 + 1);
            self.rows.push(row);
        }
        self.measured += u32::from(measured);
        self.metas.extend(r.meta);
        self.elapsed_s += r.elapsed_s;
    }

    fn wall(&self, e: &Entry) -> f64 {
        match self.walls.get(&e.scenario.id) {
            Some(&(sum, n)) if n > 0 => sum / f64::from(n),
            _ => e.wall_guess,
        }
    }

    /// How far this round's parts ran over (or under) the updated cost
    /// model: actual / predicted, within [0.5, 10]; 1 before any part.
    pub(super) fn correction(&self) -> f64 {
        if self.predicted_s > 0.0 {
            (self.elapsed_s / self.predicted_s).clamp(0.5, 10.0)
        } else {
            1.0
        }
    }

    /// The model's cost of one part of `entries` with `reps` repetitions each.
    pub(super) fn model_s(&self, entries: &[Entry], cost: &CostModel, reps: u32) -> f64 {
        let reps_s: f64 = entries
            .iter()
            .map(|e| cost.overhead_s() + self.wall(e))
            .sum();
        cost.fixed_s() + f64::from(reps) * reps_s
    }
}

/// How many of `entries` (a prefix, the baseline first) fit `parts_needed`
/// more parts in `remaining_s` seconds, each part costing what the model
/// says times how far this round has run over it so far; at least 1.
fn affordable(
    entries: &[Entry],
    parts: &Parts,
    cost: &CostModel,
    parts_needed: u32,
    remaining_s: f64,
) -> usize {
    let scale = budget::SAFETY * parts.correction() * f64::from(parts_needed);
    let mut total = cost.fixed_s();
    let mut k = 0;
    for e in entries {
        let c = cost.overhead_s() + parts.wall(e);
        if k > 0 && scale * (total + c) > remaining_s {
            break;
        }
        total += c;
        k += 1;
    }
    k.max(1)
}

/// Run the warm-up part and the measured parts of a round; returns them
/// with the entries cut for the budget and how many repetitions each had.
/// The first [`MIN_REPS`] repetitions may run past `deadline_s` (the
/// workload's share) by as much again as the round was allowed, never past
/// the whole budget; repetitions beyond them stop at `deadline_s`.
fn run_parts(
    ctx: &mut Context,
    (index, folder, reps): (u32, &str, u32),
    entries: &mut Vec<Entry>,
    deadline_s: f64,
    cost: &mut CostModel,
) -> anyhow::Result<(Parts, Vec<(Entry, u32)>)> {
    let cfg = ctx.cfg;
    let mut parts = Parts::default();
    let mut cut = Vec::new();
    let total_end = ctx.budget.total().as_secs_f64() - budget::RESERVE_S;
    let start = ctx.spent_s();
    let hard_end = total_end.min(deadline_s + (deadline_s - start).max(0.0));
    if cfg.warmup > 0 {
        let plan = plan(cfg, scenarios(entries), 0, cfg.warmup, index);
        let r = ctx.run_plan(&plan, &Path::new(folder).join("warmup"))?;
        parts.absorb(r, cfg.warmup, cost);
        parts.predicted_s += parts.model_s(entries, cost, cfg.warmup);
    }
    for rep in 1..=reps {
        let end = if rep <= MIN_REPS {
            hard_end
        } else {
            deadline_s
        };
        let remaining = end - ctx.spent_s();
        let needed = (MIN_REPS + 1).saturating_sub(rep).max(1);
        let k = affordable(entries, &parts, cost, needed, remaining);
        if rep > MIN_REPS && k < entries.len() {
            break;
        }
        cut.extend(entries.drain(k..).map(|e| (e, parts.measured)));
        if entries.len() <= 1 {
            break;
        }
        let plan = plan(cfg, scenarios(entries), 1, 0, index * 100 + rep);
        let r = ctx.run_plan(&plan, &Path::new(folder).join(format!("rep-{rep}")))?;
        parts.absorb(r, cfg.warmup, cost);
        parts.predicted_s += parts.model_s(entries, cost, 1);
    }
    Ok((parts, cut))
}

fn scenarios(entries: &[Entry]) -> Vec<Scenario> {
    entries.iter().map(|e| e.scenario.clone()).collect()
}

/// What the round's summary means for each strategy: points recorded, cut
/// points skipped, each touched sweep moved on.
fn apply(
    cfg: &TuneConfig,
    sweep: &mut Sweep,
    wi: usize,
    index: u32,
    entries: &[Entry],
    cut: &[(Entry, u32)],
    summary: &[SummaryRow],
) {
    let find = |id: &str| summary.iter().find(|r| r.scenario_id == id);
    if let Some(r) = find(&entries[0].scenario.id).filter(|r| r.status == SummaryStatus::Ok) {
        sweep.workloads[wi].baselines.insert(index, throughput(r));
    }
    let mut touched: Vec<usize> = Vec::new();
    for e in entries {
        if let Some((si, setting)) = e.owner {
            let s = &mut sweep.workloads[wi].strategies[si];
            record_point(s, setting, find(&e.scenario.id), index);
            touched.push(si);
        }
    }
    for (e, reps) in cut {
        if let Some((si, setting)) = e.owner {
            let why = format!(
                "budget: cut from its round after {reps} of at least {MIN_REPS} repetitions \
                 (the round ran over its estimate)"
            );
            stop_at(sweep, wi, si, setting, &why);
        }
    }
    touched.dedup();
    for si in touched {
        advance(cfg, &mut sweep.workloads[wi].strategies[si]);
    }
}

/// A plan of `scenarios` (sorted by id) with `reps` and `warmup`; `salt`
/// varies the interleaving seed between plans.
pub fn plan(
    cfg: &TuneConfig,
    mut scenarios: Vec<Scenario>,
    reps: u32,
    warmup: u32,
    salt: u32,
) -> Plan {
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    Plan {
        scenarios,
        corpus: cfg.corpus.clone(),
        input: None,
        reps,
        auto: None,
        warmup,
        order: match cfg.order {
            Order::Interleaved { seed } => Order::Interleaved {
                seed: seed.wrapping_add(u64::from(salt)),
            },
            Order::Sequential => Order::Sequential,
        },
        settle: cfg.settle,
        cold_method: cfg.cold_method,
        bootstrap_seed: cfg.seed,
    }
}

/// A summary row's throughput as an estimate (the interval widened to hold
/// the median if rounding put it outside; the median alone when fewer than
/// two repetitions verified, which `MIN_REPS` makes rare).
pub fn throughput(r: &SummaryRow) -> Estimate {
    Estimate {
        point: r.mb_per_s,
        ci: Interval {
            low: r.mb_per_s_ci_low.map_or(r.mb_per_s, |l| l.min(r.mb_per_s)),
            high: r.mb_per_s_ci_high.map_or(r.mb_per_s, |h| h.max(r.mb_per_s)),
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
        Some(r) if r.status == SummaryStatus::Ok => {
            let t = throughput(r);
            s.state.record(setting, t);
            s.points.push(Point {
                setting,
                throughput: t,
                speedup: speedup(r),
                wall_s: r.wall_median_s,
                reps: r.n_verified,
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

/// A short account of a round's cost for the terminal.
pub fn describe_estimate(estimate_s: Option<f64>) -> String {
    estimate_s.map_or(String::new(), |e| format!(", about {}", human_s(e)))
}
