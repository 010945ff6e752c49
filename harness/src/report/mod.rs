//! Reports of a run and comparisons of two runs: a self-contained HTML page,
//! one PNG per chart, and Markdown tables.
//!
//! The pipeline of `iolab report <run-dir>`, one module per step:
//! load the run folder (`crate::results::load`) → chart specs from the
//! summary rows ([`charts::plan`], pure data) → PNGs ([`charts::render`]) →
//! one [`context::RunContext`] of everything the report says (header,
//! headlines, claims via [`claims::claims_section`], [`warnings`], notes,
//! table) → [`html::run_page`] and [`markdown::run_summary`] → files in
//! `<out>/<run-id>/`. `iolab compare` lives in [`compare`].
//!
//! Owns: presentation. Does not own: measurements, statistics
//! (`crate::stats`), the results files (`crate::results`), or the verdicts on
//! claims (`crate::claims`). Renders from a run folder alone, so runs from
//! other machines render the same.

pub mod charts;
pub mod claims;
pub mod compare;
pub mod context;
pub mod explain;
pub mod html;
pub mod markdown;
pub mod matrix;
pub mod metrics;
pub mod pairing;
pub mod style;
pub mod view;
pub mod warnings;
pub mod workloads;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::results::{self, write_atomically};
use crate::tune::files::record::{TuningRecord, TUNING_JSON, TUNING_JSON_MAX_BYTES};
use context::FigureContext;

/// File name of the report page inside a report folder.
pub const INDEX_HTML: &str = "index.html";
/// File name of the Markdown summary inside a report folder.
pub const SUMMARY_MD: &str = "summary.md";

/// Render the run in `run_dir` into `<out_root>/<run-id>/`: `index.html`
/// (self-contained), one PNG per chart, and `summary.md`. Charts left there
/// by an earlier rendering that no longer apply are removed. Returns the
/// report folder.
///
/// # Errors
/// When the run folder cannot be loaded, a chart cannot be drawn, or a file
/// cannot be written; the message names the file.
pub fn render_run(run_dir: &Path, out_root: &Path) -> anyhow::Result<PathBuf> {
    let run = results::load(run_dir)?;
    let out = out_root.join(&run.meta.run_id);
    fs::create_dir_all(&out)
        .with_context(|| format!("creating report folder {}", out.display()))?;
    let tuning = load_tuning(run_dir)?;
    let mut specs = charts::plan(&run.summary);
    specs.extend(charts::rank_scaling::specs(&run));
    specs.extend(charts::ranks::specs(&run.rank_rows));
    let series = results::load_timeseries(run_dir)?;
    specs.extend(charts::timeline::specs(&run.summary, &run.rows, &series));
    if let Some(t) = &tuning {
        specs.extend(charts::tuning::specs(t));
    }
    let figures = draw_charts(&specs, &out)?;
    remove_stale_charts(&out, &figures)?;
    let judgements = claims::claims_section(&run);
    let storage = matrix::build(&run, &judgements);
    let mut ctx = context::build(&run, figures, judgements);
    ctx.storage = storage;
    ctx.tuning = tuning;
    ctx.calibration = crate::calibrate::Calibration::load(run_dir)?;
    write_atomically(&out.join(INDEX_HTML), html::run_page(&ctx).as_bytes())?;
    write_atomically(
        &out.join(SUMMARY_MD),
        markdown::run_summary(&ctx).as_bytes(),
    )?;
    Ok(out)
}

/// The sweep record of a tuning run folder, if it has one.
fn load_tuning(run_dir: &Path) -> anyhow::Result<Option<TuningRecord>> {
    let path = run_dir.join(TUNING_JSON);
    let Some(text) = crate::safefs::read_file_if_exists(&path, TUNING_JSON_MAX_BYTES)? else {
        return Ok(None);
    };
    let record =
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Some(record))
}

/// The most iolab reads back of a chart it drew.
const CHART_MAX_BYTES: u64 = 64 << 20;

/// The bytes of the chart just drawn to `path`, read back to embed them
/// (as every file iolab reads: [`crate::safefs::read_file`]).
///
/// # Errors
/// When it cannot be read, is not a regular file or is too large.
pub(crate) fn read_chart(path: &Path) -> anyhow::Result<Vec<u8>> {
    crate::safefs::read_file(path, CHART_MAX_BYTES)
        .with_context(|| format!("reading back the chart {}", path.display()))
}

/// Draw every chart to `<out>/<id>.png` and read the bytes back for
/// embedding.
fn draw_charts(specs: &[charts::Chart], out: &Path) -> anyhow::Result<Vec<FigureContext>> {
    let mut figures = Vec::with_capacity(specs.len());
    for chart in specs {
        let file = format!("{}.png", chart.id);
        let path = out.join(&file);
        charts::render(chart, &path)?;
        let png = read_chart(&path)?;
        figures.push(FigureContext {
            chart: chart.clone(),
            file,
            png,
        });
    }
    Ok(figures)
}

/// Remove chart PNGs in the report folder that this rendering did not write
/// (charts of an earlier rendering whose data is gone); other files stay.
fn remove_stale_charts(out: &Path, figures: &[FigureContext]) -> anyhow::Result<()> {
    // On the folder's descriptor: a link inside is removed, never followed.
    let folder = crate::safefs::Dir::open(out)?;
    for (name, kind) in folder.entries()? {
        let Some(name) = name.to_str() else { continue };
        let ours = figures.iter().any(|f| f.file == name);
        if kind == crate::safefs::Kind::File && charts::is_chart_file(name) && !ours {
            folder
                .remove_file(name)
                .with_context(|| format!("removing stale chart {}", out.join(name).display()))?;
        }
    }
    Ok(())
}

/// `iolab report <run-dir>`: render the run into a folder under `reports`
/// and print the path of its `index.html`.
///
/// # Errors
/// As [`render_run`].
pub fn command(run_dir: &Path, reports: &Path) -> anyhow::Result<ExitCode> {
    let out = render_run(run_dir, reports)?;
    println!("{}", out.join(INDEX_HTML).display());
    Ok(ExitCode::SUCCESS)
}

/// `iolab compare <run-a> <run-b>`: print the comparison, write its HTML and
/// Markdown, and exit with status 2 when `--fail-on-regression` is given and
/// a scenario is slower by more than that (as the intervals say).
///
/// # Errors
/// As [`compare::compare_runs`] and [`compare::write`].
pub fn compare_command(request: &compare::CompareRequest) -> anyhow::Result<ExitCode> {
    compare::command(request)
}
