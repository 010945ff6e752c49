//! The look shared by every chart: sizes, font, text styles and colours.
//!
//! Owns: the embedded DejaVu Sans font (registered once with plotters'
//! `ab_glyph` backend, so PNGs render identically on every machine, whatever
//! fonts are installed), pixel sizes, and the fixed map from strategy name to
//! colour that keeps a strategy the same colour in every chart. Does not own:
//! what a chart shows (`charts::*`) or the page's CSS (`assets/report/`).

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, IntoFont, RGBColor, TextStyle};

use crate::strategy::StrategyKind;

/// Family name the embedded font is registered under.
pub const FONT: &str = "iolab-sans";

static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Width of every chart, pixels (the page shows them at this size).
pub const WIDTH: u32 = 1100;
/// Chart title size, pixels.
pub const TITLE_SIZE: u32 = 22;
/// Panel caption size, pixels.
pub const PANEL_TITLE_SIZE: u32 = 17;
/// Tick label and annotation size, pixels.
pub const LABEL_SIZE: u32 = 14;
/// Axis description size, pixels.
pub const AXIS_SIZE: u32 = 15;
/// Height of one bar's row in horizontal bar charts, pixels.
pub const BAR_ROW: u32 = 30;
/// Outer margin of every chart, pixels.
pub const MARGIN: u32 = 12;
/// Height of the area under a plot for x tick labels and the axis name.
pub const X_AXIS_AREA: u32 = 52;

/// Page background of charts.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Text colour.
pub const TEXT: RGBColor = RGBColor(33, 37, 41);
/// Secondary text (annotations).
pub const MUTED: RGBColor = RGBColor(95, 99, 104);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 228, 232);
/// Intact lines of an append, and anything that is fine.
pub const GOOD: RGBColor = RGBColor(140, 196, 132);
/// Data loss: corrupted lines, torn files, names of variants that lose data.
pub const LOSS: RGBColor = RGBColor(200, 30, 45);
/// Missing lines (loss, darker than corrupted so the two read apart).
pub const LOSS_DARK: RGBColor = RGBColor(110, 10, 30);
/// User CPU time in the where-time-went chart.
pub const USER_CPU: RGBColor = RGBColor(178, 152, 222);
/// System CPU time in the where-time-went chart.
pub const SYS_CPU: RGBColor = RGBColor(94, 60, 140);

/// Colours of series that are not strategies (workload variants,
/// percentiles), in order of first appearance. Chosen apart from the
/// strategy colours and from [`LOSS`].
pub const SERIES_COLOURS: [RGBColor; 9] = [
    RGBColor(51, 34, 136),
    RGBColor(17, 119, 51),
    RGBColor(204, 102, 119),
    RGBColor(136, 34, 85),
    RGBColor(68, 170, 153),
    RGBColor(153, 153, 51),
    RGBColor(170, 68, 153),
    RGBColor(136, 204, 238),
    RGBColor(150, 150, 150),
];

/// The fixed colour of `strategy`, from its description: the same
/// strategy has the same colour in every chart of every report.
pub fn strategy_colour(strategy: StrategyKind) -> RGBColor {
    let (r, g, b) = strategy.desc().colour;
    RGBColor(r, g, b)
}

/// Methods of workloads drawn as series (scan, stream, random), in the
/// order of their fixed colours in [`SERIES_COLOURS`].
pub const METHODS: [&str; 8] = [
    "read",
    "mmap",
    "direct",
    "mmap-seq",
    "pread",
    "buffered",
    "unbuffered",
    "whole",
];

/// The colour of a workload method (`read`, `mmap`, `direct`…): the same
/// method has the same colour in every chart.
pub fn method_colour(method: &str) -> RGBColor {
    let i = METHODS
        .iter()
        .position(|m| *m == method)
        .unwrap_or(METHODS.len());
    series_colour(i)
}

/// The `i`-th series colour, cycling.
pub fn series_colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// `#rrggbb`, as chart specs and CSS hold colours.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Parse `#rrggbb`; anything else gives [`TEXT`] (specs are built by
/// [`hex`], so this only guards against hand-made specs).
pub fn parse_hex(s: &str) -> RGBColor {
    let digits = s.trim_start_matches('#');
    let channel = |i: usize| {
        digits
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (digits.len(), channel(0), channel(2), channel(4)) {
        (6, Some(r), Some(g), Some(b)) => RGBColor(r, g, b),
        _ => TEXT,
    }
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub fn lighten(c: RGBColor, amount: f64) -> RGBColor {
    let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * amount.clamp(0.0, 1.0)) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// The embedded font file, regular or bold.
pub fn font_bytes(bold: bool) -> &'static [u8] {
    if bold {
        FONT_BOLD
    } else {
        FONT_REGULAR
    }
}

/// Register the embedded font with plotters (once per process).
///
/// # Errors
/// When the embedded font files do not parse (a broken build).
pub fn register_fonts() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, FONT_REGULAR).is_ok()
            && register_font(FONT, FontStyle::Bold, FONT_BOLD).is_ok()
    });
    anyhow::ensure!(
        ok,
        "the embedded chart font (harness/assets/fonts/DejaVuSans*.ttf) does not parse"
    );
    Ok(())
}

/// Regular text of `size` pixels in `colour`.
pub fn text(size: u32, colour: RGBColor) -> TextStyle<'static> {
    (FONT, f64::from(size)).into_font().color(&colour)
}

/// Bold text of `size` pixels in `colour`.
pub fn bold(size: u32, colour: RGBColor) -> TextStyle<'static> {
    (FONT, f64::from(size))
        .into_font()
        .style(FontStyle::Bold)
        .color(&colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_keep_their_colour_and_each_has_its_own() {
        assert_eq!(hex(strategy_colour(StrategyKind::Threads)), "#0072b2");
        let mut colours: Vec<String> = StrategyKind::ALL
            .iter()
            .map(|k| hex(strategy_colour(*k)))
            .collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), StrategyKind::ALL.len());
    }

    #[test]
    fn hex_round_trips() {
        for k in StrategyKind::ALL {
            let c = strategy_colour(*k);
            assert_eq!(parse_hex(&hex(c)), c);
        }
        assert_eq!(parse_hex("nonsense"), TEXT);
        assert_eq!(lighten(RGBColor(0, 0, 0), 1.0), RGBColor(255, 255, 255));
    }

    #[test]
    fn the_font_registers() {
        register_fonts().unwrap();
        register_fonts().unwrap();
    }
}
