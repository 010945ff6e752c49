//! Running a plan: prepare the corpus, then for each repetition in the
//! schedule bring storage to a quiet state, set the cache state and check it,
//! execute the strategy, verify the data, and append the row — written and
//! synced before the next repetition starts.
//!
//! A first SIGINT/SIGTERM ends the run after the current repetition, a
//! second at once (`crate::interrupt`); either way the scratch folder is
//! removed, `summary.csv` holds the finished rows and `run.json` says
//! `interrupted`. [`resume`] continues such a run (or one killed outright)
//! with the plan recorded in `run.json`, skipping every finished repetition.

mod auto;
pub mod calibrate;
mod executor;
mod repetition;
mod resume;
mod scratch;
mod storages;
mod sweep;
mod terminal;

pub use resume::{resume, resume_clients};
pub use terminal::{print_footing, print_summary};

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::clients::{self, Clients, PreparedCorpus};
use crate::corpus::{self, Corpus};
use crate::experiment::layout::{ClientOptions, DataDirs};
use crate::experiment::{schedule, Plan};
use crate::interrupt;
use crate::measure::cache::CacheState;
use crate::measure::device;
use crate::results::{Machine, RunFolderTaken, RunMeta, RunWriter, Status, SummaryRow, Verdict};
use crate::workload::TaskContext;

use executor::{Call, Executor};
use repetition::Strategies;

/// Where a run reads and writes, and how it reports.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Folder holding corpora and scratch folders.
    pub data_dir: PathBuf,
    /// The corpus folder (`--dir`); `<data_dir>/<shape>` when `None`.
    pub corpus_dir: Option<PathBuf>,
    /// Folder holding run folders (`results/`).
    pub results_dir: PathBuf,
    /// Run identifier; a timestamp when `None`.
    pub run_id: Option<String>,
    /// Show progress bars.
    pub progress: bool,
    /// The command line, recorded in `run.json`.
    pub command_line: Vec<String>,
    /// Experiment files with their text, recorded in `run.json`.
    pub experiment_files: Vec<(String, String)>,
    /// Layout, reorder and stonewall of the clients (MPI ranks).
    pub clients: ClientOptions,
    /// Measure each strategy's dispatch cost with the `noop` workload before
    /// the schedule (recorded in `run.json`, shown beside tiny tasks).
    pub calibrate: bool,
    /// Sample each repetition's kernel stacks with perf
    /// ([`crate::measure::profile`]); "unavailable: why" is printed once and
    /// the run goes on without it.
    pub kernel_profile: bool,
}

/// What a finished or interrupted run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run folder.
    pub dir: PathBuf,
    /// Summary rows (of the finished repetitions, when interrupted).
    pub summary: Vec<SummaryRow>,
    /// Failed scenarios and integrity findings over the run's rows
    /// ([`crate::results::outcome`]); the same on every rank.
    pub verdict: Verdict,
    /// Whether SIGINT/SIGTERM stopped the run before its last repetition.
    pub interrupted: bool,
    /// Rows in `runs.csv`.
    pub rows: usize,
    /// Repetitions in the schedule.
    pub planned: usize,
}

/// Run every repetition of `plan`.
///
/// Everything that can be checked is checked before the run folder is
/// made (the run id is free, the corpus is there and verifies, the scratch
/// folder can be created), so a refusal leaves no run folder behind.
///
/// # Errors
/// Corpus creation or verification failures and result-writing failures;
/// a failing scenario is recorded in its rows, not raised.
pub fn run(plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    run_clients(plan, opts, &clients::Single)
}

/// The commit this binary was built from (`unknown` outside a git tree).
const GIT_COMMIT: &str = match option_env!("IOLAB_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};

/// Run every repetition of `plan` on every rank of `clients` at once:
/// barriers before corpus creation, cache preparation, settle and each
/// timed region; rank 0 writes the run folder with every rank's rows and
/// their aggregates. Other ranks return an outcome without summary rows.
///
/// # Errors
/// As [`run`], and ranks whose binary or plan differ; any rank's setup
/// failure comes back on every rank, naming it.
pub fn run_clients(
    plan: &Plan,
    opts: &RunOptions,
    clients: &dyn Clients,
) -> anyhow::Result<RunOutcome> {
    let digest_of = serde_json::to_vec(&(plan, &opts.experiment_files, &opts.clients))?;
    clients::check_same_plan(clients, &digest_of)?;
    sweep::check(plan, &opts.clients, clients)?;
    let base_id = base_run_id(opts, clients)?;
    let show = opts.progress && clients.rank() == 0;
    let hosts = clients::hosts(clients)?;
    let data_dirs = clients::agree(
        clients,
        DataDirs::expand(&opts.data_dir, &hosts).map_err(anyhow::Error::from),
    )?;
    let (cold_unavailable, (corpus, provenance, _lock, inputs)) =
        corpus_of_run(plan, opts, clients, (&data_dirs, show))?;
    let _active = interrupt::begin_run();
    let mut storages = provide_storages(plan, clients, (&data_dirs, &corpus), show)?;
    let mut machine = Machine::describe(&corpus.dir);
    if plan.scenarios.iter().any(|s| s.cache == CacheState::Cold) && cold_unavailable.is_none() {
        machine.io.direct_read = device::probe(&probe_files(&corpus));
    }
    let device_mb_per_s = machine.io.direct_read.mb_per_s;
    let ranks =
        clients::describe_ranks(clients, &opts.clients, &machine, (&data_dirs, &corpus.dir))?;
    let meta = RunMeta {
        run_id: base_id.clone(),
        iolab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: GIT_COMMIT.to_string(),
        command_line: opts.command_line.clone(),
        machine,
        corpus_dir: corpus.dir.clone(),
        corpus_provenance: provenance,
        plan: plan.clone(),
        experiment_files: opts.experiment_files.clone(),
        started_at: now_rfc3339(),
        ended_at: None,
        interrupted: false,
        resumed_at: Vec::new(),
        corpus_digest: Some(corpus_digest(&corpus)),
        plan_digest: Some(crate::results::plan_digest(plan)?),
        clients: ranks,
        dispatch: Vec::new(),
        inputs: inputs.as_ref().map(|i| i.summary.clone()),
        storages: storages.records(),
        user_crate: crate::workload::user_crate_record(),
    };
    let Claimed {
        run_id,
        dir,
        scratch,
        writer,
    } = claim(opts, meta, (clients, &data_dirs))?;
    storages.claim_scratch(&run_id)?;
    let strategies = Strategies {
        plan,
        corpus: &corpus,
        ctx: TaskContext::new(&corpus, scratch.path()),
        layout: &opts.clients,
        perf: opts.kernel_profile.then(kernel_profiler).flatten(),
    };
    let run = Running {
        plan,
        executor: &strategies,
        storages: &storages,
        clients,
        run_id: &run_id,
        progress: show,
        device_mb_per_s,
        cold_unavailable,
        calibrate: opts.calibrate && clients.size() == 1,
    };
    let outcome = execute(&run, writer, scratch, dir);
    for change in inputs.iter().flat_map(corpus::InputSet::changed_since) {
        eprintln!("warning: input set: {change} (its manifest was taken before the run)");
    }
    removing(storages, outcome)
}

/// The run's corpus on this rank, with its provenance, its lock and the
/// input set it is made from (`--input`): the user's input set, or the
/// corpus made or checked in the data folder; and why cold scenarios are
/// unavailable on it, if they are.
fn corpus_of_run(
    plan: &Plan,
    opts: &RunOptions,
    clients: &dyn Clients,
    (data_dirs, show): (&DataDirs, bool),
) -> anyhow::Result<(Option<String>, PreparedInputs)> {
    let (corpus_root, corpus_name) = corpus_place(plan, opts, clients, data_dirs)?;
    let own_corpus = match &plan.input {
        Some(input) => input.dir.clone(),
        None => corpus_root.of(clients.rank()).join(&corpus_name),
    };
    let cold_unavailable = cold_unavailable(plan, &own_corpus, clients)?;
    let prepared = match &plan.input {
        Some(input) => prepare_input_set(input, clients, data_dirs)?,
        None => {
            let (c, p, lock) = clients::prepare_corpus(
                clients,
                &opts.clients,
                &corpus_root,
                &corpus_name,
                &|dir| prepare_corpus(plan, dir, show),
            )?;
            (c, p, lock, None)
        }
    };
    Ok((cold_unavailable, prepared))
}

/// A run's corpus, its provenance, its lock and its input set, if any.
type PreparedInputs = (
    Corpus,
    String,
    Option<corpus::CorpusLock>,
    Option<corpus::InputSet>,
);

/// `outcome`, after the run's storages are removed (their failure the
/// error when the run itself had none).
fn removing(
    storages: storages::Storages,
    outcome: anyhow::Result<RunOutcome>,
) -> anyhow::Result<RunOutcome> {
    let removed = storages.remove();
    let outcome = outcome?;
    removed?;
    Ok(outcome)
}

/// The plan's storages besides the data folder, provided with their
/// corpora (one rank only: MPI ranks share no mount namespace).
///
/// # Errors
/// Several ranks with such storages; a storage that broke.
fn provide_storages(
    plan: &Plan,
    clients: &dyn Clients,
    (data_dirs, corpus): (&DataDirs, &Corpus),
    show: bool,
) -> anyhow::Result<storages::Storages> {
    let other = plan.scenarios.iter().find(|s| !s.storage.is_data_dir());
    match other {
        None => Ok(storages::Storages::default()),
        Some(s) if clients.size() > 1 => Err(clients::Agreed(format!(
            "--storage {}: storages are provided for one process; with several MPI ranks use --data-dir",
            s.storage
        ))
        .into()),
        Some(_) => storages::Storages::provide(plan, data_dirs.of(clients.rank()), corpus, show),
    }
}

/// The run's id as every rank has it: `--run-id`'s, checked now, before
/// the corpus is made, or a new automatic one, claimed once the run folder
/// can be made (`claim`).
fn base_run_id(opts: &RunOptions, clients: &dyn Clients) -> anyhow::Result<String> {
    let base_id =
        clients::broadcast_json(clients, &opts.run_id.clone().unwrap_or_else(new_run_id))?;
    if opts.run_id.is_some() {
        let dir = opts.results_dir.join(&base_id);
        let taken = clients.rank() == 0 && std::fs::symlink_metadata(&dir).is_ok();
        clients::agree(
            clients,
            match taken {
                true => Err(taken_error(&dir)),
                false => Ok(()),
            },
        )?;
    }
    Ok(base_id)
}

/// A run's id with what makes it the run's own: its scratch folder (on
/// every rank) and its run folder (rank 0's writer).
struct Claimed {
    run_id: String,
    dir: PathBuf,
    scratch: corpus::Scratch,
    writer: Option<RunWriter>,
}

/// How one rank's attempt at an id went.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Attempt {
    /// Its scratch folder (and, on rank 0, the run folder) is made.
    Made,
    /// The id is taken: its scratch folder or run folder exists already.
    Taken(String),
    /// Anything else went wrong.
    Failed(String),
}

/// What every rank does after an attempt at an id.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Decision {
    /// Every rank made its folders: the id is the run's.
    Done,
    /// The automatic id is taken somewhere: try the next.
    Next,
    /// Stop with this message.
    Refuse(String),
}

/// Ids tried after an automatic one is found taken (`<id>-2` …), before
/// giving up.
const MAX_ID_SUFFIX: u32 = 1000;

/// Claim the run's id by making its folders, each atomically: the scratch
/// folder with `mkdirat` (every rank), then the run folder with a rename
/// that never replaces (rank 0). Neither is checked first and made after,
/// so two runs started at once can never share an id: when an automatic id
/// (`opts.run_id` is `None`: the UTC time) is taken, whatever this attempt
/// made is removed and the next suffix is tried (`-2`, `-3`, …); an id given
/// with `--run-id` that is taken is refused.
///
/// # Errors
/// A taken `--run-id`, or a folder that cannot be made (any rank's), named.
fn claim(
    opts: &RunOptions,
    mut meta: RunMeta,
    (clients, data_dirs): (&dyn Clients, &DataDirs),
) -> anyhow::Result<Claimed> {
    let base = meta.run_id.clone();
    for n in 1..=MAX_ID_SUFFIX {
        let run_id = match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        };
        meta.run_id = run_id.clone();
        let dir = opts.results_dir.join(&run_id);
        let (parent, scratch_id) =
            opts.clients
                .scratch_place(data_dirs, &run_id, clients.rank(), clients.size());
        let (mut scratch, mut writer, mut attempt) = (None, None, Attempt::Made);
        match corpus::Scratch::create(&parent, &scratch_id) {
            Ok(s) => scratch = Some(s),
            Err(e @ corpus::CorpusError::ScratchTaken { .. }) => {
                attempt = Attempt::Taken(e.to_string())
            }
            Err(e) => attempt = Attempt::Failed(format!("{:#}", anyhow::Error::from(e))),
        }
        if clients.rank() == 0 && scratch.is_some() {
            match RunWriter::create(&dir, meta.clone()) {
                Ok(w) => writer = Some(w),
                Err(e) if e.is::<RunFolderTaken>() => attempt = Attempt::Taken(format!("{e:#}")),
                Err(e) => attempt = Attempt::Failed(format!("{e:#}")),
            }
        }
        let decision = decide(clients, &attempt, opts.run_id.is_some())?;
        match (clients::broadcast_json(clients, &decision)?, scratch) {
            (Decision::Done, Some(scratch)) => {
                return Ok(Claimed {
                    run_id,
                    dir,
                    scratch,
                    writer,
                })
            }
            (decision, scratch) => {
                // Not ours after all: undo what this attempt made.
                let undone = scratch
                    .map_or(Ok(()), |s| {
                        s.remove().with_context(|| {
                            format!("removing the scratch folder made for run id {run_id} (remove it with `iolab corpus clean --scratch`)")
                        })
                    })
                    .and_then(|()| writer.map_or(Ok(()), RunWriter::abandon));
                match (decision, undone) {
                    (Decision::Refuse(why), Ok(())) => return Err(clients::Agreed(why).into()),
                    (Decision::Refuse(why), Err(e)) => anyhow::bail!("{why}; {e:#}"),
                    (_, undone) => undone?,
                }
            }
        }
    }
    anyhow::bail!(
        "run ids {base} to {base}-{MAX_ID_SUFFIX} are all taken in {}; pass --run-id",
        opts.results_dir.display()
    )
}

/// Rank 0's decision from every rank's `attempt` at an id: made
/// everywhere, try the next id (an automatic id taken somewhere), or fail
/// (an id `given` with `--run-id` taken, or a rank that failed).
fn decide(clients: &dyn Clients, attempt: &Attempt, given: bool) -> anyhow::Result<Decision> {
    let all = clients::gather_json(clients, attempt)?;
    let failed: Vec<String> = all
        .iter()
        .enumerate()
        .filter_map(|(r, a)| match a {
            Attempt::Failed(why) => Some(rank_said(clients, r, why)),
            Attempt::Made | Attempt::Taken(_) => None,
        })
        .collect();
    let taken = all.iter().enumerate().find_map(|(r, a)| match a {
        Attempt::Taken(why) => Some(rank_said(clients, r, why)),
        Attempt::Made | Attempt::Failed(_) => None,
    });
    Ok(match (failed.is_empty(), taken) {
        (false, _) => Decision::Refuse(failed.join("; ")),
        (true, Some(why)) if given => Decision::Refuse(why),
        (true, Some(_)) => Decision::Next,
        (true, None) => Decision::Done,
    })
}

/// `why` as said by rank `rank` (as is with one rank).
fn rank_said(clients: &dyn Clients, rank: usize, why: &str) -> String {
    match clients.size() {
        1 => why.to_string(),
        _ => format!("rank {rank}: {why}"),
    }
}

/// The refusal of a `--run-id` whose run folder exists.
fn taken_error(dir: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "run folder {} exists already: pick another --run-id (or `--resume {}`)",
        dir.display(),
        dir.display()
    )
}

/// One repetition of `plan.scenarios[scenario]` outside a schedule, on
/// this process alone, exactly as a run does it (settle, scratch, cache
/// state, timed region, verification): `iolab calibrate` pairs it with
/// fio's run of the same pattern.
///
/// # Errors
/// As a run's repetition: only harness failures (scratch folder, cache
/// control); a failing scenario comes back as a row with status `failed`.
pub fn run_repetition(
    plan: &Plan,
    scenario: usize,
    ctx: &TaskContext,
    corpus: &Corpus,
    (rep, warmup): (u32, bool),
    run_id: &str,
) -> anyhow::Result<crate::results::Row> {
    let slot = crate::experiment::Slot {
        scenario,
        rep,
        warmup,
    };
    let strategies = Strategies {
        plan,
        corpus,
        ctx: ctx.clone(),
        layout: &ClientOptions::default(),
        perf: None,
    };
    let bar = ProgressBar::hidden();
    let call = Call {
        slot,
        order: rep,
        run_id,
        bar: &bar,
        clients: &clients::Single,
        on: None,
    };
    strategies.repetition(&call).map(|(row, _series)| row)
}

/// The perf binary for `--kernel-profile`, or `None` after printing
/// "kernel profile: unavailable: why".
fn kernel_profiler() -> Option<PathBuf> {
    match crate::measure::profile::probe() {
        Ok(perf) => Some(perf),
        Err(why) => {
            eprintln!("kernel profile: unavailable: {why}");
            None
        }
    }
}

/// The folders holding the corpus (each rank's) and the corpus folder's
/// name: `--dir` when given (one rank only), else `<data_dir>/<shape>`
/// with each rank's data folder.
fn corpus_place(
    plan: &Plan,
    opts: &RunOptions,
    clients: &dyn Clients,
    data_dirs: &DataDirs,
) -> anyhow::Result<(DataDirs, String)> {
    let Some(dir) = &opts.corpus_dir else {
        return Ok((data_dirs.clone(), plan.corpus.dir_name()));
    };
    if clients.size() > 1 {
        return Err(clients::Agreed(format!(
            "--dir {} names one corpus folder; with several ranks use --data-dir and --layout",
            dir.display()
        ))
        .into());
    }
    let name = dir.file_name().and_then(|n| n.to_str()).with_context(|| {
        format!(
            "--dir {}: give a folder with a plain UTF-8 name",
            dir.display()
        )
    })?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((DataDirs::recorded(vec![parent]), name.to_string()))
}

/// xxh3 of the corpus manifest, as recorded in `run.json`.
fn corpus_digest(corpus: &Corpus) -> String {
    let bytes = serde_json::to_vec(&corpus.manifest).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// How the loop over the schedule ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// Every repetition ran.
    Complete,
    /// A signal stopped it.
    Interrupted,
}

/// What every repetition of a run shares.
struct Running<'a> {
    plan: &'a Plan,
    /// What runs each repetition and tells of signals ([`Executor`]).
    executor: &'a dyn Executor,
    /// The storages besides the data folder, with their corpora and
    /// scratch folders.
    storages: &'a storages::Storages,
    clients: &'a dyn Clients,
    run_id: &'a str,
    progress: bool,
    /// The device's own direct-read speed, when probed: a cold repetition
    /// read faster than it from the block layer is flagged.
    device_mb_per_s: Option<f64>,
    /// Why cold scenarios cannot run here ([`cold_unavailable`]): their
    /// rows are `unavailable` with it, before any cache is touched.
    cold_unavailable: Option<String>,
    /// Measure each strategy's dispatch cost before the schedule (a new
    /// run of one rank).
    calibrate: bool,
}

/// Run the repetitions `writer` has no row for yet, then remove the scratch
/// folder and write the summary (and the end, interrupted or not). Only
/// rank 0 has a writer.
///
/// # Errors
/// Whatever stops the run once its folder exists (results that cannot be
/// written, a scratch folder that cannot be reset, no file descriptors
/// left): the scratch folder is removed first, and the message ends with
/// the command that resumes the run.
fn execute(
    run: &Running,
    writer: Option<RunWriter>,
    scratch: corpus::Scratch,
    dir: PathBuf,
) -> anyhow::Result<RunOutcome> {
    execute_schedule(run, writer, scratch, &dir).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}; the run folder {} keeps the finished repetitions: resume with: {}",
            dir.display(),
            resume_command(&subcommand(), &dir)
        )
    })
}

fn execute_schedule(
    run: &Running,
    mut writer: Option<RunWriter>,
    scratch: corpus::Scratch,
    dir: &Path,
) -> anyhow::Result<RunOutcome> {
    let scratch_path = scratch.path().to_path_buf();
    let result = match writer.as_mut().filter(|_| run.calibrate) {
        Some(w) => w.record_dispatch(run.executor.dispatch_costs()),
        None => Ok(()),
    }
    .and_then(|()| run_schedule(run, writer.as_mut()));
    if result.is_err() && !run.executor.stop_now() {
        // The run stops here: its files are closed before the scratch
        // folder is removed (a run out of descriptors needs them back).
        writer = None;
    }
    let cleanup = scratch
        .remove()
        .with_context(|| format!("removing scratch folder {}", scratch_path.display()));
    let ending = match (result, cleanup) {
        // A stop-now abandons the repetition midway; what broke is ours.
        (Err(_), cleanup) if run.executor.stop_now() => cleanup.map(|()| Ending::Interrupted)?,
        (Err(e), Err(c)) => {
            anyhow::bail!("{e:#}; {c:#} (the resume removes it, or `iolab corpus clean --scratch`)")
        }
        (Err(e), Ok(())) => return Err(e),
        (Ok(ending), cleanup) => cleanup.map(|()| ending)?,
    };
    let verdict = writer
        .as_ref()
        .map_or_else(Verdict::default, |w| Verdict::of(w.rows()));
    let verdict = clients::broadcast_json(run.clients, &verdict)?;
    let plan = run.plan;
    let planned = schedule(plan.scenarios.len(), plan.warmup, plan.reps, plan.order).len();
    let interrupted = ending == Ending::Interrupted;
    let (rows, summary) = match writer {
        Some(w) => (w.rows().len(), w.finish(now_rfc3339(), interrupted)?),
        None => (0, Vec::new()),
    };
    Ok(RunOutcome {
        dir: dir.to_path_buf(),
        summary,
        verdict,
        interrupted,
        rows,
        planned,
    })
}

/// The subcommand this process runs (`run`, `bench-all`), for the resume
/// command it prints.
fn subcommand() -> String {
    std::env::args()
        .nth(1)
        .filter(|s| s == "bench-all")
        .unwrap_or_else(|| "run".into())
}

/// The exact command that resumes the run in `dir`: this program, the
/// subcommand, `--resume DIR`, each a shell word.
pub fn resume_command(subcommand: &str, dir: &Path) -> String {
    let program = std::env::args().next().unwrap_or_else(|| "iolab".into());
    format!(
        "{} {subcommand} --resume {}",
        shell_word(&program),
        shell_word(&dir.to_string_lossy())
    )
}

/// `word` as one shell word: as is when plain, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-+=:,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Finished repetitions (scenario id, repetition, warm-up) and the indices
/// of the scenarios found unavailable.
type Finished = (HashSet<(String, u32, bool)>, HashSet<usize>);

/// The repetitions already in `writer` (a resumed run: those with an
/// aggregate row) and the scenarios found unavailable there; rank 0's on
/// every rank.
fn finished(
    plan: &Plan,
    writer: Option<&RunWriter>,
    clients: &dyn Clients,
) -> anyhow::Result<Finished> {
    let mine = finished_in(plan, writer);
    clients::broadcast_json(clients, &mine)
}

fn finished_in(plan: &Plan, writer: Option<&RunWriter>) -> Finished {
    let Some(writer) = writer else {
        return Default::default();
    };
    let done = writer
        .rows()
        .iter()
        .filter(|r| r.is_aggregate())
        .map(|r| (r.scenario_id.clone(), r.rep, r.warmup))
        .collect();
    let unavailable = plan
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            writer
                .rows()
                .iter()
                .any(|r| r.scenario_id == s.id && r.status == Status::Unavailable)
        })
        .map(|(i, _)| i)
        .collect();
    (done, unavailable)
}

fn run_schedule(run: &Running, mut writer: Option<&mut RunWriter>) -> anyhow::Result<Ending> {
    let plan = run.plan;
    let slots = schedule(plan.scenarios.len(), plan.warmup, plan.reps, plan.order);
    let (done, mut unavailable) = finished(plan, writer.as_deref(), run.clients)?;
    let sweep = sweep::Sweep::of(plan, run.clients);
    let bar = progress_bar(slots.len() as u64, run.progress);
    let _notices = interrupt::notices_above(&bar);
    let mut result = Ok(Ending::Complete);
    let mut auto = auto::Auto::of(plan, plan.auto, rows_of(writer.as_deref()));
    for (order, slot) in slots.iter().enumerate() {
        let scenario = &plan.scenarios[slot.scenario];
        if done.contains(&(scenario.id.clone(), slot.rep, slot.warmup))
            || unavailable.contains(&slot.scenario)
        {
            bar.inc(1);
            continue;
        }
        // Every rank stops at the same repetition: rank 0's signal decides.
        if clients::broadcast_json(run.clients, &run.executor.stop_requested())? {
            result = Ok(Ending::Interrupted);
            break;
        }
        if let Some(a) = auto.as_mut().filter(|_| !slot.warmup) {
            let (stops, note) = a.stops(plan, slot.scenario, rows_of(writer.as_deref()));
            if let Some(note) = note {
                say(&bar, format!("{}: {note}", scenario.label()));
            }
            // Rank 0 holds the rows: its decision is every rank's.
            if clients::broadcast_json(run.clients, &stops)? {
                bar.inc(1);
                continue;
            }
        }
        bar.set_message(scenario.label());
        let seat = sweep.seat(scenario.ranks, run.clients);
        let row = seat
            .clients()
            .map(|c| repetition_row(run, c, *slot, order as u32, &bar));
        if run.executor.stop_now() {
            // Abandoned midway: not a finished repetition, no row.
            result = Ok(Ending::Interrupted);
            break;
        }
        match append_slot(
            run,
            (&seat, row),
            slot.scenario,
            writer.as_deref_mut(),
            &bar,
        ) {
            Ok(true) => _ = unavailable.insert(slot.scenario),
            Ok(false) => {}
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        bar.inc(1);
    }
    if let (Some(a), Ok(Ending::Complete)) = (auto.as_mut(), &result) {
        for note in auto::pending(a, plan, rows_of(writer.as_deref())) {
            say(&bar, note);
        }
    }
    bar.finish_and_clear();
    result
}

/// The rows of a repetition this rank ran (`row`, `None` when it sat the
/// repetition out), gathered on rank 0 over the ranks that ran it and
/// written there; with a sweep's count, every rank meets at the idle
/// barrier once they are gathered. Returns whether the scenario turned out
/// unavailable (rank 0's finding, on every rank).
///
/// # Errors
/// The repetition's harness error, or rows that cannot be gathered or
/// written.
fn append_slot(
    run: &Running,
    (seat, row): (&sweep::Seat, Option<RepetitionRow>),
    scenario: usize,
    writer: Option<&mut RunWriter>,
    bar: &ProgressBar,
) -> anyhow::Result<bool> {
    let label = run.plan.scenarios[scenario].label();
    let gathered = match (seat.clients(), row) {
        (Some(c), Some(row)) => {
            let (mut row, series) = row?;
            if let Some(w) = lower_cache(&row, run.device_mb_per_s) {
                bar.println(format!("warning: {label}: {w}"));
                row.detail = format!("{}; warning: {w}", row.detail);
            }
            (
                clients::collect_rows(c, row, run.clients.size() > 1)?,
                series,
            )
        }
        _ => Default::default(),
    };
    if seat.partial() {
        run.clients.idle_barrier();
    }
    let (rows, series) = gathered;
    let skip = rows.last().filter(|r| r.status == Status::Unavailable);
    if let Some(row) = skip {
        bar.println(format!("{label}: {}", row.detail));
    }
    let unavailable = clients::broadcast_json(run.clients, &skip.is_some())?;
    // Rank 0's own time series stands for the run's (one clock).
    if let Some(w) = writer {
        w.append_rows(rows)?;
        w.append_series(&series)?;
    }
    Ok(unavailable)
}

/// A repetition's row and time series, or the harness error that ends
/// the run.
type RepetitionRow = anyhow::Result<(crate::results::Row, Vec<crate::results::SeriesPoint>)>;

/// Run the repetition `slot` and make its row: `unavailable` at once for a
/// cold scenario on memory ([`Running::cold_unavailable`]). A panic in the
/// repetition outside any task (a workload's setup or checks; a task's own
/// fails that task in its lane) fails the repetition; with several ranks,
/// whose barriers it skipped, it ends the job.
fn repetition_row(
    run: &Running,
    clients: &dyn Clients,
    slot: crate::experiment::Slot,
    order: u32,
    bar: &ProgressBar,
) -> RepetitionRow {
    let scenario = &run.plan.scenarios[slot.scenario];
    let not_run = |why: &str| {
        let unavailable = (Status::Unavailable, why.to_string());
        let row = repetition::not_run(scenario, slot, order, run.run_id, unavailable);
        Ok((row, Vec::new()))
    };
    let on = match run.storages.seat(&scenario.storage, scenario.cache) {
        storages::Seat::DataDir => match (&run.cold_unavailable, scenario.cache) {
            (Some(why), CacheState::Cold) => return not_run(why),
            _ => None,
        },
        storages::Seat::On(ctx, corpus) => Some((ctx, corpus)),
        storages::Seat::Unavailable(why) => return not_run(why),
    };
    let call = Call {
        slot,
        order,
        run_id: run.run_id,
        bar,
        clients,
        on,
    };
    crate::panics::catch(|| run.executor.repetition(&call)).unwrap_or_else(|message| {
        if run.clients.size() > 1 {
            eprintln!(
                "error: rank {}: {}: the repetition {message}; ending every rank",
                run.clients.rank(),
                scenario.label()
            );
            run.clients.abort(1);
        }
        let failed = (
            Status::Failed,
            format!("the repetition {message} (outside any task)"),
        );
        let row = repetition::not_run(scenario, slot, order, run.run_id, failed);
        Ok((row, Vec::new()))
    })
}

/// Why the cold scenarios of `plan` cannot run: the corpus folder is on a
/// filesystem that lives in memory alone (`sys::memfs`), on any rank.
/// Checked before anything is made or any cache dropped: a plan of cold
/// scenarios alone is refused with that line; otherwise the cold
/// scenarios' rows are `unavailable` with it and the rest runs.
///
/// # Errors
/// A plan whose every scenario is cold, on such a filesystem.
fn cold_unavailable(
    plan: &Plan,
    corpus_dir: &Path,
    clients: &dyn Clients,
) -> anyhow::Result<Option<String>> {
    let on_data_dir = plan.scenarios.iter().filter(|s| s.storage.is_data_dir());
    let cold = on_data_dir.clone().filter(|s| s.cache == CacheState::Cold);
    if cold.clone().next().is_none() {
        return Ok(None);
    }
    let mine = crate::sys::memfs::memory_only(corpus_dir)
        .map(|fs| memory_cold(corpus_dir, &fs, "a --data-dir on a disk"));
    let all = clients::gather_json(clients, &mine)?;
    let first = all
        .iter()
        .enumerate()
        .find_map(|(r, why)| why.as_ref().map(|why| rank_said(clients, r, why)));
    let why: Option<String> = clients::broadcast_json(clients, &first)?;
    match why {
        Some(why) if cold.count() == plan.scenarios.len() => Err(clients::Agreed(why).into()),
        why => Ok(why),
    }
}

/// The line of a cold scenario whose corpus folder `dir` is on `fs`, a
/// filesystem in memory alone, with what to use instead.
fn memory_cold(dir: &Path, fs: &str, instead: &str) -> String {
    format!(
        "cache cold unavailable: the corpus folder {} is on {fs} (its files live in memory, with no device under them), so they cannot be made cold; use --cache warm, or {instead}",
        dir.display()
    )
}

/// The rows written so far (none on ranks other than 0).
fn rows_of(writer: Option<&RunWriter>) -> &[crate::results::Row] {
    writer.map_or(&[], RunWriter::rows)
}

/// A line above the progress bar, or on stderr when there is no bar.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

/// The warning for a cold repetition read faster than the device can.
fn lower_cache(row: &crate::results::Row, device_mb_per_s: Option<f64>) -> Option<String> {
    (row.cache == CacheState::Cold && row.status == Status::Ok)
        .then(|| device::lower_cache_warning(row.storage_read_bytes, row.wall_s, device_mb_per_s?))
        .flatten()
}

/// What the direct-read probe reads: the large file when the corpus has
/// one (a long sequential region), else the corpus files in order.
fn probe_files(corpus: &Corpus) -> Vec<PathBuf> {
    match corpus.large_path() {
        Some(large) => vec![large],
        None => corpus.file_paths(),
    }
}

/// The user's input set `spec`, walked and checked against its manifest
/// under the data dir (recorded there on first use), as the corpus the run
/// reads: one client only.
fn prepare_input_set(
    spec: &corpus::InputSpec,
    clients: &dyn Clients,
    data_dirs: &DataDirs,
) -> anyhow::Result<PreparedInputs> {
    if clients.size() > 1 {
        anyhow::bail!(
            "--input {}: an input set runs on one client; MPI ranks read the generated corpus",
            spec.dir.display()
        );
    }
    let set = corpus::InputSet::prepare(spec, data_dirs.of(0))?;
    let s = &set.summary;
    let provenance = format!(
        "input set: {} files, {} ({}; manifest {})",
        s.files,
        corpus::human_bytes(s.total_bytes),
        s.check,
        s.manifest.display()
    );
    // Said whatever the progress setting: what the set is, what was left out.
    println!("{provenance}");
    for line in &s.skipped {
        println!("input {}: {line}", spec.dir.display());
    }
    Ok((set.corpus(), provenance, None, Some(set)))
}

/// Create or reuse the plan's corpus in `dir`, creating the data folder
/// above it; the corpus lock comes back held shared, for the run to keep.
fn prepare_corpus(plan: &Plan, dir: &Path, progress: bool) -> anyhow::Result<PreparedCorpus> {
    corpus::check_placement(dir, "a corpus")?;
    if let Some(parent) = dir.parent() {
        crate::safefs::Dir::create_all(parent)
            .with_context(|| format!("creating data folder {}", parent.display()))?;
    }
    let bar = progress_bar(0, progress);
    bar.set_style(bytes_style());
    bar.set_message(format!("corpus {}", dir.display()));
    let (_notices, _note) = (interrupt::notices_above(&bar), corpus_note(dir));
    let (corpus, provenance, lock) = Corpus::create_or_reuse(dir, &plan.corpus, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok((corpus, provenance.to_string(), lock))
}

/// What a signal while the corpus in `dir` is made leaves: said after
/// the signal's name until the guard drops ([`interrupt::note_while`]).
pub fn corpus_note(dir: &Path) -> interrupt::StopNote {
    interrupt::note_while(format!(
        "if it was being made, the corpus {} is left unfinished: never used as it is, and made again by the next `iolab corpus create` or run on it",
        dir.display()
    ))
}

/// A progress bar, hidden when progress is off or stderr is not a terminal.
pub fn progress_bar(len: u64, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} reps, ETA {eta}  {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn bytes_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}  {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A new run identifier: the UTC time, sortable, with seconds.
pub fn new_run_id() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// The current time in RFC 3339.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests;
