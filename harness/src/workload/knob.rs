//! Typed knobs of a user's workload: a [`Knob<T>`] declared once as a
//! `const`, listed in the workload's description by its [`Knob::desc`],
//! and read as a `T` with [`Run::knob`](super::Run::knob) — its key is
//! written once, so a misspelt key is a compile error (the const's name),
//! and its default is the description's.
//!
//! Owns: the typed handle and how each type reads a knob value. Does not
//! own: the description types ([`KnobDesc`], `crate::describe`), the values
//! of a scenario ([`Knobs`](super::Knobs)).

use std::marker::PhantomData;

use crate::describe::{KnobDesc, KnobKind, KnobValue};

/// A knob of a user's workload, typed: `Knob<u64>` (a count or a size),
/// `Knob<bool>` (a switch), `Knob<&'static str>` (a choice among names),
/// `Knob<String>` (free text). Declare it once as a `const`, list its
/// [`Knob::desc`] in the description's `knobs`, and read it with
/// [`Run::knob`](super::Run::knob):
///
/// ```
/// use iolab::describe::{VariantDesc, WorkloadDesc};
/// use iolab::lab::Knob;
///
/// const LEVEL: Knob<u64> = Knob::count("level", "6", 1, 9, "gzip compression level");
/// const FORMAT: Knob<&str> = Knob::choice("format", &["gzip", "zlib"], "gzip", "container");
///
/// const GZIP: WorkloadDesc = WorkloadDesc {
///     name: "gzip",
///     summary: "compress input file k",
///     variants: &[VariantDesc { name: "flate2", help: "flate2's encoder", needs: &[] }],
///     knobs: &[LEVEL.desc, FORMAT.desc],
///     reads: "one input file per task",
///     writes: "nothing",
///     verifies: "the compressed size",
/// };
/// // In a task: `let level: u64 = run.knob(LEVEL);` — 6 unless `--level` says otherwise.
/// assert_eq!(GZIP.knob("level").unwrap().default, "6");
/// ```
pub struct Knob<T> {
    /// The description listed in the workload's `knobs`: key (the flag is
    /// `--key` with `-` for `_`), kind and range, default, help.
    pub desc: KnobDesc,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Knob<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Knob<T> {}

impl<T> Knob<T> {
    const fn of(desc: KnobDesc) -> Knob<T> {
        Knob {
            desc,
            kind: PhantomData,
        }
    }

    /// This knob used by the named variants only (default: every variant).
    pub const fn for_variants(self, variants: &'static [&'static str]) -> Knob<T> {
        Knob::of(KnobDesc {
            variants,
            ..self.desc
        })
    }
}

const fn desc(
    key: &'static str,
    kind: KnobKind,
    default: &'static str,
    help: &'static str,
) -> KnobDesc {
    KnobDesc {
        key,
        kind,
        default,
        help,
        variants: &[],
    }
}

impl Knob<u64> {
    /// A whole number from `min` to `max`, `default` written as a user
    /// writes it (`"6"`).
    pub const fn count(
        key: &'static str,
        default: &'static str,
        min: u64,
        max: u64,
        help: &'static str,
    ) -> Knob<u64> {
        Knob::of(desc(key, KnobKind::Count { min, max }, default, help))
    }

    /// A byte size from `min` to `max`, a multiple of `multiple_of`,
    /// `default` written as a user writes it (`"64KiB"`).
    pub const fn size(
        key: &'static str,
        default: &'static str,
        (min, max, multiple_of): (u64, u64, u64),
        help: &'static str,
    ) -> Knob<u64> {
        Knob::of(desc(
            key,
            KnobKind::Size {
                min,
                max,
                multiple_of,
            },
            default,
            help,
        ))
    }
}

impl Knob<bool> {
    /// A switch, off unless given (`--key` on the command line).
    pub const fn switch(key: &'static str, help: &'static str) -> Knob<bool> {
        Knob::of(desc(key, KnobKind::Switch, "false", help))
    }
}

impl Knob<&'static str> {
    /// One of `names`, `default` among them.
    pub const fn choice(
        key: &'static str,
        names: &'static [&'static str],
        default: &'static str,
        help: &'static str,
    ) -> Knob<&'static str> {
        Knob::of(desc(key, KnobKind::Choice(names), default, help))
    }
}

impl Knob<String> {
    /// Free text.
    pub const fn text(
        key: &'static str,
        default: &'static str,
        help: &'static str,
    ) -> Knob<String> {
        Knob::of(desc(key, KnobKind::Text, default, help))
    }
}

/// A type a knob is read as: how it comes out of a checked knob value.
pub trait KnobType: Sized {
    /// The value as this type; `None` when the value is of another kind
    /// (not expected: values are checked against the description).
    fn of_value(desc: &KnobDesc, value: &KnobValue) -> Option<Self>;
}

impl KnobType for u64 {
    fn of_value(_: &KnobDesc, value: &KnobValue) -> Option<u64> {
        match value {
            KnobValue::Number(n) => Some(*n),
            KnobValue::Switch(_) | KnobValue::Text(_) => None,
        }
    }
}

impl KnobType for bool {
    fn of_value(_: &KnobDesc, value: &KnobValue) -> Option<bool> {
        match value {
            KnobValue::Switch(b) => Some(*b),
            KnobValue::Number(_) | KnobValue::Text(_) => None,
        }
    }
}

impl KnobType for String {
    fn of_value(_: &KnobDesc, value: &KnobValue) -> Option<String> {
        match value {
            KnobValue::Text(t) => Some(t.clone()),
            KnobValue::Number(_) | KnobValue::Switch(_) => None,
        }
    }
}

impl KnobType for &'static str {
    fn of_value(desc: &KnobDesc, value: &KnobValue) -> Option<&'static str> {
        let (KnobValue::Text(t), KnobKind::Choice(names)) = (value, desc.kind) else {
            return None;
        };
        names.iter().copied().find(|n| n == t)
    }
}
