//! Figure: nested pools as a heatmap of processes (rows) × threads per
//! process (columns), each cell the median throughput; one panel per
//! workload variant and cache state.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use super::draw::{self, Area};
use super::{Chart, Figure, Section};
use crate::report::style::{self, LABEL_SIZE, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;

/// Heatmaps of the nested strategy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NestedFigure {
    /// Unit of the values.
    pub unit: String,
    /// One panel per workload, variant and cache state.
    pub panels: Vec<HeatPanel>,
}

/// One heatmap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeatPanel {
    /// Caption.
    pub title: String,
    /// Process counts, ascending (rows, top to bottom).
    pub processes: Vec<u32>,
    /// Threads per process, ascending (columns).
    pub threads: Vec<u32>,
    /// The measured cells.
    pub cells: Vec<Cell>,
}

/// One measured cell.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// Processes.
    pub processes: u32,
    /// Threads per process.
    pub threads: u32,
    /// Median throughput.
    pub value: f64,
}

/// One chart holding every nested panel, when any nested scenario ran.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut panels = Vec::new();
    let nested_timed =
        |r: &SummaryRow| r.is_strategy(StrategyKind::Nested) && view::has_throughput(r);
    for (workload, nested) in view::by_workload(rows, nested_timed) {
        let variants = view::distinct(&nested, |r| r.variant.clone());
        for variant in &variants {
            for cache in view::caches(&nested) {
                let cell: Vec<&SummaryRow> = nested
                    .iter()
                    .copied()
                    .filter(|r| &r.variant == variant && r.cache == cache)
                    .collect();
                if cell.is_empty() {
                    continue;
                }
                let label = if variants.len() > 1 {
                    format!("{workload} {variant}")
                } else {
                    workload.to_string()
                };
                let baseline = rows
                    .iter()
                    .find(|r| r.scenario_id == cell[0].baseline_id && view::has_time(r))
                    .map_or(String::new(), |r| {
                        format!(" (sequential: {} MB/s)", view::sig3(r.mb_per_s))
                    });
                panels.push(panel(format!("{label} · {cache} cache{baseline}"), &cell));
            }
        }
    }
    if panels.is_empty() {
        return Vec::new();
    }
    vec![Chart {
        id: "nested".into(),
        section: Section::Nested,
        title: "Nested pools: throughput of processes × threads (MB/s)".into(),
        figure: Figure::Nested(NestedFigure {
            unit: "MB/s".into(),
            panels,
        }),
    }]
}

fn panel(title: String, cell: &[&SummaryRow]) -> HeatPanel {
    let mut processes = view::distinct(cell, |r| r.processes);
    let mut threads = view::distinct(cell, |r| r.threads);
    processes.sort_unstable();
    threads.sort_unstable();
    let mut cells: Vec<Cell> = cell
        .iter()
        .map(|r| Cell {
            processes: r.processes,
            threads: r.threads,
            value: r.mb_per_s,
        })
        .collect();
    cells.sort_by_key(|c| (c.processes, c.threads));
    cells.dedup_by_key(|c| (c.processes, c.threads));
    HeatPanel {
        title,
        processes,
        threads,
        cells,
    }
}

/// Colour of `t` in 0..=1: white to the nested strategy's colour, darkened.
fn shade(t: f64) -> RGBColor {
    let dark = RGBColor(0, 80, 58);
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t) as u8;
    RGBColor(mix(240, dark.0), mix(249, dark.1), mix(244, dark.2))
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &NestedFigure, path: &Path) -> anyhow::Result<()> {
    let columns = if f.panels.len() > 1 { 2 } else { 1 };
    let tallest = f
        .panels
        .iter()
        .map(|p| p.processes.len())
        .max()
        .unwrap_or(1) as u32;
    let panel_h = 28 + tallest * 76 + X_AXIS_AREA + 20;
    let rows = f.panels.len().div_ceil(columns) as u32;
    let (root, body) = draw::canvas(path, 60 + rows * panel_h, title)?;
    for (area, p) in draw::panels(&body, f.panels.len(), columns)
        .iter()
        .zip(&f.panels)
    {
        heat_panel(area, p, &f.unit)?;
    }
    root.present()?;
    Ok(())
}

fn heat_panel(area: &Area<'_>, p: &HeatPanel, unit: &str) -> anyhow::Result<()> {
    let area = draw::panel_title(area, &p.title)?;
    let (np, nt) = (p.processes.len(), p.threads.len());
    let width = (nt as u32 * 130 + 100).min(area.dim_in_pixel().0);
    let (area, _) = area.split_horizontally(width);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(X_AXIS_AREA)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5..nt as f64 - 0.5, draw::category_axis(np))?;
    let labels: Vec<String> = p.processes.iter().map(u32::to_string).collect();
    let y_fmt = |y: &f64| draw::category_label(&labels, *y);
    let x_fmt = |x: &f64| {
        let i = x.round();
        if i >= 0.0 && (x - i).abs() < 1e-9 {
            p.threads
                .get(i as usize)
                .map(u32::to_string)
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nt)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("threads per process")
        .y_desc("processes")
        .label_style(style::text(LABEL_SIZE, TEXT))
        .axis_desc_style(style::text(style::AXIS_SIZE, TEXT))
        .draw()?;
    let values = p.cells.iter().map(|c| c.value);
    let (min, max) = values.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let index = |v: u32, of: &[u32]| of.iter().position(|x| *x == v).unwrap_or(0);
    for c in &p.cells {
        let (x, y) = (
            index(c.threads, &p.threads) as f64,
            draw::category_y(index(c.processes, &p.processes), np),
        );
        // Slowest cell light, fastest dark; all alike when they are equal.
        let t = if max > min {
            0.12 + 0.88 * (c.value - min) / (max - min)
        } else {
            0.6
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x - 0.48, y - 0.46), (x + 0.48, y + 0.46)],
            shade(t).filled(),
        )))?;
        let ink = if t > 0.55 { style::BACKGROUND } else { TEXT };
        let text = format!("{} {unit}", view::sig3(c.value));
        let anchor = Pos::new(HPos::Center, VPos::Center);
        chart.draw_series(std::iter::once(Text::new(
            text,
            (x, y),
            style::text(LABEL_SIZE, ink).pos(anchor),
        )))?;
    }
    Ok(())
}
