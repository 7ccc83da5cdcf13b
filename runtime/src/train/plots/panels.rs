//! The panels of the plots: per-epoch curves with a legend, a delay histogram, one population's
//! spike raster.

use std::ops::Range;

use plotters::prelude::*;

use super::EpochMetrics;
use super::RASTER_TIME_AXIS_PX;
use super::canvas::{
    Area, DrawResult, FONT_FAMILY, draw_note, plottable, tick_formatter, value_range,
};

const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
const VALID_COLOR: RGBColor = RGBColor(255, 127, 14);
const TEST_COLOR: RGBColor = RGBColor(44, 160, 44);
const BAR_COLOR: RGBColor = RGBColor(31, 119, 180);
const HIST_BINS: usize = 30;

/// `(epoch, value)` points of one curve, skipping missing and unplottable values.
pub(super) fn curve(
    rows: &[&EpochMetrics],
    value: impl Fn(&EpochMetrics) -> Option<f64>,
) -> Vec<(i64, f64)> {
    rows.iter()
        .filter_map(|r| {
            value(r)
                .filter(|v| plottable(*v))
                .map(|v| (i64::from(r.epoch), v))
        })
        .collect()
}

/// One panel of per-epoch curves: train, validation and test `(epoch, value)` points.
pub(super) struct CurvePanel {
    pub(super) caption: &'static str,
    pub(super) y_desc: &'static str,
    pub(super) train: Vec<(i64, f64)>,
    pub(super) valid: Vec<(i64, f64)>,
    pub(super) test: Vec<(i64, f64)>,
    pub(super) legend: SeriesLabelPosition,
    /// Values are percentages: the axis always shows 0–100 and labels have no decimals.
    pub(super) percent: bool,
}

/// Draws one panel of curves, with a legend of the curves that have points.
pub(super) fn draw_curves(area: &Area, panel: &CurvePanel, epochs: Range<i64>) -> DrawResult {
    let values = panel
        .train
        .iter()
        .chain(&panel.valid)
        .chain(&panel.test)
        .map(|p| p.1);
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
        ("test", TEST_COLOR, &panel.test),
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
pub(super) struct DelayHistogram<'a> {
    name: &'a str,
    max_delay_ms: f64,
    counts: Vec<u64>,
    shown: usize,
    not_shown: usize,
}

impl<'a> DelayHistogram<'a> {
    pub(super) fn new(name: &'a str, delays_ms: &[f64], max_delay_ms: f64) -> Self {
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

pub(super) fn draw_histogram(area: &Area, hist: &DelayHistogram) -> DrawResult {
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

pub(super) fn draw_raster_panel(
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
