//! Worker processes of the iolab binary (`iolab worker`), fed batches of task
//! indices over their stdin and answering with task records on their stdout,
//! one JSON message per line. `processes` is this with one thread per worker,
//! `nested` with several.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::Range;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::registry::{Shape, StrategySpec, WORKERS, WORKER_COUNT};
use super::worker::{FromWorker, ToWorker};
use super::{end_of_work, start_meter, Execution, Job, StonewallPhase, StrategyError};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};
use crate::interrupt::{self, ChildGroup};
use crate::measure::{region, Clock};

struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    /// Its own process group: a Ctrl-C at the terminal reaches iolab only,
    /// and a second signal kills the worker (see `crate::interrupt`).
    _group: ChildGroup,
}

impl Worker {
    fn send(&mut self, message: &ToWorker) -> Result<(), StrategyError> {
        let line =
            serde_json::to_string(message).map_err(|e| StrategyError::Failed(e.to_string()))?;
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| {
                StrategyError::Failed(format!(
                    "worker {} stopped taking tasks: {e}",
                    self.child.id()
                ))
            })
    }
}

impl Drop for Worker {
    /// However the repetition ends (an error midway included), no worker
    /// outlives it: one still running is killed, and every one is reaped.
    /// (A worker already waited for is neither signalled again nor waited
    /// twice: `Child` keeps its status.)
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Inbox = mpsc::Receiver<(usize, Result<FromWorker, String>)>;

/// Spawn `count` workers and a reader thread for each, all feeding one inbox.
fn spawn(count: u32, setup: &ToWorker) -> Result<(Vec<Worker>, Inbox), StrategyError> {
    // The running binary's own inode: a rebuild that replaces the file on disk
    // mid-run cannot break the workers (Linux: /proc/self/exe).
    let exe = std::path::PathBuf::from("/proc/self/exe");
    // Named after this binary (argv[0], and the worker's own name from
    // it), so `pgrep <binary>` finds the workers, not `exe`.
    let name = crate::sys::program::own_name().unwrap_or_else(|| "iolab".into());
    let (tx, rx) = mpsc::channel();
    let mut workers = Vec::new();
    for id in 0..count as usize {
        let mut child = Command::new(&exe)
            .arg0(&name)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| {
                StrategyError::Failed(format!("starting worker process {}: {e}", exe.display()))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(StrategyError::Failed("worker pipes missing".into()));
        };
        let group = interrupt::track(child.id());
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let message = line.map_err(|e| e.to_string()).and_then(|l| {
                    serde_json::from_str::<FromWorker>(&l)
                        .map_err(|e| format!("bad message {l:?}: {e}"))
                });
                // Verified is a worker's last word: its exit after it is expected.
                let last = matches!(message, Ok(FromWorker::Verified { .. }));
                if tx.send((id, message)).is_err() || last {
                    return;
                }
            }
            let _ = tx.send((id, Err("worker exited".into())));
        });
        let mut worker = Worker {
            child,
            stdin: BufWriter::new(stdin),
            _group: group,
        };
        worker.send(setup)?;
        workers.push(worker);
    }
    Ok((workers, rx))
}

/// The range of tasks per message (0: an even split).
const BATCH_COUNT: KnobKind = KnobKind::Count {
    min: 0,
    max: 1_000_000,
};

/// The process strategies' calibration task counts: each batch is a pipe
/// round trip.
const PROCESS_TASKS: [u32; 2] = [512, 4096];

const PROCESSES_BATCH: KnobDesc = KnobDesc {
    key: "batch",
    kind: BATCH_COUNT,
    default: "1",
    help: "tasks per message to a worker (0: an even split)",
    variants: &[],
};

/// `processes`: `workers` processes of the iolab binary, fed batches of
/// `batch` tasks over pipes (Python's ProcessPoolExecutor with a
/// chunksize).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessesSpec {
    /// Worker processes.
    pub workers: u32,
    /// Tasks per message.
    pub batch: u32,
}

impl StrategySpec for ProcessesSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "processes",
        aliases: &[],
        summary: "`workers` processes of the iolab binary fed batches of tasks over pipes (ProcessPoolExecutor)",
        knobs: &[WORKERS, PROCESSES_BATCH],
        lacks: &[],
        kills_workers: true,
        calibration_tasks: Some(PROCESS_TASKS),
        colour: (230, 159, 0),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(ProcessesSpec {
            workers: knobs.count(&WORKERS)?,
            batch: knobs.count(&PROCESSES_BATCH)?,
        })
    }

    fn slug(&self) -> String {
        format!("processes-{}-b{}", self.workers, self.batch)
    }

    fn shape(&self) -> Shape {
        Shape {
            workers: self.workers,
            processes: self.workers,
            threads_per_process: 1,
            batch: Some(self.batch),
            program: None,
        }
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        run(self.workers, 1, self.batch, job)
    }
}

impl fmt::Display for ProcessesSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "processes({}, batch {})", self.workers, self.batch)
    }
}

const THREADS: KnobDesc = KnobDesc {
    key: "threads",
    kind: WORKER_COUNT,
    default: "2",
    help: "threads in each worker process",
    variants: &[],
};

const NESTED_BATCH: KnobDesc = KnobDesc {
    key: "batch",
    kind: BATCH_COUNT,
    default: "0",
    help: "tasks per message to a worker (0: an even split)",
    variants: &[],
};

/// `nested`: `processes` worker processes, each running `threads` threads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NestedSpec {
    /// Worker processes.
    pub processes: u32,
    /// Threads in each.
    pub threads: u32,
    /// Tasks per message.
    pub batch: u32,
}

impl StrategySpec for NestedSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "nested",
        aliases: &[],
        summary: "`workers` worker processes, each running `threads` threads",
        knobs: &[WORKERS, THREADS, NESTED_BATCH],
        lacks: &[],
        kills_workers: true,
        calibration_tasks: Some(PROCESS_TASKS),
        colour: (0, 158, 115),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(NestedSpec {
            processes: knobs.count(&WORKERS)?,
            threads: knobs.count(&THREADS)?,
            batch: knobs.count(&NESTED_BATCH)?,
        })
    }

    fn slug(&self) -> String {
        format!("nested-{}x{}-b{}", self.processes, self.threads, self.batch)
    }

    fn shape(&self) -> Shape {
        Shape {
            workers: self.processes * self.threads,
            processes: self.processes,
            threads_per_process: self.threads,
            batch: Some(self.batch),
            program: None,
        }
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        run(self.processes, self.threads, self.batch, job)
    }
}

impl fmt::Display for NestedSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nested({}×{}, batch {})",
            self.processes, self.threads, self.batch
        )
    }
}

/// Run the tasks on `processes` workers of `threads` threads, `batch` tasks a message.
fn run(processes: u32, threads: u32, batch: u32, job: Job<'_>) -> Result<Execution, StrategyError> {
    let (workload, ctx, gate) = (job.workload, job.ctx, job.gate);
    let tasks = workload.tasks(ctx);
    // Batch 0 is an even split: each process gets one chunk of the tasks.
    let batch = match batch {
        0 => tasks.div_ceil(processes.max(1)).max(1),
        n => n,
    };
    let range = workload.task_range(ctx);
    let mut batches = split(range.clone(), batch);
    let mut setup = ToWorker::Setup {
        workload: Box::new(workload.clone()),
        ctx: Box::new(ctx.clone()),
        threads,
        clock: None,
    };
    let mut meter = start_meter(gate);
    let clock = meter.clock();
    let deadline = ctx.stonewall.map(|s| s.deadline_ns(&clock));
    if let ToWorker::Setup { clock: origin, .. } = &mut setup {
        *origin = Some(clock.origin());
    }
    let (mut workers, inbox) = spawn(processes, &setup)?;
    // Batches sent and not yet reported done (a batch the stonewall cut
    // is reported with the records of the tasks that ran).
    let in_flight = 2.max(threads.div_ceil(batch.max(1)) + 1);
    let mut outstanding = hand_out(&mut workers, &mut batches, in_flight)?;
    let mut exec = Execution::default();
    let mut finished = 0;
    if tasks == 0 {
        finish_all(&mut workers)?;
    }
    while finished < workers.len() {
        let (id, message) = inbox
            .recv()
            .map_err(|_| StrategyError::Failed("all workers gone".into()))?;
        match message.map_err(|e| fail(&mut workers, id, &e))? {
            FromWorker::BatchDone { records } => {
                outstanding -= 1;
                exec.records.extend(records);
                if job
                    .kill_after
                    .is_some_and(|k| exec.records.len() >= k as usize)
                {
                    return Ok(kill_all(workers, meter, exec));
                }
                // Past the stonewall no batch is handed out (until its
                // wear-out), and workers start no task of those sent.
                let stopped = exec.stonewall.is_none() && region::past(deadline);
                let next = (!stopped).then(|| batches.pop_front());
                if let Some(b) = next.flatten() {
                    outstanding += 1;
                    workers[id].send(&ToWorker::Batch { tasks: b })?;
                } else if outstanding == 0 {
                    let pending = (&mut batches, &range, batch, in_flight);
                    outstanding = drained(&mut workers, &mut exec, (job, &clock), pending)?;
                }
            }
            FromWorker::Finished { usage, errors } => {
                exec.lane_done.push(Duration::from_nanos(clock.now_ns()));
                meter.add_worker(*usage);
                exec.task_errors.extend(errors);
                finished += 1;
            }
            FromWorker::Verified { .. } => {
                return Err(fail(&mut workers, id, "answered out of turn"))
            }
        }
    }
    if let Err(e) = end_of_work(workload, ctx) {
        exec.task_errors.push(e.to_string());
    }
    exec.usage = meter.stop();
    verify_and_reap(&mut workers, &inbox, &mut exec)?;
    exec.absorb_records();
    Ok(exec)
}

/// `range` as batches of `batch` consecutive tasks.
fn split(range: Range<u32>, batch: u32) -> VecDeque<Range<u32>> {
    range
        .clone()
        .step_by(batch.max(1) as usize)
        .map(|first| first..first.saturating_add(batch).min(range.end))
        .collect()
}

/// Send `rounds` batches to each worker in turn (fewer when they run out);
/// returns how many were sent.
fn hand_out(
    workers: &mut [Worker],
    batches: &mut VecDeque<Range<u32>>,
    rounds: u32,
) -> Result<usize, StrategyError> {
    let mut sent = 0;
    for _ in 0..rounds {
        for w in workers.iter_mut() {
            if let Some(b) = batches.pop_front() {
                sent += 1;
                w.send(&ToWorker::Batch { tasks: b })?;
            }
        }
    }
    Ok(sent)
}

/// Every batch handed out is done: past the stonewall (the first time),
/// record its phase in `exec`; with a wear-out asked for, the number of
/// tasks every worker must reach (the most any rank did).
fn stonewalled(exec: &mut Execution, job: Job<'_>, clock: &Clock) -> Option<u64> {
    let (Some(wall), None) = (job.ctx.stonewall, exec.stonewall) else {
        return None;
    };
    exec.stonewall = Some(StonewallPhase::of(exec.records.iter(), clock));
    wall.wearout
        .then(|| job.gate.most_done(exec.records.len() as u64))
}

/// Every batch handed out is done: past the stonewall, the wear-out's
/// batches handed out (when asked for); with none, the workers told to
/// finish. Returns how many batches are out now.
fn drained(
    workers: &mut [Worker],
    exec: &mut Execution,
    (job, clock): (Job<'_>, &Clock),
    (batches, range, batch, in_flight): (&mut VecDeque<Range<u32>>, &Range<u32>, u32, u32),
) -> Result<usize, StrategyError> {
    let mut outstanding = 0;
    if let Some(target) = stonewalled(exec, job, clock) {
        *batches = wearout(range.clone(), &exec.records, target, batch);
        workers
            .iter_mut()
            .try_for_each(|w| w.send(&ToWorker::WearOut))?;
        outstanding = hand_out(workers, batches, in_flight)?;
    }
    if outstanding == 0 {
        finish_all(workers)?;
    }
    Ok(outstanding)
}

/// Tell every worker no more batches come.
fn finish_all(workers: &mut [Worker]) -> Result<(), StrategyError> {
    workers
        .iter_mut()
        .try_for_each(|w| w.send(&ToWorker::Finish))
}

/// The stonewall's wear-out: of the tasks of `range` without a record, the
/// first ones in order until `target` tasks are done in all, as batches of
/// at most `batch` consecutive tasks.
fn wearout(
    range: Range<u32>,
    records: &[super::TaskRecord],
    target: u64,
    batch: u32,
) -> VecDeque<Range<u32>> {
    let done: std::collections::HashSet<u32> = records.iter().map(|r| r.index).collect();
    let wanted = target.saturating_sub(records.len() as u64);
    let mut out: VecDeque<Range<u32>> = VecDeque::new();
    for t in range.filter(|t| !done.contains(t)).take(wanted as usize) {
        match out.back_mut() {
            Some(b) if b.end == t && b.len() < batch.max(1) as usize => b.end = t + 1,
            _ => out.push_back(t..t + 1),
        }
    }
    out
}

/// The crash experiment: `SIGKILL` every worker now, reap them, close the
/// region. Their own usage reports are lost with them; `RUSAGE_CHILDREN`
/// counts them instead, since they are reaped inside the region.
fn kill_all(
    mut workers: Vec<Worker>,
    meter: crate::measure::Meter,
    mut exec: Execution,
) -> Execution {
    for w in workers.iter_mut() {
        let _ = w.child.kill();
    }
    for w in workers.iter_mut() {
        let _ = w.child.wait();
    }
    exec.usage = meter.stop();
    exec.lane_done.push(exec.usage.wall);
    exec.interrupted = true;
    exec.absorb_records();
    exec
}

/// After the timed region: ask every worker to verify its evidence, then
/// wait for it to exit.
fn verify_and_reap(
    workers: &mut [Worker],
    inbox: &Inbox,
    exec: &mut Execution,
) -> Result<(), StrategyError> {
    workers
        .iter_mut()
        .try_for_each(|w| w.send(&ToWorker::Verify))?;
    let mut answered = 0;
    while answered < workers.len() {
        match inbox.recv() {
            Ok((_, Ok(FromWorker::Verified { failures, totals }))) => {
                exec.evidence_failures.extend(failures);
                exec.metrics.merge(&totals);
                answered += 1;
            }
            Ok((id, Err(e))) => return Err(fail(workers, id, &e)),
            Ok(_) => {}
            Err(_) => {
                return Err(StrategyError::Failed(
                    "workers gone before verifying".into(),
                ))
            }
        }
    }
    // A worker exits after answering Verify.
    for w in workers {
        let _ = w.child.wait();
    }
    Ok(())
}

/// Kill every worker and describe what went wrong with worker `id`, with
/// how it ended when it ended by itself (an exit status, a signal other
/// than the `SIGKILL` sent here).
fn fail(workers: &mut [Worker], id: usize, why: &str) -> StrategyError {
    let pid = workers.get(id).map_or(0, |w| w.child.id());
    for w in workers.iter_mut() {
        let _ = w.child.kill();
    }
    let mut ended = String::new();
    for (i, w) in workers.iter_mut().enumerate() {
        let status = w.child.wait();
        if let (true, Ok(status)) = (i == id, status) {
            if status.signal() != Some(libc::SIGKILL) {
                ended = format!(" ({status})");
            }
        }
    }
    StrategyError::Failed(format!("worker process {pid} failed: {why}{ended}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::TaskRecord;

    #[test]
    fn wearout_fills_the_holes_first_then_the_tasks_never_sent_up_to_the_target() {
        let records: Vec<TaskRecord> = [0, 1, 4, 5]
            .map(|index| TaskRecord {
                index,
                ..TaskRecord::default()
            })
            .to_vec();
        // 4 done; the best client did 9: 5 more, in order, batches of 2.
        let more = wearout(0..20, &records, 9, 2);
        assert_eq!(Vec::from(more), [2..4, 6..8, 8..9]);
        assert!(
            wearout(0..20, &records, 4, 2).is_empty(),
            "as many as the best"
        );
        assert_eq!(
            Vec::from(wearout(0..6, &records, 100, 8)),
            vec![2..4],
            "no more than planned"
        );
        assert_eq!(Vec::from(split(3..10, 3)), [3..6, 6..9, 9..10]);
    }
}
