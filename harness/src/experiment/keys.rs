//! What each key of an experiment file accepts: the ranges of its counts and
//! the one-line description of its type, shared by the checks of values
//! (`grid`, `expand`) and by the message of a value of the wrong type
//! (`file`), so the two cannot disagree.
//!
//! Owns: the ranges and descriptions. Does not own: parsing (`file`) or what
//! a value means (`grid`, `expand`, `build`).

use super::knob_lists::knob;
use super::settings::Wait;
use crate::describe::{KnobDesc, KnobKind};

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

/// `warmup`: discarded repetitions.
pub const WARMUP: Count = Count::new(0, 100);
/// `[corpus] files`.
pub const CORPUS_FILES: Count = Count::new(1, 10_000_000);
/// `[corpus] lines`.
pub const CORPUS_LINES: Count = Count::new(1, 100_000_000);
/// `[corpus] values`.
pub const CORPUS_VALUES: Count = Count::new(1, 1000);
/// `[[grid]] kill_at`: percent of tasks done, 0 = run to the end.
pub const KILL_AT: Count = Count::new(0, 99);
/// `[[grid]] after_deleting`: files created and deleted before a repetition.
pub const AFTER_DELETING: Count = Count::new(1, super::MAX_AFTER_DELETING);
/// `[[grid]] ranks`: MPI rank counts (each at most the ranks started).
pub const RANKS: Count = Count::new(1, 1_000_000);

/// How a grid key's elements are written in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// In quotes: names, sizes, templates.
    Text,
    /// A bare integer.
    Integer,
    /// `true` or `false`.
    Bool,
}

/// How the elements of grid key `key` are written (a knob's by its kind).
pub fn written(key: &str) -> Written {
    match (knob(key).map(|k| k.kind), key) {
        (Some(KnobKind::Count { .. }), _)
        | (None, "kill_at" | "first_files" | "after_deleting" | "ranks") => Written::Integer,
        (Some(KnobKind::Switch), _) | (None, "baseline") => Written::Bool,
        (Some(KnobKind::Size { .. } | KnobKind::Text | KnobKind::Choice(_)), _) | (None, _) => {
            Written::Text
        }
    }
}

/// Whether grid key `key` holds a list (every knob does).
pub fn is_list(key: &str) -> bool {
    knob(key).is_some() || other_key(key, |c| c.allowed()).0
}

/// What `key` (its last name, e.g. `workers`) accepts, as a phrase that
/// follows "expected": `an integer from 1 to 1000`. `element` tells whether
/// the value was one element of a list (grid keys are lists).
pub fn expected(key: &str, element: bool) -> String {
    let count = |c: Count| format!("an integer from {} to {}", c.min, c.max);
    let (list, item) = match knob(key) {
        Some(k) => (true, knob_phrase(k)),
        None => other_key(key, count),
    };
    if list && !element {
        format!("a list, each {item}, such as [{}]", example(key))
    } else {
        item
    }
}

/// What a knob's element is, from its description.
fn knob_phrase(k: &KnobDesc) -> String {
    match k.kind {
        KnobKind::Size { .. } => format!(
            "a size in quotes from {}, such as \"{}\"",
            k.kind.to_string().trim_start_matches("allowed "),
            if k.default.is_empty() {
                "64KiB"
            } else {
                k.default
            }
        ),
        KnobKind::Count { min, max } => format!("an integer from {min} to {max}"),
        KnobKind::Switch => "true or false".into(),
        KnobKind::Text if k.key == "command" => "a command template in quotes".into(),
        KnobKind::Text => "a text in quotes".into(),
        KnobKind::Choice(names) => format!(
            "one of {} in quotes",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a key that is not a knob accepts: (whether it is a list, the phrase).
fn other_key(key: &str, count: impl Fn(Count) -> String) -> (bool, String) {
    match key {
        "reps" => (false, super::reps::allowed()),
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
        "folders" => (
            false,
            "\"flat\" or \"sharded:K\" (K from 1 to 4096), in quotes".into(),
        ),
        "description" | "name" => (false, "a text in quotes".into()),
        "baseline" => (false, "true or false".into()),
        "claims" => (true, "a claim id in quotes".into()),
        "scales" => (true, "\"quick\", \"default\" or \"seed\"".into()),
        "workload" | "variant" | "strategy" => (true, "a name in quotes".into()),
        "cache" => (true, "\"warm\" or \"cold\"".into()),
        "scratch_policy" => (
            true,
            format!(
                "one of {} in quotes",
                crate::corpus::ScratchPolicy::ALL
                    .map(|p| format!("\"{p}\""))
                    .join(", ")
            ),
        ),
        "storage" => (
            true,
            format!("a storage in quotes: {}", crate::storage::spec::allowed()),
        ),
        "kill_at" => (true, count(KILL_AT)),
        "after_deleting" => (true, count(AFTER_DELETING)),
        "ranks" => (
            true,
            format!("{}, at most the ranks mpirun started", count(RANKS)),
        ),
        "first_files" => (
            true,
            "an integer from 1 up to the corpus's file count".into(),
        ),
        "corpus" | "scale" | "quick" | "default" | "seed" => (false, "a table".into()),
        _ => (false, "a value of another type".into()),
    }
}

/// A one-element example list for `key`.
fn example(key: &str) -> &'static str {
    match (knob(key).map(|k| k.kind), key) {
        (Some(KnobKind::Switch), _) => "false",
        (Some(KnobKind::Count { .. }), _)
        | (None, "kill_at" | "first_files" | "after_deleting" | "ranks") => "4",
        (Some(KnobKind::Size { .. }), _) => "\"64KiB\"",
        (None, "cache") => "\"warm\"",
        (None, "scratch_policy") => "\"rotate\"",
        (None, "storage") => "\"tmpfs\"",
        (None, "scales") => "\"quick\"",
        (Some(KnobKind::Choice(_)), _) => "\"none\"",
        (Some(KnobKind::Text), _) | (None, _) => "\"...\"",
    }
}
