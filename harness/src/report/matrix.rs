//! The filesystem matrix of a run on several storages: per workload, cache
//! state and storage, the best strategy, its speedup over sequential and
//! the sequential time, each with its interval; the emulator's measured
//! latency and FUSE's own cost per emulated storage; and, for a run that
//! sweeps the emulated latency, the crossover sentence of each claim
//! (`crate::claims::crossover`).
//!
//! Owns: choosing the cells and their text. Does not own: the charts
//! (`charts::storage`), markup (`html`, `markdown`), the judgements.

use serde::Serialize;

use super::view;
use crate::claims::{crossover, Judgement};
use crate::results::Named as _;
use crate::results::{LoadedRun, SummaryRow};
use crate::storage::Storage;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadId;

/// A median with its interval, when there is one.
pub type Estimate = (f64, Option<(f64, f64)>);

/// The section's data.
#[derive(Clone, Debug, Serialize)]
pub struct StorageMatrix {
    /// The storages of the run, in the order first met.
    pub storages: Vec<Storage>,
    /// One cell per workload, cache state and storage with results.
    pub cells: Vec<Cell>,
    /// Per emulated storage: its settings, the latency measured on it
    /// after mounting and FUSE's own cost.
    pub emulators: Vec<String>,
    /// Per claim, the latency from which it holds (a latency sweep).
    pub crossovers: Vec<String>,
}

/// One workload on one storage from one cache state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// Workload.
    pub workload: WorkloadId,
    /// Cache state.
    pub cache: String,
    /// Storage.
    pub storage: Storage,
    /// The fastest verified scenario's strategy (as displayed).
    pub best: String,
    /// Its strategy, for its colour.
    pub best_kind: StrategyKind,
    /// Its median wall seconds with interval.
    pub best_s: Estimate,
    /// Its speedup over sequential with interval (absent without a
    /// baseline, or when sequential is the best).
    pub speedup: Option<Estimate>,
    /// The sequential baseline's median wall seconds with interval.
    pub sequential_s: Option<Estimate>,
}

/// The matrix of `run`, or `None` for a run on one storage.
pub fn build(run: &LoadedRun, judgements: &[Judgement]) -> Option<StorageMatrix> {
    let mut storages: Vec<Storage> = Vec::new();
    for r in &run.summary {
        if !storages.contains(&r.storage) {
            storages.push(r.storage);
        }
    }
    if storages.len() < 2 {
        return None;
    }
    let emulators = run
        .meta
        .storages
        .iter()
        .filter_map(|s| {
            let e = s.emulator.as_ref()?;
            let measured = e.measured.as_ref().map_or_else(
                || "not measured".to_string(),
                |m| {
                    let error = m
                        .error_pct
                        .map_or_else(String::new, |p| format!(" ({p:+.1} % of the delay asked)"));
                    format!(
                        "a 4 KiB read took {:.1} µs, of which the delay {:.1} µs{error}; FUSE's own cost {:.1} µs per read (twin {:.1} µs, backing folder {:.1} µs); a stat {:.1} µs",
                        m.read_us, m.added_us, m.fuse_cost_us, m.twin_read_us, m.backing_read_us, m.stat_us
                    )
                },
            );
            Some(format!("{}: {measured}", s.storage))
        })
        .collect();
    Some(StorageMatrix {
        cells: cells(&run.summary, &storages),
        storages,
        emulators,
        crossovers: crossover::crossovers(judgements)
            .iter()
            .map(crossover::Crossover::sentence)
            .collect(),
    })
}

/// Every cell of the summary rows, workloads in the report's order, then
/// cache states, then storages in `storages`' order.
pub fn cells(rows: &[SummaryRow], storages: &[Storage]) -> Vec<Cell> {
    let mut out = Vec::new();
    for workload in view::workloads(rows) {
        let timed: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| r.workload == workload && r.n_verified > 0 && r.wall_median_s > 0.0)
            .collect();
        for cache in view::caches(&timed) {
            for storage in storages {
                let here: Vec<&SummaryRow> = timed
                    .iter()
                    .copied()
                    .filter(|r| r.cache == cache && r.storage == *storage)
                    .collect();
                if let Some(cell) = cell(&here) {
                    out.push(cell);
                }
            }
        }
    }
    out
}

/// The cell of one workload, cache state and storage: the fastest
/// scenario and its own sequential baseline.
fn cell(here: &[&SummaryRow]) -> Option<Cell> {
    let best = here
        .iter()
        .min_by(|a, b| a.wall_median_s.total_cmp(&b.wall_median_s))?;
    let baseline = here.iter().find(|r| r.scenario_id == best.baseline_id);
    let sequential = best.is_strategy(StrategyKind::Sequential);
    Some(Cell {
        workload: best.workload,
        cache: best.cache.as_str().to_string(),
        storage: best.storage,
        best: best.strategy_shown(),
        best_kind: best.strategy,
        best_s: (best.wall_median_s, best.wall_ci()),
        speedup: best
            .speedup
            .filter(|_| !sequential)
            .map(|s| (s, best.speedup_ci_low.zip(best.speedup_ci_high))),
        sequential_s: baseline.map(|b| (b.wall_median_s, b.wall_ci())),
    })
}

impl StorageMatrix {
    /// What the section shows, in a sentence.
    pub fn intro(&self) -> String {
        "Per workload and storage: the fastest verified strategy, its speedup over sequential on the same storage and the sequential time, each with its 95 % bootstrap interval. Every storage ran in this run, its repetitions interleaved with the others'; an emulated storage's zero-latency twin (lat=0) shows what FUSE itself costs.".into()
    }

    /// The table: header and rows of text.
    pub fn table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "Workload",
            "Cache",
            "Storage",
            "Best strategy",
            "Speedup [95 % CI]",
            "Sequential [95 % CI]",
            "Best time [95 % CI]",
        ];
        let rows = self
            .cells
            .iter()
            .map(|c| {
                vec![
                    c.workload.to_string(),
                    c.cache.clone(),
                    c.storage.to_string(),
                    c.best.clone(),
                    c.speedup
                        .map_or_else(|| "—".into(), |(v, ci)| with_ci(v, ci, "×")),
                    c.sequential_s
                        .map_or_else(|| "—".into(), |(v, ci)| seconds(v, ci)),
                    seconds(c.best_s.0, c.best_s.1),
                ]
            })
            .collect();
        (header, rows)
    }
}

fn with_ci(v: f64, ci: Option<(f64, f64)>, unit: &str) -> String {
    match ci {
        Some((lo, hi)) => format!(
            "{}{unit} [{} … {}]",
            view::sig3(v),
            view::sig3(lo),
            view::sig3(hi)
        ),
        None => format!("{}{unit}", view::sig3(v)),
    }
}

fn seconds(v: f64, ci: Option<(f64, f64)>) -> String {
    if v < 1.0 {
        with_ci(v * 1e3, ci.map(|(l, h)| (l * 1e3, h * 1e3)), " ms")
    } else {
        with_ci(v, ci, " s")
    }
}
