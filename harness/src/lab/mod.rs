//! The library API: put your own workload on the bench and get the whole
//! lab for it.
//!
//! Implement [`UserWorkload`] for your type, then give your binary's `main`
//! to [`Lab`]: it registers the workload by its name and runs iolab's own
//! command line, so your binary takes every subcommand and flag of `iolab`
//! (`run --workload your-name --strategy threads …`, experiment files,
//! `report`, `compare`, `tune`, `bench-all`). The process strategies start
//! worker processes of *your* binary (the hidden `worker` subcommand, which
//! [`Lab::main`] also serves), so the task runs in them too. The `iolab`
//! binary itself is `Lab::new().main()` with no workload of its own: one
//! code path.
//!
//! # Example
//!
//! `load-parse`: read each corpus file and add up its integers, verified
//! against the sum the corpus implies (file `k`, line `i` holds `k+i+j` for
//! `j` in `0..values`). This is the example of `docs/library.md`; `examples/load_parse.rs`
//! adds a variant written against the [`Io`](crate::io::Io) seam, which
//! io_uring can run.
//!
//! ```no_run
//! use std::{io, process::ExitCode};
//! use iolab::describe::{Capability::BlockingCalls, VariantDesc, WorkloadDesc};
//! use iolab::{io::Io, lab::{Lab, Run, UserWorkload}, workload::{RunCheck, TaskOutput}};
//!
//! struct LoadParse;
//!
//! impl UserWorkload for LoadParse {
//!     fn describe(&self) -> &'static WorkloadDesc {
//!         &WorkloadDesc {
//!             name: "load-parse",
//!             summary: "read corpus file k and add up its integers",
//!             variants: &[VariantDesc { name: "std", help: "std::fs::read", needs: &[BlockingCalls] }],
//!             knobs: &[],
//!             reads: "the corpus files", writes: "nothing", verifies: "the sum of the integers",
//!         }
//!     }
//!     async fn task<I: Io>(&self, _io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
//!         let text = std::fs::read_to_string(run.input(k))?;
//!         let fields = text.split([',', '\n']).filter(|f| !f.is_empty());
//!         let sum = fields.map(str::parse::<u64>).sum::<Result<u64, _>>().map_err(io::Error::other)?;
//!         Ok(TaskOutput { bytes: text.len() as u64, count: sum, ..Default::default() })
//!     }
//!     fn verify(&self, run: &Run, sum: u64) -> RunCheck {
//!         let (l, v) = (u64::from(run.ctx().lines), u64::from(run.ctx().values));
//!         let file = |k: u32| l * v * u64::from(k) + (v * l * l.saturating_sub(1) + l * v * v.saturating_sub(1)) / 2;
//!         RunCheck::expect("sum of the integers", run.files().map(file).sum(), sum)
//!     }
//! }
//!
//! fn main() -> ExitCode { Lab::new().workload(LoadParse).main() }
//! ```
//!
//! Owns: the registry of user workloads (one per process, filled once by
//! [`Lab::main`]) and the checks of their descriptions, the entry point.
//! Does not own: the trait ([`UserWorkload`], `workload::user`), the
//! registry itself and the bridge into `Workload` (`workload::custom`,
//! `workload::CustomSpec`), the command line's types (`cli`). The
//! workload registry's look-ups by name (`workload::describe`,
//! `workload::build`, `workload::descriptions`) consult
//! the user workloads after the built-in ones, so every name-driven path
//! (flags, experiment files, tune, reports) takes user workloads as it
//! takes built-in ones.

pub use crate::workload::{
    CrateRecord, Figures, Knob, KnobType, Knobs, Metric, Rule, Run, Totals, UserCrate, UserWorkload,
};

use std::process::ExitCode;

use crate::cli::parse_knob;
use crate::describe::WorkloadDesc;
use crate::workload::Erased;

/// A user workload's description that cannot be registered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("workload {workload}: {problem}")]
pub struct RegistrationError {
    /// The workload's name.
    pub workload: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

/// The lab, with the user workloads it will register: your binary's `main`.
///
/// # Example
///
/// ```no_run
/// # use std::io;
/// # use iolab::describe::{Capability, VariantDesc, WorkloadDesc};
/// # use iolab::io::Io;
/// # use iolab::lab::{Run, UserWorkload};
/// # use iolab::workload::TaskOutput;
/// # struct MyWorkload;
/// # const DESC: WorkloadDesc = WorkloadDesc { name: "mine", summary: "", variants: &[VariantDesc { name: "std", help: "", needs: &[Capability::BlockingCalls] }], knobs: &[], reads: "", writes: "", verifies: "" };
/// # impl UserWorkload for MyWorkload {
/// #     fn describe(&self) -> &'static WorkloadDesc { &DESC }
/// #     async fn task<I: Io>(&self, _: &I, _: &Run, _: u32) -> io::Result<TaskOutput> { Ok(TaskOutput::default()) }
/// # }
/// use std::process::ExitCode;
///
/// fn main() -> ExitCode {
///     iolab::lab::Lab::new().workload(MyWorkload).main()
/// }
/// ```
#[derive(Default)]
pub struct Lab {
    workloads: Vec<Box<dyn Erased>>,
    user_crate: Option<UserCrate>,
}

/// The lab of the calling crate: [`Lab::new`] with the crate's name,
/// version and source folder captured at its compile time
/// ([`Lab::of_crate`]), so `run.json` records which version of your code
/// ran (with its git commit, read when a run starts) and `compare` says
/// when two runs ran different versions.
///
/// ```no_run
/// # use iolab::lab::Lab;
/// fn main() -> std::process::ExitCode {
///     iolab::lab!().main() // with `.workload(MyWorkload)` before `.main()`
/// }
/// ```
#[macro_export]
macro_rules! lab {
    () => {
        $crate::lab::Lab::new().of_crate($crate::lab::UserCrate {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            source: env!("CARGO_MANIFEST_DIR"),
        })
    };
}

impl Lab {
    /// The lab with iolab's built-in workloads only.
    pub fn new() -> Lab {
        Lab::default()
    }

    /// Name the user's crate whose binary this is (what `iolab::lab!()`
    /// does with the crate's own name, version and folder), recorded in
    /// every run's `run.json`.
    pub fn of_crate(mut self, user_crate: UserCrate) -> Lab {
        self.user_crate = Some(user_crate);
        self
    }

    /// Add `workload` (under its description's name).
    pub fn workload(mut self, workload: impl UserWorkload) -> Lab {
        self.workloads.push(Box::new(workload));
        self
    }

    /// Register the workloads, parse the command line, run it; returns the
    /// exit code: 0 ok, 1 error (the message names the flag, file or value),
    /// 2 a run finished with failed or unverified scenarios, 130 stopped by
    /// SIGINT/SIGTERM. Call it once, from `main`.
    pub fn main(self) -> ExitCode {
        // Before any thread starts, in the parent and in every worker
        // process: the allocator that every repetition starts from.
        crate::sys::memory::fix_allocator();
        // A workload's panic becomes its task's or repetition's failure,
        // with its place, instead of a message on stderr (`crate::panics`).
        crate::panics::install_hook();
        if let Err(e) = self.register() {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
        // Under a launcher, rank 0 alone says what every rank meets alike
        // (a flag error, `--help`, a refusal), and they exit together.
        let cli = match crate::cli::parse() {
            Ok(cli) => cli,
            Err(usage) => {
                let code = usage.code();
                return crate::clients::exit_alike(code, || usage.print());
            }
        };
        // A worker process has its rank's launcher variables: its errors
        // are its own.
        let worker = matches!(cli.command, crate::cli::Command::Worker);
        // Before any thread starts: the `fresh-fs` scratch policy's mounts
        // then live in a namespace that dies with iolab, even on SIGKILL
        // (where it cannot be made, fresh-fs says why and uses `rotate`).
        // A worker process stays in its parent's namespace, where the
        // parent's mounts are.
        if !matches!(cli.command, crate::cli::Command::Worker) {
            // The outcome is kept and read back by `sys::mount::may_mount`.
            let _ = crate::sys::mount::isolate();
        }
        match crate::app::run(cli) {
            Ok(code) => code,
            Err(e) if worker || e.is::<crate::clients::Reported>() => {
                if worker {
                    eprintln!("error: {e:#}");
                }
                ExitCode::from(1)
            }
            Err(e) => crate::clients::exit_alike(1, || eprintln!("error: {e:#}")),
        }
    }

    /// Check every description and fill the registry.
    ///
    /// # Errors
    /// The first description that cannot be registered, or a second call.
    fn register(self) -> Result<(), RegistrationError> {
        if let Some(user_crate) = self.user_crate {
            crate::workload::set_user_crate(user_crate);
        }
        for (i, w) in self.workloads.iter().enumerate() {
            let desc = w.describe();
            check(desc)?;
            check_metrics(desc, w.metrics())?;
            if self.workloads[..i]
                .iter()
                .any(|o| o.describe().name == desc.name)
            {
                return Err(problem(desc, "registered twice".into()));
            }
        }
        crate::workload::register(self.workloads).map_err(|problem| RegistrationError {
            workload: String::new(),
            problem,
        })
    }
}

fn problem(desc: &WorkloadDesc, problem: String) -> RegistrationError {
    RegistrationError {
        workload: desc.name.to_string(),
        problem,
    }
}

/// Whether `name` is a plain lowercase name: `a-z`, `0-9` and `sep`, not
/// starting with `sep`.
fn plain(name: &str, sep: char) -> bool {
    !name.is_empty()
        && !name.starts_with(sep)
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == sep)
}

/// Check one description: its name is plain and not a built-in's, it has
/// variants, its knobs are plain, used by its own variants and have a
/// default that passes their own check.
fn check(desc: &'static WorkloadDesc) -> Result<(), RegistrationError> {
    let bad = |p: String| Err(problem(desc, p));
    if !plain(desc.name, '-') {
        return bad("the name must be lowercase letters, digits and '-'".into());
    }
    if crate::workload::kind(desc.name).is_some() {
        return bad("the name is taken by a built-in workload".into());
    }
    if desc.variants.is_empty() || desc.variants.iter().any(|v| !plain(v.name, '-')) {
        return bad(
            "needs at least one variant, each named with lowercase letters, digits and '-'".into(),
        );
    }
    for knob in desc.knobs {
        if !plain(knob.key, '_') {
            return bad(format!(
                "knob key {:?}: lowercase letters, digits and '_'",
                knob.key
            ));
        }
        if crate::experiment::grid_keys().contains(&knob.key) {
            return bad(format!(
                "knob key {} is a key of every [[grid]] block; give the knob another key",
                knob.key
            ));
        }
        if let Some(s) = crate::strategy::descriptions()
            .into_iter()
            .find(|s| s.knob(knob.key).is_some())
        {
            return bad(format!(
                "knob key {} is a knob of strategy {} (--{}); give the knob another key",
                knob.key,
                s.name,
                knob.key.replace('_', "-")
            ));
        }
        if let Some(v) = knob.variants.iter().find(|v| desc.variant(v).is_none()) {
            return bad(format!(
                "knob {} names variant {v}, which it does not have",
                knob.key
            ));
        }
        if !knob.default.is_empty() {
            parse_knob(knob, knob.default).map_err(|e| problem(desc, format!("default of {e}")))?;
        }
    }
    Ok(())
}

/// Check the metrics a workload lists: plain names, none twice, at most
/// [`crate::workload::MAX_METRICS`], a ratio's two metrics listed and sums.
fn check_metrics(
    desc: &'static WorkloadDesc,
    metrics: &[&'static Metric],
) -> Result<(), RegistrationError> {
    let bad = |p: String| Err(problem(desc, p));
    if metrics.len() > crate::workload::MAX_METRICS {
        return bad(format!(
            "{} metrics: at most {} are allowed",
            metrics.len(),
            crate::workload::MAX_METRICS
        ));
    }
    for (i, m) in metrics.iter().enumerate() {
        if !plain(m.name, '_') {
            return bad(format!(
                "metric {:?}: lowercase letters, digits and '_'",
                m.name
            ));
        }
        if metrics[..i].iter().any(|o| o.name == m.name) {
            return bad(format!("metric {} is listed twice", m.name));
        }
        if let Rule::Ratio(n, d) = m.rule {
            for part in [n, d] {
                let listed = metrics.iter().find(|o| o.name == part.name);
                if !listed.is_some_and(|o| o.rule == Rule::Sum) {
                    return bad(format!(
                        "metric {} is a ratio of {}, which must be a Metric::sum listed in metrics() too",
                        m.name, part.name
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::{KnobDesc, KnobKind, KnobValue, VariantDesc};

    const PLAIN: VariantDesc = VariantDesc {
        name: "plain",
        help: "",
        needs: &[],
    };

    const fn desc(name: &'static str, knobs: &'static [KnobDesc]) -> WorkloadDesc {
        WorkloadDesc {
            name,
            summary: "",
            variants: &[PLAIN],
            knobs,
            reads: "",
            writes: "",
            verifies: "",
        }
    }

    const READ_SIZE: KnobDesc = KnobDesc {
        key: "read_size",
        kind: KnobKind::Size {
            min: 4096,
            max: 1 << 20,
            multiple_of: 4096,
        },
        default: "64KiB",
        help: "",
        variants: &[],
    };

    #[test]
    fn a_description_is_refused_for_a_taken_name_a_bad_name_or_a_bad_default() {
        static GOOD: WorkloadDesc = desc("load-parse", &[READ_SIZE]);
        assert_eq!(check(&GOOD), Ok(()));
        static TAKEN: WorkloadDesc = desc("read", &[]);
        let err = check(&TAKEN).unwrap_err().to_string();
        assert_eq!(
            err,
            "workload read: the name is taken by a built-in workload"
        );
        static UPPER: WorkloadDesc = desc("Load", &[]);
        assert!(check(&UPPER).unwrap_err().problem.contains("lowercase"));
        static BAD_DEFAULT: WorkloadDesc = desc(
            "x",
            &[KnobDesc {
                default: "5000",
                ..READ_SIZE
            }],
        );
        assert_eq!(
            check(&BAD_DEFAULT).unwrap_err().to_string(),
            "workload x: default of read_size = 5000: allowed 4KiB to 1MiB, a multiple of 4096"
        );
        static STRATEGY_KEY: WorkloadDesc = desc(
            "z",
            &[KnobDesc {
                key: "workers",
                ..READ_SIZE
            }],
        );
        assert_eq!(
            check(&STRATEGY_KEY).unwrap_err().to_string(),
            "workload z: knob key workers is a knob of strategy threads (--workers); give the knob another key"
        );
        static GRID_KEY: WorkloadDesc = desc(
            "y",
            &[KnobDesc {
                key: "cache",
                ..READ_SIZE
            }],
        );
        assert!(check(&GRID_KEY).unwrap_err().problem.contains("[[grid]]"));
        static NO_VARIANT: WorkloadDesc = WorkloadDesc {
            variants: &[],
            ..desc("y", &[])
        };
        assert!(check(&NO_VARIANT).unwrap_err().problem.contains("variant"));
    }

    #[test]
    fn knob_values_are_parsed_by_their_kind_and_checked_against_their_range() {
        assert_eq!(parse_knob(&READ_SIZE, "8KiB"), Ok(KnobValue::Number(8192)));
        let err = parse_knob(&READ_SIZE, "8x").unwrap_err();
        assert!(err.allowed.contains("allowed 4KiB to 1MiB"), "{err}");
        let count = KnobDesc {
            kind: KnobKind::Count { min: 1, max: 9 },
            ..READ_SIZE
        };
        assert_eq!(parse_knob(&count, "9"), Ok(KnobValue::Number(9)));
        assert!(parse_knob(&count, "10").is_err());
        assert!(parse_knob(&count, "-1").is_err());
        let switch = KnobDesc {
            kind: KnobKind::Switch,
            ..READ_SIZE
        };
        assert_eq!(parse_knob(&switch, "true"), Ok(KnobValue::Switch(true)));
        assert!(parse_knob(&switch, "yes").is_err());
    }
}
