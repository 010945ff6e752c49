//! Figure: atomic saves, median time per save of each variant with a
//! whisker to the 99th percentile, and the torn targets counted by the crash
//! experiment where it ran (red when any).

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw;
use super::{Chart, Figure, Section};
use crate::report::style::{self, BAR_ROW, LOSS, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// Time per save.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtomicFigure {
    /// One row per scenario, fastest first.
    pub rows: Vec<AtomicRow>,
}

/// One scenario's saves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtomicRow {
    /// Category label: variant · strategy.
    pub label: String,
    /// Strategy name (decides the colour).
    pub strategy: StrategyKind,
    /// Bar colour, `#rrggbb`.
    pub colour: String,
    /// Median time per save, ms.
    pub p50_ms: f64,
    /// 99th percentile time per save, ms.
    pub p99_ms: f64,
    /// Torn targets, where counted.
    pub torn: Option<u64>,
}

/// One chart when the run has timed atomic-save scenarios.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let saves: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| {
            r.is_workload(WorkloadKind::AtomicSave) && view::has_time(r) && r.lat_p50_us > 0.0
        })
        .collect();
    if saves.is_empty() {
        return Vec::new();
    }
    let with_cache = view::distinct(&saves, |r| r.cache).len() > 1;
    let mut rows: Vec<AtomicRow> = saves
        .iter()
        .map(|r| AtomicRow {
            label: view::label(r, true, with_cache),
            strategy: r.strategy,
            colour: style::hex(style::strategy_colour(r.strategy)),
            p50_ms: r.lat_p50_us / 1e3,
            p99_ms: r.lat_p99_us.max(r.lat_p50_us) / 1e3,
            torn: r.torn,
        })
        .collect();
    rows.sort_by(|a, b| a.p50_ms.total_cmp(&b.p50_ms));
    vec![Chart {
        id: "atomic-save".into(),
        section: Section::Atomic,
        title: "atomic save: time per save (ms, median with p99 whisker, lower is better)".into(),
        figure: Figure::Atomic(AtomicFigure { rows }),
    }]
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &AtomicFigure, path: &Path) -> anyhow::Result<()> {
    let n = f.rows.len();
    let height = 110 + n as u32 * BAR_ROW + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let present: Vec<StrategyKind> = f.rows.iter().map(|r| r.strategy).collect();
    let area = draw::legend(&body, &draw::strategy_legend(&present))?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    let max = f.rows.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
    let x_desc = "time per save, ms";
    let mut chart = draw::bar_chart(&area, &labels, draw::upper(max, 0.45), x_desc, label_w, 20)?;
    let ys: Vec<f64> = (0..n).map(|i| draw::category_y(i, n)).collect();
    chart.draw_series(f.rows.iter().zip(&ys).map(|(r, &y)| {
        Rectangle::new(
            [(0.0, y - 0.32), (r.p50_ms, y + 0.32)],
            style::parse_hex(&r.colour).filled(),
        )
    }))?;
    let ranges: Vec<(f64, f64, f64)> = f
        .rows
        .iter()
        .zip(&ys)
        .map(|(r, &y)| (y, r.p50_ms, r.p99_ms))
        .collect();
    draw::whiskers(&mut chart, &ranges)?;
    chart.draw_series(f.rows.iter().zip(&ys).map(|(r, &y)| {
        let torn = match r.torn {
            Some(t) => format!("  torn: {t}"),
            None => String::new(),
        };
        let ink = if r.torn.unwrap_or(0) > 0 { LOSS } else { TEXT };
        let text = format!(
            "{} ms (p99 {} ms){torn}",
            view::sig3(r.p50_ms),
            view::sig3(r.p99_ms)
        );
        EmptyElement::at((r.p99_ms, y)) + Text::new(text, (10, 0), draw::note_style(ink))
    }))?;
    root.present()?;
    Ok(())
}
