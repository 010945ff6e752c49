//! `noop`: a task that does nothing. Run under a strategy, its time per task
//! is the strategy's own dispatch cost (handing out the task, the lane loop,
//! the latency record, messages to worker processes): the calibration the
//! other workloads' task times are read against.

use std::hint::black_box;

use super::{NoopSpec, RunCheck, TaskOutput};

/// Task `index`: nothing but a count of one, so the run can prove every task ran.
pub(super) fn run(index: u32) -> TaskOutput {
    black_box(index);
    TaskOutput {
        bytes: 0,
        count: 1,
        evidence: None,
    }
}

/// Every task ran exactly once.
pub(super) fn verify(spec: &NoopSpec, count_sum: u64) -> RunCheck {
    if count_sum == u64::from(spec.tasks) {
        RunCheck::passed(format!("{count_sum} tasks ran"))
    } else {
        RunCheck::failed(format!(
            "{count_sum} of {} noop tasks reported done",
            spec.tasks
        ))
    }
}
