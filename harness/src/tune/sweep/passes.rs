//! The passes of a sweep: which workload and strategy get time, in which
//! order. Owns the passes over workloads and the admission of strategies
//! into a workload's share of the budget. Does not own: the sweep's state
//! (`super`), running a round (`super::round`) or the costs
//! (`crate::tune::plan::budget`).
//!
//! Two passes over the workloads, each workload getting a share of the
//! budget left at its turn in proportion to its estimated need ([`share_s`];
//! time a workload leaves unused goes to the next):
//! 1. the **first strategy** of `--strategy` for every workload, so every
//!    workload gets its main answer before any gets a second strategy;
//! 2. **the other strategies**, admitted in `--strategy` order while their
//!    expected sweeps fit the share ([`admit`]).
//!
//! Before the passes, a **probe** of every workload (the sequential
//! baseline alone, 2 repetitions) learns what a repetition costs there
//! ([`CostModel`]), and one repetition count is chosen for the whole sweep:
//! `--reps`, or fewer (never below [`MIN_REPS`]) when the first strategy's
//! sweep of every workload would not fit otherwise. Then **rounds** measure the sequential baseline and the next proposed
//! setting(s) of every admitted strategy together, so every speedup is
//! measured against the baseline of the same round. Points whose estimate
//! does not fit the time left are dropped before a round ([`fit`]) or cut
//! during it ([`super::round`]); their strategy stops there, saying so.

use std::collections::BTreeMap;

use super::{
    round, stop_at, wall_guess, Context, Skip, Status, StrategySweep, Sweep, WorkloadSweep,
};
use crate::tune::config::{Kind, TuneConfig, MIN_REPS};
use crate::tune::plan::budget::{self, admit, fit, human_s, CostModel, Demand};
use crate::tune::plan::{first_cells, first_counts, GridCaps, Setting};
use crate::workload::Workload;

/// A workload is not begun with fewer seconds than this left.
pub const MIN_START_S: f64 = 1.0;

/// Which strategies of a workload a pass looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// The first strategy only.
    First,
    /// All the others.
    Rest,
}

impl Pass {
    fn eligible(self, i: usize) -> bool {
        (self == Pass::First) == (i == 0)
    }
}

/// Run the sweep over every configured workload, in two passes.
///
/// # Errors
/// Harness failures of a round or of the observer.
pub fn run(ctx: &mut Context) -> anyhow::Result<Sweep> {
    let mut sweep = Sweep::default();
    for workload in &ctx.cfg.workloads {
        let ws = new_workload(ctx.cfg, workload, &mut sweep.skipped);
        sweep.workloads.push(ws);
    }
    let n = sweep.workloads.len();
    for wi in 0..n {
        probe(ctx, &mut sweep, wi)?;
    }
    choose_reps(ctx, &mut sweep);
    for pass in [Pass::First, Pass::Rest] {
        for wi in 0..n {
            let needs: Vec<f64> = (wi..n).map(|j| need(ctx.cfg, &sweep, j, pass)).collect();
            let share = share_s(ctx.budget.available_s(), &needs);
            tune_workload(ctx, &mut sweep, wi, share, pass)?;
        }
    }
    for wi in 0..n {
        skip_pending(
            &mut sweep,
            wi,
            None,
            "budget: the budget ran out before its turn",
        );
    }
    Ok(sweep)
}

fn new_workload(cfg: &TuneConfig, workload: &Workload, skipped: &mut Vec<Skip>) -> WorkloadSweep {
    let mut strategies = Vec::new();
    for kind in &cfg.kinds {
        if let Some(why) = kind.strategy(Setting::Workers(1)).incompatibility(workload) {
            skipped.push(Skip {
                workload: workload.id(),
                strategy: kind.strategy_kind(),
                setting: String::new(),
                reason: why,
            });
            continue;
        }
        strategies.push(StrategySweep::new(*kind));
    }
    WorkloadSweep {
        workload: workload.clone(),
        strategies,
        baselines: BTreeMap::new(),
        cost: CostModel::default(),
        base_wall: None,
        probed: false,
    }
}

/// Probe workload `wi` (see [`round::probe`]), or skip its strategies when
/// the budget is spent.
fn probe(ctx: &mut Context, sweep: &mut Sweep, wi: usize) -> anyhow::Result<()> {
    if sweep.workloads[wi].strategies.is_empty() {
        return Ok(());
    }
    if ctx.budget.available_s() < MIN_START_S {
        let why = "budget: the budget was spent before this workload's probe";
        skip_pending(sweep, wi, None, why);
        return Ok(());
    }
    round::probe(ctx, sweep, wi)
}

/// Choose the repetitions per point for the whole sweep: the most, from
/// `--reps` down to [`MIN_REPS`], at which the core plan — the first
/// strategy's expected sweep for every probed workload — fits the budget
/// left after the probes; [`MIN_REPS`] when none does (the shares and the
/// per-round checks then prune points instead).
fn choose_reps(ctx: &Context, sweep: &mut Sweep) {
    let cfg = ctx.cfg;
    let available = ctx.budget.available_s();
    let floor = MIN_REPS.min(cfg.reps);
    let fits = |r: u32| budget::SAFETY * core_cost(cfg, sweep, r) <= available;
    sweep.reps = (floor..=cfg.reps).rev().find(|&r| fits(r)).unwrap_or(floor);
    if sweep.reps < cfg.reps {
        sweep.reps_note = format!(
            "{} repetitions per point instead of --reps {}: the first strategy's sweep of every \
             workload was estimated at {} with {} repetitions, {} were left after the probes",
            sweep.reps,
            cfg.reps,
            human_s(budget::SAFETY * core_cost(cfg, sweep, cfg.reps)),
            cfg.reps,
            human_s(available)
        );
    }
}

/// The share of `available_s` for the first of `needs` (this workload's
/// need, then those of the workloads after it in this pass): in proportion
/// to its need, so a workload whose repetitions cost six times as much gets
/// six times the time; an equal split when no need is known.
pub fn share_s(available_s: f64, needs: &[f64]) -> f64 {
    let total: f64 = needs.iter().sum();
    match needs.first() {
        Some(&first) if total > 0.0 => available_s * first / total,
        _ => available_s / needs.len().max(1) as f64,
    }
}

/// Estimated seconds the pending strategies of `pass` need for workload
/// `wi`: their expected points and the rounds of the longest (0 when its
/// probe did not run).
fn need(cfg: &TuneConfig, sweep: &Sweep, wi: usize, pass: Pass) -> f64 {
    let ws = &sweep.workloads[wi];
    let Some(base_wall) = ws.base_wall else {
        return 0.0;
    };
    let (mut points, mut rounds) = (0, 0);
    for (i, s) in ws.strategies.iter().enumerate() {
        if pass.eligible(i) && s.status == Status::Pending {
            let d = demand(cfg, s.kind);
            points += d.points;
            rounds = rounds.max(d.rounds);
        }
    }
    let base = round_base_s(cfg, &ws.cost, base_wall, sweep.reps);
    let point = ws.cost.scenario_s(base_wall, sweep.reps + cfg.warmup);
    f64::from(rounds) * base + f64::from(points) * point
}

/// Estimated seconds of the first strategy's whole sweep for every probed
/// workload at `reps` repetitions per point.
fn core_cost(cfg: &TuneConfig, sweep: &Sweep, reps: u32) -> f64 {
    sweep
        .workloads
        .iter()
        .filter_map(|ws| {
            let base_wall = ws.base_wall?;
            let first = ws.strategies.first()?;
            let d = demand(cfg, first.kind);
            let base = round_base_s(cfg, &ws.cost, base_wall, reps);
            let point = ws.cost.scenario_s(base_wall, reps + cfg.warmup);
            Some(f64::from(d.rounds) * base + f64::from(d.points) * point)
        })
        .sum()
}

/// The strategies of `pass` for workload `wi` get rounds until nothing is
/// left to measure or the share is spent.
fn tune_workload(
    ctx: &mut Context,
    sweep: &mut Sweep,
    wi: usize,
    share: f64,
    pass: Pass,
) -> anyhow::Result<()> {
    let waiting = sweep.workloads[wi]
        .strategies
        .iter()
        .enumerate()
        .any(|(i, s)| pass.eligible(i) && s.status == Status::Pending);
    if !waiting {
        return Ok(());
    }
    let end = ctx.spent_s() + share;
    if sweep.workloads[wi].base_wall.is_none() {
        return Ok(());
    }
    while let Some((kept, estimate)) = next_round(ctx, sweep, wi, end, pass) {
        round::sweep_round(ctx, sweep, wi, &kept, estimate, end)?;
    }
    Ok(())
}

/// The next round's points `(strategy index, setting)` with the round's
/// estimate, or `None` (having recorded why) when nothing more fits or is
/// left.
fn next_round(
    ctx: &Context,
    sweep: &mut Sweep,
    wi: usize,
    end: f64,
    pass: Pass,
) -> Option<(Vec<(usize, Setting)>, f64)> {
    let cfg = ctx.cfg;
    let reps = sweep.reps;
    let allowance = (end - ctx.spent_s()).min(ctx.budget.available_s());
    let ws = &mut sweep.workloads[wi];
    let base_wall = ws.base_wall?;
    admit_pending(cfg, ws, (base_wall, reps), allowance, pass);
    let mut candidates = next_candidates(cfg, ws, (base_wall, reps));
    if candidates.is_empty() {
        // Sweeps that just ran out of settings make room for waiting ones.
        admit_pending(cfg, ws, (base_wall, reps), allowance, pass);
        candidates = next_candidates(cfg, ws, (base_wall, reps));
    }
    if candidates.is_empty() {
        let why = format!(
            "budget: its expected sweep did not fit the {} left for {}",
            human_s(allowance),
            ws.workload.name()
        );
        skip_pending(sweep, wi, Some(pass), &why);
        return None;
    }
    let base = round_base_s(cfg, &ws.cost, base_wall, reps);
    let costs: Vec<(usize, f64)> = candidates.iter().map(|c| (c.0, c.2)).collect();
    let fitted = fit(base, &costs, allowance);
    for &i in &fitted.dropped {
        let (si, setting, cost) = candidates[i];
        let why = format!(
            "budget: about {} with the baseline did not fit the {} left",
            human_s(budget::SAFETY * (base + cost)),
            human_s(allowance)
        );
        stop_at(sweep, wi, si, setting, &why);
    }
    if fitted.kept.is_empty() {
        skip_pending(
            sweep,
            wi,
            Some(pass),
            "budget: no time left for this workload",
        );
        return None;
    }
    let kept = fitted
        .kept
        .iter()
        .map(|&i| (candidates[i].0, candidates[i].1))
        .collect();
    Some((kept, fitted.estimate_s))
}

/// Plans run in a round of `reps` repetitions: a warm-up part (when
/// warm-ups are asked for) and one part per repetition.
pub fn parts(cfg: &TuneConfig, reps: u32) -> u32 {
    reps + u32::from(cfg.warmup > 0)
}

/// What a round costs besides its points: the fixed cost of each part and
/// the sequential baseline.
fn round_base_s(cfg: &TuneConfig, cost: &CostModel, base_wall: f64, reps: u32) -> f64 {
    f64::from(parts(cfg, reps)) * cost.fixed_s() + cost.scenario_s(base_wall, reps + cfg.warmup)
}

/// Admit pending strategies of `pass` that fit the allowance (the first one
/// if its first round fits, when none is active).
fn admit_pending(
    cfg: &TuneConfig,
    ws: &mut WorkloadSweep,
    (base_wall, reps): (f64, u32),
    allowance: f64,
    pass: Pass,
) {
    let scenario = ws.cost.scenario_s(base_wall, reps + cfg.warmup);
    let round_base = round_base_s(cfg, &ws.cost, base_wall, reps);
    let pending: Vec<usize> = (0..ws.strategies.len())
        .filter(|&i| pass.eligible(i) && ws.strategies[i].status == Status::Pending)
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
    (base_wall, reps): (f64, u32),
) -> Vec<(usize, Setting, f64)> {
    let reps = reps + cfg.warmup;
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
            let wall = wall_guess(&s.points, setting, base_wall);
            out.push((i, setting, ws.cost.scenario_s(wall, reps)));
        }
    }
    out
}

/// End the pending strategies of `pass` (all when `None`) as skipped for
/// `why`; active ones of the pass stop with it.
fn skip_pending(sweep: &mut Sweep, wi: usize, pass: Option<Pass>, why: &str) {
    for si in 0..sweep.workloads[wi].strategies.len() {
        if pass.is_some_and(|p| !p.eligible(si)) {
            continue;
        }
        let s = &sweep.workloads[wi].strategies[si];
        let (kind, status, empty) = (s.kind, s.status.clone(), s.points.is_empty());
        match status {
            Status::Pending => {
                sweep.skip(wi, kind, None, why);
                sweep.workloads[wi].strategies[si].end(format!("not swept: {why}"));
            }
            Status::Active if empty => {
                sweep.skip(wi, kind, None, why);
                sweep.workloads[wi].strategies[si].end(format!("not swept: {why}"));
            }
            Status::Active => sweep.workloads[wi].strategies[si].end(format!("stopped: {why}")),
            Status::Ended(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_needs() {
        assert!((share_s(100.0, &[10.0, 30.0]) - 25.0).abs() < 1e-9);
        assert!((share_s(100.0, &[30.0]) - 100.0).abs() < 1e-9);
        assert!((share_s(90.0, &[0.0, 0.0, 0.0]) - 30.0).abs() < 1e-9);
        assert_eq!(share_s(90.0, &[]), 90.0);
    }
}
