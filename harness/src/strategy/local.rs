//! Strategies that run inside this process: sequential and threads on the
//! blocking backend, tokio on its blocking pool, io_uring on a ring.

use std::time::Duration;

use futures::executor::block_on;
use futures::future::join_all;

use super::lanes::{after_stonewall, run_lane, BlockingLane, Counter, LaneOutput, StonewallPhase};
use super::registry::{StrategyBuild, WORKER_COUNT};
use super::{end_of_work, start_meter, Execution, Strategy, StrategyError};
use crate::corpus::Corpus;
use crate::describe::{Capability, KnobDesc, KnobError, KnobValues, StrategyDesc};
use crate::io::{Blocking, Io};
use crate::measure::{Clock, Gate};
use crate::workload::{TaskContext, Workload};

/// Why an event loop cannot map files.
const NO_MMAP: &str = "memory-mapped access is page faults, not operations an event loop can submit; use sequential, threads, processes or nested";
/// Why an event loop cannot take `flock`.
const NO_FLOCK: &str =
    "flock(2) blocks the event loop; use sequential, threads, processes or nested";

/// `sequential`.
pub(super) struct SequentialBuild;

impl StrategyBuild for SequentialBuild {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "sequential",
        aliases: &[],
        summary: "one task after another on the calling thread (ignores the worker count)",
        knobs: &[],
        lacks: &[],
        colour: (110, 110, 110),
    };

    fn build(_workers: u32, _knobs: &KnobValues) -> Result<Strategy, KnobError> {
        Ok(Strategy::Sequential)
    }
}

/// `threads`.
pub(super) struct ThreadsBuild;

impl StrategyBuild for ThreadsBuild {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "threads",
        aliases: &[],
        summary: "a pool of `workers` OS threads taking tasks from a shared counter",
        knobs: &[],
        lacks: &[],
        colour: (0, 114, 178),
    };

    fn build(workers: u32, _knobs: &KnobValues) -> Result<Strategy, KnobError> {
        Ok(Strategy::Threads { workers })
    }
}

const TOKIO_THREADS: KnobDesc = KnobDesc {
    key: "tokio_threads",
    kind: WORKER_COUNT,
    default: "",
    help: "threads of the blocking pool (default: the worker count)",
    variants: &[],
};

/// `tokio`.
pub(super) struct TokioBuild;

impl StrategyBuild for TokioBuild {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "tokio",
        aliases: &[],
        summary: "a current-thread runtime, `workers` tasks in flight, each file operation on the blocking pool (aiofiles)",
        knobs: &[TOKIO_THREADS],
        lacks: &[
            (Capability::Mmap, NO_MMAP),
            (Capability::Flock, NO_FLOCK),
        ],
        colour: (204, 121, 167),
    };

    fn build(workers: u32, knobs: &KnobValues) -> Result<Strategy, KnobError> {
        let pool = match knobs.get(TOKIO_THREADS.key) {
            Some(_) => knobs.count(&TOKIO_THREADS)?,
            None => workers,
        };
        Ok(Strategy::Tokio {
            workers: pool,
            concurrency: workers,
        })
    }
}

/// `io_uring`.
pub(super) struct IoUringBuild;

impl StrategyBuild for IoUringBuild {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "io_uring",
        aliases: &["io-uring", "uring"],
        summary: "one io_uring ring of `workers` entries and as many tasks in flight",
        knobs: &[],
        lacks: &[
            (Capability::Mmap, NO_MMAP),
            (Capability::Flock, NO_FLOCK),
            (
                Capability::BlockingCalls,
                "the task makes plain blocking calls, which a ring cannot submit (write it against the Io seam and drop BlockingCalls from the variant's needs); use sequential, threads, processes, nested or tokio",
            ),
            (
                Capability::CopyFileRange,
                "the ring has no copy_file_range operation; use copy variant loop",
            ),
        ],
        colour: (213, 94, 0),
    };

    fn build(workers: u32, _knobs: &KnobValues) -> Result<Strategy, KnobError> {
        Ok(Strategy::IoUring {
            queue_depth: workers,
        })
    }
}

/// Where the blocking backend's lanes run.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pool {
    /// One lane on the calling thread (`sequential`).
    Caller,
    /// One lane on each of this many spawned threads (`threads`, one
    /// included: a pool of one thread is a thread of its own, so
    /// `threads(1)` against `sequential` compares a worker thread's
    /// footing with the calling thread's).
    Threads(u32),
}

/// The tasks on the blocking backend, in the lanes of `pool`.
pub(super) fn threads(
    pool: Pool,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    gate: &dyn Gate,
) -> Result<Execution, StrategyError> {
    let workers = match pool {
        Pool::Caller => 1,
        Pool::Threads(n) => n,
    };
    let outputs = reserve(workload, ctx, workers);
    let meter = start_meter(gate);
    let clock = meter.clock();
    let source = Counter::new(workload, ctx, &clock);
    let io = Blocking;
    let shared = block_on(workload.prepare(&io, ctx)).map_err(|e| prepare_failed(workload, e))?;
    let run = |source: &Counter, outputs: Vec<LaneOutput>| {
        let lane = |out| {
            workload.with_tasks(BlockingLane {
                source,
                ctx,
                shared: &shared,
                clock,
                out,
            })
        };
        if let Pool::Caller = pool {
            return outputs.into_iter().map(lane).collect();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = outputs
                .into_iter()
                .map(|out| scope.spawn(move || lane(out)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|payload| {
                        LaneOutput::panicked(&crate::panics::message(payload.as_ref()))
                    })
                })
                .collect::<Vec<LaneOutput>>()
        })
    };
    let mut lanes = run(&source, outputs);
    let (phase, wearout) = after_stonewall(&source, ctx, gate, &clock, &lanes);
    if let Some(more) = wearout {
        lanes = run(&more, lanes);
    }
    let finish = block_on(workload.finish(&io, shared)).and_then(|()| end_of_work(workload, ctx));
    let usage = meter.stop();
    let mut exec = collect(usage, lanes, finish, workload, ctx, corpus);
    exec.stonewall = phase;
    Ok(exec)
}

/// tokio's current-thread runtime with a blocking pool of `workers` threads
/// and `concurrency` lanes.
pub(super) fn tokio(
    workers: u32,
    concurrency: u32,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    gate: &dyn Gate,
) -> Result<Execution, StrategyError> {
    let outputs = reserve(workload, ctx, concurrency);
    let meter = start_meter(gate);
    let clock = meter.clock();
    let io = crate::io::TokioFs;
    let result = crate::io::run_tokio(
        workers.max(1) as usize,
        async_lanes(&io, outputs, workload, ctx, (clock, gate)),
    )
    .map_err(|e| StrategyError::Failed(format!("tokio runtime: {e}")))?;
    let (lanes, finish, phase) = result.map_err(|e| prepare_failed(workload, e))?;
    let finish = finish.and_then(|()| end_of_work(workload, ctx));
    let usage = meter.stop();
    let mut exec = collect(usage, lanes, finish, workload, ctx, corpus);
    exec.stonewall = phase;
    Ok(exec)
}

/// One io_uring ring of `queue_depth` entries, as many lanes.
pub(super) fn io_uring(
    queue_depth: u32,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    gate: &dyn Gate,
) -> Result<Execution, StrategyError> {
    let outputs = reserve(workload, ctx, queue_depth);
    let meter = start_meter(gate);
    let clock = meter.clock();
    let ring = crate::io::Uring::new(queue_depth.max(1))
        .map_err(|why| StrategyError::Unavailable(why.0))?;
    let (lanes, finish, phase) = ring
        .block_on(async_lanes(&ring, outputs, workload, ctx, (clock, gate)))
        .map_err(|e| prepare_failed(workload, e))?;
    let finish = finish.and_then(|()| end_of_work(workload, ctx));
    let usage = meter.stop();
    let mut exec = collect(usage, lanes, finish, workload, ctx, corpus);
    exec.stonewall = phase;
    Ok(exec)
}

type LanesResult = std::io::Result<(Vec<LaneOutput>, std::io::Result<()>, Option<StonewallPhase>)>;

/// The reserved outputs of `lanes` lanes (at least one), made before the timed region.
fn reserve(workload: &Workload, ctx: &TaskContext, lanes: u32) -> Vec<LaneOutput> {
    let lanes = lanes.max(1);
    (0..lanes)
        .map(|_| LaneOutput::reserved(workload, ctx, lanes))
        .collect()
}

/// Prepare, run one lane per reserved output concurrently on one thread
/// (then the stonewall's wear-out, if any, on the same lanes), finish.
async fn async_lanes<I: Io>(
    io: &I,
    outputs: Vec<LaneOutput>,
    workload: &Workload,
    ctx: &TaskContext,
    (clock, gate): (Clock, &dyn Gate),
) -> LanesResult {
    let source = Counter::new(workload, ctx, &clock);
    let shared = workload.prepare(io, ctx).await?;
    let run = |source, outputs: Vec<LaneOutput>| {
        let shared = &shared;
        join_all(
            outputs
                .into_iter()
                .map(move |out| run_lane(io, workload, ctx, shared, source, clock, out)),
        )
    };
    let mut outputs = run(&source, outputs).await;
    let (phase, wearout) = after_stonewall(&source, ctx, gate, &clock, &outputs);
    if let Some(more) = &wearout {
        outputs = run(more, outputs).await;
    }
    let finish = workload.finish(io, shared).await;
    Ok((outputs, finish, phase))
}

fn prepare_failed(workload: &Workload, e: std::io::Error) -> StrategyError {
    StrategyError::Failed(format!("preparing {}: {e}", workload.name()))
}

/// Merge lanes, then verify evidence (outside the timed region).
fn collect(
    usage: crate::measure::Usage,
    lanes: Vec<LaneOutput>,
    finish: std::io::Result<()>,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> Execution {
    let mut exec = Execution {
        usage,
        ..Execution::default()
    };
    if let Err(e) = finish {
        exec.task_errors
            .push(format!("finishing (shared handle, end sync): {e}"));
    }
    for lane in lanes {
        exec.lane_done.push(Duration::from_nanos(lane.done_ns));
        exec.evidence_failures
            .extend(workload.verify_tasks(ctx, corpus, &lane.evidence));
        exec.records.extend(lane.records);
        exec.task_errors.extend(lane.error);
    }
    exec.absorb_records();
    exec
}
