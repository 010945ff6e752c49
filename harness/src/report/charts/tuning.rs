//! Figure: a tuning sweep (`iolab tune`, its `tuning.json`), one chart per
//! workload: throughput against total workers, one line per strategy (the
//! points on the curve the knee is chosen from) with its 95 % interval as a
//! band, the median sequential baseline of the workload's rounds as a dashed
//! line, and each strategy's chosen knee ringed.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Swatch};
use super::scaling::{self, Axes, Point};
use super::{Chart, Figure, Section};
use crate::report::style::{self, TEXT};
use crate::report::view;
use crate::strategy::StrategyKind;
use crate::tune::files::record::{KneeRecord, TuningRecord};
use crate::workload::WorkloadId;

/// The sweep curves of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TuningFigure {
    /// The workload.
    pub workload: WorkloadId,
    /// One line per strategy with a point on its curve.
    pub series: Vec<TuningSeries>,
    /// Median of the sequential baselines of the workload's rounds, MB/s.
    pub baseline: Option<f64>,
}

/// One strategy's curve and knee.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TuningSeries {
    /// Strategy.
    pub strategy: StrategyKind,
    /// Colour, `#rrggbb`.
    pub colour: String,
    /// Points on the curve, ascending in workers.
    pub points: Vec<Point>,
    /// The chosen knee, if any.
    pub knee: Option<Point>,
}

/// One chart per workload of `record` with a measured curve.
pub fn specs(record: &TuningRecord) -> Vec<Chart> {
    let mut workloads: Vec<WorkloadId> = Vec::new();
    for s in &record.sweeps {
        if !workloads.contains(&s.workload) {
            workloads.push(s.workload);
        }
    }
    let mut out = Vec::new();
    for workload in workloads {
        let series: Vec<TuningSeries> = record
            .sweeps
            .iter()
            .filter(|s| s.workload == workload)
            .filter_map(|s| {
                let mut points: Vec<Point> = s
                    .points
                    .iter()
                    .filter(|p| p.on_curve)
                    .map(|p| point(&p.at))
                    .collect();
                if points.is_empty() {
                    return None;
                }
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                Some(TuningSeries {
                    strategy: s.strategy,
                    colour: style::hex(style::strategy_colour(s.strategy)),
                    points,
                    knee: s.knee.as_ref().map(point),
                })
            })
            .collect();
        if series.is_empty() {
            continue;
        }
        let mut baselines: Vec<f64> = record
            .rounds
            .iter()
            .filter(|r| r.workload == workload)
            .filter_map(|r| r.sequential.map(|v| v.median))
            .collect();
        baselines.sort_by(f64::total_cmp);
        let baseline = match baselines.len() {
            0 => None,
            n if n % 2 == 1 => Some(baselines[n / 2]),
            n => Some((baselines[n / 2 - 1] + baselines[n / 2]) / 2.0),
        };
        out.push(Chart {
            id: format!("tuning-{workload}"),
            section: Section::Tuning,
            title: format!("{workload}: tuning sweep, throughput against workers (MB/s)"),
            figure: Figure::Tuning(TuningFigure {
                workload,
                series,
                baseline,
            }),
        });
    }
    out
}

/// A setting's throughput as a point at its total workers.
fn point(r: &KneeRecord) -> Point {
    Point {
        x: f64::from(r.workers),
        y: r.mb_per_s,
        low: r.ci_low.min(r.mb_per_s),
        high: r.ci_high.max(r.mb_per_s),
    }
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &TuningFigure, path: &Path) -> anyhow::Result<()> {
    let (root, body) = draw::canvas(path, 490, title)?;
    let mut items: Vec<(String, RGBColor, Swatch)> = f
        .series
        .iter()
        .map(|s| {
            (
                s.strategy.to_string(),
                style::parse_hex(&s.colour),
                Swatch::Line,
            )
        })
        .collect();
    if f.baseline.is_some() {
        items.push((
            StrategyKind::Sequential.to_string(),
            style::strategy_colour(StrategyKind::Sequential),
            Swatch::Dashed,
        ));
    }
    items.push(("knee (ringed)".into(), TEXT, Swatch::Box));
    let area = draw::legend(&body, &items)?;
    let xs: Vec<f64> = f
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|q| q.x))
        .collect();
    let values: Vec<f64> = f
        .series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|q| [q.y, q.low, q.high]))
        .chain(f.baseline)
        .collect();
    let axes = Axes {
        xs: &xs,
        values: &values,
        x_desc: "total workers",
        what: "throughput",
        unit: "MB/s",
        x_label: &view::tick,
    };
    let (mut chart, span) = scaling::line_chart(&area, &axes)?;
    if let Some(b) = f.baseline {
        scaling::draw_baseline(&mut chart, &span, b)?;
    }
    for s in &f.series {
        let c = style::parse_hex(&s.colour);
        scaling::draw_band_line(&mut chart, &s.points, c, span.floor)?;
        if let Some(k) = s.knee {
            chart.draw_series(std::iter::once(Circle::new(
                (k.x, k.y),
                11,
                TEXT.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((k.x, k.y), 8, c.filled())))?;
        }
    }
    root.present()?;
    Ok(())
}
