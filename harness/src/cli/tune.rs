//! Validation of `iolab tune`'s flags into one [`TuneConfig`]: every value
//! checked, every error naming the flag, the value and what is allowed.
//! Nothing past this module sees [`TuneArgs`].

use std::time::Duration;

use super::plan::{self, ConfigError, MAX_WORKERS};
use super::{CorpusArgs, TuneArgs};
use crate::experiment::Experiment;
use crate::strategy::StrategyKind;
use crate::tune::config::{Kind, TuneConfig, MIN_REPS};
use crate::tune::plan::Limits;
use crate::workload::Workload;

/// `iolab tune`'s flags validated into its settings. `cores` is the number
/// of CPUs the sweep plans for.
///
/// # Errors
/// [`ConfigError`] naming the first bad flag.
pub fn tune_config(args: &TuneArgs, cores: u32) -> Result<TuneConfig, ConfigError> {
    let workloads = workloads(
        &args.workload,
        &args.variant,
        &args.knobs,
        args.scale,
        args.measure.seed,
    )?;
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
        storage: args
            .storage
            .parse()
            .map_err(|e: crate::storage::StorageError| {
                invalid("--storage", &args.storage, e.problem)
            })?,
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

fn invalid(flag: &'static str, value: impl ToString, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        flag: flag.into(),
        value: value.to_string(),
        allowed: allowed.into(),
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
        folders: None,
        data_dir: args.data_dir.clone(),
    }
}

/// The workloads named by `--workload` (at `--variant`s), one per
/// combination of the workload knob flags' values (`--level 1,9`: two), the other knobs at
/// their defaults. The names and knob values are read as `run` reads its
/// flags: one `[[grid]]` block (`experiment::flags`), expanded with the
/// sequential strategy, so they accept and refuse the same values and a
/// knob of none of the named workloads is refused in one line. Each
/// combination is tuned apart (profiles key workloads by their knobs).
///
/// # Errors
/// An unknown name, none at all, or a knob value the descriptions refuse.
pub fn workloads(
    names: &[String],
    variants: &[String],
    knobs: &[(String, Vec<String>)],
    scale: crate::corpus::Scale,
    seed: u64,
) -> Result<Vec<Workload>, ConfigError> {
    if names.is_empty() {
        return Err(invalid("--workload", "", "name at least one workload"));
    }
    let mut given = vec![
        ("workload", names.to_vec()),
        ("variant", variants.to_vec()),
        ("strategy", vec!["sequential".to_string()]),
    ];
    given.extend(knobs.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let expansion = Experiment::from_flags(&given)?.expand(scale, seed)?;
    let mut out: Vec<Workload> = Vec::new();
    for name in names {
        let of_name = expansion
            .scenarios
            .iter()
            .map(|s| &s.workload)
            .filter(|w| w.name() == name.as_str());
        for w in of_name {
            if !out.contains(w) {
                out.push(w.clone());
            }
        }
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
        let k = parse_kind(name)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        return Err(invalid("--strategy", "", "name at least one strategy"));
    }
    Ok(out)
}

/// Parse a `--strategy` name.
///
/// # Errors
/// An unknown name or one that is not swept (sequential, command).
pub fn parse_kind(name: &str) -> Result<Kind, ConfigError> {
    let swept = || {
        let names: Vec<&str> = Kind::SIMPLEST_FIRST.iter().map(|k| k.name()).collect();
        format!("allowed: {}", names.join(", "))
    };
    let strategy =
        crate::strategy::kind(name).ok_or_else(|| invalid("--strategy", name, swept()))?;
    Kind::of(strategy).ok_or_else(|| {
        let why = match strategy {
            StrategyKind::Sequential => "sequential is the baseline every round measures anyway; ",
            _ => "tune sweeps worker counts of iolab's own strategies; ",
        };
        invalid("--strategy", name, format!("{why}{}", swept()))
    })
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
        let err = parse_kind("sequential").unwrap_err().to_string();
        assert!(err.contains("baseline"), "{err}");
        assert!(parse_kind("command").is_err());
    }

    #[test]
    fn workloads_are_named_and_unknown_ones_rejected() {
        let quick = crate::corpus::Scale::Quick;
        let w = workloads(
            &["read".into(), "append".into(), "read".into()],
            &[],
            &[],
            quick,
            1,
        )
        .unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name(), "read");
        let err = workloads(&["mmap".into()], &[], &[], quick, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--workload mmap"), "{err}");
    }

    #[test]
    fn each_knob_value_is_a_workload_of_its_own() {
        let quick = crate::corpus::Scale::Quick;
        let knobs = vec![("buffer".to_string(), vec!["4KiB".into(), "64KiB".into()])];
        let w = workloads(&["read".into()], &[], &knobs, quick, 1);
        let w = w.unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert_ne!(w[0].variant_label(), w[1].variant_label());
        let bad = vec![("buffer".to_string(), vec!["0".into()])];
        let err = workloads(&["read".into()], &[], &bad, quick, 1)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--buffer 0"), "{err}");
        let other = vec![("level".to_string(), vec!["1".into()])];
        assert!(workloads(&["read".into()], &[], &other, quick, 1).is_err());
    }
}
