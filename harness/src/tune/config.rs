//! Validation of `iolab tune` arguments into one [`TuneConfig`]: every value
//! checked, every error naming the flag, the value and what is allowed.
//! Nothing past this module sees [`TuneArgs`].
//!
//! Also the concurrent strategies a sweep varies ([`Kind`]) and how a
//! [`Setting`] of one becomes a [`Strategy`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::planner::{Limits, Setting};
use crate::cli::plan::{self, ConfigError, MAX_WORKERS};
use crate::cli::{CorpusArgs, TuneArgs};
use crate::corpus::CorpusSpec;
use crate::experiment::Order;
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::strategy::Strategy;
use crate::workload::{
    AppendSpec, CopySpec, MetadataSpec, RandomSpec, ReadSpec, SaveSpec, ScanSpec, StreamSpec,
    Workload, WriteSpec,
};

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

    /// Parse a `--strategy` name.
    ///
    /// # Errors
    /// An unknown name or one that is not swept (sequential, command).
    pub fn parse(name: &str) -> Result<Kind, ConfigError> {
        Ok(match name {
            "threads" => Kind::Threads,
            "processes" => Kind::Processes,
            "nested" => Kind::Nested,
            "tokio" => Kind::Tokio,
            "io_uring" | "io-uring" | "uring" => Kind::IoUring,
            "sequential" => {
                return Err(invalid(
                    "--strategy",
                    name,
                    "sequential is the baseline every round measures anyway; \
                     allowed: threads, processes, nested, tokio, io_uring",
                ))
            }
            other => {
                return Err(invalid(
                    "--strategy",
                    other,
                    "allowed: threads, processes, nested, tokio, io_uring",
                ))
            }
        })
    }

    /// The strategy name as in results (`threads`, `io_uring`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Threads => "threads",
            Kind::Processes => "processes",
            Kind::Nested => "nested",
            Kind::Tokio => "tokio",
            Kind::IoUring => "io_uring",
        }
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
            Kind::Threads => Strategy::Threads { workers: threads },
            Kind::Processes => Strategy::Processes {
                workers: processes,
                batch: MIN_BATCH,
            },
            Kind::Nested => Strategy::Nested {
                processes,
                threads,
                batch: MIN_BATCH.max(threads.saturating_mul(2)),
            },
            Kind::Tokio => Strategy::Tokio {
                workers: threads,
                concurrency: threads,
            },
            Kind::IoUring => Strategy::IoUring {
                queue_depth: threads,
            },
        }
    }

    /// How a setting reads: `threads(4)`, `nested(2×4)`, `io_uring(8)`.
    pub fn label(self, setting: Setting) -> String {
        format!("{}({setting})", self.name())
    }
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

fn invalid(flag: &'static str, value: impl ToString, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        flag,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

impl TuneConfig {
    /// Validate `args`. `cores` is the number of CPUs the sweep plans for.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad flag.
    pub fn from_args(args: &TuneArgs, cores: u32) -> Result<TuneConfig, ConfigError> {
        let workloads = workloads(&args.workload, args.measure.seed)?;
        let kinds = kinds(&args.strategy)?;
        let budget = plan::parse_duration("--budget", &args.budget)?;
        if budget < Duration::from_secs(1) {
            return Err(invalid("--budget", &args.budget, "at least 1s, e.g. 5m"));
        }
        if !(1..=MAX_WORKERS).contains(&args.max_workers) {
            return Err(invalid(
                "--max-workers",
                args.max_workers,
                format!("allowed 1 to {MAX_WORKERS}"),
            ));
        }
        if !(0.0..1.0).contains(&args.tolerance) {
            return Err(invalid(
                "--tolerance",
                args.tolerance,
                "a fraction from 0 up to (not including) 1, e.g. 0.05",
            ));
        }
        let reps = plan::reps(args.measure.reps)?;
        if reps < MIN_REPS {
            return Err(invalid(
                "--reps",
                reps,
                format!("tune needs at least {MIN_REPS} repetitions per point for an interval"),
            ));
        }
        let needs_large = workloads.iter().any(Workload::needs_large_file);
        Ok(TuneConfig {
            workloads,
            kinds,
            budget,
            limits: Limits {
                cores: cores.max(1),
                max_workers: args.max_workers,
                tolerance: args.tolerance,
            },
            cache: args.cache,
            corpus: plan::corpus_spec(&corpus_args(args), needs_large)?,
            reps,
            warmup: args.measure.warmup,
            order: plan::order(&args.measure),
            settle: plan::settle(&args.measure)?,
            cold_method: args.measure.cold_method,
            seed: args.measure.seed,
            data_dir: args.data_dir.clone(),
            out: args.output.out.clone(),
            run_id: args
                .output
                .run_id
                .clone()
                .unwrap_or_else(|| format!("tune-{}", crate::runner::new_run_id())),
            profiles: args.profiles.clone(),
            compare: args.compare.clone(),
            progress: !args.output.no_progress,
            scale: if args.files.is_some() || args.lines.is_some() {
                "custom".into()
            } else {
                format!("{:?}", args.scale).to_lowercase()
            },
        })
    }

    /// The sweep's run folder: `<out>/<run-id>`.
    pub fn run_dir(&self) -> PathBuf {
        self.out.join(&self.run_id)
    }
}

fn corpus_args(args: &TuneArgs) -> CorpusArgs {
    CorpusArgs {
        dir: None,
        scale: args.scale,
        files: args.files,
        lines: args.lines,
        values: None,
        large_file: None,
        data_dir: args.data_dir.clone(),
    }
}

/// The workloads named by `--workload`, each with its default knobs.
///
/// # Errors
/// An unknown name, or none at all.
pub fn workloads(names: &[String], seed: u64) -> Result<Vec<Workload>, ConfigError> {
    let mut out: Vec<Workload> = Vec::new();
    for name in names {
        let w = match name.as_str() {
            "read" => Workload::Read(ReadSpec::default()),
            "write" => Workload::Write(WriteSpec::default()),
            "copy" => Workload::Copy(CopySpec::default()),
            "append" => Workload::Append(AppendSpec::default()),
            "atomic-save" => Workload::AtomicSave(SaveSpec::default()),
            "stream" => Workload::Stream(StreamSpec::default()),
            "scan" => Workload::Scan(ScanSpec::default()),
            "random" => Workload::Random(RandomSpec {
                seed,
                ..RandomSpec::default()
            }),
            "metadata" => Workload::Metadata(MetadataSpec::default()),
            other => return Err(invalid(
                "--workload",
                other,
                "allowed: read, write, copy, append, atomic-save, stream, scan, random, metadata",
            )),
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
    if out.is_empty() {
        return Err(invalid("--workload", "", "name at least one workload"));
    }
    Ok(out)
}

/// The kinds named by `--strategy`, duplicates dropped.
///
/// # Errors
/// An unknown name, sequential, or none at all.
pub fn kinds(names: &[String]) -> Result<Vec<Kind>, ConfigError> {
    let mut out = Vec::new();
    for name in names {
        let k = Kind::parse(name)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        return Err(invalid("--strategy", "", "name at least one strategy"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_reject_the_baseline() {
        let names: Vec<String> = ["threads", "io-uring", "threads", "nested"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            kinds(&names).unwrap(),
            vec![Kind::Threads, Kind::IoUring, Kind::Nested]
        );
        let err = Kind::parse("sequential").unwrap_err().to_string();
        assert!(err.contains("baseline"), "{err}");
        assert!(Kind::parse("command").is_err());
    }

    #[test]
    fn settings_become_strategies() {
        let g = Setting::Grid {
            processes: 2,
            threads: 16,
        };
        assert_eq!(
            Kind::Nested.strategy(g),
            Strategy::Nested {
                processes: 2,
                threads: 16,
                batch: 32
            }
        );
        assert_eq!(
            Kind::Processes.strategy(Setting::Workers(4)),
            Strategy::Processes {
                workers: 4,
                batch: 16
            }
        );
        assert_eq!(Kind::Nested.label(g), "nested(2×16)");
        assert_eq!(Kind::IoUring.label(Setting::Workers(8)), "io_uring(8)");
    }

    #[test]
    fn workloads_are_named_and_unknown_ones_rejected() {
        let w = workloads(&["read".into(), "append".into(), "read".into()], 1).unwrap();
        assert_eq!(w.len(), 2);
        let err = workloads(&["mmap".into()], 1).unwrap_err().to_string();
        assert!(err.contains("--workload mmap"), "{err}");
    }
}
