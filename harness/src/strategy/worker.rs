//! The hidden `iolab worker` subcommand: the other end of the process
//! strategies. It reads a setup message, runs the batches it is sent on its
//! own pool of threads, reports each finished batch, and after the parent's
//! timed region verifies the evidence it kept.

use std::collections::VecDeque;
use std::io::{self, BufRead, Write};
use std::ops::Range;
use std::sync::{Condvar, Mutex};

use futures::executor::block_on;
use serde::{Deserialize, Serialize};

use super::lanes::{BlockingLane, LaneOutput, TaskRecord, TaskSource};
use crate::io::Blocking;
use crate::measure::usage::Usage;
use crate::measure::{region, Clock, ClockOrigin};
use crate::workload::{TaskContext, Workload};

/// Parent to worker.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// First message: what to run, with how many threads.
    Setup {
        /// The workload (boxed, as the context: the other messages are
        /// small).
        workload: Box<Workload>,
        /// Where its files are.
        ctx: Box<TaskContext>,
        /// Threads in this worker.
        threads: u32,
        /// The parent's region clock ([`Clock::origin`]), so completion
        /// times are on it.
        #[serde(default)]
        clock: Option<ClockOrigin>,
    },
    /// Run these tasks.
    Batch {
        /// Task indices (a batch is a run of consecutive tasks).
        tasks: Range<u32>,
    },
    /// The stonewall's deadline is over (its wear-out): run the batches
    /// that follow whatever the time.
    WearOut,
    /// No more batches: finish the lanes and report usage.
    Finish,
    /// The timed region is over: verify kept evidence, answer, exit.
    Verify,
}

/// Worker to parent.
#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// Every task of one batch is done.
    BatchDone {
        /// Their records.
        records: Vec<TaskRecord>,
    },
    /// All lanes finished.
    Finished {
        /// The worker's own resource use (boxed: the largest message by far).
        usage: Box<Usage>,
        /// Errors outside tasks: finishing lanes or the shared state.
        errors: Vec<String>,
    },
    /// Evidence verified.
    Verified {
        /// One message per task whose evidence failed.
        failures: Vec<String>,
        /// The fold of its tasks' figures (a user workload's metrics).
        #[serde(default)]
        totals: crate::workload::Totals,
    },
}

/// A batch whose records are being collected.
struct Pending {
    tasks: Range<u32>,
    left: usize,
    records: Vec<TaskRecord>,
}

/// The queue of a worker's batches.
struct Queue {
    /// Batches not yet taken, in order.
    batches: VecDeque<Range<u32>>,
    /// No more batches will come in this phase: lanes end when it is empty.
    closed: bool,
    /// The stonewall (`CLOCK_MONOTONIC` ns, the parent's): past it no task
    /// starts, and the tasks not started count as done without a record.
    deadline_ns: Option<u64>,
}

/// Tasks arriving in batches; lanes block until a task or the end arrives,
/// and take none past the stonewall.
struct Batches<'a> {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// The batches in flight (a few: the parent keeps two or three per worker).
    pending: Mutex<Vec<Pending>>,
    out: &'a Mutex<io::Stdout>,
}

impl Batches<'_> {
    fn push(&self, tasks: Range<u32>) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.push(Pending {
                tasks: tasks.clone(),
                left: tasks.len(),
                records: Vec::with_capacity(tasks.len()),
            });
        }
        let Ok(mut q) = self.queue.lock() else {
            return;
        };
        // Checked under the queue's lock, so a batch arriving after the
        // stonewall is never queued behind lanes that have stopped.
        if region::past(q.deadline_ns) {
            drop(q);
            self.skip(tasks);
            return;
        }
        q.batches.push_back(tasks);
        drop(q);
        self.ready.notify_all();
    }

    /// Tasks the stonewall left unstarted: their batches complete without
    /// them, so the parent hears of every batch it sent.
    fn skip(&self, tasks: impl IntoIterator<Item = u32>) {
        for t in tasks {
            self.settle(t, None);
        }
    }

    /// Task `index` is done (with its record) or skipped (without): when it
    /// was its batch's last, report the batch.
    fn settle(&self, index: u32, record: Option<&TaskRecord>) {
        let done = self.pending.lock().ok().and_then(|mut pending| {
            let at = pending.iter().position(|p| p.tasks.contains(&index))?;
            let entry = &mut pending[at];
            entry.records.extend(record.cloned());
            entry.left -= 1;
            (entry.left == 0).then(|| pending.swap_remove(at).records)
        });
        if let Some(records) = done {
            // A broken pipe means the parent is gone; the lane ends when the queue closes.
            let _ = send(self.out, &FromWorker::BatchDone { records });
        }
    }

    fn close(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.closed = true;
        }
        self.ready.notify_all();
    }

    /// The wear-out: open again, with no deadline.
    fn reopen_without_deadline(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.closed = false;
            q.deadline_ns = None;
        }
    }
}

impl TaskSource for Batches<'_> {
    fn waits(&self) -> bool {
        true
    }

    fn next(&self) -> Option<u32> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if region::past(q.deadline_ns) {
                let left: Vec<Range<u32>> = q.batches.drain(..).collect();
                drop(q);
                self.skip(left.into_iter().flatten());
                return None;
            }
            if let Some(front) = q.batches.front_mut() {
                if let Some(t) = front.next() {
                    return Some(t);
                }
                q.batches.pop_front();
                continue;
            }
            if q.closed {
                return None;
            }
            q = self.ready.wait(q).ok()?;
        }
    }

    fn completed(&self, record: &TaskRecord) {
        self.settle(record.index, Some(record));
    }
}

fn send(out: &Mutex<io::Stdout>, message: &FromWorker) -> io::Result<()> {
    let line = serde_json::to_string(message).map_err(io::Error::other)?;
    let mut out = out
        .lock()
        .map_err(|_| io::Error::other("stdout lock poisoned"))?;
    writeln!(out, "{line}")?;
    out.flush()
}

fn receive(lines: &mut impl Iterator<Item = io::Result<String>>) -> io::Result<Option<ToWorker>> {
    match lines.next() {
        None => Ok(None),
        Some(line) => serde_json::from_str(&line?)
            .map(Some)
            .map_err(io::Error::other),
    }
}

/// Entry point of `iolab worker`.
///
/// # Errors
/// A malformed or missing message, or a broken pipe.
pub fn main() -> io::Result<()> {
    // Started through /proc/self/exe, the kernel named this process `exe`:
    // take the parent's binary name it gave as argv[0].
    if let Some(name) = std::env::args().next() {
        // A name the kernel refuses leaves `exe`: nothing else depends on it.
        let _ = crate::sys::program::set_own_name(&name);
    }
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    let Some(ToWorker::Setup {
        workload,
        ctx,
        threads,
        clock,
    }) = receive(&mut lines)?
    else {
        return Err(io::Error::other("the first message must be Setup"));
    };
    let clock = clock.map_or_else(Clock::start, Clock::at_origin);
    let out = Mutex::new(io::stdout());
    let batches = Batches {
        queue: Mutex::new(Queue {
            batches: VecDeque::new(),
            closed: false,
            deadline_ns: ctx.stonewall.map(|s| s.deadline_ns(&clock)),
        }),
        ready: Condvar::new(),
        pending: Mutex::new(Vec::new()),
        out: &out,
    };
    let io = Blocking;
    let threads = threads.max(1);
    let mut lanes: Vec<LaneOutput> = (0..threads)
        .map(|_| LaneOutput::reserved(&workload, &ctx, threads))
        .collect();
    let runtimes = super::lanes::lane_runtimes(&workload, threads)?;
    let shared = block_on(workload.prepare(&io, &ctx))?;
    let phase = Phase {
        workload: &workload,
        ctx: &ctx,
        shared: &shared,
        batches: &batches,
        clock,
        runtimes: &runtimes,
    };
    loop {
        let (outputs, ending) = phase.run(lanes, &mut lines);
        lanes = outputs;
        match ending {
            Some(ToWorker::WearOut) => batches.reopen_without_deadline(),
            _ => break,
        }
    }
    let mut errors: Vec<String> = lanes.iter().filter_map(|l| l.error.clone()).collect();
    errors.extend(
        block_on(workload.finish(&io, shared))
            .err()
            .map(|e| e.to_string()),
    );
    send(
        &out,
        &FromWorker::Finished {
            usage: Box::new(Usage::of_this_process()),
            errors,
        },
    )?;
    if let Some(ToWorker::Verify) = receive(&mut lines)? {
        let failures = verify(&workload, &ctx, &lanes);
        let mut totals = crate::workload::Totals::default();
        lanes.iter().for_each(|l| totals.merge(&l.tally.totals()));
        send(&out, &FromWorker::Verified { failures, totals })?;
    }
    Ok(())
}

/// What a worker's lanes share while they run the batches of one phase
/// (the stonewall's, then its wear-out's).
struct Phase<'a, 'b> {
    workload: &'a Workload,
    ctx: &'a TaskContext,
    shared: &'a crate::workload::Shared<std::fs::File>,
    batches: &'a Batches<'b>,
    clock: Clock,
    /// Each lane's tokio runtime, where the variant needs one.
    runtimes: &'a [Option<tokio::runtime::Runtime>],
}

impl Phase<'_, '_> {
    /// Run one lane per output on its own thread, queueing the batches
    /// the parent sends, until a message other than a batch (returned:
    /// `WearOut`, `Finish`, or `None` when the pipe ends) closes the queue
    /// and the lanes have ended.
    fn run(
        &self,
        outputs: Vec<LaneOutput>,
        lines: &mut impl Iterator<Item = io::Result<String>>,
    ) -> (Vec<LaneOutput>, Option<ToWorker>) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = outputs
                .into_iter()
                .zip(self.runtimes)
                .map(|(out, runtime)| {
                    let lane = BlockingLane {
                        source: self.batches,
                        ctx: self.ctx,
                        shared: self.shared,
                        clock: self.clock,
                        out,
                        runtime: runtime.as_ref(),
                    };
                    let workload = self.workload;
                    scope.spawn(move || lane_or_exit(workload, lane))
                })
                .collect();
            let ending = loop {
                match receive(lines) {
                    Ok(Some(ToWorker::Batch { tasks })) => self.batches.push(tasks),
                    Ok(other) => break other,
                    Err(_) => break None,
                }
            };
            self.batches.close();
            (LaneOutput::joined(handles), ending)
        })
    }
}

/// Run one lane of this worker. A task's panic fails that task alone
/// (`lanes::run_lane`); a panic outside any task would leave the task it
/// had taken unreported, and the parent waiting for its batch, so it ends
/// this process instead (exit status 101, the message on stderr): the
/// parent reads the end of the pipe and fails the repetition.
fn lane_or_exit(workload: &Workload, lane: BlockingLane<'_, Batches<'_>>) -> LaneOutput {
    match crate::panics::catch(|| workload.with_tasks(lane)) {
        Ok(out) => out,
        Err(message) => {
            eprintln!(
                "iolab worker {}: a lane stopped outside a task ({message}); ending the worker",
                std::process::id()
            );
            std::process::exit(101)
        }
    }
}

fn verify(workload: &Workload, ctx: &TaskContext, lanes: &[LaneOutput]) -> Vec<String> {
    if lanes.iter().all(|l| l.evidence.is_empty()) {
        return Vec::new();
    }
    match ctx.corpus() {
        Ok(corpus) => lanes
            .iter()
            .flat_map(|l| workload.verify_tasks(ctx, &corpus, &l.evidence))
            .collect(),
        Err(e) => vec![format!("opening the corpus manifest to verify: {e}")],
    }
}
