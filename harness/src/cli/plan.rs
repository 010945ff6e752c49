//! Validation of command-line values into the types the rest of iolab uses:
//! the flag grid of `iolab run --workload …` into a [`Plan`], and the flags
//! of `iolab run x.toml` and `iolab bench-all` into [`Settings`] for
//! experiment files. Every error names the flag, the value and what is
//! allowed. Workloads and strategies are built from their descriptions
//! ([`crate::workload::build`], [`crate::strategy::build`]), the same rules
//! experiment files use.

use std::time::Duration;

use clap::Args;

use crate::corpus::{CorpusSpec, Scale};
use crate::describe::{KnobDesc, KnobError, KnobValue, KnobValues};
use crate::experiment::reps::Reps;
use crate::experiment::{parse_size, CorpusOverrides, Order, Plan, Scenario, Settings, Wait};
use crate::measure::cache::ColdMethod;
use crate::measure::quiet::Settle;
use crate::strategy::{self, Strategy, StrategyKind};
use crate::workload::{self, Workload};

pub use crate::strategy::MAX_WORKERS;

use super::{BenchAllArgs, CorpusArgs, MeasureArgs, OrderArg, RunArgs};

/// A command-line value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
    /// A grid that multiplies out past the limit.
    #[error(transparent)]
    TooMany(#[from] crate::experiment::limit::TooManyScenarios),
    /// A combination that has no meaning.
    #[error("{0}")]
    Meaningless(String),
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

/// Build and validate the plan of `iolab run` from its flag grid.
///
/// # Errors
/// [`ConfigError`] naming the first bad flag or combination.
pub fn build_plan(args: &RunArgs) -> Result<Plan, ConfigError> {
    let measure = args.measure.with_defaults();
    let (reps, auto) = auto_reps(&args.measure, args.measure.reps.unwrap_or(Reps::Fixed(5)))?;
    grid_size(args)?;
    let workloads = workloads(args)?;
    let strategies = strategies(args)?;
    let policies = if args.scratch_policy.is_empty() {
        vec![crate::corpus::ScratchPolicy::default()]
    } else {
        args.scratch_policy.clone()
    };
    let mut scenarios = Vec::new();
    for w in &workloads {
        for s in &strategies {
            if let Some(why) = s.incompatibility(w) {
                return Err(ConfigError::Meaningless(why));
            }
            for (cache, policy) in args
                .cache
                .iter()
                .flat_map(|c| policies.iter().map(move |p| (c, p)))
            {
                let mut scenario = Scenario::new("cli", w.clone(), s.clone(), *cache)
                    .with_scratch(*policy, args.after_deleting)
                    .map_err(ConfigError::Meaningless)?;
                if let Some(n) = args.first_files {
                    scenario = scenario
                        .on_first_files(n)
                        .map_err(ConfigError::Meaningless)?;
                }
                if !args.no_baseline {
                    scenarios.push(scenario.baseline());
                }
                if let Some(pct) = args.kill_at {
                    scenario = scenario.killed_at(pct).map_err(ConfigError::Meaningless)?;
                }
                scenarios.push(scenario);
            }
        }
    }
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    scenarios.dedup_by(|a, b| a.id == b.id);
    let needs_large = workloads.iter().any(Workload::needs_large_file);
    let corpus = corpus_spec(&args.corpus, needs_large)?;
    if let Some(n) = args.first_files.filter(|n| *n > corpus.files) {
        return Err(invalid(
            "--first-files",
            n,
            format!("1 to the corpus's {} files", corpus.files),
        ));
    }
    Ok(Plan {
        scenarios,
        corpus,
        reps,
        auto,
        warmup: measure.warmup,
        order: order(&measure),
        settle: settle(&measure)?,
        cold_method: measure.cold_method,
        bootstrap_seed: measure.seed,
    })
}

/// The number of scenarios the flags' comma lists multiply out to, refused
/// above [`crate::experiment::limit::MAX_SCENARIOS`] before anything is built.
fn grid_size(args: &RunArgs) -> Result<u64, ConfigError> {
    let len = |n: usize| n.max(1) as u64;
    Ok(crate::experiment::limit::check(
        "the flags",
        &[
            ("workload", len(args.workload.len())),
            ("variant", len(args.variant.len())),
            ("chunk", len(args.chunk.len())),
            ("buffer", len(args.buffer.len())),
            ("durability", len(args.durability.len())),
            ("strategy", len(args.strategy.len())),
            ("workers", len(args.workers.len())),
            ("threads", len(args.threads.len())),
            ("cache", len(args.cache.len())),
            ("scratch-policy", len(args.scratch_policy.len())),
        ],
    )?)
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
    };
    settings(c.scale, corpus, &args.measure, args.only.clone())
}

/// The settings of `iolab bench-all`. Without `--reps`, bench-all repeats
/// each scenario automatically within its scale's budget
/// ([`crate::experiment::reps::BenchAllDefault`]); an explicit `--reps`
/// wins, and `--budget` replaces the default budget.
///
/// # Errors
/// [`ConfigError`] naming a bad flag value.
pub fn bench_all_settings(args: &BenchAllArgs) -> Result<Settings, ConfigError> {
    let given = settings(
        args.scale,
        CorpusOverrides::default(),
        &args.measure,
        args.only.clone(),
    )?;
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

/// The plan's repetitions and `--reps auto` settings from the flags.
fn auto_reps(
    m: &RunMeasureArgs,
    asked: Reps,
) -> Result<(u32, Option<crate::experiment::reps::AutoReps>), ConfigError> {
    crate::experiment::reps::plan_reps(asked, m.ci_width, budget(m)?)
        .map_err(|e| ConfigError::Meaningless(e.to_string()))
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
    spec.validate()
        .map_err(|e| ConfigError::Meaningless(e.to_string()))?;
    Ok(spec)
}

/// Every registered description of the knob keyed `key` (a flag's value
/// is checked against each, whichever workload or strategy it reaches).
fn descs_of(key: &str) -> Vec<&'static KnobDesc> {
    let workloads = workload::descriptions().into_iter().flat_map(|w| w.knobs);
    let strategies = strategy::descriptions().into_iter().flat_map(|s| s.knobs);
    workloads
        .chain(strategies)
        .chain(std::iter::once(&strategy::WORKERS))
        .filter(|k| k.key == key)
        .collect()
}

/// A number given for knob `key`, checked against its descriptions.
fn checked(key: &str, n: u64) -> Result<KnobValue, ConfigError> {
    for knob in descs_of(key) {
        knob.check(n)?;
    }
    Ok(KnobValue::Number(n))
}

/// A size flag's values (`None` alone when not given).
fn sizes(key: &str, list: &[String]) -> Result<Vec<Option<KnobValue>>, ConfigError> {
    if list.is_empty() {
        return Ok(vec![None]);
    }
    let flag = format!("--{}", key.replace('_', "-"));
    list.iter()
        .map(|t| {
            let n = parse_size(t).map_err(|e| invalid(&flag, t, e.to_string()))?;
            checked(key, n).map(Some)
        })
        .collect()
}

/// A choice flag's names, each checked against its descriptions (`None`
/// alone when not given).
fn choices(key: &str, list: &[String]) -> Result<Vec<Option<KnobValue>>, ConfigError> {
    if list.is_empty() {
        return Ok(vec![None]);
    }
    list.iter()
        .map(|name| {
            for knob in descs_of(key) {
                knob.check_choice(name)?;
            }
            Ok(Some(KnobValue::Text(name.clone())))
        })
        .collect()
}

/// The single-valued workload knobs given as flags. The flag names are
/// the knob keys (`--append-lines` is `append_lines`).
fn workload_knobs(args: &RunArgs) -> Result<KnobValues, ConfigError> {
    let mut knobs = KnobValues::seeded(args.measure.seed);
    let counts = [
        ("append_lines", args.append_lines),
        ("segments", args.segments),
        ("reads", args.reads),
        ("files_per_task", args.files_per_task),
    ];
    for (key, n) in counts {
        if let Some(n) = n {
            knobs.set(key, checked(key, u64::from(n))?);
        }
    }
    if let Some(t) = &args.block {
        let n = parse_size(t).map_err(|e| invalid("--block", t, e.to_string()))?;
        knobs.set("block", checked("block", n)?);
    }
    if let Some(name) = &args.evidence {
        for knob in descs_of("evidence") {
            knob.check_choice(name)?;
        }
        knobs.set("evidence", KnobValue::Text(name.clone()));
    }
    if let Some(p) = &args.pattern {
        knobs.set("pattern", KnobValue::Text(p.clone()));
    }
    for (key, value) in &args.knobs {
        let owned = args
            .workload
            .iter()
            .any(|name| workload::describe(name).is_some_and(|d| d.knob(key).is_some()));
        if !owned {
            return Err(ConfigError::Meaningless(format!(
                "--{} is a knob of another workload than --workload {}",
                key.replace('_', "-"),
                args.workload.join(",")
            )));
        }
        knobs.set(key, value.clone());
    }
    Ok(knobs)
}

fn workloads(args: &RunArgs) -> Result<Vec<Workload>, ConfigError> {
    let chunks = sizes("chunk", &args.chunk)?;
    let buffers = sizes("buffer", &args.buffer)?;
    let durabilities = choices("durability", &args.durability)?;
    let variants: Vec<Option<&str>> = if args.variant.is_empty() {
        vec![None]
    } else {
        args.variant.iter().map(|v| Some(v.as_str())).collect()
    };
    let base = workload_knobs(args)?;
    let mut out = Vec::new();
    for name in &args.workload {
        for variant in &variants {
            for chunk in &chunks {
                for buffer in &buffers {
                    for durability in &durabilities {
                        let mut knobs = base.clone();
                        let given = [
                            ("chunk", chunk),
                            ("buffer", buffer),
                            ("durability", durability),
                        ];
                        for (key, value) in given {
                            if let Some(v) = value {
                                knobs.set(key, v.clone());
                            }
                        }
                        let w = workload::build(name, *variant, &knobs)?;
                        if !out.contains(&w) {
                            out.push(w);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

fn strategies(args: &RunArgs) -> Result<Vec<Strategy>, ConfigError> {
    for w in &args.workers {
        checked("workers", u64::from(*w))?;
    }
    for t in &args.threads {
        checked("threads", u64::from(*t))?;
    }
    let kinds = args
        .strategy
        .iter()
        .map(|name| name.parse::<StrategyKind>())
        .collect::<Result<Vec<_>, _>>()?;
    if kinds.iter().all(|k| *k == StrategyKind::Sequential) && args.workers.iter().any(|w| *w != 1)
    {
        return Err(invalid(
            "--workers",
            args.workers.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            "sequential runs one task at a time; add a concurrent strategy (--strategy threads) or drop --workers",
        ));
    }
    let workers: Vec<Option<u32>> = if args.workers.is_empty() {
        vec![None]
    } else {
        args.workers.iter().copied().map(Some).collect()
    };
    let mut base = KnobValues::default();
    for (key, n) in [("batch", args.batch), ("tokio_threads", args.tokio_threads)] {
        if let Some(n) = n {
            base.set(key, checked(key, u64::from(n))?);
        }
    }
    if let Some(c) = &args.command {
        base.set("command", KnobValue::Text(c.clone()));
    }
    let threads: Vec<Option<u32>> = if args.threads.is_empty() {
        vec![None]
    } else {
        args.threads.iter().copied().map(Some).collect()
    };
    let mut out = Vec::new();
    for kind in kinds {
        if kind == StrategyKind::Command && args.command.is_none() {
            return Err(invalid("--strategy", "command", "needs --command TEMPLATE"));
        }
        for w in &workers {
            for t in &threads {
                let mut knobs = base.clone();
                if let Some(t) = t {
                    knobs.set("threads", KnobValue::Number(u64::from(*t)));
                }
                if let Some(w) = w {
                    knobs.set("workers", KnobValue::Number(u64::from(*w)));
                }
                let s = strategy::build(kind.name(), &knobs)?;
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    /// A plan serialises (as `run.json` holds it, for a resume) and reads
    /// back equal.
    #[test]
    fn a_plan_round_trips_through_run_json() {
        let cli = Cli::try_parse_from([
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
        let plan = build_plan(&args).unwrap();
        assert!(plan.scenarios.len() > 50, "{}", plan.scenarios.len());
        let text = serde_json::to_string_pretty(&plan).unwrap();
        let back: crate::experiment::Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
    }
}
