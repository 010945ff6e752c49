//! Column groups that more than one results type shares, each listed once:
//! the scenario's identity (the columns that say which scenario a row
//! measured, the same in `runs.csv` and `summary.csv`) and, in `runs.csv`,
//! the kernel's vmstat counters (listed in `sys::kernel::vm_counters!`).
//!
//! A row type is declared with [`row_type!`], which writes the group's
//! columns where the declaration says `..ScenarioIdentity,` (and
//! `..VmCounts,`). The columns stay plain fields of the row: the `csv`
//! crate writes a header only for flat structs (a map, which is what
//! `#[serde(flatten)]` serializes to, is refused), and reads a flattened
//! struct through serde's untyped buffer, where an empty cell is not
//! `None` and a number-like text is not a `String`; so the groups are
//! spliced in at compile time instead, keeping every file's columns and
//! their order.
//!
//! Owns: which columns each group has and their order. Does not own the
//! other columns (`row`, `summary`).

use serde::{Deserialize, Serialize};

/// Declare a row type whose fields are its own plus the scenario identity's
/// (where it writes `..ScenarioIdentity,`) and, for a row with a trailing
/// vmstat table (`sys::kernel::vm_counters!` calls this macro with it),
/// the kernel counters as `Option<u64>` columns (where it writes
/// `..VmCounts,`).
///
/// Each row type gets `identity()` (its identity columns as a
/// [`ScenarioIdentity`](super::ScenarioIdentity)) and `from_identity()`
/// (a row with those columns set and the others at their defaults); a row
/// with the counters gets `set_vm_counts()`.
macro_rules! row_type {
    // The identity itself: the group's columns alone.
    (@identity [$($(#[$im:meta])* $if:ident: $it:ty,)*]
        $(#[$meta:meta])*
        pub struct ScenarioIdentity;
    ) => {
        $(#[$meta])*
        pub struct ScenarioIdentity {
            $($(#[$im])* pub $if: $it,)*
        }
    };
    // A row with the identity and the vmstat counters.
    (@identity [$($(#[$im:meta])* $if:ident: $it:ty,)*]
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$am:meta])* pub $af:ident: $at:ty,)*
            ..ScenarioIdentity,
            $($(#[$bm:meta])* pub $bf:ident: $bt:ty,)*
            ..VmCounts,
            $($(#[$cm:meta])* pub $cf:ident: $ct:ty,)*
        }
        [$($(#[$vm:meta])* $vf:ident: [$($vs:literal),+],)*]
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$am])* pub $af: $at,)*
            $($(#[$im])* pub $if: $it,)*
            $($(#[$bm])* pub $bf: $bt,)*
            $(
                $(#[$vm])*
                ///
                /// Machine-wide, over the timed region; empty in files from
                /// before the column.
                #[serde(default)]
                pub $vf: Option<u64>,
            )*
            $($(#[$cm])* pub $cf: $ct,)*
        }

        $crate::results::columns::row_type!(@methods $name [$($if)*]);

        impl $name {
            /// Set the vmstat columns from what the region added to them.
            pub fn set_vm_counts(&mut self, counts: &$crate::sys::kernel::VmCounts) {
                $(self.$vf = Some(counts.$vf);)*
            }
        }
    };
    // A row with the identity only.
    (@identity [$($(#[$im:meta])* $if:ident: $it:ty,)*]
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$am:meta])* pub $af:ident: $at:ty,)*
            ..ScenarioIdentity,
            $($(#[$bm:meta])* pub $bf:ident: $bt:ty,)*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$am])* pub $af: $at,)*
            $($(#[$im])* pub $if: $it,)*
            $($(#[$bm])* pub $bf: $bt,)*
        }

        $crate::results::columns::row_type!(@methods $name [$($if)*]);
    };
    (@methods $name:ident [$($if:ident)*]) => {
        impl $name {
            /// The columns that say which scenario this row is about.
            pub fn identity(&self) -> $crate::results::ScenarioIdentity {
                $crate::results::ScenarioIdentity {
                    $($if: self.$if.clone(),)*
                }
            }

            /// A row of the scenario `identity`, every other column at its
            /// default.
            pub fn from_identity(identity: $crate::results::ScenarioIdentity) -> Self {
                Self {
                    $($if: identity.$if,)*
                    ..Self::default()
                }
            }
        }
    };
    // Entry: the identity's columns, listed once, go first.
    ($($input:tt)*) => {
        $crate::results::columns::row_type!(@identity [
            /// Scenario identifier (`workload/variant/strategy/cache`).
            scenario_id: String,
            /// Scenario identifier of its sequential baseline.
            baseline_id: String,
            /// Experiment it came from.
            experiment: String,
            /// Workload (its name in the file).
            workload: $crate::workload::WorkloadId,
            /// Workload variant and knobs.
            variant: String,
            /// Strategy (its name in the file).
            strategy: $crate::strategy::StrategyKind,
            /// Strategy with knobs, as displayed.
            strategy_label: String,
            /// The program an external `command` strategy ran (`append_lock`,
            /// `cp`: [`crate::strategy::command_name`] of its template); `None`
            /// (an empty cell) for the other strategies. Files from before the
            /// column get it from the scenario id when loaded
            /// ([`crate::results::load`]).
            #[serde(default)]
            program: Option<String>,
            /// Total concurrency (tasks in flight).
            workers: u32,
            /// Worker processes (1 for in-process strategies).
            processes: u32,
            /// Threads per process, or blocking-pool threads for tokio (1 otherwise).
            threads: u32,
            /// Tasks per message to worker processes (0: even split; empty otherwise).
            batch: Option<u32>,
            /// The workload's chunk or buffer size in bytes, where it has one.
            chunk_bytes: Option<u64>,
            /// What had to be on disk when the timed region closed (`none`,
            /// `end-sync`, `each`) for the workloads that write files; empty for
            /// the others and in files from before the column.
            #[serde(default)]
            durability: String,
            /// The scratch policy the repetitions started from (`delete-before`,
            /// `delete-after`, `rotate`, `fresh-fs`); empty in files from before
            /// the column.
            #[serde(default)]
            scratch_policy: String,
            /// The storage the corpus and scratch were on (`data-dir`,
            /// `tmpfs`, `xfs`, `emulated:lat=1ms,meta=1ms,qd=16`: its
            /// canonical text, [`crate::storage::Storage`]); `data-dir` in
            /// files from before the column.
            #[serde(default)]
            storage: $crate::storage::Storage,
            /// Requested cache state.
            cache: $crate::measure::cache::CacheState,
        ] $($input)*);
    };
}
pub(crate) use row_type;

row_type! {
    /// The columns that say which scenario a row measured: the same, in
    /// the same order, in `runs.csv` (after `run_id`) and `summary.csv`
    /// (first).
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    pub struct ScenarioIdentity;
}
