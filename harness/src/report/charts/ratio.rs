//! Figure of `iolab compare`: the time ratio (run B / run A) of every
//! matched scenario with its 95 % interval, on a log scale, with the noise
//! band shaded; green when faster, red when slower, grey when the interval
//! reaches into the noise.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use super::draw::{self, Swatch};
use crate::report::style::{self, BAR_ROW, TEXT, X_AXIS_AREA};

/// Faster (time ratio below the noise band).
pub const FASTER: RGBColor = RGBColor(30, 123, 52);
/// Slower.
pub const SLOWER: RGBColor = RGBColor(200, 30, 45);
/// No change that the interval can show.
pub const SAME: RGBColor = RGBColor(130, 130, 130);

/// Time ratios of matched scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RatioFigure {
    /// Noise band half-width, a fraction (0.02 = ±2 %).
    pub noise: f64,
    /// One row per scenario, top to bottom.
    pub rows: Vec<RatioRow>,
}

/// One scenario's time ratio.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RatioRow {
    /// Scenario id.
    pub label: String,
    /// Median time B / median time A.
    pub ratio: f64,
    /// Interval, low.
    pub low: f64,
    /// Interval, high.
    pub high: f64,
    /// Marker colour, `#rrggbb`.
    pub colour: String,
}

/// Draw the figure to `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn draw(title: &str, f: &RatioFigure, path: &Path) -> anyhow::Result<()> {
    style::register_fonts()?;
    let n = f.rows.len();
    let height = 110 + n as u32 * (BAR_ROW - 4) + X_AXIS_AREA;
    let (root, body) = draw::canvas(path, height, title)?;
    let items = vec![
        ("faster".to_string(), FASTER, Swatch::Box),
        ("slower".to_string(), SLOWER, Swatch::Box),
        ("no clear change".to_string(), SAME, Swatch::Box),
        (
            format!("noise band ±{:.0} %", f.noise * 100.0),
            RGBColor(235, 235, 235),
            Swatch::Box,
        ),
    ];
    let area = draw::legend(&body, &items)?;
    let labels: Vec<String> = f.rows.iter().map(|r| r.label.clone()).collect();
    let label_w = draw::label_width(&area, &labels)?;
    let values = f
        .rows
        .iter()
        .flat_map(|r| [r.low, r.high, r.ratio])
        .chain([0.8, 1.25]);
    let (lo, hi) = draw::log_range(values, 1.15);
    let mut chart = draw::log_category_chart(
        &area,
        &labels,
        (lo, hi),
        "time B / time A (log scale; below 1: B faster)",
        "×",
        label_w,
        24,
    )?;
    let top = n as f64 - 0.5;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(1.0 - f.noise, -0.5), (1.0 + f.noise, top)],
        RGBColor(235, 235, 235).filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, -0.5), (1.0, top)],
        TEXT.stroke_width(1),
    )))?;
    for (i, r) in f.rows.iter().enumerate() {
        let y = draw::category_y(i, n);
        let c = style::parse_hex(&r.colour);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(r.low, y), (r.high, y)],
            c.stroke_width(3),
        )))?;
        chart.draw_series(std::iter::once(Circle::new((r.ratio, y), 6, c.filled())))?;
    }
    root.present()?;
    Ok(())
}
