//! [`Glyphs`]: a drawing backend that lays out and rasterises chart text
//! itself with `ab_glyph` and the embedded DejaVu Sans, and passes every
//! other drawing call through to the wrapped backend.
//!
//! Why: plotters 0.3.7's own `ab_glyph` text drops each glyph's left side
//! bearing and truncates pen positions, so letters sit unevenly ("0. 30×").
//! Here each glyph is placed at its fractional pen position with kerning and
//! its bearing, and the text is anchored and rotated as plotters asks.
//!
//! Owns: text pixels of charts. Does not own: what the text says (the
//! figures) or the font files (`assets/fonts/`, loaded by [`super::super::style`]).

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

use crate::report::style;

/// A backend whose text is drawn by iolab (see the module docs).
#[derive(Debug)]
pub struct Glyphs<B> {
    inner: B,
}

impl<B: DrawingBackend> Glyphs<B> {
    /// Wrap `inner`.
    pub fn new(inner: B) -> Glyphs<B> {
        Glyphs { inner }
    }
}

fn font(bold: bool) -> Option<&'static FontRef<'static>> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let regular = FontRef::try_from_slice(style::font_bytes(false)).ok()?;
        let bold = FontRef::try_from_slice(style::font_bytes(true)).ok()?;
        Some((regular, bold))
    });
    fonts.as_ref().map(|(r, b)| if bold { b } else { r })
}

fn font_error<E: std::error::Error + Send + Sync>() -> DrawingErrorKind<E> {
    DrawingErrorKind::FontError(Box::new(std::io::Error::other(
        "the embedded chart font does not parse",
    )))
}

/// Text laid out on one line: coverage per pixel of a `width × height` box
/// whose top is the font's ascent above the baseline.
struct Layout {
    width: u32,
    height: u32,
    coverage: Vec<(i32, i32, f32)>,
}

fn layout(text: &str, size: f64, bold: bool, rasterise: bool) -> Option<Layout> {
    let font = font(bold)?;
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let ascent = scaled.ascent();
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut coverage = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        if rasterise {
            let glyph = id.with_scale_and_position(scaled.scale(), point(caret, ascent));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
                outlined.draw(|x, y, c| coverage.push((x0 + x as i32, y0 + y as i32, c)));
            }
        }
        caret += scaled.h_advance(id);
    }
    Some(Layout {
        width: caret.ceil().max(0.0) as u32,
        height: (ascent - scaled.descent()).ceil().max(0.0) as u32,
        coverage,
    })
}

impl<B: DrawingBackend> DrawingBackend for Glyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let bold = matches!(style.style(), FontStyle::Bold);
        let l = layout(text, style.size(), bold, false).ok_or_else(font_error)?;
        Ok((l.width, l.height))
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let bold = matches!(style.style(), FontStyle::Bold);
        let l = layout(text, style.size(), bold, true).ok_or_else(font_error)?;
        let (w, h) = (l.width as i32, l.height as i32);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Center => -w / 2,
            HPos::Right => -w,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let transform = style.transform();
        let (width, height) = self.get_size();
        for (x, y, c) in l.coverage {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if c > 0.0 && x >= 0 && y >= 0 && x < width as i32 && y < height as i32 {
                let alpha = colour.alpha * f64::from(c.min(1.0));
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha,
                        rgb: colour.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_measures_and_rasterises() {
        let short = layout("1.0", 14.0, false, true).unwrap();
        let long = layout("1.0 MB/s", 14.0, false, false).unwrap();
        assert!(short.width > 10 && long.width > short.width);
        assert!(long.coverage.is_empty());
        assert!(!short.coverage.is_empty());
        assert!((14..=18).contains(&short.height), "{}", short.height);
        // The dot sits on the baseline: its pixels are in the lower half.
        let dot = layout(".", 40.0, false, true).unwrap();
        let top = dot.coverage.iter().map(|p| p.1).min().unwrap();
        assert!(top > 20, "{top}");
    }
}
