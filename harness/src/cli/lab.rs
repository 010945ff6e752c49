//! The command line with user workloads ([`crate::lab::Lab`]): iolab's
//! own, plus one flag of `run` per knob of the registered user workloads
//! that no built-in workload has (key `read_size` is `--read-size`), each
//! checked against the knob's description as clap parses it and helped
//! from it ([`super::help::knob`]). A user knob with a built-in workload
//! knob's key (`chunk`, `block`, …) shares that flag.
//!
//! Owns: adding those flags and reading their values into
//! [`RunArgs::knobs`](super::RunArgs::knobs). Does not own: what the values
//! mean (`lab`), the built-in flags (`cli`).

use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use super::{Cli, Command};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValue, WorkloadDesc};

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
    /// error, like every other input error (2 is kept for "a scenario
    /// failed").
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

/// Parse this process's arguments, with the flags of `workloads`' knobs.
///
/// # Errors
/// [`Usage`]: clap's error (a bad flag, a knob value its description does
/// not allow, a knob key that clashes with one of iolab's other flags), or
/// `--help`/`--version`.
pub fn parse(workloads: &[&'static WorkloadDesc]) -> Result<Cli, Usage> {
    let knobs = own_knobs(workloads);
    let matches = command(workloads)?.try_get_matches().map_err(Usage)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(Usage)?;
    if let (Command::Run(args), Some(run)) = (&mut cli.command, matches.subcommand_matches("run")) {
        args.knobs = knob_values(run, &knobs);
    }
    Ok(cli)
}

/// The command line as this binary parses it: iolab's own, plus the flags
/// of `workloads`' knobs (the man page and completions are made from it).
///
/// # Errors
/// [`Usage`]: a knob key that clashes with one of iolab's other flags.
pub fn command(workloads: &[&'static WorkloadDesc]) -> Result<clap::Command, Usage> {
    let knobs = own_knobs(workloads);
    let command = Cli::command();
    if knobs.is_empty() {
        return Ok(command);
    }
    let run = command
        .find_subcommand("run")
        .cloned()
        .ok_or_else(|| Usage(clap::Error::new(ErrorKind::MissingSubcommand)))?;
    let run = with_knobs(run, &knobs).map_err(Usage)?;
    Ok(command.mut_subcommand("run", |_| run))
}

/// The knobs of `workloads` that need a flag of their own: not a built-in
/// workload's key (that flag exists), each key once.
fn own_knobs(
    workloads: &[&'static WorkloadDesc],
) -> Vec<(&'static WorkloadDesc, &'static KnobDesc)> {
    let builtin = |key: &str| {
        crate::workload::WorkloadKind::ALL
            .iter()
            .any(|k| k.desc().knob(key).is_some())
    };
    let mut out: Vec<(&'static WorkloadDesc, &'static KnobDesc)> = Vec::new();
    for w in workloads {
        for knob in w.knobs {
            if !builtin(knob.key) && !out.iter().any(|(_, k)| k.key == knob.key) {
                out.push((w, knob));
            }
        }
    }
    out
}

/// `run` with one flag per knob.
///
/// # Errors
/// A knob key that is one of `run`'s own flags.
fn with_knobs(
    mut run: clap::Command,
    knobs: &[(&'static WorkloadDesc, &'static KnobDesc)],
) -> Result<clap::Command, clap::Error> {
    for (w, knob) in knobs {
        let knob: &'static KnobDesc = knob;
        let flag = knob.key.replace('_', "-");
        if run
            .get_arguments()
            .any(|a| a.get_id() == knob.key || a.get_long() == Some(flag.as_str()))
        {
            return Err(clap::Error::raw(
                ErrorKind::ArgumentConflict,
                format!(
                    "knob {} of workload {} is also iolab's flag --{flag}; give the knob another key\n",
                    knob.key, w.name
                ),
            ));
        }
        let arg = Arg::new(knob.key)
            .long(flag)
            .help(super::help::knob(knob.key, "Knob"))
            .conflicts_with_all(["resume", "experiments"]);
        run = run.arg(match knob.kind {
            KnobKind::Switch => arg.action(ArgAction::SetTrue),
            KnobKind::Size { .. }
            | KnobKind::Count { .. }
            | KnobKind::Text
            | KnobKind::Choice(_) => {
                arg.value_parser(move |text: &str| parse_knob(knob, text).map_err(|e| e.allowed))
            }
        });
    }
    Ok(run)
}

/// The knob values given on the command line, by key.
fn knob_values(
    run: &ArgMatches,
    knobs: &[(&'static WorkloadDesc, &'static KnobDesc)],
) -> Vec<(String, KnobValue)> {
    knobs
        .iter()
        .filter_map(|(_, knob)| {
            let value = match knob.kind {
                KnobKind::Switch => run.get_flag(knob.key).then_some(KnobValue::Switch(true)),
                KnobKind::Size { .. }
                | KnobKind::Count { .. }
                | KnobKind::Text
                | KnobKind::Choice(_) => run.get_one::<KnobValue>(knob.key).cloned(),
            };
            value.map(|v| (knob.key.to_string(), v))
        })
        .collect()
}
