//! Figure: throughput per strategy, one chart per workload, one panel per
//! cache state; horizontal bars sorted fastest first, with 95 % interval
//! whiskers, the sequential baseline outlined, and the speedup over it
//! printed next to each bar.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Area};
use super::{Chart, Figure, Section};
use crate::report::style::{self, BAR_ROW, MUTED, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::{SummaryRow, SummaryStatus};
use crate::strategy::StrategyKind;
use crate::workload::WorkloadId;

/// Throughput bars of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThroughputFigure {
    /// The workload.
    pub workload: WorkloadId,
    /// Unit of the values.
    pub unit: String,
    /// One panel per cache state.
    pub panels: Vec<BarPanel>,
}

/// One panel of bars.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarPanel {
    /// Caption, e.g. `warm cache`.
    pub title: String,
    /// Bars, top to bottom (fastest first).
    pub bars: Vec<Bar>,
}

/// One scenario's bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bar {
    /// Category label.
    pub label: String,
    /// Strategy name (decides the colour).
    pub strategy: StrategyKind,
    /// Fill colour, `#rrggbb`.
    pub colour: String,
    /// Median throughput.
    pub value: f64,
    /// Interval, low.
    pub low: f64,
    /// Interval, high.
    pub high: f64,
    /// Whether this is the sequential baseline.
    pub baseline: bool,
    /// Whether no repetition verified (drawn pale, noted in red).
    pub unverified: bool,
    /// Text beside the bar: speedup with interval, `baseline`, `unverified`.
    pub note: String,
}

/// One chart per workload with timed scenarios.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (workload, timed) in view::by_workload(rows, view::has_throughput) {
        if timed.is_empty() {
            continue;
        }
        let with_variant = view::distinct(&timed, |r| r.variant.clone()).len() > 1;
        let panels = view::caches(&timed)
            .into_iter()
            .map(|cache| {
                let mut bars: Vec<Bar> = timed
                    .iter()
                    .filter(|r| r.cache == cache)
                    .map(|r| bar(r, with_variant))
                    .collect();
                bars.sort_by(|a, b| b.value.total_cmp(&a.value));
                BarPanel {
                    title: format!("{cache} cache"),
                    bars,
                }
            })
            .collect();
        out.push(Chart {
            id: format!("throughput-{workload}"),
            section: Section::Throughput,
            title: format!("{workload}: throughput per strategy (MB/s, higher is better)"),
            figure: Figure::Throughput(ThroughputFigure {
                workload,
                unit: "MB/s".into(),
                panels,
            }),
        });
    }
    out
}

fn bar(r: &SummaryRow, with_variant: bool) -> Bar {
    let baseline = r.is_strategy(StrategyKind::Sequential);
    let unverified = r.status != SummaryStatus::Ok;
    let mut note = if baseline {
        "baseline".to_string()
    } else {
        view::speedup(r).unwrap_or_default()
    };
    if unverified {
        note = "unverified".into();
    }
    Bar {
        label: view::label(r, with_variant, false),
        strategy: r.strategy,
        colour: style::hex(style::strategy_colour(r.strategy)),
        value: r.mb_per_s,
        low: r.mb_per_s_ci_low.map_or(r.mb_per_s, |l| l.min(r.mb_per_s)),
        high: r.mb_per_s_ci_high.map_or(r.mb_per_s, |h| h.max(r.mb_per_s)),
        baseline,
        unverified,
        note,
    }
}

fn panel_height(p: &BarPanel) -> u32 {
    28 + p.bars.len() as u32 * BAR_ROW + X_AXIS_AREA + 16
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &ThroughputFigure, path: &Path) -> anyhow::Result<()> {
    let height = 100 + f.panels.iter().map(panel_height).sum::<u32>();
    let (root, body) = draw::canvas(path, height, title)?;
    let present: Vec<StrategyKind> = f
        .panels
        .iter()
        .flat_map(|p| &p.bars)
        .map(|b| b.strategy)
        .collect();
    let mut rest = draw::legend(&body, &draw::strategy_legend(&present))?;
    let labels: Vec<String> = f
        .panels
        .iter()
        .flat_map(|p| p.bars.iter().map(|b| b.label.clone()))
        .collect();
    let label_w = draw::label_width(&rest, &labels)?;
    for p in &f.panels {
        let (area, below) = rest.split_vertically(panel_height(p));
        draw_panel(&area, p, label_w, &f.unit)?;
        rest = below;
    }
    root.present()?;
    Ok(())
}

fn draw_panel(area: &Area<'_>, p: &BarPanel, label_w: u32, unit: &str) -> anyhow::Result<()> {
    let area = draw::panel_title(area, &p.title)?;
    let n = p.bars.len();
    let labels: Vec<String> = p.bars.iter().map(|b| b.label.clone()).collect();
    let max = p
        .bars
        .iter()
        .map(|b| b.high.max(b.value))
        .fold(0.0, f64::max);
    let x_desc = format!("throughput, {unit}");
    let mut chart = draw::bar_chart(&area, &labels, draw::upper(max, 0.42), &x_desc, label_w, 20)?;
    let ys: Vec<f64> = (0..n).map(|i| draw::category_y(i, n)).collect();
    chart.draw_series(p.bars.iter().zip(&ys).map(|(b, &y)| {
        let c = style::parse_hex(&b.colour);
        let fill = if b.unverified {
            style::lighten(c, 0.6)
        } else {
            c
        };
        Rectangle::new([(0.0, y - 0.32), (b.value, y + 0.32)], fill.filled())
    }))?;
    chart.draw_series(
        p.bars
            .iter()
            .zip(&ys)
            .filter(|(b, _)| b.baseline)
            .map(|(b, &y)| {
                Rectangle::new([(0.0, y - 0.32), (b.value, y + 0.32)], TEXT.stroke_width(2))
            }),
    )?;
    let ranges: Vec<(f64, f64, f64)> = p
        .bars
        .iter()
        .zip(&ys)
        .map(|(b, &y)| (y, b.low, b.high))
        .collect();
    draw::whiskers(&mut chart, &ranges)?;
    chart.draw_series(p.bars.iter().zip(&ys).map(|(b, &y)| {
        let colour = if b.unverified {
            style::LOSS
        } else if b.baseline {
            MUTED
        } else {
            TEXT
        };
        let text = format!("{} {unit}  {}", view::sig3(b.value), b.note);
        EmptyElement::at((b.high.max(b.value), y))
            + Text::new(text, (8, 0), draw::note_style(colour))
    }))?;
    Ok(())
}
