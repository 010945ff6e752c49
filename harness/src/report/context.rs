//! What a run's report says, as plain serializable data: header facts,
//! headlines, figures, claims, warnings, notes and the results table. The
//! HTML page (`html`) and `summary.md` (`markdown`) are both filled from one
//! [`RunContext`], the way criterion fills its HTML templates.
//!
//! Owns: choosing and formatting the facts. Does not own: markup, drawing,
//! statistics (`crate::stats`), or judging claims (`crate::claims`).

use serde::Serialize;

/// A median with its interval, when there is one.
pub type Estimate = (f64, Option<(f64, f64)>);

use super::charts::Chart;
use super::claims::{Judgement, Verdict};
use super::view;
use super::warnings::{self, Warning};
use crate::experiment::Order;
use crate::results::Named as _;
use crate::results::{DispatchCost, LoadedRun, SummaryRow, SummaryStatus};
use crate::stats::{self, Change, Interval};
use crate::strategy::StrategyKind;
use crate::tune::files::record::TuningRecord;
use crate::workload::WorkloadId;

/// Everything a run's report shows.
#[derive(Clone, Debug, Serialize)]
pub struct RunContext {
    /// The run's identifier.
    pub run_id: String,
    /// Page title.
    pub title: String,
    /// Machine facts for the header.
    pub machine: Vec<Fact>,
    /// Run facts for the header.
    pub run: Vec<Fact>,
    /// The fastest scenario per workload and cache state.
    pub headlines: Vec<Headline>,
    /// Charts with their PNG files.
    pub figures: Vec<FigureContext>,
    /// Claims this run tests.
    pub claims: Vec<Judgement>,
    /// Claims judged "not tested" (counted, not listed).
    pub untested_claims: usize,
    /// What limits trust in the numbers.
    pub warnings: Vec<WarningContext>,
    /// Scenarios that were unavailable, failed or did not verify.
    pub notes: Vec<Note>,
    /// Every scenario.
    pub table: Vec<TableRow>,
    /// The sweep's `tuning.json`, when the run folder is a tuning sweep.
    pub tuning: Option<TuningRecord>,
    /// The run's `calibration.json` (iolab ÷ fio), when it has one.
    pub calibration: Option<crate::calibrate::Calibration>,
    /// The filesystem matrix, for a run on several storages.
    pub storage: Option<super::matrix::StorageMatrix>,
    /// A user workload's metrics: a table per workload that has them.
    pub metrics: Vec<super::metrics::MetricTable>,
    /// Each workload's description and the details of its checks.
    pub workloads: Vec<super::workloads::WorkloadCard>,
}

/// One labelled value of the header.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value.
    pub value: String,
}

/// The fastest scenario of one workload and cache state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Headline {
    /// Workload.
    pub workload: WorkloadId,
    /// Cache state.
    pub cache: String,
    /// Label of the fastest scenario.
    pub fastest: String,
    /// Its throughput with interval.
    pub throughput: String,
    /// The sequential baseline's throughput, if measured.
    pub baseline: String,
    /// Speedup over the baseline with interval.
    pub speedup: String,
    /// `faster than sequential`, `no clear difference`…
    pub verdict: String,
}

/// One chart on the page.
#[derive(Clone, Debug, Serialize)]
pub struct FigureContext {
    /// The chart spec.
    pub chart: Chart,
    /// PNG file name next to `index.html`.
    pub file: String,
    /// The PNG's bytes (embedded in the page, not serialised).
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// One warning with its cause, remedy and affected scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarningContext {
    /// Short title.
    pub title: String,
    /// Cause and remedy.
    pub text: String,
    /// Affected scenarios, one line each.
    pub items: Vec<String>,
}

/// A scenario that has no trustworthy numbers, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Note {
    /// Scenario id.
    pub scenario: String,
    /// `unavailable`, `failed`, `unverified`, or `partly verified`.
    pub status: String,
    /// The recorded reason.
    pub detail: String,
}

/// One row of the results table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableRow {
    /// Scenario id.
    pub scenario: String,
    /// Workload.
    pub workload: WorkloadId,
    /// Variant.
    pub variant: String,
    /// Strategy label.
    pub strategy: String,
    /// Strategy (for its colour).
    pub strategy_name: StrategyKind,
    /// Cache state.
    pub cache: String,
    /// Status.
    pub status: String,
    /// Verified of measured repetitions.
    pub verified: String,
    /// Median wall seconds and its interval (absent when nothing was timed;
    /// the interval absent when fewer than two repetitions were).
    pub wall_s: Option<Estimate>,
    /// Median MB/s and its interval.
    pub mb_per_s: Option<Estimate>,
    /// Speedup over sequential and its interval.
    pub speedup: Option<Estimate>,
    /// Coefficient of variation, percent.
    pub cv_pct: Option<f64>,
    /// Outlying repetitions.
    pub outliers: u32,
    /// Median cache residency at start, percent.
    pub resident_pct: Option<f64>,
    /// The strategy's dispatch cost beside the median task time, when the
    /// task is under [`HARNESS_VISIBLE`] times that cost (else `None`).
    pub harness: Option<String>,
}

/// A scenario's dispatch cost is shown when its median task time is under
/// this many times the cost.
pub const HARNESS_VISIBLE: f64 = 100.0;

/// `dispatch 0.27 µs/task = 5.4 % of the median task (5.0 µs)` when the
/// median task of `r` is under [`HARNESS_VISIBLE`] times its strategy's
/// calibrated dispatch cost.
pub fn harness_note(r: &SummaryRow, dispatch: &[DispatchCost]) -> Option<String> {
    let ns = dispatch
        .iter()
        .find(|d| d.strategy == r.strategy_label)?
        .ns_per_task?;
    let task_ns = r.lat_p50_us * 1000.0;
    if ns <= 0.0 || task_ns <= 0.0 || task_ns >= HARNESS_VISIBLE * ns {
        return None;
    }
    Some(format!(
        "dispatch {} µs/task = {:.1} % of the median task ({} µs)",
        view::sig3(ns / 1000.0),
        100.0 * ns / task_ns,
        view::sig3(r.lat_p50_us)
    ))
}

/// Build the context of `run`'s report from its charts (already drawn, with
/// their PNG bytes) and the judged claims.
pub fn build(
    run: &LoadedRun,
    figures: Vec<FigureContext>,
    judgements: Vec<Judgement>,
) -> RunContext {
    let (claims, untested): (Vec<Judgement>, Vec<Judgement>) = judgements
        .into_iter()
        .partition(|j| j.verdict != Verdict::NotTested);
    RunContext {
        run_id: run.meta.run_id.clone(),
        title: format!("iolab report · {}", run.meta.run_id),
        machine: machine_facts(run),
        run: run_facts(run),
        headlines: headlines(&run.summary),
        figures,
        claims,
        untested_claims: untested.len(),
        warnings: warnings::find(run)
            .iter()
            .map(|w: &Warning| WarningContext {
                title: w.title().to_string(),
                text: w.to_string(),
                items: w.items(),
            })
            .collect(),
        notes: notes(&run.summary),
        table: run
            .summary
            .iter()
            .map(|r| table_row(r, &run.meta.dispatch))
            .collect(),
        tuning: None,
        calibration: None,
        storage: None,
        metrics: super::metrics::tables(&run.summary),
        workloads: super::workloads::cards(run),
    }
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_string(),
        value: value.into(),
    }
}

/// Facts about the machine a run was measured on.
pub fn machine_facts(run: &LoadedRun) -> Vec<Fact> {
    let m = &run.meta.machine;
    let cores = match m.physical_cores {
        Some(p) => format!("{} logical CPUs, {p} physical cores", m.logical_cpus),
        None => format!("{} logical CPUs", m.logical_cpus),
    };
    let device = match (&m.block_device, m.rotational) {
        (Some(d), Some(true)) => format!(" ({d}, reports rotational)"),
        (Some(d), Some(false)) => format!(" ({d}, non-rotational)"),
        (Some(d), None) => format!(" ({d})"),
        (None, _) => String::new(),
    };
    vec![
        fact("Host", m.hostname.clone()),
        fact("CPU", format!("{} — {cores}", m.cpu_model)),
        fact("Memory", view::bytes(m.memory_bytes)),
        fact("OS", m.os.clone()),
        fact("Kernel", m.kernel.clone()),
        fact(
            "Storage",
            format!("{} on {}{device}", m.filesystem, m.mount_source),
        ),
        fact(
            "Privileges",
            if m.root {
                "root (drop_caches available)"
            } else {
                "unprivileged (cold cache by fadvise)"
            },
        ),
    ]
}

/// Facts about the run: versions, times, corpus, measurement settings.
pub fn run_facts(run: &LoadedRun) -> Vec<Fact> {
    let meta = &run.meta;
    let plan = &meta.plan;
    let c = &plan.corpus;
    let mut corpus = format!(
        "{} files × {} lines × {} values",
        view::count(u64::from(c.files)),
        view::count(u64::from(c.lines)),
        c.values
    );
    if let Some(large) = c.large_file_bytes {
        corpus.push_str(&format!(", plus a large file of {}", view::bytes(large)));
    }
    if let Some(k) = c.folders.shards() {
        corpus.push_str(&format!(
            ", spread over {k} folders (folders = {})",
            c.folders
        ));
    }
    corpus.push_str(&format!(
        " — {}; {}",
        meta.corpus_dir.display(),
        meta.corpus_provenance
    ));
    let order = match plan.order {
        Order::Interleaved { seed } => format!("interleaved rounds (shuffle seed {seed})"),
        Order::Sequential => "one scenario after another".into(),
    };
    let cold = serde_json::to_value(plan.cold_method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let ok = run
        .summary
        .iter()
        .filter(|s| s.status == SummaryStatus::Ok)
        .count();
    let mut facts = vec![
        fact("iolab", format!("{} (commit {})", meta.iolab_version, meta.git_commit)),
        fact("Started", meta.started_at.clone()),
        fact("Ended", match (&meta.ended_at, meta.interrupted) {
            (Some(t), false) => t.clone(),
            (Some(t), true) => format!("{t} (interrupted)"),
            (None, _) => "— (interrupted)".into(),
        }),
        fact("Total time", total_time(&meta.started_at, meta.ended_at.as_deref())),
        fact("Corpus", match &meta.inputs {
            Some(input) => input_set(input),
            None => corpus,
        }),
        fact("Scenarios", format!("{} ({ok} ok)", run.summary.len())),
        fact(
            "Measurement",
            format!(
                "{} repetitions after {} warm-up(s); {order}; settle {} s; cold method {cold}; bootstrap seed {}",
                plan.reps,
                plan.warmup,
                plan.settle.idle.as_secs_f64(),
                plan.bootstrap_seed
            ),
        ),
        fact("Command", meta.command_line.join(" ")),
    ];
    if let Some(user) = &meta.user_crate {
        facts.insert(1, fact("Your crate", user.to_string()));
    }
    facts
}

/// An input set in one line: folder, files, total, the size histogram,
/// what was skipped and how it compared with its manifest.
fn input_set(i: &crate::corpus::InputSummary) -> String {
    let classes: Vec<String> = i
        .histogram
        .iter()
        .map(|c| {
            format!(
                "{}: {} files ({})",
                c.sizes,
                view::count(c.files),
                view::bytes(c.bytes)
            )
        })
        .collect();
    let glob = i
        .glob
        .as_ref()
        .map_or(String::new(), |g| format!(" matching {g}"));
    let skipped = match i.skipped.len() {
        0 => String::new(),
        n => format!("; {n} entries skipped ({})", i.skipped.join("; ")),
    };
    format!(
        "your files in {}{glob}, read-only: {} files, {} (smallest {}, largest {}); sizes {}{skipped}; {}",
        i.dir.display(),
        view::count(i.files),
        view::bytes(i.total_bytes),
        view::bytes(i.smallest),
        view::bytes(i.largest),
        classes.join(", "),
        i.check
    )
}

fn total_time(start: &str, end: Option<&str>) -> String {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (parse(start), end.and_then(parse)) {
        (Some(a), Some(b)) => view::duration((b - a).num_milliseconds() as f64 / 1e3),
        _ => "unknown".into(),
    }
}

fn headlines(rows: &[SummaryRow]) -> Vec<Headline> {
    let mut out = Vec::new();
    for workload in view::workloads(rows) {
        let timed: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| {
                r.workload == workload
                    && r.status == SummaryStatus::Ok
                    && !r.killed()
                    && view::has_throughput(r)
            })
            .collect();
        let timed = crate::results::prefer_whole_corpus(&timed);
        let with_variant = view::distinct(&timed, |r| r.variant.clone()).len() > 1;
        for cache in view::caches(&timed) {
            let of_cache: Vec<&&SummaryRow> = timed.iter().filter(|r| r.cache == cache).collect();
            let best = of_cache
                .iter()
                .max_by(|a, b| a.mb_per_s.total_cmp(&b.mb_per_s));
            let Some(best) = best else { continue };
            let only_sequential = of_cache
                .iter()
                .all(|r| r.is_strategy(StrategyKind::Sequential));
            let base = rows.iter().find(|r| r.scenario_id == best.baseline_id);
            out.push(Headline {
                workload,
                cache: cache.to_string(),
                fastest: view::label(best, with_variant, false),
                throughput: throughput(best),
                baseline: base
                    .map(throughput)
                    .unwrap_or_else(|| "not measured".into()),
                speedup: view::speedup(best).unwrap_or_else(|| "–".into()),
                verdict: if only_sequential {
                    "only sequential measured".into()
                } else {
                    verdict(best)
                },
            });
        }
    }
    out
}

/// Median throughput with its interval and the repetitions it rests on.
fn throughput(r: &SummaryRow) -> String {
    format!(
        "{} MB/s {} (n = {})",
        view::sig3(r.mb_per_s),
        view::interval(r.mb_per_s_ci(), view::sig3),
        r.n_verified
    )
}

/// How the speedup's interval reads against the noise band.
fn verdict(r: &SummaryRow) -> String {
    if r.is_strategy(StrategyKind::Sequential) {
        return "sequential is fastest".into();
    }
    let (Some(low), Some(high)) = (r.speedup_ci_low, r.speedup_ci_high) else {
        return if r.speedup.is_some() {
            "n = 1: no interval, no verdict".into()
        } else {
            "no baseline".into()
        };
    };
    let ci = Interval {
        low,
        high,
        level: stats::bootstrap::DEFAULT_LEVEL,
    };
    match stats::classify_speedup(&ci, stats::compare::DEFAULT_NOISE) {
        Change::Faster => "faster than sequential".into(),
        Change::Slower => "slower than sequential".into(),
        Change::NoChange => "no clear difference from sequential".into(),
    }
}

fn notes(rows: &[SummaryRow]) -> Vec<Note> {
    rows.iter()
        .filter_map(|r| {
            let status = if r.status != SummaryStatus::Ok {
                r.status.to_string()
            } else if r.n_verified < r.n {
                format!("partly verified ({} of {})", r.n_verified, r.n)
            } else {
                return None;
            };
            Some(Note {
                scenario: r.scenario_id.clone(),
                status,
                detail: if r.detail.is_empty() {
                    "no reason recorded".into()
                } else {
                    r.detail.clone()
                },
            })
        })
        .collect()
}

fn table_row(r: &SummaryRow, dispatch: &[DispatchCost]) -> TableRow {
    let timed = view::has_time(r);
    let moved = view::has_throughput(r);
    TableRow {
        scenario: r.scenario_id.clone(),
        workload: r.workload,
        variant: r.variant.clone(),
        strategy: r.strategy_shown(),
        strategy_name: r.strategy,
        cache: r.cache.to_string(),
        status: r.status.to_string(),
        verified: format!("{}/{}", r.n_verified, r.n),
        wall_s: timed.then_some((r.wall_median_s, r.wall_ci())),
        mb_per_s: moved.then_some((r.mb_per_s, r.mb_per_s_ci())),
        speedup: r
            .speedup
            .map(|p| (p, r.speedup_ci_low.zip(r.speedup_ci_high))),
        cv_pct: (timed && r.n >= 2).then_some(r.wall_cv * 100.0),
        outliers: r.outliers,
        resident_pct: r.cache_resident_pct,
        harness: harness_note(r, dispatch),
    }
}
