//! The sweep's run folders: `<out>/<run-id>/` holds each round as a
//! standard run folder under `rounds/` ([`ROUNDS_DIR`]), and the rounds
//! merged into one standard run (`run.json`, `runs.csv`, `summary.csv`, so
//! `iolab report` can render the sweep), rewritten after every round. Does
//! not own `tuning.json` beside them (`crate::tune::files::record`).
//!
//! In the merged `summary.csv`, a scenario's repetitions from every round
//! are pooled, so the sequential baseline's (measured in every round of a
//! workload) pools all rounds and its speedups may differ slightly from the
//! same-round speedups tuning uses.

use std::fs;
use std::path::Path;

use anyhow::Context;

use super::Sweep;
use crate::experiment::Scenario;
use crate::results::{self, Row, RunMeta, RUNS_CSV, RUN_JSON, SUMMARY_CSV};
use crate::tune::config::TuneConfig;

/// Sub-folder of the round run folders.
pub const ROUNDS_DIR: &str = "rounds";

/// What a merged run folder is made of.
#[derive(Clone, Copy, Debug)]
pub struct Merge<'a> {
    /// The merged run's identifier.
    pub run_id: &'a str,
    /// `run.json` of each plan run, in order; the first is the template.
    pub metas: &'a [RunMeta],
    /// Every row, in the order run.
    pub rows: &'a [Row],
    /// Every scenario run (duplicates allowed).
    pub scenarios: &'a [Scenario],
    /// Measured repetitions per scenario (at most).
    pub reps: u32,
    /// Warm-ups per scenario.
    pub warmup: u32,
    /// Bootstrap seed of the summary.
    pub seed: u64,
}

/// Write plan runs merged as one standard run folder into `dir`:
/// `run.json` (the first run's, with the merged identifier, the command
/// line, every scenario once, and the last end time), `runs.csv` (every
/// row, renumbered in the order run, with the merged identifier) and
/// `summary.csv` (all rows summarised together). Nothing is written
/// without a first `run.json`.
///
/// # Errors
/// When a file cannot be written, naming it.
pub fn write_run_folder(dir: &Path, m: &Merge) -> anyhow::Result<()> {
    let Some(first) = m.metas.first() else {
        return Ok(());
    };
    let mut meta: RunMeta = first.clone();
    meta.run_id = m.run_id.to_string();
    meta.command_line = std::env::args().collect();
    meta.ended_at = m.metas.last().and_then(|x| x.ended_at.clone());
    let mut scenarios = m.scenarios.to_vec();
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    scenarios.dedup_by(|a, b| a.id == b.id);
    meta.plan.scenarios = scenarios;
    meta.plan.reps = m.reps;
    meta.plan.warmup = m.warmup;
    let rows: Vec<Row> = m
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| Row {
            run_id: m.run_id.to_string(),
            order: i as u32,
            ..r.clone()
        })
        .collect();
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut json = serde_json::to_vec_pretty(&meta)?;
    json.push(b'\n');
    results::write_atomically(&dir.join(RUN_JSON), &json)?;
    let path = dir.join(RUNS_CSV);
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        w.serialize(r)
            .with_context(|| format!("serialising a row for {}", path.display()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("serialising {}: {e}", path.display()))?;
    results::write_atomically(&path, &bytes)?;
    let summary = results::summarize_rows(&rows, m.seed);
    results::write_summary(&dir.join(SUMMARY_CSV), &summary)
}

/// Write the whole sweep as one standard run folder into `dir` (see
/// [`write_run_folder`]).
///
/// # Errors
/// When a file cannot be written, naming it.
pub fn write_merged(dir: &Path, cfg: &TuneConfig, sweep: &Sweep) -> anyhow::Result<()> {
    write_run_folder(
        dir,
        &Merge {
            run_id: &cfg.run_id,
            metas: &sweep.metas,
            rows: &sweep.rows,
            scenarios: &sweep.scenarios,
            reps: sweep.reps,
            warmup: cfg.warmup,
            seed: cfg.seed,
        },
    )
}
