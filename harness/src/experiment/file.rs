//! The experiment file format (`experiments/*.toml`) as it is written: raw
//! TOML types with the position of every value, and the errors that name the
//! file, line, column, key, value and what is allowed.
//!
//! Owns: parsing and the shape of the file (`deny_unknown_fields`
//! everywhere; a `[[grid]]` block's workload knobs are the registered
//! workloads' own, taken out by `knob_lists`). Does not own: what the values mean — [`super::grid`] resolves
//! scales and expands grids; the format is documented in
//! `experiments/README.md`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::DeTable;
use toml::Spanned;

use super::keys;
use super::knob_lists::{self, KeyError, RawKnob};
use crate::corpus::Scale;
use crate::measure::cache::CacheState;

/// What is wrong with an experiment file, or with several run together.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The file cannot be read.
    #[error("{file}: {cause}")]
    Read {
        /// The file.
        file: String,
        /// The error (in the message, so not also a `source()`).
        cause: crate::safefs::FsError,
    },
    /// Not a regular file (a directory, a FIFO, a device such as
    /// `/dev/zero`, a symbolic link).
    #[error(
        "{file}: is a {kind}, not a regular file; an experiment file is a TOML file of at most \
         1 MiB (pass a link's target, not the link)"
    )]
    NotAFile {
        /// The file.
        file: String,
        /// What it is instead.
        kind: crate::safefs::Kind,
    },
    /// Larger than `MAX_FILE_BYTES` (1 MiB).
    #[error(
        "{file}: more than 1 MiB; an experiment file may hold at most 1 MiB ({MAX_FILE_BYTES} \
         bytes)"
    )]
    TooLarge {
        /// The file.
        file: String,
    },
    /// Not UTF-8 text.
    #[error("{file}: not UTF-8 text (byte {at} is not), so not a TOML file")]
    NotText {
        /// The file.
        file: String,
        /// Offset of the first bad byte.
        at: usize,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error("{place}: {message}")]
    Syntax {
        /// Where: the file, line and column.
        place: Place,
        /// The parser's message (it lists the allowed keys or types).
        message: String,
    },
    /// A value of the right type that is not allowed: in a file
    /// `x.toml:3:9: grid.block = "5000": allowed …`, on the command line
    /// `--block 5000: allowed …`.
    #[error("{}", invalid_message(place, key, value, allowed))]
    Invalid {
        /// Where: the file, line and column, or the flag.
        place: Place,
        /// The key (with its table: `grid.workers`).
        key: String,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// Two files run together disagree on the corpus shape.
    #[error("corpus {key}: {first} sets {first_value}, {second} sets {second_value}; experiment files run together share one corpus, so they must agree (or pass --{key} to override both)")]
    Conflict {
        /// The corpus key.
        key: &'static str,
        /// The first file, with line and column.
        first: String,
        /// Its value.
        first_value: u32,
        /// The second file, with line and column.
        second: String,
        /// Its value.
        second_value: u32,
    },
    /// A grid that multiplies out past the limit.
    #[error(transparent)]
    TooMany(#[from] super::limit::TooManyScenarios),
    /// Nothing to run.
    #[error("{0}")]
    Nothing(String),
    /// `--ci-width` or `--budget` that cannot apply.
    #[error(transparent)]
    Reps(#[from] super::reps::AutoError),
}

/// Where a value was given, for messages: a place in a file, or a flag of
/// the command line (whose values are a grid block too, [`super::flags`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A place in an experiment file.
    File {
        /// The file as given.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1 (in characters).
        column: usize,
    },
    /// A flag of `iolab run` (`--workers`).
    Flag(String),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Place::Flag(flag) => f.write_str(flag),
        }
    }
}

/// The text of [`ExperimentError::Invalid`]: a file's value with its place
/// and key, a flag's value after the flag.
fn invalid_message(place: &Place, key: &str, value: &str, allowed: &str) -> String {
    match place {
        Place::File { .. } => format!("{place}: {key} = {value}: {allowed}"),
        Place::Flag(flag) => format!("{flag} {value}: {allowed}"),
    }
}

/// The text of a grid with where it came from, to turn byte spans into
/// places: an experiment file, or the command line's grid flags written as
/// one `[[grid]]` block ([`super::flags`]).
#[derive(Clone, Debug)]
pub struct Source {
    /// The file as given on the command line (`the flags` for flags).
    pub file: String,
    /// Its path (for flags, `experiments/cli.toml` under the current
    /// folder: where `{experiments}` and `{scripts}` of a command point).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Where the text came from.
    pub origin: Origin,
}

/// Where a [`Source`]'s text came from.
#[derive(Clone, Debug, Default)]
pub enum Origin {
    /// An experiment file.
    #[default]
    File,
    /// The command line: each flag value's span in the text, its flag and
    /// its text as given.
    Flags(Vec<FlagValue>),
}

/// One value of a grid flag, as [`super::flags`] wrote it into its block.
#[derive(Clone, Debug)]
pub struct FlagValue {
    /// Its bytes in the block's text.
    pub span: Range<usize>,
    /// The flag (`--workers`).
    pub flag: String,
    /// The value as given on the command line.
    pub text: String,
}

/// The largest experiment file read: 1 MiB (the shipped ones hold 1 to 3 KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

impl Source {
    /// Read `path` as iolab reads every file ([`crate::safefs::read_file`]):
    /// a regular file, not a link to one, of at most [`MAX_FILE_BYTES`],
    /// opened without blocking (a FIFO cannot stall it) and read through a
    /// bounded reader.
    ///
    /// # Errors
    /// [`ExperimentError::Read`], [`ExperimentError::NotAFile`],
    /// [`ExperimentError::TooLarge`] or [`ExperimentError::NotText`], naming
    /// the file.
    pub fn read(path: &Path) -> Result<Source, ExperimentError> {
        use crate::safefs::{FsError, Kind};
        let file = path.display().to_string();
        let bytes = crate::safefs::read_file(path, MAX_FILE_BYTES).map_err(|e| match e {
            FsError::Symlink { .. } => ExperimentError::NotAFile {
                file: file.clone(),
                kind: Kind::Symlink,
            },
            FsError::WrongKind { found, .. } => ExperimentError::NotAFile {
                file: file.clone(),
                kind: found,
            },
            FsError::TooLarge { .. } => ExperimentError::TooLarge { file: file.clone() },
            cause => ExperimentError::Read {
                file: file.clone(),
                cause,
            },
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ExperimentError::NotText {
            file: file.clone(),
            at: e.utf8_error().valid_up_to(),
        })?;
        Ok(Source {
            file,
            path: path.to_path_buf(),
            text,
            origin: Origin::File,
        })
    }

    /// The flag value whose text holds byte offset `at` (the last one
    /// starting at or before it), for a grid given by flags.
    fn flag_at(&self, at: usize) -> Option<&FlagValue> {
        match &self.origin {
            Origin::File => None,
            Origin::Flags(values) => values.iter().rev().find(|v| v.span.start <= at),
        }
    }

    /// The place of byte offset `at`: file, line and column, or the flag.
    pub fn place(&self, at: usize) -> Place {
        if let Origin::Flags(_) = self.origin {
            let flag = self.flag_at(at).map_or("the flags", |v| v.flag.as_str());
            return Place::Flag(flag.to_string());
        }
        let at = at.min(self.text.len());
        let before = self.text.get(..at).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
        Place::File {
            file: self.file.clone(),
            line,
            column,
        }
    }

    /// An [`ExperimentError::Invalid`] at `span`. A flag's value is shown
    /// as it was given, not as its block writes it.
    pub fn invalid(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        value: impl ToString,
        allowed: impl Into<String>,
    ) -> ExperimentError {
        let value = match self.flag_at(span.start) {
            Some(v) if v.span.contains(&span.start) => v.text.clone(),
            Some(_) | None => value.to_string(),
        };
        ExperimentError::Invalid {
            place: self.place(span.start),
            key: key.into(),
            value,
            allowed: allowed.into(),
        }
    }

    /// What a message calls grid block `index` (from 0) named `name`:
    /// `x.toml: grid block 2 (copy)`, or `the flags`.
    pub fn block(&self, index: usize, name: Option<&str>) -> String {
        match self.origin {
            Origin::File => format!(
                "{}: grid block {} ({})",
                self.file,
                index + 1,
                name.unwrap_or("unnamed")
            ),
            Origin::Flags(_) => "the flags".into(),
        }
    }

    /// How a message names grid key `key` where the user gives it: a
    /// `key` list in a file's block, the flag `--key` on the command line.
    pub fn key_name(&self, key: &str) -> String {
        match self.origin {
            Origin::File => format!("a `{key}` list in the same block"),
            Origin::Flags(_) => format!("--{}", key.replace('_', "-")),
        }
    }

    /// How a message names the list of `key` (`workload`, `strategy`) of
    /// the block: `the workloads of this block`, or `--workload`.
    pub fn list_name(&self, key: &str, plural: &str) -> String {
        match self.origin {
            Origin::File => format!("the {plural} of this block"),
            Origin::Flags(_) => format!("--{}", key.replace('_', "-")),
        }
    }

    /// Parse the text as an experiment file: the workload knobs' lists
    /// taken out of each `[[grid]]` block by their descriptions
    /// ([`knob_lists`]), the rest read by serde.
    ///
    /// # Errors
    /// [`ExperimentError::Syntax`] with the parser's line, column and
    /// message (an unknown key names its block and the allowed keys), or
    /// [`ExperimentError::Invalid`] for a value of the wrong type.
    pub fn parse(&self) -> Result<RawExperiment, ExperimentError> {
        let mut doc = DeTable::parse(&self.text).map_err(|e| self.toml_error(&e))?;
        let own = knob_lists::fields_of::<RawGrid>();
        let knobs = knob_lists::take(doc.get_mut(), own).map_err(|e| match e {
            KeyError::Unknown { at, message } => self.syntax(at, message),
            KeyError::Value(e) => self.toml_error(&e),
        })?;
        let mut raw = RawExperiment::deserialize(toml::de::Deserializer::from(doc))
            .map_err(|e| self.toml_error(&e))?;
        for (block, taken) in raw.grid.iter_mut().zip(knobs) {
            block.knobs = taken.knobs;
            let scales = block.scale.as_mut().map(|s| s.get_mut());
            if let Some(scales) = scales {
                for (scale, knobs) in taken.scales {
                    if let Some(table) = scales.get_mut(scale) {
                        table.knobs = knobs;
                    }
                }
            }
        }
        Ok(raw)
    }

    /// A parser's error: a value of the wrong type names its key, the value
    /// and what the key expects; anything else is a syntax error at its place.
    fn toml_error(&self, e: &toml::de::Error) -> ExperimentError {
        let at = e.span().map_or(0, |s| s.start);
        let message = e.message().trim();
        if message.starts_with("invalid type") || message.starts_with("invalid value") {
            if let Some(found) = self.value_at(at) {
                let value = self
                    .text
                    .get(found.span.clone())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let leaf = found.path.last().map_or("", String::as_str);
                let allowed = format!("expected {}", keys::expected(leaf, found.element));
                return self.invalid(&(at..at), found.key(), value, allowed);
            }
        }
        self.syntax(at, message.to_string())
    }

    /// An [`ExperimentError::Syntax`] at byte `at`.
    fn syntax(&self, at: usize, message: String) -> ExperimentError {
        ExperimentError::Syntax {
            place: self.place(at),
            message,
        }
    }

    /// The scalar value that starts at byte `at`, with its key path, found by
    /// walking the file's spanned tables (`None` when the text does not parse
    /// or no scalar starts there).
    fn value_at(&self, at: usize) -> Option<Found> {
        let table = toml::de::DeTable::parse(&self.text).ok()?;
        find(table.get_ref(), at, &mut Vec::new())
    }
}

/// A scalar value located by [`Source::value_at`].
struct Found {
    /// Keys from the top: `["grid", "workers"]`; an element of an array of
    /// tables is marked `[[name]]`.
    path: Vec<String>,
    /// Whether the value is an element of a list.
    element: bool,
    /// Its bytes in the text.
    span: Range<usize>,
}

impl Found {
    /// The key as messages show it: `reps`, `[corpus] files`, `[[grid]] workers`.
    fn key(&self) -> String {
        let Some((leaf, tables)) = self.path.split_last() else {
            return String::new();
        };
        let mut parts: Vec<String> = Vec::new();
        let mut dotted: Vec<&str> = Vec::new();
        for t in tables {
            if t.starts_with("[[") {
                if !dotted.is_empty() {
                    parts.push(format!("[{}]", dotted.join(".")));
                    dotted.clear();
                }
                parts.push(t.clone());
            } else {
                dotted.push(t);
            }
        }
        if !dotted.is_empty() {
            parts.push(format!("[{}]", dotted.join(".")));
        }
        parts.push(leaf.clone());
        parts.join(" ")
    }
}

/// The scalar starting at `at` under `table`, with `path` the keys above it.
fn find(table: &toml::de::DeTable<'_>, at: usize, path: &mut Vec<String>) -> Option<Found> {
    use toml::de::DeValue;
    for (key, value) in table {
        let name = key.get_ref().to_string();
        let span = value.span();
        let found = match value.get_ref() {
            DeValue::Table(t) => {
                path.push(name.clone());
                let f = find(t, at, path);
                path.pop();
                f
            }
            DeValue::Array(items) => items.iter().find_map(|item| match item.get_ref() {
                DeValue::Table(t) => {
                    path.push(format!("[[{name}]]"));
                    let f = find(t, at, path);
                    path.pop();
                    f
                }
                _ if item.span().start == at => Some(Found {
                    path: [path.as_slice(), std::slice::from_ref(&name)].concat(),
                    element: true,
                    span: item.span(),
                }),
                _ => None,
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        if span.start == at {
            return Some(Found {
                path: [path.as_slice(), &[name]].concat(),
                element: false,
                span,
            });
        }
    }
    None
}

/// A list of values, each with its position.
pub type List<T> = Vec<Spanned<T>>;

/// A whole experiment file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// One line on what the experiment asks.
    pub description: Option<String>,
    /// Claims (ids of the `claims` module) the experiment provides evidence for.
    #[serde(default)]
    pub claims: Vec<Spanned<String>>,
    /// Measured repetitions per scenario (1 ..= 1000), or `"auto"` /
    /// `"auto:MAX"` (see [`super::reps`]). Default: 5.
    pub reps: Option<Spanned<RawReps>>,
    /// Discarded warm-up repetitions per scenario (0 ..= 100). Default: 1.
    pub warmup: Option<Spanned<u32>>,
    /// Idle-storage window before each repetition, e.g. `200ms`. Default: `1s`.
    pub settle: Option<Spanned<String>>,
    /// Longest wait for idle storage before a repetition. Default: `60s`.
    pub settle_timeout: Option<Spanned<String>>,
    /// Corpus shape overrides.
    pub corpus: Option<RawCorpus>,
    /// Grid blocks; each is a product of its lists.
    #[serde(default)]
    pub grid: Vec<RawGrid>,
    /// Per-scale overrides of `reps`, `warmup`, `settle`, `corpus`.
    pub scale: Option<Scales<RawRun>>,
}

/// `reps` as written: a count, or a text such as `"auto"` (checked by
/// [`super::reps::parse`]). Any other type is refused by the parser with
/// what `reps` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawReps {
    /// `reps = 5`.
    Count(u32),
    /// `reps = "auto"`.
    Text(String),
}

impl<'de> Deserialize<'de> for RawReps {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawReps, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawReps;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a count or \"auto\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawReps, E> {
                u32::try_from(v)
                    .map(RawReps::Count)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawReps, E> {
                u32::try_from(v)
                    .map(RawReps::Count)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawReps, E> {
                Ok(RawReps::Text(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `[corpus]`: overrides of the scale's shape, and the large file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorpus {
    /// Number of files.
    pub files: Option<Spanned<u32>>,
    /// Lines per file.
    pub lines: Option<Spanned<u32>>,
    /// Integers per line.
    pub values: Option<Spanned<u32>>,
    /// Size of the large single file, e.g. `256MiB`.
    pub large_file: Option<Spanned<String>>,
    /// How the data files are spread over folders: `flat` or `sharded:K`.
    pub folders: Option<Spanned<String>>,
    /// A folder of the user's own files to run on instead of the generated
    /// corpus (`--input`), relative to the working folder.
    pub input: Option<Spanned<String>>,
    /// Keep only its files matching this glob (`--input-glob`).
    pub input_glob: Option<Spanned<String>>,
}

/// `[scale.<name>]`: run settings at one scale.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Measured repetitions.
    pub reps: Option<Spanned<RawReps>>,
    /// Warm-ups.
    pub warmup: Option<Spanned<u32>>,
    /// Settle window.
    pub settle: Option<Spanned<String>>,
    /// Longest wait for idle storage.
    pub settle_timeout: Option<Spanned<String>>,
    /// Corpus overrides.
    pub corpus: Option<RawCorpus>,
}

/// A table per named scale.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scales<T> {
    /// At `--scale quick`.
    pub quick: Option<T>,
    /// At `--scale default`.
    pub default: Option<T>,
    /// At `--scale seed`.
    pub seed: Option<T>,
}

impl<T> Scales<T> {
    /// The table of `scale`, if any.
    pub fn get(&self, scale: Scale) -> Option<&T> {
        match scale {
            Scale::Quick => self.quick.as_ref(),
            Scale::Default => self.default.as_ref(),
            Scale::Seed => self.seed.as_ref(),
        }
    }

    /// The table of `scale`, if any, to change.
    fn get_mut(&mut self, scale: Scale) -> Option<&mut T> {
        match scale {
            Scale::Quick => self.quick.as_mut(),
            Scale::Default => self.default.as_mut(),
            Scale::Seed => self.seed.as_mut(),
        }
    }
}

/// `[[grid]]`: lists whose product is the block's scenarios — the one form
/// of a grid, written in an experiment file or made from `iolab run`'s
/// flags ([`super::flags`]). Every key is a list; a key left out takes its
/// default. `[grid.scale.<name>]` replaces keys of this block at one scale.
/// Besides these fields, a block holds the lists of the registered
/// strategies' and workloads' knobs ([`RawGrid::knobs`]), whose keys and
/// defaults are their descriptions'.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrid {
    /// A label for messages.
    pub name: Option<String>,
    /// Scales the block runs at. Default: all.
    pub scales: Option<List<Scale>>,
    /// Add the sequential baseline of every scenario. Default: true.
    pub baseline: Option<bool>,
    /// Workloads (required).
    pub workload: Option<List<String>>,
    /// Variants; each applies to the workloads that have it.
    pub variant: Option<List<String>>,
    /// Strategies. Default: `["sequential"]`.
    pub strategy: Option<List<String>>,
    /// Cache states. Default: `["warm"]`.
    pub cache: Option<List<CacheState>>,
    /// Kill the worker processes at this percentage of tasks (atomic-save
    /// with processes or nested); 0 runs to the end. Default: `[0]`.
    pub kill_at: Option<List<u32>>,
    /// Run per-file workloads (write, read, copy, atomic-save) on the first
    /// this-many corpus files only. Default: all files.
    pub first_files: Option<List<u32>>,
    /// The state of the scratch filesystem each repetition starts from,
    /// each policy a scenario of its own. Default: the default policy
    /// ([`crate::corpus::ScratchPolicy::default`]).
    pub scratch_policy: Option<List<crate::corpus::ScratchPolicy>>,
    /// Before each repetition, create this many empty files in the scratch
    /// folder, settle, and delete them just before the timed region
    /// (variant `+after-delete-N`). Default: no such step.
    pub after_deleting: Option<List<u32>>,
    /// The storages corpus and scratch are put on (`crate::storage`: each
    /// provided once per run, with its own corpus), each a scenario of its
    /// own; an emulated value brings its zero-latency twin. Default: the
    /// data folder as it is (`data-dir`).
    pub storage: Option<List<crate::storage::Storage>>,
    /// MPI rank counts swept in one job (`--ranks`): each scenario runs on
    /// ranks `0..n` of a sub-communicator while the others wait, each
    /// count a scenario of its own. Default: every rank the launcher
    /// started.
    pub ranks: Option<List<u32>>,
    /// Per-scale replacements of this block's keys.
    pub scale: Option<Spanned<Box<Scales<RawGrid>>>>,
    /// The lists of knobs (`workers`, `batch`, `chunk`, `append_lines`, a
    /// user workload's own), each key a registered strategy's or
    /// workload's knob: taken out of the document before serde reads the
    /// rest ([`knob_lists`]).
    #[serde(skip)]
    pub knobs: Vec<RawKnob>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::settings::Wait;

    fn source(text: &str) -> Source {
        Source {
            file: "x.toml".into(),
            path: PathBuf::from("x.toml"),
            text: text.into(),
            origin: Origin::File,
        }
    }

    #[test]
    fn places_count_lines_and_characters_from_one() {
        let s = source("a = 1\nbé = 2\n");
        assert_eq!(s.place(0).to_string(), "x.toml:1:1");
        let p = s.place(s.text.find('2').unwrap());
        assert_eq!(p.to_string(), "x.toml:2:6");
    }

    #[test]
    fn unknown_key_is_a_syntax_error_with_its_place() {
        let err = source("reps = 3\n[[grid]]\nworkload = [\"read\"]\nworkers = [2]\ncolour = 1\n")
            .parse()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("x.toml:5:1: unknown field `colour`"),
            "{text}"
        );
        assert!(text.contains("workers"), "lists allowed keys: {text}");
    }

    fn message(text: &str) -> String {
        source(text).parse().unwrap_err().to_string()
    }

    #[test]
    fn wrong_type_names_the_key_the_value_and_the_range() {
        assert_eq!(
            message("reps = 1.5\n"),
            "x.toml:1:8: reps = 1.5: expected an integer from 1 to 1000, \"auto\" (at most 30) or \"auto:MAX\" (MAX from 3 to 1000)"
        );
        assert!(message("reps = -2\n").starts_with("x.toml:1:8: reps = -2: expected an integer"));
        assert_eq!(
            message("warmup = -1\n"),
            "x.toml:1:10: warmup = -1: expected an integer from 0 to 100"
        );
        assert_eq!(
            message("settle = 5\n"),
            format!(
                "x.toml:1:10: settle = 5: expected {}, in quotes",
                Wait::Settle.allowed()
            )
        );
        assert_eq!(
            message("[corpus]\nfiles = 2.5\n"),
            "x.toml:2:9: [corpus] files = 2.5: expected an integer from 1 to 10000000"
        );
    }

    #[test]
    fn wrong_type_inside_a_grid_block_names_the_block() {
        let grid = "[[grid]]\nworkload = [\"read\"]\n";
        assert_eq!(
            message(&format!("{grid}workers = [2, \"x\"]\n")),
            "x.toml:3:15: [[grid]] workers = \"x\": expected an integer from 1 to 1024"
        );
        assert_eq!(
            message(&format!("{grid}workers = 4\n")),
            "x.toml:3:11: [[grid]] workers = 4: expected a list, each an integer from 1 to 1024, such as [4]"
        );
        assert_eq!(
            message(&format!("{grid}durability = [1]\n")),
            "x.toml:3:15: [[grid]] durability = 1: expected one of \"none\", \"end-sync\", \"each\" in quotes"
        );
        assert_eq!(
            message(&format!("{grid}baseline = 1\n")),
            "x.toml:3:12: [[grid]] baseline = 1: expected true or false"
        );
        assert_eq!(
            message(&format!("{grid}chunk = [4096]\n")),
            "x.toml:3:10: [[grid]] chunk = 4096: expected a size in quotes from 1 byte to 1GiB, such as \"64KiB\""
        );
        assert_eq!(
            message(&format!("{grid}[grid.scale.quick]\nreads = [\"many\"]\n")),
            "x.toml:4:10: [[grid]] [scale.quick] reads = \"many\": expected an integer from 1 to 100000000"
        );
    }
}
