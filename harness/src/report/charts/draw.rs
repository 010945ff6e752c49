//! Drawing primitives shared by the figures: a titled canvas, panels, a
//! category axis for horizontal bars, a legend strip, axis ranges.
//!
//! Owns: nothing a figure decides (what to show); only how common pieces
//! look. Every function returns plotters' errors instead of unwrapping.

use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::style::{self, BACKGROUND, GRID, LABEL_SIZE, MARGIN, MUTED, TEXT, TITLE_SIZE};
use crate::strategy::StrategyKind;

use super::glyphs::Glyphs;

/// The backend of every chart: a PNG file with iolab's text rendering.
pub type Backend<'a> = Glyphs<BitMapBackend<'a>>;

/// A drawing area on a PNG file.
pub type Area<'a> = DrawingArea<Backend<'a>, Shift>;

/// The y axis of horizontal bar charts: `n` categories at the integer
/// positions `0..n` of a linear axis from -0.5 to `n - 0.5`, ticks (and
/// labels) at the categories only.
pub struct CategoryAxis {
    n: usize,
    inner: RangedCoordf64,
}

impl Ranged for CategoryAxis {
    type ValueType = f64;
    type FormatOption = NoDefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            (0..self.n).map(|i| i as f64).collect()
        }
    }
}

impl ValueFormatter<f64> for CategoryAxis {
    fn format(value: &f64) -> String {
        format!("{value}")
    }
}

/// A white PNG canvas of the standard width and `height`, with `title` drawn
/// on top; returns the whole canvas and the area under the title.
///
/// # Errors
/// When plotters cannot draw.
pub fn canvas<'a>(
    path: &'a Path,
    height: u32,
    title: &str,
) -> anyhow::Result<(Area<'a>, Area<'a>)> {
    let root = Glyphs::new(BitMapBackend::new(path, (style::WIDTH, height))).into_drawing_area();
    root.fill(&BACKGROUND)?;
    let inner = root.margin(MARGIN, MARGIN, MARGIN, MARGIN);
    let body = inner.titled(title, style::bold(TITLE_SIZE, TEXT))?;
    Ok((root, body))
}

/// Split `area` into `count` panels, `columns` per row.
pub fn panels<'a>(area: &Area<'a>, count: usize, columns: usize) -> Vec<Area<'a>> {
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns).max(1);
    area.split_evenly((rows, columns))
        .into_iter()
        .take(count)
        .collect()
}

/// Categories `0..n` at integer positions, first category on top when `y`
/// is drawn as `n - 1 - index`.
pub fn category_axis(n: usize) -> CategoryAxis {
    let top = n.max(1) as f64 - 0.5;
    CategoryAxis {
        n,
        inner: (-0.5..top).into(),
    }
}

/// The y position of category `index` of `n` (index 0 on top).
pub fn category_y(index: usize, n: usize) -> f64 {
    (n.saturating_sub(1) - index.min(n.saturating_sub(1))) as f64
}

/// The label of the category at axis value `y`, inverse of [`category_y`].
pub fn category_label(labels: &[String], y: f64) -> String {
    let n = labels.len();
    let pos = y.round();
    if pos < 0.0 || pos >= n as f64 {
        return String::new();
    }
    labels
        .get(n - 1 - pos as usize)
        .cloned()
        .unwrap_or_default()
}

/// A value axis, logarithmic or linear, with ticks chosen here: explicit
/// ones (worker counts, chunk sizes), 1-2-5 per decade (log), or round
/// steps (linear).
pub struct LogAxis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Ranged for LogAxis {
    type ValueType = f64;
    type FormatOption = NoDefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.log {
            let (a, b) = (self.lo.ln(), self.hi.ln());
            (value.max(self.lo * 1e-3).ln() - a) / (b - a)
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format(value: &f64) -> String {
        crate::report::view::tick(*value)
    }
}

/// A log axis from `lo` to `hi` (both positive, `lo < hi`) with `ticks`, or
/// 1-2-5 ticks per decade when `ticks` is empty.
pub fn log_axis(lo: f64, hi: f64, ticks: Vec<f64>) -> LogAxis {
    let lo = if lo > 0.0 && lo.is_finite() { lo } else { 1.0 };
    let hi = if hi > lo && hi.is_finite() {
        hi
    } else {
        lo * 10.0
    };
    let ticks = if ticks.is_empty() {
        decade_ticks(lo, hi)
    } else {
        ticks
    };
    LogAxis {
        lo,
        hi,
        log: true,
        ticks,
    }
}

/// A linear axis from 0 to `hi` with about six round ticks (steps of 1, 2
/// or 5 times a power of ten).
pub fn linear_axis(hi: f64) -> LogAxis {
    let hi = if hi > 0.0 && hi.is_finite() { hi } else { 1.0 };
    let raw = hi / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(magnitude * 10.0);
    let ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|t| *t <= hi * (1.0 + 1e-9))
        .collect();
    LogAxis {
        lo: 0.0,
        hi,
        log: false,
        ticks,
    }
}

/// A value axis for `values` (medians and interval ends) on top of 0:
/// logarithmic when the positive values span more than two decades (so
/// small values stay visible next to large ones), linear from 0 otherwise.
pub fn value_axis(values: &[f64]) -> LogAxis {
    let positive: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let (lo, hi) = positive
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if !positive.is_empty() && hi / lo > 100.0 {
        log_axis(lo / 1.5, hi * 1.5, Vec::new())
    } else {
        linear_axis(upper(hi, 0.12))
    }
}

impl LogAxis {
    /// The axis's lower end (where bars start).
    pub fn low(&self) -> f64 {
        self.lo
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        self.log
    }
}

fn decade_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |m: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| m.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let fine = within(&[1.0, 2.0, 5.0]);
    if fine.len() <= 10 {
        fine
    } else {
        within(&[1.0])
    }
}

/// Pixel width of the widest of `labels` at the tick label size, plus room
/// for the tick marks.
///
/// # Errors
/// When the font cannot measure text.
pub fn label_width(area: &Area<'_>, labels: &[String]) -> anyhow::Result<u32> {
    let style = style::text(LABEL_SIZE, TEXT);
    let mut widest = 0;
    for l in labels {
        widest = widest.max(area.estimate_text_size(l, &style)?.0);
    }
    Ok(widest + 18)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swatch {
    /// A filled square.
    Box,
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
}

/// Draw a one-line legend of `items` across the top of `area` and return the
/// area below it. Nothing is drawn (and `area` is returned whole) when there
/// are no items.
///
/// # Errors
/// When plotters cannot draw.
pub fn legend<'a>(
    area: &Area<'a>,
    items: &[(String, RGBColor, Swatch)],
) -> anyhow::Result<Area<'a>> {
    if items.is_empty() {
        return Ok(area.clone());
    }
    let (strip, rest) = area.split_vertically(30);
    let style = style::text(LABEL_SIZE, TEXT);
    let mut x = 8i32;
    for (name, colour, swatch) in items {
        let y = 15i32;
        match swatch {
            Swatch::Box => strip.draw(&Rectangle::new(
                [(x, y - 7), (x + 14, y + 7)],
                colour.filled(),
            ))?,
            Swatch::Line => strip.draw(&PathElement::new(
                vec![(x, y), (x + 22, y)],
                colour.stroke_width(3),
            ))?,
            Swatch::Dashed => {
                for seg in 0..3 {
                    let x0 = x + seg * 8;
                    strip.draw(&PathElement::new(
                        vec![(x0, y), (x0 + 5, y)],
                        colour.stroke_width(3),
                    ))?;
                }
            }
        }
        let offset = if *swatch == Swatch::Box { 20 } else { 28 };
        strip.draw(&Text::new(
            name.clone(),
            (x + offset, y),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        let (w, _) = strip.estimate_text_size(name, &style)?;
        x += offset + w as i32 + 22;
    }
    Ok(rest)
}

/// Legend entries for the strategies among `present`, in registration
/// order, each once.
pub fn strategy_legend(present: &[StrategyKind]) -> Vec<(String, RGBColor, Swatch)> {
    StrategyKind::ALL
        .iter()
        .filter(|k| present.contains(k))
        .map(|k| (k.to_string(), style::strategy_colour(*k), Swatch::Box))
        .collect()
}

/// A panel caption (bold, left) and the area below it.
///
/// # Errors
/// When plotters cannot draw.
pub fn panel_title<'a>(area: &Area<'a>, title: &str) -> anyhow::Result<Area<'a>> {
    if title.is_empty() {
        return Ok(area.clone());
    }
    let (strip, rest) = area.split_vertically(28);
    strip.draw(&Text::new(
        title.to_string(),
        (6, 14),
        style::bold(style::PANEL_TITLE_SIZE, TEXT).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(rest)
}

/// The upper end of a linear value axis that starts at 0: `max` with
/// `headroom` (a fraction) on top; 1 when nothing is positive.
pub fn upper(max: f64, headroom: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * (1.0 + headroom)
    } else {
        1.0
    }
}

/// A log axis range covering `values` (positive ones), widened by a factor
/// of `pad` each side; `[1, 10]` when there are none.
pub fn log_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (1.0, 10.0);
    }
    (lo / pad, hi * pad)
}

/// A chart of horizontal bars: linear values across, categories down.
pub type BarChart<'a, 'b> =
    ChartContext<'a, Backend<'b>, Cartesian2d<RangedCoordf64, CategoryAxis>>;

/// A horizontal bar chart on `area`: `labels` top to bottom, a linear value
/// axis from 0 to `max` named `x_desc`, `label_w` pixels for the labels and
/// `right` pixels of margin for notes beside the bars.
///
/// # Errors
/// When plotters cannot draw.
pub fn bar_chart<'a, 'b>(
    area: &'a Area<'b>,
    labels: &[String],
    max: f64,
    x_desc: &str,
    label_w: u32,
    right: u32,
) -> anyhow::Result<BarChart<'a, 'b>> {
    let axis = CategoryChart {
        labels,
        x_desc,
        x_label: &|x| crate::report::view::tick(*x),
        label_w,
        right,
        minor_grid: false,
    };
    category_chart(area, (0.0..max).into(), &axis)
}

/// A chart of horizontal marks on a log scale: log values across,
/// categories down.
pub type LogCategoryChart<'a, 'b> =
    ChartContext<'a, Backend<'b>, Cartesian2d<LogAxis, CategoryAxis>>;

/// A horizontal chart on `area` with a log value axis from `lo` to `hi`
/// named `x_desc`, its ticks followed by `unit` (`×` for ratios), `labels`
/// top to bottom in `label_w` pixels and `right` pixels of margin for notes.
///
/// # Errors
/// When plotters cannot draw.
pub fn log_category_chart<'a, 'b>(
    area: &'a Area<'b>,
    labels: &[String],
    (lo, hi): (f64, f64),
    x_desc: &str,
    unit: &str,
    label_w: u32,
    right: u32,
) -> anyhow::Result<LogCategoryChart<'a, 'b>> {
    let axis = CategoryChart {
        labels,
        x_desc,
        x_label: &|x| format!("{}{unit}", crate::report::view::tick(*x)),
        label_w,
        right,
        minor_grid: true,
    };
    category_chart(area, log_axis(lo, hi, Vec::new()), &axis)
}

/// How a chart of categories down is laid out.
struct CategoryChart<'a> {
    /// The categories, top to bottom.
    labels: &'a [String],
    /// The name of the value axis across.
    x_desc: &'a str,
    /// A value tick's label.
    x_label: &'a dyn Fn(&f64) -> String,
    /// Pixels for the labels.
    label_w: u32,
    /// Pixels of margin on the right, for notes beside the marks.
    right: u32,
    /// Whether plotters' minor grid lines stay (the log axis's do).
    minor_grid: bool,
}

/// A chart on `area` with the value axis `x` across and `axis.labels`
/// down, its grid and labels drawn.
fn category_chart<'a, 'b, X>(
    area: &'a Area<'b>,
    x: X,
    axis: &CategoryChart<'_>,
) -> anyhow::Result<ChartContext<'a, Backend<'b>, Cartesian2d<X, CategoryAxis>>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin_right(axis.right)
        .x_label_area_size(style::X_AXIS_AREA)
        .y_label_area_size(axis.label_w)
        .build_cartesian_2d(x, category_axis(axis.labels.len()))?;
    let y_fmt = |y: &f64| category_label(axis.labels, *y);
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .bold_line_style(grid_style())
        .y_label_formatter(&y_fmt)
        .x_label_formatter(axis.x_label)
        .x_desc(axis.x_desc)
        .label_style(style::text(LABEL_SIZE, TEXT))
        .axis_desc_style(style::text(style::AXIS_SIZE, TEXT));
    if !axis.minor_grid {
        mesh.light_line_style(BACKGROUND);
    }
    mesh.draw()?;
    Ok(chart)
}

/// Draw horizontal interval whiskers `(y, low, high)` with end caps.
///
/// # Errors
/// When plotters cannot draw.
pub fn whiskers(chart: &mut BarChart<'_, '_>, items: &[(f64, f64, f64)]) -> anyhow::Result<()> {
    let line = TEXT.stroke_width(1);
    let shown = items.iter().filter(|(_, lo, hi)| hi > lo);
    chart.draw_series(
        shown
            .clone()
            .map(|&(y, lo, hi)| PathElement::new(vec![(lo, y), (hi, y)], line)),
    )?;
    for end in [0usize, 1] {
        chart.draw_series(shown.clone().map(|&(y, lo, hi)| {
            let x = if end == 0 { lo } else { hi };
            EmptyElement::at((x, y)) + PathElement::new(vec![(0, -5), (0, 5)], line)
        }))?;
    }
    Ok(())
}

/// Mesh line style of value axes.
pub fn grid_style() -> ShapeStyle {
    GRID.stroke_width(1)
}

/// Small annotation text, left-centred at its anchor.
pub fn note_style(colour: RGBColor) -> TextStyle<'static> {
    style::text(LABEL_SIZE - 1, colour).pos(Pos::new(HPos::Left, VPos::Center))
}

/// Muted text colour for annotations.
pub const NOTE: RGBColor = MUTED;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_top_down_and_back() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(category_y(0, 3), 2.0);
        assert_eq!(category_y(2, 3), 0.0);
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(&category_label(&labels, category_y(i, 3)), l);
        }
        assert_eq!(category_label(&labels, 7.0), "");
        assert_eq!(category_label(&labels, -1.0), "");
    }

    #[test]
    fn log_ticks() {
        assert_eq!(
            log_axis(0.9, 110.0, vec![]).ticks,
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        assert_eq!(log_axis(1.0, 1e6, vec![]).ticks.len(), 7);
        let axis = log_axis(1.0, 100.0, vec![]);
        assert_eq!(axis.map(&10.0, (0, 100)), 50);
        let lin = linear_axis(12.0);
        assert_eq!(lin.ticks, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        assert_eq!(lin.map(&6.0, (0, 100)), 50);
        assert!(value_axis(&[1.0, 1700.0]).is_log());
        assert!(!value_axis(&[20.0, 1700.0]).is_log());
    }

    #[test]
    fn ranges() {
        assert_eq!(upper(0.0, 0.2), 1.0);
        assert!((upper(10.0, 0.2) - 12.0).abs() < 1e-9);
        assert_eq!(log_range([2.0, 8.0].into_iter(), 2.0), (1.0, 16.0));
        assert_eq!(log_range(std::iter::empty(), 2.0), (1.0, 10.0));
    }
}
