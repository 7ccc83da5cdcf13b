//! PNG plots of training runs: learning curves, histograms of learned delays and spike rasters.
//!
//! In: plain numbers (per-epoch metrics, delays in ms, spikes as `(time_ms, unit)`). Out: one PNG per
//! call, rendered in memory by plotters' bitmap backend, encoded with `png` and written atomically
//! (temporary file in the target folder, then rename). Text is DejaVu Sans, embedded in the binary
//! and rasterised by ab_glyph, so no system font library (fontconfig, freetype) is needed.
//! Must not panic on odd data: non-finite values and values beyond ±1e100 are skipped, empty inputs
//! give labelled empty panels, and every failure is an `std::io::Error` with a message.

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
const FONT_FAMILY: &str = "sans-serif";
/// Largest width or height of a plot, in pixels (keeps the RGB buffer under 1 GiB).
const MAX_SIDE_PX: usize = 16_384;
/// Values beyond this magnitude are skipped like NaN, so that axis widths stay finite.
const MAX_ABS_VALUE: f64 = 1e100;
const TITLE_PX: u32 = 44;
const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
const VALID_COLOR: RGBColor = RGBColor(255, 127, 14);
const BAR_COLOR: RGBColor = RGBColor(31, 119, 180);

const CURVES_SIZE_PX: (u32, u32) = (1200, 500);
const HIST_PANEL_PX: (usize, usize) = (480, 340);
const HIST_COLUMNS: usize = 3;
const HIST_BINS: usize = 30;
const RASTER_WIDTH_PX: u32 = 1200;
const RASTER_PANEL_PX: u32 = 180;
const RASTER_TIME_AXIS_PX: u32 = 50;

type Area<'a> = DrawingArea<BitMapBackend<'a, RGBPixel>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// One row of metrics per epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// Epoch number (the x axis).
    pub epoch: u32,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training accuracy as a fraction in [0, 1]; plotted in percent.
    pub train_accuracy: f64,
    /// Mean validation loss, if validation ran this epoch.
    pub valid_loss: Option<f64>,
    /// Validation accuracy as a fraction in [0, 1], if validation ran this epoch.
    pub valid_accuracy: Option<f64>,
}

/// Loss (left panel) and accuracy in percent (right panel) per epoch, train and validation curves,
/// with legend. Rows may come in any order; they are plotted by epoch.
pub fn learning_curves(path: &Path, title: &str, rows: &[EpochMetrics]) -> io::Result<()> {
    let mut rows: Vec<&EpochMetrics> = rows.iter().collect();
    rows.sort_by_key(|r| r.epoch);
    let percent = |a: Option<f64>| a.map(|a| 100.0 * a);
    let loss = CurvePanel {
        caption: "loss",
        y_desc: "loss",
        train: curve(&rows, |r| Some(r.train_loss)),
        valid: curve(&rows, |r| r.valid_loss),
        legend: SeriesLabelPosition::UpperRight,
        percent: false,
    };
    let accuracy = CurvePanel {
        caption: "accuracy",
        y_desc: "accuracy (%)",
        train: curve(&rows, |r| percent(Some(r.train_accuracy))),
        valid: curve(&rows, |r| percent(r.valid_accuracy)),
        legend: SeriesLabelPosition::LowerRight,
        percent: true,
    };
    let epochs = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) if first.epoch < last.epoch => {
            i64::from(first.epoch)..i64::from(last.epoch)
        }
        (Some(only), _) => i64::from(only.epoch) - 1..i64::from(only.epoch) + 1,
        _ => 0..1,
    };
    render(path, CURVES_SIZE_PX, |root| {
        let body = draw_title(root, title)?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w / 2);
        draw_curves(&left, &loss, epochs.clone())?;
        draw_curves(&right, &accuracy, epochs)
    })
}

/// One histogram panel per connection of learned delays in ms (bins over [0, max_delay_ms]),
/// titled by connection name. A `max_delay_ms` that is not a positive number falls back to the
/// largest delay; delays outside the range are counted in the panel title, not drawn.
pub fn delay_histograms(path: &Path, conns: &[(String, Vec<f64>, f64)]) -> io::Result<()> {
    let panels = conns.len().max(1);
    let columns = panels.min(HIST_COLUMNS);
    let rows = panels.div_ceil(columns);
    let size = checked_size(
        HIST_PANEL_PX.0 * columns,
        HIST_PANEL_PX.1 * rows,
        conns.len(),
    )?;
    let hists: Vec<DelayHistogram> = conns
        .iter()
        .map(|(name, delays_ms, max_ms)| DelayHistogram::new(name, delays_ms, *max_ms))
        .collect();
    render(path, size, |root| {
        if hists.is_empty() {
            return draw_note(root, "no connections");
        }
        for (panel, hist) in root.split_evenly((rows, columns)).iter().zip(&hists) {
            draw_histogram(panel, hist)?;
        }
        Ok(())
    })
}

/// Spike raster of one example: one panel per population (name, size, spikes as
/// `(time_ms, unit)`), stacked vertically, shared time axis 0..duration_ms. Spikes outside the
/// time axis or with `unit >= size` are skipped. A `duration_ms` that is not a positive number
/// falls back to the last spike time (at least 1 ms).
#[allow(
    clippy::type_complexity,
    reason = "the signature spells out the tuple on purpose"
)]
pub fn spike_raster(
    path: &Path,
    title: &str,
    duration_ms: f64,
    pops: &[(String, u32, Vec<(f64, u32)>)],
) -> io::Result<()> {
    let panels = pops.len().max(1);
    let height =
        TITLE_PX as usize + RASTER_PANEL_PX as usize * panels + RASTER_TIME_AXIS_PX as usize;
    let size = checked_size(RASTER_WIDTH_PX as usize, height, pops.len())?;
    let duration_ms = if plottable(duration_ms) && duration_ms > 0.0 {
        duration_ms
    } else {
        let times = pops.iter().flat_map(|p| p.2.iter().map(|s| s.0));
        times.filter(|t| plottable(*t)).fold(0.0, f64::max).max(1.0)
    };
    render(path, size, |root| {
        let body = draw_title(root, title)?;
        if pops.is_empty() {
            return draw_note(&body, "no populations");
        }
        let breaks: Vec<u32> = (1..pops.len() as u32)
            .map(|i| i * RASTER_PANEL_PX)
            .collect();
        let areas = body.split_by_breakpoints(Vec::<u32>::new(), breaks);
        for (i, (area, (name, size, spikes))) in areas.iter().zip(pops).enumerate() {
            let last = i + 1 == pops.len();
            draw_raster_panel(area, name, *size, spikes, duration_ms, last)?;
        }
        Ok(())
    })
}

/// Renders into an RGB buffer, encodes it as PNG and writes it atomically to `path`.
fn render(path: &Path, size: (u32, u32), draw: impl FnOnce(&Area) -> DrawResult) -> io::Result<()> {
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
fn checked_size(width: usize, height: usize, panels: usize) -> io::Result<(u32, u32)> {
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

fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS_VALUE
}

/// `(epoch, value)` points of one curve, skipping missing and unplottable values.
fn curve(rows: &[&EpochMetrics], value: impl Fn(&EpochMetrics) -> Option<f64>) -> Vec<(i64, f64)> {
    rows.iter()
        .filter_map(|r| {
            value(r)
                .filter(|v| plottable(*v))
                .map(|v| (i64::from(r.epoch), v))
        })
        .collect()
}

/// Axis range over plottable `values` with a 5 % margin. All-equal values get a band of ±5 % of
/// their magnitude (±1 around zero); no values give `empty`.
fn value_range(values: impl IntoIterator<Item = f64>, empty: Range<f64>) -> Range<f64> {
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
fn tick_formatter(start: f64, end: f64) -> impl Fn(&f64) -> String {
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
fn draw_title<'a>(area: &Area<'a>, title: &str) -> Result<Area<'a>, Box<dyn std::error::Error>> {
    let (top, body) = area.split_vertically(TITLE_PX);
    let (w, h) = top.dim_in_pixel();
    let style = centred((FONT_FAMILY, 26).into_font());
    top.draw_text(title, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(body)
}

/// Draws `text` in the middle of `area` (used for panels that have nothing to show).
fn draw_note(area: &Area, text: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let style = centred((FONT_FAMILY, 18).into_font()).color(&RGBColor(90, 90, 90));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

fn centred(font: FontDesc<'_>) -> TextStyle<'_> {
    TextStyle::from(font).pos(Pos::new(HPos::Center, VPos::Center))
}

/// One panel of per-epoch curves: train and validation `(epoch, value)` points.
struct CurvePanel {
    caption: &'static str,
    y_desc: &'static str,
    train: Vec<(i64, f64)>,
    valid: Vec<(i64, f64)>,
    legend: SeriesLabelPosition,
    /// Values are percentages: the axis always shows 0–100 and labels have no decimals.
    percent: bool,
}

/// Draws one panel of curves, with a legend of the curves that have points.
fn draw_curves(area: &Area, panel: &CurvePanel, epochs: Range<i64>) -> DrawResult {
    let values = panel.train.iter().chain(&panel.valid).map(|p| p.1);
    let values = if panel.percent {
        value_range(values.chain([0.0, 100.0]), 0.0..100.0)
    } else {
        value_range(values, 0.0..1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, (FONT_FAMILY, 20))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(epochs, values.clone())?;
    let whole = |v: &f64| format!("{v:.0}");
    let ticks = tick_formatter(values.start, values.end);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("epoch")
        .y_desc(panel.y_desc)
        .label_style((FONT_FAMILY, 14))
        .axis_desc_style((FONT_FAMILY, 16))
        .x_label_formatter(&|e| {
            if *e >= 0 {
                e.to_string()
            } else {
                String::new()
            }
        })
        .light_line_style(RGBColor(235, 235, 235));
    if panel.percent {
        mesh.y_label_formatter(&whole);
    } else {
        mesh.y_label_formatter(&ticks);
    }
    mesh.draw()?;
    let curves = [
        ("train", TRAIN_COLOR, &panel.train),
        ("validation", VALID_COLOR, &panel.valid),
    ];
    let mut drawn = 0;
    for (label, color, points) in curves.into_iter().filter(|c| !c.2.is_empty()) {
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        drawn += 1;
    }
    if drawn == 0 {
        return draw_note(&chart.plotting_area().strip_coord_spec(), "no data");
    }
    chart
        .configure_series_labels()
        .position(panel.legend.clone())
        .label_font((FONT_FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Counts of one connection's delays in `HIST_BINS` bins over [0, max_delay_ms].
struct DelayHistogram<'a> {
    name: &'a str,
    max_delay_ms: f64,
    counts: Vec<u64>,
    shown: usize,
    not_shown: usize,
}

impl<'a> DelayHistogram<'a> {
    fn new(name: &'a str, delays_ms: &[f64], max_delay_ms: f64) -> Self {
        let max_delay_ms = if plottable(max_delay_ms) && max_delay_ms > 0.0 {
            max_delay_ms
        } else {
            let largest = delays_ms
                .iter()
                .copied()
                .filter(|d| plottable(*d))
                .fold(0.0, f64::max);
            if largest > 0.0 { largest } else { 1.0 }
        };
        let mut counts = vec![0u64; HIST_BINS];
        let mut shown = 0;
        for &d in delays_ms {
            if plottable(d) && (0.0..=max_delay_ms).contains(&d) {
                // d / max is in [0, 1]; the float-to-int cast saturates, min() puts max in the last bin.
                let bin = ((d / max_delay_ms) * HIST_BINS as f64) as usize;
                counts[bin.min(HIST_BINS - 1)] += 1;
                shown += 1;
            }
        }
        let not_shown = delays_ms.len() - shown;
        DelayHistogram {
            name,
            max_delay_ms,
            counts,
            shown,
            not_shown,
        }
    }
}

fn draw_histogram(area: &Area, hist: &DelayHistogram) -> DrawResult {
    let plural = if hist.shown == 1 { "" } else { "s" };
    let mut caption = format!("{} ({} delay{plural}", hist.name, hist.shown);
    if hist.not_shown > 0 {
        caption += &format!(", {} not shown", hist.not_shown);
    }
    caption.push(')');
    let top = hist.counts.iter().copied().max().unwrap_or(0);
    let y_max = (top + top.div_ceil(10)).max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT_FAMILY, 17))
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..hist.max_delay_ms, 0..y_max)?;
    let ticks = tick_formatter(0.0, hist.max_delay_ms);
    chart
        .configure_mesh()
        .x_label_formatter(&ticks)
        .x_desc("delay (ms)")
        .y_desc("synapses")
        .label_style((FONT_FAMILY, 13))
        .axis_desc_style((FONT_FAMILY, 15))
        .disable_x_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let width = hist.max_delay_ms / HIST_BINS as f64;
    let bars = hist
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &count)| {
            let x0 = i as f64 * width;
            Rectangle::new([(x0, 0), (x0 + width, count)], BAR_COLOR.filled())
        });
    chart.draw_series(bars)?;
    if hist.shown == 0 {
        draw_note(&chart.plotting_area().strip_coord_spec(), "no delays")?;
    }
    Ok(())
}

fn draw_raster_panel(
    area: &Area,
    name: &str,
    size: u32,
    spikes: &[(f64, u32)],
    duration_ms: f64,
    with_time_axis: bool,
) -> DrawResult {
    let visible =
        |&&(t, unit): &&(f64, u32)| plottable(t) && (0.0..=duration_ms).contains(&t) && unit < size;
    let shown = spikes.iter().filter(visible).count();
    let caption = format!("{name} ({size} units, {shown} spikes)");
    let units = -0.5..(f64::from(size) - 0.5).max(0.5);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT_FAMILY, 16))
        .margin_left(12)
        .margin_right(20)
        .margin_top(4)
        .x_label_area_size(if with_time_axis {
            RASTER_TIME_AXIS_PX
        } else {
            0
        })
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..duration_ms, units)?;
    let ticks = tick_formatter(0.0, duration_ms);
    let mut mesh = chart.configure_mesh();
    mesh.y_desc("unit")
        .y_labels(6)
        .y_label_formatter(&|u| {
            if u.fract() == 0.0 && *u >= 0.0 {
                format!("{u:.0}")
            } else {
                String::new()
            }
        })
        .label_style((FONT_FAMILY, 13))
        .axis_desc_style((FONT_FAMILY, 15))
        .light_line_style(RGBColor(240, 240, 240));
    if with_time_axis {
        mesh.x_desc("time (ms)").x_label_formatter(&ticks);
    }
    mesh.draw()?;
    let radius = if size <= 50 { 2 } else { 1 };
    let dots = spikes
        .iter()
        .filter(visible)
        .map(|&(t, unit)| Circle::new((t, f64::from(unit)), radius, BLACK.filled()));
    chart.draw_series(dots)?;
    if size == 0 {
        draw_note(&chart.plotting_area().strip_coord_spec(), "no units")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the PNG signature, decodes the IHDR chunk by hand and returns (width, height); also
    /// decodes the whole image with `png` to check every chunk and the pixel data.
    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).expect("plot was written");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[8..12], &13u32.to_be_bytes(), "IHDR length");
        assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
        let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let size = (be(16), be(20));
        assert_eq!(bytes[24], 8, "bit depth");
        assert_eq!(bytes[25], 2, "colour type RGB");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().expect("PNG header decodes");
        let mut pixels = vec![0; reader.output_buffer_size().expect("buffer size fits")];
        reader
            .next_frame(&mut pixels)
            .expect("PNG image data decodes");
        assert!(pixels.iter().any(|&p| p < 128), "something dark was drawn");
        size
    }

    fn row(epoch: u32, loss: f64, acc: f64, valid: Option<(f64, f64)>) -> EpochMetrics {
        EpochMetrics {
            epoch,
            train_loss: loss,
            train_accuracy: acc,
            valid_loss: valid.map(|v| v.0),
            valid_accuracy: valid.map(|v| v.1),
        }
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir is readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn learning_curves_writes_png_of_expected_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("curves.png");
        let rows: Vec<EpochMetrics> = (0..30)
            .map(|e| {
                let x = f64::from(e);
                let valid = (e % 5 == 4).then(|| (1.2 / (1.0 + 0.2 * x), 0.5 + 0.012 * x));
                row(e, 1.0 / (1.0 + 0.3 * x), 0.4 + 0.018 * x, valid)
            })
            .collect();
        learning_curves(&path, "sequence_detection: EventProp", &rows).expect("plot");
        assert_eq!(png_size(&path), CURVES_SIZE_PX);
        assert_eq!(files_in(dir.path()), ["curves.png"]);
    }

    #[test]
    fn learning_curves_edge_cases_do_not_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cases: Vec<Vec<EpochMetrics>> = vec![
            vec![],
            vec![row(0, 0.5, 0.5, None)],
            vec![row(7, 0.5, 0.5, Some((0.6, 0.4)))],
            vec![row(3, 0.25, 0.75, None), row(1, 0.25, 0.75, None)],
            vec![
                row(0, 0.0, 0.0, Some((0.0, 0.0))),
                row(1, 0.0, 0.0, Some((0.0, 0.0))),
            ],
            vec![
                row(
                    0,
                    f64::NAN,
                    f64::INFINITY,
                    Some((f64::NEG_INFINITY, f64::NAN)),
                ),
                row(1, 1e300, -1e300, Some((f64::MAX, f64::MIN_POSITIVE))),
                row(2, 1.0, 1.0 + 1e-15, None),
                row(u32::MAX, -5.0, 2.0, None),
            ],
            vec![
                row(0, f64::NAN, f64::NAN, None),
                row(1, f64::NAN, f64::NAN, None),
            ],
            vec![row(0, 1e-300, 5e-324, None), row(1, 2e-300, 0.0, None)],
        ];
        for (i, rows) in cases.iter().enumerate() {
            let path = dir.path().join(format!("case{i}.png"));
            learning_curves(&path, "", rows).expect("edge case still plots");
            assert_eq!(png_size(&path), CURVES_SIZE_PX, "case {i}");
        }
    }

    #[test]
    fn delay_histograms_lay_out_three_panels_per_row() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("delays.png");
        let spread = |n: usize, max: f64| {
            (0..n)
                .map(|i| (i * 7 % n) as f64 / n as f64 * max)
                .collect()
        };
        let conns = vec![
            ("input_hidden".to_string(), spread(700, 20.0), 20.0),
            ("hidden_hidden".to_string(), spread(300, 10.0), 10.0),
            ("hidden_output".to_string(), vec![2.5; 40], 5.0),
            ("output_output".to_string(), vec![0.0, 5.0, 5.0], 5.0),
        ];
        delay_histograms(&path, &conns).expect("plot");
        assert_eq!(png_size(&path), (3 * 480, 2 * 340));
        let one = dir.path().join("one.png");
        delay_histograms(&one, &conns[..1]).expect("plot");
        assert_eq!(png_size(&one), (480, 340));
    }

    #[test]
    fn delay_histograms_edge_cases_do_not_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let conns = vec![
            ("empty".to_string(), vec![], 20.0),
            ("bad_max".to_string(), vec![1.0, 2.0], f64::NAN),
            ("zero_max".to_string(), vec![0.0, 0.0], 0.0),
            (
                "outside".to_string(),
                vec![-1.0, 30.0, f64::NAN, f64::INFINITY, 1e300],
                20.0,
            ),
            ("huge".to_string(), vec![1e99, 5e99], 1e100),
            ("tiny".to_string(), vec![1e-300, 0.0], 1e-299),
            ("subnormal".to_string(), vec![0.0, 5e-324], 5e-324),
        ];
        delay_histograms(&dir.path().join("edge.png"), &conns).expect("edge cases plot");
        assert_eq!(png_size(&dir.path().join("edge.png")), (3 * 480, 3 * 340));
        delay_histograms(&dir.path().join("none.png"), &[]).expect("no connections plot");
        assert_eq!(png_size(&dir.path().join("none.png")), (480, 340));
    }

    #[test]
    fn spike_raster_stacks_one_panel_per_population() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("raster.png");
        let input: Vec<(f64, u32)> = (0..400)
            .map(|i| (f64::from(i) * 0.37 % 100.0, i * 13 % 64))
            .collect();
        let hidden: Vec<(f64, u32)> = (0..900)
            .map(|i| (f64::from(i) * 0.11 % 100.0, i * 31 % 256))
            .collect();
        let output = vec![(42.0, 0), (57.5, 1), (80.0, 1)];
        let pops = vec![
            ("input".to_string(), 64, input),
            ("hidden".to_string(), 256, hidden),
            ("output".to_string(), 2, output),
        ];
        spike_raster(&path, "example 0 (label 1)", 100.0, &pops).expect("plot");
        assert_eq!(png_size(&path), (1200, 44 + 3 * 180 + 50));
    }

    #[test]
    fn spike_raster_edge_cases_do_not_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pops = vec![
            ("silent".to_string(), 10, vec![]),
            ("empty".to_string(), 0, vec![(1.0, 0)]),
            (
                "odd".to_string(),
                1,
                vec![(f64::NAN, 0), (-1.0, 0), (1e9, 0), (5.0, 7), (5.0, 0)],
            ),
        ];
        for (i, duration_ms) in [100.0, 0.0, f64::NAN, f64::INFINITY, -3.0, 1e-300]
            .into_iter()
            .enumerate()
        {
            let path = dir.path().join(format!("edge{i}.png"));
            spike_raster(&path, "edge", duration_ms, &pops).expect("edge case plots");
            assert_eq!(png_size(&path), (1200, 44 + 3 * 180 + 50));
        }
        let none = dir.path().join("none.png");
        spike_raster(&none, "nothing", 10.0, &[]).expect("no populations plot");
        assert_eq!(png_size(&none), (1200, 44 + 180 + 50));
    }

    #[test]
    fn tick_labels_have_the_digits_their_spacing_needs() {
        let label = |range: Range<f64>, v: f64| tick_formatter(range.start, range.end)(&v);
        assert_eq!(label(0.0..1.0, 0.5), "0.5");
        assert_eq!(label(0.05..1.02, 0.3), "0.3");
        assert_eq!(label(0.0..20.0, 4.0), "4");
        assert_eq!(label(0.69..0.70, 0.695), "0.695");
        assert_eq!(label(0.0..1e100, 5e99), "5.0e99");
        assert_eq!(label(0.0..1e-299, 5e-300), "5.0e-300");
        assert_eq!(label(0.0..5e-324, 0.0), "0.000000000000000e0");
    }

    #[test]
    fn too_many_panels_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pops: Vec<_> = (0..200).map(|i| (format!("p{i}"), 1, Vec::new())).collect();
        let err = spike_raster(&dir.path().join("big.png"), "", 1.0, &pops).expect_err("too tall");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("200 panels"), "{err}");
        assert!(files_in(dir.path()).is_empty());
    }

    #[test]
    fn failed_write_returns_error_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing").join("curves.png");
        let err = learning_curves(&missing, "t", &[row(0, 1.0, 0.5, None)]).expect_err("no folder");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            err.to_string().contains("curves.png"),
            "message names the file: {err}"
        );
        assert!(files_in(dir.path()).is_empty());

        // The temporary file can be created but the rename fails: the target is a folder.
        let target = dir.path().join("taken.png");
        std::fs::create_dir(&target).expect("mkdir");
        let conns = [("c".to_string(), vec![1.0], 2.0)];
        delay_histograms(&target, &conns).expect_err("rename onto a folder fails");
        spike_raster(&target, "t", 1.0, &[]).expect_err("rename onto a folder fails");
        assert_eq!(files_in(dir.path()), ["taken.png"]);
        assert!(files_in(&target).is_empty());
    }
}
