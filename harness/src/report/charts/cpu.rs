//! Figure: where the time went. For each scenario of a workload, the median
//! wall time (in the strategy's colour) above the CPU time it used, user and
//! system stacked; the ratio CPU / wall is printed. CPU well below wall means
//! waiting on I/O; near or above wall means CPU-bound (or parallel).

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Swatch};
use super::{Chart, Figure, Section};
use crate::report::style::{self, BAR_ROW, SYS_CPU, TEXT, USER_CPU, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadId;

/// Wall against CPU time of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpuFigure {
    /// The workload.
    pub workload: WorkloadId,
    /// One row per scenario.
    pub rows: Vec<CpuRow>,
}

/// One scenario's times, milliseconds (medians over repetitions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpuRow {
    /// Category label.
    pub label: String,
    /// Strategy name (decides the wall bar's colour).
    pub strategy: StrategyKind,
    /// Wall bar colour, `#rrggbb`.
    pub colour: String,
    /// Wall time, ms.
    pub wall_ms: f64,
    /// User CPU, ms.
    pub user_ms: f64,
    /// System CPU, ms.
    pub sys_ms: f64,
}

/// One chart per workload with timed scenarios.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (workload, mut timed) in view::by_workload(rows, view::has_time) {
        if timed.is_empty() {
            continue;
        }
        timed.sort_by_key(|r| {
            (
                r.cache,
                r.variant.clone(),
                !r.is_strategy(StrategyKind::Sequential),
                r.strategy.name(),
                r.workers,
                r.strategy_shown(),
            )
        });
        let with_variant = view::distinct(&timed, |r| r.variant.clone()).len() > 1;
        let with_cache = view::distinct(&timed, |r| r.cache).len() > 1;
        let cpu_rows = timed
            .iter()
            .map(|r| CpuRow {
                label: view::label(r, with_variant, with_cache),
                strategy: r.strategy,
                colour: style::hex(style::strategy_colour(r.strategy)),
                wall_ms: r.wall_median_s * 1e3,
                user_ms: r.user_s * 1e3,
                sys_ms: r.sys_s * 1e3,
            })
            .collect();
        out.push(Chart {
            id: format!("cpu-{workload}"),
            section: Section::Cpu,
            title: format!("{workload}: wall time vs CPU time (ms, medians)"),
            figure: Figure::Cpu(CpuFigure {
                workload,
                rows: cpu_rows,
            }),
        });
    }
    out
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &CpuFigure, path: &Path) -> anyhow::Result<()> {
    let n = f.rows.len();
    let height = 110 + n as u32 * (BAR_ROW + 10) + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let mut items = vec![
        ("user CPU".to_string(), USER_CPU, Swatch::Box),
        ("system CPU".to_string(), SYS_CPU, Swatch::Box),
    ];
    let present: Vec<StrategyKind> = f.rows.iter().map(|r| r.strategy).collect();
    for (name, colour, swatch) in draw::strategy_legend(&present) {
        items.push((format!("wall, {name}"), colour, swatch));
    }
    let area = draw::legend(&body, &items)?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    let max = f
        .rows
        .iter()
        .map(|r| r.wall_ms.max(r.user_ms + r.sys_ms))
        .fold(0.0, f64::max);
    let mut chart = draw::bar_chart(
        &area,
        &labels,
        draw::upper(max, 0.2),
        "time, ms",
        label_w,
        20,
    )?;
    for (i, r) in f.rows.iter().enumerate() {
        let y = draw::category_y(i, n);
        let wall = style::parse_hex(&r.colour);
        let cpu = r.user_ms + r.sys_ms;
        let bars = [
            (0.0, r.wall_ms, y + 0.18, wall),
            (0.0, r.user_ms, y - 0.18, USER_CPU),
            (r.user_ms, cpu, y - 0.18, SYS_CPU),
        ];
        chart.draw_series(
            bars.iter()
                .filter(|(a, b, _, _)| b > a)
                .map(|&(a, b, yc, c)| Rectangle::new([(a, yc - 0.16), (b, yc + 0.16)], c.filled())),
        )?;
        let ratio = if r.wall_ms > 0.0 {
            cpu / r.wall_ms
        } else {
            0.0
        };
        let text = format!("CPU/wall {ratio:.2}");
        chart.draw_series(std::iter::once(
            EmptyElement::at((r.wall_ms.max(cpu), y))
                + Text::new(text, (10, 0), draw::note_style(TEXT)),
        ))?;
    }
    root.present()?;
    Ok(())
}
