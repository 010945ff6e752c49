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

mod repetition;
mod resume;
mod terminal;

pub use resume::resume;
pub use terminal::print_summary;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::corpus::{self, Corpus, CorpusLock};
use crate::experiment::{schedule, Plan};
use crate::interrupt;
use crate::results::{Machine, RunMeta, RunWriter, SummaryRow};
use crate::workload::TaskContext;

/// Where a run reads and writes, and how it reports.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Folder holding corpora and scratch folders.
    pub data_dir: PathBuf,
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
}

/// What a finished or interrupted run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run folder.
    pub dir: PathBuf,
    /// Summary rows (of the finished repetitions, when interrupted).
    pub summary: Vec<SummaryRow>,
    /// Whether any scenario had failed or unverified repetitions.
    pub had_failures: bool,
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
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| unused_run_id(&opts.results_dir));
    let dir = opts.results_dir.join(&run_id);
    if std::fs::symlink_metadata(&dir).is_ok() {
        anyhow::bail!(
            "run folder {} exists already: pick another --run-id (or `--resume {}`)",
            dir.display(),
            dir.display()
        );
    }
    let (corpus, provenance, _lock) = prepare_corpus(plan, &opts.data_dir, opts.progress)?;
    let _active = interrupt::begin_run();
    let meta = RunMeta {
        run_id: run_id.clone(),
        iolab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("IOLAB_GIT_COMMIT")
            .unwrap_or("unknown")
            .to_string(),
        command_line: opts.command_line.clone(),
        machine: Machine::describe(&corpus.dir),
        corpus_dir: corpus.dir.clone(),
        corpus_provenance: provenance,
        plan: plan.clone(),
        experiment_files: opts.experiment_files.clone(),
        started_at: now_rfc3339(),
        ended_at: None,
        interrupted: false,
        resumed_at: Vec::new(),
        corpus_digest: Some(corpus_digest(&corpus)),
    };
    let scratch = corpus::Scratch::create(&opts.data_dir, &run_id)?;
    let writer = match RunWriter::create(&dir, meta) {
        Ok(w) => w,
        Err(e) => {
            let _ = scratch.remove();
            return Err(e);
        }
    };
    execute(writer, &corpus, scratch, opts.progress)
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

/// Run the repetitions `writer` has no row for yet, then remove the scratch
/// folder and write the summary (and the end, interrupted or not).
fn execute(
    mut writer: RunWriter,
    corpus: &Corpus,
    scratch: corpus::Scratch,
    progress: bool,
) -> anyhow::Result<RunOutcome> {
    let plan = writer.meta().plan.clone();
    let scratch_path = scratch.path().to_path_buf();
    let ctx = TaskContext::new(corpus, &scratch_path);
    let result = run_schedule(&plan, &ctx, corpus, &mut writer, progress);
    let cleanup = scratch.remove();
    let ending = match result {
        // A stop-now abandons the repetition midway; what broke is ours.
        Err(_) if interrupt::stop_now() => Ending::Interrupted,
        other => other?,
    };
    cleanup.with_context(|| format!("removing scratch folder {}", scratch_path.display()))?;
    let dir = writer.dir().to_path_buf();
    let had_failures = writer
        .rows()
        .iter()
        .any(|r| !r.warmup && (r.status == "failed" || (r.status == "ok" && !r.verified)));
    let rows = writer.rows().len();
    let planned = schedule(plan.scenarios.len(), plan.warmup, plan.reps, plan.order).len();
    let interrupted = ending == Ending::Interrupted;
    let summary = writer.finish(now_rfc3339(), interrupted)?;
    Ok(RunOutcome {
        dir,
        summary,
        had_failures,
        interrupted,
        rows,
        planned,
    })
}

fn run_schedule(
    plan: &Plan,
    ctx: &TaskContext,
    corpus: &Corpus,
    writer: &mut RunWriter,
    progress: bool,
) -> anyhow::Result<Ending> {
    let slots = schedule(plan.scenarios.len(), plan.warmup, plan.reps, plan.order);
    let done: HashSet<(String, u32, bool)> = writer
        .rows()
        .iter()
        .map(|r| (r.scenario_id.clone(), r.rep, r.warmup))
        .collect();
    let mut unavailable: HashSet<usize> = plan
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            writer
                .rows()
                .iter()
                .any(|r| r.scenario_id == s.id && r.status == "unavailable")
        })
        .map(|(i, _)| i)
        .collect();
    let bar = progress_bar(slots.len() as u64, progress);
    let _notices = interrupt::notices_above(&bar);
    let mut result = Ok(Ending::Complete);
    for (order, slot) in slots.iter().enumerate() {
        let scenario = &plan.scenarios[slot.scenario];
        if done.contains(&(scenario.id.clone(), slot.rep, slot.warmup))
            || unavailable.contains(&slot.scenario)
        {
            bar.inc(1);
            continue;
        }
        if interrupt::stop_requested() {
            result = Ok(Ending::Interrupted);
            break;
        }
        bar.set_message(scenario.label());
        let row = repetition::run(
            plan,
            scenario,
            ctx,
            corpus,
            *slot,
            order as u32,
            writer_run_id(writer),
            &bar,
        );
        if interrupt::stop_now() {
            // Abandoned midway: not a finished repetition, no row.
            result = Ok(Ending::Interrupted);
            break;
        }
        let appended = row.and_then(|row| {
            if row.status == "unavailable" {
                bar.println(format!("{}: {}", scenario.label(), row.detail));
                unavailable.insert(slot.scenario);
            }
            writer.append(row)
        });
        if let Err(e) = appended {
            result = Err(e);
            break;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    result
}

fn writer_run_id(writer: &RunWriter) -> String {
    writer
        .dir()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Create or reuse the plan's corpus under the data folder; the corpus lock
/// comes back held shared, for the run to keep.
fn prepare_corpus(
    plan: &Plan,
    data_dir: &Path,
    progress: bool,
) -> anyhow::Result<(Corpus, String, CorpusLock)> {
    let dir = data_dir.join(plan.corpus.dir_name());
    crate::safefs::Dir::create_all(data_dir)
        .with_context(|| format!("creating data folder {}", data_dir.display()))?;
    let bar = progress_bar(0, progress);
    bar.set_style(bytes_style());
    bar.set_message(format!("corpus {}", dir.display()));
    let (corpus, provenance, lock) =
        Corpus::create_or_reuse(&dir, &plan.corpus, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })?;
    bar.finish_and_clear();
    Ok((corpus, provenance.to_string(), lock))
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

/// A timestamp run identifier not yet taken in `results_dir` (a suffix
/// `-2`, `-3`… separates runs started within the same second).
fn unused_run_id(results_dir: &Path) -> String {
    let base = new_run_id();
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|id| !results_dir.join(id).exists())
        .unwrap_or(base)
}

/// The current time in RFC 3339.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The default data folder: `results/corpora` under the current directory.
pub fn default_data_dir() -> PathBuf {
    Path::new("results").join("corpora")
}
