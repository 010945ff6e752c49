//! What to run: scenarios (workload × strategy × cache state), how many
//! repetitions, in what order. One validated [`Plan`] is built from the
//! command line or from experiment files; nothing downstream sees clap or
//! TOML types.
//!
//! - workloads and strategies are built from names and knob values by their
//!   registries ([`crate::workload::build`], [`crate::strategy::build`]),
//!   shared with the command line;
//! - `file`: the TOML format as written, with positions, and its errors;
//! - `flags`: the command line's grid flags written as one `[[grid]]` block
//!   of that same format, so flags and files go through one expansion;
//! - `knob_lists`: a `[[grid]]` block's knob keys, derived from the
//!   registered strategies' and workloads' descriptions (a user's binary's
//!   own included);
//! - `grid`, `expand`: one file (or the flags' block) at one scale, its grid
//!   expanded, meaningless combinations skipped with a note;
//! - `set`: several files (or the flags' block) merged into one [`Plan`];
//! - [`limit`]: how many scenarios a run may hold, counted before expanding;
//! - `order`: the schedule of repetitions.

mod expand;
mod file;
pub mod flags;
mod grid;
mod keys;
mod knob_lists;
pub mod layout;
pub mod limit;
mod order;
pub mod python;
pub mod reps;
mod set;
mod settings;
mod size;

pub use file::{ExperimentError, Place, MAX_FILE_BYTES};
pub use grid::{Expansion, Experiment, Skipped};
pub use order::{schedule, Order, Slot};
pub use set::{plan, Planned};
pub use settings::{default_large_file, parse_duration, CorpusOverrides, Settings, Wait};
pub use size::{parse_size, ParseSizeError};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::corpus::{CorpusSpec, ScratchPolicy};

/// The keys a `[[grid]]` block holds besides knobs (`workload`, `strategy`,
/// `cache`, …): a knob may not take one of them as its key.
pub fn grid_keys() -> &'static [&'static str] {
    knob_lists::fields_of::<file::RawGrid>()
}

/// Most files `--after-deleting` may create and delete before a repetition.
pub const MAX_AFTER_DELETING: u32 = 1_000_000;
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::storage::Storage;
use crate::strategy::{CommandSpec, Strategy};
use crate::workload::Workload;

/// One cell of the grid: a workload with its knobs, under a strategy with
/// its knobs, from a cache state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Stable identifier, e.g. `read/whole/threads-4/cold`; rows sort by it.
    pub id: String,
    /// The experiment (file stem or `cli`) it came from.
    pub experiment: String,
    /// What each task does.
    pub workload: Workload,
    /// How tasks are scheduled.
    pub strategy: Strategy,
    /// Cache state at the start of each repetition.
    pub cache: CacheState,
    /// Kill the worker processes once this percentage of tasks has finished
    /// (the atomic-save crash experiment); `None` runs to the end.
    #[serde(default)]
    pub kill_at_pct: Option<u32>,
    /// Use only the first this-many corpus files (a per-file workload on a
    /// subset, for scenarios too slow to run on the whole corpus); `None`
    /// uses them all.
    #[serde(default)]
    pub first_files: Option<u32>,
    /// What state of the scratch filesystem each repetition starts from.
    /// Default: [`ScratchPolicy::default`].
    #[serde(default)]
    pub scratch: ScratchPolicy,
    /// Create this many empty files in the scratch folder before settling
    /// and delete them just before the cache preparation and the timed
    /// region ("after deleting N files"); `None`: no such step.
    #[serde(default)]
    pub after_deleting: Option<u32>,
    /// The storage the corpus and scratch are on ([`crate::storage`]):
    /// provided once per run, each storage with its own corpus. Default:
    /// the data folder as it is (`data-dir`), absent from the id.
    #[serde(default, skip_serializing_if = "Storage::is_data_dir")]
    pub storage: Storage,
    /// The number of MPI ranks that run it (`--ranks`, a sweep of rank
    /// counts in one job: ranks `0..n` on a sub-communicator, the others
    /// idle); `None`: every rank the launcher started, absent from the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<u32>,
}

impl Scenario {
    /// A scenario with its identifier derived from its parts.
    pub fn new(
        experiment: &str,
        workload: Workload,
        strategy: Strategy,
        cache: CacheState,
    ) -> Scenario {
        let mut s = Scenario {
            id: String::new(),
            experiment: experiment.to_string(),
            workload,
            strategy,
            cache,
            kill_at_pct: None,
            first_files: None,
            scratch: ScratchPolicy::default(),
            after_deleting: None,
            storage: Storage::DataDir,
            ranks: None,
        };
        s.id = s.derived_id();
        s
    }

    /// This scenario with its corpus and scratch on `storage`.
    pub fn on_storage(mut self, storage: Storage) -> Scenario {
        self.storage = storage;
        self.id = self.derived_id();
        self
    }

    /// This scenario run by `ranks` MPI ranks (`None`: all of them).
    pub fn on_ranks(mut self, ranks: Option<u32>) -> Scenario {
        self.ranks = ranks;
        self.id = self.derived_id();
        self
    }

    /// This scenario under scratch policy `policy`, after deleting
    /// `deleted` files (when given).
    ///
    /// # Errors
    /// Zero files to delete, or more than [`MAX_AFTER_DELETING`].
    pub fn with_scratch(
        mut self,
        policy: ScratchPolicy,
        deleted: Option<u32>,
    ) -> Result<Scenario, String> {
        if let Some(n) = deleted.filter(|n| !(1..=MAX_AFTER_DELETING).contains(n)) {
            return Err(format!(
                "after_deleting {n}: allowed 1 to {MAX_AFTER_DELETING} files"
            ));
        }
        self.scratch = policy;
        self.after_deleting = deleted;
        self.id = self.derived_id();
        Ok(self)
    }

    fn derived_id(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.workload.name(),
            self.variant(),
            self.strategy.slug(),
            self.cache.as_str()
        )
    }

    /// This scenario on the first `files` corpus files only.
    ///
    /// # Errors
    /// Why the combination is meaningless: a workload that does not work
    /// file by file, zero files, or a command template without `{files}`
    /// (the command would not know to stop early).
    pub fn on_first_files(mut self, files: u32) -> Result<Scenario, String> {
        if !self.workload.per_file() {
            return Err(format!(
                "first_files applies to the workloads that take one corpus file per task (write, read, copy, atomic-save), not {}",
                self.workload.name()
            ));
        }
        if files == 0 {
            return Err("first_files 0: allowed 1 up to the corpus's file count".into());
        }
        if let Strategy::Command(CommandSpec { template, .. }) = &self.strategy {
            if !template.contains("{files}") {
                return Err(format!(
                    "first_files with the command strategy needs `{{files}}` in the template, so the command uses only those files: {template}"
                ));
            }
        }
        self.first_files = Some(files);
        self.id = self.derived_id();
        Ok(self)
    }

    /// This scenario with its worker processes killed once `pct` percent of
    /// the tasks have finished.
    ///
    /// # Errors
    /// Why the combination is meaningless (not worker processes, not an
    /// atomic save, or a percentage outside 1..=99).
    pub fn killed_at(mut self, pct: u32) -> Result<Scenario, String> {
        if let Some(why) = self.strategy.kill_incompatibility(&self.workload) {
            return Err(why);
        }
        if !(1..=99).contains(&pct) {
            return Err(format!("kill at {pct}%: allowed 1 to 99"));
        }
        self.kill_at_pct = Some(pct);
        self.id = self.derived_id();
        Ok(self)
    }

    /// The workload's variant label, with the file subset and the crash
    /// point when there are (`rename+first-1000`, `in-place+kill-50pct`).
    /// Scenarios are compared only with scenarios of the same suffixes.
    pub fn variant(&self) -> String {
        let mut v = self.workload.variant_label();
        if let Some(n) = self.first_files {
            v.push_str(&format!("+first-{n}"));
        }
        if let Some(pct) = self.kill_at_pct {
            v.push_str(&format!("+kill-{pct}pct"));
        }
        if self.scratch != ScratchPolicy::default() {
            v.push_str(&format!("+scratch-{}", self.scratch));
        }
        if let Some(n) = self.after_deleting {
            v.push_str(&format!("+after-delete-{n}"));
        }
        if !self.storage.is_data_dir() {
            v.push_str(&format!("+on-{}", self.storage));
        }
        if let Some(n) = self.ranks {
            v.push_str(&format!("+ranks-{n}"));
        }
        v
    }

    /// The label people read: `read whole · threads(4) · cold`, after the
    /// experiment's name when it came from a file (`load: read whole · …`).
    pub fn label(&self) -> String {
        let from = if self.experiment == "cli" {
            String::new()
        } else {
            format!("{}: ", self.experiment)
        };
        format!(
            "{from}{} {} · {} · {}",
            self.workload.name(),
            self.variant(),
            self.strategy,
            self.cache.as_str()
        )
    }

    /// The sequential scenario this one is compared with (same workload,
    /// knobs, files and cache state).
    pub fn baseline(&self) -> Scenario {
        let mut s = Scenario::new(
            &self.experiment,
            self.workload.clone(),
            Strategy::sequential(),
            self.cache,
        );
        s.first_files = self.first_files;
        s.scratch = self.scratch;
        s.after_deleting = self.after_deleting;
        s.storage = self.storage;
        s.ranks = self.ranks;
        s.id = s.derived_id();
        s
    }

    /// The identifier of [`Scenario::baseline`].
    pub fn baseline_id(&self) -> String {
        self.baseline().id
    }
}

/// Everything a run needs, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The scenarios, sorted by id.
    pub scenarios: Vec<Scenario>,
    /// The corpus they run on.
    pub corpus: CorpusSpec,
    /// The user's folder they run on instead of the corpus (`--input`,
    /// `[corpus] input`): a corpus-level setting, the same for every
    /// scenario of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<crate::corpus::InputSpec>,
    /// Measured repetitions per scenario (≥ 1; default 5); the most with
    /// [`Plan::auto`].
    pub reps: u32,
    /// `--reps auto`: stop a scenario's repetitions once its median is
    /// known well enough ([`reps::AutoReps`]); `None`: exactly `reps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<reps::AutoReps>,
    /// Discarded warm-up repetitions per scenario (default 1).
    pub warmup: u32,
    /// Order of repetitions.
    pub order: Order,
    /// Waiting for idle storage before each repetition.
    pub settle: Settle,
    /// How cold caches are made.
    pub cold_method: ColdMethod,
    /// Seed of the bootstrap (recorded with the results).
    pub bootstrap_seed: u64,
}

impl Plan {
    /// Default settle window, exposed for the CLI's help.
    pub const DEFAULT_SETTLE: Duration = Duration::from_secs(1);
}
