//! Figure: per-task latency percentiles (p50 and p99) of the random-read
//! scenarios, pread against mmap, as paired horizontal bars on a log scale.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Swatch};
use super::{Chart, Figure, Section};
use crate::report::style::{BAR_ROW, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// Colour of the p50 bars.
const P50: RGBColor = RGBColor(51, 34, 136);
/// Colour of the p99 bars.
const P99: RGBColor = RGBColor(204, 102, 119);

/// Latency percentiles of the random-read scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyFigure {
    /// One row per scenario, top to bottom.
    pub rows: Vec<LatencyRow>,
}

/// One scenario's percentiles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyRow {
    /// Category label: method · strategy · cache.
    pub label: String,
    /// Median task latency, µs.
    pub p50_us: f64,
    /// 99th percentile task latency, µs.
    pub p99_us: f64,
}

/// One chart when the run has timed random-read scenarios with latencies.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut random: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.is_workload(WorkloadKind::Random) && view::has_time(r) && r.lat_p50_us > 0.0)
        .collect();
    if random.is_empty() {
        return Vec::new();
    }
    random.sort_by_key(|r| {
        (
            r.cache,
            view::method(&r.variant).to_string(),
            !r.is_strategy(StrategyKind::Sequential),
            r.workers,
            r.strategy_shown(),
        )
    });
    let with_variant = view::distinct(&random, |r| r.variant.clone()).len() > 1;
    let with_cache = view::distinct(&random, |r| r.cache).len() > 1;
    let rows = random
        .iter()
        .map(|r| LatencyRow {
            label: view::label(r, with_variant, with_cache),
            p50_us: r.lat_p50_us,
            p99_us: r.lat_p99_us.max(r.lat_p50_us),
        })
        .collect();
    vec![Chart {
        id: "latency-random".into(),
        section: Section::Latency,
        title: "random reads: task latency p50 and p99 (µs, log scale, lower is better)".into(),
        figure: Figure::Latency(LatencyFigure { rows }),
    }]
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &LatencyFigure, path: &Path) -> anyhow::Result<()> {
    let n = f.rows.len();
    let height = 110 + n as u32 * (BAR_ROW + 14) + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let items = vec![
        ("p50 (median)".to_string(), P50, Swatch::Box),
        ("p99".to_string(), P99, Swatch::Box),
    ];
    let area = draw::legend(&body, &items)?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    let values = f.rows.iter().flat_map(|r| [r.p50_us, r.p99_us]);
    let (lo, hi) = draw::log_range(values, 1.0);
    let (lo, hi) = (lo / 1.5, hi * 4.0);
    let mut chart = draw::log_category_chart(
        &area,
        &labels,
        (lo, hi),
        "task latency, µs (log scale)",
        "",
        label_w,
        20,
    )?;
    for (i, r) in f.rows.iter().enumerate() {
        let y = draw::category_y(i, n);
        for (value, offset, colour, name) in
            [(r.p50_us, 0.19, P50, "p50"), (r.p99_us, -0.19, P99, "p99")]
        {
            let (y0, y1) = (y + offset - 0.17, y + offset + 0.17);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(lo, y0), (value, y1)],
                colour.filled(),
            )))?;
            let text = format!("{name} {} µs", view::sig3(value));
            chart.draw_series(std::iter::once(
                EmptyElement::at((value, y + offset))
                    + Text::new(text, (6, 0), draw::note_style(TEXT)),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}
