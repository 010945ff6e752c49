//! The settings of one `iolab tune` ([`TuneConfig`], validated from the
//! flags by `crate::cli::tune`), the concurrent strategies a sweep varies
//! ([`Kind`]) and how a [`Setting`] of one becomes a [`Strategy`]. Does not
//! own reading the flags (`cli`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::plan::{Limits, Setting};
use crate::corpus::CorpusSpec;
use crate::experiment::Order;
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::strategy::{
    IoUringSpec, NestedSpec, ProcessesSpec, Strategy, StrategyKind, ThreadsSpec, TokioSpec,
};
use crate::workload::Workload;

/// Fewest repetitions a tuning point may have: fewer give no interval worth
/// reading.
pub const MIN_REPS: u32 = 3;

/// Tasks per message to worker processes: at least this many, and at least
/// two per thread of a nested worker so none of its threads starves.
pub const MIN_BATCH: u32 = 16;

/// A concurrent strategy whose worker count a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A pool of threads.
    Threads,
    /// Worker processes.
    Processes,
    /// Processes × threads.
    Nested,
    /// tokio's blocking pool with as many tasks in flight as threads.
    Tokio,
    /// One io_uring ring; the setting is its queue depth.
    IoUring,
}

impl Kind {
    /// Every kind, in the order a tie between equally fast recommendations
    /// is broken: the one that is simplest to adopt first.
    pub const SIMPLEST_FIRST: [Kind; 5] = [
        Kind::Threads,
        Kind::Tokio,
        Kind::Processes,
        Kind::IoUring,
        Kind::Nested,
    ];

    /// The registered strategy this kind sweeps.
    pub fn strategy_kind(self) -> StrategyKind {
        match self {
            Kind::Threads => StrategyKind::Threads,
            Kind::Processes => StrategyKind::Processes,
            Kind::Nested => StrategyKind::Nested,
            Kind::Tokio => StrategyKind::Tokio,
            Kind::IoUring => StrategyKind::IoUring,
        }
    }

    /// The kind sweeping `strategy`; `None` for the strategies tune does
    /// not sweep (the sequential baseline, external commands).
    pub fn of(strategy: StrategyKind) -> Option<Kind> {
        Kind::SIMPLEST_FIRST
            .into_iter()
            .find(|k| k.strategy_kind() == strategy)
    }

    /// The strategy name as in results (`threads`, `io_uring`, …), from its
    /// description.
    pub fn name(self) -> &'static str {
        self.strategy_kind().name()
    }

    /// Whether its setting is processes × threads.
    pub fn is_grid(self) -> bool {
        self == Kind::Nested
    }

    /// Rank in [`Kind::SIMPLEST_FIRST`].
    pub fn simplicity(self) -> usize {
        Kind::SIMPLEST_FIRST
            .iter()
            .position(|k| *k == self)
            .unwrap_or(Kind::SIMPLEST_FIRST.len())
    }

    /// The strategy this kind runs at `setting`. Process strategies get
    /// `max(16, 2 × threads)` tasks per message; tokio as many blocking
    /// threads as tasks in flight.
    pub fn strategy(self, setting: Setting) -> Strategy {
        let (processes, threads) = match setting {
            Setting::Workers(n) => (n, n),
            Setting::Grid { processes, threads } => (processes, threads),
        };
        match self {
            Kind::Threads => Strategy::Threads(ThreadsSpec { workers: threads }),
            Kind::Processes => Strategy::Processes(ProcessesSpec {
                workers: processes,
                batch: MIN_BATCH,
            }),
            Kind::Nested => Strategy::Nested(NestedSpec {
                processes,
                threads,
                batch: MIN_BATCH.max(threads.saturating_mul(2)),
            }),
            Kind::Tokio => Strategy::Tokio(TokioSpec {
                workers: threads,
                concurrency: threads,
            }),
            Kind::IoUring => Strategy::IoUring(IoUringSpec {
                queue_depth: threads,
            }),
        }
    }

    /// How a setting reads: `threads(4)`, `nested(2×4)`, `io_uring(8)`.
    pub fn label(self, setting: Setting) -> String {
        format!("{}({setting})", self.name())
    }
}

/// The processes and threads per process of `kind` at `setting`, as the
/// results columns count them.
pub fn shape_of(kind: Kind, setting: Setting) -> (u32, u32) {
    let s = kind.strategy(setting);
    (s.processes(), s.threads_per_process())
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything `iolab tune` needs, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneConfig {
    /// Workloads to tune, in the order given.
    pub workloads: Vec<Workload>,
    /// Strategies to sweep, in the order given (their priority when the
    /// budget runs short).
    pub kinds: Vec<Kind>,
    /// Bound on the whole command.
    pub budget: Duration,
    /// The planner's limits (cores, `--max-workers`, `--tolerance`).
    pub limits: Limits,
    /// Cache state of every scenario (default warm).
    pub cache: CacheState,
    /// The storage every scenario runs on (`--storage`; default the data
    /// folder as it is): provided by each round's run.
    pub storage: crate::storage::Storage,
    /// The corpus.
    pub corpus: CorpusSpec,
    /// Measured repetitions per point (≥ [`MIN_REPS`]; default 5).
    pub reps: u32,
    /// Discarded warm-ups per point (default 1).
    pub warmup: u32,
    /// Order of repetitions within a round.
    pub order: Order,
    /// Quiet-storage wait before each repetition.
    pub settle: Settle,
    /// How cold caches are made.
    pub cold_method: ColdMethod,
    /// Bootstrap seed.
    pub seed: u64,
    /// Folder of corpora and scratch space.
    pub data_dir: PathBuf,
    /// Folder the sweep's run folder goes into (`--out`, default `results`).
    pub out: PathBuf,
    /// The sweep's run identifier (`--run-id`, default `tune-<UTC time>`).
    pub run_id: String,
    /// Folder of profiles (`--profiles`, default `results/tuning`).
    pub profiles: PathBuf,
    /// A profile to compare with.
    pub compare: Option<PathBuf>,
    /// Show progress bars.
    pub progress: bool,
    /// The corpus scale named on the command line (`quick`, `default`,
    /// `seed`), or `custom` when `--files` or `--lines` override it.
    pub scale: String,
}

impl TuneConfig {
    /// The sweep's run folder: `<out>/<run-id>`.
    pub fn run_dir(&self) -> PathBuf {
        self.out.join(&self.run_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_strategies() {
        let g = Setting::Grid {
            processes: 2,
            threads: 16,
        };
        assert_eq!(
            Kind::Nested.strategy(g),
            Strategy::Nested(NestedSpec {
                processes: 2,
                threads: 16,
                batch: 32
            })
        );
        assert_eq!(
            Kind::Processes.strategy(Setting::Workers(4)),
            Strategy::Processes(ProcessesSpec {
                workers: 4,
                batch: 16
            })
        );
        assert_eq!(Kind::Nested.label(g), "nested(2×16)");
        assert_eq!(Kind::IoUring.label(Setting::Workers(8)), "io_uring(8)");
    }
}
