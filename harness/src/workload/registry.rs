//! The machinery of the one list of workloads. Each workload appears once,
//! in the `workloads!` invocation in `workload/mod.rs`: its spec type, which implements
//! [`WorkloadSpec`] in the workload's own module (description, build from
//! a variant name and knob values, the task's work, its verification). The
//! macro generates the [`Workload`] enum (the serialized form worker
//! processes receive), its dispatch to each spec, and the [`WorkloadKind`]
//! name enum. Name lookups ([`describe`], [`kind`], [`build`]) go through
//! the descriptions, so no list of names exists anywhere else.
//!
//! Owns: registration, dispatch, lookup by name, picking a variant. Does not
//! own: what a workload does (its module) or where names and values came
//! from (the command line, experiment files).

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::runner::TaskRunner;
use super::{Kept, Reads, RunCheck, Shared, TaskContext, Tasks, Workload, WorkloadKind};
use crate::corpus::Corpus;
use crate::describe::{Capability, KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::Io;

/// What each workload's spec implements, in its own module: the registry
/// dispatches every [`Workload`] method to it. Its per-task part is its
/// [`TaskRunner`].
pub(crate) trait WorkloadSpec: TaskRunner + Sized {
    /// The workload's description.
    const DESCRIPTION: WorkloadDesc;

    /// Build the spec of `variant` (a name of [`Self::DESCRIPTION`]'s
    /// variants) from `knobs`.
    ///
    /// # Errors
    /// A knob value out of its range.
    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError>;

    /// The name of the spec's variant.
    fn variant(&self) -> &'static str;

    /// The variant and knobs, as a short label (`chunk=64KiB,fsync`).
    fn label(&self) -> String;

    /// The chunk or buffer size knob in bytes, where the variant has one.
    fn chunk_bytes(&self) -> Option<u64>;

    /// What must be on disk when the timed region closes, for the
    /// workloads that write (`None`: the workload has no such knob).
    fn durability(&self) -> Option<super::Durability> {
        None
    }

    /// What its tasks take: one corpus file each, parts of the large
    /// file, or a count of their own.
    fn tasks(&self) -> Tasks;

    /// What of the corpus it reads: the files whose cache state a
    /// repetition sets, and whether a user's input set can stand for it.
    const READS: Reads;

    /// Files whose cache state the repetition controls ([`Self::READS`]).
    fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        Self::READS.inputs(ctx)
    }

    /// Why it cannot run on a user's read-only input set (`--input`), from
    /// [`Self::READS`]; `None` for a workload that only reads its tasks' files.
    fn input_set_refusal(&self) -> Option<String> {
        Self::READS.input_set_refusal(Self::DESCRIPTION.name)
    }

    /// Whether its tasks leave [`Evidence`](super::Evidence).
    fn keeps_evidence(&self) -> bool;

    /// Why it cannot run on this machine, if it cannot (checked on the corpus).
    fn unavailable(&self, _ctx: &TaskContext) -> Option<String> {
        None
    }

    /// Make the scratch state a repetition starts from.
    ///
    /// # Errors
    /// I/O errors, with the path.
    fn setup_repetition(&self, _ctx: &TaskContext) -> io::Result<()> {
        Ok(())
    }

    /// Setup that needs every rank's: run once every rank has made its
    /// scratch state and the ranks have met, before settle (the
    /// read-back workloads write here what the ranks will read).
    ///
    /// # Errors
    /// I/O errors, with the path.
    fn setup_after_barrier(&self, _ctx: &TaskContext) -> io::Result<()> {
        Ok(())
    }

    /// Per-process shared state, made inside the timed region.
    ///
    /// # Errors
    /// I/O errors opening the shared handle or map.
    async fn prepare<I: Io>(&self, _io: &I, _ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        Ok(Shared::empty())
    }

    /// Check the evidence a lane kept, by task index: what is wrong, one
    /// line per failed task (nothing for the workloads that keep none).
    fn verify_tasks(&self, _ctx: &TaskContext, _corpus: &Corpus, _kept: &Kept) -> Vec<String> {
        Vec::new()
    }

    /// Check what the repetition left behind.
    fn verify_run(
        &self,
        ctx: &TaskContext,
        corpus: &Corpus,
        count_sum: u64,
        interrupted: bool,
    ) -> RunCheck;

    /// Check what a repetition stopped by the stonewall left behind.
    fn verify_finished(&self, ctx: &TaskContext, corpus: &Corpus, finished: Vec<u32>) -> RunCheck;
}

/// Declare a workload's variants once: an enum with one case per variant,
/// each beside its [`VariantDesc`], and `DESCS`, the list the workload's
/// description takes as its `variants` (the default first). A spec's
/// `build` matches on the enum ([`$Name::of`] the variant it is given), so
/// a variant without a case, or a case without a variant, is a compile
/// error, not a fallback. The enum derives `Clone, Copy, Debug, PartialEq,
/// Eq, Hash`; attributes before `enum` (serde's) are kept.
macro_rules! variants {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Name:ident {
            $( $(#[doc = $doc:literal])* $Variant:ident = $desc:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $Name {
            $( $(#[doc = $doc])* $Variant, )*
        }

        impl $Name {
            /// Every variant, the default first (the order of [`Self::DESCS`]).
            pub const ALL: &'static [$Name] = &[$($Name::$Variant,)*];

            /// The variants' descriptions, in the order of [`Self::ALL`]:
            /// the workload description's `variants`.
            pub const DESCS: &'static [$crate::describe::VariantDesc] = &[$($desc,)*];

            /// Its description.
            pub fn desc(self) -> &'static $crate::describe::VariantDesc {
                &Self::DESCS[self as usize]
            }

            /// Its name, as the command line, experiment files and results write it.
            pub fn as_str(self) -> &'static str {
                self.desc().name
            }

            /// The variant named `name`.
            pub fn from_name(name: &str) -> Option<$Name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }

            /// The variant `desc` describes (one of [`Self::DESCS`]).
            ///
            /// # Errors
            /// A description that is not one of this workload's variants.
            pub(crate) fn of(desc: &$crate::describe::VariantDesc) -> Result<$Name, $crate::describe::KnobError> {
                Self::from_name(desc.name).ok_or_else(|| $crate::describe::KnobError {
                    key: "variant",
                    value: desc.name.to_string(),
                    allowed: format!(
                        "allowed: {}",
                        Self::DESCS.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        }
    };
}

/// Generate [`Workload`], [`WorkloadKind`] and the dispatch from the
/// registration list in `workload/mod.rs`. An entry may be `#[cfg(test)]`.
macro_rules! workloads {
    ($( $(#[doc = $doc:literal])* $(#[cfg($cfg:meta)])? $Variant:ident($Spec:ty), )*) => {
        /// One workload with its knobs: the form worker processes receive.
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "workload", rename_all = "kebab-case")]
        #[doc(hidden)]
        pub enum Workload {
            $( $(#[doc = $doc])* $(#[cfg($cfg)])? $Variant($Spec), )*
            /// A user's own workload, registered by its binary ([`mod@crate::lab`]).
            Custom($crate::workload::CustomSpec),
        }

        /// Which workload, without its knobs: the `workload` column of the
        /// results (its text is the description's name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[doc(hidden)]
        pub enum WorkloadKind {
            $( $(#[doc = $doc])* $(#[cfg($cfg)])? $Variant, )*
        }

        impl WorkloadKind {
            /// Every workload, in registration order (the report's order).
            pub const ALL: &'static [WorkloadKind] = &[$( $(#[cfg($cfg)])? WorkloadKind::$Variant, )*];

            /// Its description.
            pub fn desc(self) -> &'static $crate::describe::WorkloadDesc {
                match self {
                    $( $(#[cfg($cfg)])? WorkloadKind::$Variant => &<$Spec as $crate::workload::registry::WorkloadSpec>::DESCRIPTION,)*
                }
            }

            fn build_variant(
                self,
                variant: &'static $crate::describe::VariantDesc,
                knobs: &$crate::describe::KnobValues,
            ) -> Result<Workload, $crate::describe::KnobError> {
                match self {
                    $( $(#[cfg($cfg)])? WorkloadKind::$Variant => {
                        <$Spec as $crate::workload::registry::WorkloadSpec>::build(variant, knobs).map(Workload::$Variant)
                    })*
                }
            }
        }

        $(
            $(#[cfg($cfg)])?
            impl $Spec {
                /// The default variant with every knob at its description's
                /// default (random offsets seeded by `seed`): the one place a
                /// spec's defaults come from, its description.
                ///
                /// # Errors
                /// A description whose defaults its own build refuses (a
                /// test builds every variant from its defaults).
                pub fn defaults(seed: u64) -> Result<$Spec, $crate::describe::KnobError> {
                    let desc = &<$Spec as $crate::workload::registry::WorkloadSpec>::DESCRIPTION;
                    let variant = $crate::workload::registry::pick_variant(desc, None, &$crate::describe::KnobValues::seeded(seed))?;
                    <$Spec as $crate::workload::registry::WorkloadSpec>::build(variant, &$crate::describe::KnobValues::seeded(seed))
                }
            }
        )*

        impl Workload {
            /// Which built-in workload this is (`None`: a user's own).
            pub fn kind(&self) -> Option<WorkloadKind> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(_) => Some(WorkloadKind::$Variant),)*
                    Workload::Custom(_) => None,
                }
            }

            /// Its description.
            pub fn desc(&self) -> &'static $crate::describe::WorkloadDesc {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(_) => &<$Spec as $crate::workload::registry::WorkloadSpec>::DESCRIPTION,)*
                    Workload::Custom(s) => s.desc(),
                }
            }

            /// The name of its variant (`mmap`, `rename-fsync`).
            pub fn variant(&self) -> &'static str {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::variant(s),)*
                    Workload::Custom(s) => s.variant(),
                }
            }

            /// The variant and knobs, as a short label (e.g. `chunk=64KiB,fsync`).
            pub fn variant_label(&self) -> String {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::label(s),)*
                    Workload::Custom(s) => s.label(),
                }
            }

            /// The chunk or buffer size knob in bytes, where the variant has one.
            pub fn chunk_bytes(&self) -> Option<u64> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::chunk_bytes(s),)*
                    Workload::Custom(s) => s.chunk_bytes(),
                }
            }

            /// What must be on disk when the timed region closes, for the
            /// workloads that write files (`None` for the others).
            pub fn durability(&self) -> Option<$crate::workload::Durability> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::durability(s),)*
                    Workload::Custom(_) => None,
                }
            }

            /// What its tasks take.
            pub fn task_kind(&self) -> $crate::workload::Tasks {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::tasks(s),)*
                    Workload::Custom(s) => s.tasks(),
                }
            }

            /// Files whose cache state the repetition controls (warm or
            /// cold) and whose residency is measured before timing.
            pub fn inputs(&self, ctx: &$crate::workload::TaskContext) -> Vec<::std::path::PathBuf> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::inputs(s, ctx),)*
                    Workload::Custom(s) => s.inputs(ctx),
                }
            }

            /// Do `work` with this workload's own spec as its
            /// [`TaskRunner`](crate::workload::runner::TaskRunner) (one
            /// `match` here instead of one per task).
            pub(crate) fn with_tasks<V: $crate::workload::runner::WithTasks>(&self, work: V) -> V::Output {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => work.with(s),)*
                    Workload::Custom(s) => work.with(s),
                }
            }

            /// Whether its tasks leave [`Evidence`]($crate::workload::Evidence) (so lanes reserve room for it).
            pub fn keeps_evidence(&self) -> bool {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::keeps_evidence(s),)*
                    Workload::Custom(s) => s.keeps_evidence(),
                }
            }

            /// Why this workload cannot run on a user's read-only input
            /// set (`--input`), if it cannot: one line, said before the run.
            pub fn input_set_refusal(&self) -> Option<String> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::input_set_refusal(s),)*
                    Workload::Custom(s) => s.input_set_refusal(),
                }
            }

            /// Why this workload cannot run on this machine, if it cannot
            /// (the filesystem refusing `O_DIRECT` for the direct scan).
            /// Recorded as `unavailable`, not as a failure.
            pub fn unavailable(&self, ctx: &$crate::workload::TaskContext) -> Option<String> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::unavailable(s, ctx),)*
                    Workload::Custom(s) => s.unavailable(ctx),
                }
            }

            /// Make the scratch state a repetition starts from (outside the
            /// timed region): the `shard-*` subfolders of a sharded corpus's
            /// layout (`corpus::make_shards`: safefs, no link followed),
            /// then the workload's own: the empty append target, the old
            /// versions of save targets.
            ///
            /// # Errors
            /// I/O errors, with the path.
            pub fn setup_repetition(&self, ctx: &$crate::workload::TaskContext) -> ::std::io::Result<()> {
                $crate::corpus::make_shards(&ctx.scratch, ctx.folders).map_err(|e| {
                    ::std::io::Error::other(format!("making the scratch folder's subfolders: {e}"))
                })?;
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::setup_repetition(s, ctx),)*
                    Workload::Custom(s) => s.setup_repetition(ctx),
                }
            }

            /// Setup that needs every rank's, once the ranks have met after
            /// [`Workload::setup_repetition`] (outside the timed region,
            /// before settle): what the read-back workloads read.
            ///
            /// # Errors
            /// I/O errors, with the path.
            pub fn setup_after_barrier(&self, ctx: &$crate::workload::TaskContext) -> ::std::io::Result<()> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::setup_after_barrier(s, ctx),)*
                    Workload::Custom(_) => Ok(()),
                }
            }

            /// Per-process shared state, made inside the timed region.
            ///
            /// # Errors
            /// I/O errors opening the shared handle or map.
            pub async fn prepare<I: $crate::io::Io>(
                &self,
                io: &I,
                ctx: &$crate::workload::TaskContext,
            ) -> ::std::io::Result<$crate::workload::Shared<I::File>> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::prepare(s, io, ctx).await,)*
                    Workload::Custom(s) => s.prepare(io, ctx).await,
                }
            }

            /// Check the evidence a lane kept, by task index (after the
            /// timed region, in the process that holds it): one line per
            /// failed task.
            pub fn verify_tasks(&self, ctx: &$crate::workload::TaskContext, corpus: &$crate::corpus::Corpus, kept: &$crate::workload::Kept) -> Vec<String> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::verify_tasks(s, ctx, corpus, kept),)*
                    Workload::Custom(s) => s.verify_tasks(ctx, corpus, kept),
                }
            }

            /// Check what the repetition left behind, given the sum of the
            /// tasks' counts, whether the writers were killed mid-run and
            /// the fold of the tasks' figures (a user workload's metrics).
            /// Runs after the timed region.
            pub fn verify_run(
                &self,
                ctx: &$crate::workload::TaskContext,
                corpus: &$crate::corpus::Corpus,
                (count_sum, interrupted): (u64, bool),
                totals: &$crate::workload::Totals,
            ) -> $crate::workload::RunCheck {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::verify_run(s, ctx, corpus, count_sum, interrupted),)*
                    Workload::Custom(s) => s.verify_totals(ctx, count_sum, totals),
                }
            }

            /// The metrics whose figures its tasks return (a user
            /// workload's; none for the built-ins).
            pub fn metrics(&self) -> &'static [&'static $crate::workload::Metric] {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(_) => &[],)*
                    Workload::Custom(s) => s.metrics(),
                }
            }

            /// Check what a repetition stopped by the stonewall left behind:
            /// only the `finished` tasks ran, so outputs are checked for
            /// those alone; the workloads whose check needs every task (a
            /// line count, every append, every target) cannot be checked and
            /// say so.
            pub fn verify_finished(
                &self,
                ctx: &$crate::workload::TaskContext,
                corpus: &$crate::corpus::Corpus,
                finished: Vec<u32>,
            ) -> $crate::workload::RunCheck {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::registry::WorkloadSpec::verify_finished(s, ctx, corpus, finished),)*
                    Workload::Custom(s) => s.verify_finished(ctx, corpus, finished),
                }
            }
        }

        impl $crate::workload::runner::TaskRunner for Workload {
            async fn run_task<I: $crate::io::Io>(
                &self,
                io: &I,
                task: $crate::workload::runner::Task<'_, I::File>,
            ) -> ::std::io::Result<$crate::workload::TaskOutput> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::runner::TaskRunner::run_task(s, io, task).await,)*
                    Workload::Custom(s) => s.run_task(io, task).await,
                }
            }

            fn task_path(&self, ctx: &$crate::workload::TaskContext, index: u32) -> ::std::path::PathBuf {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::runner::TaskRunner::task_path(s, ctx, index),)*
                    Workload::Custom(s) => s.task_path(ctx, index),
                }
            }

            async fn finish_lane<I: $crate::io::Io>(
                &self,
                io: &I,
                ctx: &$crate::workload::TaskContext,
                lane: $crate::workload::Lane<I::File>,
            ) -> ::std::io::Result<()> {
                match self {
                    $( $(#[cfg($cfg)])? Workload::$Variant(s) => $crate::workload::runner::TaskRunner::finish_lane(s, io, ctx, lane).await,)*
                    Workload::Custom(s) => s.finish_lane(io, ctx, lane).await,
                }
            }
        }
    };
}

impl Workload {
    /// Short name: `write`, `read`, `copy`, `append`, `atomic-save`, …,
    /// or a user workload's own.
    pub fn name(&self) -> &'static str {
        self.desc().name
    }

    /// The description of its variant.
    pub fn variant_desc(&self) -> &'static VariantDesc {
        let desc = self.desc();
        desc.variant(self.variant()).unwrap_or(&desc.variants[0])
    }

    /// Whether its variant needs `capability` of the strategy.
    pub fn needs(&self, capability: Capability) -> bool {
        self.variant_desc().needs.contains(&capability)
    }

    /// Whether it maps files into memory, which only the synchronous
    /// strategies can do.
    pub fn uses_mmap(&self) -> bool {
        self.needs(Capability::Mmap)
    }

    /// The task indices of one repetition: the files in use for per-file
    /// workloads, `0..n` otherwise.
    pub fn task_range(&self, ctx: &TaskContext) -> Range<u32> {
        self.task_kind().range(ctx)
    }

    /// Whether each task takes one corpus file (so a run can be limited to
    /// the first N files).
    pub fn per_file(&self) -> bool {
        self.task_kind() == Tasks::PerFile
    }

    /// Whether the workload needs the corpus's large file.
    pub fn needs_large_file(&self) -> bool {
        matches!(self.task_kind(), Tasks::OfLargeFile(_))
    }

    /// How many tasks one repetition has.
    pub fn tasks(&self, ctx: &TaskContext) -> u32 {
        self.task_range(ctx).len() as u32
    }

    /// Whether the cache state of inputs means anything for this workload
    /// (it does not for write and append, which read nothing).
    pub fn inputs_matter(&self) -> bool {
        !self.desc().reads.is_empty()
    }

    /// Release the shared state (closing the shared handle, inside the timed region).
    ///
    /// # Errors
    /// The error of `close`.
    pub async fn finish<I: Io>(&self, io: &I, shared: Shared<I::File>) -> io::Result<()> {
        match shared.file {
            Some(f) => io.close(f).await,
            None => Ok(()),
        }
    }
}

impl WorkloadKind {
    /// Its name (the CSV text).
    pub fn name(self) -> &'static str {
        self.desc().name
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = KnobError;

    fn from_str(name: &str) -> Result<WorkloadKind, KnobError> {
        kind(name).ok_or_else(|| KnobError {
            key: "workload",
            value: name.to_string(),
            allowed: format!("allowed: {}", names().join(", ")),
        })
    }
}

impl Serialize for WorkloadKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for WorkloadKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WorkloadKind, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The built-in workload named `name`, if there is one.
pub fn kind(name: &str) -> Option<WorkloadKind> {
    WorkloadKind::ALL.iter().copied().find(|k| k.name() == name)
}

/// The description of the workload named `name`, if one is registered:
/// a built-in one, or a user's registered by its binary ([`mod@crate::lab`]).
pub fn describe(name: &str) -> Option<&'static WorkloadDesc> {
    kind(name)
        .map(WorkloadKind::desc)
        .or_else(|| super::custom::custom(name))
}

/// Every registered workload's description: the built-in ones in
/// registration order, then the user's.
pub fn descriptions() -> Vec<&'static WorkloadDesc> {
    let builtin = WorkloadKind::ALL.iter().map(|k| k.desc());
    builtin.chain(super::custom::registered()).collect()
}

/// Every registered workload's name, in the order of [`descriptions`].
pub fn names() -> Vec<&'static str> {
    descriptions().into_iter().map(|d| d.name).collect()
}

/// The variant of `desc` named `given`; with none named, the default,
/// unless a knob given in `knobs` is used only by other variants: then the
/// first variant that uses it (`--workload read --buffer 8KiB` reads
/// buffered).
///
/// # Errors
/// A name that is not one of the workload's variants.
pub fn pick_variant(
    desc: &'static WorkloadDesc,
    given: Option<&str>,
    knobs: &KnobValues,
) -> Result<&'static VariantDesc, KnobError> {
    if let Some(name) = given {
        return desc.variant(name).ok_or_else(|| KnobError {
            key: "variant",
            value: name.to_string(),
            allowed: format!(
                "not a variant of {}; allowed: {}",
                desc.name,
                desc.variants
                    .iter()
                    .map(|v| v.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let default = &desc.variants[0];
    let implied = knobs
        .keys()
        .filter_map(|key| desc.knob(key))
        .find(|k| !k.used_by(default.name))
        .and_then(|k| desc.variants.iter().find(|v| k.used_by(v.name)));
    Ok(implied.unwrap_or(default))
}

/// Build the workload named `name`, variant `variant` (picked by
/// [`pick_variant`] when `None`), from `knobs`.
///
/// # Errors
/// An unknown workload or variant, or a knob out of range.
pub fn build(name: &str, variant: Option<&str>, knobs: &KnobValues) -> Result<Workload, KnobError> {
    if let Some(desc) = super::custom::custom(name) {
        let variant = pick_variant(desc, variant, knobs)?;
        return super::CustomSpec::build(desc, variant, knobs).map(Workload::Custom);
    }
    let kind: WorkloadKind = name.parse()?;
    let variant = pick_variant(kind.desc(), variant, knobs)?;
    kind.build_variant(variant, knobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_builds_with_its_defaults_and_keeps_its_name() {
        for kind in WorkloadKind::ALL {
            let desc = kind.desc();
            assert!(!desc.variants.is_empty(), "{}", desc.name);
            for v in desc.variants {
                let w = build(desc.name, Some(v.name), &KnobValues::default()).unwrap();
                assert_eq!(w.kind(), Some(*kind));
                assert_eq!(w.variant(), v.name, "{}", desc.name);
                let json = serde_json::to_value(&w).unwrap();
                assert_eq!(json["workload"], desc.name, "serde tag = description name");
            }
            for k in desc.knobs {
                for v in k.variants {
                    assert!(
                        desc.variant(v).is_some(),
                        "{}: knob {} names {v}",
                        desc.name,
                        k.key
                    );
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_allowed() {
        for kind in WorkloadKind::ALL {
            assert_eq!(kind.name().parse::<WorkloadKind>().unwrap(), *kind);
        }
        let err = "fsck".parse::<WorkloadKind>().unwrap_err();
        assert!(err.to_string().contains("read, write, copy"), "{err}");
        let err = build("copy", Some("splice"), &KnobValues::default()).unwrap_err();
        assert_eq!(err.key, "variant");
        assert!(err.allowed.contains("loop, kernel"), "{err}");
    }

    #[test]
    fn a_knob_only_another_variant_uses_picks_that_variant() {
        let mut knobs = KnobValues::default();
        knobs.set("buffer", crate::describe::KnobValue::Number(8192));
        let w = build("read", None, &knobs).unwrap();
        assert_eq!(w.variant(), "buffered");
        assert_eq!(w.variant_label(), "buffer=8KiB");
        let w = build("read", Some("whole"), &knobs).unwrap();
        assert_eq!(w.variant(), "whole");
    }
}
