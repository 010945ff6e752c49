//! A user's workload inside iolab's pipeline: the registry of this
//! process's user workloads (filled once by [`crate::lab::Lab`]),
//! [`CustomSpec`], the payload of [`Workload::Custom`](super::Workload::Custom)
//! (the workload, its variant and knob values — serializable, so worker
//! processes get it over their pipe and find the implementation by name in
//! their own registry), and the bridge from the registry's dispatch to the
//! user's [`UserWorkload`]: its task on whichever backend a strategy chose
//! (monomorphised once per backend behind a trait object), its setup and its
//! checks.
//!
//! Owns: the registry and the bridge. Does not own: the entry point and the
//! checks of a description (`crate::lab`), the user-facing trait
//! (`workload::user`), which strategies refuse a variant (their
//! descriptions, by the capabilities it needs).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use futures::future::LocalBoxFuture;

use super::runner::{Task, TaskRunner};
use super::user::{Knobs, Run, UserWorkload};
use super::{Evidence, Kept, Metric, RunCheck, Shared, TaskContext, TaskOutput, Tasks, Totals};
use crate::corpus::Corpus;
use crate::describe::{
    in_units, Capability, KnobDesc, KnobError, KnobKind, KnobValue, KnobValues, VariantDesc,
    WorkloadDesc,
};
use crate::io::{Backend, Blocking, Io, TokioFs, Uring};

/// The user workloads of this process, set once by [`crate::lab::Lab`].
static REGISTRY: OnceLock<Vec<Box<dyn Erased>>> = OnceLock::new();

/// Fill the registry of this process's user workloads (descriptions
/// already checked by the caller).
///
/// # Errors
/// The registry was filled before: it is filled once per process.
pub(crate) fn register(workloads: Vec<Box<dyn Erased>>) -> Result<(), String> {
    REGISTRY.set(workloads).map_err(|_| {
        "the lab's workloads are registered once per process (Lab::main called twice)".to_string()
    })
}

/// The registered user workload named `name`.
fn lookup(name: &str) -> Option<&'static dyn Erased> {
    REGISTRY
        .get()?
        .iter()
        .find(|w| w.describe().name == name)
        .map(|w| &**w)
}

/// The description of the registered user workload named `name`, if there
/// is one.
pub(crate) fn custom(name: &str) -> Option<&'static WorkloadDesc> {
    lookup(name).map(|w| w.describe())
}

/// The metrics of the registered user workload named `name` (none when
/// it is not registered here).
pub(crate) fn metrics_of(name: &str) -> &'static [&'static Metric] {
    lookup(name).map_or(&[], |w| w.metrics())
}

/// The descriptions of the registered user workloads, in registration order.
pub(crate) fn registered() -> Vec<&'static WorkloadDesc> {
    REGISTRY
        .get()
        .map(|ws| ws.iter().map(|w| w.describe()).collect())
        .unwrap_or_default()
}

/// A user's workload with its variant and knob values.
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
    /// The variant, knob values and seed.
    knobs: Knobs,
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
        let workload = match lookup(&r.name) {
            Some(w) => Found::Registered(w),
            None => Found::Foreign(foreign(&r.name, Some(&r.variant))),
        };
        CustomSpec {
            workload,
            knobs: Knobs {
                variant: r.variant,
                values: r.knobs,
                seed: r.seed,
            },
        }
    }
}

impl From<CustomSpec> for Recorded {
    fn from(s: CustomSpec) -> Recorded {
        Recorded {
            name: s.desc().name.to_string(),
            variant: s.knobs.variant,
            knobs: s.knobs.values,
            seed: s.knobs.seed,
        }
    }
}

/// The description of a workload this binary does not register, as the
/// records name it: made once per name and variant in a process and kept
/// for its life (descriptions are `'static`), so reading a user's run
/// folder many times costs one small description each. A record's
/// workload ([`CustomSpec`]) has its variant; a result row's `workload`
/// column ([`super::WorkloadId`]) names none, and its description lists no
/// variant.
pub(super) fn foreign(name: &str, variant: Option<&str>) -> &'static WorkloadDesc {
    static SEEN: Mutex<Vec<&'static WorkloadDesc>> = Mutex::new(Vec::new());
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(d) = seen
        .iter()
        .find(|d| d.name == name && d.variants.first().map(|v| v.name) == variant)
    {
        return d;
    }
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let variants: &'static [VariantDesc] = match variant {
        Some(v) => Box::leak(Box::new([VariantDesc {
            name: leak(v),
            help: "",
            needs: &[],
        }])),
        None => &[],
    };
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
        let workload = lookup(desc.name).ok_or_else(|| KnobError {
            key: "workload",
            value: desc.name.to_string(),
            allowed: "not registered in this binary".into(),
        })?;
        let values = desc
            .knobs
            .iter()
            .map(|k| resolve(k, given).map(|v| (k.key.to_string(), v)))
            .collect::<Result<_, _>>()?;
        Ok(CustomSpec {
            workload: Found::Registered(workload),
            knobs: Knobs {
                variant: variant.name.to_string(),
                values,
                seed: given.seed,
            },
        })
    }

    /// The workload's description.
    pub fn desc(&self) -> &'static WorkloadDesc {
        self.workload.desc()
    }

    /// The variant being run.
    pub fn variant(&self) -> &'static str {
        let desc = self.desc();
        desc.variant(&self.knobs.variant)
            .unwrap_or(&desc.variants[0])
            .name
    }

    fn run(&self, ctx: &TaskContext) -> Run {
        Run {
            ctx: ctx.clone(),
            knobs: self.knobs.clone(),
        }
    }

    // The methods below are the registry's dispatch
    // (`workload/registry.rs`), with the signatures of `WorkloadSpec`.

    /// The variant and the knobs it uses: `fast`, `fast,read_size=64KiB`.
    pub(crate) fn label(&self) -> String {
        let desc = self.desc();
        let mut label = self.variant().to_string();
        for knob in desc.knobs.iter().filter(|k| k.used_by(self.variant())) {
            let shown = match (knob.kind, self.knobs.values.get(knob.key)) {
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
            Found::Registered(w) => w.tasks(&self.knobs),
            Found::Foreign(_) => Tasks::Count(0),
        }
    }

    pub(crate) fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        match self.workload {
            Found::Registered(w) => w.inputs(&self.run(ctx)),
            Found::Foreign(_) => Vec::new(),
        }
    }

    pub(crate) fn keeps_evidence(&self) -> bool {
        self.workload.registered().is_ok_and(|w| w.keeps_evidence())
    }

    pub(crate) fn input_set_refusal(&self) -> Option<String> {
        let w = self.workload.registered().ok()?;
        w.on_input_set(&self.knobs).err()
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

    pub(crate) fn verify_tasks(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        kept: &Kept,
    ) -> Vec<String> {
        if kept.is_empty() {
            return Vec::new();
        }
        let workload = match self.workload.registered() {
            Ok(w) => w,
            Err(e) => return vec![e.to_string()],
        };
        let run = self.run(ctx);
        kept.iter()
            .filter_map(|(index, e)| workload.check_task(&run, *index, e).err())
            .collect()
    }

    /// The repetition's check with its tasks' figures folded
    /// ([`UserWorkload::verify_totals`]).
    pub(crate) fn verify_totals(
        &self,
        ctx: &TaskContext,
        count_sum: u64,
        totals: &Totals,
    ) -> RunCheck {
        match self.workload.registered() {
            Ok(w) => w.verify(&self.run(ctx), count_sum, totals),
            Err(e) => RunCheck::failed(e.to_string()),
        }
    }

    pub(crate) fn verify_finished(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        finished: Vec<u32>,
    ) -> RunCheck {
        let tasks = self.tasks().range(ctx).len();
        super::needs_every_task(self.desc().name, finished.len(), tasks)
    }

    /// The metrics it lists (none when this binary does not register it).
    pub fn metrics(&self) -> &'static [&'static Metric] {
        self.workload.registered().map_or(&[], |w| w.metrics())
    }

    /// Whether its variant needs `capability` of the strategy.
    fn needs(&self, capability: Capability) -> bool {
        let desc = self.desc();
        desc.variant(self.variant())
            .is_some_and(|v| v.needs.contains(&capability))
    }
}

impl TaskRunner for CustomSpec {
    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        let (shared, index, lane) = (task.shared, task.index, task.lane);
        let prepared = shared
            .custom
            .as_ref()
            .ok_or_else(|| io::Error::other("user workload missing: prepare() was not run"))?;
        let output = prepared.run_task(io.backend(), index).await?;
        lane.tally.add(&output.metrics);
        Ok(output)
    }

    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        match self.tasks() {
            Tasks::PerFile => ctx.input(index),
            Tasks::OfLargeFile(_) => ctx
                .large_file
                .clone()
                .unwrap_or_else(|| ctx.corpus_dir.clone()),
            Tasks::Count(_) => ctx.scratch.clone(),
        }
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

/// A future of one task, on one thread (the async strategies drive their
/// lanes on one thread; the blocking strategies poll it to completion).
type TaskFuture<'a> = LocalBoxFuture<'a, io::Result<TaskOutput>>;

/// [`UserWorkload`] behind a trait object: the generic task monomorphised
/// once per backend (the set of backends is closed), everything else as is.
pub(crate) trait Erased: Send + Sync {
    fn describe(&self) -> &'static WorkloadDesc;
    fn tasks(&self, knobs: &Knobs) -> Tasks;
    fn task_blocking<'a>(&'a self, io: &'a Blocking, run: &'a Run, index: u32) -> TaskFuture<'a>;
    fn task_tokio<'a>(&'a self, io: &'a TokioFs, run: &'a Run, index: u32) -> TaskFuture<'a>;
    fn task_uring<'a>(&'a self, io: &'a Uring, run: &'a Run, index: u32) -> TaskFuture<'a>;
    fn setup(&self, run: &Run) -> io::Result<()>;
    fn verify(&self, run: &Run, count_sum: u64, totals: &Totals) -> RunCheck;
    fn metrics(&self) -> &'static [&'static Metric];
    fn keeps_evidence(&self) -> bool;
    fn check_task(&self, run: &Run, index: u32, evidence: &Evidence) -> Result<(), String>;
    fn inputs(&self, run: &Run) -> Vec<PathBuf>;
    fn on_input_set(&self, knobs: &Knobs) -> Result<(), String>;
}

impl<W: UserWorkload> Erased for W {
    fn describe(&self) -> &'static WorkloadDesc {
        UserWorkload::describe(self)
    }
    fn tasks(&self, knobs: &Knobs) -> Tasks {
        UserWorkload::tasks(self, knobs)
    }
    fn task_blocking<'a>(&'a self, io: &'a Blocking, run: &'a Run, index: u32) -> TaskFuture<'a> {
        Box::pin(self.task(io, run, index))
    }
    fn task_tokio<'a>(&'a self, io: &'a TokioFs, run: &'a Run, index: u32) -> TaskFuture<'a> {
        Box::pin(self.task(io, run, index))
    }
    fn task_uring<'a>(&'a self, io: &'a Uring, run: &'a Run, index: u32) -> TaskFuture<'a> {
        Box::pin(self.task(io, run, index))
    }
    fn setup(&self, run: &Run) -> io::Result<()> {
        UserWorkload::setup(self, run)
    }
    fn verify(&self, run: &Run, count_sum: u64, totals: &Totals) -> RunCheck {
        UserWorkload::verify_totals(self, run, count_sum, totals)
    }
    fn metrics(&self) -> &'static [&'static Metric] {
        UserWorkload::metrics(self)
    }
    fn keeps_evidence(&self) -> bool {
        UserWorkload::keeps_evidence(self)
    }
    fn check_task(&self, run: &Run, index: u32, evidence: &Evidence) -> Result<(), String> {
        UserWorkload::check_task(self, run, index, evidence)
    }
    fn inputs(&self, run: &Run) -> Vec<PathBuf> {
        UserWorkload::inputs(self, run)
    }
    fn on_input_set(&self, knobs: &Knobs) -> Result<(), String> {
        UserWorkload::on_input_set(self, knobs)
    }
}
