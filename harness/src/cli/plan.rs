//! Validation of `iolab run` arguments into a [`Plan`]: every value checked,
//! every error naming the flag, the value and what is allowed.

use std::time::Duration;

use crate::corpus::{CorpusSpec, Scale};
use crate::experiment::{parse_size, Order, Plan, Scenario};
use crate::measure::quiet::Settle;
use crate::strategy::Strategy;
use crate::workload::{
    AppendSpec, AppendVariant, CopyMethod, CopySpec, RandomMethod, RandomSpec, ReadMethod,
    ReadSpec, SaveSpec, SaveVariant, ScanMethod, ScanSpec, StreamSpec, Workload, WriteSpec,
};

use super::{CorpusArgs, MeasureArgs, OrderArg, RunArgs};

/// A command-line value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A value outside what a flag allows.
    #[error("{flag} {value}: {allowed}")]
    Invalid {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A combination that has no meaning.
    #[error("{0}")]
    Meaningless(String),
}

fn invalid(flag: &'static str, value: impl ToString, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        flag,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Largest worker count, threads per process, or queue depth accepted.
pub const MAX_WORKERS: u32 = 1024;

/// Build and validate the plan of `iolab run`.
///
/// # Errors
/// [`ConfigError`] naming the first bad flag or combination.
pub fn build_plan(args: &RunArgs) -> Result<Plan, ConfigError> {
    let workloads = workloads(args)?;
    let strategies = strategies(args)?;
    let mut scenarios = Vec::new();
    for w in &workloads {
        for s in &strategies {
            if let Some(why) = s.incompatibility(w) {
                return Err(ConfigError::Meaningless(why));
            }
            for cache in &args.cache {
                scenarios.push(Scenario::new("cli", w.clone(), s.clone(), *cache));
            }
        }
    }
    if !args.no_baseline {
        let baselines: Vec<Scenario> = scenarios
            .iter()
            .map(|s| Scenario::new("cli", s.workload.clone(), Strategy::Sequential, s.cache))
            .collect();
        scenarios.extend(baselines);
    }
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    scenarios.dedup_by(|a, b| a.id == b.id);
    let needs_large = workloads.iter().any(Workload::needs_large_file);
    Ok(Plan {
        scenarios,
        corpus: corpus_spec(&args.corpus, needs_large)?,
        reps: reps(args.measure.reps)?,
        warmup: args.measure.warmup,
        order: order(&args.measure),
        settle: settle(&args.measure)?,
        cold_method: args.measure.cold_method,
        bootstrap_seed: args.measure.seed,
    })
}

/// Repetitions must be at least 1 and at most 1000.
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
        idle: parse_duration("--settle", &m.settle)?,
        timeout: parse_duration("--settle-timeout", &m.settle_timeout)?,
    })
}

/// Parse `0`, `500ms`, `2s`, `5m`.
///
/// # Errors
/// Anything else, naming the flag.
pub fn parse_duration(flag: &'static str, text: &str) -> Result<Duration, ConfigError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| invalid(flag, text, "use a duration such as 0, 500ms, 2s or 5m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(invalid(
                flag,
                text,
                "use a duration such as 0, 500ms, 2s or 5m",
            ))
        }
    };
    Ok(Duration::from_secs_f64(secs))
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
        None if needs_large => Some(match args.scale {
            Scale::Quick => 64 << 20,
            Scale::Default => 1 << 30,
            Scale::Seed => 4 << 30,
        }),
        None => None,
    };
    spec.validate()
        .map_err(|e| ConfigError::Meaningless(e.to_string()))?;
    Ok(spec)
}

fn sizes(flag: &'static str, list: &[String]) -> Result<Vec<Option<usize>>, ConfigError> {
    if list.is_empty() {
        return Ok(vec![None]);
    }
    list.iter()
        .map(|t| match parse_size(t) {
            Ok(n) if (1..=1 << 30).contains(&n) => Ok(Some(n as usize)),
            Ok(n) => Err(invalid(flag, n, "allowed 1 byte to 1GiB")),
            Err(e) => Err(invalid(flag, t, e.to_string())),
        })
        .collect()
}

const WORKLOADS: &str = "allowed: write, read, copy, append, atomic-save, stream, scan, random";

fn workloads(args: &RunArgs) -> Result<Vec<Workload>, ConfigError> {
    let chunks = sizes("--chunk", &args.chunk)?;
    let buffers = sizes("--buffer", &args.buffer)?;
    let variants: Vec<Option<&str>> = if args.variant.is_empty() {
        vec![None]
    } else {
        args.variant.iter().map(|v| Some(v.as_str())).collect()
    };
    let mut out = Vec::new();
    for name in &args.workload {
        for variant in &variants {
            for chunk in &chunks {
                for buffer in &buffers {
                    let w = workload(name, *variant, *chunk, *buffer, args)?;
                    if !out.contains(&w) {
                        out.push(w);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn one_of<T: Copy>(
    flag: &'static str,
    value: &str,
    options: &[(&str, T)],
    workload: &str,
) -> Result<T, ConfigError> {
    options
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            invalid(
                flag,
                value,
                format!("not a variant of {workload}; allowed: {}", names.join(", ")),
            )
        })
}

fn workload(
    name: &str,
    variant: Option<&str>,
    chunk: Option<usize>,
    buffer: Option<usize>,
    args: &RunArgs,
) -> Result<Workload, ConfigError> {
    const KIB64: usize = 64 << 10;
    Ok(match name {
        "write" => {
            let chunked = one_of(
                "--variant",
                variant.unwrap_or("one-write"),
                &[("one-write", false), ("chunked", true)],
                name,
            )?;
            let chunk = if chunked {
                Some(chunk.unwrap_or(KIB64))
            } else {
                chunk
            };
            Workload::Write(WriteSpec {
                fsync: args.fsync,
                chunk,
            })
        }
        "read" => {
            let buffered = one_of(
                "--variant",
                variant.unwrap_or(if buffer.is_some() {
                    "buffered"
                } else {
                    "whole"
                }),
                &[("whole", false), ("buffered", true)],
                name,
            )?;
            let method = if buffered {
                ReadMethod::Buffered {
                    buffer: buffer.unwrap_or(KIB64),
                }
            } else {
                ReadMethod::Whole
            };
            Workload::Read(ReadSpec { method })
        }
        "copy" => {
            let kernel = one_of(
                "--variant",
                variant.unwrap_or("loop"),
                &[("loop", false), ("kernel", true)],
                name,
            )?;
            let method = if kernel {
                CopyMethod::Kernel
            } else {
                CopyMethod::Chunked {
                    chunk: chunk.unwrap_or(KIB64),
                }
            };
            Workload::Copy(CopySpec { method })
        }
        "append" => {
            let options: Vec<(&str, AppendVariant)> = AppendVariant::ALL
                .iter()
                .map(|v| (v.as_str(), *v))
                .collect();
            let variant = one_of("--variant", variant.unwrap_or("mutex"), &options, name)?;
            let lines = positive("--lines", args.lines.unwrap_or(10_000), 10_000_000)?;
            Workload::Append(AppendSpec {
                variant,
                lines,
                buffer: buffer.unwrap_or(4096),
            })
        }
        "atomic-save" => {
            let options: Vec<(&str, SaveVariant)> =
                SaveVariant::ALL.iter().map(|v| (v.as_str(), *v)).collect();
            Workload::AtomicSave(SaveSpec {
                variant: one_of(
                    "--variant",
                    variant.unwrap_or("rename-fsync-dir"),
                    &options,
                    name,
                )?,
            })
        }
        "stream" => {
            let unbuffered = one_of(
                "--variant",
                variant.unwrap_or("buffered"),
                &[("buffered", false), ("unbuffered", true)],
                name,
            )?;
            Workload::Stream(StreamSpec {
                buffer: if unbuffered {
                    1
                } else {
                    buffer.unwrap_or(KIB64)
                },
                pattern: args.pattern.clone().unwrap_or_else(|| "777".into()),
                segments: positive("--segments", args.segments.unwrap_or(16), 65_536)?,
            })
        }
        "scan" => {
            let options = [("read", 0), ("mmap", 1), ("mmap-seq", 2), ("direct", 3)];
            let method = match one_of("--variant", variant.unwrap_or("read"), &options, name)? {
                0 => ScanMethod::Read {
                    chunk: chunk.unwrap_or(1 << 20),
                },
                1 => ScanMethod::Mmap,
                2 => ScanMethod::MmapSequential,
                _ => ScanMethod::Direct {
                    chunk: chunk.unwrap_or(1 << 20),
                },
            };
            Workload::Scan(ScanSpec {
                method,
                segments: positive("--segments", args.segments.unwrap_or(16), 65_536)?,
            })
        }
        "random" => {
            let method = one_of(
                "--variant",
                variant.unwrap_or("pread"),
                &[("pread", RandomMethod::Pread), ("mmap", RandomMethod::Mmap)],
                name,
            )?;
            let block = match &args.block {
                Some(t) => parse_size(t).map_err(|e| invalid("--block", t, e.to_string()))?,
                None => 4096,
            };
            if block == 0 || block % 4096 != 0 || block > 64 << 20 {
                return Err(invalid(
                    "--block",
                    block,
                    "must be a multiple of 4096 up to 64MiB",
                ));
            }
            Workload::Random(RandomSpec {
                method,
                reads: positive("--reads", args.reads.unwrap_or(10_000), 100_000_000)?,
                block: block as u32,
                seed: args.measure.seed,
            })
        }
        other => return Err(invalid("--workload", other, WORKLOADS)),
    })
}

fn positive(flag: &'static str, n: u32, max: u32) -> Result<u32, ConfigError> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(invalid(flag, n, format!("allowed 1 to {max}")))
    }
}

const STRATEGIES: &str =
    "allowed: sequential, threads, processes, nested, tokio, io_uring, command";

fn strategies(args: &RunArgs) -> Result<Vec<Strategy>, ConfigError> {
    for w in &args.workers {
        positive("--workers", *w, MAX_WORKERS)?;
    }
    for t in &args.threads {
        positive("--threads", *t, MAX_WORKERS)?;
    }
    if args.strategy.iter().all(|s| s == "sequential") && args.workers.iter().any(|w| *w != 1) {
        return Err(invalid(
            "--workers",
            args.workers.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            "sequential runs one task at a time; add a concurrent strategy (--strategy threads) or drop --workers",
        ));
    }
    let workers = if args.workers.is_empty() {
        vec![4]
    } else {
        args.workers.clone()
    };
    let mut out = Vec::new();
    for name in &args.strategy {
        let name = name.as_str();
        if name == "sequential" {
            out.push(Strategy::Sequential);
            continue;
        }
        for &w in &workers {
            match name {
                "threads" => out.push(Strategy::Threads { workers: w }),
                "processes" => out.push(Strategy::Processes {
                    workers: w,
                    batch: args.batch.unwrap_or(1),
                }),
                "nested" => out.extend(args.threads.iter().map(|&t| Strategy::Nested {
                    processes: w,
                    threads: t,
                    batch: args.batch.unwrap_or(0),
                })),
                "tokio" => out.push(Strategy::Tokio {
                    workers: args.tokio_threads.unwrap_or(w),
                    concurrency: w,
                }),
                "io_uring" | "io-uring" | "uring" => out.push(Strategy::IoUring { queue_depth: w }),
                "command" => {
                    let template = args.command.clone().ok_or_else(|| {
                        invalid("--strategy", "command", "needs --command TEMPLATE")
                    })?;
                    out.push(Strategy::Command {
                        template,
                        workers: w,
                    });
                }
                other => return Err(invalid("--strategy", other, STRATEGIES)),
            }
        }
    }
    Ok(out)
}
