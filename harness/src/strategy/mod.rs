//! How tasks are scheduled: one after another, on a pool of threads, on
//! worker processes (of the iolab binary itself), on processes each with a
//! thread pool, on tokio's blocking pool, on an io_uring ring, or by an
//! external command.
//!
//! A strategy knows nothing about what a task does: it runs the tasks
//! `0..n` of a [`Workload`] in lanes, opens and closes the timed region with a
//! [`Meter`], and returns per-task records. Verification of task evidence
//! happens after the region closes, where the evidence lives.

mod command;
mod lanes;
mod local;
mod process;
#[macro_use]
mod registry;
pub mod worker;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::corpus::Corpus;
use crate::measure::{Gate, Meter, Usage};
use crate::workload::{TaskContext, Workload, WorkloadKind};

pub use command::{command_name, shell_word};
pub use lanes::{StonewallPhase, TaskRecord};
pub use registry::{
    build, describe, descriptions, kind, names, MAX_WORKERS, WORKERS, WORKER_COUNT,
};

use registry::StrategyBuild;

// The registration list: one line per strategy.
strategies! {
    /// One task after another on the calling thread.
    Sequential = local::SequentialBuild,
    /// A pool of OS threads.
    Threads = local::ThreadsBuild,
    /// Worker processes of the iolab binary.
    Processes = process::ProcessesBuild,
    /// Worker processes, each with a thread pool.
    Nested = process::NestedBuild,
    /// tokio's blocking pool.
    Tokio = local::TokioBuild,
    /// One io_uring ring.
    IoUring = local::IoUringBuild,
    /// An external command.
    Command = command::CommandBuild,
}

/// A scheduling strategy with its knobs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "kebab-case")]
pub enum Strategy {
    /// One task after another on the calling thread.
    Sequential,
    /// A pool of `workers` OS threads taking tasks from a shared counter.
    Threads {
        /// Threads in the pool.
        workers: u32,
    },
    /// `workers` processes of the iolab binary, fed batches of `batch` tasks
    /// over pipes (Python's ProcessPoolExecutor with a chunksize).
    Processes {
        /// Worker processes.
        workers: u32,
        /// Tasks per message.
        batch: u32,
    },
    /// `processes` worker processes, each running `threads` threads.
    Nested {
        /// Worker processes.
        processes: u32,
        /// Threads in each.
        threads: u32,
        /// Tasks per message.
        batch: u32,
    },
    /// A tokio current-thread runtime; each file operation goes to its blocking
    /// pool of `workers` threads; `concurrency` tasks in flight (aiofiles).
    Tokio {
        /// Blocking-pool threads.
        workers: u32,
        /// Tasks in flight.
        concurrency: u32,
    },
    /// One io_uring ring with `queue_depth` entries and as many tasks in flight.
    IoUring {
        /// Ring entries and tasks in flight.
        queue_depth: u32,
    },
    /// An external command run once per repetition; placeholders `{corpus}`,
    /// `{dest}`, `{workers}`, `{files}`, `{large}` are filled in.
    Command {
        /// Shell command template.
        template: String,
        /// Value of `{workers}`.
        workers: u32,
    },
}

impl Strategy {
    /// Short name: `sequential`, `threads`, …
    pub fn name(&self) -> &'static str {
        self.kind().desc().name
    }

    /// Total concurrency: tasks that can be in flight at once.
    pub fn workers(&self) -> u32 {
        match self {
            Strategy::Sequential => 1,
            Strategy::Threads { workers } | Strategy::Processes { workers, .. } => *workers,
            Strategy::Nested {
                processes, threads, ..
            } => processes * threads,
            Strategy::Tokio { concurrency, .. } => *concurrency,
            Strategy::IoUring { queue_depth } => *queue_depth,
            Strategy::Command { workers, .. } => *workers,
        }
    }

    /// Worker processes it starts (1 for in-process strategies).
    pub fn processes(&self) -> u32 {
        match self {
            Strategy::Processes { workers, .. } => *workers,
            Strategy::Nested { processes, .. } => *processes,
            _ => 1,
        }
    }

    /// Threads per process: pool threads, or tokio's blocking threads.
    pub fn threads_per_process(&self) -> u32 {
        match self {
            Strategy::Threads { workers } => *workers,
            Strategy::Nested { threads, .. } => *threads,
            Strategy::Tokio { workers, .. } => *workers,
            _ => 1,
        }
    }

    /// Tasks per message of the process strategies.
    pub fn batch(&self) -> Option<u32> {
        match self {
            Strategy::Processes { batch, .. } | Strategy::Nested { batch, .. } => Some(*batch),
            _ => None,
        }
    }

    /// Why this strategy cannot run `workload` with its workers killed
    /// mid-run, if it cannot: only worker processes can be killed without
    /// killing iolab, and only the atomic save has a defined outcome then.
    pub fn kill_incompatibility(&self, workload: &Workload) -> Option<String> {
        if !matches!(self.kind(), StrategyKind::Processes | StrategyKind::Nested) {
            return Some(format!(
                "killing writers needs worker processes (processes or nested), not {}",
                self.name()
            ));
        }
        if workload.kind() != Some(WorkloadKind::AtomicSave) {
            return Some(format!(
                "killing writers is an atomic-save experiment, not {}",
                workload.name()
            ));
        }
        None
    }

    /// Why this strategy cannot run `workload`, if it cannot: the reason
    /// its description gives for lacking a capability the workload's
    /// variant needs, rejected before anything runs.
    pub fn incompatibility(&self, workload: &Workload) -> Option<String> {
        if matches!(self, Strategy::Command { .. })
            && workload.durability() == Some(crate::workload::Durability::Each)
        {
            return Some(format!(
                "command cannot run {} with durability each: an external command writes its files its own way, so iolab cannot fsync each of them; use durability none or end-sync",
                workload.name()
            ));
        }
        let why = self.kind().desc().refuses(workload.variant_desc())?;
        Some(format!(
            "{} cannot run {} {}: {why}",
            self.name(),
            workload.name(),
            workload.variant()
        ))
    }
}

impl Strategy {
    /// The program an external command runs, as results record it
    /// ([`crate::experiment::command_name`] of its template); `None` for
    /// the strategies iolab runs itself.
    pub fn program(&self) -> Option<String> {
        match self {
            Strategy::Command { template, .. } => Some(crate::experiment::command_name(template)),
            Strategy::Sequential
            | Strategy::Threads { .. }
            | Strategy::Processes { .. }
            | Strategy::Nested { .. }
            | Strategy::Tokio { .. }
            | Strategy::IoUring { .. } => None,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Sequential => write!(f, "sequential"),
            Strategy::Threads { workers } => write!(f, "threads({workers})"),
            Strategy::Processes { workers, batch } => {
                write!(f, "processes({workers}, batch {batch})")
            }
            Strategy::Nested {
                processes,
                threads,
                batch,
            } => {
                write!(f, "nested({processes}×{threads}, batch {batch})")
            }
            Strategy::Tokio {
                workers,
                concurrency,
            } => write!(f, "tokio({workers} threads, {concurrency} in flight)"),
            Strategy::IoUring { queue_depth } => write!(f, "io_uring(depth {queue_depth})"),
            Strategy::Command { template, workers } => {
                write!(f, "command({}, {workers})", command_name(template))
            }
        }
    }
}

/// What running one repetition's tasks produced.
#[derive(Debug, Default)]
pub struct Execution {
    /// Resource use over the timed region.
    pub usage: Usage,
    /// One record per task that ran (empty for an external command).
    pub records: Vec<TaskRecord>,
    /// When each lane (thread, process, async lane) finished, since the start.
    pub lane_done: Vec<Duration>,
    /// Task evidence that failed verification, one message each.
    pub evidence_failures: Vec<String>,
    /// Sum of the tasks' counts (lines, matches), or what a command reported.
    pub count_sum: u64,
    /// Payload bytes, summed over tasks, or what a command reported.
    pub bytes: u64,
    /// Tasks that failed with an error, with the first messages.
    pub task_errors: Vec<String>,
    /// Whether the workers were killed mid-run on purpose.
    pub interrupted: bool,
    /// What the stonewall phase did, when the repetition had a stonewall
    /// (the tasks after it, with wear-out, are the rest of `records`).
    pub stonewall: Option<StonewallPhase>,
}

impl Execution {
    /// Derive the totals and the error list from the task records.
    fn absorb_records(&mut self) {
        self.bytes = self.records.iter().map(|r| r.bytes).sum();
        self.count_sum = self.records.iter().map(|r| r.count).sum();
        let errors = self.records.iter().filter_map(|r| r.error.as_ref());
        self.task_errors.extend(errors.cloned());
    }
}

/// Why a strategy could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    /// The platform refuses a feature the strategy needs (recorded as
    /// `unavailable: …`, never fatal for the rest).
    #[error("{0}")]
    Unavailable(String),
    /// Something broke while running (a worker died, a pipe closed).
    #[error("{0}")]
    Failed(String),
}

/// Run all tasks of `workload` under `strategy`, timed, then verify evidence.
/// The region opens through `gate` (the other clients' barrier), after the
/// strategy's own setup; its stonewall, if `ctx` has one, counts from that
/// start. With `kill_after`, worker processes are killed (`SIGKILL`) once
/// that many tasks have finished: the crash experiment of the atomic save.
///
/// # Errors
/// [`StrategyError::Unavailable`] when the platform lacks what the strategy
/// needs; [`StrategyError::Failed`] when the machinery itself broke.
pub fn execute(
    strategy: &Strategy,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    (kill_after, gate): (Option<u32>, &dyn Gate),
) -> Result<Execution, StrategyError> {
    let procs = |threads: u32, batch: u32| {
        let shape = (strategy.processes(), threads, batch);
        process::run(shape, workload, ctx, kill_after, gate)
    };
    match strategy {
        Strategy::Sequential => local::threads(local::Pool::Caller, workload, ctx, corpus, gate),
        Strategy::Threads { workers } => {
            local::threads(local::Pool::Threads(*workers), workload, ctx, corpus, gate)
        }
        Strategy::Tokio {
            workers,
            concurrency,
        } => local::tokio(*workers, *concurrency, workload, ctx, corpus, gate),
        Strategy::IoUring { queue_depth } => {
            local::io_uring(*queue_depth, workload, ctx, corpus, gate)
        }
        Strategy::Processes { batch, .. } => procs(1, *batch),
        Strategy::Nested { threads, batch, .. } => procs(*threads, *batch),
        Strategy::Command { template, workers } => {
            command::run(template, *workers, workload, ctx, corpus, gate)
        }
    }
}

/// Start the timed region through `gate` (a helper so every strategy opens
/// it the same way, after its own setup).
fn start_meter(gate: &dyn Gate) -> Meter {
    Meter::start(gate)
}

/// The last step of a repetition's work, inside the timed region, after
/// every task and lane has finished: under `--durability end-sync` one
/// `syncfs(2)` of the filesystem holding the outputs (fio's `end_fsync`).
/// Every strategy calls it just before it closes the region.
///
/// # Errors
/// The error of `syncfs`, naming the folder.
fn end_of_work(workload: &Workload, ctx: &TaskContext) -> std::io::Result<()> {
    match workload.durability() {
        Some(crate::workload::Durability::EndSync) => crate::sys::sync::syncfs(&ctx.scratch),
        Some(crate::workload::Durability::None | crate::workload::Durability::Each) | None => {
            Ok(())
        }
    }
}
