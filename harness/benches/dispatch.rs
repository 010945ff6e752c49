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
//! The process strategy re-executes this bench binary as its worker, so
//! `main` answers `worker` like `iolab` does.
//! Run: `cargo bench -p iolab --bench dispatch -- --quick`.

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
    match strategy::execute(strategy, workload, ctx, corpus, None) {
        Ok(exec) if exec.task_errors.is_empty() && exec.evidence_failures.is_empty() => {
            exec.usage.wall
        }
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
    let mut c = Criterion::default().configure_from_args();
    bench_dispatch(&mut c, &corpus, &ctx);
    bench_random(&mut c, &corpus, &ctx);
    c.final_summary();
}
