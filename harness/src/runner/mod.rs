//! Running a plan: prepare the corpus, then for each repetition in the
//! schedule bring storage to a quiet state, set the cache state and check it,
//! execute the strategy, verify the data, and append the row — written and
//! flushed before the next repetition starts.

mod repetition;
mod terminal;

pub use terminal::print_summary;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::corpus::{self, Corpus, Marker};
use crate::experiment::{schedule, Plan};
use crate::measure::cache::CacheState;
use crate::measure::device;
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

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run folder.
    pub dir: PathBuf,
    /// Summary rows.
    pub summary: Vec<SummaryRow>,
    /// Whether any scenario had failed or unverified repetitions.
    pub had_failures: bool,
}

/// Run every repetition of `plan`.
///
/// # Errors
/// Corpus creation or verification failures and result-writing failures;
/// a failing scenario is recorded in its rows, not raised.
pub fn run(plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let corpus = prepare_corpus(plan, opts)?;
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| unused_run_id(&opts.results_dir));
    let scratch = opts.data_dir.join(format!("scratch-{run_id}"));
    let ctx = TaskContext::new(&corpus.0, &scratch);
    let mut machine = Machine::describe(&corpus.0.dir);
    if plan.scenarios.iter().any(|s| s.cache == CacheState::Cold) {
        machine.io.direct_read = device::probe(&probe_files(&ctx));
    }
    let device_mb_per_s = machine.io.direct_read.mb_per_s;
    let meta = RunMeta {
        run_id: run_id.clone(),
        iolab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("IOLAB_GIT_COMMIT")
            .unwrap_or("unknown")
            .to_string(),
        command_line: opts.command_line.clone(),
        machine,
        corpus_dir: corpus.0.dir.clone(),
        corpus_provenance: corpus.1.clone(),
        plan: plan.clone(),
        experiment_files: opts.experiment_files.clone(),
        started_at: now_rfc3339(),
        ended_at: None,
    };
    let mut writer = RunWriter::create(&opts.results_dir.join(&run_id), meta)?;
    corpus::create_marked_dir(&scratch, Marker::Scratch)?;
    let result = run_schedule(plan, &ctx, &corpus.0, &mut writer, opts, device_mb_per_s);
    let cleanup = corpus::remove_marked_dir(&scratch, Marker::Scratch);
    result?;
    cleanup.with_context(|| format!("removing scratch folder {}", scratch.display()))?;
    let dir = writer.dir().to_path_buf();
    let had_failures = writer
        .rows()
        .iter()
        .any(|r| !r.warmup && (r.status == "failed" || (r.status == "ok" && !r.verified)));
    let summary = writer.finish(now_rfc3339())?;
    Ok(RunOutcome {
        dir,
        summary,
        had_failures,
    })
}

fn run_schedule(
    plan: &Plan,
    ctx: &TaskContext,
    corpus: &Corpus,
    writer: &mut RunWriter,
    opts: &RunOptions,
    device_mb_per_s: Option<f64>,
) -> anyhow::Result<()> {
    let slots = schedule(plan.scenarios.len(), plan.warmup, plan.reps, plan.order);
    let bar = progress_bar(slots.len() as u64, opts.progress);
    let mut unavailable = HashSet::new();
    for (order, slot) in slots.iter().enumerate() {
        let scenario = &plan.scenarios[slot.scenario];
        bar.set_message(scenario.label());
        if unavailable.contains(&slot.scenario) {
            bar.inc(1);
            continue;
        }
        let (mut row, series) = repetition::run(
            plan,
            scenario,
            ctx,
            corpus,
            *slot,
            order as u32,
            writer_run_id(writer),
            &bar,
        )?;
        if let Some(w) = lower_cache(&row, device_mb_per_s) {
            bar.println(format!("warning: {}: {w}", scenario.label()));
            row.detail = format!("{}; warning: {w}", row.detail);
        }
        if row.status == "unavailable" {
            bar.println(format!("{}: {}", scenario.label(), row.detail));
            unavailable.insert(slot.scenario);
        }
        writer.append(row)?;
        writer.append_series(&series)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

/// The warning for a cold repetition read faster than the device can.
fn lower_cache(row: &crate::results::Row, device_mb_per_s: Option<f64>) -> Option<String> {
    (row.cache == CacheState::Cold.as_str() && row.status == "ok")
        .then(|| device::lower_cache_warning(row.storage_read_bytes, row.wall_s, device_mb_per_s?))
        .flatten()
}

/// What the direct-read probe reads: the large file when the corpus has
/// one (a long sequential region), else the corpus files in order.
fn probe_files(ctx: &TaskContext) -> Vec<PathBuf> {
    match &ctx.large_file {
        Some(large) => vec![large.clone()],
        None => (0..ctx.files).map(|k| ctx.input(k)).collect(),
    }
}

fn writer_run_id(writer: &RunWriter) -> String {
    writer
        .dir()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Create or reuse the plan's corpus under the data folder.
fn prepare_corpus(plan: &Plan, opts: &RunOptions) -> anyhow::Result<(Corpus, String)> {
    let dir = opts.data_dir.join(plan.corpus.dir_name());
    std::fs::create_dir_all(&opts.data_dir)
        .with_context(|| format!("creating data folder {}", opts.data_dir.display()))?;
    let bar = progress_bar(0, opts.progress);
    bar.set_style(bytes_style());
    bar.set_message(format!("corpus {}", dir.display()));
    let (corpus, provenance) = Corpus::create_or_reuse(&dir, &plan.corpus, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok((corpus, provenance.to_string()))
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
