//! The executor seam: the runner asks an [`Executor`] to run a repetition
//! and to say whether a signal asked it to stop; [`Strategies`] is the real
//! one, which does the kernel work of a repetition (`super::repetition`).
//!
//! Above the seam (`super`): the rules — the schedule, skipping what a
//! resumed run finished, `--reps auto`, stopping on signals, the failure
//! policy (a panic fails the repetition, an unavailable scenario is
//! skipped, cold scenarios on memory are unavailable before anything runs),
//! gathering every rank's row, writing the rows. Below it: settling,
//! resetting the scratch folder, the cache state, the timed region,
//! verification and the row's measurements. A mock (`super::tests`) returns
//! scripted rows, failures, panics and signals, so the rules are tested
//! without corpus files.
//!
//! Owns: the trait and the real implementation's state. Does not own: the
//! repetition's steps (`super::repetition`) or the rules (`super`).

use std::path::PathBuf;

use indicatif::ProgressBar;

use crate::clients::Clients;
use crate::corpus::Corpus;
use crate::experiment::layout::ClientOptions;
use crate::experiment::{Plan, Slot};
use crate::interrupt;
use crate::results::{DispatchCost, Row, SeriesPoint};
use crate::workload::TaskContext;

/// One repetition the runner asks for: which, where it falls in the
/// schedule, under which run id, and the progress bar its warnings go above.
pub(crate) struct Call<'a> {
    /// The scenario (index into the plan) and repetition.
    pub slot: Slot,
    /// Its position in the schedule.
    pub order: u32,
    /// The run's id, for the row.
    pub run_id: &'a str,
    /// Where warnings are printed.
    pub bar: &'a ProgressBar,
}

/// What runs repetitions for the runner, and tells it of signals.
pub(crate) trait Executor {
    /// Run the repetition `call` names and describe it as a row, with its
    /// throughput per interval.
    ///
    /// # Errors
    /// Only harness failures (the scratch folder or the cache control
    /// broke): they end the run. A failing scenario is a row with status
    /// `failed`, an impossible one a row with status `unavailable`.
    fn repetition(&self, call: &Call<'_>) -> anyhow::Result<(Row, Vec<SeriesPoint>)>;

    /// Each strategy's dispatch cost, measured with the `noop` workload
    /// (`--calibrate`, before the schedule).
    fn dispatch_costs(&self) -> Vec<DispatchCost>;

    /// Whether a stop was asked for (a first signal): the runner starts no
    /// other repetition.
    fn stop_requested(&self) -> bool {
        interrupt::stop_requested()
    }

    /// Whether to stop now (a second signal): the current repetition is
    /// abandoned, without a row.
    fn stop_now(&self) -> bool {
        interrupt::stop_now()
    }
}

/// The real executor: every repetition runs its scenario's strategy on the
/// corpus, in the run's scratch folder, on this rank of `clients`.
pub(crate) struct Strategies<'a> {
    /// The plan whose scenarios the calls name.
    pub plan: &'a Plan,
    /// The corpus the workloads read.
    pub corpus: &'a Corpus,
    /// Where the tasks read and write (the run's scratch folder).
    pub ctx: TaskContext,
    /// The ranks that run each repetition together.
    pub clients: &'a dyn Clients,
    /// Their layout (blocks of files, stonewall).
    pub layout: &'a ClientOptions,
    /// The perf binary, when each repetition's kernel stacks are sampled.
    pub perf: Option<PathBuf>,
}

impl Executor for Strategies<'_> {
    fn repetition(&self, call: &Call<'_>) -> anyhow::Result<(Row, Vec<SeriesPoint>)> {
        super::repetition::run(self, call)
    }

    fn dispatch_costs(&self) -> Vec<DispatchCost> {
        super::calibrate::dispatch_costs(self.plan, &self.ctx, self.corpus)
    }
}
