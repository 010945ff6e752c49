//! A user's workload inside iolab's pipeline: [`CustomSpec`], the payload
//! of [`Workload::Custom`](crate::workload::Workload::Custom) (the workload,
//! its variant and knob values — serializable, so worker processes get it
//! over their pipe and find the implementation by name in their own
//! registry), and the bridge from the registry's dispatch to the user's
//! [`UserWorkload`](super::UserWorkload): its tasks on whichever backend a
//! strategy chose, its setup and its checks.
//!
//! Owns: the bridge. Does not own: the registry and the entry point
//! (`lab`), the user-facing trait (`lab::user`), which strategies refuse a
//! variant (their descriptions, by the capabilities it needs).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::user::{Erased, Run};
use crate::corpus::Corpus;
use crate::describe::{
    in_units, Capability, KnobDesc, KnobError, KnobKind, KnobValue, KnobValues, VariantDesc,
    WorkloadDesc,
};
use crate::io::{Backend, Blocking, Io};
use crate::workload::{Evidence, Lane, RunCheck, Shared, TaskContext, TaskOutput, Tasks};

/// A user's workload with its variant and knob values: what
/// [`UserWorkload::tasks`](super::UserWorkload::tasks) and every task see
/// (through [`Run::spec`]).
///
/// Serialized as its name, variant, knobs and seed. Deserialized in a
/// binary that registers the workload, it runs; in one that does not (plain
/// `iolab` reading a user's run folder for `report`, `compare` or
/// `claims`), it keeps its name and variant for the records and is
/// unavailable to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Recorded", into = "Recorded")]
pub struct CustomSpec {
    /// The implementation, or only the description when this binary does
    /// not register the workload.
    workload: Found,
    /// The variant's name (one of the description's).
    variant: String,
    /// Every knob of the description, given or at its default.
    knobs: BTreeMap<String, KnobValue>,
    /// Seed of anything random the workload does (`--seed`).
    seed: u64,
}

/// The serialized form of [`CustomSpec`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    name: String,
    variant: String,
    knobs: BTreeMap<String, KnobValue>,
    seed: u64,
}

/// A user workload as this binary knows it.
#[derive(Clone, Copy)]
enum Found {
    /// Registered here: it can run.
    Registered(&'static dyn Erased),
    /// Named by a record but not registered here: a description with its
    /// name and the recorded variant ([`foreign`]), nothing to run.
    Foreign(&'static WorkloadDesc),
}

impl Found {
    fn desc(self) -> &'static WorkloadDesc {
        match self {
            Found::Registered(w) => w.describe(),
            Found::Foreign(d) => d,
        }
    }

    /// The implementation.
    ///
    /// # Errors
    /// The workload is not part of this binary.
    fn registered(self) -> io::Result<&'static dyn Erased> {
        match self {
            Found::Registered(w) => Ok(w),
            Found::Foreign(d) => Err(io::Error::new(io::ErrorKind::NotFound, not_here(d.name))),
        }
    }
}

fn not_here(name: &str) -> String {
    format!(
        "workload {name} is not part of this binary; run it with the binary that registers it (iolab::lab::Lab)"
    )
}

impl PartialEq for Found {
    fn eq(&self, other: &Found) -> bool {
        self.desc().name == other.desc().name
    }
}

impl fmt::Debug for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.desc().name)
    }
}

impl From<Recorded> for CustomSpec {
    fn from(r: Recorded) -> CustomSpec {
        let workload = match super::lookup(&r.name) {
            Some(w) => Found::Registered(w),
            None => Found::Foreign(foreign(&r.name, &r.variant)),
        };
        CustomSpec {
            workload,
            variant: r.variant,
            knobs: r.knobs,
            seed: r.seed,
        }
    }
}

impl From<CustomSpec> for Recorded {
    fn from(s: CustomSpec) -> Recorded {
        Recorded {
            name: s.desc().name.to_string(),
            variant: s.variant,
            knobs: s.knobs,
            seed: s.seed,
        }
    }
}

/// The description of a workload this binary does not register, as the
/// records name it: made once per name and variant in a process and kept
/// for its life (descriptions are `'static`), so reading a user's run
/// folder many times costs one small description each.
fn foreign(name: &str, variant: &str) -> &'static WorkloadDesc {
    static SEEN: Mutex<Vec<&'static WorkloadDesc>> = Mutex::new(Vec::new());
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(d) = seen
        .iter()
        .find(|d| d.name == name && d.variants[0].name == variant)
    {
        return d;
    }
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let variants: &'static [VariantDesc] = Box::leak(Box::new([VariantDesc {
        name: leak(variant),
        help: "",
        needs: &[],
    }]));
    let desc: &'static WorkloadDesc = Box::leak(Box::new(WorkloadDesc {
        name: leak(name),
        summary: "a user workload this binary does not register",
        variants,
        knobs: &[],
        reads: "",
        writes: "",
        verifies: "",
    }));
    seen.push(desc);
    desc
}

/// Parse and check a knob's value as a user writes it (`64KiB`, `12`,
/// `true`, any text), against its description.
///
/// ```
/// use iolab::describe::{KnobDesc, KnobKind, KnobValue};
///
/// const READ_SIZE: KnobDesc = KnobDesc {
///     key: "read_size",
///     kind: KnobKind::Size { min: 4096, max: 1 << 20, multiple_of: 4096 },
///     default: "64KiB",
///     help: "bytes per read",
///     variants: &[],
/// };
/// assert_eq!(iolab::lab::parse_knob(&READ_SIZE, "8KiB"), Ok(KnobValue::Number(8192)));
/// let err = iolab::lab::parse_knob(&READ_SIZE, "5000").unwrap_err();
/// assert_eq!(err.to_string(), "read_size = 5000: allowed 4KiB to 1MiB, a multiple of 4096");
/// ```
///
/// # Errors
/// A [`KnobError`] naming the key, the value and what is allowed.
pub fn parse_knob(knob: &KnobDesc, text: &str) -> Result<KnobValue, KnobError> {
    let err = |allowed: String| KnobError {
        key: knob.key,
        value: text.to_string(),
        allowed,
    };
    match knob.kind {
        KnobKind::Size { .. } => {
            let n = crate::experiment::parse_size(text)
                .map_err(|e| err(format!("{e}; {}", knob.kind)))?;
            knob.check(n).map(KnobValue::Number)
        }
        KnobKind::Count { .. } => {
            let n = text
                .trim()
                .parse::<u64>()
                .map_err(|_| err(format!("a whole number, {}", knob.kind)))?;
            knob.check(n).map(KnobValue::Number)
        }
        KnobKind::Switch => match text.trim() {
            "true" => Ok(KnobValue::Switch(true)),
            "false" => Ok(KnobValue::Switch(false)),
            _ => Err(err(knob.kind.to_string())),
        },
        KnobKind::Text => Ok(KnobValue::Text(text.to_string())),
        KnobKind::Choice(_) => knob
            .check_choice(text.trim())
            .map(|name| KnobValue::Text(name.to_string())),
    }
}

/// The value of `knob` in `given`, checked, or its default.
fn resolve(knob: &KnobDesc, given: &KnobValues) -> Result<KnobValue, KnobError> {
    Ok(match knob.kind {
        KnobKind::Size { .. } | KnobKind::Count { .. } => KnobValue::Number(given.number(knob)?),
        KnobKind::Switch => KnobValue::Switch(given.switch(knob)?),
        KnobKind::Text => KnobValue::Text(given.text(knob)?.unwrap_or_default()),
        KnobKind::Choice(_) => KnobValue::Text(given.choice(knob)?.to_string()),
    })
}

impl CustomSpec {
    /// The registered workload `desc` (a description of [`super::registered`]),
    /// variant `variant`, its knobs from `given` where given, else at their
    /// defaults.
    ///
    /// # Errors
    /// A knob value its description does not allow, or a workload that
    /// is not registered.
    pub(crate) fn build(
        desc: &'static WorkloadDesc,
        variant: &'static VariantDesc,
        given: &KnobValues,
    ) -> Result<CustomSpec, KnobError> {
        let workload = super::lookup(desc.name).ok_or_else(|| KnobError {
            key: "workload",
            value: desc.name.to_string(),
            allowed: "not registered in this binary".into(),
        })?;
        let knobs = desc
            .knobs
            .iter()
            .map(|k| resolve(k, given).map(|v| (k.key.to_string(), v)))
            .collect::<Result<_, _>>()?;
        Ok(CustomSpec {
            workload: Found::Registered(workload),
            variant: variant.name.to_string(),
            knobs,
            seed: given.seed,
        })
    }

    /// The workload's description.
    pub fn desc(&self) -> &'static WorkloadDesc {
        self.workload.desc()
    }

    /// The variant being run.
    pub fn variant(&self) -> &'static str {
        let desc = self.desc();
        desc.variant(&self.variant)
            .unwrap_or(&desc.variants[0])
            .name
    }

    /// The value of a size or count knob (given, or its default); `None`
    /// for a key the description does not have.
    pub fn number(&self, key: &str) -> Option<u64> {
        match self.knobs.get(key)? {
            KnobValue::Number(n) => Some(*n),
            KnobValue::Switch(_) | KnobValue::Text(_) => None,
        }
    }

    /// Whether a switch knob is on.
    pub fn switch(&self, key: &str) -> bool {
        matches!(self.knobs.get(key), Some(KnobValue::Switch(true)))
    }

    /// The value of a text knob (given, or its default).
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.knobs.get(key)? {
            KnobValue::Text(t) => Some(t),
            KnobValue::Number(_) | KnobValue::Switch(_) => None,
        }
    }

    /// The seed of anything random the workload does (`--seed`).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn run(&self, ctx: &TaskContext) -> Run {
        Run {
            ctx: ctx.clone(),
            spec: self.clone(),
        }
    }

    // The methods below are the registry's dispatch
    // (`workload/registry.rs`), with the signatures of `WorkloadSpec`.

    /// The variant and the knobs it uses: `fast`, `fast,read_size=64KiB`.
    pub(crate) fn label(&self) -> String {
        let desc = self.desc();
        let mut label = self.variant().to_string();
        for knob in desc.knobs.iter().filter(|k| k.used_by(self.variant())) {
            let shown = match (knob.kind, self.knobs.get(knob.key)) {
                (_, None) => continue,
                (KnobKind::Size { .. }, Some(KnobValue::Number(n))) => {
                    in_units(*n).unwrap_or_else(|| format!("{n}B"))
                }
                (_, Some(KnobValue::Text(t))) => t.clone(),
                (_, Some(v)) => v.to_string(),
            };
            label.push_str(&format!(",{}={shown}", knob.key));
        }
        label
    }

    pub(crate) fn chunk_bytes(&self) -> Option<u64> {
        None
    }

    pub(crate) fn tasks(&self) -> Tasks {
        match self.workload {
            Found::Registered(w) => w.tasks(self),
            Found::Foreign(_) => Tasks::Count(0),
        }
    }

    pub(crate) fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        match self.workload {
            Found::Registered(w) => w.inputs(&self.run(ctx)),
            Found::Foreign(_) => Vec::new(),
        }
    }

    pub(crate) fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        match self.tasks() {
            Tasks::PerFile => ctx.input(index),
            Tasks::OfLargeFile(_) => ctx
                .large_file
                .clone()
                .unwrap_or_else(|| ctx.corpus_dir.clone()),
            Tasks::Count(_) => ctx.scratch.clone(),
        }
    }

    pub(crate) fn keeps_evidence(&self) -> bool {
        self.workload.registered().is_ok_and(|w| w.keeps_evidence())
    }

    pub(crate) fn unavailable(&self, _ctx: &TaskContext) -> Option<String> {
        self.not_registered()
    }

    /// Why it cannot run in this binary, if it cannot: the workload is not
    /// registered here.
    pub fn not_registered(&self) -> Option<String> {
        self.workload.registered().err().map(|e| e.to_string())
    }

    pub(crate) fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        self.workload.registered()?.setup(&self.run(ctx))
    }

    pub(crate) async fn prepare<I: Io>(
        &self,
        _io: &I,
        ctx: &TaskContext,
    ) -> io::Result<Shared<I::File>> {
        let prepared = Prepared {
            workload: self.workload.registered()?,
            run: Arc::new(self.run(ctx)),
            pooled: self.needs(Capability::BlockingCalls),
        };
        Ok(Shared {
            custom: Some(prepared),
            ..Shared::empty()
        })
    }

    pub(crate) async fn run_task<I: Io>(
        &self,
        io: &I,
        _ctx: &TaskContext,
        shared: &Shared<I::File>,
        _lane: &mut Lane<I::File>,
        index: u32,
    ) -> io::Result<TaskOutput> {
        let prepared = shared
            .custom
            .as_ref()
            .ok_or_else(|| io::Error::other("user workload missing: prepare() was not run"))?;
        prepared.run_task(io.backend(), index).await
    }

    pub(crate) async fn finish_lane<I: Io>(
        &self,
        _io: &I,
        _ctx: &TaskContext,
        _lane: Lane<I::File>,
    ) -> io::Result<()> {
        Ok(())
    }

    pub(crate) fn verify_task(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        index: u32,
        evidence: &Evidence,
    ) -> Result<(), String> {
        self.workload
            .registered()
            .map_err(|e| e.to_string())?
            .check_task(&self.run(ctx), index, evidence)
    }

    pub(crate) fn verify_run(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        count_sum: u64,
        _interrupted: bool,
    ) -> RunCheck {
        match self.workload.registered() {
            Ok(w) => w.verify(&self.run(ctx), count_sum),
            Err(e) => RunCheck::failed(e.to_string()),
        }
    }

    pub(crate) fn verify_finished(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        finished: Vec<u32>,
    ) -> RunCheck {
        let tasks = match self.tasks() {
            Tasks::PerFile => ctx.used_files,
            Tasks::OfLargeFile(n) | Tasks::Count(n) => n,
        };
        crate::workload::needs_every_task(self.desc().name, finished.len(), tasks as usize)
    }

    /// Whether its variant needs `capability` of the strategy.
    fn needs(&self, capability: Capability) -> bool {
        let desc = self.desc();
        desc.variant(self.variant())
            .is_some_and(|v| v.needs.contains(&capability))
    }
}

/// The registered workload and one repetition's [`Run`], made once per
/// process when the shared state is prepared.
#[derive(Clone)]
pub struct Prepared {
    workload: &'static dyn Erased,
    run: Arc<Run>,
    /// The task makes plain blocking calls: under tokio it runs whole on
    /// the blocking pool.
    pooled: bool,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("workload", &self.workload.describe().name)
            .field("run", &self.run)
            .field("pooled", &self.pooled)
            .finish()
    }
}

impl Prepared {
    /// Run task `index` on `backend`: the task monomorphised for it, or,
    /// for a task of plain blocking calls under tokio, the whole task on
    /// tokio's blocking pool.
    ///
    /// # Errors
    /// The task's error, or the pool's when it lost the task.
    async fn run_task(&self, backend: Backend<'_>, index: u32) -> io::Result<TaskOutput> {
        match backend {
            Backend::Blocking(io) => self.workload.task_blocking(io, &self.run, index).await,
            Backend::Tokio(io) if self.pooled => {
                let (workload, run) = (self.workload, Arc::clone(&self.run));
                io.on_pool(move || {
                    futures::executor::block_on(workload.task_blocking(&Blocking, &run, index))
                })
                .await?
            }
            Backend::Tokio(io) => self.workload.task_tokio(io, &self.run, index).await,
            Backend::Uring(io) => self.workload.task_uring(io, &self.run, index).await,
        }
    }
}
