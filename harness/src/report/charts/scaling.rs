//! Figure: throughput against worker count, one line per strategy with its
//! 95 % interval as a band, the sequential baseline as a dashed line; one
//! panel per variant and cache state, one chart per workload. Drawn only
//! where some strategy was measured at two or more worker counts.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Area, Backend, LogAxis, Swatch};
use super::{Chart, Figure, Section};
use crate::report::style::{self, LABEL_SIZE, TEXT, X_AXIS_AREA};
use crate::report::view;
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::strategy::StrategyKind;

/// Scaling curves of one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScalingFigure {
    /// The workload (`ranks` for the rank-scaling figure).
    pub workload: String,
    /// Unit of the values.
    pub unit: String,
    /// One panel per variant and cache state.
    pub panels: Vec<LinePanel>,
}

/// One panel of lines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinePanel {
    /// Caption.
    pub title: String,
    /// The lines.
    pub series: Vec<Series>,
    /// A horizontal reference line (the sequential baseline), if any.
    pub baseline: Option<f64>,
}

/// One line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Colour, `#rrggbb`.
    pub colour: String,
    /// Whether drawn dashed (a value that does not depend on x).
    pub dashed: bool,
    /// Points, ascending in x.
    pub points: Vec<Point>,
}

/// One measured point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Position across (workers, bytes).
    pub x: f64,
    /// Median.
    pub y: f64,
    /// Interval, low.
    pub low: f64,
    /// Interval, high.
    pub high: f64,
}

impl Point {
    /// The throughput point of a summary row at `x`.
    pub fn throughput(x: f64, r: &SummaryRow) -> Point {
        Point {
            x,
            y: r.mb_per_s,
            low: r.mb_per_s_ci_low.map_or(r.mb_per_s, |l| l.min(r.mb_per_s)),
            high: r.mb_per_s_ci_high.map_or(r.mb_per_s, |h| h.max(r.mb_per_s)),
        }
    }
}

/// One chart per workload with a strategy measured at several worker counts.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (workload, timed) in view::by_workload(rows, view::has_throughput) {
        let variants = view::distinct(&timed, |r| r.variant.clone());
        let mut panels = Vec::new();
        for variant in &variants {
            for cache in view::caches(&timed) {
                let cell: Vec<&SummaryRow> = timed
                    .iter()
                    .copied()
                    .filter(|r| &r.variant == variant && r.cache == cache)
                    .collect();
                if let Some(mut p) = panel(&cell) {
                    p.title = if variants.len() > 1 {
                        format!("{variant} · {cache} cache")
                    } else {
                        format!("{cache} cache")
                    };
                    panels.push(p);
                }
            }
        }
        if panels.is_empty() {
            continue;
        }
        out.push(Chart {
            id: format!("scaling-{workload}"),
            section: Section::Scaling,
            title: format!("{workload}: throughput against workers (MB/s)"),
            figure: Figure::Scaling(ScalingFigure {
                workload: workload.to_string(),
                unit: "MB/s".into(),
                panels,
            }),
        });
    }
    out
}

/// The lines of one variant and cache state, or `None` when no strategy has
/// two worker counts. Nested pools have their own heatmap and are left out.
fn panel(cell: &[&SummaryRow]) -> Option<LinePanel> {
    let concurrent: Vec<&SummaryRow> = cell
        .iter()
        .copied()
        .filter(|r| {
            !r.is_strategy(StrategyKind::Sequential) && !r.is_strategy(StrategyKind::Nested)
        })
        .collect();
    let keys = view::distinct(&concurrent, |r| (r.strategy, r.batch, r.program.clone()));
    let mut series = Vec::new();
    for (strategy, batch, program) in &keys {
        let mut points: Vec<Point> = concurrent
            .iter()
            .filter(|r| &r.strategy == strategy && &r.batch == batch && &r.program == program)
            .map(|r| Point::throughput(f64::from(r.workers), r))
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        let several_batches = keys.iter().filter(|(s, _, _)| s == strategy).count() > 1;
        let name = match (batch, program) {
            (_, Some(p)) => format!("command {p}"),
            (Some(b), None) if several_batches => format!("{strategy}, batch {b}"),
            _ => strategy.to_string(),
        };
        series.push(Series {
            name,
            colour: style::hex(style::strategy_colour(*strategy)),
            dashed: false,
            points,
        });
    }
    if !series.iter().any(|s| s.points.len() >= 2) {
        return None;
    }
    let baseline = cell
        .iter()
        .find(|r| r.is_strategy(StrategyKind::Sequential))
        .map(|r| r.mb_per_s);
    Some(LinePanel {
        title: String::new(),
        series,
        baseline,
    })
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &ScalingFigure, path: &Path) -> anyhow::Result<()> {
    draw_over(title, f, path, "workers")
}

/// Draw the figure to `path` with `x_desc` under the x axis (workers, or
/// MPI ranks for [`super::rank_scaling`]).
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw_over(title: &str, f: &ScalingFigure, path: &Path, x_desc: &str) -> anyhow::Result<()> {
    let columns = if f.panels.len() > 1 { 2 } else { 1 };
    let rows = f.panels.len().div_ceil(columns) as u32;
    let (root, body) = draw::canvas(path, 90 + rows * 400, title)?;
    let mut names: Vec<&str> = Vec::new();
    for s in f.panels.iter().flat_map(|p| &p.series) {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let mut items: Vec<(String, RGBColor, Swatch)> = names
        .iter()
        .filter_map(|n| {
            let s = f
                .panels
                .iter()
                .flat_map(|p| &p.series)
                .find(|s| s.name == *n)?;
            Some((s.name.clone(), style::parse_hex(&s.colour), Swatch::Line))
        })
        .collect();
    if f.panels.iter().any(|p| p.baseline.is_some()) {
        items.push((
            StrategyKind::Sequential.to_string(),
            style::strategy_colour(StrategyKind::Sequential),
            Swatch::Dashed,
        ));
    }
    let rest = draw::legend(&body, &items)?;
    line_panels(
        &rest,
        &f.panels,
        x_desc,
        ("throughput", &f.unit),
        &view::tick,
    )?;
    root.present()?;
    Ok(())
}

/// Draw `panels` on `area` in one or two columns, each with
/// [`line_panel`] over the x values of its own points.
///
/// # Errors
/// When plotters cannot draw.
pub fn line_panels(
    area: &Area<'_>,
    panels: &[LinePanel],
    x_desc: &str,
    y: (&str, &str),
    x_label: &dyn Fn(f64) -> String,
) -> anyhow::Result<()> {
    let columns = if panels.len() > 1 { 2 } else { 1 };
    for (cell, p) in draw::panels(area, panels.len(), columns).iter().zip(panels) {
        let xs: Vec<f64> = p
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|q| q.x))
            .collect();
        line_panel(cell, p, &xs, x_desc, y, x_label)?;
    }
    Ok(())
}

/// Draw a panel of lines over a log x axis with ticks at `xs`, labelled by
/// `x_label`, the y axis `what` in `unit` (`throughput`, `MB/s`). Shared
/// with the chunk-size and crossover figures.
///
/// # Errors
/// When plotters cannot draw.
pub fn line_panel(
    area: &Area<'_>,
    p: &LinePanel,
    xs: &[f64],
    x_desc: &str,
    (what, unit): (&str, &str),
    x_label: &dyn Fn(f64) -> String,
) -> anyhow::Result<()> {
    let area = draw::panel_title(area, &p.title)?;
    let values: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| {
            s.points.iter().flat_map(move |q| {
                if s.dashed {
                    vec![q.y]
                } else {
                    vec![q.y, q.low, q.high]
                }
            })
        })
        .chain(p.baseline)
        .collect();
    let axes = Axes {
        xs,
        values: &values,
        x_desc,
        what,
        unit,
        x_label,
    };
    let (mut chart, span) = line_chart(&area, &axes)?;
    if let Some(b) = p.baseline {
        draw_baseline(&mut chart, &span, b)?;
    }
    for s in &p.series {
        let c = style::parse_hex(&s.colour);
        if s.dashed {
            if let Some(q) = s.points.first() {
                let flat = vec![(span.lo, q.y), (span.hi, q.y)];
                chart.draw_series(DashedLineSeries::new(flat, 10, 6, c.stroke_width(3)))?;
            }
            continue;
        }
        draw_band_line(&mut chart, &s.points, c, span.floor)?;
    }
    Ok(())
}

/// A chart of throughput lines: a log axis across (workers, bytes), a
/// value axis up.
pub type LineChart<'a, 'b> = ChartContext<'a, Backend<'b>, Cartesian2d<LogAxis, LogAxis>>;

/// What the axes of a [`LineChart`] show.
pub struct Axes<'a> {
    /// Every x a point sits at (the ticks across).
    pub xs: &'a [f64],
    /// Every value drawn (the value axis covers them).
    pub values: &'a [f64],
    /// The name of the axis across.
    pub x_desc: &'a str,
    /// What the values are (`throughput`, `speedup`).
    pub what: &'a str,
    /// The unit of the values.
    pub unit: &'a str,
    /// A tick's label across.
    pub x_label: &'a dyn Fn(f64) -> String,
}

/// Where a [`LineChart`]'s axes end: `lo`..`hi` across, `floor` the lowest
/// value shown (a band never reaches below it).
pub struct Span {
    /// Left end of the axis across.
    pub lo: f64,
    /// Right end of the axis across.
    pub hi: f64,
    /// Bottom of the value axis.
    pub floor: f64,
}

/// A throughput chart on `area` with its grid and labelled axes drawn.
///
/// # Errors
/// When plotters cannot draw.
pub fn line_chart<'a, 'b>(
    area: &'a Area<'b>,
    axes: &Axes<'_>,
) -> anyhow::Result<(LineChart<'a, 'b>, Span)> {
    let mut ticks: Vec<f64> = axes.xs.to_vec();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let (lo, hi) = draw::log_range(ticks.iter().copied(), 1.35);
    let y_axis = draw::value_axis(axes.values);
    let floor = y_axis.low();
    let (what, unit) = (axes.what, axes.unit);
    let y_desc = if y_axis.is_log() {
        format!("{what}, {unit} (log scale)")
    } else {
        format!("{what}, {unit}")
    };
    let mut chart = ChartBuilder::on(area)
        .margin_right(24)
        .x_label_area_size(X_AXIS_AREA)
        .y_label_area_size(70)
        .build_cartesian_2d(draw::log_axis(lo, hi, ticks), y_axis)?;
    let x_fmt = |x: &f64| (axes.x_label)(*x);
    let y_fmt = |y: &f64| view::tick(*y);
    chart
        .configure_mesh()
        .bold_line_style(draw::grid_style())
        .light_line_style(style::BACKGROUND)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(axes.x_desc)
        .y_desc(y_desc)
        .label_style(style::text(LABEL_SIZE, TEXT))
        .axis_desc_style(style::text(style::AXIS_SIZE, TEXT))
        .draw()?;
    Ok((chart, Span { lo, hi, floor }))
}

/// The sequential baseline `b` as a dashed line across the chart.
///
/// # Errors
/// When plotters cannot draw.
pub fn draw_baseline(chart: &mut LineChart<'_, '_>, span: &Span, b: f64) -> anyhow::Result<()> {
    let c = style::strategy_colour(StrategyKind::Sequential);
    let line = vec![(span.lo, b), (span.hi, b)];
    chart.draw_series(DashedLineSeries::new(line, 8, 6, c.stroke_width(2)))?;
    Ok(())
}

/// One line of `points` in colour `c`, its interval as a band above
/// `floor`, each point a dot.
///
/// # Errors
/// When plotters cannot draw.
pub fn draw_band_line(
    chart: &mut LineChart<'_, '_>,
    points: &[Point],
    c: RGBColor,
    floor: f64,
) -> anyhow::Result<()> {
    let pts: Vec<(f64, f64)> = points.iter().map(|q| (q.x, q.y)).collect();
    let band: Vec<(f64, f64)> = points
        .iter()
        .map(|q| (q.x, q.high))
        .chain(points.iter().rev().map(|q| (q.x, q.low.max(floor))))
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.16).filled())))?;
    chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(3)))?;
    chart.draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 5, c.filled())))?;
    Ok(())
}
