//! The form's preview of the planned learning rate over the whole run: the plan the
//! trainer would follow with the form's settings, drawn as a small curve.

use crate::format;
use crate::train::{LrPlan, TrainSettings};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

/// Rows the preview takes: a title, the curve, and its scale.
pub const PREVIEW_ROWS: u16 = 5;
/// Batches per epoch assumed when the data is not loaded (the shape barely depends on it).
const NOMINAL_STEPS_PER_EPOCH: u64 = 100;

/// Batches per epoch of `settings` on `train_len` training images (a nominal number
/// when unknown).
pub fn steps_per_epoch(settings: &TrainSettings, train_len: Option<usize>) -> u64 {
    match train_len {
        Some(n) if n > 0 && settings.batch_size > 0 => {
            let used = settings.max_train_samples.map_or(n, |c| c.min(n));
            used.div_ceil(settings.batch_size) as u64
        }
        _ => NOMINAL_STEPS_PER_EPOCH,
    }
}

/// The planned rate of `settings` sampled at `columns` evenly spaced points of the run,
/// as bar heights 0–`levels` (the highest rate is `levels`), and that highest rate.
pub fn planned_bars(
    settings: &TrainSettings,
    steps_per_epoch: u64,
    columns: usize,
    levels: u64,
) -> (Vec<u64>, f64) {
    let plan = LrPlan::for_settings(settings, steps_per_epoch);
    let rates = plan.sample(columns);
    let top = rates.iter().map(|p| p.1).fold(0.0, f64::max);
    let bars = rates
        .iter()
        .map(|&(_, r)| {
            if top > 0.0 {
                // At least one level for any rate above zero, so a tail stays visible.
                let h = (r / top * levels as f64).round() as u64;
                if r > 0.0 { h.max(1) } else { 0 }
            } else {
                0
            }
        })
        .collect();
    (bars, top)
}

/// A rate in a few characters (`0.003`, `2.1e-5`).
fn short(rate: f64) -> String {
    if rate != 0.0 && rate.abs() < 1e-4 {
        format!("{rate:.1e}")
    } else {
        format::float(rate)
    }
}

/// Draws the preview of `settings` in `area` (nothing if it is too small).
pub fn draw(
    f: &mut Frame,
    area: Rect,
    settings: &TrainSettings,
    train_len: Option<usize>,
    t: &Theme,
) {
    if area.height < PREVIEW_ROWS || area.width < 12 {
        return;
    }
    let [title, curve, scale] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(PREVIEW_ROWS - 2),
        Constraint::Length(1),
    ])
    .areas(area);
    // The schedule and warmup are the form's rows just above.
    let heading = format!(" Planned rate over {} epochs", settings.epochs);
    f.render_widget(Paragraph::new(Span::styled(heading, t.dim())), title);
    let inner = Rect {
        x: curve.x + 1,
        width: curve.width.saturating_sub(2),
        ..curve
    };
    if settings.validate().is_err() {
        f.render_widget(
            Paragraph::new(Span::styled(" (settings not valid)", t.bad())),
            inner,
        );
        return;
    }
    // Eight levels per row: the sparkline's block heights.
    let levels = u64::from(inner.height) * 8;
    let spe = steps_per_epoch(settings, train_len);
    let (bars, top) = planned_bars(settings, spe, inner.width as usize, levels);
    f.render_widget(
        Sparkline::default()
            .data(&bars)
            .max(levels)
            .style(t.lr_mark()),
        inner,
    );
    let end = LrPlan::for_settings(settings, spe)
        .sample(2)
        .last()
        .map_or(0.0, |p| p.1);
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!(" top {} · last {}", short(top), short(end)),
            t.dim(),
        ))),
        scale,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::train::LrSchedule;

    #[test]
    fn bars_follow_the_planned_shape() {
        let mut s = TrainSettings::preset(Preset::Mlp);
        s.epochs = 4;
        s.lr_schedule = LrSchedule::OneCycle;
        let (bars, top) = planned_bars(&s, 100, 21, 24);
        assert_eq!(top, s.lr);
        let peak = bars.iter().position(|&b| b == 24).unwrap();
        assert!((4..=6).contains(&peak), "peak near a quarter: {bars:?}");
        assert!(bars[0] < bars[peak] && bars[20] < bars[peak]);
        s.lr_schedule = LrSchedule::Constant;
        s.warmup = 1.0;
        let (bars, _) = planned_bars(&s, 100, 9, 8);
        assert!(bars[0] < bars[1] && bars[1] < bars[2], "{bars:?}");
        assert!(bars[2..].iter().all(|&b| b == 8), "{bars:?}");
    }

    #[test]
    fn steps_per_epoch_follow_the_data_and_the_cap() {
        let mut s = TrainSettings::preset(Preset::Mlp);
        s.batch_size = 100;
        assert_eq!(steps_per_epoch(&s, Some(60_000)), 600);
        s.max_train_samples = Some(1_050);
        assert_eq!(steps_per_epoch(&s, Some(60_000)), 11);
        assert_eq!(steps_per_epoch(&s, None), NOMINAL_STEPS_PER_EPOCH);
    }
}
