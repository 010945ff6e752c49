//! Figure: what became of the lines appended concurrently to one file, per
//! variant: intact, corrupted and missing as shares of the lines written, in
//! a stacked bar. Loss is red, and a variant that lost data has its name in
//! red.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use super::draw::{self, Swatch};
use super::{Chart, Figure, Section};
use crate::report::style::{self, BAR_ROW, GOOD, LABEL_SIZE, LOSS, LOSS_DARK, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// Append outcomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppendFigure {
    /// One row per scenario, top to bottom.
    pub rows: Vec<AppendRow>,
}

/// One scenario's lines (medians over repetitions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppendRow {
    /// Category label: variant · strategy.
    pub label: String,
    /// Intact lines.
    pub intact: u64,
    /// Corrupted lines.
    pub corrupted: u64,
    /// Missing lines.
    pub missing: u64,
    /// Whether any line was corrupted or missing.
    pub loses_data: bool,
}

impl AppendRow {
    fn total(&self) -> u64 {
        (self.intact + self.corrupted + self.missing).max(1)
    }

    fn pct(&self, n: u64) -> f64 {
        n as f64 * 100.0 / self.total() as f64
    }
}

/// One chart when the run has append scenarios with line counts.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut appends: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.is_workload(WorkloadKind::Append) && r.append_intact.is_some())
        .collect();
    if appends.is_empty() {
        return Vec::new();
    }
    appends.sort_by_key(|r| {
        (
            r.variant.clone(),
            !r.is_strategy(StrategyKind::Sequential),
            r.workers,
            r.cache,
        )
    });
    let with_cache = view::distinct(&appends, |r| r.cache).len() > 1;
    let rows = appends
        .iter()
        .map(|r| {
            let corrupted = r.append_corrupted.unwrap_or(0);
            let missing = r.append_missing.unwrap_or(0);
            AppendRow {
                label: view::label(r, true, with_cache),
                intact: r.append_intact.unwrap_or(0),
                corrupted,
                missing,
                loses_data: corrupted + missing > 0,
            }
        })
        .collect();
    vec![Chart {
        id: "append".into(),
        section: Section::Append,
        title: "append: intact, corrupted and missing lines (% of lines written)".into(),
        figure: Figure::Append(AppendFigure { rows }),
    }]
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &AppendFigure, path: &Path) -> anyhow::Result<()> {
    let n = f.rows.len();
    let height = 110 + n as u32 * BAR_ROW + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let items = vec![
        ("intact".to_string(), GOOD, Swatch::Box),
        ("corrupted".to_string(), LOSS, Swatch::Box),
        ("missing".to_string(), LOSS_DARK, Swatch::Box),
    ];
    let area = draw::legend(&body, &items)?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    // Labels are drawn below, one colour each; the mesh draws none.
    let blank: Vec<String> = vec![String::new(); n];
    let mut chart = draw::bar_chart(
        &area,
        &blank,
        100.0,
        "share of lines written, %",
        label_w,
        300,
    )?;
    for (i, r) in f.rows.iter().enumerate() {
        let y = draw::category_y(i, n);
        let (a, b) = (r.pct(r.intact), r.pct(r.intact + r.corrupted));
        let segments = [(0.0, a, GOOD), (a, b, LOSS), (b, 100.0, LOSS_DARK)];
        chart.draw_series(
            segments
                .iter()
                .filter(|(x0, x1, _)| x1 > x0)
                .map(|&(x0, x1, c)| Rectangle::new([(x0, y - 0.32), (x1, y + 0.32)], c.filled())),
        )?;
        let ink = if r.loses_data { LOSS } else { TEXT };
        let label_style = style::text(LABEL_SIZE, ink).pos(Pos::new(HPos::Right, VPos::Center));
        chart.draw_series(std::iter::once(
            EmptyElement::at((0.0, y)) + Text::new(r.label.clone(), (-10, 0), label_style),
        ))?;
        let note = if r.loses_data {
            format!(
                "{} intact, {} corrupted, {} missing",
                view::count(r.intact),
                view::count(r.corrupted),
                view::count(r.missing)
            )
        } else {
            format!("all {} lines intact", view::count(r.intact))
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at((100.0, y)) + Text::new(note, (10, 0), draw::note_style(ink)),
        ))?;
    }
    root.present()?;
    Ok(())
}
