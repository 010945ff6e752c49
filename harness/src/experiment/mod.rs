//! What to run: scenarios (workload × strategy × cache state), how many
//! repetitions, in what order. One validated [`Plan`] is built from the
//! command line or from an experiment file; nothing downstream sees clap or
//! TOML types.

mod order;
mod size;

pub use order::{schedule, Order, Slot};
pub use size::{parse_size, ParseSizeError};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::corpus::CorpusSpec;
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::strategy::Strategy;
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
}

impl Scenario {
    /// A scenario with its identifier derived from its parts.
    pub fn new(
        experiment: &str,
        workload: Workload,
        strategy: Strategy,
        cache: CacheState,
    ) -> Scenario {
        let id = format!(
            "{}/{}/{}/{}",
            workload.name(),
            workload.variant_label(),
            strategy_slug(&strategy),
            cache.as_str()
        );
        Scenario {
            id,
            experiment: experiment.to_string(),
            workload,
            strategy,
            cache,
            kill_at_pct: None,
        }
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
        let mut parts: Vec<String> = self.id.split('/').map(str::to_string).collect();
        parts[1] = self.variant();
        self.id = parts.join("/");
        Ok(self)
    }

    /// The workload's variant label, with the crash point when there is one
    /// (`in-place+kill-50pct`).
    pub fn variant(&self) -> String {
        match self.kill_at_pct {
            Some(pct) => format!("{}+kill-{pct}pct", self.workload.variant_label()),
            None => self.workload.variant_label(),
        }
    }

    /// The label people read: `read whole · threads(4) · cold`.
    pub fn label(&self) -> String {
        format!(
            "{} {} · {} · {}",
            self.workload.name(),
            self.variant(),
            self.strategy,
            self.cache.as_str()
        )
    }

    /// The sequential scenario this one is compared with (same workload,
    /// knobs and cache state).
    pub fn baseline_id(&self) -> String {
        Scenario::new(
            &self.experiment,
            self.workload.clone(),
            Strategy::Sequential,
            self.cache,
        )
        .id
    }
}

/// Strategy with knobs as a path-safe slug: `threads-4`, `nested-2x4-b16`.
pub fn strategy_slug(s: &Strategy) -> String {
    match s {
        Strategy::Sequential => "sequential".into(),
        Strategy::Threads { workers } => format!("threads-{workers}"),
        Strategy::Processes { workers, batch } => format!("processes-{workers}-b{batch}"),
        Strategy::Nested {
            processes,
            threads,
            batch,
        } => format!("nested-{processes}x{threads}-b{batch}"),
        Strategy::Tokio {
            workers,
            concurrency,
        } => format!("tokio-{workers}-c{concurrency}"),
        Strategy::IoUring { queue_depth } => format!("io_uring-q{queue_depth}"),
        Strategy::Command { workers, template } => {
            let program = template
                .split_whitespace()
                .find(|w| !w.contains('='))
                .unwrap_or("sh");
            let name = program.rsplit('/').next().unwrap_or(program);
            format!("command-{name}-{workers}")
        }
    }
}

/// Everything a run needs, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The scenarios, sorted by id.
    pub scenarios: Vec<Scenario>,
    /// The corpus they run on.
    pub corpus: CorpusSpec,
    /// Measured repetitions per scenario (≥ 1; default 5).
    pub reps: u32,
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
