//! The two panels of a chart, on any plotters backend.

use super::font::FAMILY;
use crate::runs::RunRecord;
use crate::series::{accuracy_axis, epoch_axis, nice_axis};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;

/// The runs' colours in order (Tableau 10, readable on white), repeated past ten.
const COLORS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One panel's content.
struct Panel {
    title: String,
    y_title: &'static str,
    y: Range<f64>,
    /// Each run's id and points (x, y).
    curves: Vec<(String, Vec<(f64, f64)>)>,
    /// Where the legend goes (away from where the curves usually are).
    legend: SeriesLabelPosition,
    /// Whether each point gets a dot (few points: one per epoch).
    dots: bool,
    /// Shown instead of curves when no run has a point.
    empty_text: &'static str,
}

/// Draws the loss panel (left) and the accuracy panel (right) of `runs` on `root`.
pub fn panels<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    runs: &[&RunRecord],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let x_max = runs
        .iter()
        .map(|r| f64::from(r.config.epochs.max(r.epochs_done())))
        .fold(1.0, f64::max);
    let x = epoch_axis(x_max);
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(w / 2);
    draw_panel(&left, loss_panel(runs), x.lo..x.hi).map_err(err)?;
    draw_panel(&right, accuracy_panel(runs), x.lo..x.hi).map_err(err)?;
    root.present().map_err(err)
}

/// The loss of every logged point by position in epochs, on a linear axis from 0 (as
/// the Runs view without smoothing or log scale).
fn loss_panel(runs: &[&RunRecord]) -> Panel {
    let curves: Vec<(String, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|r| {
            let pts = r.losses.iter().map(|p| (p.x, f64::from(p.loss)));
            (r.id.clone(), finite(pts))
        })
        .collect();
    let y = match y_range(&curves) {
        Some((lo, hi)) => {
            let a = nice_axis(lo, hi, 4);
            if a.lo < 0.0 { nice_axis(0.0, hi, 4) } else { a }
        }
        None => nice_axis(0.0, 1.0, 4),
    };
    Panel {
        title: "Loss".into(),
        y_title: "loss",
        y: y.lo..y.hi,
        curves,
        legend: SeriesLabelPosition::UpperRight,
        dots: false,
        empty_text: "No loss logged yet.",
    }
}

/// Each epoch's validation accuracy % (test accuracy for runs without a validation
/// split), titled as the Runs view titles it.
fn accuracy_panel(runs: &[&RunRecord]) -> Panel {
    let curves: Vec<(String, Vec<(f64, f64)>)> = runs
        .iter()
        .map(|r| {
            let pts = r.epochs.iter().filter_map(|e| {
                let acc = e.val_acc.or(e.test_acc)?;
                Some((f64::from(e.epoch), f64::from(acc) * 100.0))
            });
            (r.id.clone(), finite(pts))
        })
        .collect();
    let any_val = runs.iter().any(|r| r.val_size > 0);
    let any_test = runs.iter().any(|r| r.val_size == 0);
    let y = accuracy_axis(y_range(&curves).map(|r| r.0));
    Panel {
        title: match (any_val, any_test) {
            (true, false) => "Validation accuracy %",
            (false, _) => "Test accuracy % (no validation split)",
            (true, true) => "Validation (test if none) accuracy %",
        }
        .into(),
        y_title: "accuracy %",
        y: y.lo..y.hi,
        curves,
        legend: SeriesLabelPosition::LowerRight,
        dots: true,
        empty_text: "No epoch finished yet.",
    }
}

/// The finite points of `pts`.
fn finite(pts: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    pts.filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// The smallest and largest y of all curves, `None` without points.
fn y_range(curves: &[(String, Vec<(f64, f64)>)]) -> Option<(f64, f64)> {
    curves
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
        .fold(None, |acc, y| match acc {
            None => Some((y, y)),
            Some((lo, hi)) => Some((f64::min(lo, y), f64::max(hi, y))),
        })
}

/// An axis label: at most 4 decimals, trailing zeros dropped (`0.25`, `1`, `98`).
fn tick(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// Draws `panel` in `area` over `x` (epochs).
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: Panel,
    x: Range<f64>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    // Text scales with the picture (a 1200×500 chart: 20 px titles, 14 px labels).
    let unit = (f64::from(w.min(h * 6 / 5)) / 600.0).max(0.5);
    let px = |n: f64| (n * unit).round() as u32;
    let x_end = x.end;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, px(20.0)))
        .margin(px(12.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(x, panel.y)?;
    let label_font = (FAMILY, px(14.0));
    // About one x label per epoch up to 10 (plotters picks round values near it).
    let x_labels = (x_end as usize + 1).clamp(2, 11);
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .y_labels(6)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc("epoch")
        .y_desc(panel.y_title)
        .axis_desc_style(label_font)
        .label_style(label_font)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.1))
        .draw()?;
    if panel.curves.iter().all(|(_, pts)| pts.is_empty()) {
        let (cw, ch) = chart.plotting_area().dim_in_pixel();
        let style = TextStyle::from(label_font).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        let plot = chart.plotting_area().strip_coord_spec();
        plot.draw_text(panel.empty_text, &style, (cw as i32 / 2, ch as i32 / 2))?;
        return Ok(());
    }
    let stroke = px(2.0).max(1);
    let dot = if panel.dots { stroke + 2 } else { 0 };
    for (i, (id, pts)) in panel.curves.into_iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(stroke)).point_size(dot))?
            .label(id)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(stroke))
            });
    }
    chart
        .configure_series_labels()
        .position(panel.legend)
        .label_font(label_font)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
}
