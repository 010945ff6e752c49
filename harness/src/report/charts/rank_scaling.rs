//! Figure and table: aggregate throughput against the number of MPI ranks,
//! from one run sweeping rank counts (`--ranks 1,2,4`: the run's report)
//! or from several runs of the same scenarios with different rank counts
//! (`iolab compare RUN RUN …`). One point per run, scenario and count: the
//! scenario's median aggregate MB/s (total bytes ÷ latest end − earliest
//! start) with its 95 % interval from `summary.csv`, beside the median
//! straggler gap of its aggregate rows. One panel per scenario, one line
//! per layout (`per-rank`, `shared`); a one-rank run, which has no layout,
//! is the first point of every layout's line. A sweep's counts of one
//! scenario (ids `…+ranks-N…`) are one panel, the scenario's id without
//! its count. Drawn with the worker-scaling
//! figure's panels ([`super::scaling`]), the x axis in ranks.
//!
//! Owns: which points and lines, the table's rows. Does not own the
//! statistics (`summary.csv`) nor the comparison of two runs (`compare`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::scaling::{self, LinePanel, Point, ScalingFigure, Series};
use super::{Chart, Figure, Section};
use crate::report::{style, view};
use crate::results::{LoadedRun, Row, SummaryRow};
use crate::stats::sample::median_of_sorted;

/// The layout name of a run of one rank.
pub const ONE_RANK: &str = "one rank";

/// One scenario of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankPoint {
    /// Scenario id.
    pub scenario: String,
    /// The run's layout, or [`ONE_RANK`].
    pub layout: String,
    /// Ranks of the run.
    pub ranks: u32,
    /// The run's id.
    pub run_id: String,
    /// Median aggregate MB/s.
    pub mb_per_s: f64,
    /// Its 95 % interval, low (the median when there is none).
    pub low: f64,
    /// Its 95 % interval, high.
    pub high: f64,
    /// Median straggler gap of the aggregate rows, seconds (several ranks).
    pub straggler_s: Option<f64>,
    /// Verified measured repetitions.
    pub n_verified: u32,
}

/// Every timed scenario of every run, ordered by scenario, layout, ranks.
pub fn points(runs: &[&LoadedRun]) -> Vec<RankPoint> {
    let mut out: Vec<RankPoint> = runs
        .iter()
        .flat_map(|run| {
            run.summary
                .iter()
                .filter(|s| view::has_throughput(s))
                .map(move |s| point(run, s))
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.scenario, &a.layout, a.ranks, &a.run_id).cmp(&(
            &b.scenario,
            &b.layout,
            b.ranks,
            &b.run_id,
        ))
    });
    out
}

fn point(run: &LoadedRun, s: &SummaryRow) -> RankPoint {
    let (layout, started) = match &run.meta.clients {
        Some(c) => (c.options.layout.to_string(), c.ranks),
        None => (ONE_RANK.to_string(), 1),
    };
    // A sweep's count is the scenario's own; its panel the id without it.
    let swept = run
        .meta
        .plan
        .scenarios
        .iter()
        .find(|p| p.id == s.scenario_id && p.ranks.is_some());
    let (scenario, ranks) = match swept {
        Some(p) => (p.clone().on_ranks(None).id, p.ranks.unwrap_or(started)),
        None => (s.scenario_id.clone(), started),
    };
    let p = Point::throughput(f64::from(ranks), s);
    RankPoint {
        scenario,
        layout,
        ranks,
        run_id: run.meta.run_id.clone(),
        mb_per_s: p.y,
        low: p.low,
        high: p.high,
        straggler_s: straggler(&run.rows, &s.scenario_id),
        n_verified: s.n_verified,
    }
}

/// Median straggler gap of the scenario's measured aggregate rows.
fn straggler(rows: &[Row], scenario: &str) -> Option<f64> {
    let mut gaps: Vec<f64> = rows
        .iter()
        .filter(|r| r.scenario_id == scenario && !r.warmup)
        .filter_map(|r| r.straggler_s)
        .collect();
    gaps.sort_by(f64::total_cmp);
    (!gaps.is_empty()).then(|| median_of_sorted(&gaps))
}

/// The figure, when some scenario was measured at two rank counts or more.
pub fn spec(points: &[RankPoint]) -> Option<ScalingFigure> {
    let mut by_scenario: BTreeMap<&str, Vec<&RankPoint>> = BTreeMap::new();
    for p in points {
        by_scenario.entry(&p.scenario).or_default().push(p);
    }
    let panels: Vec<LinePanel> = by_scenario
        .into_iter()
        .filter_map(|(scenario, pts)| panel(scenario, &pts))
        .collect();
    (!panels.is_empty()).then(|| ScalingFigure {
        workload: "ranks".into(),
        unit: "MB/s".into(),
        panels,
    })
}

/// One line per layout; one-rank points start every line.
fn panel(scenario: &str, pts: &[&RankPoint]) -> Option<LinePanel> {
    let counts: BTreeSet<u32> = pts.iter().map(|p| p.ranks).collect();
    if counts.len() < 2 {
        return None;
    }
    let layouts: BTreeSet<&str> = pts
        .iter()
        .filter(|p| p.layout != ONE_RANK)
        .map(|p| p.layout.as_str())
        .collect();
    let series = layouts
        .into_iter()
        .enumerate()
        .map(|(i, layout)| {
            let mut points: Vec<Point> = pts
                .iter()
                .filter(|p| p.layout == layout || p.layout == ONE_RANK)
                .map(|p| Point {
                    x: f64::from(p.ranks),
                    y: p.mb_per_s,
                    low: p.low,
                    high: p.high,
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Series {
                name: layout.to_string(),
                colour: style::hex(style::series_colour(i)),
                dashed: false,
                points,
            }
        })
        .collect();
    Some(LinePanel {
        title: scenario.to_string(),
        series,
        baseline: None,
    })
}

/// The run report's chart of a run sweeping rank counts (`--ranks`), when
/// some scenario ran with two counts or more.
pub fn specs(run: &LoadedRun) -> Vec<Chart> {
    let points = points(&[run]);
    spec(&points)
        .map(|f| Chart {
            id: "ranks-scaling".into(),
            section: Section::Ranks,
            title: "aggregate throughput against MPI ranks (MB/s)".into(),
            figure: Figure::RankScaling(f),
        })
        .into_iter()
        .collect()
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &ScalingFigure, path: &Path) -> anyhow::Result<()> {
    scaling::draw_over(title, f, path, "MPI ranks")
}

/// The table's header.
pub const HEADER: [&str; 7] = [
    "Scenario",
    "Layout",
    "Ranks",
    "Aggregate MB/s [95 % CI]",
    "Straggler gap",
    "Verified reps",
    "Run",
];

/// The table's rows as text cells, in [`HEADER`]'s order.
pub fn table(points: &[RankPoint]) -> Vec<[String; 7]> {
    points
        .iter()
        .map(|p| {
            [
                p.scenario.clone(),
                p.layout.clone(),
                p.ranks.to_string(),
                format!("{:.1} [{:.1}, {:.1}]", p.mb_per_s, p.low, p.high),
                p.straggler_s.map_or_else(|| "–".into(), view::duration),
                p.n_verified.to_string(),
                p.run_id.clone(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(layout: &str, ranks: u32, mb: f64) -> RankPoint {
        RankPoint {
            scenario: "read/whole/sequential/warm".into(),
            layout: layout.into(),
            ranks,
            run_id: format!("r{ranks}"),
            mb_per_s: mb,
            low: mb,
            high: mb,
            straggler_s: None,
            n_verified: 3,
        }
    }

    #[test]
    fn one_line_per_layout_each_starting_at_the_one_rank_run() {
        let pts = [
            pt(ONE_RANK, 1, 100.0),
            pt("per-rank", 2, 150.0),
            pt("per-rank", 4, 180.0),
            pt("shared", 4, 120.0),
        ];
        let f = spec(&pts).expect("a figure");
        let lines = &f.panels[0].series;
        let xy = |s: &Series| s.points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>();
        assert_eq!(lines[0].name, "per-rank");
        assert_eq!(xy(&lines[0]), [(1.0, 100.0), (2.0, 150.0), (4.0, 180.0)]);
        assert_eq!(lines[1].name, "shared");
        assert_eq!(xy(&lines[1]), [(1.0, 100.0), (4.0, 120.0)]);
    }

    #[test]
    fn no_figure_without_two_rank_counts() {
        assert!(spec(&[pt("per-rank", 2, 1.0), pt("shared", 2, 2.0)]).is_none());
        assert!(spec(&[]).is_none());
    }
}
