//! The executor seam: the runner asks an [`Executor`] to run a repetition
//! and to say whether a signal asked it to stop; `super::repetition`'s
//! `Strategies` is the real one, which does the kernel work of a repetition.
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
//! Owns: the trait and the call. Does not own: the real implementation
//! (`super::repetition`) or the rules (`super`).

use indicatif::ProgressBar;

use crate::clients::Clients;
use crate::corpus::Corpus;
use crate::experiment::Slot;
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
    /// The ranks that run it together: every rank of the job, or ranks
    /// `0..n` of a sweep's count `n` (`--ranks`).
    pub clients: &'a dyn Clients,
    /// Where it runs when its storage is not the data folder
    /// (`--storage`): that storage's task context (its scratch folder) and
    /// corpus; `None` on the data folder.
    pub on: Option<(&'a TaskContext, &'a Corpus)>,
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
