//! What a workload or a strategy is, as data: its name, variants, knobs
//! (type, default, unit, help, allowed range), what it reads, writes and
//! verifies, and which strategy capabilities each variant needs.
//!
//! Each workload and strategy declares one description beside its code (a
//! `pub const DESCRIPTION`); everything else — command-line flags and help,
//! experiment-file validation, grid expansion, report labels and order,
//! tune's sweeps, the tables of `docs/workloads.md` — is derived from these descriptions,
//! so no list of names exists anywhere else. A user's own workload (the
//! library API) describes itself with the same types.
//!
//! Owns: the description types and the checks of a knob value against its
//! description. Does not own: building a workload or strategy from values
//! (each module's own `build`), or where values came from (flags, TOML keys).

use std::collections::BTreeMap;
use std::fmt;

/// A capability a strategy may lack and a workload variant may need.
///
/// A variant runs under a strategy when the strategy lacks none of the
/// capabilities the variant needs; otherwise the strategy's reason for
/// lacking it is the error shown before anything runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Tasks dispatched one by one by iolab (an external command has none).
    Tasks,
    /// Memory-mapped access: page faults, which only a thread can take.
    Mmap,
    /// `flock(2)`: a lock call the I/O backends do not offer, which would
    /// block an event loop.
    Flock,
    /// Plain blocking calls instead of the [`Io`](crate::io::Io) seam (a
    /// user's workload that calls `std::fs` or its own library): `tokio`
    /// runs such a task whole on its blocking pool, as `spawn_blocking`
    /// would; a ring cannot submit it.
    BlockingCalls,
    /// The kernel's `copy_file_range`.
    CopyFileRange,
    /// tokio's own I/O (`tokio::fs`, timers): a task that needs a tokio
    /// runtime on the thread that polls it. `tokio` has one; `sequential`,
    /// `threads`, `processes` and `nested` give each lane its own, made
    /// with the lane's reserved state, never per task; a ring cannot run
    /// it (its I/O would be tokio's blocking pool, not the ring's).
    TokioRuntime,
}

/// How a knob's value is written and which values are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnobKind {
    /// A byte size (`64KiB`, `1MiB`, `4096`), from `min` to `max` bytes,
    /// a multiple of `multiple_of` (1: any).
    Size {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
        /// Required divisor (1: any).
        multiple_of: u64,
    },
    /// A whole number from `min` to `max`.
    Count {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// On or off (a flag on the command line, a boolean in a file).
    Switch,
    /// Free text (a pattern, a command template).
    Text,
    /// One of a fixed list of names (`none`, `end-sync`, `each`).
    Choice(&'static [&'static str]),
}

/// One knob of a workload or strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnobDesc {
    /// The experiment-file key (`append_lines`); the flag is the key with
    /// `-` for `_` (`--append-lines`).
    pub key: &'static str,
    /// Type and allowed range.
    pub kind: KnobKind,
    /// The default, as a user writes it (`64KiB`, `10000`, `false`); empty
    /// when the knob has none (required, or derived from another knob).
    pub default: &'static str,
    /// One line of help: what it changes.
    pub help: &'static str,
    /// The variants that use it (empty: every variant).
    pub variants: &'static [&'static str],
}

/// One variant of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VariantDesc {
    /// Its name, as chosen with `--variant` or `variant = …`.
    pub name: &'static str,
    /// One line of help: what this variant does differently.
    pub help: &'static str,
    /// Strategy capabilities it needs (`Tasks` only where the variant has
    /// nothing but iolab's own tasks, as `noop`: an external command can do
    /// any other workload its own way).
    pub needs: &'static [Capability],
}

/// Everything the rest of iolab knows about a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadDesc {
    /// Its name (`atomic-save`): the `workload` column, `--workload`.
    pub name: &'static str,
    /// One line: what one task does.
    pub summary: &'static str,
    /// Its variants, the default first.
    pub variants: &'static [VariantDesc],
    /// Its knobs.
    pub knobs: &'static [KnobDesc],
    /// What it reads.
    pub reads: &'static str,
    /// What it writes.
    pub writes: &'static str,
    /// How a run's data is verified.
    pub verifies: &'static str,
}

/// Everything the rest of iolab knows about a strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub struct StrategyDesc {
    /// Its name (`io_uring`): the `strategy` column, `--strategy`.
    pub name: &'static str,
    /// Other names accepted for it (`io-uring`).
    pub aliases: &'static [&'static str],
    /// One line: how it schedules tasks.
    pub summary: &'static str,
    /// Its knobs, the worker count ([`crate::strategy::WORKERS`]) first
    /// where it takes one.
    pub knobs: &'static [KnobDesc],
    /// Capabilities it lacks, each with the reason shown to the user.
    pub lacks: &'static [(Capability, &'static str)],
    /// Whether its tasks run in worker processes iolab can kill mid-run
    /// without killing itself (the atomic-save crash experiment, `kill_at`).
    pub kills_workers: bool,
    /// The two `noop` task counts of its dispatch-cost calibration
    /// (`runner::calibrate`): many where a task costs tens of nanoseconds,
    /// fewer where each batch is a pipe round trip; `None` for a strategy
    /// with no tasks of iolab's to dispatch (an external command).
    pub calibration_tasks: Option<[u32; 2]>,
    /// Its colour (red, green, blue) in every chart and table of every
    /// report, so one strategy looks the same everywhere (the registered
    /// strategies use Okabe & Ito's colour-blind-safe palette).
    pub colour: (u8, u8, u8),
}

impl WorkloadDesc {
    /// The variant named `name`, if the workload has one.
    pub fn variant(&self, name: &str) -> Option<&'static VariantDesc> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// The default variant (the first).
    pub fn default_variant(&self) -> Option<&'static VariantDesc> {
        self.variants.first()
    }

    /// The knob keyed `key`, if the workload has one.
    pub fn knob(&self, key: &str) -> Option<&'static KnobDesc> {
        self.knobs.iter().find(|k| k.key == key)
    }
}

impl StrategyDesc {
    /// The knob keyed `key`, if the strategy has one.
    pub fn knob(&self, key: &str) -> Option<&'static KnobDesc> {
        self.knobs.iter().find(|k| k.key == key)
    }

    /// Whether `name` names this strategy (its name or an alias).
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Why this strategy cannot run `variant`, if it cannot: its reason
    /// for lacking the first capability the variant needs.
    pub fn refuses(&self, variant: &VariantDesc) -> Option<&'static str> {
        variant
            .needs
            .iter()
            .filter_map(|need| self.lacks.iter().find(|(c, _)| c == need))
            .map(|(_, why)| *why)
            .next()
    }
}

impl KnobDesc {
    /// The command-line flag: `--` and the key with `-` for `_`.
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// Whether `variant` uses this knob.
    pub fn used_by(&self, variant: &str) -> bool {
        self.variants.is_empty() || self.variants.contains(&variant)
    }

    /// Check a number against the knob's range.
    ///
    /// # Errors
    /// A `KnobError` naming the key, the value and what is allowed.
    pub fn check(&self, value: u64) -> Result<u64, KnobError> {
        let ok = match self.kind {
            KnobKind::Size {
                min,
                max,
                multiple_of,
            } => (min..=max).contains(&value) && value.is_multiple_of(multiple_of.max(1)),
            KnobKind::Count { min, max } => (min..=max).contains(&value),
            KnobKind::Switch | KnobKind::Text | KnobKind::Choice(_) => true,
        };
        if ok {
            Ok(value)
        } else {
            Err(KnobError {
                key: self.key,
                value: value.to_string(),
                allowed: self.kind.to_string(),
            })
        }
    }
}

impl fmt::Display for KnobKind {
    /// What is allowed, for errors and help: `allowed 1 to 1024`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KnobKind::Size {
                min,
                max,
                multiple_of,
            } => {
                write!(f, "allowed {} to {}", bytes(min), bytes(max))?;
                if multiple_of > 1 {
                    write!(f, ", a multiple of {multiple_of}")?;
                }
                Ok(())
            }
            KnobKind::Count { min, max } => write!(f, "allowed {min} to {max}"),
            KnobKind::Switch => write!(f, "true or false"),
            KnobKind::Text => write!(f, "any text"),
            KnobKind::Choice(names) => write!(f, "allowed: {}", names.join(", ")),
        }
    }
}

/// A byte count in the units a user writes (`1 byte`, `64KiB`, `1GiB`).
fn bytes(n: u64) -> String {
    if n == 1 {
        return "1 byte".into();
    }
    in_units(n).unwrap_or_else(|| n.to_string())
}

/// `n` in the largest binary unit that divides it (`64KiB`, `4MiB`,
/// `1GiB`); `None` below 1 KiB or when no unit divides it. Shared by
/// knob ranges and workload labels.
#[doc(hidden)]
pub fn in_units(n: u64) -> Option<String> {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    UNITS
        .iter()
        .find(|(unit, _)| n >= *unit && n.is_multiple_of(*unit))
        .map(|(unit, name)| format!("{}{name}", n / unit))
}

/// A knob value that cannot be used, with what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {allowed}")]
#[doc(hidden)]
pub struct KnobError {
    /// The knob's key.
    pub key: &'static str,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub allowed: String,
}

/// A knob's value as given (a flag, a TOML element), before the knob's
/// own build takes it. Serializable (untagged) because a user workload's
/// knob values travel to its worker processes ([`mod@crate::lab`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KnobValue {
    /// A size in bytes or a count.
    Number(u64),
    /// On or off.
    Switch(bool),
    /// Text.
    Text(String),
}

/// The knob values given for one workload or strategy, by key; a knob not
/// given takes its description's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[doc(hidden)]
pub struct KnobValues {
    values: BTreeMap<String, KnobValue>,
    /// Seed of anything random a workload does (`--seed`).
    pub seed: u64,
}

impl KnobValues {
    /// No values (every knob at its default), with `seed`.
    pub fn seeded(seed: u64) -> KnobValues {
        KnobValues {
            values: BTreeMap::new(),
            seed,
        }
    }

    /// Give knob `key` the value `value`.
    pub fn set(&mut self, key: &str, value: KnobValue) {
        self.values.insert(key.to_string(), value);
    }

    /// The value given for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&KnobValue> {
        self.values.get(key)
    }

    /// The keys given.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A number knob: the value given, checked against the knob's range,
    /// or its default.
    ///
    /// # Errors
    /// A value out of range, or a knob with neither value nor default.
    pub fn number(&self, knob: &KnobDesc) -> Result<u64, KnobError> {
        match self.get(knob.key) {
            Some(KnobValue::Number(n)) => knob.check(*n),
            Some(other) => Err(knob.error(other, "a number")),
            None => knob.default_number().ok_or_else(|| KnobError {
                key: knob.key,
                value: "nothing".into(),
                allowed: format!("a value is required ({})", knob.kind),
            }),
        }
    }

    /// A number knob that fits in `u32` by its range.
    ///
    /// # Errors
    /// As [`KnobValues::number`].
    pub fn count(&self, knob: &KnobDesc) -> Result<u32, KnobError> {
        let n = self.number(knob)?;
        u32::try_from(n).map_err(|_| knob.error(&KnobValue::Number(n), "a count below 2^32"))
    }

    /// A size knob as `usize`.
    ///
    /// # Errors
    /// As [`KnobValues::number`].
    pub fn size(&self, knob: &KnobDesc) -> Result<usize, KnobError> {
        let n = self.number(knob)?;
        usize::try_from(n)
            .map_err(|_| knob.error(&KnobValue::Number(n), "a size this machine can hold"))
    }

    /// A switch knob: the value given, or its default.
    ///
    /// # Errors
    /// A value that is not on or off.
    pub fn switch(&self, knob: &KnobDesc) -> Result<bool, KnobError> {
        match self.get(knob.key) {
            Some(KnobValue::Switch(b)) => Ok(*b),
            Some(other) => Err(knob.error(other, "true or false")),
            None => Ok(knob.default == "true"),
        }
    }

    /// A text knob: the value given, or its default (`None` when it has
    /// neither, or the text is blank).
    ///
    /// # Errors
    /// A value that is not text.
    pub fn text(&self, knob: &KnobDesc) -> Result<Option<String>, KnobError> {
        let text = match self.get(knob.key) {
            Some(KnobValue::Text(t)) => t.clone(),
            Some(other) => return Err(knob.error(other, "text")),
            None => knob.default.to_string(),
        };
        Ok(Some(text).filter(|t| !t.trim().is_empty()))
    }
}

impl KnobValues {
    /// A choice knob: the name given, checked against the knob's list, or
    /// its default.
    ///
    /// # Errors
    /// A name not in the list, or a value that is not text.
    pub fn choice(&self, knob: &KnobDesc) -> Result<&'static str, KnobError> {
        match self.get(knob.key) {
            Some(KnobValue::Text(t)) => knob.check_choice(t),
            Some(other) => Err(knob.error(other, "a name")),
            None => knob.check_choice(knob.default),
        }
    }
}

impl fmt::Display for KnobValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobValue::Number(n) => write!(f, "{n}"),
            KnobValue::Switch(b) => write!(f, "{b}"),
            KnobValue::Text(t) => write!(f, "{t:?}"),
        }
    }
}

impl KnobDesc {
    /// The default of a number knob, in bytes or as a count (`64KiB` is
    /// 65536); `None` when the knob has no numeric default.
    pub fn default_number(&self) -> Option<u64> {
        let t = self.default.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let factor: u64 = match unit {
            "" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => return None,
        };
        number.parse::<u64>().ok()?.checked_mul(factor)
    }

    /// Check a name against a choice knob's list (any text for other kinds
    /// is refused: they are not chosen by name).
    ///
    /// # Errors
    /// A `KnobError` naming the key, the name and the allowed names.
    pub fn check_choice(&self, name: &str) -> Result<&'static str, KnobError> {
        let names: &'static [&'static str] = match self.kind {
            KnobKind::Choice(names) => names,
            KnobKind::Size { .. } | KnobKind::Count { .. } | KnobKind::Switch | KnobKind::Text => {
                &[]
            }
        };
        names
            .iter()
            .copied()
            .find(|n| *n == name)
            .ok_or_else(|| KnobError {
                key: self.key,
                value: name.to_string(),
                allowed: self.kind.to_string(),
            })
    }

    /// The error for `value` given to this knob, which wanted `wanted`.
    fn error(&self, value: &KnobValue, wanted: &str) -> KnobError {
        KnobError {
            key: self.key,
            value: value.to_string(),
            allowed: format!("{wanted}, {}", self.kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIX: StrategyDesc = StrategyDesc {
        name: "ring",
        aliases: &["uring"],
        summary: "",
        knobs: &[],
        lacks: &[(Capability::Mmap, "page faults are not operations")],
        kills_workers: false,
        calibration_tasks: None,
        colour: (0, 0, 0),
    };

    #[test]
    fn a_strategy_refuses_exactly_the_variants_needing_what_it_lacks() {
        let mapped = VariantDesc {
            name: "mmap",
            help: "",
            needs: &[Capability::Mmap],
        };
        let plain = VariantDesc {
            needs: &[],
            ..mapped
        };
        assert_eq!(
            UNIX.refuses(&mapped),
            Some("page faults are not operations")
        );
        assert_eq!(UNIX.refuses(&plain), None);
        assert!(UNIX.is_named("uring") && !UNIX.is_named("threads"));
    }

    #[test]
    fn knob_ranges_name_the_key_and_the_allowed_values() {
        let block = KnobDesc {
            key: "block",
            kind: KnobKind::Size {
                min: 4096,
                max: 64 << 20,
                multiple_of: 4096,
            },
            default: "4KiB",
            help: "",
            variants: &[],
        };
        assert_eq!(block.check(8192), Ok(8192));
        let err = block.check(5000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "block = 5000: allowed 4KiB to 64MiB, a multiple of 4096"
        );
        assert_eq!(block.flag(), "--block");
        assert_eq!(block.default_number(), Some(4096));
        let mut given = KnobValues::seeded(1);
        assert_eq!(given.number(&block), Ok(4096));
        given.set("block", KnobValue::Number(5000));
        assert!(given.number(&block).is_err());
        given.set("block", KnobValue::Switch(true));
        assert!(given.number(&block).is_err());
    }
}
