//! The learning-rate finder's result: the loss against the rate (log axis), the
//! suggestion and its reason; Enter puts the suggestion into the form or, for a
//! running run, sets it as the run's rate (the `l` dialog's `Control::SetLr`).

use super::{Dialog, Step, fixed};
use crate::format;
use crate::train::Control;
use crate::train::lr_find::{LrFinding, short};
use crate::tui::app::{App, Effect, Notice};
use crate::tui::keymap::Keymap;
use crate::tui::series::NiceAxis;
use crate::tui::train::finder::FinderTarget;
use crate::tui::ui::widgets::{Curve, LineChart, Mark, draw_line_chart, key_hints, popup};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

/// A finder's result, and what its suggestion is for.
#[derive(Debug, Clone, PartialEq)]
pub struct LrFinderDialog {
    /// What the finder found.
    pub finding: LrFinding,
    /// The form or the running run.
    pub target: FinderTarget,
}

impl LrFinderDialog {
    /// The dialog showing `finding`, whose suggestion is for `target`.
    pub fn new(finding: LrFinding, target: FinderTarget) -> Self {
        LrFinderDialog { finding, target }
    }

    /// What Enter does, for the hints.
    fn enter_does(&self) -> &'static str {
        match (self.finding.suggestion.lr, self.target) {
            (None, _) => "close",
            (Some(_), FinderTarget::Form) => "use it in the form",
            (Some(_), FinderTarget::Run) => "set it as the run's rate",
        }
    }
}

impl Dialog for LrFinderDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        match key.code {
            KeyCode::Enter | KeyCode::Char('y') => Step::Submit,
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('n') => Step::Close,
            _ => Step::Stay,
        }
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let Some(lr) = self.finding.suggestion.lr else {
            return Ok(Vec::new());
        };
        let shown = format::float(lr);
        match self.target {
            FinderTarget::Form => {
                app.train.form.set_lr(lr)?;
                app.notice = Some(Notice::Info(format!(
                    "Learning rate {shown} in the form (from the finder)"
                )));
                Ok(Vec::new())
            }
            FinderTarget::Run if !app.run_active() => {
                app.notice = Some(Notice::Error("The run has ended".into()));
                Ok(Vec::new())
            }
            FinderTarget::Run => {
                app.notice = Some(Notice::Info(format!("Learning rate → {shown}")));
                Ok(vec![Effect::Control(Control::SetLr(lr))])
            }
        }
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        fixed(&[("Enter", self.enter_does()), ("Esc", "close")])
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let title = match self.target {
            FinderTarget::Form => "Learning-rate finder: the form's settings",
            FinderTarget::Run => "Learning-rate finder: a copy of the running run",
        };
        let width = area.width.saturating_sub(4).min(100);
        let height = area.height.saturating_sub(2).min(30);
        let inner = popup(f, area, width, height, title, &app.theme);
        let suggestion = &self.finding.suggestion;
        let text = match suggestion.lr {
            Some(lr) => format!(
                "Suggested rate {}: {}",
                format::float(lr),
                suggestion.reason
            ),
            None => suggestion.reason.clone(),
        };
        let paragraph = Paragraph::new(text).wrap(Wrap { trim: true });
        let text_rows = paragraph.line_count(inner.width) as u16;
        let [chart_area, text_area, hint_area] = Layout::vertical([
            Constraint::Min(6),
            Constraint::Length(text_rows),
            Constraint::Length(1),
        ])
        .areas(inner);
        draw_line_chart(f, chart_area, self.chart(app), &app.theme);
        f.render_widget(paragraph, text_area);
        f.render_widget(
            Paragraph::new(key_hints(
                &[("Enter", self.enter_does()), ("Esc", "close")],
                &app.theme,
            )),
            hint_area,
        );
    }
}

impl LrFinderDialog {
    /// The chart: the loss of each batch and the smoothed loss against log10 of the
    /// rate, the suggestion as a vertical mark. The loss axis stops at 1.5 times the
    /// first smoothed loss, so a diverging tail does not flatten the rest.
    fn chart(&self, app: &App) -> LineChart {
        let points = &self.finding.curve.points;
        let smoothed = self.finding.curve.smoothed();
        let x = |rate: f64| rate.log10();
        let raw: Vec<(f64, f64)> = points.iter().map(|p| (x(p.rate), p.loss)).collect();
        let smooth: Vec<(f64, f64)> = points
            .iter()
            .zip(&smoothed)
            .map(|(p, s)| (x(p.rate), *s))
            .collect();
        let (x_lo, x_hi) = (x(self.finding.plan.start), x(self.finding.plan.end));
        let lo = smoothed.iter().copied().fold(f64::INFINITY, f64::min);
        let top = smoothed.first().map_or(lo, |first| 1.5 * first.max(lo));
        let hi = points.iter().map(|p| p.loss).fold(lo, f64::max).min(top);
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo.min(0.0f64.max(lo - 0.05 * (hi - lo))), hi)
        } else {
            (0.0, 1.0)
        };
        let x_labels = 5;
        let x_axis = NiceAxis {
            lo: x_lo,
            hi: x_hi,
            labels: (0..x_labels)
                .map(|i| {
                    let t = x_lo + (x_hi - x_lo) * i as f64 / (x_labels - 1) as f64;
                    short(10f64.powf(t))
                })
                .collect(),
        };
        let y_axis = NiceAxis {
            lo,
            hi,
            labels: vec![
                format!("{lo:.2}"),
                format!("{:.2}", (lo + hi) / 2.0),
                format!("{hi:.2}"),
            ],
        };
        let theme = &app.theme;
        LineChart {
            title: "Loss against learning rate (log axis)".into(),
            curves: vec![
                Curve {
                    name: "loss".into(),
                    points: raw,
                    style: theme.dim(),
                    index: 1,
                },
                Curve {
                    name: "smoothed".into(),
                    points: smooth,
                    style: theme.train(),
                    index: 0,
                },
            ],
            marks: self
                .finding
                .suggestion
                .lr
                .map(|lr| Mark {
                    x: x(lr),
                    name: format!("suggested {}", short(lr)),
                    style: theme.lr_mark(),
                })
                .into_iter()
                .collect(),
            x: x_axis,
            y: y_axis,
            x_title: "rate",
            empty_text: "The finder recorded no point".into(),
        }
    }
}
