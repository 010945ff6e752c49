//! How strategies are registered. Each strategy appears once, in the
//! `strategies!` invocation in `strategy/mod.rs`: a type in the module holding
//! its code that implements [`StrategyBuild`] (its description and how it
//! is built from a worker count and knob values). The macro generates the
//! [`StrategyKind`] name enum; name lookups ([`describe`], [`kind`],
//! [`build`]) go through the descriptions, aliases included.
//!
//! Owns: registration, lookup by name, the worker-count knob. Does not own:
//! running a strategy (`local`, `process`, `command`) or where names and
//! values came from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Strategy, StrategyKind};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};

/// Largest worker count, threads per process, or queue depth accepted.
pub const MAX_WORKERS: u32 = 1024;

/// The range of a worker or thread count.
pub const WORKER_COUNT: KnobKind = KnobKind::Count {
    min: 1,
    max: MAX_WORKERS as u64,
};

/// The worker count every strategy but `sequential` takes: threads,
/// processes, tasks in flight, queue depth.
pub const WORKERS: KnobDesc = KnobDesc {
    key: "workers",
    kind: WORKER_COUNT,
    default: "4",
    help: "concurrency: threads, processes, tasks in flight or ring depth",
    variants: &[],
};

/// What each strategy implements beside its code.
pub(crate) trait StrategyBuild {
    /// The strategy's description.
    const DESCRIPTION: StrategyDesc;

    /// The strategy at concurrency `workers` (already checked) with `knobs`.
    ///
    /// # Errors
    /// A knob value out of range, or a required knob missing.
    fn build(workers: u32, knobs: &KnobValues) -> Result<Strategy, KnobError>;
}

macro_rules! strategies {
    ($( $(#[$doc:meta])* $Variant:ident = $Build:ty, )*) => {
        /// Which strategy, without its knobs: the `strategy` column of the
        /// results (its text is the description's name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StrategyKind {
            $( $(#[$doc])* $Variant, )*
        }

        impl StrategyKind {
            /// Every strategy, in registration order.
            pub const ALL: &'static [StrategyKind] = &[$(StrategyKind::$Variant),*];

            /// Its description.
            pub fn desc(self) -> &'static $crate::describe::StrategyDesc {
                match self {
                    $(StrategyKind::$Variant => &<$Build as StrategyBuild>::DESCRIPTION,)*
                }
            }

            fn build_with(self, workers: u32, knobs: &$crate::describe::KnobValues) -> Result<Strategy, $crate::describe::KnobError> {
                match self {
                    $(StrategyKind::$Variant => <$Build as StrategyBuild>::build(workers, knobs),)*
                }
            }
        }

        impl Strategy {
            /// Which strategy this is.
            pub fn kind(&self) -> StrategyKind {
                match self {
                    $(Strategy::$Variant { .. } => StrategyKind::$Variant,)*
                }
            }
        }
    };
}

impl StrategyKind {
    /// Its name (the CSV text).
    pub fn name(self) -> &'static str {
        self.desc().name
    }
}

impl Default for StrategyKind {
    /// `sequential`, every scenario's baseline: what a row built in memory
    /// names before its scenario fills it in.
    fn default() -> StrategyKind {
        StrategyKind::Sequential
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StrategyKind {
    type Err = KnobError;

    fn from_str(name: &str) -> Result<StrategyKind, KnobError> {
        kind(name).ok_or_else(|| KnobError {
            key: "strategy",
            value: name.to_string(),
            allowed: format!("allowed: {}", names().join(", ")),
        })
    }
}

impl Serialize for StrategyKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for StrategyKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StrategyKind, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The strategy named `name` (or one of its aliases), if one is registered.
pub fn kind(name: &str) -> Option<StrategyKind> {
    StrategyKind::ALL
        .iter()
        .copied()
        .find(|k| k.desc().is_named(name))
}

/// The description of the strategy named `name`, if one is registered.
pub fn describe(name: &str) -> Option<&'static StrategyDesc> {
    kind(name).map(StrategyKind::desc)
}

/// Every registered strategy's description, in registration order.
pub fn descriptions() -> Vec<&'static StrategyDesc> {
    StrategyKind::ALL.iter().map(|k| k.desc()).collect()
}

/// Every registered strategy's name, in registration order.
pub fn names() -> Vec<&'static str> {
    descriptions().into_iter().map(|d| d.name).collect()
}

/// Build the strategy named `name` at concurrency `workers` (ignored by
/// `sequential`) with `knobs`.
///
/// # Errors
/// An unknown name, a count out of range, or a required knob missing.
pub fn build(name: &str, workers: u32, knobs: &KnobValues) -> Result<Strategy, KnobError> {
    let kind: StrategyKind = name.parse()?;
    let workers = WORKERS.check(u64::from(workers))? as u32;
    kind.build_with(workers, knobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_builds_under_its_name_and_aliases() {
        let mut knobs = KnobValues::default();
        knobs.set("command", crate::describe::KnobValue::Text("true".into()));
        for kind in StrategyKind::ALL {
            let desc = kind.desc();
            for name in std::iter::once(&desc.name).chain(desc.aliases) {
                let s = build(name, 2, &knobs).unwrap();
                assert_eq!(s.kind(), *kind);
                assert_eq!(s.name(), desc.name);
                let json = serde_json::to_value(&s).unwrap();
                assert_eq!(
                    json["strategy"].as_str().map(|t| t.replace('-', "_")),
                    Some(desc.name.to_string()),
                    "serde tag = description name"
                );
            }
            assert_eq!(desc.name.parse::<StrategyKind>().unwrap(), *kind);
        }
        let err = build("threads", 0, &knobs).unwrap_err();
        assert_eq!(err.key, "workers");
        let err = build("command", 2, &KnobValues::default()).unwrap_err();
        assert_eq!(err.key, "command");
        assert!("fibers".parse::<StrategyKind>().is_err());
    }
}
