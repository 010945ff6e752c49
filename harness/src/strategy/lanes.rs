//! A lane: a loop that takes the next task, runs it, and records how long it
//! took. Threads, worker threads and async lanes all run this same loop.

use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use crate::io::Io;
use crate::measure::Clock;
use crate::workload::{Lane, Shared, TaskContext, Workload};

/// What one task did, as recorded by its lane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Task index.
    pub index: u32,
    /// Time the task took, in nanoseconds.
    pub latency_ns: u64,
    /// When it finished, nanoseconds on the timed region's clock (worker
    /// processes share the parent's clock): the time series' input.
    #[serde(default)]
    pub done_ns: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// The task's count (lines, matches).
    pub count: u64,
    /// The task's error, if it failed.
    pub error: Option<String>,
}

/// Where a lane gets its next task index.
pub trait TaskSource: Sync {
    /// The next task, or `None` when there are no more.
    fn next(&self) -> Option<u32>;

    /// A task finished (a worker process reports finished batches here).
    fn completed(&self, _record: &TaskRecord) {}
}

/// Tasks `0..n` handed out by an atomic counter.
#[derive(Debug)]
pub struct Counter {
    next: AtomicU32,
    end: u32,
}

impl Counter {
    /// Tasks `0..end`.
    pub fn new(end: u32) -> Counter {
        Counter {
            next: AtomicU32::new(0),
            end,
        }
    }
}

impl TaskSource for Counter {
    fn next(&self) -> Option<u32> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.end).then_some(i)
    }
}

/// What a lane produced.
#[derive(Debug, Default)]
pub struct LaneOutput {
    /// One record per task.
    pub records: Vec<TaskRecord>,
    /// Evidence kept for verification, by task index.
    pub evidence: Vec<(u32, Vec<u8>)>,
    /// When the lane finished, on the region's clock.
    pub done_ns: u64,
    /// What went wrong outside any task (finishing the lane, a panic).
    pub error: Option<String>,
}

impl LaneOutput {
    /// The output of a lane whose thread panicked.
    pub fn panicked() -> LaneOutput {
        LaneOutput {
            error: Some("a lane thread panicked".into()),
            ..LaneOutput::default()
        }
    }
}

/// Run tasks from `source` until it is empty, then finish the lane.
pub async fn run_lane<I: Io>(
    io: &I,
    workload: &Workload,
    ctx: &TaskContext,
    shared: &Shared<I::File>,
    source: &dyn TaskSource,
    clock: Clock,
) -> LaneOutput {
    let mut out = LaneOutput::default();
    let mut lane = Lane::default();
    while let Some(index) = source.next() {
        let t0 = clock.now_ns();
        let result = workload.run_task(io, ctx, shared, &mut lane, index).await;
        let done_ns = clock.now_ns();
        let latency_ns = done_ns - t0;
        let record = match result {
            Ok(o) => {
                if let Some(e) = o.evidence {
                    out.evidence.push((index, e));
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
                    workload.task_path(ctx, index).display()
                )),
                ..TaskRecord::default()
            },
        };
        source.completed(&record);
        out.records.push(record);
    }
    if let Err(e) = workload.finish_lane(io, ctx, lane).await {
        out.error = Some(format!("finishing a lane: {e}"));
    }
    out.done_ns = clock.now_ns();
    out
}
