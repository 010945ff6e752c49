//! What the harness itself costs per task.
//!
//! - `dispatch`: time per `noop` task (a task that does nothing) under
//!   `sequential`, `threads(2)` and `processes(2, batch 16)`. Each sample is
//!   one timed region of `iters` noop tasks; criterion's linear-regression
//!   slope is the cost per task, with the strategy's start-up (threads,
//!   worker processes) left in the intercept. Targets: ≤ 0.2 µs per task for
//!   sequential and threads, ≤ 2 µs for processes with batches of 16.
//! - `interleaved` (a filter that matches no criterion benchmark, so only
//!   this runs): the same as rounds run in turn in one process, so a
//!   neighbour's load falls on every strategy alike; prints the median
//!   per-task times and the load average before and after. Dispatch is the
//!   slope between regions of `n` and `5n` noop tasks.
//!
//! The random-read comparison with a bare `pread` loop is `benches/random_pread.rs`.
//!
//! The process strategy re-executes this bench binary as its worker, so
//! `main` answers `worker` like `iolab` does.
//! Run: `cargo bench -p iolab --bench dispatch -- --quick`, or
//! `cargo bench -p iolab --bench dispatch -- interleaved`.

mod common;

use std::time::Duration;

use common::{load_average, median, region, usage};
use criterion::{BenchmarkId, Criterion};
use iolab::corpus::Corpus;
use iolab::strategy::{ProcessesSpec, Strategy, ThreadsSpec};
use iolab::workload::{NoopSpec, TaskContext, Workload};

fn bench_dispatch(c: &mut Criterion, corpus: &Corpus, ctx: &TaskContext) {
    let mut group = c.benchmark_group("dispatch");
    group.sampling_mode(criterion::SamplingMode::Linear);
    for strategy in [
        Strategy::sequential(),
        Strategy::Threads(ThreadsSpec { workers: 2 }),
        Strategy::Processes(ProcessesSpec {
            workers: 2,
            batch: 16,
        }),
    ] {
        group.bench_function(BenchmarkId::from_parameter(strategy.to_string()), |b| {
            b.iter_custom(|iters| {
                let tasks = u32::try_from(iters).unwrap_or(u32::MAX);
                let noop = Workload::Noop(NoopSpec { tasks });
                region(&strategy, &noop, ctx, corpus)
            })
        });
    }
    group.finish();
}

/// Tasks per interleaved region (dispatch regions run `n` and `5n`).
const ROUND_TASKS: u32 = 20_000;
/// Interleaved rounds.
const ROUNDS: usize = 15;

/// Per-task nanoseconds of `workload(n)` under `strategy`, wall and CPU
/// (user + system of this process and its workers): the slope between a
/// region of `n` and one of `5n` tasks (start-up cancels out).
fn slope_ns(
    strategy: &Strategy,
    make: &dyn Fn(u32) -> Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> (f64, f64) {
    let small = usage(strategy, &make(ROUND_TASKS), ctx, corpus);
    let large = usage(strategy, &make(5 * ROUND_TASKS), ctx, corpus);
    let per_task = |a: Duration, b: Duration| {
        (a.as_nanos() as f64 - b.as_nanos() as f64) / f64::from(4 * ROUND_TASKS)
    };
    (
        per_task(large.wall, small.wall),
        per_task(large.user + large.system, small.user + small.system),
    )
}

/// The interleaved dispatch slopes, printed as medians.
fn interleaved(corpus: &Corpus, ctx: &TaskContext) {
    println!("load average before: {}", load_average());
    let noop = |tasks| Workload::Noop(NoopSpec { tasks });
    let strategies = [
        Strategy::sequential(),
        Strategy::Threads(ThreadsSpec { workers: 2 }),
        Strategy::Processes(ProcessesSpec {
            workers: 2,
            batch: 16,
        }),
    ];
    let mut wall = vec![Vec::new(); strategies.len()];
    let mut cpu = vec![Vec::new(); strategies.len()];
    for _ in 0..ROUNDS {
        for (i, s) in strategies.iter().enumerate() {
            let (w, c) = slope_ns(s, &noop, ctx, corpus);
            wall[i].push(w);
            cpu[i].push(c);
        }
    }
    for ((s, w), c) in strategies.iter().zip(wall).zip(cpu) {
        println!(
            "dispatch {s}: wall {:.0} ns, CPU {:.0} ns per task (median of {ROUNDS})",
            median(w),
            median(c)
        );
    }
    println!("load average after: {}", load_average());
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        if let Err(e) = iolab::strategy::worker::main() {
            eprintln!("worker: {e}");
            std::process::exit(1);
        }
        return;
    }
    common::run(interleaved, bench_dispatch);
}
