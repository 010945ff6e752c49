//! What the harness itself costs.
//!
//! - `dispatch`: time per `noop` task (a task that does nothing) under
//!   `sequential`, `threads(2)` and `processes(2, batch 16)`. Each sample is
//!   one timed region of `iters` noop tasks; criterion's linear-regression
//!   slope is the cost per task, with the strategy's start-up (threads,
//!   worker processes) left in the intercept. Targets: ≤ 0.2 µs per task for
//!   sequential and threads, ≤ 2 µs for processes with batches of 16.
//! - `random_pread_4KiB_warm`: the `random` workload's 4 KiB `pread` under
//!   `sequential` on a warm 64 MiB large file, against a bare `pread` loop over
//!   the same seeded offsets into one reused buffer (target: within 10 %).
//!
//! - `interleaved` (a filter that matches no criterion benchmark, so only
//!   this runs): the same comparisons as rounds run in turn in one process,
//!   A, B, B, A, …, so a neighbour's load falls on both sides alike; prints
//!   the median per-task times, their ratio and the load average before and
//!   after. Dispatch is the slope between regions of `n` and `5n` noop tasks.
//!
//! The process strategy re-executes this bench binary as its worker, so
//! `main` answers `worker` like `iolab` does.
//! Run: `cargo bench -p iolab --bench dispatch -- --quick`, or
//! `cargo bench -p iolab --bench dispatch -- interleaved`.

use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use iolab::corpus::{Corpus, CorpusSpec};
use iolab::strategy::{self, Strategy};
use iolab::workload::{NoopSpec, RandomSpec, TaskContext, Workload};

/// A tiny corpus with a 64 MiB large file, read once so it is warm.
fn lab() -> anyhow::Result<(tempfile::TempDir, Corpus, TaskContext)> {
    let tmp = tempfile::tempdir()?;
    let spec = CorpusSpec {
        files: 4,
        lines: 4,
        values: 10,
        large_file_bytes: Some(64 << 20),
    };
    let (corpus, _, _lock) = Corpus::create_or_reuse(&tmp.path().join("c"), &spec, &|_, _| {})?;
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch)?;
    let ctx = TaskContext::new(&corpus, &scratch);
    std::fs::read(ctx.large()?)?;
    Ok((tmp, corpus, ctx))
}

/// Wall time of one timed region running `workload` under `strategy`.
fn region(
    strategy: &Strategy,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> Duration {
    usage(strategy, workload, ctx, corpus).wall
}

/// Wall and CPU time of one timed region running `workload` under `strategy`.
fn usage(
    strategy: &Strategy,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> iolab::measure::Usage {
    match strategy::execute(strategy, workload, ctx, corpus, None) {
        Ok(exec) if exec.task_errors.is_empty() && exec.evidence_failures.is_empty() => exec.usage,
        Ok(exec) => panic!(
            "{strategy}: {:?} {:?}",
            exec.task_errors, exec.evidence_failures
        ),
        Err(e) => panic!("{strategy}: {e}"),
    }
}

fn bench_dispatch(c: &mut Criterion, corpus: &Corpus, ctx: &TaskContext) {
    let mut group = c.benchmark_group("dispatch");
    group.sampling_mode(criterion::SamplingMode::Linear);
    for strategy in [
        Strategy::Sequential,
        Strategy::Threads { workers: 2 },
        Strategy::Processes {
            workers: 2,
            batch: 16,
        },
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

fn bench_random(c: &mut Criterion, corpus: &Corpus, ctx: &TaskContext) {
    let mut group = c.benchmark_group("random_pread_4KiB_warm");
    group.sampling_mode(criterion::SamplingMode::Linear);
    let spec = RandomSpec::default();
    group.bench_function("iolab_sequential", |b| {
        b.iter_custom(|iters| {
            let reads = u32::try_from(iters).unwrap_or(u32::MAX);
            let random = Workload::Random(RandomSpec {
                reads,
                ..spec.clone()
            });
            region(&Strategy::Sequential, &random, ctx, corpus)
        })
    });
    group.bench_function("bare_pread_loop", |b| {
        b.iter_custom(|iters| {
            let Ok(path) = ctx.large() else {
                panic!("no large file")
            };
            let file = std::fs::File::open(path).expect("open the large file");
            let mut buf = vec![0u8; spec.block as usize];
            let t = Instant::now();
            for i in 0..u32::try_from(iters).unwrap_or(u32::MAX) {
                let at = iolab::workload::random_offset(&spec, ctx.large_bytes, i);
                black_box(file.read_at(&mut buf, at).expect("pread"));
            }
            t.elapsed()
        })
    });
    group.finish();
}

/// Tasks per interleaved region (dispatch regions run `n` and `5n`).
const ROUND_TASKS: u32 = 20_000;
/// Interleaved rounds.
const ROUNDS: usize = 15;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("unreadable: {e}"))
}

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

/// CPU time of this process so far, in nanoseconds.
fn process_cpu_ns() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

/// Bare `pread` loop over the random workload's offsets (with `hash`, also
/// the xxh3 of each block, as the workload's evidence): wall and CPU
/// nanoseconds per read.
fn bare_pread_ns(spec: &RandomSpec, ctx: &TaskContext, reads: u32, hash: bool) -> (f64, f64) {
    let Ok(path) = ctx.large() else {
        panic!("no large file")
    };
    let file = std::fs::File::open(path).expect("open the large file");
    let mut buf = vec![0u8; spec.block as usize];
    let (t, cpu) = (Instant::now(), process_cpu_ns());
    for i in 0..reads {
        let at = iolab::workload::random_offset(spec, ctx.large_bytes, i);
        let n = file.read_at(&mut buf, at).expect("pread");
        if hash {
            black_box(iolab::corpus::checksum(&buf[..n]));
        }
        black_box(n);
    }
    let n = f64::from(reads);
    (
        t.elapsed().as_nanos() as f64 / n,
        (process_cpu_ns() - cpu) / n,
    )
}

/// The interleaved comparisons, printed as medians and ratios.
fn interleaved(corpus: &Corpus, ctx: &TaskContext) {
    println!("load average before: {}", load_average());
    let noop = |tasks| Workload::Noop(NoopSpec { tasks });
    let strategies = [
        Strategy::Sequential,
        Strategy::Threads { workers: 2 },
        Strategy::Processes {
            workers: 2,
            batch: 16,
        },
    ];
    let mut wall = vec![Vec::new(); strategies.len()];
    let mut cpu = vec![Vec::new(); strategies.len()];
    let spec = RandomSpec::default();
    let random = Workload::Random(RandomSpec {
        reads: ROUND_TASKS,
        ..spec.clone()
    });
    let (mut iolab_ns, mut bare_ns, mut hashed_ns) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ratio, mut cpu_ratio, mut hashed_ratio) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for (i, s) in strategies.iter().enumerate() {
            let (w, c) = slope_ns(s, &noop, ctx, corpus);
            wall[i].push(w);
            cpu[i].push(c);
        }
        // Alternate which side goes first.
        let time_iolab = || {
            let u = usage(&Strategy::Sequential, &random, ctx, corpus);
            let n = f64::from(ROUND_TASKS);
            (
                u.wall.as_nanos() as f64 / n,
                (u.user + u.system).as_nanos() as f64 / n,
            )
        };
        let (a, b, h) = if round % 2 == 0 {
            let a = time_iolab();
            let b = bare_pread_ns(&spec, ctx, ROUND_TASKS, false);
            (a, b, bare_pread_ns(&spec, ctx, ROUND_TASKS, true))
        } else {
            let h = bare_pread_ns(&spec, ctx, ROUND_TASKS, true);
            let b = bare_pread_ns(&spec, ctx, ROUND_TASKS, false);
            (time_iolab(), b, h)
        };
        iolab_ns.push(a.0);
        bare_ns.push(b.0);
        hashed_ns.push(h.0);
        ratio.push(a.0 / b.0);
        cpu_ratio.push(a.1 / b.1);
        hashed_ratio.push(a.0 / h.0);
    }
    for ((s, w), c) in strategies.iter().zip(wall).zip(cpu) {
        println!(
            "dispatch {s}: wall {:.0} ns, CPU {:.0} ns per task (median of {ROUNDS})",
            median(w),
            median(c)
        );
    }
    println!(
        "random 4 KiB pread, warm, {ROUND_TASKS} reads: iolab sequential {:.0} ns, bare loop {:.0} ns per read (wall); iolab / bare {:.3} wall, {:.3} CPU (medians of {ROUNDS} paired rounds)",
        median(iolab_ns),
        median(bare_ns),
        median(ratio),
        median(cpu_ratio)
    );
    println!(
        "  bare loop + xxh3 of each block (the workload's evidence) {:.0} ns per read; iolab / (bare + xxh3) {:.3} wall",
        median(hashed_ns),
        median(hashed_ratio)
    );
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
    let (_tmp, corpus, ctx) = match lab() {
        Ok(made) => made,
        Err(e) => panic!("making the bench corpus: {e}"),
    };
    if std::env::args().any(|a| a == "interleaved") {
        interleaved(&corpus, &ctx);
        return;
    }
    // Without plots: they need a system font that a build machine may lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    bench_dispatch(&mut c, &corpus, &ctx);
    bench_random(&mut c, &corpus, &ctx);
    c.final_summary();
}
