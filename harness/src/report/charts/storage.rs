//! Figures of a run on several storages: per workload, the filesystem
//! matrix (each storage's sequential time beside its fastest strategy's,
//! with intervals, on a log scale) and, where the emulated latency was
//! swept, the crossover (each strategy's speedup over sequential against
//! the latency per operation, with its interval as a band).

use std::path::Path;
use std::time::Duration;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Swatch};
use super::scaling::{line_panels, LinePanel, Point, Series};
use super::{Chart, Figure, Section};
use crate::report::matrix;
use crate::report::style::{self, BAR_ROW, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::storage::Storage;
use crate::strategy::StrategyKind;

/// The matrix of one workload: a row per storage and cache state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixFigure {
    /// Top to bottom.
    pub rows: Vec<MatrixRow>,
}

/// One storage (and cache state) of a workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixRow {
    /// `xfs · warm`.
    pub label: String,
    /// Sequential seconds: median, low, high.
    pub sequential: Option<(f64, f64, f64)>,
    /// The fastest strategy's seconds: median, low, high.
    pub best: (f64, f64, f64),
    /// Its name.
    pub best_name: String,
    /// Its colour, `#rrggbb`.
    pub colour: String,
}

/// The crossover of one workload: one panel per variant and cache state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossoverFigure {
    /// The panels; a point's x is the latency in µs (0 drawn at
    /// [`CrossoverFigure::zero_at`]).
    pub panels: Vec<LinePanel>,
    /// Where lat=0 sits on the log axis.
    pub zero_at: f64,
}

/// The charts of `rows` when they hold two storages or more.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut storages: Vec<Storage> = Vec::new();
    for r in rows {
        if !storages.contains(&r.storage) {
            storages.push(r.storage);
        }
    }
    if storages.len() < 2 {
        return Vec::new();
    }
    let cells = matrix::cells(rows, &storages);
    let mut out = Vec::new();
    for workload in view::workloads(rows) {
        let mine: Vec<MatrixRow> = cells
            .iter()
            .filter(|c| c.workload == workload)
            .map(|c| {
                let range = |(v, ci): (f64, Option<(f64, f64)>)| {
                    let (lo, hi) = ci.unwrap_or((v, v));
                    (v, lo.min(v), hi.max(v))
                };
                MatrixRow {
                    label: format!("{} · {}", c.storage, c.cache),
                    sequential: c.sequential_s.map(range),
                    best: range(c.best_s),
                    best_name: c.best.clone(),
                    colour: style::hex(style::strategy_colour(c.best_kind)),
                }
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        out.push(Chart {
            id: format!("storage-{workload}"),
            section: Section::Storage,
            title: format!("{workload}: sequential and fastest time per storage"),
            figure: Figure::Storage(MatrixFigure { rows: mine }),
        });
        if let Some(f) = crossover(rows, &workload) {
            out.push(Chart {
                id: format!("crossover-{workload}"),
                section: Section::Crossover,
                title: format!("{workload}: speedup over sequential against emulated latency"),
                figure: Figure::Crossover(f),
            });
        }
    }
    out
}

/// The emulated latency of a row's storage, when it is one of a sweep
/// (emulated, no bandwidth cap).
fn latency(r: &SummaryRow) -> Option<Duration> {
    match r.storage {
        Storage::Emulated(e) if e.timing.bw.is_none() => Some(e.timing.lat),
        Storage::Emulated(_) | Storage::DataDir | Storage::Tmpfs | Storage::Image(_) => None,
    }
}

/// The crossover figure of `workload`, when two latencies or more were
/// measured.
fn crossover(
    rows: &[SummaryRow],
    workload: &crate::workload::WorkloadId,
) -> Option<CrossoverFigure> {
    let swept: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| &r.workload == workload && latency(r).is_some() && r.speedup.is_some())
        .filter(|r| !r.is_strategy(StrategyKind::Sequential))
        .collect();
    let mut lats: Vec<f64> = swept
        .iter()
        .filter_map(|r| latency(r))
        .map(|d| d.as_secs_f64() * 1e6)
        .collect();
    lats.sort_by(f64::total_cmp);
    lats.dedup();
    if lats.len() < 2 {
        return None;
    }
    let least = lats.iter().copied().find(|l| *l > 0.0).unwrap_or(1.0);
    let zero_at = least / 4.0;
    let x_of = |r: &SummaryRow| {
        let us = latency(r).map_or(0.0, |d| d.as_secs_f64() * 1e6);
        if us > 0.0 {
            us
        } else {
            zero_at
        }
    };
    let own = |r: &SummaryRow| {
        let v = r.variant.split('+').next().unwrap_or("").to_string();
        (v, r.cache)
    };
    let mut panels = Vec::new();
    for (variant, cache) in view::distinct(&swept, |r| own(r)) {
        let cell: Vec<&SummaryRow> = swept
            .iter()
            .copied()
            .filter(|r| own(r) == (variant.clone(), cache))
            .collect();
        let mut series = Vec::new();
        for (label, kind) in view::distinct(&cell, |r| (r.strategy_label.clone(), r.strategy)) {
            let mut points: Vec<Point> = cell
                .iter()
                .filter(|r| r.strategy_label == label)
                .map(|r| {
                    let s = r.speedup.unwrap_or(1.0);
                    Point {
                        x: x_of(r),
                        y: s,
                        low: r.speedup_ci_low.map_or(s, |l| l.min(s)),
                        high: r.speedup_ci_high.map_or(s, |h| h.max(s)),
                    }
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            series.push(Series {
                name: label,
                colour: style::hex(style::strategy_colour(kind)),
                dashed: false,
                points,
            });
        }
        panels.push(LinePanel {
            title: format!("{variant} · {} cache", cache.as_str()),
            series,
            baseline: Some(1.0),
        });
    }
    Some(CrossoverFigure { panels, zero_at })
}

/// Draw the matrix figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw_matrix(title: &str, f: &MatrixFigure, path: &Path) -> anyhow::Result<()> {
    let n = f.rows.len();
    let height = 110 + n as u32 * BAR_ROW + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let seq = style::strategy_colour(StrategyKind::Sequential);
    let items = vec![
        ("sequential".to_string(), seq, Swatch::Box),
        (
            "fastest strategy (its colour; name at the right)".to_string(),
            TEXT,
            Swatch::Box,
        ),
    ];
    let area = draw::legend(&body, &items)?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    let values = f.rows.iter().flat_map(|r| {
        let (v, lo, hi) = r.best;
        let s = r.sequential.map_or(vec![], |(a, b, c)| vec![a, b, c]);
        s.into_iter().chain([v, lo, hi])
    });
    let (lo, hi) = draw::log_range(values, 1.3);
    let mut chart = draw::log_category_chart(
        &area,
        &labels,
        (lo, hi),
        "median seconds per repetition, 95 % interval (log scale)",
        " s",
        label_w,
        24,
    )?;
    for (i, r) in f.rows.iter().enumerate() {
        let y = draw::category_y(i, n);
        let mut mark = |(v, l, h): (f64, f64, f64), dy: f64, c: RGBColor| -> anyhow::Result<()> {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(l, y + dy), (h, y + dy)],
                c.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((v, y + dy), 6, c.filled())))?;
            Ok(())
        };
        if let Some(s) = r.sequential {
            mark(s, 0.15, seq)?;
        }
        mark(r.best, -0.15, style::parse_hex(&r.colour))?;
        chart.draw_series(std::iter::once(Text::new(
            r.best_name.clone(),
            (r.best.2 * 1.05, y - 0.15),
            style::text(style::LABEL_SIZE, TEXT),
        )))?;
    }
    root.present()?;
    Ok(())
}

/// Draw the crossover figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw_crossover(title: &str, f: &CrossoverFigure, path: &Path) -> anyhow::Result<()> {
    let columns = if f.panels.len() > 1 { 2 } else { 1 };
    let rows = f.panels.len().div_ceil(columns) as u32;
    let (root, body) = draw::canvas(path, 90 + rows * 400, title)?;
    let mut items: Vec<(String, RGBColor, Swatch)> = Vec::new();
    for s in f.panels.iter().flat_map(|p| &p.series) {
        if !items.iter().any(|(n, ..)| n == &s.name) {
            items.push((s.name.clone(), style::parse_hex(&s.colour), Swatch::Line));
        }
    }
    items.push((
        "sequential (1×)".to_string(),
        style::strategy_colour(StrategyKind::Sequential),
        Swatch::Dashed,
    ));
    let rest = draw::legend(&body, &items)?;
    let zero_at = f.zero_at;
    let label = move |x: f64| {
        if x <= zero_at * 1.01 {
            "0".to_string()
        } else if x >= 1000.0 {
            format!("{} ms", view::tick(x / 1000.0))
        } else {
            format!("{} µs", view::tick(x))
        }
    };
    line_panels(
        &rest,
        &f.panels,
        "emulated latency per operation",
        ("speedup over sequential", "×"),
        &label,
    )?;
    root.present()?;
    Ok(())
}
