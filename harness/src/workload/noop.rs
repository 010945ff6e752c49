//! `noop`: a task that does nothing. Run under a strategy, its time per task
//! is the strategy's own dispatch cost (handing out the task, the lane loop,
//! the latency record, messages to worker processes): the calibration the
//! other workloads' task times are read against.

use std::hint::black_box;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::Tasks;
use super::{Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{
    Capability, KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc,
};
use crate::io::Io;

/// Tasks per repetition (the `reads` key, as `random`'s reads are its tasks).
const TASKS: KnobDesc = KnobDesc {
    key: "reads",
    kind: KnobKind::Count {
        min: 1,
        max: 100_000_000,
    },
    default: "10000",
    help: "tasks per repetition",
    variants: &[],
};

/// Knobs of `noop`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoopSpec {
    /// Tasks per repetition.
    pub tasks: u32,
}

variants! {
    /// The one variant of `noop`.
    pub enum NoopVariant {
        /// Count one and return.
        Noop = VariantDesc {
            name: "noop",
            help: "count one and return",
            needs: &[Capability::Tasks],
        },
    }
}

impl WorkloadSpec for NoopSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "noop",
        summary: "a task that does nothing: the strategy's own dispatch cost per task",
        variants: NoopVariant::DESCS,
        knobs: &[TASKS],
        reads: "",
        writes: "",
        verifies: "every task reported done exactly once",
    };

    const READS: Reads = Reads::Own {
        why: "touches no file",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        match NoopVariant::of(variant)? {
            NoopVariant::Noop => {}
        }
        Ok(NoopSpec {
            tasks: knobs.count(&TASKS)?,
        })
    }

    fn variant(&self) -> &'static str {
        NoopVariant::Noop.as_str()
    }

    fn label(&self) -> String {
        "noop".into()
    }

    fn chunk_bytes(&self) -> Option<u64> {
        None
    }

    fn tasks(&self) -> Tasks {
        Tasks::Count(self.tasks)
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn verify_run(&self, _: &TaskContext, _: &Corpus, count_sum: u64, _: bool) -> RunCheck {
        verify(self, count_sum)
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        RunCheck::passed(format!("{} noop tasks finished", finished.len()))
    }
}

impl TaskRunner for NoopSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        ctx.corpus_dir.clone()
    }

    async fn run_task<I: Io>(&self, _: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        Ok(run(task.index))
    }
}

/// Task `index`: nothing but a count of one, so the run can prove every task ran.
fn run(index: u32) -> TaskOutput {
    black_box(index);
    TaskOutput {
        bytes: 0,
        count: 1,
        evidence: None,
        ..TaskOutput::default()
    }
}

/// Every task ran exactly once.
fn verify(spec: &NoopSpec, count_sum: u64) -> RunCheck {
    if count_sum == u64::from(spec.tasks) {
        RunCheck::passed(format!("{count_sum} tasks ran"))
    } else {
        RunCheck::failed(format!(
            "{count_sum} of {} noop tasks reported done",
            spec.tasks
        ))
    }
}
