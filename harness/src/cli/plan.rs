//! Validation of command-line values into the types the rest of iolab uses:
//! the flags of `iolab run`, `iolab run x.toml` and `iolab bench-all` into
//! [`Settings`], and the grid flags of `iolab run --workload …` into a
//! plan. The grid flags are not expanded here: they are written as one
//! `[[grid]]` block ([`Experiment::from_flags`]) and planned by the same code
//! as experiment files ([`crate::experiment::plan`]), so both go through
//! one expansion and one set of checks. Every error names the flag, the
//! value and what is allowed.

use std::time::Duration;

use clap::Args;

use crate::corpus::{CorpusSpec, Scale};
use crate::describe::KnobError;
use crate::experiment::reps::Reps;
use crate::experiment::{
    parse_size, CorpusOverrides, Experiment, ExperimentError, Order, Planned, Settings, Wait,
};
use crate::measure::cache::ColdMethod;
use crate::measure::quiet::Settle;

pub use crate::strategy::MAX_WORKERS;

use super::{BenchAllArgs, CorpusArgs, MeasureArgs, OrderArg, RunArgs};

/// A command-line value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value outside what a flag allows.
    #[error("{flag} {value}: {allowed}")]
    Invalid {
        /// The flag.
        flag: String,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A combination that has no meaning.
    #[error("{0}")]
    Meaningless(String),
    /// A grid flag's value or combination the grid refuses (the same
    /// checks as an experiment file's, naming the flag).
    #[error(transparent)]
    Grid(#[from] ExperimentError),
}

impl From<KnobError> for ConfigError {
    fn from(e: KnobError) -> ConfigError {
        ConfigError::Invalid {
            flag: format!("--{}", e.key.replace('_', "-")),
            value: e.value,
            allowed: e.allowed,
        }
    }
}

fn invalid(flag: &str, value: impl ToString, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        flag: flag.to_string(),
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Measurement flags of `iolab run` and `iolab bench-all`: as
/// [`MeasureArgs`], except that repetitions, warm-ups and the settle window
/// are left unset when not given, so experiment files can set them.
#[derive(Debug, Args, Clone)]
pub struct RunMeasureArgs {
    /// Measured repetitions per scenario: a count, or `auto` (at most 30) /
    /// `auto:MAX`: repeat each scenario (at least 3 times) until its median's
    /// 95 % interval spans at most --ci-width of the median, MAX is reached
    /// or --budget is spent; scenarios still interleave round by round
    /// [default: 5, or what the experiment files set; bench-all: auto:10
    /// with a --budget of 75s at quick scale and 15m at default, auto:5 at
    /// seed].
    #[arg(long, value_name = "N|auto|auto:MAX", value_parser = reps_arg)]
    pub reps: Option<Reps>,
    /// With `--reps auto`: the median's 95 % interval may span at most this
    /// percentage of the median (0.1 to 200) [default: 10].
    #[arg(long, value_name = "PCT")]
    pub ci_width: Option<f64>,
    /// With `--reps auto`: once the run has taken this long (e.g. 20m),
    /// scenarios that have their 3 repetitions get no more [default: none;
    /// bench-all without --reps: its scale's budget].
    #[arg(long, value_name = "DURATION")]
    pub budget: Option<String>,
    /// Discarded warm-up repetitions per scenario [default: 1, or what the experiment files set].
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Order of repetitions: interleaved rounds (seeded shuffle) or one scenario after another.
    #[arg(long, value_enum, default_value = "interleaved")]
    pub order: OrderArg,
    /// Seed of the interleaving shuffle and of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Storage must be idle this long before each repetition (0 skips waiting, e.g. on tmpfs) [default: 1s, or what the experiment files set].
    #[arg(long, value_name = "DURATION")]
    pub settle: Option<String>,
    /// Give up waiting for idle storage after this long [default: 60s, or what the experiment files set].
    #[arg(long, value_name = "DURATION")]
    pub settle_timeout: Option<String>,
    /// How cold caches are made: auto (drop_caches if root, else fadvise), drop-caches, fadvise.
    #[arg(long, value_enum, default_value = "auto")]
    pub cold_method: ColdMethod,
}

impl RunMeasureArgs {
    /// The flags with every unset value at its command-line default.
    pub fn with_defaults(&self) -> MeasureArgs {
        MeasureArgs {
            reps: self.reps.map_or(5, Reps::max),
            warmup: self.warmup.unwrap_or(1),
            order: self.order,
            seed: self.seed,
            settle: self.settle.clone().unwrap_or_else(|| "1s".into()),
            settle_timeout: self.settle_timeout.clone().unwrap_or_else(|| "60s".into()),
            cold_method: self.cold_method,
        }
    }
}

/// Build and validate the plan of `iolab run` from its grid flags: the
/// flags as one `[[grid]]` block, planned as an experiment file is.
///
/// # Errors
/// [`ConfigError`] naming the first bad flag or combination.
pub fn build_plan(args: &RunArgs) -> Result<Planned, ConfigError> {
    let settings = run_settings(args)?;
    let experiment = Experiment::from_flags(&grid_flags(args))?;
    Ok(crate::experiment::plan(&[experiment], &settings)?)
}

/// The grid flags' values by grid key, as given: the flags of `run` that
/// make the grid, then the knob flags.
pub fn grid_flags(args: &RunArgs) -> Vec<(&str, Vec<String>)> {
    let text = |values: &[String]| values.to_vec();
    let shown = |values: Vec<String>| values;
    let mut out = vec![
        ("workload", text(&args.workload)),
        ("variant", text(&args.variant)),
        ("strategy", text(&args.strategy)),
        (
            "cache",
            shown(args.cache.iter().map(|c| c.as_str().to_string()).collect()),
        ),
        (
            "first_files",
            shown(args.first_files.iter().map(u32::to_string).collect()),
        ),
        (
            "kill_at",
            shown(args.kill_at.iter().map(u32::to_string).collect()),
        ),
        (
            "scratch_policy",
            shown(
                args.scratch_policy
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            ),
        ),
        (
            "after_deleting",
            shown(args.after_deleting.iter().map(u32::to_string).collect()),
        ),
        (
            "storage",
            shown(
                args.storage
                    .iter()
                    .flat_map(|t| crate::storage::Storage::split_list(t))
                    .collect(),
            ),
        ),
        (
            "ranks",
            shown(args.ranks.iter().map(u32::to_string).collect()),
        ),
    ];
    if args.no_baseline {
        out.push(("baseline", vec!["false".to_string()]));
    }
    out.extend(
        args.knobs
            .iter()
            .map(|(key, values)| (key.as_str(), values.clone())),
    );
    out
}

/// The settings of `iolab run x.toml …`: the scale and corpus flags, the
/// measurement flags that were given, and `--only`.
///
/// # Errors
/// [`ConfigError`] naming a bad flag value.
pub fn run_settings(args: &RunArgs) -> Result<Settings, ConfigError> {
    let c = &args.corpus;
    let corpus = CorpusOverrides {
        files: c.files,
        lines: c.lines,
        values: c.values,
        large_file: match &c.large_file {
            Some(t) => Some(parse_size(t).map_err(|e| invalid("--large-file", t, e.to_string()))?),
            None => None,
        },
        folders: folders(c.folders.as_deref())?,
        input: input_spec(&args.input)?,
    };
    settings(c.scale, corpus, &args.measure, args.only.clone())
}

/// `--folders`: `flat` or `sharded:K`.
///
/// # Errors
/// Anything else, naming the flag, the value and what is allowed.
fn folders(text: Option<&str>) -> Result<Option<crate::corpus::Folders>, ConfigError> {
    text.map(|t| {
        t.parse()
            .map_err(|e: crate::corpus::FoldersError| invalid("--folders", t, e.to_string()))
    })
    .transpose()
}

/// The input set `--input`, `--input-glob` and `--input-check` name.
///
/// # Errors
/// A glob that does not parse, naming the flag.
pub fn input_spec(
    args: &super::InputArgs,
) -> Result<Option<crate::corpus::InputSpec>, ConfigError> {
    let Some(dir) = &args.input else {
        return Ok(None);
    };
    let check = crate::corpus::InputCheck::parse(&args.input_check).unwrap_or_default();
    crate::corpus::InputSpec::new(dir, args.input_glob.clone(), check)
        .map(Some)
        .map_err(|e| invalid("--input-glob", args.input_glob.as_deref().unwrap_or(""), e))
}

/// The settings of `iolab bench-all`. Without `--reps`, bench-all repeats
/// each scenario automatically within its scale's budget
/// ([`crate::experiment::reps::BenchAllDefault`]); an explicit `--reps`
/// wins, and `--budget` replaces the default budget.
///
/// # Errors
/// [`ConfigError`] naming a bad flag value.
pub fn bench_all_settings(args: &BenchAllArgs) -> Result<Settings, ConfigError> {
    let corpus = CorpusOverrides {
        folders: folders(args.folders.as_deref())?,
        ..CorpusOverrides::default()
    };
    let mut given = settings(args.scale, corpus, &args.measure, args.only.clone())?;
    if let Some(list) = &args.storage {
        let storages = crate::storage::Storage::parse_list(list)
            .map_err(|e| invalid("--storage", &e.value, e.problem))?;
        given.storages = Some(storages);
    }
    if given.reps.is_some() {
        return Ok(given);
    }
    let default = crate::experiment::reps::BenchAllDefault::at(args.scale);
    Ok(Settings {
        reps: Some(default.reps),
        budget: given.budget.or(default.budget),
        ..given
    })
}

fn settings(
    scale: Scale,
    corpus: CorpusOverrides,
    m: &RunMeasureArgs,
    only: Option<String>,
) -> Result<Settings, ConfigError> {
    let defaults = m.with_defaults();
    Ok(Settings {
        scale,
        corpus,
        reps: m.reps,
        ci_width_pct: m.ci_width,
        budget: budget(m)?,
        warmup: m.warmup,
        settle: m
            .settle
            .as_deref()
            .map(|s| wait("--settle", Wait::Settle, s))
            .transpose()?,
        settle_timeout: m
            .settle_timeout
            .as_deref()
            .map(|s| wait("--settle-timeout", Wait::SettleTimeout, s))
            .transpose()?,
        order: order(&defaults),
        cold_method: m.cold_method,
        seed: m.seed,
        only: only.filter(|o| !o.is_empty()),
        storages: None,
    })
}

/// Longest `--run-id`, in bytes.
pub const MAX_RUN_ID_BYTES: usize = 100;

/// Check a `--run-id`: it names a folder under `--out`, so it must be a
/// plain name (at most [`MAX_RUN_ID_BYTES`] bytes, no `/`, no control
/// characters, not `.` or `..`, not starting with `-`).
///
/// # Errors
/// What is allowed, for clap to print after the flag and value.
pub fn run_id(text: &str) -> Result<String, String> {
    let allowed = "a plain folder name of 1 to 100 bytes: no '/', no control characters, not '.' or '..', not starting with '-'";
    let plain = !text.is_empty()
        && text.len() <= MAX_RUN_ID_BYTES
        && !text.contains('/')
        && !text.chars().any(char::is_control)
        && text != "."
        && text != ".."
        && !text.starts_with('-');
    if plain {
        Ok(text.to_string())
    } else {
        Err(allowed.to_string())
    }
}

/// Repetitions must be at least 1 and at most 1000.
///
/// # Errors
/// A count outside that range, naming `--reps`.
pub fn reps(reps: u32) -> Result<u32, ConfigError> {
    if (1..=1000).contains(&reps) {
        Ok(reps)
    } else {
        Err(invalid(
            "--reps",
            reps,
            "allowed 1 to 1000 (at least 3 for a confidence interval worth reading)",
        ))
    }
}

/// `--reps N|auto|auto:MAX`, for clap.
///
/// # Errors
/// What is allowed.
pub fn reps_arg(text: &str) -> Result<Reps, String> {
    crate::experiment::reps::parse(text)
}

/// `--budget`, checked.
fn budget(m: &RunMeasureArgs) -> Result<Option<Duration>, ConfigError> {
    m.budget
        .as_deref()
        .map(|b| match parse_duration("--budget", b)? {
            d if d >= Duration::from_secs(1) => Ok(d),
            _ => Err(invalid("--budget", b, "at least 1s, e.g. 20m")),
        })
        .transpose()
}

/// The order from the measurement flags.
pub fn order(m: &MeasureArgs) -> Order {
    match m.order {
        OrderArg::Interleaved => Order::Interleaved { seed: m.seed },
        OrderArg::Sequential => Order::Sequential,
    }
}

/// The settle window from the measurement flags.
///
/// # Errors
/// A duration that does not parse.
pub fn settle(m: &MeasureArgs) -> Result<Settle, ConfigError> {
    Ok(Settle {
        idle: wait("--settle", Wait::Settle, &m.settle)?,
        timeout: wait("--settle-timeout", Wait::SettleTimeout, &m.settle_timeout)?,
    })
}

/// Parse a settle window or timeout and check its range.
///
/// # Errors
/// A duration that does not parse or is out of range, naming the flag.
fn wait(flag: &'static str, kind: Wait, text: &str) -> Result<Duration, ConfigError> {
    kind.parse(text)
        .map_err(|allowed| invalid(flag, text, allowed))
}

/// Parse `0`, `500ms`, `2s`, `5m`.
///
/// # Errors
/// Anything else, naming the flag.
pub fn parse_duration(flag: &'static str, text: &str) -> Result<Duration, ConfigError> {
    crate::experiment::parse_duration(text)
        .ok_or_else(|| invalid(flag, text, "use a duration such as 0, 500ms, 2s or 5m"))
}

/// The corpus shape: a scale, with explicit overrides, and a large file when
/// a workload needs one (default size per scale: quick 64 MiB, default
/// 1 GiB, seed 4 GiB).
///
/// # Errors
/// A bad size or a shape the corpus module rejects.
pub fn corpus_spec(args: &CorpusArgs, needs_large: bool) -> Result<CorpusSpec, ConfigError> {
    let mut spec = args.scale.spec();
    spec.files = args.files.unwrap_or(spec.files);
    spec.lines = args.lines.unwrap_or(spec.lines);
    spec.values = args.values.unwrap_or(spec.values);
    spec.large_file_bytes = match &args.large_file {
        Some(text) => {
            Some(parse_size(text).map_err(|e| invalid("--large-file", text, e.to_string()))?)
        }
        None if needs_large => Some(crate::experiment::default_large_file(args.scale)),
        None => None,
    };
    spec.folders = folders(args.folders.as_deref())?.unwrap_or_default();
    spec.validate()
        .map_err(|e| ConfigError::Meaningless(e.to_string()))?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Command;

    /// A plan serialises (as `run.json` holds it, for a resume) and reads
    /// back equal.
    #[test]
    fn a_plan_round_trips_through_run_json() {
        let cli = crate::cli::parse_from([
            "iolab",
            "run",
            "--workload",
            "write,read,copy,append,atomic-save,stream,scan,random",
            "--strategy",
            "sequential,threads,processes,nested,tokio,io_uring",
            "--workers",
            "2,4",
            "--cache",
            "warm,cold",
            "--chunk",
            "4KiB,1MiB",
            "--order",
            "sequential",
            "--settle",
            "250ms",
            "--large-file",
            "1MiB",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not a run");
        };
        let plan = build_plan(&args).unwrap().plan;
        assert!(plan.scenarios.len() > 50, "{}", plan.scenarios.len());
        let text = serde_json::to_string_pretty(&plan).unwrap();
        let back: crate::experiment::Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
    }
}
