//! The runner's rules on a mock executor: no corpus, no strategy runs. Each
//! test makes a temporary folder for the run folder and the (empty) scratch
//! folder, runs the schedule with a [`Mock`] whose script says what each
//! repetition returns — a row, a failure, a panic, a harness error, signals
//! arriving meanwhile — and checks what the runner made of it: which
//! repetitions it asked for and which rows `runs.csv` holds. Several
//! ranks are a mock too ([`ThreeRanks`]: rank 0 of three, the others'
//! rows made from its own), for the rows of every rank and their
//! aggregate.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::executor::{Call, Executor};
use super::*;
use crate::corpus::Scale;
use crate::experiment::reps::AutoReps;
use crate::experiment::{Order, Scenario, Slot};
use crate::measure::cache::ColdMethod;
use crate::measure::quiet::Settle;
use crate::results::{read_meta, DispatchCost, Row, SeriesPoint};
use crate::strategy::{Strategy, ThreadsSpec};
use crate::workload::{ReadSpec, Workload};

/// What one scripted repetition does.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// Runs and verifies, in this many seconds.
    Ok(f64),
    /// Its scenario failed (a row with status `failed`).
    Failed,
    /// Its scenario cannot run here (a row with status `unavailable`).
    Unavailable,
    /// Panics outside any task.
    Panic,
    /// The harness broke (the scratch folder could not be reset).
    Broken,
    /// This many signals arrive while it runs; then it ends as `Ok(1.0)`.
    Signals(u32),
}

/// An executor that runs nothing: each call gets the act its script
/// gives for (call number, slot), and signals are counted, not sent.
struct Mock<'a> {
    plan: &'a Plan,
    script: Box<dyn Fn(usize, Slot) -> Act + 'a>,
    calls: RefCell<Vec<Slot>>,
    /// The number of ranks each call ran on.
    sizes: RefCell<Vec<u32>>,
    signals: Cell<u32>,
}

impl<'a> Mock<'a> {
    fn new(plan: &'a Plan, script: impl Fn(usize, Slot) -> Act + 'a) -> Mock<'a> {
        Mock {
            plan,
            script: Box::new(script),
            calls: RefCell::new(Vec::new()),
            sizes: RefCell::new(Vec::new()),
            signals: Cell::new(0),
        }
    }

    /// The (scenario, rep) of every call, in order.
    fn called(&self) -> Vec<(usize, u32)> {
        self.calls
            .borrow()
            .iter()
            .map(|s| (s.scenario, s.rep))
            .collect()
    }
}

impl Executor for Mock<'_> {
    fn repetition(&self, call: &Call<'_>) -> anyhow::Result<(Row, Vec<SeriesPoint>)> {
        let n = self.calls.borrow().len();
        self.calls.borrow_mut().push(call.slot);
        self.sizes.borrow_mut().push(call.clients.size());
        let scenario = &self.plan.scenarios[call.slot.scenario];
        let row = |status, detail: &str| {
            repetition::not_run(
                scenario,
                call.slot,
                call.order,
                call.run_id,
                (status, detail.to_string()),
            )
        };
        let ok = |wall_s| {
            let mut r = row(Status::Ok, "verified");
            r.verified = true;
            r.wall_s = wall_s;
            r
        };
        let row = match (self.script)(n, call.slot) {
            Act::Ok(wall_s) => ok(wall_s),
            Act::Failed => row(Status::Failed, "scripted failure"),
            Act::Unavailable => row(Status::Unavailable, "scripted: not here"),
            Act::Panic => panic!("scripted panic"),
            Act::Broken => anyhow::bail!("scripted: the scratch folder cannot be reset"),
            Act::Signals(count) => {
                self.signals.set(self.signals.get() + count);
                ok(1.0)
            }
        };
        Ok((row, Vec::new()))
    }

    fn dispatch_costs(&self) -> Vec<DispatchCost> {
        Vec::new()
    }

    fn stop_requested(&self) -> bool {
        self.signals.get() >= 1
    }

    fn stop_now(&self) -> bool {
        self.signals.get() >= 2
    }
}

/// A plan of `scenarios` scenarios (`read` on threads-2, threads-3, …; the
/// workload never runs), `warmup` warm-ups and `reps` repetitions each.
fn plan(scenarios: u32, warmup: u32, reps: u32, order: Order) -> Plan {
    let read = Workload::Read(ReadSpec::defaults(0).expect("read's defaults"));
    let scenarios = (0..scenarios)
        .map(|i| {
            let threads = Strategy::Threads(ThreadsSpec { workers: i + 2 });
            Scenario::new("mock", read.clone(), threads, CacheState::Warm)
        })
        .collect();
    Plan {
        scenarios,
        corpus: Scale::Quick.spec(),
        reps,
        auto: None,
        warmup,
        order,
        settle: Settle::default(),
        cold_method: ColdMethod::Auto,
        bootstrap_seed: 7,
        input: None,
    }
}

/// `run.json` of a new run of `plan`, as the runner records it.
fn meta(plan: &Plan) -> RunMeta {
    RunMeta {
        run_id: "mock".into(),
        iolab_version: env!("CARGO_PKG_VERSION").into(),
        git_commit: "unknown".into(),
        command_line: Vec::new(),
        machine: Machine::default(),
        corpus_dir: PathBuf::new(),
        corpus_provenance: String::new(),
        plan: plan.clone(),
        experiment_files: Vec::new(),
        started_at: now_rfc3339(),
        ended_at: None,
        interrupted: false,
        resumed_at: Vec::new(),
        corpus_digest: None,
        plan_digest: None,
        clients: None,
        dispatch: Vec::new(),
        inputs: None,
        storages: Vec::new(),
        user_crate: None,
    }
}

/// The run folder inside `tmp`.
fn run_dir(tmp: &TempDir) -> PathBuf {
    tmp.path().join("results").join("mock")
}

/// Run the schedule of `plan` with `mock` into the run folder inside
/// `tmp`: a new one, or the existing one reopened as `--resume` does.
fn run_with(
    tmp: &TempDir,
    plan: &Plan,
    mock: &Mock<'_>,
    cold_unavailable: Option<String>,
) -> anyhow::Result<RunOutcome> {
    let dir = run_dir(tmp);
    let writer = match dir.exists() {
        false => RunWriter::create(&dir, meta(plan))?,
        true => {
            let mut w = RunWriter::reopen(&dir)?;
            w.mark_resumed(now_rfc3339())?;
            w
        }
    };
    let scratch = corpus::Scratch::create_for_resume(&tmp.path().join("data"), "mock")?;
    let run = Running {
        plan,
        executor: mock,
        storages: &storages::Storages::default(),
        clients: &clients::Single,
        run_id: "mock",
        progress: false,
        device_mb_per_s: None,
        cold_unavailable,
        calibrate: false,
    };
    execute_schedule(&run, Some(writer), scratch, &dir)
}

/// The rows `runs.csv` holds.
fn rows_on_disk(dir: &Path) -> Vec<Row> {
    RunWriter::reopen(dir)
        .expect("the run folder")
        .rows()
        .to_vec()
}

/// (scenario index, rep, warm-up) of `rows`, sorted.
fn slots_of(plan: &Plan, rows: &[Row]) -> Vec<(usize, u32, bool)> {
    let index = |id: &str| plan.scenarios.iter().position(|s| s.id == id).unwrap();
    let mut slots: Vec<_> = rows
        .iter()
        .map(|r| (index(&r.scenario_id), r.rep, r.warmup))
        .collect();
    slots.sort_unstable();
    slots
}

#[test]
fn a_first_signal_finishes_the_repetition_and_a_resume_runs_only_what_is_missing() {
    let tmp = TempDir::new().unwrap();
    let plan = plan(3, 1, 3, Order::Interleaved { seed: 11 });
    let all = schedule(3, 1, 3, plan.order);
    // The signal arrives during the 5th repetition: it ends with its row,
    // and no 6th starts.
    let first = Mock::new(&plan, |n, _| match n {
        4 => Act::Signals(1),
        _ => Act::Ok(1.0),
    });
    let out = run_with(&tmp, &plan, &first, None).unwrap();
    assert!(out.interrupted);
    assert_eq!(first.called().len(), 5);
    assert_eq!(out.rows, 5);
    assert!(read_meta(&out.dir).unwrap().interrupted);
    assert!(out.dir.join(crate::results::SUMMARY_CSV).exists());
    // The resumed run asks for exactly the other slots, in the same order.
    let second = Mock::new(&plan, |_, _| Act::Ok(1.0));
    let out = run_with(&tmp, &plan, &second, None).unwrap();
    assert!(!out.interrupted);
    let rest: Vec<(usize, u32)> = all[5..].iter().map(|s| (s.scenario, s.rep)).collect();
    assert_eq!(second.called(), rest);
    let rows = rows_on_disk(&out.dir);
    let mut expected: Vec<_> = all.iter().map(|s| (s.scenario, s.rep, s.warmup)).collect();
    expected.sort_unstable();
    assert_eq!(slots_of(&plan, &rows), expected, "each repetition once");
    assert!(!read_meta(&out.dir).unwrap().interrupted);
    assert!(!tmp.path().join("data").join("scratch-mock").exists());
}

#[test]
fn a_second_signal_abandons_the_repetition_without_a_row() {
    let tmp = TempDir::new().unwrap();
    let plan = plan(2, 0, 3, Order::Sequential);
    let mock = Mock::new(&plan, |n, _| match n {
        2 => Act::Signals(2),
        _ => Act::Ok(1.0),
    });
    let out = run_with(&tmp, &plan, &mock, None).unwrap();
    assert!(out.interrupted);
    assert_eq!(mock.called().len(), 3);
    assert_eq!(out.rows, 2, "the abandoned repetition has no row");
    assert_eq!(rows_on_disk(&out.dir).len(), 2);
    assert!(read_meta(&out.dir).unwrap().interrupted);
}

#[test]
fn auto_reps_stop_a_steady_scenario_at_the_minimum_and_run_a_noisy_one_to_the_most() {
    let tmp = TempDir::new().unwrap();
    let mut plan = plan(2, 1, 8, Order::Interleaved { seed: 3 });
    plan.auto = Some(AutoReps {
        ci_width_pct: 5.0,
        budget_s: None,
    });
    let noisy = [1.0, 3.0, 0.5, 2.0, 4.0, 0.7, 2.5, 1.5, 3.5];
    let mock = Mock::new(&plan, |_, slot| match slot.scenario {
        0 => Act::Ok(1.0),
        _ => Act::Ok(noisy[slot.rep as usize]),
    });
    let out = run_with(&tmp, &plan, &mock, None).unwrap();
    let measured = |i: usize| {
        mock.called()
            .iter()
            .filter(|&&(s, rep)| s == i && rep >= plan.warmup)
            .count()
    };
    assert_eq!(measured(0), crate::stats::stopping::MIN_REPS as usize);
    assert_eq!(measured(1), 8);
    assert!(!out.interrupted);
    assert_eq!(out.rows, 2 + 3 + 8);
}

#[test]
fn auto_reps_budget_counts_the_rows_a_resumed_run_finds_on_disk() {
    let tmp = TempDir::new().unwrap();
    let mut plan = plan(1, 0, 10, Order::Sequential);
    plan.auto = Some(AutoReps {
        ci_width_pct: 1.0,
        budget_s: Some(250.0),
    });
    // Noisy repetitions of 100 s and more: the interval stays wide. The
    // first invocation's clock is far from the budget; a signal stops it
    // after three repetitions.
    let walls = [100.0, 300.0, 50.0, 200.0];
    let first = Mock::new(&plan, |n, slot| match n {
        2 => Act::Signals(1),
        _ => Act::Ok(walls[slot.rep as usize]),
    });
    let out = run_with(&tmp, &plan, &first, None).unwrap();
    assert!(out.interrupted);
    assert_eq!(first.called().len(), 3);
    // The resumed run counts those rows' 400 s: the budget is spent, the
    // scenario (past its minimum) gets no more repetitions.
    let second = Mock::new(&plan, |_, slot| Act::Ok(walls[slot.rep as usize]));
    let out = run_with(&tmp, &plan, &second, None).unwrap();
    assert!(second.called().is_empty(), "{:?}", second.called());
    assert!(!out.interrupted);
    assert_eq!(out.rows, 3);
}

#[test]
fn a_failure_a_panic_and_an_unavailable_scenario_leave_the_other_scenarios_going() {
    let tmp = TempDir::new().unwrap();
    let plan = plan(4, 0, 2, Order::Sequential);
    let mock = Mock::new(&plan, |_, slot| match (slot.scenario, slot.rep) {
        (0, 0) => Act::Panic,
        (1, 0) => Act::Unavailable,
        (2, 1) => Act::Failed,
        _ => Act::Ok(1.0),
    });
    let out = run_with(&tmp, &plan, &mock, None).unwrap();
    // The unavailable scenario is asked once, then skipped.
    assert_eq!(
        mock.called(),
        vec![(0, 0), (0, 1), (1, 0), (2, 0), (2, 1), (3, 0), (3, 1)]
    );
    let rows = rows_on_disk(&out.dir);
    let status = |i: usize, rep: u32| {
        rows.iter()
            .find(|r| r.scenario_id == plan.scenarios[i].id && r.rep == rep)
            .map(|r| (r.status, r.detail.clone()))
    };
    let (panicked, detail) = status(0, 0).unwrap();
    assert_eq!(panicked, Status::Failed);
    assert!(detail.contains("scripted panic") && detail.contains("outside any task"));
    assert_eq!(status(0, 1).unwrap().0, Status::Ok);
    assert_eq!(status(1, 0).unwrap().0, Status::Unavailable);
    assert_eq!(status(1, 1), None);
    assert_eq!(status(2, 1).unwrap().0, Status::Failed);
    assert_eq!(status(3, 1).unwrap().0, Status::Ok);
    // The failure policy (`results::outcome`): the two scenarios with a
    // failed repetition fail the run; the unavailable one does not.
    let failed: Vec<&str> = out
        .verdict
        .failures
        .iter()
        .map(|n| n.scenario_id.as_str())
        .collect();
    assert_eq!(failed, vec![&plan.scenarios[0].id, &plan.scenarios[2].id]);
    assert!(!out.interrupted);
}

#[test]
fn cold_scenarios_on_memory_are_unavailable_without_running() {
    let tmp = TempDir::new().unwrap();
    let mut plan = plan(2, 0, 2, Order::Sequential);
    plan.scenarios[1] = Scenario::new(
        "mock",
        plan.scenarios[1].workload.clone(),
        plan.scenarios[1].strategy.clone(),
        CacheState::Cold,
    );
    let mock = Mock::new(&plan, |_, _| Act::Ok(1.0));
    let why = Some("cache cold unavailable: scripted".to_string());
    let out = run_with(&tmp, &plan, &mock, why).unwrap();
    assert_eq!(mock.called(), vec![(0, 0), (0, 1)]);
    let rows = rows_on_disk(&out.dir);
    assert_eq!(rows.len(), 3, "the cold scenario's row, once");
    assert_eq!(rows[2].status, Status::Unavailable);
    assert!(out.verdict.failures.is_empty());
}

#[test]
fn a_harness_error_ends_the_run_keeping_its_rows_and_removing_the_scratch_folder() {
    let tmp = TempDir::new().unwrap();
    let plan = plan(2, 0, 2, Order::Sequential);
    let mock = Mock::new(&plan, |n, _| match n {
        2 => Act::Broken,
        _ => Act::Ok(1.0),
    });
    let err = run_with(&tmp, &plan, &mock, None).unwrap_err();
    assert!(format!("{err:#}").contains("scratch folder cannot be reset"));
    assert_eq!(rows_on_disk(&run_dir(&tmp)).len(), 2);
    assert!(!tmp.path().join("data").join("scratch-mock").exists());
    // Resumed, it runs the two repetitions left.
    let again = Mock::new(&plan, |_, _| Act::Ok(1.0));
    let out = run_with(&tmp, &plan, &again, None).unwrap();
    assert_eq!(again.called(), vec![(1, 0), (1, 1)]);
    assert_eq!(out.rows, 4);
}

/// `size` ranks as rank 0 sees them: the others send rank 0's row with
/// their own rank, `wall_s` and region end shifted by half a second per
/// rank, and rank 2 `failed` in the repetitions `fail_rep` names. Split,
/// ranks `0..n` are the same mock with `n` ranks.
struct ThreeRanks {
    fail_rep: Option<u32>,
    size: u32,
}

impl clients::Clients for ThreeRanks {
    fn rank(&self) -> u32 {
        0
    }
    fn size(&self) -> u32 {
        self.size
    }
    fn barrier(&self) {}
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let Ok(row) = serde_json::from_slice::<Row>(bytes) else {
            return vec![bytes.to_vec(); self.size as usize];
        };
        (0..self.size)
            .map(|r| {
                let mut row = row.clone();
                row.rank = r.to_string();
                row.bytes += 1000 * u64::from(r + 1);
                row.region_end_s = row.region_start_s + row.wall_s + 0.5 * f64::from(r);
                if r == 2 && self.fail_rep == Some(row.rep) && !row.warmup {
                    row.status = Status::Failed;
                    row.verified = false;
                    row.detail = "scripted: rank 2 failed".into();
                }
                serde_json::to_vec(&row).expect("a row serialises")
            })
            .collect()
    }
    fn broadcast(&self, bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
    fn max(&self, value: u64) -> u64 {
        value
    }
    fn abort(&self, _code: i32) {}
    fn host(&self) -> String {
        "mock-host".into()
    }
    fn split(&self, n: u32) -> Option<Box<dyn clients::Clients>> {
        Some(Box::new(ThreeRanks {
            fail_rep: self.fail_rep,
            size: n,
        }))
    }
}

#[test]
fn every_repetition_writes_each_ranks_row_then_their_aggregate_which_names_a_failed_rank() {
    let tmp = TempDir::new().unwrap();
    let plan = plan(1, 0, 2, Order::Sequential);
    let mock = Mock::new(&plan, |_, _| Act::Ok(1.0));
    let dir = run_dir(&tmp);
    let writer = RunWriter::create(&dir, meta(&plan)).unwrap();
    let scratch = corpus::Scratch::create_for_resume(&tmp.path().join("data"), "mock").unwrap();
    let run = Running {
        plan: &plan,
        executor: &mock,
        storages: &storages::Storages::default(),
        clients: &ThreeRanks {
            fail_rep: Some(1),
            size: 3,
        },
        run_id: "mock",
        progress: false,
        device_mb_per_s: None,
        cold_unavailable: None,
        calibrate: false,
    };
    let outcome = execute_schedule(&run, Some(writer), scratch, &dir).unwrap();
    let rows = rows_on_disk(&dir);
    let ranks_of = |rep: u32| -> Vec<String> {
        rows.iter()
            .filter(|r| r.rep == rep)
            .map(|r| r.rank.clone())
            .collect()
    };
    assert_eq!(ranks_of(0), ["0", "1", "2", "all"]);
    assert_eq!(ranks_of(1), ["0", "1", "2", "all"]);
    let all: Vec<&Row> = rows.iter().filter(|r| r.is_aggregate()).collect();
    // The aggregate's wall runs from the earliest start to the latest end:
    // rank 2 ended a second after rank 0's one-second region.
    assert!((all[0].wall_s - 2.0).abs() < 1e-6, "{}", all[0].wall_s);
    assert_eq!(all[0].status, Status::Ok);
    assert!(all[0].verified);
    assert_eq!(all[1].status, Status::Failed);
    assert!(all[1].detail.contains("rank 2"), "{}", all[1].detail);
    // The failure policy counts the aggregate: the run's verdict fails.
    assert_ne!(outcome.verdict.exit_code(), 0);
}

/// A plan sweeping rank counts `counts` on one scenario (`--ranks`).
fn sweep_plan(counts: &[u32], reps: u32) -> Plan {
    let mut plan = plan(1, 0, reps, Order::Sequential);
    let one = plan.scenarios.remove(0);
    plan.scenarios = counts
        .iter()
        .map(|n| one.clone().on_ranks(Some(*n)))
        .collect();
    plan
}

/// Run `plan` on three mock ranks with `mock` into the run folder in
/// `tmp`, new or resumed.
fn run_on_three(tmp: &TempDir, plan: &Plan, mock: &Mock<'_>) -> anyhow::Result<RunOutcome> {
    let dir = run_dir(tmp);
    let writer = match dir.exists() {
        false => RunWriter::create(&dir, meta(plan))?,
        true => RunWriter::reopen(&dir)?,
    };
    let scratch = corpus::Scratch::create_for_resume(&tmp.path().join("data"), "mock")?;
    let run = Running {
        plan,
        executor: mock,
        storages: &storages::Storages::default(),
        clients: &ThreeRanks {
            fail_rep: None,
            size: 3,
        },
        run_id: "mock",
        progress: false,
        device_mb_per_s: None,
        cold_unavailable: None,
        calibrate: false,
    };
    execute_schedule(&run, Some(writer), scratch, &dir)
}

#[test]
fn a_rank_sweep_writes_each_counts_ranks_and_aggregate_and_a_resume_runs_the_missing_counts() {
    let tmp = TempDir::new().unwrap();
    let plan = sweep_plan(&[1, 2, 3], 1);
    // Interrupted during the first count's repetition: one count done.
    let first = Mock::new(&plan, |call, _| match call {
        0 => Act::Signals(1),
        _ => Act::Ok(1.0),
    });
    let out = run_on_three(&tmp, &plan, &first).unwrap();
    assert!(out.interrupted);
    assert_eq!(first.called().len(), 1);
    let again = Mock::new(&plan, |_, _| Act::Ok(1.0));
    run_on_three(&tmp, &plan, &again).unwrap();
    assert_eq!(
        again.called(),
        vec![(1, 0), (2, 0)],
        "only the missing counts"
    );
    assert_eq!(*first.sizes.borrow(), [1], "each count on its own ranks");
    assert_eq!(*again.sizes.borrow(), [2, 3]);
    let rows = rows_on_disk(&run_dir(&tmp));
    for (scenario, n) in plan.scenarios.iter().zip(1u32..) {
        let of: Vec<&Row> = rows
            .iter()
            .filter(|r| r.scenario_id == scenario.id)
            .collect();
        let ranks: Vec<&str> = of.iter().map(|r| r.rank.as_str()).collect();
        let mut expected: Vec<String> = (0..n).map(|r| r.to_string()).collect();
        expected.push("all".into());
        assert_eq!(ranks, expected, "{}", scenario.id);
        assert!(
            of.iter().all(|r| r.ranks == n),
            "{}: the count on every row",
            scenario.id
        );
        let all = of.last().unwrap();
        let bytes: u64 = of
            .iter()
            .filter(|r| !r.is_aggregate())
            .map(|r| r.bytes)
            .sum();
        assert_eq!(
            all.bytes, bytes,
            "{}: the aggregate sums its ranks",
            scenario.id
        );
        assert!(
            scenario.id.contains(&format!("+ranks-{n}")),
            "{}",
            scenario.id
        );
    }
}
