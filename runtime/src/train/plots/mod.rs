//! PNG plots of training runs: learning curves, histograms of learned delays and spike rasters.
//!
//! In: plain numbers (per-epoch metrics, delays in ms, spikes as `(time_ms, unit)`). Out: one PNG per
//! call, rendered in memory by plotters' bitmap backend, encoded with `png` and written atomically
//! (temporary file in the target folder, then rename). Text is DejaVu Sans, embedded in the binary
//! and rasterised by ab_glyph, so no system font library (fontconfig, freetype) is needed.
//! Must not panic on odd data: non-finite values and values beyond ±1e100 are skipped, empty inputs
//! give labelled empty panels, and every failure is an `std::io::Error` with a message.
//!
//! This file lays out the figures; `panels.rs` draws their panels, on the drawing primitives of
//! `canvas.rs` (rendering and encoding, font, axis ranges and tick labels, titles and notes).

mod canvas;
mod panels;

use std::io;
use std::path::Path;

use plotters::prelude::*;

use canvas::{TITLE_PX, checked_size, draw_note, draw_title, plottable, render};
use panels::{CurvePanel, DelayHistogram, curve, draw_curves, draw_histogram, draw_raster_panel};
// for the tests below
#[cfg(test)]
use {canvas::tick_formatter, std::ops::Range};

const CURVES_SIZE_PX: (u32, u32) = (1200, 500);
const HIST_PANEL_PX: (usize, usize) = (480, 340);
const HIST_COLUMNS: usize = 3;
const RASTER_WIDTH_PX: u32 = 1200;
const RASTER_PANEL_PX: u32 = 180;
const RASTER_TIME_AXIS_PX: u32 = 50;

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
    /// Mean test loss, if the test split was scored this epoch.
    pub test_loss: Option<f64>,
    /// Test accuracy as a fraction in [0, 1], if the test split was scored this epoch.
    pub test_accuracy: Option<f64>,
}

/// Loss (left panel) and accuracy in percent (right panel) per epoch: train, validation and test
/// curves (those with points), with legend. Rows may come in any order; they are plotted by epoch.
pub fn learning_curves(path: &Path, title: &str, rows: &[EpochMetrics]) -> io::Result<()> {
    let mut rows: Vec<&EpochMetrics> = rows.iter().collect();
    rows.sort_by_key(|r| r.epoch);
    let percent = |a: Option<f64>| a.map(|a| 100.0 * a);
    let loss = CurvePanel {
        caption: "loss",
        y_desc: "loss",
        train: curve(&rows, |r| Some(r.train_loss)),
        valid: curve(&rows, |r| r.valid_loss),
        test: curve(&rows, |r| r.test_loss),
        legend: SeriesLabelPosition::UpperRight,
        percent: false,
    };
    let accuracy = CurvePanel {
        caption: "accuracy",
        y_desc: "accuracy (%)",
        train: curve(&rows, |r| percent(Some(r.train_accuracy))),
        valid: curve(&rows, |r| percent(r.valid_accuracy)),
        test: curve(&rows, |r| percent(r.test_accuracy)),
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
            test_loss: None,
            test_accuracy: None,
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

    /// Count of pixels of exactly `rgb` in a PNG written by [`learning_curves`].
    fn pixels_of(path: &Path, rgb: [u8; 3]) -> usize {
        let bytes = std::fs::read(path).expect("plot was written");
        let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()
            .expect("PNG header decodes");
        let mut pixels = vec![0; reader.output_buffer_size().expect("buffer size fits")];
        reader
            .next_frame(&mut pixels)
            .expect("PNG image data decodes");
        pixels.chunks(3).filter(|p| *p == rgb).count()
    }

    /// Without a validation split the held-out curve is the test split's, drawn in its colour.
    #[test]
    fn learning_curves_draw_the_test_split() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("curves.png");
        let mut rows: Vec<EpochMetrics> = (0..10)
            .map(|e| row(e, 1.0 / (1.0 + f64::from(e)), 0.5, None))
            .collect();
        learning_curves(&path, "no test", &rows).expect("plot");
        assert_eq!(pixels_of(&path, [44, 160, 44]), 0);
        for (e, r) in rows.iter_mut().enumerate() {
            r.test_loss = Some(0.9 / (1.0 + e as f64));
            r.test_accuracy = Some(0.6);
        }
        learning_curves(&path, "with test", &rows).expect("plot");
        assert!(pixels_of(&path, [44, 160, 44]) > 500);
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
