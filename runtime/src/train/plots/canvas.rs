//! Drawing primitives of the plots: render into an RGB buffer and write it as PNG, the embedded
//! font, size limits, which values are plottable, axis ranges and tick labels, titles and notes.

use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::backend::RGBPixel;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::fsutil::write_atomic;

/// Family name the embedded font is registered under; plotters' own labels default to it.
pub(super) const FONT_FAMILY: &str = "sans-serif";
/// Largest width or height of a plot, in pixels (keeps the RGB buffer under 1 GiB).
const MAX_SIDE_PX: usize = 16_384;
/// Values beyond this magnitude are skipped like NaN, so that axis widths stay finite.
const MAX_ABS_VALUE: f64 = 1e100;
pub(super) const TITLE_PX: u32 = 44;

pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a, RGBPixel>, Shift>;
pub(super) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Renders into an RGB buffer, encodes it as PNG and writes it atomically to `path`.
pub(super) fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> DrawResult,
) -> io::Result<()> {
    register_font()?;
    let drawing = |e: &dyn std::fmt::Display| {
        io::Error::other(format!("drawing plot `{}`: {e}", path.display()))
    };
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut rgb, size)
            .map_err(|e| drawing(&e))?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(|e| drawing(&e))?;
        draw(&root).map_err(|e| drawing(&e))?;
        root.present().map_err(|e| drawing(&e))?;
    }
    let png = encode_png(&rgb, size).map_err(|e| drawing(&e))?;
    write_atomic(path, &png)
        .map_err(|e| io::Error::new(e.kind(), format!("writing plot `{}`: {e}", path.display())))
}

/// Registers the embedded font once per process.
fn register_font() -> io::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    // DejaVu Sans 2.37 from the `dejavu` crate (crate code MIT/Apache-2.0). The font itself is
    // under the Bitstream Vera and Arev font licences (DejaVu changes are public domain):
    // free to use, embed and redistribute; only modified fonts must be renamed.
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(
            "the embedded DejaVu Sans font could not be parsed",
        ))
    }
}

fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Pixel size of a plot of `panels` panels, or an error when it would be unreasonably large.
pub(super) fn checked_size(width: usize, height: usize, panels: usize) -> io::Result<(u32, u32)> {
    if width > MAX_SIDE_PX || height > MAX_SIDE_PX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a plot of {panels} panels would be {width}×{height} px \
                 (at most {MAX_SIDE_PX} px per side)"
            ),
        ));
    }
    // Both fit in u32: they are at most MAX_SIDE_PX.
    Ok((width as u32, height as u32))
}

pub(super) fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS_VALUE
}

/// Axis range over plottable `values` with a 5 % margin. All-equal values get a band of ±5 % of
/// their magnitude (±1 around zero); no values give `empty`.
pub(super) fn value_range(values: impl IntoIterator<Item = f64>, empty: Range<f64>) -> Range<f64> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| plottable(*v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return empty;
    }
    let scale = lo.abs().max(hi.abs());
    if hi - lo <= scale * 1e-9 {
        let pad = if scale > 1e-100 { 0.05 * scale } else { 1.0 };
        return lo - pad..hi + pad;
    }
    let margin = 0.05 * (hi - lo);
    lo - margin..hi + margin
}

/// Tick labels for a float axis over `start..end`, with as many digits as its tick spacing
/// needs; scientific notation for magnitudes from 1e6 up or below 1e-3.
pub(super) fn tick_formatter(start: f64, end: f64) -> impl Fn(&f64) -> String {
    let magnitude = start.abs().max(end.abs());
    // Exponent of plotters' tick spacing: a tenth of the range rounded up to 1, 2 or 5 × 10^k.
    let tenth = (end - start).abs() / 10.0;
    let mut step_exp = tenth.log10().floor();
    if tenth / 10f64.powf(step_exp) > 5.0 {
        step_exp += 1.0;
    }
    let scientific = magnitude >= 1e6 || (magnitude > 0.0 && magnitude < 1e-3);
    // Both clamps also catch the infinities of log10(0) on degenerate ranges.
    let digits = if scientific {
        (magnitude.log10().floor() - step_exp).clamp(0.0, 15.0) as usize
    } else {
        (-step_exp).clamp(0.0, 15.0) as usize
    };
    move |v| {
        if scientific {
            format!("{v:.digits$e}")
        } else {
            format!("{v:.digits$}")
        }
    }
}

/// Draws `title` centred in a strip at the top of `area` and returns the area below it.
pub(super) fn draw_title<'a>(
    area: &Area<'a>,
    title: &str,
) -> Result<Area<'a>, Box<dyn std::error::Error>> {
    let (top, body) = area.split_vertically(TITLE_PX);
    let (w, h) = top.dim_in_pixel();
    let style = centred((FONT_FAMILY, 26).into_font());
    top.draw_text(title, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(body)
}

/// Draws `text` in the middle of `area` (used for panels that have nothing to show).
pub(super) fn draw_note(area: &Area, text: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let style = centred((FONT_FAMILY, 18).into_font()).color(&RGBColor(90, 90, 90));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

fn centred(font: FontDesc<'_>) -> TextStyle<'_> {
    TextStyle::from(font).pos(Pos::new(HPos::Center, VPos::Center))
}
