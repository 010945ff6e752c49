//! The per-task part of a workload ([`TaskRunner`]: the task, the file it
//! names in errors, the end of a lane) and the way to get a workload's own
//! ([`WithTasks`], [`super::Workload::with_tasks`]): what a lane's loop is
//! generic over. Owns only these two traits; the specs implement them in
//! their own modules, and the registry makes `Workload` implement
//! `TaskRunner` by dispatch.

use std::io;
use std::path::PathBuf;

use super::{Lane, Shared, TaskContext, TaskOutput};
use crate::io::Io;

/// The per-task part of a workload: what a lane calls for each of its
/// tasks. A lane's loop ([`crate::strategy`]'s `run_lane`) is generic over
/// it. Every spec implements it beside its `WorkloadSpec`, and so do
/// `CustomSpec` and [`Workload`](super::Workload), which dispatches with
/// one `match` per call; the blocking strategies instead take the spec
/// itself from [`Workload::with_tasks`](super::Workload::with_tasks), so
/// the loop is compiled for that workload alone and the `match` runs
/// once per lane, not once per task (docs/measurement.md, Harness cost).
pub(crate) trait TaskRunner {
    /// Run task `index`.
    ///
    /// # Errors
    /// The I/O error that stopped the task.
    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput>;

    /// The file task `index` writes or reads, named in its error messages.
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf;

    /// A lane has no more tasks: flush what it holds (the buffered append
    /// variants write their remainder here, inside the timed region).
    ///
    /// # Errors
    /// The I/O error of the final write or close.
    async fn finish_lane<I: Io>(
        &self,
        _io: &I,
        _ctx: &TaskContext,
        _lane: Lane<I::File>,
    ) -> io::Result<()> {
        Ok(())
    }
}

/// One task as a lane hands it to its workload: the repetition's files
/// and paths, the process's shared state, the lane's own state and the
/// task's index, in one value (the same for every workload; built per task
/// from the lane's fixed parts, which costs no more than passing them).
pub(crate) struct Task<'a, F> {
    /// The repetition's files and paths.
    pub ctx: &'a TaskContext,
    /// The process's shared state (made by the workload's `prepare`).
    pub shared: &'a Shared<F>,
    /// The lane's own state (its buffer, a buffered handle).
    pub lane: &'a mut Lane<F>,
    /// The task's index.
    pub index: u32,
}

/// Work to do with a workload's own [`TaskRunner`], handed to
/// [`Workload::with_tasks`](super::Workload::with_tasks): a generic method, so it is compiled once per
/// workload.
pub(crate) trait WithTasks {
    /// What the work returns.
    type Output;

    /// Do the work with `runner`.
    fn with<R: TaskRunner>(self, runner: &R) -> Self::Output;
}
