//! Building workloads and strategies from names and knobs: the one set of
//! construction rules shared by the command line (`iolab run --workload …`)
//! and experiment files (`experiments/*.toml`).
//!
//! Owns: which names exist, which variants each workload has, each knob's
//! default and range. Does not own: where the values came from — callers map
//! a [`BuildError`]'s [`Knob`] to a flag (`--chunk`) or a TOML key with its
//! line and column.

use crate::strategy::Strategy;
use crate::workload::{
    metadata, AppendSpec, AppendVariant, CopyMethod, CopySpec, MetadataSpec, MetadataVariant,
    NoopSpec, RandomMethod, RandomSpec, ReadMethod, ReadSpec, SaveSpec, SaveVariant, ScanMethod,
    ScanSpec, StreamSpec, Workload, WriteSpec,
};

/// Largest worker count, threads per process, or queue depth accepted.
pub const MAX_WORKERS: u32 = 1024;

/// Largest chunk or buffer size accepted (1 GiB).
pub const MAX_CHUNK: u64 = 1 << 30;

/// Every workload name.
pub const WORKLOADS: [&str; 10] = [
    "write",
    "read",
    "copy",
    "append",
    "atomic-save",
    "stream",
    "scan",
    "random",
    "metadata",
    "noop",
];

/// Every strategy name (`io-uring` and `uring` are accepted for `io_uring`).
pub const STRATEGIES: [&str; 7] = [
    "sequential",
    "threads",
    "processes",
    "nested",
    "tokio",
    "io_uring",
    "command",
];

/// A knob of a workload or strategy, named the same way everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Knob {
    /// The workload's name.
    Workload,
    /// The workload's variant.
    Variant,
    /// The strategy's name.
    Strategy,
    /// Concurrency.
    Workers,
    /// Threads per process (nested).
    Threads,
    /// Tasks per message (processes, nested).
    Batch,
    /// Blocking-pool threads (tokio).
    TokioThreads,
    /// External command template (command).
    Command,
    /// Chunk size (write, copy, scan).
    Chunk,
    /// Buffer size (read, stream, append).
    Buffer,
    /// Appended lines (append).
    Lines,
    /// Segments of the large file (stream, scan).
    Segments,
    /// Random reads (random).
    Reads,
    /// Bytes per random read (random).
    Block,
    /// Streamed pattern (stream).
    Pattern,
    /// fsync each written file (write).
    Fsync,
    /// Files each task works on (metadata).
    FilesPerTask,
}

impl Knob {
    /// The key in an experiment file: `tokio_threads`.
    pub fn key(self) -> &'static str {
        match self {
            Knob::Workload => "workload",
            Knob::Variant => "variant",
            Knob::Strategy => "strategy",
            Knob::Workers => "workers",
            Knob::Threads => "threads",
            Knob::Batch => "batch",
            Knob::TokioThreads => "tokio_threads",
            Knob::Command => "command",
            Knob::Chunk => "chunk",
            Knob::Buffer => "buffer",
            Knob::Lines => "append_lines",
            Knob::Segments => "segments",
            Knob::Reads => "reads",
            Knob::Block => "block",
            Knob::Pattern => "pattern",
            Knob::Fsync => "fsync",
            Knob::FilesPerTask => "files_per_task",
        }
    }

    /// The command-line flag: `--tokio-threads`.
    pub fn flag(self) -> &'static str {
        match self {
            Knob::Workload => "--workload",
            Knob::Variant => "--variant",
            Knob::Strategy => "--strategy",
            Knob::Workers => "--workers",
            Knob::Threads => "--threads",
            Knob::Batch => "--batch",
            Knob::TokioThreads => "--tokio-threads",
            Knob::Command => "--command",
            Knob::Chunk => "--chunk",
            Knob::Buffer => "--buffer",
            Knob::Lines => "--append-lines",
            Knob::Segments => "--segments",
            Knob::Reads => "--reads",
            Knob::Block => "--block",
            Knob::Pattern => "--pattern",
            Knob::Fsync => "--fsync",
            Knob::FilesPerTask => "--files-per-task",
        }
    }
}

/// A knob value that cannot be used, with what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} = {value}: {allowed}", knob.key())]
pub struct BuildError {
    /// Which knob.
    pub knob: Knob,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub allowed: String,
}

fn invalid(knob: Knob, value: impl ToString, allowed: impl Into<String>) -> BuildError {
    BuildError {
        knob,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Knobs of a workload; `None` takes the default named on each field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkloadKnobs {
    /// Chunk bytes of write (chunked), copy (loop), scan (read, direct). Defaults: 64 KiB, 64 KiB, 1 MiB.
    pub chunk: Option<usize>,
    /// Buffer bytes of read (buffered), stream, append (unlocked-buffered). Defaults: 64 KiB, 64 KiB, 4096.
    pub buffer: Option<usize>,
    /// fsync each written file (write). Default: false.
    pub fsync: bool,
    /// Appended lines (append). Default: 10,000.
    pub lines: Option<u32>,
    /// Segments of the large file (stream, scan). Default: 16.
    pub segments: Option<u32>,
    /// Random reads per repetition (random), tasks per repetition (noop). Default: 10,000.
    pub reads: Option<u32>,
    /// Bytes per random read (random), a multiple of 4096 up to 64 MiB. Default: 4096.
    pub block: Option<u64>,
    /// Pattern a streamed line must contain (stream). Default: `777`.
    pub pattern: Option<String>,
    /// Seed of random offsets (random).
    pub seed: u64,
    /// Files each task works on (metadata). Default: 4.
    pub files_per_task: Option<u32>,
}

/// The variants of `workload`, default first; `None` for an unknown workload.
pub fn variants(workload: &str) -> Option<Vec<&'static str>> {
    Some(match workload {
        "write" => vec!["one-write", "chunked"],
        "read" => vec!["whole", "buffered", "discard"],
        "copy" => vec!["loop", "kernel"],
        "append" => {
            let mut v: Vec<&str> = AppendVariant::ALL.iter().map(|v| v.as_str()).collect();
            v.sort_by_key(|n| *n != "mutex");
            v
        }
        "atomic-save" => {
            let mut v: Vec<&str> = SaveVariant::ALL.iter().map(|v| v.as_str()).collect();
            v.sort_by_key(|n| *n != "rename-fsync-dir");
            v
        }
        "stream" => vec!["buffered", "unbuffered"],
        "scan" => vec!["read", "mmap", "mmap-seq", "direct"],
        "random" => vec!["pread", "mmap"],
        "metadata" => metadata::DESCRIPTION
            .variants
            .iter()
            .map(|v| v.name)
            .collect(),
        "noop" => vec!["noop"],
        _ => return None,
    })
}

/// Check a chunk or buffer size: 1 byte to [`MAX_CHUNK`].
///
/// # Errors
/// A size out of range, naming `knob`.
pub fn check_size(knob: Knob, bytes: u64) -> Result<usize, BuildError> {
    if (1..=MAX_CHUNK).contains(&bytes) {
        usize::try_from(bytes).map_err(|_| invalid(knob, bytes, "allowed 1 byte to 1GiB"))
    } else {
        Err(invalid(knob, bytes, "allowed 1 byte to 1GiB"))
    }
}

/// Check a count: 1 to `max`.
///
/// # Errors
/// A count out of range, naming `knob`.
pub fn positive(knob: Knob, n: u32, max: u32) -> Result<u32, BuildError> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(invalid(knob, n, format!("allowed 1 to {max}")))
    }
}

/// The variant named `variant` of `workload` (its default when `None`), as
/// its index in [`variants`].
fn variant_index(workload: &str, variant: Option<&str>) -> Result<usize, BuildError> {
    let names = variants(workload).ok_or_else(|| {
        invalid(
            Knob::Workload,
            workload,
            format!("allowed: {}", WORKLOADS.join(", ")),
        )
    })?;
    match variant {
        None => Ok(0),
        Some(v) => names.iter().position(|n| *n == v).ok_or_else(|| {
            invalid(
                Knob::Variant,
                v,
                format!("not a variant of {workload}; allowed: {}", names.join(", ")),
            )
        }),
    }
}

/// Build workload `name` with `variant` (its default when `None`) and `knobs`.
///
/// # Errors
/// [`BuildError`] naming an unknown workload or variant, or a knob out of range.
pub fn workload(
    name: &str,
    variant: Option<&str>,
    knobs: &WorkloadKnobs,
) -> Result<Workload, BuildError> {
    const KIB64: usize = 64 << 10;
    // `read` given a buffer and no variant means buffered, as on the command line.
    let variant = match (name, variant, knobs.buffer) {
        ("read", None, Some(_)) => Some("buffered"),
        _ => variant,
    };
    let index = variant_index(name, variant)?;
    let k = knobs;
    Ok(match name {
        "write" => Workload::Write(WriteSpec {
            fsync: k.fsync,
            chunk: if index == 1 {
                Some(k.chunk.unwrap_or(KIB64))
            } else {
                k.chunk
            },
        }),
        "read" => Workload::Read(ReadSpec {
            method: match index {
                0 => ReadMethod::Whole,
                1 => ReadMethod::Buffered {
                    buffer: k.buffer.unwrap_or(KIB64),
                },
                _ => ReadMethod::Discard,
            },
        }),
        "copy" => Workload::Copy(CopySpec {
            method: if index == 1 {
                CopyMethod::Kernel
            } else {
                CopyMethod::Chunked {
                    chunk: k.chunk.unwrap_or(KIB64),
                }
            },
        }),
        "append" => append(variant, k)?,
        "atomic-save" => {
            let v = variant.unwrap_or("rename-fsync-dir");
            let variant = SaveVariant::ALL
                .into_iter()
                .find(|s| s.as_str() == v)
                .unwrap_or(SaveVariant::RenameFsyncDir);
            Workload::AtomicSave(SaveSpec { variant })
        }
        "stream" => Workload::Stream(StreamSpec {
            buffer: if index == 1 {
                1
            } else {
                k.buffer.unwrap_or(KIB64)
            },
            pattern: k.pattern.clone().unwrap_or_else(|| "777".into()),
            segments: positive(Knob::Segments, k.segments.unwrap_or(16), 65_536)?,
        }),
        "scan" => scan(index, k)?,
        "metadata" => metadata_spec(variant, k)?,
        "noop" => Workload::Noop(NoopSpec {
            tasks: positive(Knob::Reads, k.reads.unwrap_or(10_000), 100_000_000)?,
        }),
        _ => random(index, k)?,
    })
}

fn metadata_spec(variant: Option<&str>, k: &WorkloadKnobs) -> Result<Workload, BuildError> {
    let name = variant.unwrap_or("all");
    let variant = MetadataVariant::from_name(name).ok_or_else(|| {
        invalid(
            Knob::Variant,
            name,
            "not a variant of metadata; allowed: all, create, stat, open-close, unlink",
        )
    })?;
    Ok(Workload::Metadata(MetadataSpec {
        variant,
        files_per_task: positive(
            Knob::FilesPerTask,
            k.files_per_task.unwrap_or(metadata::DEFAULT_FILES_PER_TASK),
            metadata::MAX_FILES_PER_TASK,
        )?,
    }))
}

fn append(variant: Option<&str>, k: &WorkloadKnobs) -> Result<Workload, BuildError> {
    let v = variant.unwrap_or("mutex");
    let variant = AppendVariant::ALL
        .into_iter()
        .find(|a| a.as_str() == v)
        .unwrap_or(AppendVariant::Mutex);
    Ok(Workload::Append(AppendSpec {
        variant,
        lines: positive(Knob::Lines, k.lines.unwrap_or(10_000), 10_000_000)?,
        buffer: k.buffer.unwrap_or(4096),
    }))
}

fn scan(index: usize, k: &WorkloadKnobs) -> Result<Workload, BuildError> {
    let chunk = k.chunk.unwrap_or(1 << 20);
    let method = match index {
        0 => ScanMethod::Read { chunk },
        1 => ScanMethod::Mmap,
        2 => ScanMethod::MmapSequential,
        _ => ScanMethod::Direct { chunk },
    };
    Ok(Workload::Scan(ScanSpec {
        method,
        segments: positive(Knob::Segments, k.segments.unwrap_or(16), 65_536)?,
    }))
}

fn random(index: usize, k: &WorkloadKnobs) -> Result<Workload, BuildError> {
    let block = k.block.unwrap_or(4096);
    if block == 0 || !block.is_multiple_of(4096) || block > 64 << 20 {
        return Err(invalid(
            Knob::Block,
            block,
            "must be a multiple of 4096 up to 64MiB",
        ));
    }
    Ok(Workload::Random(RandomSpec {
        method: if index == 1 {
            RandomMethod::Mmap
        } else {
            RandomMethod::Pread
        },
        reads: positive(Knob::Reads, k.reads.unwrap_or(10_000), 100_000_000)?,
        block: u32::try_from(block).unwrap_or(4096),
        seed: k.seed,
    }))
}

/// Knobs of a strategy; `None` takes the default named on each field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StrategyKnobs {
    /// Threads per process of `nested`, one strategy each. Default: `[2]`.
    pub threads: Vec<u32>,
    /// Tasks per message: `processes` default 1, `nested` default 0 (an even split).
    pub batch: Option<u32>,
    /// Blocking-pool threads of `tokio`. Default: the worker count.
    pub tokio_threads: Option<u32>,
    /// Command template of `command` (required for it).
    pub command: Option<String>,
}

/// Normalise a strategy name (`io-uring` and `uring` mean `io_uring`).
///
/// # Errors
/// An unknown name, with the allowed ones.
pub fn strategy_name(name: &str) -> Result<&'static str, BuildError> {
    match name {
        "io-uring" | "uring" => Ok("io_uring"),
        _ => STRATEGIES.into_iter().find(|s| *s == name).ok_or_else(|| {
            invalid(
                Knob::Strategy,
                name,
                format!("allowed: {}", STRATEGIES.join(", ")),
            )
        }),
    }
}

/// The strategies named `name` at concurrency `workers`: one, or one per
/// thread count for `nested`. `sequential` ignores `workers`.
///
/// # Errors
/// [`BuildError`] for an unknown name, a count out of range, or `command`
/// without a template.
pub fn strategies(
    name: &str,
    workers: u32,
    knobs: &StrategyKnobs,
) -> Result<Vec<Strategy>, BuildError> {
    let name = strategy_name(name)?;
    if name == "sequential" {
        return Ok(vec![Strategy::Sequential]);
    }
    let w = positive(Knob::Workers, workers, MAX_WORKERS)?;
    Ok(match name {
        "threads" => vec![Strategy::Threads { workers: w }],
        "processes" => vec![Strategy::Processes {
            workers: w,
            batch: knobs.batch.unwrap_or(1),
        }],
        "nested" => {
            let threads = if knobs.threads.is_empty() {
                vec![2]
            } else {
                knobs.threads.clone()
            };
            threads
                .into_iter()
                .map(|t| {
                    Ok(Strategy::Nested {
                        processes: w,
                        threads: positive(Knob::Threads, t, MAX_WORKERS)?,
                        batch: knobs.batch.unwrap_or(0),
                    })
                })
                .collect::<Result<_, BuildError>>()?
        }
        "tokio" => vec![Strategy::Tokio {
            workers: match knobs.tokio_threads {
                Some(t) => positive(Knob::TokioThreads, t, MAX_WORKERS)?,
                None => w,
            },
            concurrency: w,
        }],
        "io_uring" => vec![Strategy::IoUring { queue_depth: w }],
        _ => {
            let template = knobs
                .command
                .clone()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid(Knob::Strategy, "command", "needs a command template"))?;
            vec![Strategy::Command {
                template,
                workers: w,
            }]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_workload_specs() {
        let k = WorkloadKnobs::default();
        assert_eq!(
            workload("read", None, &k).unwrap(),
            Workload::Read(ReadSpec::default())
        );
        assert_eq!(
            workload("copy", None, &k).unwrap(),
            Workload::Copy(CopySpec::default())
        );
        assert_eq!(
            workload("write", None, &k).unwrap(),
            Workload::Write(WriteSpec::default())
        );
    }

    #[test]
    fn unknown_variant_names_the_allowed_ones() {
        let err = workload("copy", Some("splice"), &WorkloadKnobs::default()).unwrap_err();
        assert_eq!(err.knob, Knob::Variant);
        assert!(err.allowed.contains("loop, kernel"), "{err}");
    }

    #[test]
    fn every_listed_variant_builds() {
        for w in WORKLOADS {
            for v in variants(w).unwrap() {
                let built = workload(w, Some(v), &WorkloadKnobs::default()).unwrap();
                assert_eq!(built.name(), w);
            }
        }
    }

    #[test]
    fn nested_expands_threads_and_sequential_ignores_workers() {
        let knobs = StrategyKnobs {
            threads: vec![2, 4],
            ..StrategyKnobs::default()
        };
        assert_eq!(strategies("nested", 3, &knobs).unwrap().len(), 2);
        assert_eq!(
            strategies("sequential", 9, &knobs).unwrap(),
            vec![Strategy::Sequential]
        );
        let err = strategies("threads", 0, &knobs).unwrap_err();
        assert_eq!(err.knob, Knob::Workers);
        let err = strategies("command", 2, &knobs).unwrap_err();
        assert!(err.allowed.contains("template"), "{err}");
    }
}
