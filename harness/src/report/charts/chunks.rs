//! Figure: throughput against chunk (or buffer) size, one line per method
//! (`read()`, `O_DIRECT`, buffered…; methods without a chunk size such as
//! mmap as dashed horizontal lines), warm and cold caches side by side. For
//! scan and stream, and for any workload measured at several chunk sizes.

use std::path::Path;

use serde::Serialize;

use super::draw::{self, Swatch};
use super::scaling::{line_panel, LinePanel, Point, Series};
use super::{Chart, Figure, Section};
use crate::report::style;
use crate::report::view;
use crate::results::SummaryRow;
use crate::workload::{WorkloadId, WorkloadKind};

/// Chunk-size curves of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChunkFigure {
    /// The workload.
    pub workload: WorkloadId,
    /// Unit of the values.
    pub unit: String,
    /// One panel per strategy and cache state (warm before cold).
    pub panels: Vec<LinePanel>,
}

/// One chart per workload that has chunk sizes to compare.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (workload, timed) in view::by_workload(rows, view::has_throughput) {
        if !wanted(workload, &timed) {
            continue;
        }
        let strategies = view::distinct(&timed, SummaryRow::strategy_shown);
        let mut panels = Vec::new();
        for strategy in &strategies {
            for cache in view::caches(&timed) {
                let cell: Vec<&SummaryRow> = timed
                    .iter()
                    .copied()
                    .filter(|r| &r.strategy_shown() == strategy && r.cache == cache)
                    .collect();
                if cell.is_empty() {
                    continue;
                }
                let title = if strategies.len() > 1 {
                    format!("{strategy} · {cache} cache")
                } else {
                    format!("{cache} cache")
                };
                panels.push(LinePanel {
                    title,
                    series: series(&cell),
                    baseline: None,
                });
            }
        }
        out.push(Chart {
            id: format!("chunks-{workload}"),
            section: Section::Chunks,
            title: format!("{workload}: throughput against chunk size (MB/s)"),
            figure: Figure::Chunks(ChunkFigure {
                workload,
                unit: "MB/s".into(),
                panels,
            }),
        });
    }
    out
}

/// Scan and stream always (when some method has a chunk size); other
/// workloads when a method was measured at two or more chunk sizes.
fn wanted(workload: WorkloadId, timed: &[&SummaryRow]) -> bool {
    let sized: Vec<&SummaryRow> = timed
        .iter()
        .copied()
        .filter(|r| r.chunk_bytes.is_some())
        .collect();
    if sized.is_empty() {
        return false;
    }
    if matches!(
        workload.kind(),
        Some(WorkloadKind::Scan | WorkloadKind::Stream)
    ) {
        return true;
    }
    view::distinct(&sized, |r| view::method(&r.variant).to_string())
        .iter()
        .any(|m| {
            let of_method: Vec<&SummaryRow> = sized
                .iter()
                .copied()
                .filter(|r| view::method(&r.variant) == m)
                .collect();
            view::distinct(&of_method, |r| r.chunk_bytes).len() > 1
        })
}

fn series(cell: &[&SummaryRow]) -> Vec<Series> {
    let methods = view::distinct(cell, |r| view::method(&r.variant).to_string());
    methods
        .iter()
        .map(|m| {
            let of: Vec<&SummaryRow> = cell
                .iter()
                .copied()
                .filter(|r| view::method(&r.variant) == m)
                .collect();
            let dashed = of.iter().all(|r| r.chunk_bytes.is_none());
            let mut points: Vec<Point> = of
                .iter()
                .filter(|r| dashed || r.chunk_bytes.is_some())
                .map(|r| Point::throughput(r.chunk_bytes.unwrap_or(0) as f64, r))
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            points.truncate(if dashed { 1 } else { points.len() });
            Series {
                name: m.clone(),
                colour: style::hex(style::method_colour(m)),
                dashed,
                points,
            }
        })
        .collect()
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &ChunkFigure, path: &Path) -> anyhow::Result<()> {
    let columns = if f.panels.len() > 1 { 2 } else { 1 };
    let rows = f.panels.len().div_ceil(columns) as u32;
    let (root, body) = draw::canvas(path, 90 + rows * 400, title)?;
    let mut items: Vec<(String, plotters::style::RGBColor, Swatch)> = Vec::new();
    for s in f.panels.iter().flat_map(|p| &p.series) {
        if !items.iter().any(|(n, _, _)| *n == s.name) {
            let swatch = if s.dashed {
                Swatch::Dashed
            } else {
                Swatch::Line
            };
            items.push((s.name.clone(), style::parse_hex(&s.colour), swatch));
        }
    }
    let rest = draw::legend(&body, &items)?;
    let bytes = |x: f64| view::bytes(x as u64);
    let xs: Vec<f64> = f
        .panels
        .iter()
        .flat_map(|p| &p.series)
        .filter(|s| !s.dashed)
        .flat_map(|s| s.points.iter().map(|q| q.x))
        .collect();
    for (area, p) in draw::panels(&rest, f.panels.len(), columns)
        .iter()
        .zip(&f.panels)
    {
        line_panel(area, p, &xs, "chunk size", ("throughput", &f.unit), &bytes)?;
    }
    root.present()?;
    Ok(())
}
