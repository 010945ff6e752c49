//! The knob flags of `iolab run`, generated from the descriptions: one flag
//! per knob key of every registered strategy (the worker count among them)
//! and workload (iolab's own, then those a user's binary registers with
//! [`crate::lab::Lab`]), key `read_size` as `--read-size`, added with clap's
//! builder to the command its derive makes. Each takes a list (comma-
//! separated; a text knob by repeating the flag, as a template may hold
//! commas), its help is its descriptions' ([`super::help::knob`]), grouped
//! under a heading of its own. Values stay text here: they become the
//! `[[grid]]` block of the flags (`experiment::flags`) and are checked there
//! against the descriptions, as a file's are, so a flag and a file key
//! accept the same values and say the same when refusing one (naming the
//! flag: `--block 5000: allowed …`).
//!
//! Owns: adding those flags, refusing a knob key that is one of `run`'s
//! other flags, and reading their values into
//! [`RunArgs::knobs`](super::RunArgs::knobs). Does not own: what the values
//! mean (the descriptions, `experiment`), the other flags (`cli`).

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use super::{Cli, Command};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValue};
use crate::{strategy, workload};

/// A command line clap did not accept, or `--help`/`--version`.
#[derive(Debug)]
pub struct Usage(clap::Error);

impl Usage {
    /// Print clap's message: `--help` and `--version` to stdout, a usage
    /// error to stderr.
    pub fn print(&self) {
        // Printing can only fail when the terminal is gone; the exit code still says what happened.
        let _ = self.0.print();
    }

    /// The exit code: 0 after `--help` and `--version`; 1 after a usage
    /// error, like every other input error (2 is kept for "a
    /// scenario failed").
    pub fn code(&self) -> u8 {
        u8::from(self.0.use_stderr())
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Usage {}

/// Parse and check a knob's value as a user writes it (`64KiB`, `12`,
/// `true`, any text), against its description.
///
/// ```
/// use iolab::describe::{KnobDesc, KnobKind, KnobValue};
///
/// const READ_SIZE: KnobDesc = KnobDesc {
///     key: "read_size",
///     kind: KnobKind::Size { min: 4096, max: 1 << 20, multiple_of: 4096 },
///     default: "64KiB",
///     help: "bytes per read",
///     variants: &[],
/// };
/// assert_eq!(iolab::cli::parse_knob(&READ_SIZE, "8KiB"), Ok(KnobValue::Number(8192)));
/// let err = iolab::cli::parse_knob(&READ_SIZE, "5000").unwrap_err();
/// assert_eq!(err.to_string(), "read_size = 5000: allowed 4KiB to 1MiB, a multiple of 4096");
/// ```
///
/// # Errors
/// A [`KnobError`] naming the key, the value and what is allowed.
pub fn parse_knob(knob: &KnobDesc, text: &str) -> Result<KnobValue, KnobError> {
    let err = |allowed: String| KnobError {
        key: knob.key,
        value: text.to_string(),
        allowed,
    };
    match knob.kind {
        KnobKind::Size { .. } => {
            let n = crate::experiment::parse_size(text)
                .map_err(|e| err(format!("{e}; {}", knob.kind)))?;
            knob.check(n).map(KnobValue::Number)
        }
        KnobKind::Count { .. } => {
            let n = text
                .trim()
                .parse::<u64>()
                .map_err(|_| err(format!("a whole number, {}", knob.kind)))?;
            knob.check(n).map(KnobValue::Number)
        }
        KnobKind::Switch => match text.trim() {
            "true" => Ok(KnobValue::Switch(true)),
            "false" => Ok(KnobValue::Switch(false)),
            _ => Err(err(knob.kind.to_string())),
        },
        KnobKind::Text => Ok(KnobValue::Text(text.to_string())),
        KnobKind::Choice(_) => knob
            .check_choice(text.trim())
            .map(|name| KnobValue::Text(name.to_string())),
    }
}

/// Parse this process's arguments (with the knob flags of every
/// registered description).
///
/// # Errors
/// [`Usage`]: clap's error (a bad flag, a knob key that clashes with one of
/// iolab's other flags), or `--help`/`--version`.
pub fn parse() -> Result<Cli, Usage> {
    parse_from(std::env::args_os())
}

/// Parse `args` (the program's name first), with the knob flags.
///
/// # Errors
/// As [`parse`].
pub fn parse_from<I, T>(args: I) -> Result<Cli, Usage>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let knobs = knobs();
    let matches = command_with(&knobs)
        .map_err(Usage)?
        .try_get_matches_from(args)
        .map_err(Usage)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(Usage)?;
    match (&mut cli.command, matches.subcommand()) {
        (Command::Run(args), Some(("run", run))) => args.knobs = knob_values(run, knobs.iter()),
        (Command::Tune(args), Some(("tune", tune))) => {
            args.knobs = knob_values(tune, knobs.iter().filter(|k| !k.of_strategy));
        }
        _ => {}
    }
    Ok(cli)
}

/// The whole command line: the derived command with the knob flags of
/// `run` and the workload knob flags of `tune` (for `--help`, a man page
/// or completions).
///
/// # Errors
/// A knob key that is one of `run`'s other flags.
pub fn command() -> Result<clap::Command, clap::Error> {
    command_with(&knobs())
}

fn command_with(knobs: &[Knob]) -> Result<clap::Command, clap::Error> {
    let command = Cli::command();
    let sub = |name: &str| {
        command
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| clap::Error::new(ErrorKind::MissingSubcommand))
    };
    let run = with_knobs(sub("run")?, knobs.iter(), &["resume", "experiments"])?;
    // tune sweeps the strategies' worker counts itself: only the workloads'
    // knobs are its to take.
    let tune = with_knobs(sub("tune")?, knobs.iter().filter(|k| !k.of_strategy), &[])?;
    Ok(command
        .mut_subcommand("run", |_| run)
        .mut_subcommand("tune", |_| tune))
}

/// One knob flag: the first description of its key, and whether any
/// strategy has the key (its help heading).
struct Knob {
    desc: &'static KnobDesc,
    of_strategy: bool,
}

/// Every registered knob key once: the strategies', then the workloads'.
fn knobs() -> Vec<Knob> {
    let strategies = strategy::descriptions().into_iter().flat_map(|s| s.knobs);
    let workloads = workload::descriptions().into_iter().flat_map(|w| w.knobs);
    let mut out: Vec<Knob> = Vec::new();
    for (desc, of_strategy) in strategies
        .map(|k| (k, true))
        .chain(workloads.map(|k| (k, false)))
    {
        if !out.iter().any(|k| k.desc.key == desc.key) {
            out.push(Knob { desc, of_strategy });
        }
    }
    out
}

/// The help heading of strategy knob flags.
pub const STRATEGY_KNOBS: &str =
    "Strategy knobs (each a list; `iolab describe` for which strategy takes which)";
/// The help heading of workload knob flags.
pub const WORKLOAD_KNOBS: &str =
    "Workload knobs (each a list; `iolab describe` for which workload takes which)";

/// `run` (or `tune`) with one flag per knob of `knobs`, each in conflict
/// with the flags `conflicts` (`run --resume` takes no knob).
///
/// # Errors
/// A knob key that is one of the command's other flags.
fn with_knobs<'a>(
    mut run: clap::Command,
    knobs: impl Iterator<Item = &'a Knob>,
    conflicts: &[&'static str],
) -> Result<clap::Command, clap::Error> {
    for knob in knobs {
        let key = knob.desc.key;
        let flag = key.replace('_', "-");
        if run
            .get_arguments()
            .any(|a| a.get_id() == key || a.get_long() == Some(flag.as_str()))
        {
            let owners: Vec<&str> = workload::descriptions()
                .into_iter()
                .filter(|w| w.knob(key).is_some())
                .map(|w| w.name)
                .collect();
            return Err(clap::Error::raw(
                ErrorKind::ArgumentConflict,
                format!(
                    "knob {key} of workload {} is also iolab's flag --{flag}; give the knob another key\n",
                    owners.join(", ")
                ),
            ));
        }
        let arg = Arg::new(key)
            .long(flag)
            .help(super::help::knob(key))
            .help_heading(if knob.of_strategy {
                STRATEGY_KNOBS
            } else {
                WORKLOAD_KNOBS
            })
            .action(ArgAction::Append)
            .conflicts_with_all(conflicts);
        run = run.arg(match knob.desc.kind {
            KnobKind::Switch => arg
                .value_name("BOOL")
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true")
                .value_delimiter(','),
            KnobKind::Text => arg.value_name("TEXT"),
            KnobKind::Size { .. } => arg.value_name("SIZE").value_delimiter(','),
            KnobKind::Count { .. } => arg.value_name("N").value_delimiter(','),
            KnobKind::Choice(_) => arg.value_name("NAME").value_delimiter(','),
        });
    }
    Ok(run)
}

/// The knob values given on the command line, by key, as text.
fn knob_values<'a>(
    run: &ArgMatches,
    knobs: impl Iterator<Item = &'a Knob>,
) -> Vec<(String, Vec<String>)> {
    knobs
        .filter_map(|k| {
            let values: Vec<String> = run.get_many::<String>(k.desc.key)?.cloned().collect();
            Some((k.desc.key.to_string(), values))
        })
        .collect()
}
