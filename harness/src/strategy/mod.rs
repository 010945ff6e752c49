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
#[cfg(test)]
mod reverse;
pub mod worker;

use std::time::Duration;

use crate::corpus::Corpus;
use crate::measure::{Gate, Meter, Usage};
use crate::workload::{TaskContext, Workload, WorkloadKind};

pub use command::{command_name, shell_word, CommandSpec};
pub use lanes::{StonewallPhase, TaskRecord};
pub use local::{IoUringSpec, SequentialSpec, ThreadsSpec, TokioSpec};
pub use process::{NestedSpec, ProcessesSpec};
pub use registry::{
    build, describe, descriptions, kind, names, Shape, MAX_WORKERS, WORKERS, WORKER_COUNT,
};

use registry::StrategySpec;

// The registration list: one line per strategy, its spec type declared in
// the module holding its code (the variant's kebab-case is its serialized
// tag).
strategies! {
    /// One task after another on the calling thread.
    Sequential(local::SequentialSpec),
    /// A pool of OS threads.
    Threads(local::ThreadsSpec),
    /// Worker processes of the iolab binary.
    Processes(process::ProcessesSpec),
    /// Worker processes, each with a thread pool.
    Nested(process::NestedSpec),
    /// tokio's blocking pool.
    Tokio(local::TokioSpec),
    /// One io_uring ring.
    IoUring(local::IoUringSpec),
    /// An external command.
    Command(command::CommandSpec),
    /// Test builds only: the strategy `docs/ARCHITECTURE.md`'s recipe adds.
    #[cfg(test)]
    Reverse(reverse::ReverseSpec),
}

impl Strategy {
    /// `sequential`, every scenario's baseline.
    pub fn sequential() -> Strategy {
        Strategy::Sequential(SequentialSpec {})
    }

    /// Short name: `sequential`, `threads`, …
    pub fn name(&self) -> &'static str {
        self.kind().desc().name
    }

    /// Total concurrency: tasks that can be in flight at once.
    pub fn workers(&self) -> u32 {
        self.shape().workers
    }

    /// Worker processes it starts (1 for in-process strategies).
    pub fn processes(&self) -> u32 {
        self.shape().processes
    }

    /// Threads per process: pool threads, or tokio's blocking threads.
    pub fn threads_per_process(&self) -> u32 {
        self.shape().threads_per_process
    }

    /// Tasks per message of the process strategies.
    pub fn batch(&self) -> Option<u32> {
        self.shape().batch
    }

    /// The program an external command runs, as results record it
    /// ([`command_name`] of its template); `None` for the strategies iolab
    /// runs itself.
    pub fn program(&self) -> Option<String> {
        self.shape().program
    }

    /// Why this strategy cannot run `workload` with its workers killed
    /// mid-run, if it cannot: only worker processes can be killed without
    /// killing iolab (the descriptions' `kills_workers`), and only the
    /// atomic save has a defined outcome then.
    pub fn kill_incompatibility(&self, workload: &Workload) -> Option<String> {
        if !self.kind().desc().kills_workers {
            let killable: Vec<&str> = descriptions()
                .into_iter()
                .filter(|d| d.kills_workers)
                .map(|d| d.name)
                .collect();
            return Some(format!(
                "killing writers needs worker processes ({}), not {}",
                killable.join(" or "),
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
    /// variant needs, or one its knob values give, rejected before
    /// anything runs.
    pub fn incompatibility(&self, workload: &Workload) -> Option<String> {
        if let Some(why) = self.refused_by_spec(workload) {
            return Some(why);
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
    /// A user workload's figures, folded over every lane and worker
    /// process (empty for the built-in workloads).
    pub metrics: crate::workload::Totals,
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
    strategy.run(Job {
        workload,
        ctx,
        corpus,
        kill_after,
        gate,
    })
}

/// One repetition's tasks as a strategy runs them ([`execute`]).
#[derive(Clone, Copy)]
pub(crate) struct Job<'a> {
    /// What each task does.
    pub workload: &'a Workload,
    /// Where the repetition's inputs and outputs are.
    pub ctx: &'a TaskContext,
    /// The corpus, to verify evidence against.
    pub corpus: &'a Corpus,
    /// Kill the workers once this many tasks have finished (the crash
    /// experiment; only strategies that `kills_workers` honour it).
    pub kill_after: Option<u32>,
    /// Opens the timed region once every client is ready (a barrier
    /// across ranks under MPI, nothing alone).
    pub gate: &'a dyn Gate,
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
