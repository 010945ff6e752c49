//! The trait a user's own workload implements ([`UserWorkload`]) and what
//! one repetition looks like from inside it ([`Run`], [`Knobs`]).
//!
//! Owns: the user-facing trait and its defaults, the repetition as the task
//! sees it. Does not own: the entry point and the command line
//! (`crate::lab`, `crate::cli`), the registry of user workloads and the
//! bridge into the dispatch (`workload::custom`), scheduling (`strategy`).

use std::io;
use std::path::PathBuf;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::knob::{Knob, KnobType};
use super::{Evidence, Metric, RunCheck, TaskContext, TaskOutput, Tasks, Totals};
use crate::describe::{KnobValue, WorkloadDesc};
use crate::io::Io;

/// A workload of your own, benchmarked by the whole lab: every strategy,
/// cache control, statistics, results, reports, compare and tune.
///
/// A task is one unit of work (one corpus file, one part of the large file,
/// one request); a repetition runs the tasks [`UserWorkload::tasks`] names,
/// each once, spread over the strategy's lanes (threads, processes, async
/// lanes). The timed region holds the tasks alone: [`UserWorkload::setup`]
/// runs before it, [`UserWorkload::verify`] and
/// [`UserWorkload::check_task`] after it.
///
/// # Blocking code or the I/O seam
///
/// [`UserWorkload::task`] is async and generic over [`Io`], the seam the
/// built-in workloads use, so one task runs on plain system calls
/// (`sequential`, `threads`, `processes`, `nested`), on tokio's blocking
/// pool one call at a time (`tokio`, the aiofiles model) and on an io_uring
/// ring (`io_uring`). A task may instead ignore `io` and make plain blocking
/// calls (`std::fs`, your own library): then its variant lists
/// [`Capability::BlockingCalls`](crate::describe::Capability::BlockingCalls)
/// in `needs`. Such a task runs whole on tokio's blocking pool under
/// `tokio` (as `spawn_blocking` would run it), and `io_uring` refuses it
/// before anything runs, with one line saying why.
///
/// # Example
///
/// A workload that reads each corpus file and counts its lines, with plain
/// blocking calls:
///
/// ```
/// use std::io;
///
/// use iolab::describe::{Capability, VariantDesc, WorkloadDesc};
/// use iolab::io::Io;
/// use iolab::lab::{Run, UserWorkload};
/// use iolab::workload::{RunCheck, TaskOutput};
///
/// struct CountLines;
///
/// const COUNT_LINES: WorkloadDesc = WorkloadDesc {
///     name: "count-lines",
///     summary: "read corpus file k and count its lines",
///     variants: &[VariantDesc {
///         name: "std",
///         help: "std::fs::read and a byte count",
///         needs: &[Capability::BlockingCalls],
///     }],
///     knobs: &[],
///     reads: "every corpus file in use",
///     writes: "nothing",
///     verifies: "the total line count against the corpus shape",
/// };
///
/// impl UserWorkload for CountLines {
///     fn describe(&self) -> &'static WorkloadDesc {
///         &COUNT_LINES
///     }
///     async fn task<I: Io>(&self, _io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
///         let bytes = std::fs::read(run.input(k))?;
///         let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
///         Ok(TaskOutput { bytes: bytes.len() as u64, count: lines, ..Default::default() })
///     }
///     fn verify(&self, run: &Run, count_sum: u64) -> RunCheck {
///         let expected = u64::from(run.ctx().used_files) * u64::from(run.ctx().lines);
///         RunCheck::expect("lines", expected, count_sum)
///     }
/// }
/// ```
#[allow(async_fn_in_trait)]
pub trait UserWorkload: Send + Sync + 'static {
    /// The workload's description: its name (the `workload` column and
    /// `--workload`), variants (the first is the default) with the
    /// capabilities each needs, knobs (each becomes a flag of `run`: key
    /// `read_size` is `--read-size`), what it reads, writes and verifies.
    fn describe(&self) -> &'static WorkloadDesc;

    /// What the tasks of a repetition take, given the variant and knobs:
    /// one corpus file each ([`Tasks::PerFile`], the default: the files in
    /// use, all of them or the first N with `--first-files`, or an MPI
    /// rank's block), parts of the corpus's large file
    /// ([`Tasks::OfLargeFile`]: the corpus is made with one), or a count of
    /// the workload's own ([`Tasks::Count`]).
    fn tasks(&self, knobs: &Knobs) -> Tasks {
        let _ = knobs;
        Tasks::PerFile
    }

    /// Task `index`'s work, inside the timed region. What it returns is
    /// summed over the repetition: `bytes` is the payload behind the
    /// throughput figure, `count` is handed to [`UserWorkload::verify`];
    /// `evidence`, if any, is checked by [`UserWorkload::check_task`] after
    /// the timed region.
    ///
    /// # Errors
    /// The I/O error that stopped the task: the row records it and the
    /// repetition counts as failed.
    async fn task<I: Io>(&self, io: &I, run: &Run, index: u32) -> io::Result<TaskOutput>;

    /// Make the state a repetition starts from, before the timed region
    /// (the scratch folder [`TaskContext::scratch`] is empty at this point).
    /// Default: nothing.
    ///
    /// # Errors
    /// An I/O error, which fails the repetition with its message.
    fn setup(&self, run: &Run) -> io::Result<()> {
        let _ = run;
        Ok(())
    }

    /// Check what the repetition produced, after the timed region, given
    /// the sum of the tasks' `count`s. Default: passed, saying that the
    /// workload has no check of its own (every task still had to finish
    /// without error).
    fn verify(&self, run: &Run, count_sum: u64) -> RunCheck {
        let _ = (run, count_sum);
        RunCheck::passed(format!(
            "{} has no check of its own; every task finished without error",
            self.describe().name
        ))
    }

    /// The workload's own figures: each [`Metric`] declared once as a
    /// `const` and listed here, returned by tasks in
    /// [`TaskOutput::metrics`] (`Figures::new().with(&RAW, n)`), combined
    /// per repetition by its [`Rule`](super::Rule), written as the columns
    /// `m_<name>` of `runs.csv` and `summary.csv` and shown with medians
    /// and intervals in the report. Checked when the binary starts (plain
    /// names, no name twice, at most [`MAX_METRICS`](super::MAX_METRICS), a
    /// ratio's two metrics listed and `Sum`s). Default: none.
    fn metrics(&self) -> &'static [&'static Metric] {
        &[]
    }

    /// Check the repetition with its tasks' figures folded: `totals.get(&RAW)`
    /// is a metric's value by its rule, `totals.tasks(&RAW)` how many tasks
    /// returned it; `count_sum` is the sum of the tasks' `count`s. After the
    /// timed region, in the parent process (worker processes send their
    /// folds back). Default: [`UserWorkload::verify`] with `count_sum`.
    fn verify_totals(&self, run: &Run, count_sum: u64, totals: &Totals) -> RunCheck {
        let _ = totals;
        self.verify(run, count_sum)
    }

    /// Whether tasks return [`TaskOutput::evidence`], so each lane reserves
    /// room for it before the timed region instead of growing inside it.
    /// Default: no.
    fn keeps_evidence(&self) -> bool {
        false
    }

    /// Check the evidence task `index` kept, after the timed region, in the
    /// process that ran the task. `Err` says what is wrong. Default: a task
    /// that keeps evidence fails, since nothing would check it.
    ///
    /// # Errors
    /// What is wrong with the evidence.
    fn check_task(&self, run: &Run, index: u32, evidence: &Evidence) -> Result<(), String> {
        let _ = (run, evidence);
        Err(format!(
            "task {index} of {} kept evidence, but the workload does not check it (UserWorkload::check_task)",
            self.describe().name
        ))
    }

    /// Whether the variant `knobs` names can run on a folder of the user's
    /// own files (`--input DIR`), where [`Run::input`] is the path of the
    /// set's file `k` and [`TaskContext::lines`] and `values` are 0 (the
    /// files' content is not the corpus's). `Err` says why not, in one line
    /// shown before the run (a check that needs the corpus's known content,
    /// a task that writes into its inputs). Default: it can.
    ///
    /// # Errors
    /// Why the workload cannot run on an input set.
    fn on_input_set(&self, knobs: &Knobs) -> Result<(), String> {
        let _ = knobs;
        Ok(())
    }

    /// Files whose cache state a repetition sets (`--cache warm,cold`) and
    /// whose residency it measures before timing. Default: by
    /// [`UserWorkload::tasks`], the corpus files in use, the large file, or
    /// nothing.
    fn inputs(&self, run: &Run) -> Vec<PathBuf> {
        match self.tasks(run.knobs()) {
            Tasks::PerFile => run.files().map(|k| run.input(k)).collect(),
            Tasks::OfLargeFile(_) => run.ctx().large_file.iter().cloned().collect(),
            Tasks::Count(_) => Vec::new(),
        }
    }
}

/// The variant and knob values of a user workload's scenario: what
/// [`UserWorkload::tasks`] and every task see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knobs {
    /// The variant's name (one of the description's).
    pub(super) variant: String,
    /// Every knob of the description, given or at its default.
    pub(super) values: BTreeMap<String, KnobValue>,
    /// Seed of anything random the workload does (`--seed`).
    pub(super) seed: u64,
}

impl Knobs {
    /// The variant's name.
    pub fn variant(&self) -> &str {
        &self.variant
    }

    /// The value of `knob` (given, or its description's default), typed.
    ///
    /// # Panics
    /// When the workload's description does not list `knob.desc` (then it
    /// has no flag and no value): a panic inside a task fails that task
    /// with this message, so the omission cannot pass unseen.
    pub fn get<T: KnobType>(&self, knob: Knob<T>) -> T {
        let key = knob.desc.key;
        let value = self.values.get(key).unwrap_or_else(|| {
            panic!("knob {key} is read but the workload's description does not list it (add its `.desc` to `knobs`)")
        });
        T::of_value(&knob.desc, value).unwrap_or_else(|| {
            panic!(
                "knob {key}: the description lists another kind of knob under this key ({value})"
            )
        })
    }

    /// The seed of anything random the workload does (`--seed`).
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// One repetition as a user's workload sees it: where the corpus and the
/// scratch folder are, the chosen variant and the knob values.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub(super) ctx: TaskContext,
    pub(super) knobs: Knobs,
}

impl Run {
    /// Where the inputs and outputs are: the corpus folder and shape, the
    /// large file, the scratch folder (emptied before each repetition).
    pub fn ctx(&self) -> &TaskContext {
        &self.ctx
    }

    /// The variant and knob values.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// The variant being run (one of the description's).
    pub fn variant(&self) -> &str {
        self.knobs.variant()
    }

    /// The value of `knob`, typed ([`Knobs::get`]): `run.knob(LEVEL)`.
    pub fn knob<T: KnobType>(&self, knob: Knob<T>) -> T {
        self.knobs.get(knob)
    }

    /// The corpus files in use, as task indices of a per-file workload.
    pub fn files(&self) -> std::ops::Range<u32> {
        self.ctx.file_range()
    }

    /// Path of corpus file `k`.
    pub fn input(&self, k: u32) -> PathBuf {
        self.ctx.input(k)
    }

    /// What input `k` holds by the input set's manifest (`--input`): its
    /// length and xxh3 as an [`Evidence::Checksum`], to check a result
    /// against with [`Evidence::matches`]; `None` on the generated corpus.
    pub fn expected(&self, k: u32) -> Option<Evidence> {
        let entry = self.ctx.inputs.as_ref()?.entries.get(k as usize)?;
        Some(Evidence::Checksum {
            len: entry.size,
            xxh3: entry.checksum,
        })
    }

    /// Path of output file `k` in the scratch folder.
    pub fn output(&self, k: u32) -> PathBuf {
        self.ctx.output(k)
    }
}
