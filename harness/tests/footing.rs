//! Equal footing on the real binary: `sequential`, `threads(1)` and
//! `processes(1)` do the same work on one core, so they must spend the same
//! CPU on it and touch the same memory (the grid of
//! `experiments/extra/identity.toml`, sized for a test).

mod util;

use std::collections::BTreeMap;

use iolab::results::Row;
use iolab::strategy::StrategyKind;
use util::{text, Lab};

/// The widest the median of per-round CPU-time ratios of a one-core pair
/// may be, either way (the issue sets this check; it is the one timing
/// that decides this test). CPU time, not wall: with other builds loading
/// the machine a one-core repetition's wall time is mostly its wait for a
/// CPU (measured at load average 10 on 2 cores: `read whole` under
/// `sequential`, wall 14.9 to 59.5 ms over eight repetitions while its CPU
/// stayed within 12.6 to 13.7 ms), and the report's own check compares wall
/// times of a run on a quiet machine. 1.5× because CPU time still moves
/// under load (caches shared with other programs: `threads(1)`'s 12.8 to
/// 17.0 ms in the same run), a worker process adds its start-up (exec and
/// loading, a few ms of CPU: 1.02× to 1.18× here, at load average 8), and
/// the median of seven ratios must not fail on that. The footing error
/// this file guards against (a warm allocator on one side) is caught
/// exactly, by page faults, in [`every_thread_starts_from_the_same_memory`].
const BOUND: f64 = 1.5;

/// Slack of the page-fault comparison: 10 % and 64 pages (a thread's
/// stack and arena header, the first touch of a lane's buffers).
const FAULT_SLACK: (f64, u64) = (0.10, 64);

/// The grid of `experiments/extra/identity.toml` with bigger tasks, so a
/// worker process's start-up and its per-task records are a small share of
/// the work: 48 KB files, 64 KiB random blocks, a 128 MiB stream. `noop`
/// runs without `processes(1)`: its tasks are empty, so all of that
/// strategy's time is its own dispatch and no work is left to compare.
const GRID: &str = r#"
description = "one core, three ways (test)"
reps = 7
warmup = 1
settle = "0"

[corpus]
files = 2000
lines = 1000
large_file = "128MiB"

[[grid]]
name = "read"
workload = ["read"]
variant = ["whole", "discard"]
strategy = ["sequential", "threads", "processes"]
workers = [1]
batch = [0]

[[grid]]
name = "random"
workload = ["random"]
variant = ["pread"]
strategy = ["sequential", "threads", "processes"]
workers = [1]
batch = [0]
block = ["64KiB"]
reads = [4000]

[[grid]]
name = "stream"
workload = ["stream"]
variant = ["buffered"]
strategy = ["sequential", "threads", "processes"]
workers = [1]
batch = [0]

[[grid]]
name = "noop"
workload = ["noop"]
strategy = ["sequential", "threads"]
workers = [1]
reads = [200000]
"#;

/// A warm `read whole` that keeps 18 MB a repetition: less than what
/// glibc's dynamic trim threshold lets a thread's arena keep once the
/// run's dispatch calibration has freed its 14 MiB record lists (28 MiB),
/// so without a fixed threshold the pools' memory would stay mapped from
/// one repetition to the next and the baseline's would not.
const MEMORY_GRID: &str = r#"
description = "every thread starts from the same memory (test)"
reps = 3
warmup = 1
settle = "0"

[corpus]
files = 2000
lines = 200

[[grid]]
name = "read"
workload = ["read"]
variant = ["whole"]
strategy = ["sequential", "threads"]
workers = [1, 2]
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2.0
}

fn cpu_s(r: &Row) -> f64 {
    r.user_s + r.sys_s
}

/// `sequential`, `threads(1)` and `processes(1, batch 0)` on read whole,
/// read discard, random, stream and noop, interleaved: per round, the
/// one-core scenario's CPU time over the baseline's; the median of those
/// ratios within [`BOUND`] either way.
#[test]
fn one_core_three_ways_spend_the_same_cpu() {
    let lab = Lab::new();
    let file = lab.path().join("identity.toml");
    std::fs::write(&file, GRID).expect("write experiment");
    let out = lab
        .iolab()
        .arg("run")
        .arg(&file)
        .args(["--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    // (workload/variant) → strategy → rep → row
    let mut groups: BTreeMap<String, BTreeMap<StrategyKind, BTreeMap<u32, &Row>>> = BTreeMap::new();
    for r in run.rows.iter().filter(|r| !r.warmup) {
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
        groups
            .entry(format!("{}/{}", r.workload, r.variant))
            .or_default()
            .entry(r.strategy)
            .or_default()
            .insert(r.rep, r);
    }
    assert_eq!(groups.len(), 5, "{:?}", groups.keys());
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (group, by_strategy) in &groups {
        let base = &by_strategy[&StrategyKind::Sequential];
        for (kind, reps) in by_strategy {
            if *kind == StrategyKind::Sequential {
                continue;
            }
            let ratios: Vec<f64> = reps
                .iter()
                .map(|(rep, r)| cpu_s(r) / cpu_s(base[rep]).max(1e-6))
                .collect();
            let ratio = median(ratios);
            let line = format!("{group}: CPU of {kind}(1) / sequential = {ratio:.3}");
            if !(1.0 / BOUND..=BOUND).contains(&ratio) {
                failures.push(line.clone());
            }
            report.push(line);
        }
    }
    assert!(
        failures.is_empty(),
        "disagreeing pairs:\n{}\nall:\n{}",
        failures.join("\n"),
        report.join("\n")
    );
    eprintln!("{}", report.join("\n"));
}

/// `sequential` (the calling thread), `threads(1)` and `threads(2)` take
/// the same minor page faults per repetition of a warm `read whole`: the
/// allocator starts every repetition from the same state on every thread,
/// so each side faults in the memory it keeps. Before it did not: on the
/// issue's 3,000 files `threads(2)` took 3 faults a repetition against
/// `sequential`'s 6,886, and was 3× faster on 2 cores. Page faults are
/// counted, not timed: this decides on no timing.
#[test]
fn every_thread_starts_from_the_same_memory() {
    let lab = Lab::new();
    let file = lab.path().join("memory.toml");
    std::fs::write(&file, MEMORY_GRID).expect("write experiment");
    let out = lab
        .iolab()
        .arg("run")
        .arg(&file)
        .args(["--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    let faults = |label: &str| {
        let v: Vec<f64> = run
            .rows
            .iter()
            .filter(|r| !r.warmup && r.strategy_label == label)
            .map(|r| r.minor_faults.expect("minor_faults recorded") as f64)
            .collect();
        assert!(!v.is_empty(), "no rows of {label}");
        median(v)
    };
    let seq = faults("sequential");
    // 18 MB kept: about 4,400 pages, each touched first in the region.
    assert!(seq > 3000.0, "sequential took {seq} faults");
    for label in ["threads(1)", "threads(2)"] {
        let pool = faults(label);
        let slack = FAULT_SLACK.0 * seq.max(pool) + (FAULT_SLACK.1 as f64);
        assert!(
            (seq - pool).abs() <= slack,
            "{label} took {pool} minor faults a repetition, sequential {seq}"
        );
    }
}
