//! The results of a run on disk: `results/<run-id>/run.json` (machine,
//! versions, the plan as run, start and end), `runs.csv` (one row per
//! repetition, flushed as each finishes), `timeseries.csv` (throughput per
//! 100 ms inside each repetition) and `summary.csv` (one row per
//! scenario). Reports, comparisons and claims render from these files alone,
//! so runs from other machines can be loaded later.

mod machine;
pub mod row;
mod summary;
pub mod timeseries;

pub use machine::Machine;
pub use row::Row;
pub use summary::{prefer_whole_corpus, summarize_rows, SummaryRow};
pub use timeseries::SeriesPoint;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::experiment::Plan;

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
    /// RFC 3339 end time, once finished.
    pub ended_at: Option<String>,
}

/// Writes a run's files as it goes.
#[derive(Debug)]
pub struct RunWriter {
    dir: PathBuf,
    meta: RunMeta,
    runs: csv::Writer<File>,
    series: csv::Writer<File>,
    rows: Vec<Row>,
}

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
    /// `runs.csv`.
    ///
    /// # Errors
    /// When the folder exists already or cannot be written, naming it.
    pub fn create(dir: &Path, meta: RunMeta) -> anyhow::Result<RunWriter> {
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("creating results folder {}", parent.display()))?;
        }
        fs::create_dir(dir).with_context(|| format!("creating run folder {}", dir.display()))?;
        write_json_atomically(&dir.join(RUN_JSON), &meta)?;
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            meta,
            runs: new_csv(&dir.join(RUNS_CSV))?,
            series: new_csv(&dir.join(TIMESERIES_CSV))?,
            rows: Vec::new(),
        })
    }

    /// The run folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Rows written so far.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Append one repetition's row and flush it to disk.
    ///
    /// # Errors
    /// When the row cannot be written (disk full, say), naming the file.
    pub fn append(&mut self, row: Row) -> anyhow::Result<()> {
        let path = self.dir.join(RUNS_CSV);
        self.runs
            .serialize(&row)
            .with_context(|| format!("writing a row to {}", path.display()))?;
        self.runs
            .flush()
            .with_context(|| format!("flushing {}", path.display()))?;
        self.rows.push(row);
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

    /// Write `summary.csv` and the end time into `run.json`.
    ///
    /// # Errors
    /// When either file cannot be written, naming it.
    pub fn finish(mut self, ended_at: String) -> anyhow::Result<Vec<SummaryRow>> {
        let summary = summarize_rows(&self.rows, self.meta.plan.bootstrap_seed);
        write_summary(&self.dir.join(SUMMARY_CSV), &summary)?;
        self.meta.ended_at = Some(ended_at);
        write_json_atomically(&self.dir.join(RUN_JSON), &self.meta)?;
        Ok(summary)
    }
}

/// A new CSV file at `path` (which must not exist yet), headers on.
fn new_csv(path: &Path) -> anyhow::Result<csv::Writer<File>> {
    let file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    Ok(csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(file))
}

/// Write `summary.csv` rows to `path` (atomically).
///
/// # Errors
/// When the file cannot be written, naming it.
pub fn write_summary(path: &Path, rows: &[SummaryRow]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("serialising summary: {e}"))?;
    write_atomically(path, &bytes)
}

fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_atomically(path, &text)
}

/// Write `bytes` to `path` through a temporary file and a rename, so readers
/// never see a half-written file.
///
/// # Errors
/// I/O errors, naming the path.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let result = (|| -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// A run read back from its folder.
#[derive(Clone, Debug)]
pub struct LoadedRun {
    /// Its folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub meta: RunMeta,
    /// `runs.csv`.
    pub rows: Vec<Row>,
    /// `summary.csv`, recomputed from the rows when missing (an interrupted run).
    pub summary: Vec<SummaryRow>,
}

/// Load a run folder.
///
/// # Errors
/// A missing or malformed file, naming it and the line.
pub fn load(dir: &Path) -> anyhow::Result<LoadedRun> {
    let meta_path = dir.join(RUN_JSON);
    let text = fs::read_to_string(&meta_path).with_context(|| {
        format!(
            "reading {} (is {} a run folder?)",
            meta_path.display(),
            dir.display()
        )
    })?;
    let meta: RunMeta =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", meta_path.display()))?;
    let rows: Vec<Row> = read_csv(&dir.join(RUNS_CSV))?;
    let summary_path = dir.join(SUMMARY_CSV);
    let summary = if summary_path.exists() {
        read_csv(&summary_path)?
    } else {
        summarize_rows(&rows, meta.plan.bootstrap_seed)
    };
    Ok(LoadedRun {
        dir: dir.to_path_buf(),
        meta,
        rows,
        summary,
    })
}

/// A run folder's `timeseries.csv`; empty for runs made before it existed.
///
/// # Errors
/// A malformed file, naming it and the line.
pub fn load_timeseries(dir: &Path) -> anyhow::Result<Vec<SeriesPoint>> {
    let path = dir.join(TIMESERIES_CSV);
    if !path.exists() {
        return Ok(Vec::new());
    }
    read_csv(&path)
}

fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    r.deserialize()
        .enumerate()
        .map(|(i, row)| row.with_context(|| format!("{} row {}", path.display(), i + 1)))
        .collect()
}
