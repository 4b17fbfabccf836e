//! Chart text in PNG: the fonts compiled in (Ubuntu Light for text, Hack for ids, from the
//! `epaint_default_fonts` crate) and [`GlyphText`], the bitmap backend wrapper that lays text
//! out glyph by glyph with ab_glyph's advances and kerning. SVG text is left to the browser.

use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef, GlyphId, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// Text font family (Ubuntu Light).
pub(crate) const SANS: &str = "sans-serif";
/// Id font family (Hack, monospace).
pub(crate) const MONO: &str = "monospace";

pub(super) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both fonts are known-good TrueType files compiled into the binary.
        let _ = plotters::style::register_font(SANS, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
        let _ = plotters::style::register_font(MONO, FontStyle::Normal, epaint_default_fonts::HACK_REGULAR);
    });
}

/// The drawing area of a PNG chart: the bitmap with text laid out by [`GlyphText`].
pub(super) fn png_root(bitmap: BitMapBackend<'_>) -> DrawingArea<GlyphText<BitMapBackend<'_>>, Shift> {
    GlyphText(bitmap).into_drawing_area()
}

/// The two compiled-in fonts, parsed once, for the PNG text path.
struct Fonts {
    sans: FontRef<'static>,
    mono: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let parse = |bytes: &'static [u8]| FontRef::try_from_slice(bytes).expect("the compiled-in fonts are valid");
        Fonts {
            sans: parse(epaint_default_fonts::UBUNTU_LIGHT),
            mono: parse(epaint_default_fonts::HACK_REGULAR),
        }
    })
}

/// One line of text laid out at a pixel size: each glyph's font, id and pen position, and
/// the line's advance width.
struct Line {
    glyphs: Vec<(&'static FontRef<'static>, GlyphId, f32)>,
    width: f32,
    /// Height of a capital letter of the line's font, in pixels.
    cap_height: f32,
}

impl Line {
    /// Lays `text` out in the family's font (a character the font lacks comes from the
    /// other one), advancing the pen by each glyph's advance and the kerning of each pair.
    /// `size` is plotters' font size, the font's ascent-to-descent height in pixels, as in
    /// plotters' own text measurements, so that the layout it computes stays right.
    fn new(family: &str, size: f32, text: &str) -> Line {
        let fonts = fonts();
        let (primary, fallback) = if family == MONO {
            (&fonts.mono, &fonts.sans)
        } else {
            (&fonts.sans, &fonts.mono)
        };
        let mut glyphs = Vec::with_capacity(text.len());
        let mut pen = 0f32;
        let mut previous: Option<(&FontRef<'static>, GlyphId)> = None;
        for c in text.chars() {
            let (font, id) = match primary.glyph_id(c) {
                GlyphId(0) if fallback.glyph_id(c) != GlyphId(0) => (fallback, fallback.glyph_id(c)),
                id => (primary, id),
            };
            let scaled = font.as_scaled(size);
            if let Some((previous_font, previous_id)) = previous
                && std::ptr::eq(previous_font, font)
            {
                pen += scaled.kern(previous_id, id);
            }
            glyphs.push((font, id, pen));
            pen += scaled.h_advance(id);
            previous = Some((font, id));
        }
        let cap_height = primary.outline(primary.glyph_id('H')).map_or(size * 0.6, |o| {
            o.bounds.max.y * primary.as_scaled(size).v_scale_factor()
        });
        Line {
            glyphs,
            width: pen,
            cap_height,
        }
    }

    /// The layout box, as plotters measures text: the advance width by the font size / 1.24.
    fn box_size(&self, size: f32) -> (f32, f32) {
        (self.width, size / 1.24)
    }
}

/// A drawing backend that draws text itself and everything else through `DB`.
///
/// plotters' bitmap text (its `ab_glyph` font code) places each glyph's ink at the pen
/// position, dropping the glyph's left side bearing (the outline's pixel bounds start where
/// the ink starts), and truncates the pen to whole pixels. Each glyph's bearings therefore
/// pile up on its right: "1e-10" reads "1 e-1 0", "change" reads "ch ange". Here each glyph is
/// rasterised at its exact pen position (sub-pixel, bounds included), with the font's advances
/// and kerning, and the line's capitals are centred in plotters' layout box.
pub struct GlyphText<DB>(DB);

impl<DB: DrawingBackend> GlyphText<DB> {
    /// Wraps a bitmap backend (text in the `sans-serif` and `monospace` families, drawn with
    /// the fonts compiled in); for charts drawn outside this module, such as the benchmark
    /// comparison in `examples/compare_chart.rs`.
    pub fn new(backend: DB) -> Self {
        register_fonts();
        GlyphText(backend)
    }
}

impl<DB: DrawingBackend> DrawingBackend for GlyphText<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (width, height): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, (width, height), src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let size = style.size() as f32;
        let (width, height) = Line::new(style.family().as_str(), size, text).box_size(size);
        Ok((width.ceil() as u32, height as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size() as f32;
        let line = Line::new(style.family().as_str(), size, text);
        let (width, height) = line.box_size(size);
        let anchor = style.anchor();
        let left = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Right => -width,
            HPos::Center => -width / 2.0,
        };
        let top = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let baseline = top + (height + line.cap_height) / 2.0;
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.get_size();
        let mut result = Ok(());
        for &(font, id, pen) in &line.glyphs {
            let glyph = id.with_scale_and_position(size, ab_glyph::point(left + pen, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                let (x, y) = (bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32);
                let (x, y) = transform.transform(x, y);
                let (x, y) = (pos.0 + x, pos.1 + y);
                let inside = x >= 0 && y >= 0 && (x as u32) < canvas_width && (y as u32) < canvas_height;
                if coverage > 0.0 && inside && result.is_ok() {
                    let ink = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    result = self.0.draw_pixel((x, y), ink);
                }
            });
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::text_anchor::Pos;

    /// Columns `0..width` of an RGB image that hold any ink (a pixel that is not white).
    fn ink_columns(pixels: &[u8], (width, height): (u32, u32)) -> Vec<bool> {
        (0..width as usize)
            .map(|x| (0..height as usize).any(|y| pixels[3 * (y * width as usize + x)..][..3] != [255, 255, 255]))
            .collect()
    }

    /// Runs of columns without ink between the first and last inked column: (start, end).
    fn gaps(ink: &[bool]) -> Vec<(usize, usize)> {
        let first = ink.iter().position(|&i| i).unwrap_or(0);
        let last = ink.iter().rposition(|&i| i).unwrap_or(0);
        let mut gaps = Vec::new();
        let mut start = None;
        for (x, &inked) in ink.iter().enumerate().take(last + 1).skip(first) {
            match (inked, start) {
                (false, None) => start = Some(x),
                (true, Some(s)) => {
                    gaps.push((s, x));
                    start = None;
                }
                _ => {}
            }
        }
        gaps
    }

    #[test]
    fn png_text_keeps_the_fonts_advances_and_kerning() {
        // The reported text: glyph bearings piled up right of each glyph ("ch ange", "b ound",
        // "1 e-1 0"). Drawn through the PNG path, left/top at (x0, 10).
        let text = "change bound 1e-10";
        let (size, x0) = (28.0f32, 10);
        let canvas = (420u32, 60u32);
        let mut pixels = vec![255u8; (canvas.0 * canvas.1 * 3) as usize];
        register_fonts();
        {
            let root = png_root(BitMapBackend::with_buffer(&mut pixels, canvas));
            let style = (SANS, f64::from(size)).into_font().color(&BLACK);
            root.draw_text(text, &style.pos(Pos::new(HPos::Left, VPos::Top)), (x0, 10))
                .unwrap();
            root.present().unwrap();
        }
        let measured = ink_columns(&pixels, canvas);

        // Where the font puts the ink: each glyph at its pen position (advances plus kerning),
        // its outline's pixel bounds from there.
        let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).unwrap();
        let scaled = font.as_scaled(size);
        let mut expected = vec![false; canvas.0 as usize];
        let mut spaces = Vec::new();
        let (mut pen, mut previous) = (x0 as f32, None);
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                pen += scaled.kern(previous, id);
            }
            if c == ' ' {
                spaces.push((pen, pen + scaled.h_advance(id)));
            }
            if let Some(outline) = font.outline_glyph(id.with_scale_and_position(size, ab_glyph::point(pen, 40.0))) {
                let b = outline.px_bounds();
                expected[b.min.x as usize..b.max.x as usize].fill(true);
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }

        // Ink never strays from the glyphs' boxes, and every gap between glyphs the font leaves
        // (2 px or more) is there within a pixel.
        for (x, (&m, &e)) in measured.iter().zip(&expected).enumerate() {
            assert!(!m || e, "ink at column {x}, outside every glyph");
        }
        let wide = |g: &(usize, usize)| g.1 - g.0 >= 2;
        let expected_gaps: Vec<_> = gaps(&expected).into_iter().filter(wide).collect();
        let measured_gaps: Vec<_> = gaps(&measured).into_iter().filter(wide).collect();
        assert_eq!(
            measured_gaps.len(),
            expected_gaps.len(),
            "{measured_gaps:?} vs {expected_gaps:?}"
        );
        for (m, e) in measured_gaps.iter().zip(&expected_gaps) {
            assert!(
                m.0 <= e.0 + 1 && m.0 + 1 >= e.0 && m.1 + 1 >= e.1 && m.1 <= e.1 + 1,
                "{m:?} vs {e:?}"
            );
        }

        // And as a reader sees it: no gap inside a word as wide as a space between words.
        let at_space = |g: &(usize, usize)| spaces.iter().any(|s| (g.0 as f32) < s.1 && (g.1 as f32) > s.0);
        let all = gaps(&measured);
        let between: Vec<usize> = all.iter().filter(|g| at_space(g)).map(|g| g.1 - g.0).collect();
        let within = all
            .iter()
            .filter(|g| !at_space(g))
            .map(|g| g.1 - g.0)
            .max()
            .unwrap_or(0);
        assert_eq!(between.len(), 2, "{all:?}");
        assert!(
            within < *between.iter().min().unwrap(),
            "a gap of {within} px inside a word, spaces {between:?}"
        );
    }

    #[test]
    fn png_text_is_anchored_where_plotters_measures_it() {
        // Right-aligned text ends at the anchor; the measured width is the laid-out width.
        let canvas = (300u32, 40u32);
        let mut pixels = vec![255u8; (canvas.0 * canvas.1 * 3) as usize];
        let width;
        register_fonts();
        {
            let root = png_root(BitMapBackend::with_buffer(&mut pixels, canvas));
            let style = TextStyle::from((SANS, 20).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
            width = root.estimate_text_size("1e-10", &style).unwrap().0;
            root.draw_text("1e-10", &style, (250, 20)).unwrap();
            root.present().unwrap();
        }
        let ink = ink_columns(&pixels, canvas);
        let (first, last) = (
            ink.iter().position(|&i| i).unwrap(),
            ink.iter().rposition(|&i| i).unwrap(),
        );
        assert!((246..=250).contains(&last), "ends at {last}");
        assert!(first >= 250 - width as usize, "starts at {first}, width {width}");
        assert!(
            last - first + 4 >= width as usize * 8 / 10,
            "{first}..{last} for {width} px"
        );
    }
}
