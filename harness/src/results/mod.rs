//! The results of a run on disk: `results/<run-id>/run.json` (machine,
//! versions, the plan as run, start and end, interrupted or not),
//! `runs.csv` (one row per repetition, appended whole and synced as each
//! finishes: see `runs_file`), `timeseries.csv` (throughput per 100 ms
//! inside each repetition) and `summary.csv` (one row per scenario), and
//! the one failure policy over a run's rows (`outcome`).
//! Reports, comparisons and claims render from these files alone, so runs
//! from other machines can be loaded later.
//!
//! A run folder appears whole: it is built under a hidden temporary name
//! (`run.json` and an empty `runs.csv`) and renamed into place, so a
//! failure or a kill before that leaves no half-made run folder.
//! `run.json` and `summary.csv` are replaced atomically
//! ([`crate::safefs::write_atomic`]).

mod columns;
pub mod footing;
mod machine;
mod metric_columns;
pub mod outcome;
pub mod row;
pub mod runs_file;
mod summary;
pub mod timeseries;

pub use columns::ScenarioIdentity;
pub use machine::Machine;
pub use outcome::Verdict;
pub use row::{Row, Status};
pub use runs_file::RunsFile;
pub use summary::{
    prefer_whole_corpus, summarize_rows, timed, MetricSummary, SummaryRow, SummaryStatus,
    MIN_INTERVAL_N,
};
pub use timeseries::SeriesPoint;

/// The workload and strategy a result row names, compared with the
/// registries' kinds: the checks the report, claims and the terminal
/// summary make of summary and repetition rows alike.
pub trait Named {
    /// The `workload` column.
    fn workload_id(&self) -> WorkloadId;
    /// The `strategy` column.
    fn strategy_kind(&self) -> StrategyKind;

    /// Whether the row's workload is the built-in `kind`.
    fn is_workload(&self, kind: WorkloadKind) -> bool {
        self.workload_id() == kind
    }

    /// Whether the row's strategy is `kind`.
    fn is_strategy(&self, kind: StrategyKind) -> bool {
        self.strategy_kind() == kind
    }
}

impl Named for Row {
    fn workload_id(&self) -> WorkloadId {
        self.workload
    }
    fn strategy_kind(&self) -> StrategyKind {
        self.strategy
    }
}

impl Named for SummaryRow {
    fn workload_id(&self) -> WorkloadId {
        self.workload
    }
    fn strategy_kind(&self) -> StrategyKind {
        self.strategy
    }
}

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::experiment::Plan;
use crate::strategy::StrategyKind;
use crate::workload::{WorkloadId, WorkloadKind};

/// `run.json`: what ran, where and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The run's identifier (its folder name).
    pub run_id: String,
    /// iolab's version.
    pub iolab_version: String,
    /// The git commit iolab was built from (`unknown` outside a checkout).
    pub git_commit: String,
    /// The command line that started the run.
    pub command_line: Vec<String>,
    /// The machine and the storage under the corpus.
    pub machine: Machine,
    /// The corpus directory.
    pub corpus_dir: PathBuf,
    /// Whether the corpus was created, reused or regenerated.
    pub corpus_provenance: String,
    /// The plan as run.
    pub plan: Plan,
    /// Experiment files the plan came from, with their text.
    pub experiment_files: Vec<(String, String)>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 time the run ended: finished, or stopped by a signal when
    /// `interrupted`. `None` while running, or when the process was killed
    /// outright (SIGKILL, power loss) or failed.
    pub ended_at: Option<String>,
    /// Whether SIGINT or SIGTERM stopped the run before its last
    /// repetition; `iolab run --resume` (or `bench-all --resume`)
    /// continues it.
    #[serde(default)]
    pub interrupted: bool,
    /// RFC 3339 times at which `--resume` continued the run, one per resume.
    #[serde(default)]
    pub resumed_at: Vec<String>,
    /// xxh3 of the corpus manifest the run started on (16 hex digits); a
    /// resume refuses a corpus whose manifest differs.
    #[serde(default)]
    pub corpus_digest: Option<String>,
    /// xxh3 of the plan as the run started it ([`plan_digest`]); a resume
    /// refuses a `run.json` whose plan no longer has it (`None` in runs
    /// made before it was recorded, resumed unchecked).
    #[serde(default)]
    pub plan_digest: Option<String>,
    /// The MPI ranks, when more than one ran (hosts, machines, layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<ClientsMeta>,
    /// Each strategy's dispatch cost, measured with the `noop` workload
    /// before the schedule (empty for runs without calibration).
    #[serde(default)]
    pub dispatch: Vec<DispatchCost>,
    /// The user's input set the run read (`--input`): its folder, files,
    /// total and size histogram, how it compared with its manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<crate::corpus::InputSummary>,
    /// The storages provided for the run besides the data folder
    /// (`--storage`), each as provided: mount options, filesystem
    /// features, image, the emulator's settings with its measured latency
    /// and FUSE's own cost; a resume provides them again and checks they
    /// match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storages: Vec<crate::storage::StorageRecord>,
    /// The user's crate whose binary ran (`iolab::lab!()`): name, version,
    /// git commit; absent for plain `iolab` and in runs from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_crate: Option<crate::workload::CrateRecord>,
}

/// xxh3 of `plan`'s canonical serialization (JSON with every object's keys
/// sorted, no spaces), 16 hex digits: what `run.json` records as
/// `plan_digest` when a run starts, and what a resume recomputes from the
/// plan it reads back.
///
/// # Errors
/// A plan that does not serialize (not expected).
pub fn plan_digest(plan: &Plan) -> anyhow::Result<String> {
    // serde_json's `Value` keeps object keys in a `BTreeMap` (sorted), the
    // crate's `preserve_order` feature being off.
    let canonical = serde_json::to_vec(&serde_json::to_value(plan)?)?;
    Ok(format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&canonical)))
}

/// Who ran: recorded in `run.json` when a run has more than one rank.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientsMeta {
    /// Number of ranks.
    pub ranks: u32,
    /// The layout, reorder and stonewall of the run.
    pub options: crate::experiment::layout::ClientOptions,
    /// Each rank's host, in rank order.
    pub hosts: Vec<String>,
    /// Each rank's corpus folder (inputs after reorder), in rank order.
    pub corpus_dirs: Vec<std::path::PathBuf>,
    /// Each rank's data folder (`--data-dir` with its `%h` and `%r` filled
    /// in; empty in files from before the field: every rank's was the
    /// corpus folder's).
    #[serde(default)]
    pub data_dirs: Vec<std::path::PathBuf>,
    /// One machine description per distinct host, in first-rank order.
    pub machines: Vec<Machine>,
}

impl RunMeta {
    /// Whether the run went to its last repetition.
    pub fn completed(&self) -> bool {
        self.ended_at.is_some() && !self.interrupted
    }
}

/// What a strategy itself costs per task: the `noop` calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchCost {
    /// The strategy, as in the rows' `strategy_label` (`threads(4)`).
    pub strategy: String,
    /// Nanoseconds per task: the slope of wall time between the two noop
    /// task counts, so start-up (threads, worker processes) is left out.
    /// `None` when the calibration could not run.
    pub ns_per_task: Option<f64>,
    /// Start-up of the strategy in microseconds: the intercept (threads or
    /// processes started, runtime or ring built, shared state).
    pub startup_us: Option<f64>,
    /// The two noop task counts, each run [`DispatchCost::REPS`] times (median).
    pub tasks: [u32; 2],
    /// Why it could not run, or empty.
    pub detail: String,
}

impl DispatchCost {
    /// Repetitions of each noop task count.
    pub const REPS: usize = 3;
}

/// Writes a run's files as it goes.
#[derive(Debug)]
pub struct RunWriter {
    dir: PathBuf,
    meta: RunMeta,
    runs: RunsFile,
    series: csv::Writer<File>,
    rows: Vec<Row>,
}

/// The most iolab reads of a `run.json`: the plan of the largest grid
/// ([`crate::experiment::limit::MAX_SCENARIOS`] scenarios, ~0.4 KiB each) and the
/// text of its experiment files fit with room to spare; a larger file is
/// not one iolab wrote.
pub const RUN_JSON_MAX_BYTES: u64 = 256 << 20;
/// The most iolab reads of a `runs.csv`, `summary.csv` or
/// `timeseries.csv` (1 GiB: a row of `runs.csv` is ~0.6 KiB, so well over
/// a million repetitions).
pub const CSV_MAX_BYTES: u64 = 1 << 30;

/// File names inside a run folder.
pub const RUN_JSON: &str = "run.json";
/// Per-repetition rows.
pub const RUNS_CSV: &str = "runs.csv";
/// Per-scenario summary rows.
pub const SUMMARY_CSV: &str = "summary.csv";
/// Throughput per interval inside each repetition.
pub const TIMESERIES_CSV: &str = "timeseries.csv";

impl RunWriter {
    /// Create `dir` (which must not exist yet) with `run.json` and an empty
    /// `runs.csv`, all at once: they are written into a hidden temporary
    /// folder beside it that is then renamed (never over an existing folder).
    ///
    /// # Errors
    /// When the folder exists already ([`RunFolderTaken`], also when
    /// another process made it meanwhile: the rename never replaces) or
    /// cannot be written, naming it; nothing is left behind then.
    pub fn create(dir: &Path, meta: RunMeta) -> anyhow::Result<RunWriter> {
        let (parent, name) = match (dir.parent(), dir.file_name()) {
            (Some(p), Some(n)) => (p, n.to_string_lossy()),
            _ => anyhow::bail!("{} is not a run folder path", dir.display()),
        };
        if fs::symlink_metadata(dir).is_ok() {
            return Err(RunFolderTaken(dir.to_path_buf()).into());
        }
        fs::create_dir_all(parent)
            .with_context(|| format!("creating results folder {}", parent.display()))?;
        let temp = parent.join(format!(".{name}.incomplete-{}", std::process::id()));
        fs::create_dir(&temp).with_context(|| format!("creating run folder {}", temp.display()))?;
        let built = fill_new_run_folder(&temp, dir, &meta);
        let mut runs = match built {
            Ok(runs) => runs,
            Err(e) => {
                for file in [RUN_JSON, RUNS_CSV] {
                    let _ = fs::remove_file(temp.join(file));
                }
                let _ = fs::remove_dir(&temp);
                return Err(e);
            }
        };
        runs.moved_to(dir.join(RUNS_CSV));
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            meta,
            runs,
            series: series_csv(&dir.join(TIMESERIES_CSV))?,
            rows: Vec::new(),
        })
    }

    /// Remove the run folder this writer made and nothing else (its
    /// `run.json`, `runs.csv` and `timeseries.csv`, then the folder, which
    /// must then be empty): a claim of a run id that another rank found
    /// taken.
    ///
    /// # Errors
    /// A file or the folder that cannot be removed, naming it.
    pub fn abandon(self) -> anyhow::Result<()> {
        let RunWriter {
            dir, runs, series, ..
        } = self;
        drop((runs, series));
        for name in [RUN_JSON, RUNS_CSV, TIMESERIES_CSV] {
            let path = dir.join(name);
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
        fs::remove_dir(&dir).with_context(|| format!("removing {}", dir.display()))
    }

    /// Open an existing run folder to go on appending: its `run.json`, its
    /// whole rows (a torn last line is cut away) and `runs.csv` locked.
    ///
    /// # Errors
    /// When a file is missing, malformed or locked by a running iolab.
    pub fn reopen(dir: &Path) -> anyhow::Result<RunWriter> {
        let meta = read_meta(dir)?;
        let (runs, rows) = RunsFile::reopen(&dir.join(RUNS_CSV))?;
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            meta,
            runs,
            series: series_csv(&dir.join(TIMESERIES_CSV))?,
            rows,
        })
    }

    /// The run folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `run.json` as it stands.
    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// Rows written so far.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Record in `run.json` that the run goes on from now (`at`).
    ///
    /// # Errors
    /// When `run.json` cannot be written, naming it.
    pub fn mark_resumed(&mut self, at: String) -> anyhow::Result<()> {
        self.meta.resumed_at.push(at);
        self.meta.ended_at = None;
        self.meta.interrupted = false;
        write_json_atomically(&self.dir.join(RUN_JSON), &self.meta)
    }

    /// Append one repetition's row, whole, and sync it to disk.
    ///
    /// # Errors
    /// When the row cannot be written (disk full, say), naming the file;
    /// the file then still ends with its last whole row.
    pub fn append(&mut self, row: Row) -> anyhow::Result<()> {
        self.append_rows(vec![row])
    }

    /// Append one repetition's rows (every rank's and their aggregate) in
    /// one write, and sync them: a job killed meanwhile leaves all of them
    /// or none (a torn last line is cut on reopening).
    ///
    /// # Errors
    /// As [`RunWriter::append`].
    pub fn append_rows(&mut self, rows: Vec<Row>) -> anyhow::Result<()> {
        self.runs.append(&rows)?;
        self.rows.extend(rows);
        Ok(())
    }

    /// Append one repetition's time series to `timeseries.csv` and flush it.
    ///
    /// # Errors
    /// When the points cannot be written, naming the file.
    pub fn append_series(&mut self, points: &[SeriesPoint]) -> anyhow::Result<()> {
        let path = self.dir.join(TIMESERIES_CSV);
        for p in points {
            self.series
                .serialize(p)
                .with_context(|| format!("writing a row to {}", path.display()))?;
        }
        self.series
            .flush()
            .with_context(|| format!("flushing {}", path.display()))
    }

    /// Record the strategies' dispatch costs in `run.json`.
    ///
    /// # Errors
    /// When `run.json` cannot be written, naming it.
    pub fn record_dispatch(&mut self, costs: Vec<DispatchCost>) -> anyhow::Result<()> {
        self.meta.dispatch = costs;
        write_json_atomically(&self.dir.join(RUN_JSON), &self.meta)
    }

    /// Write `summary.csv` from the rows so far, and the end time into
    /// `run.json`, marked interrupted when a signal stopped the run.
    ///
    /// # Errors
    /// When either file cannot be written, naming it.
    pub fn finish(
        mut self,
        ended_at: String,
        interrupted: bool,
    ) -> anyhow::Result<Vec<SummaryRow>> {
        let summary = summarize_rows(&self.rows, self.meta.plan.bootstrap_seed);
        write_summary(&self.dir.join(SUMMARY_CSV), &summary)?;
        self.meta.ended_at = Some(ended_at);
        self.meta.interrupted = interrupted;
        write_json_atomically(&self.dir.join(RUN_JSON), &self.meta)?;
        Ok(summary)
    }
}

/// `run.json` and an empty `runs.csv` in `temp`, then `temp` renamed to `dir`.
fn fill_new_run_folder(temp: &Path, dir: &Path, meta: &RunMeta) -> anyhow::Result<RunsFile> {
    write_json_atomically(&temp.join(RUN_JSON), meta)?;
    let runs = RunsFile::create(&temp.join(RUNS_CSV), &metric_names(&meta.plan))?;
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        temp,
        rustix::fs::CWD,
        dir,
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(|e| match e {
        rustix::io::Errno::EXIST => anyhow::Error::new(RunFolderTaken(dir.to_path_buf())),
        e => anyhow::Error::new(e).context(format!(
            "renaming {} to {}",
            temp.display(),
            dir.display()
        )),
    })?;
    Ok(runs)
}

/// A new run's folder exists already (an earlier run, or another run that
/// claimed the same id first).
#[derive(Debug, thiserror::Error)]
#[error("run folder {} exists already: pick another --run-id", .0.display())]
pub struct RunFolderTaken(pub PathBuf);

/// `timeseries.csv` of a run folder opened for appending (created, with its
/// header, when missing), never through a link, never blocking (a FIFO or
/// a device there is an error naming it).
/// The names of the metrics of every workload of `plan`, each once, in
/// the order the plan first names them: the `m_` columns of `runs.csv`.
fn metric_names(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in &plan.scenarios {
        for m in s.workload.metrics() {
            if !names.iter().any(|n| n == m.name) {
                names.push(m.name.to_string());
            }
        }
    }
    names
}

fn series_csv(path: &Path) -> anyhow::Result<csv::Writer<File>> {
    let file = crate::safefs::open_appending(path, false)?;
    let empty = file
        .metadata()
        .with_context(|| format!("inspecting {}", path.display()))?
        .len()
        == 0;
    Ok(csv::WriterBuilder::new()
        .has_headers(empty)
        .from_writer(file))
}

/// Write `summary.csv` rows to `path` (atomically).
///
/// # Errors
/// When the file cannot be written, naming it.
pub fn write_summary(path: &Path, rows: &[SummaryRow]) -> anyhow::Result<()> {
    let names: std::collections::BTreeSet<&String> =
        rows.iter().flat_map(|r| r.metrics.keys()).collect();
    let extra: Vec<String> = names
        .iter()
        .flat_map(|n| summary::MetricSummary::columns(n))
        .collect();
    let bytes = metric_columns::write(rows, &extra, |r, column| {
        let name = crate::workload::metric::metric_of(column)?;
        summary::MetricSummary::cell(&r.metrics, name)
    })
    .with_context(|| format!("formatting {}", path.display()))?;
    write_atomically(path, &bytes)
}

fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_atomically(path, &text)
}

/// Write `bytes` to `path` through a fresh temporary file, fsync, a rename
/// and a fsync of the folder ([`crate::safefs::write_atomic`]), so readers
/// never see a half-written file.
///
/// # Errors
/// I/O errors (out of space, say), naming the path; the old file, if any,
/// is then untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    crate::safefs::write_atomic(dir, &name, bytes)
        .with_context(|| format!("writing {}", path.display()))
}

/// A run read back from its folder.
#[derive(Clone, Debug)]
pub struct LoadedRun {
    /// Its folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub meta: RunMeta,
    /// `runs.csv`'s aggregate rows (`rank` = `all`: every row of a
    /// single-process run), the rows comparisons, claims and tuning use.
    pub rows: Vec<Row>,
    /// `runs.csv`'s per-rank rows of a run with several MPI ranks.
    pub rank_rows: Vec<Row>,
    /// `summary.csv`, recomputed from the rows unless the run completed.
    pub summary: Vec<SummaryRow>,
}

/// Load a run folder.
///
/// # Errors
/// A missing or malformed file, naming it and the line.
pub fn load(dir: &Path) -> anyhow::Result<LoadedRun> {
    let meta = read_meta(dir)?;
    let (rows, rank_rows): (Vec<Row>, Vec<Row>) = runs_file::read_rows(&dir.join(RUNS_CSV))?
        .into_iter()
        .partition(Row::is_aggregate);
    let summary_path = dir.join(SUMMARY_CSV);
    // A run killed after a resume may hold the summary of its earlier stop.
    let summary_bytes = meta
        .completed()
        .then(|| crate::safefs::read_file_if_exists(&summary_path, CSV_MAX_BYTES))
        .transpose()?
        .flatten();
    let summary = if let Some(bytes) = summary_bytes {
        let mut summary: Vec<SummaryRow> =
            metric_columns::read(&summary_path, &bytes, summary::MetricSummary::set)?;
        for s in &mut summary {
            s.program = s
                .program
                .take()
                .or_else(|| row::program_from_old_id(&s.scenario_id));
        }
        summary
    } else {
        summarize_rows(&rows, meta.plan.bootstrap_seed)
    };
    Ok(LoadedRun {
        dir: dir.to_path_buf(),
        meta,
        rows,
        rank_rows,
        summary,
    })
}

/// Read a run folder's `run.json`.
///
/// # Errors
/// A missing or malformed file, naming it.
pub fn read_meta(dir: &Path) -> anyhow::Result<RunMeta> {
    let meta_path = dir.join(RUN_JSON);
    let text = match crate::safefs::read_file(&meta_path, RUN_JSON_MAX_BYTES) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => {
            anyhow::bail!("{} has no {RUN_JSON}: is it a run folder?", dir.display())
        }
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&text).with_context(|| format!("parsing {}", meta_path.display()))
}

/// A run folder's `timeseries.csv`; empty for runs made before it existed.
///
/// # Errors
/// A malformed file, naming it and the line.
pub fn load_timeseries(dir: &Path) -> anyhow::Result<Vec<SeriesPoint>> {
    let path = dir.join(TIMESERIES_CSV);
    match crate::safefs::read_file_if_exists(&path, CSV_MAX_BYTES)? {
        Some(bytes) => read_csv(&path, &bytes),
        None => Ok(Vec::new()),
    }
}

/// The rows of a CSV file's `bytes` (read from `path`).
fn read_csv<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.with_context(|| format!("{} row {}", path.display(), i + 1)))
        .collect()
}
