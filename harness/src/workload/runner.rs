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
    async fn run_task<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        shared: &Shared<I::File>,
        lane: &mut Lane<I::File>,
        index: u32,
    ) -> io::Result<TaskOutput>;

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

/// Work to do with a workload's own [`TaskRunner`], handed to
/// [`Workload::with_tasks`](super::Workload::with_tasks): a generic method, so it is compiled once per
/// workload.
pub(crate) trait WithTasks {
    /// What the work returns.
    type Output;

    /// Do the work with `runner`.
    fn with<R: TaskRunner>(self, runner: &R) -> Self::Output;
}
