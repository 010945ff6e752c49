//! What each key of an experiment file accepts: the ranges of its counts and
//! the one-line description of its type, shared by the checks of values
//! (`grid`, `expand`) and by the message of a value of the wrong type
//! (`file`), so the two cannot disagree.
//!
//! Owns: the ranges and descriptions. Does not own: parsing (`file`) or what
//! a value means (`grid`, `expand`, `build`).

use super::build::MAX_WORKERS;
use super::settings::Wait;

/// An inclusive range of integers a count key accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Smallest allowed.
    pub min: u32,
    /// Largest allowed.
    pub max: u32,
}

impl Count {
    /// The range `min ..= max`.
    pub const fn new(min: u32, max: u32) -> Count {
        Count { min, max }
    }

    /// Whether `n` is allowed.
    pub fn contains(self, n: u32) -> bool {
        (self.min..=self.max).contains(&n)
    }

    /// What is allowed, for a value out of range: `allowed 1 to 1000`.
    pub fn allowed(self) -> String {
        format!("allowed {} to {}", self.min, self.max)
    }
}

/// `reps`: measured repetitions.
pub const REPS: Count = Count::new(1, 1000);
/// `warmup`: discarded repetitions.
pub const WARMUP: Count = Count::new(0, 100);
/// `[corpus] files`.
pub const CORPUS_FILES: Count = Count::new(1, 10_000_000);
/// `[corpus] lines`.
pub const CORPUS_LINES: Count = Count::new(1, 100_000_000);
/// `[corpus] values`.
pub const CORPUS_VALUES: Count = Count::new(1, 1000);
/// `[[grid]] workers`, `threads`, `tokio_threads`.
pub const WORKERS: Count = Count::new(1, MAX_WORKERS);
/// `[[grid]] batch` (0 = even split).
pub const BATCH: Count = Count::new(0, 1_000_000);
/// `[[grid]] append_lines`.
pub const APPEND_LINES: Count = Count::new(1, 10_000_000);
/// `[[grid]] segments`.
pub const SEGMENTS: Count = Count::new(1, 65_536);
/// `[[grid]] reads`.
pub const READS: Count = Count::new(1, 100_000_000);
/// `[[grid]] files_per_task`.
pub const FILES_PER_TASK: Count = Count::new(1, crate::workload::metadata::MAX_FILES_PER_TASK);
/// `[[grid]] kill_at`: percent of tasks done, 0 = run to the end.
pub const KILL_AT: Count = Count::new(0, 99);

/// What `key` (its last name, e.g. `workers`) accepts, as a phrase that
/// follows "expected": `an integer from 1 to 1000`. `element` tells whether
/// the value was one element of a list (grid keys are lists).
pub fn expected(key: &str, element: bool) -> String {
    let count = |c: Count| format!("an integer from {} to {}", c.min, c.max);
    let (list, item) = match key {
        "reps" => (false, count(REPS)),
        "warmup" => (false, count(WARMUP)),
        "files" => (false, count(CORPUS_FILES)),
        "lines" => (false, count(CORPUS_LINES)),
        "values" => (false, count(CORPUS_VALUES)),
        "settle" => (false, format!("{}, in quotes", Wait::Settle.allowed())),
        "settle_timeout" => (
            false,
            format!("{}, in quotes", Wait::SettleTimeout.allowed()),
        ),
        "large_file" => (
            false,
            "a size in quotes from 1 byte to 1TiB, such as \"256MiB\"".into(),
        ),
        "description" | "name" => (false, "a text in quotes".into()),
        "baseline" => (false, "true or false".into()),
        "claims" => (true, "a claim id in quotes".into()),
        "scales" => (true, "\"quick\", \"default\" or \"seed\"".into()),
        "workload" | "variant" | "strategy" | "pattern" => (true, "a name in quotes".into()),
        "command" => (true, "a command template in quotes".into()),
        "cache" => (true, "\"warm\" or \"cold\"".into()),
        "workers" | "threads" | "tokio_threads" => (true, count(WORKERS)),
        "batch" => (true, count(BATCH)),
        "append_lines" => (true, count(APPEND_LINES)),
        "segments" => (true, count(SEGMENTS)),
        "reads" => (true, count(READS)),
        "files_per_task" => (true, count(FILES_PER_TASK)),
        "kill_at" => (true, count(KILL_AT)),
        "first_files" => (
            true,
            "an integer from 1 up to the corpus's file count".into(),
        ),
        "chunk" | "buffer" => (
            true,
            "a size in quotes from 1 byte to 1GiB, such as \"64KiB\"".into(),
        ),
        "block" => (true, "a size in quotes, such as \"4KiB\"".into()),
        "fsync" => (true, "true or false".into()),
        "corpus" | "scale" | "quick" | "default" | "seed" => (false, "a table".into()),
        _ => (false, "a value of another type".into()),
    };
    if list && !element {
        format!("a list, each {item}, such as [{}]", example(key))
    } else {
        item
    }
}

/// A one-element example list for `key`.
fn example(key: &str) -> &'static str {
    match key {
        "fsync" => "false",
        "workers" | "threads" | "tokio_threads" | "batch" | "segments" | "kill_at"
        | "first_files" | "append_lines" | "reads" | "files_per_task" => "4",
        "cache" => "\"warm\"",
        "scales" => "\"quick\"",
        "chunk" | "buffer" | "block" => "\"64KiB\"",
        _ => "\"...\"",
    }
}
