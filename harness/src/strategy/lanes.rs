//! A lane: a loop that takes the next task, runs it, and records how long it
//! took. Threads, worker threads and async lanes all run this same loop.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::io::{Blocking, Io};
use crate::measure::{region, Clock, Gate};
use crate::workload::{Evidence, Lane, Shared, Task, TaskContext, TaskRunner, WithTasks, Workload};

/// What one task did, as recorded by its lane. On the worker pipe it is a
/// bare tuple (`RecordWire`): no field names in every record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "RecordWire", from = "RecordWire")]
pub struct TaskRecord {
    /// Task index.
    pub index: u32,
    /// Time the task took, in nanoseconds.
    pub latency_ns: u64,
    /// When it finished, nanoseconds on the timed region's clock (worker
    /// processes share the parent's clock): the time series' input.
    pub done_ns: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// The task's count (lines, matches).
    pub count: u64,
    /// The task's error, if it failed.
    pub error: Option<String>,
}

/// A [`TaskRecord`] as it crosses the worker pipe: index, latency, done,
/// bytes, count, error.
pub type RecordWire = (u32, u64, u64, u64, u64, Option<String>);

impl From<TaskRecord> for RecordWire {
    fn from(r: TaskRecord) -> RecordWire {
        (r.index, r.latency_ns, r.done_ns, r.bytes, r.count, r.error)
    }
}

impl From<RecordWire> for TaskRecord {
    fn from(w: RecordWire) -> TaskRecord {
        let (index, latency_ns, done_ns, bytes, count, error) = w;
        TaskRecord {
            index,
            latency_ns,
            done_ns,
            bytes,
            count,
            error,
        }
    }
}

/// Where a lane gets its next task index.
pub trait TaskSource: Sync {
    /// The next task, or `None` when there are no more.
    fn next(&self) -> Option<u32>;

    /// A task finished (a worker process reports finished batches here).
    fn completed(&self, _record: &TaskRecord) {}

    /// Whether [`TaskSource::next`] may block waiting for work (batches
    /// arriving over a pipe); then a task's time starts after it returns,
    /// otherwise at the end of the lane's previous task.
    fn waits(&self) -> bool {
        false
    }
}

/// Tasks a lane reserves record room for up front (address space only;
/// past it the lists grow by doubling).
const RESERVED_TASKS: usize = 1 << 18;

/// Extra records a lane faults in beyond its even share of the tasks (lanes
/// that share a counter do not split the tasks exactly evenly).
const SHARE_SLACK: usize = 1024;

/// Tasks of a range handed out by an atomic counter, until the range is
/// done or the stonewall has passed (one clock read per task when set).
#[derive(Debug)]
pub struct Counter {
    next: AtomicU32,
    start: u32,
    end: u32,
    deadline_ns: Option<u64>,
}

impl Counter {
    /// The tasks of `workload` in `ctx`, stopping at `ctx`'s stonewall,
    /// whose deadline counts from the start of the region timed by `clock`.
    pub fn new(workload: &Workload, ctx: &TaskContext, clock: &Clock) -> Counter {
        let range = workload.task_range(ctx);
        Counter {
            next: AtomicU32::new(range.start),
            start: range.start,
            end: range.end,
            deadline_ns: ctx.stonewall.map(|s| s.deadline_ns(clock)),
        }
    }

    /// Tasks taken so far (a prefix of the range).
    fn taken(&self) -> u32 {
        self.next.load(Ordering::Relaxed).min(self.end) - self.start
    }

    /// The stonewall's wear-out: the tasks after those taken, until
    /// `target` are taken in all (at most the range), with no deadline.
    fn wearout(&self, target: u64) -> Counter {
        let from = self.start + self.taken();
        let to = u64::from(self.start)
            .saturating_add(target)
            .min(u64::from(self.end)) as u32;
        Counter {
            next: AtomicU32::new(from),
            start: from,
            end: to.max(from),
            deadline_ns: None,
        }
    }
}

impl TaskSource for Counter {
    fn next(&self) -> Option<u32> {
        // A second SIGINT/SIGTERM, or the stonewall's deadline: take no new
        // task (one relaxed load, and a clock read only with a stonewall).
        if crate::interrupt::stop_now() || region::past(self.deadline_ns) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.end).then_some(i)
    }
}

/// What a region's stonewall phase did: its tasks and bytes, and when it
/// ended (its lanes had stopped), since the region's start.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StonewallPhase {
    /// Tasks finished in it (those taken before the deadline).
    pub tasks: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// When the phase ended, since the region's start.
    pub ended: Duration,
}

impl StonewallPhase {
    /// The phase of the records so far, ending now.
    pub fn of<'a>(records: impl Iterator<Item = &'a TaskRecord>, clock: &Clock) -> StonewallPhase {
        let (tasks, bytes) = records.fold((0, 0), |(t, b), r| (t + 1, b + r.bytes));
        StonewallPhase {
            tasks,
            bytes,
            ended: clock.elapsed(),
        }
    }
}

/// The end of a stonewall phase whose lanes took tasks from `counter` and
/// produced `lanes`: what the phase did (with a stonewall), and, with its
/// wear-out, the tasks still to run so this client does as many as the one
/// that did most ([`Gate::most_done`], a collective call under MPI).
pub fn after_stonewall(
    counter: &Counter,
    ctx: &TaskContext,
    gate: &dyn Gate,
    clock: &Clock,
    lanes: &[LaneOutput],
) -> (Option<StonewallPhase>, Option<Counter>) {
    let Some(wall) = ctx.stonewall else {
        return (None, None);
    };
    let phase = StonewallPhase::of(lanes.iter().flat_map(|l| &l.records), clock);
    let more = wall
        .wearout
        .then(|| counter.wearout(gate.most_done(u64::from(counter.taken()))));
    (Some(phase), more)
}

/// What a lane produced.
#[derive(Debug, Default)]
pub struct LaneOutput {
    /// One record per task.
    pub records: Vec<TaskRecord>,
    /// Evidence kept for verification, by task index.
    pub evidence: Vec<(u32, Evidence)>,
    /// When the lane finished, on the region's clock.
    pub done_ns: u64,
    /// What went wrong outside any task (finishing the lane, a panic).
    pub error: Option<String>,
    /// The fold of its tasks' figures (a user workload's metrics).
    pub tally: crate::workload::Tally,
}

impl LaneOutput {
    /// Empty lists with room for one of `lanes` lanes' records (and evidence,
    /// when `workload` keeps it), their memory already faulted in: made before
    /// the timed region, so a task's record costs a store, not a page fault.
    pub fn reserved(workload: &Workload, ctx: &TaskContext, lanes: u32) -> LaneOutput {
        let tasks = workload.tasks(ctx) as usize;
        let room = tasks.min(RESERVED_TASKS);
        let share = (tasks.div_ceil(lanes.max(1) as usize) + SHARE_SLACK).min(room);
        let mut out = LaneOutput {
            records: Vec::with_capacity(room),
            evidence: Vec::with_capacity(if workload.keeps_evidence() { room } else { 0 }),
            ..LaneOutput::default()
        };
        // Writing each slot once faults its page in; `clear` keeps the memory.
        out.records.resize(share, TaskRecord::default());
        out.records.clear();
        if workload.keeps_evidence() {
            let blank = (0, crate::workload::Evidence::Checksum { len: 0, xxh3: 0 });
            out.evidence.resize(share, blank);
            out.evidence.clear();
        }
        out
    }

    /// The outputs of lane threads, in their order: each thread's own, or
    /// [`LaneOutput::panicked`] for one that panicked.
    pub fn joined(handles: Vec<std::thread::ScopedJoinHandle<'_, LaneOutput>>) -> Vec<LaneOutput> {
        let output = |handle: std::thread::ScopedJoinHandle<'_, LaneOutput>| {
            handle.join().unwrap_or_else(|payload| {
                LaneOutput::panicked(&crate::panics::message(payload.as_ref()))
            })
        };
        handles.into_iter().map(output).collect()
    }

    /// The output of a lane whose thread panicked outside any task, with
    /// the panic's message ([`crate::panics::message`]).
    pub fn panicked(message: &str) -> LaneOutput {
        LaneOutput {
            error: Some(format!(
                "a lane stopped outside a task ({message}); the tasks it had not taken were left to the other lanes, if any"
            )),
            ..LaneOutput::default()
        }
    }
}

/// Run tasks from `source` until it is empty, then finish the lane, filling
/// `out` (made by [`LaneOutput::reserved`] before the timed region).
///
/// The per-task path allocates nothing of its own: the record and evidence
/// lists are reserved and faulted in up front, the lane's I/O buffer is reused, and a
/// task's latency costs one read of the clock (the previous task's end is
/// the next one's start, so a task's time includes taking it from the
/// source: an atomic increment). The source's type is a parameter, not a
/// trait object, so taking a task is a direct (inlined) call; so is the
/// workload's, where the caller hands the workload's own spec
/// ([`BlockingLane`]).
///
/// A task that panics fails alone: the lane's loop runs inside one catch
/// ([`crate::panics::catch_future`], set up once per lane, not per task;
/// per task the loop only notes the index it took), which records the task
/// with its index and the panic's message, reports it to the source (a
/// worker's batch completes) and starts the loop again for the lane's other
/// tasks. A panic outside any task (the harness's own: the noted task has
/// its record already) goes on unwinding, out of the lane.
pub async fn run_lane<I: Io, S: TaskSource, R: TaskRunner>(
    io: &I,
    workload: &R,
    ctx: &TaskContext,
    shared: &Shared<I::File>,
    source: &S,
    clock: Clock,
    out: LaneOutput,
) -> LaneOutput {
    let mut state = LaneState {
        lane: Lane::default(),
        out,
        taken: None,
    };
    let work = LaneWork {
        io,
        workload,
        ctx,
        shared,
        source,
        clock,
    };
    loop {
        let tasks = run_tasks(&work, &mut state);
        let Err(message) = crate::panics::catch_future(tasks).await else {
            break;
        };
        // The task taken last panicked unless it was recorded already.
        let recorded = state.out.records.last().map(|r| r.index);
        let Some(index) = state.taken.filter(|&t| recorded != Some(t)) else {
            std::panic::resume_unwind(Box::new(crate::panics::Panicked(message)));
        };
        state.out.records.push(TaskRecord {
            index,
            // Its time is not known; failed tasks are left out of the
            // latency figures.
            latency_ns: 0,
            done_ns: clock.now_ns(),
            error: Some(format!(
                "task {index} ({}) {message} (the lane went on with its other tasks)",
                workload.task_path(ctx, index).display()
            )),
            ..TaskRecord::default()
        });
        if let Some(record) = state.out.records.last() {
            source.completed(record);
        }
    }
    let LaneState { lane, mut out, .. } = state;
    out.tally = lane.tally;
    if let Err(e) = workload.finish_lane(io, ctx, lane).await {
        out.error.get_or_insert(format!("finishing a lane: {e}"));
    }
    out.done_ns = clock.now_ns();
    out
}

/// What a lane carries from task to task, kept by [`run_lane`] across a
/// task's panic.
struct LaneState<F> {
    /// The workload's per-lane state (its buffer, a buffered handle).
    lane: Lane<F>,
    /// Records and evidence so far.
    out: LaneOutput,
    /// The index of the task taken last.
    taken: Option<u32>,
}

impl<F> Default for LaneState<F> {
    fn default() -> Self {
        LaneState {
            lane: Lane::default(),
            out: LaneOutput::default(),
            taken: None,
        }
    }
}

/// A value moved out of its home for a while and moved back when dropped,
/// by a panic's unwinding too: the lane's loop works on its state as its
/// own local (no pointer to follow per task), and a task's panic loses
/// nothing of it.
struct Borrowed<'a, T: Default> {
    home: &'a mut T,
    value: T,
}

impl<'a, T: Default> Borrowed<'a, T> {
    fn from(home: &'a mut T) -> Borrowed<'a, T> {
        let value = std::mem::take(home);
        Borrowed { home, value }
    }
}

impl<T: Default> Drop for Borrowed<'_, T> {
    fn drop(&mut self) {
        std::mem::swap(self.home, &mut self.value);
    }
}

/// What the loop of [`run_lane`] works with, fixed for the lane's life.
struct LaneWork<'a, I: Io, S, R> {
    io: &'a I,
    workload: &'a R,
    ctx: &'a TaskContext,
    shared: &'a Shared<I::File>,
    source: &'a S,
    clock: Clock,
}

/// The loop of [`run_lane`]: take a task (noting its index), run it,
/// record it, until the source is empty.
async fn run_tasks<I: Io, S: TaskSource, R: TaskRunner>(
    work: &LaneWork<'_, I, S, R>,
    state: &mut LaneState<I::File>,
) {
    let mut state = Borrowed::from(state);
    let waits = work.source.waits();
    let mut last_ns = work.clock.now_ns();
    while let Some(index) = work.source.next() {
        state.value.taken = Some(index);
        // A task starts where the previous one ended (one clock read per
        // task), unless taking it may have waited for a batch.
        let t0 = if waits { work.clock.now_ns() } else { last_ns };
        let task = Task {
            ctx: work.ctx,
            shared: work.shared,
            lane: &mut state.value.lane,
            index,
        };
        let result = work.workload.run_task(work.io, task).await;
        let done_ns = work.clock.now_ns();
        last_ns = done_ns;
        let latency_ns = done_ns - t0;
        let record = match result {
            Ok(o) => {
                if let Some(e) = o.evidence {
                    state.value.out.evidence.push((index, e));
                }
                TaskRecord {
                    index,
                    latency_ns,
                    done_ns,
                    bytes: o.bytes,
                    count: o.count,
                    error: None,
                }
            }
            Err(e) => TaskRecord {
                index,
                latency_ns,
                done_ns,
                error: Some(format!(
                    "task {index} ({}): {e}",
                    work.workload.task_path(work.ctx, index).display()
                )),
                ..TaskRecord::default()
            },
        };
        // Recorded before the source hears of it: a panic from here on is
        // not the task's.
        state.value.out.records.push(record);
        if let Some(record) = state.value.out.records.last() {
            work.source.completed(record);
        }
    }
}

/// One lane of the blocking backend, run to its end on the calling thread
/// once [`Workload::with_tasks`] hands it the workload's own spec, so the
/// lane's loop is compiled for that workload (what `sequential`, `threads`
/// and worker processes run).
pub struct BlockingLane<'a, S> {
    /// The tasks' source.
    pub source: &'a S,
    /// The repetition's files and paths.
    pub ctx: &'a TaskContext,
    /// The process's shared state (made by the workload's `prepare`).
    pub shared: &'a Shared<std::fs::File>,
    /// The timed region's clock.
    pub clock: Clock,
    /// The lane's reserved output ([`LaneOutput::reserved`]).
    pub out: LaneOutput,
    /// The lane's own tokio runtime, for a variant that needs one
    /// ([`lane_runtimes`]): the lane is driven by it, so its tasks can call
    /// `tokio::fs` and find `Handle::current()`.
    pub runtime: Option<&'a tokio::runtime::Runtime>,
}

impl<S: TaskSource> WithTasks for BlockingLane<'_, S> {
    type Output = LaneOutput;

    fn with<R: TaskRunner>(self, runner: &R) -> LaneOutput {
        let lane = run_lane(
            &Blocking,
            runner,
            self.ctx,
            self.shared,
            self.source,
            self.clock,
            self.out,
        );
        match self.runtime {
            Some(runtime) => runtime.block_on(lane),
            None => futures::executor::block_on(lane),
        }
    }
}

/// One tokio runtime per lane (current-thread, timers and blocking pool
/// enabled) when `workload`'s variant needs one
/// ([`Capability::TokioRuntime`](crate::describe::Capability::TokioRuntime));
/// none otherwise. Made where the lanes' outputs are reserved (before the
/// timed region in this process; in a worker process, during its start-up,
/// which `processes` and `nested` time as part of the process's start),
/// with one blocking-pool thread each already started (a
/// no-op through `spawn_blocking`), so the first `tokio::fs` call of a lane
/// does not pay for a thread; a runtime keeps that thread for ten idle
/// seconds, so a lane that waits longer between calls starts another inside
/// the timed region (tokio's cost, as in any program using it).
///
/// # Errors
/// The runtime could not be built (no threads or descriptors left).
pub fn lane_runtimes(
    workload: &Workload,
    lanes: u32,
) -> std::io::Result<Vec<Option<tokio::runtime::Runtime>>> {
    let needs = workload
        .desc()
        .variant(workload.variant())
        .is_some_and(|v| v.needs.contains(&crate::describe::Capability::TokioRuntime));
    (0..lanes.max(1))
        .map(|_| {
            if !needs {
                return Ok(None);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            // Inside the runtime: spawn_blocking needs its context.
            runtime
                .block_on(async { tokio::task::spawn_blocking(|| ()).await })
                .map_err(std::io::Error::other)?;
            Ok(Some(runtime))
        })
        .collect()
}
