//! How strategies are registered. Each strategy appears once, in the
//! `strategies!` invocation in `strategy/mod.rs`: a spec type in the module
//! holding its code that implements [`StrategySpec`] (its description, how
//! it is built from knob values, its facts — slug, label, [`Shape`] — and how
//! it runs). The macro generates the [`Strategy`] enum (the form `run.json`
//! records), the [`StrategyKind`] name enum and the dispatch to each spec,
//! so no `match` over strategies exists anywhere else; name lookups
//! ([`describe`], [`kind`], [`build`]) go through the descriptions,
//! aliases included.
//!
//! Owns: registration, dispatch, lookup by name, the worker-count knob.
//! Does not own: running a strategy (`local`, `process`, `command`) or where
//! names and values came from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Execution, Job, Strategy, StrategyError, StrategyKind};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};
use crate::workload::Workload;

/// Largest worker count, threads per process, or queue depth accepted.
pub const MAX_WORKERS: u32 = 1024;

/// The range of a worker or thread count.
pub const WORKER_COUNT: KnobKind = KnobKind::Count {
    min: 1,
    max: MAX_WORKERS as u64,
};

/// The worker count: threads, processes, tasks in flight, queue depth. Every
/// strategy but `sequential` lists it among its knobs.
pub const WORKERS: KnobDesc = KnobDesc {
    key: "workers",
    kind: WORKER_COUNT,
    default: "4",
    help: "concurrency: threads, processes, tasks in flight or ring depth",
    variants: &[],
};

/// The counts a strategy with its knob values runs at, as results record
/// them: every strategy states each of them (its spec's `shape`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Tasks that can be in flight at once.
    pub workers: u32,
    /// Worker processes it starts (1 for in-process strategies).
    pub processes: u32,
    /// Threads per process: pool threads, or tokio's blocking threads.
    pub threads_per_process: u32,
    /// Tasks per message to worker processes (`None` without messages).
    pub batch: Option<u32>,
    /// The program an external command runs (`None` for the strategies
    /// iolab runs itself).
    pub program: Option<String>,
}

impl Shape {
    /// A strategy of this process alone: `workers` in flight on
    /// `threads_per_process` threads, no messages, no program.
    pub fn in_process(workers: u32, threads_per_process: u32) -> Shape {
        Shape {
            workers,
            processes: 1,
            threads_per_process,
            batch: None,
            program: None,
        }
    }
}

/// What each strategy implements beside its code: the registry dispatches
/// every [`Strategy`] method to it. Every method but [`StrategySpec::refuses`]
/// is required, so a strategy states each of its facts.
pub(crate) trait StrategySpec: Sized + fmt::Display {
    /// The strategy's description.
    const DESCRIPTION: StrategyDesc;

    /// The strategy from `knobs` (a knob not given takes its description's
    /// default).
    ///
    /// # Errors
    /// A knob value out of range, or a required knob missing.
    fn build(knobs: &KnobValues) -> Result<Self, KnobError>;

    /// The strategy with its knobs as a path-safe slug, part of scenario
    /// ids: `threads-4`, `nested-2x4-b16`.
    fn slug(&self) -> String;

    /// Its counts.
    fn shape(&self) -> Shape;

    /// Run all tasks of the job's workload, timed, then verify evidence;
    /// with `kill_after`, kill the workers once that many tasks have
    /// finished (only strategies whose description says `kills_workers`
    /// get it).
    ///
    /// # Errors
    /// [`StrategyError::Unavailable`] when the platform lacks what the
    /// strategy needs; [`StrategyError::Failed`] when its machinery broke.
    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError>;

    /// Why it cannot run `workload`, beyond the capabilities its
    /// description lacks (a knob value it cannot honour), if it cannot.
    fn refuses(&self, _workload: &Workload) -> Option<String> {
        None
    }
}

/// Generate [`Strategy`], [`StrategyKind`] and the dispatch from the
/// registration list in `strategy/mod.rs`. An entry may be `#[cfg(test)]`.
macro_rules! strategies {
    ($( $(#[doc = $doc:literal])* $(#[cfg($cfg:meta)])? $Variant:ident($Spec:ty), )*) => {
        /// A scheduling strategy with its knobs: the form `run.json` records
        /// (`{"strategy": "threads", "workers": 4}`).
        #[derive(Clone, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "strategy", rename_all = "kebab-case")]
        pub enum Strategy {
            $( $(#[doc = $doc])* $(#[cfg($cfg)])? $Variant($Spec), )*
        }

        /// Which strategy, without its knobs: the `strategy` column of the
        /// results (its text is the description's name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StrategyKind {
            $( $(#[doc = $doc])* $(#[cfg($cfg)])? $Variant, )*
        }

        impl StrategyKind {
            /// Every strategy, in registration order.
            pub const ALL: &'static [StrategyKind] = &[$( $(#[cfg($cfg)])? StrategyKind::$Variant, )*];

            /// Its description.
            pub fn desc(self) -> &'static $crate::describe::StrategyDesc {
                match self {
                    $( $(#[cfg($cfg)])? StrategyKind::$Variant => &<$Spec as StrategySpec>::DESCRIPTION, )*
                }
            }

            fn build_with(self, knobs: &$crate::describe::KnobValues) -> Result<Strategy, $crate::describe::KnobError> {
                match self {
                    $( $(#[cfg($cfg)])? StrategyKind::$Variant => <$Spec as StrategySpec>::build(knobs).map(Strategy::$Variant), )*
                }
            }
        }

        impl Strategy {
            /// Which strategy this is.
            pub fn kind(&self) -> StrategyKind {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(_) => StrategyKind::$Variant, )*
                }
            }

            /// The strategy with its knobs as a path-safe slug, part of
            /// scenario ids: `threads-4`, `nested-2x4-b16`.
            pub fn slug(&self) -> String {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(s) => StrategySpec::slug(s), )*
                }
            }

            /// Its counts (workers, processes, threads, batch, program).
            pub fn shape(&self) -> $crate::strategy::Shape {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(s) => StrategySpec::shape(s), )*
                }
            }

            fn run(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(s) => StrategySpec::execute(s, job), )*
                }
            }

            fn refused_by_spec(&self, workload: &$crate::workload::Workload) -> Option<String> {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(s) => StrategySpec::refuses(s, workload), )*
                }
            }
        }

        impl ::std::fmt::Display for Strategy {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $( $(#[cfg($cfg)])? Strategy::$Variant(s) => ::std::fmt::Display::fmt(s, f), )*
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

/// Build the strategy named `name` from `knobs` (each knob not given,
/// the worker count among them, at its description's default).
///
/// # Errors
/// An unknown name, a count out of range, or a required knob missing.
pub fn build(name: &str, knobs: &KnobValues) -> Result<Strategy, KnobError> {
    let kind: StrategyKind = name.parse()?;
    kind.build_with(knobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_builds_under_its_name_and_aliases() {
        use crate::describe::KnobValue;
        let mut knobs = KnobValues::default();
        knobs.set("command", KnobValue::Text("true".into()));
        knobs.set("workers", KnobValue::Number(2));
        for kind in StrategyKind::ALL {
            let desc = kind.desc();
            for name in std::iter::once(&desc.name).chain(desc.aliases) {
                let s = build(name, &knobs).unwrap();
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
        knobs.set("workers", KnobValue::Number(0));
        let err = build("threads", &knobs).unwrap_err();
        assert_eq!(err.key, "workers");
        let threads = build("threads", &KnobValues::default()).unwrap();
        assert_eq!(threads.workers(), 4, "the description's default");
        let err = build("command", &KnobValues::default()).unwrap_err();
        assert_eq!(err.key, "command");
        assert!("fibers".parse::<StrategyKind>().is_err());
    }
}
