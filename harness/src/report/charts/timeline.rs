//! Figure: throughput inside each repetition, per interval of
//! `timeseries.csv` (100 ms), one panel per scenario and one line per
//! measured repetition, one chart per workload — so a stall shows where it
//! happened (a drop to zero in one repetition's line) instead of only in the
//! total.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw;
use super::{Chart, Figure, Section};
use crate::report::style::{self, LABEL_SIZE, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::{Row, SeriesPoint, SummaryRow};

/// Height of one row of panels, pixels.
const PANEL_HEIGHT: u32 = 250;

/// The time series of one workload's scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineFigure {
    /// One panel per scenario, in summary order.
    pub panels: Vec<TimelinePanel>,
}

/// One scenario's repetitions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelinePanel {
    /// Caption: scenario label and how many repetitions.
    pub title: String,
    /// Line colour (the strategy's), `#rrggbb`.
    pub colour: String,
    /// One line per measured repetition: (interval start s, MB/s).
    pub reps: Vec<Vec<(f64, f64)>>,
}

/// One chart per workload whose measured repetitions have a time series
/// (`points`, from `timeseries.csv`); warm-ups (from `rows`) are left out.
pub fn specs(summary: &[SummaryRow], rows: &[Row], points: &[SeriesPoint]) -> Vec<Chart> {
    let warmups: Vec<(&str, u32)> = rows
        .iter()
        .filter(|r| r.warmup)
        .map(|r| (r.scenario_id.as_str(), r.rep))
        .collect();
    let mut by_rep: BTreeMap<(&str, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for p in points {
        if !warmups.contains(&(p.scenario_id.as_str(), p.rep)) {
            by_rep
                .entry((p.scenario_id.as_str(), p.rep))
                .or_default()
                .push((p.t_s, p.mb_per_s));
        }
    }
    let mut out = Vec::new();
    for workload in view::workloads(summary) {
        let scenarios: Vec<&SummaryRow> =
            summary.iter().filter(|r| r.workload == workload).collect();
        let with_variant = view::distinct(&scenarios, |r| r.variant.clone()).len() > 1;
        let with_cache = view::distinct(&scenarios, |r| r.cache).len() > 1;
        let panels: Vec<TimelinePanel> = scenarios
            .iter()
            .filter_map(|s| {
                let reps: Vec<Vec<(f64, f64)>> = by_rep
                    .range((s.scenario_id.as_str(), 0)..=(s.scenario_id.as_str(), u32::MAX))
                    .map(|(_, line)| line.clone())
                    .collect();
                (!reps.is_empty()).then(|| TimelinePanel {
                    title: format!(
                        "{} · {} reps",
                        view::label(s, with_variant, with_cache),
                        reps.len()
                    ),
                    colour: style::hex(style::strategy_colour(s.strategy)),
                    reps,
                })
            })
            .collect();
        if panels.is_empty() {
            continue;
        }
        out.push(Chart {
            id: format!("timeline-{workload}"),
            section: Section::Timeline,
            title: format!("{workload}: throughput per 100 ms inside each repetition (MB/s)"),
            figure: Figure::Timeline(TimelineFigure { panels }),
        });
    }
    out
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &TimelineFigure, path: &Path) -> anyhow::Result<()> {
    let columns = if f.panels.len() > 1 { 2 } else { 1 };
    let rows = f.panels.len().div_ceil(columns) as u32;
    let (root, body) = draw::canvas(path, 60 + rows * PANEL_HEIGHT, title)?;
    for (area, p) in draw::panels(&body, f.panels.len(), columns)
        .iter()
        .zip(&f.panels)
    {
        panel(area, p)?;
    }
    root.present()?;
    Ok(())
}

/// One scenario's lines over linear time and throughput axes from 0.
fn panel(area: &draw::Area<'_>, p: &TimelinePanel) -> anyhow::Result<()> {
    let area = draw::panel_title(area, &p.title)?;
    let all = p.reps.iter().flatten();
    let x_hi = all.clone().map(|q| q.0).fold(0.0, f64::max) + 0.1;
    let y_hi = draw::upper(all.map(|q| q.1).fold(0.0, f64::max), 1.1).max(1e-3);
    let mut chart = ChartBuilder::on(&area)
        .margin_right(16)
        .x_label_area_size(X_AXIS_AREA)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_hi, 0.0..y_hi)?;
    let y_fmt = |y: &f64| view::tick(*y);
    chart
        .configure_mesh()
        .bold_line_style(draw::grid_style())
        .light_line_style(style::BACKGROUND)
        .y_label_formatter(&y_fmt)
        .x_desc("time in the repetition, s")
        .y_desc("MB/s")
        .label_style(style::text(LABEL_SIZE, TEXT))
        .axis_desc_style(style::text(style::AXIS_SIZE, TEXT))
        .draw()?;
    let c = style::parse_hex(&p.colour);
    for line in &p.reps {
        chart.draw_series(LineSeries::new(line.clone(), c.mix(0.7).stroke_width(2)))?;
        chart.draw_series(line.iter().map(|&q| Circle::new(q, 3, c.filled())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(scenario: &str, rep: u32, t_s: f64, mb_per_s: f64) -> SeriesPoint {
        SeriesPoint {
            scenario_id: scenario.into(),
            rep,
            t_s,
            mb_per_s,
            ..SeriesPoint::default()
        }
    }

    #[test]
    fn one_panel_per_scenario_one_line_per_measured_repetition() {
        let summary = vec![SummaryRow {
            scenario_id: "read/whole/threads-2/warm".into(),
            workload: crate::workload::WorkloadKind::Read.into(),
            variant: "whole".into(),
            strategy: crate::strategy::StrategyKind::Threads,
            strategy_label: "threads(2)".into(),
            ..SummaryRow::default()
        }];
        let rows = vec![Row {
            scenario_id: "read/whole/threads-2/warm".into(),
            rep: 0,
            warmup: true,
            ..Row::default()
        }];
        let id = "read/whole/threads-2/warm";
        let points = vec![
            point(id, 0, 0.0, 99.0),
            point(id, 1, 0.0, 500.0),
            point(id, 1, 0.1, 0.0),
            point(id, 1, 0.2, 480.0),
            point(id, 2, 0.0, 510.0),
            point("write/x/sequential/warm", 1, 0.0, 1.0),
        ];
        let charts = specs(&summary, &rows, &points);
        assert_eq!(charts.len(), 1);
        assert_eq!(charts[0].id, "timeline-read");
        let Figure::Timeline(f) = &charts[0].figure else {
            panic!("{:?}", charts[0].figure)
        };
        assert_eq!(f.panels.len(), 1);
        assert!(
            f.panels[0].title.ends_with("· 2 reps"),
            "{}",
            f.panels[0].title
        );
        // The stall in repetition 1 is kept where it happened.
        assert_eq!(
            f.panels[0].reps[0],
            vec![(0.0, 500.0), (0.1, 0.0), (0.2, 480.0)]
        );
        assert!(specs(&summary, &rows, &[]).is_empty());
    }
}
