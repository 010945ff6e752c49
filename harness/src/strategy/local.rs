//! Strategies that run inside this process: sequential and threads on the
//! blocking backend, tokio on its blocking pool, io_uring on a ring.

use std::fmt;
use std::time::Duration;

use futures::executor::block_on;
use futures::future::join_all;
use serde::{Deserialize, Serialize};

use super::lanes::{
    after_stonewall, lane_runtimes, run_lane, BlockingLane, Counter, LaneOutput, StonewallPhase,
};
use super::registry::{Shape, StrategySpec, WORKERS, WORKER_COUNT};
use super::{end_of_work, start_meter, Execution, Job, StrategyError};
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

/// The in-process strategies' calibration task counts: a task costs tens
/// of nanoseconds.
const IN_PROCESS_TASKS: [u32; 2] = [20_000, 200_000];

/// `sequential`: one task after another on the calling thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SequentialSpec {}

impl StrategySpec for SequentialSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "sequential",
        aliases: &[],
        summary: "one task after another on the calling thread (ignores the worker count)",
        knobs: &[],
        lacks: &[],
        kills_workers: false,
        calibration_tasks: Some(IN_PROCESS_TASKS),
        colour: (110, 110, 110),
    };

    fn build(_knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(SequentialSpec {})
    }

    fn slug(&self) -> String {
        "sequential".into()
    }

    fn shape(&self) -> Shape {
        Shape::in_process(1, 1)
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        threads(Pool::Caller, job)
    }
}

impl fmt::Display for SequentialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sequential")
    }
}

/// `threads`: a pool of `workers` OS threads taking tasks from a shared
/// counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThreadsSpec {
    /// Threads in the pool.
    pub workers: u32,
}

impl StrategySpec for ThreadsSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "threads",
        aliases: &[],
        summary: "a pool of `workers` OS threads taking tasks from a shared counter",
        knobs: &[WORKERS],
        lacks: &[],
        kills_workers: false,
        calibration_tasks: Some(IN_PROCESS_TASKS),
        colour: (0, 114, 178),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(ThreadsSpec {
            workers: knobs.count(&WORKERS)?,
        })
    }

    fn slug(&self) -> String {
        format!("threads-{}", self.workers)
    }

    fn shape(&self) -> Shape {
        Shape::in_process(self.workers, self.workers)
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        threads(Pool::Threads(self.workers), job)
    }
}

impl fmt::Display for ThreadsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "threads({})", self.workers)
    }
}

const TOKIO_THREADS: KnobDesc = KnobDesc {
    key: "tokio_threads",
    kind: WORKER_COUNT,
    default: "",
    help: "threads of the blocking pool (default: the worker count)",
    variants: &[],
};

/// `tokio`: a current-thread runtime; each file operation goes to its
/// blocking pool of `workers` threads; `concurrency` tasks in flight
/// (aiofiles).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokioSpec {
    /// Blocking-pool threads.
    pub workers: u32,
    /// Tasks in flight.
    pub concurrency: u32,
}

impl StrategySpec for TokioSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "tokio",
        aliases: &[],
        summary: "a current-thread runtime, `workers` tasks in flight, each file operation on the blocking pool (aiofiles)",
        knobs: &[WORKERS, TOKIO_THREADS],
        lacks: &[
            (Capability::Mmap, NO_MMAP),
            (Capability::Flock, NO_FLOCK),
        ],
        kills_workers: false,
        calibration_tasks: Some(IN_PROCESS_TASKS),
        colour: (204, 121, 167),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        let concurrency = knobs.count(&WORKERS)?;
        let pool = match knobs.get(TOKIO_THREADS.key) {
            Some(_) => knobs.count(&TOKIO_THREADS)?,
            None => concurrency,
        };
        Ok(TokioSpec {
            workers: pool,
            concurrency,
        })
    }

    fn slug(&self) -> String {
        format!("tokio-{}-c{}", self.workers, self.concurrency)
    }

    fn shape(&self) -> Shape {
        Shape::in_process(self.concurrency, self.workers)
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        tokio(self.workers, self.concurrency, job)
    }
}

impl fmt::Display for TokioSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tokio({} threads, {} in flight)",
            self.workers, self.concurrency
        )
    }
}

/// `io_uring`: one ring with `queue_depth` entries and as many tasks in
/// flight.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IoUringSpec {
    /// Ring entries and tasks in flight.
    pub queue_depth: u32,
}

impl StrategySpec for IoUringSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "io_uring",
        aliases: &["io-uring", "uring"],
        summary: "one io_uring ring of `workers` entries and as many tasks in flight",
        knobs: &[WORKERS],
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
            (
                Capability::TokioRuntime,
                "the task calls tokio's own I/O, which would run on tokio's blocking pool, not the ring (write it against the Io seam and drop TokioRuntime from the variant's needs); use sequential, threads, processes, nested or tokio",
            ),
        ],
        kills_workers: false,
        calibration_tasks: Some(IN_PROCESS_TASKS),
        colour: (213, 94, 0),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(IoUringSpec {
            queue_depth: knobs.count(&WORKERS)?,
        })
    }

    fn slug(&self) -> String {
        format!("io_uring-q{}", self.queue_depth)
    }

    fn shape(&self) -> Shape {
        Shape::in_process(self.queue_depth, 1)
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        io_uring(self.queue_depth, job)
    }
}

impl fmt::Display for IoUringSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "io_uring(depth {})", self.queue_depth)
    }
}

/// Where the blocking backend's lanes run.
#[derive(Clone, Copy, Debug)]
enum Pool {
    /// One lane on the calling thread (`sequential`).
    Caller,
    /// One lane on each of this many spawned threads (`threads`, one
    /// included: a pool of one thread is a thread of its own, so
    /// `threads(1)` against `sequential` compares a worker thread's
    /// footing with the calling thread's).
    Threads(u32),
}

/// The tasks on the blocking backend, in the lanes of `pool`.
fn threads(pool: Pool, job: Job<'_>) -> Result<Execution, StrategyError> {
    let (workload, ctx, gate) = (job.workload, job.ctx, job.gate);
    let workers = match pool {
        Pool::Caller => 1,
        Pool::Threads(n) => n,
    };
    let runtimes = lane_runtimes(workload, workers).map_err(|e| prepare_failed(workload, e))?;
    in_process(job, workers, |outputs, clock| {
        let source = Counter::new(workload, ctx, &clock);
        let io = Blocking;
        let shared =
            block_on(workload.prepare(&io, ctx)).map_err(|e| prepare_failed(workload, e))?;
        let run = |source: &Counter, outputs: Vec<LaneOutput>| {
            let lane = |(out, runtime): (LaneOutput, &Option<tokio::runtime::Runtime>)| {
                workload.with_tasks(BlockingLane {
                    source,
                    ctx,
                    shared: &shared,
                    clock,
                    out,
                    runtime: runtime.as_ref(),
                })
            };
            let lanes = outputs.into_iter().zip(&runtimes);
            if let Pool::Caller = pool {
                return lanes.map(lane).collect();
            }
            std::thread::scope(|scope| {
                let handles: Vec<_> = lanes.map(|each| scope.spawn(move || lane(each))).collect();
                LaneOutput::joined(handles)
            })
        };
        let mut lanes = run(&source, outputs);
        let (phase, wearout) = after_stonewall(&source, ctx, gate, &clock, &lanes);
        if let Some(more) = wearout {
            lanes = run(&more, lanes);
        }
        Ok((lanes, block_on(workload.finish(&io, shared)), phase))
    })
}

/// tokio's current-thread runtime with a blocking pool of `workers` threads
/// and `concurrency` lanes.
fn tokio(workers: u32, concurrency: u32, job: Job<'_>) -> Result<Execution, StrategyError> {
    let (workload, ctx, gate) = (job.workload, job.ctx, job.gate);
    in_process(job, concurrency, |outputs, clock| {
        let io = crate::io::TokioFs;
        crate::io::run_tokio(
            workers.max(1) as usize,
            async_lanes(&io, outputs, workload, ctx, (clock, gate)),
        )
        .map_err(|e| StrategyError::Failed(format!("tokio runtime: {e}")))?
        .map_err(|e| prepare_failed(workload, e))
    })
}

/// One io_uring ring of `queue_depth` entries, as many lanes.
fn io_uring(queue_depth: u32, job: Job<'_>) -> Result<Execution, StrategyError> {
    let (workload, ctx, gate) = (job.workload, job.ctx, job.gate);
    in_process(job, queue_depth, |outputs, clock| {
        let ring = crate::io::Uring::new(queue_depth.max(1))
            .map_err(|why| StrategyError::Unavailable(why.0))?;
        ring.block_on(async_lanes(&ring, outputs, workload, ctx, (clock, gate)))
            .map_err(|e| prepare_failed(workload, e))
    })
}

/// What an in-process strategy's lanes leave inside the timed region: each
/// lane's output, the end of the shared state (closing the shared handle),
/// and the stonewall's phase.
pub(super) type Ran = (Vec<LaneOutput>, std::io::Result<()>, Option<StonewallPhase>);

type LanesResult = std::io::Result<Ran>;

/// The frame of every strategy that runs its lanes in this process:
/// `lanes` outputs reserved before the timed region, the region opened at
/// the job's gate, `body` run with the outputs and the region's clock, the
/// end of the work (the end sync of `--durability end-sync`) inside the
/// region, then, outside it, the lanes merged and their evidence verified.
pub(super) fn in_process(
    job: Job<'_>,
    lanes: u32,
    body: impl FnOnce(Vec<LaneOutput>, Clock) -> Result<Ran, StrategyError>,
) -> Result<Execution, StrategyError> {
    let (workload, ctx) = (job.workload, job.ctx);
    let outputs = reserve(workload, ctx, lanes);
    let meter = start_meter(job.gate);
    let (lanes, finish, stonewall) = body(outputs, meter.clock())?;
    let finish = finish.and_then(|()| end_of_work(workload, ctx));
    let usage = meter.stop();
    let mut exec = collect(usage, lanes, finish, workload, ctx, job.corpus);
    exec.stonewall = stonewall;
    Ok(exec)
}

/// The reserved outputs of `lanes` lanes (at least one), made before the
/// timed region (for any strategy that runs lanes in this process).
pub(super) fn reserve(workload: &Workload, ctx: &TaskContext, lanes: u32) -> Vec<LaneOutput> {
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

/// The error of a workload's `prepare` (its shared handle, its map).
pub(super) fn prepare_failed(workload: &Workload, e: std::io::Error) -> StrategyError {
    StrategyError::Failed(format!("preparing {}: {e}", workload.name()))
}

/// Merge lanes, then verify evidence (outside the timed region): the end
/// of any strategy that runs lanes in this process.
pub(super) fn collect(
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
        exec.metrics.merge(&lane.tally.totals());
        exec.task_errors.extend(lane.error);
    }
    exec.absorb_records();
    exec
}
