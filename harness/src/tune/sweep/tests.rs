//! The sweep end to end with scripted runs (no disk, no clock): passes,
//! admission, budget cuts and repetition choice, through [`super::run`].
use std::path::PathBuf;
use std::time::Duration;

use super::round::{plan, Entry, Parts};
use super::*;
use crate::corpus::Scale;
use crate::experiment::Order;
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::results;
use crate::strategy::Strategy;
use crate::tune::config::Kind;
use crate::tune::knee::CurveShape;
use crate::tune::plan::budget::Budget;
use crate::tune::plan::Limits;
use crate::workload::{ReadSpec, Workload};

/// Answers every plan with rows whose wall time is a function of the
/// strategy (100 MB per repetition, so MB/s is 100 / wall), each
/// repetition costing its wall plus `overhead`, each plan `fixed` more.
struct Scripted {
    wall_of: fn(&Strategy) -> f64,
    overhead: f64,
    fixed: f64,
    calls: Vec<(String, Vec<String>)>,
}

impl PlanRunner for Scripted {
    fn run(&mut self, plan: &Plan, folder: &Path) -> anyhow::Result<PlanResult> {
        let mut rows = Vec::new();
        let mut clock = 0.0;
        for rep in 0..plan.warmup + plan.reps {
            for s in &plan.scenarios {
                let wall = (self.wall_of)(&s.strategy);
                rows.push(Row {
                    scenario_id: s.id.clone(),
                    baseline_id: s.baseline_id(),
                    status: crate::results::Status::Ok,
                    verified: true,
                    warmup: rep < plan.warmup,
                    rep,
                    order: rows.len() as u32,
                    wall_s: wall,
                    bytes: 100_000_000,
                    mb_per_s: 100.0 / wall,
                    started_at: chrono::DateTime::from_timestamp_millis((clock * 1000.0) as i64)
                        .unwrap()
                        .to_rfc3339(),
                    ..Row::default()
                });
                clock += wall + self.overhead;
            }
        }
        self.calls.push((
            folder.display().to_string(),
            plan.scenarios
                .iter()
                .map(|s| s.strategy.to_string())
                .collect(),
        ));
        Ok(PlanResult {
            dir: folder.to_path_buf(),
            summary: results::summarize_rows(&rows, 1),
            rows,
            meta: None,
            elapsed_s: clock + self.fixed,
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

fn config(kinds: Vec<Kind>, budget_s: u64, reps: u32) -> TuneConfig {
    TuneConfig {
        workloads: vec![Workload::Read(ReadSpec::defaults(0).unwrap())],
        kinds,
        budget: Duration::from_secs(budget_s),
        limits: Limits {
            cores: 2,
            max_workers: 64,
            tolerance: 0.05,
        },
        cache: CacheState::Warm,
        storage: crate::storage::Storage::DataDir,
        corpus: Scale::Quick.spec(),
        reps,
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

/// Threads halve the time up to 2 workers, then stay level; the rest
/// take as long as sequential.
fn two_cores(s: &Strategy) -> f64 {
    match s {
        Strategy::Threads(t) => 1.0 / f64::from(t.workers.min(2)),
        _ => 1.0,
    }
}

fn rising(s: &Strategy) -> f64 {
    1.0 / f64::from(s.workers())
}

/// Threads are five times slower than the probe said.
fn slow_threads(s: &Strategy) -> f64 {
    if matches!(s, Strategy::Threads(_)) {
        5.0
    } else {
        1.0
    }
}

fn scripted(wall_of: fn(&Strategy) -> f64) -> Scripted {
    Scripted {
        wall_of,
        overhead: 1.0,
        fixed: 1.0,
        calls: Vec::new(),
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

fn folders(r: &Scripted) -> Vec<&str> {
    r.calls.iter().map(|c| c.0.as_str()).collect()
}

#[test]
fn an_ample_budget_sweeps_the_first_strategy_then_the_others() {
    let cfg = config(vec![Kind::Threads, Kind::Processes], 3600, 3);
    let mut runner = scripted(two_cores);
    let (sweep, budget) = sweep(&cfg, &mut runner);
    // Probe; threads 1, 2, 4; threads 3 (refinement: the knee is at 2);
    // then the second pass: processes 1, 2, 4. Each round is a warm-up
    // part and three repetition parts.
    let f = folders(&runner);
    assert_eq!(f.len(), 1 + 4 + 4 + 4, "{f:?}");
    assert_eq!(f[0], "rounds/r01-read-probe");
    assert_eq!(
        &f[1..5],
        &[
            "rounds/r02-read/warmup",
            "rounds/r02-read/rep-1",
            "rounds/r02-read/rep-2",
            "rounds/r02-read/rep-3"
        ]
    );
    assert_eq!(runner.calls[5].1, vec!["sequential", "threads(3)"]);
    assert_eq!(runner.calls[9].1.len(), 4);
    let ws = &sweep.workloads[0];
    let (knee, shape) = ws.strategies[0].knee(0.05).unwrap();
    assert_eq!(
        (knee.setting, shape),
        (Setting::Workers(2), CurveShape::Plateau)
    );
    assert_eq!(knee.reps, 3);
    let (knee, shape) = ws.strategies[1].knee(0.05).unwrap();
    assert_eq!(
        (knee.setting, shape),
        (Setting::Workers(1), CurveShape::Flat)
    );
    assert!(sweep.skipped.is_empty(), "{:?}", sweep.skipped);
    assert_eq!(ws.baselines.len(), 4);
    assert_eq!(
        sweep.rounds.iter().map(|r| r.reps).collect::<Vec<_>>(),
        vec![2, 3, 3, 3]
    );
    // Speedups come from the merged parts: threads(2) halves the time.
    let s = ws.strategies[0]
        .points
        .iter()
        .find(|p| p.setting == Setting::Workers(2))
        .unwrap();
    assert!((s.speedup.unwrap().point - 2.0).abs() < 1e-9);
    assert!(budget.spent().as_secs_f64() < 3600.0);
}

#[test]
fn a_tight_budget_keeps_the_first_strategy_and_says_what_it_skipped() {
    let cfg = config(vec![Kind::Threads, Kind::Processes], 75, 3);
    let mut runner = scripted(two_cores);
    let (sweep, budget) = sweep(&cfg, &mut runner);
    let ws = &sweep.workloads[0];
    assert_eq!(ws.strategies[0].points.len(), 4);
    assert!(ws.strategies[1].points.is_empty());
    assert_eq!(sweep.skipped.len(), 1, "{:?}", sweep.skipped);
    let skip = &sweep.skipped[0];
    assert_eq!(
        (skip.strategy, skip.setting.as_str()),
        (crate::strategy::StrategyKind::Processes, "")
    );
    assert!(
        skip.reason
            .starts_with("budget: its expected sweep did not fit"),
        "{}",
        skip.reason
    );
    assert!(budget.spent().as_secs_f64() <= 75.0, "{:?}", budget.spent());
}

#[test]
fn points_that_do_not_fit_the_next_round_are_dropped_and_named() {
    // 52 s: the probe (5 s) leaves 45; threads' first round (43.2 s with
    // safety) fits; the rising curve asks for 8 workers, which does not
    // fit the 14 s left.
    let cfg = config(vec![Kind::Threads], 52, 3);
    let mut runner = scripted(rising);
    let (sweep, budget) = sweep(&cfg, &mut runner);
    assert_eq!(runner.calls.len(), 5);
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
    assert!(budget.spent().as_secs_f64() <= 52.0);
}

#[test]
fn a_strategy_whose_first_round_cannot_fit_is_skipped_whole() {
    let cfg = config(vec![Kind::Threads], 40, 3);
    let mut runner = scripted(two_cores);
    let (sweep, _) = sweep(&cfg, &mut runner);
    assert_eq!(runner.calls.len(), 1);
    assert_eq!(sweep.skipped.len(), 1);
    assert!(
        sweep.skipped[0]
            .reason
            .contains("did not fit the 33 s left"),
        "{:?}",
        sweep.skipped
    );
    assert!(sweep.workloads[0].strategies[0].points.is_empty());
}

#[test]
fn repetitions_are_lowered_to_fit_the_core_plan_and_said_so() {
    let cfg = config(vec![Kind::Threads], 3600, 5);
    let (sweep_ok, _) = sweep(&cfg, &mut scripted(two_cores));
    assert_eq!((sweep_ok.reps, sweep_ok.reps_note.as_str()), (5, ""));
    // 90 s: after the probe 83 s are left; threads' sweep needs 100.8 s
    // at 5 repetitions, 84 at 4 and 67.2 at 3.
    let cfg = config(vec![Kind::Threads], 90, 5);
    let (tight, budget) = sweep(&cfg, &mut scripted(two_cores));
    assert_eq!(tight.reps, 3);
    assert!(
        tight
            .reps_note
            .starts_with("3 repetitions per point instead of --reps 5"),
        "{}",
        tight.reps_note
    );
    assert!(tight.rounds[1..].iter().all(|r| r.reps == 3));
    assert!(budget.spent().as_secs_f64() <= 90.0);
}

#[test]
fn a_round_over_its_estimate_cuts_points() {
    // The probe saw 1 s repetitions; threads take 5 s. After the warm-up
    // part only sequential + threads(1) fit the three repetition parts;
    // threads(2) and threads(4) are cut.
    let cfg = config(vec![Kind::Threads], 73, 5);
    let mut runner = scripted(slow_threads);
    let (sweep, budget) = sweep(&cfg, &mut runner);
    assert_eq!(sweep.reps, 3);
    let f = folders(&runner);
    assert_eq!(f.last(), Some(&"rounds/r02-read/rep-3"), "{f:?}");
    assert_eq!(runner.calls[1].1.len(), 4);
    assert_eq!(runner.calls[2].1, vec!["sequential", "threads(1)"]);
    let threads = &sweep.workloads[0].strategies[0];
    assert_eq!(threads.points.len(), 1);
    assert_eq!(threads.points[0].reps, 3);
    assert!(
        threads
            .stop_reason()
            .contains("cut from its round after 0 of at least 3"),
        "{}",
        threads.stop_reason()
    );
    let skipped: Vec<&str> = sweep.skipped.iter().map(|s| s.setting.as_str()).collect();
    assert_eq!(skipped, vec!["threads(2)", "threads(4)"]);
    assert!(budget.spent().as_secs_f64() <= 73.0, "{:?}", budget.spent());
}

#[test]
fn a_round_that_runs_over_the_model_scales_its_projection() {
    let scenario = Scenario::new(
        "tune",
        Workload::Read(ReadSpec::defaults(0).unwrap()),
        Strategy::sequential(),
        CacheState::Warm,
    );
    let entry = Entry {
        scenario: scenario.clone(),
        owner: None,
        wall_guess: 1.0,
    };
    let mut parts = Parts::default();
    assert_eq!(parts.correction(), 1.0);
    // Two repetitions 1 s apart of 1 s walls (no overhead) and a fixed
    // 1 s: the model says 2 s per part; the part took 6 s.
    let mut cost = CostModel::default();
    let mut runner = scripted(|_| 1.0);
    runner.overhead = 0.0;
    let mut plan = plan(&config(vec![], 60, 3), vec![scenario], 2, 0, 0);
    plan.reps = 2;
    let mut result = runner.run(&plan, Path::new("p")).unwrap();
    result.elapsed_s = 6.0;
    parts.absorb(result, 0, &mut cost);
    parts.predicted_s += parts.model_s(std::slice::from_ref(&entry), &cost, 1);
    assert!((parts.model_s(std::slice::from_ref(&entry), &cost, 1) - 5.0).abs() < 1e-9);
    assert!((parts.correction() - 6.0 / 5.0).abs() < 1e-9);
    parts.elapsed_s = 1000.0;
    assert_eq!(parts.correction(), 10.0);
}
