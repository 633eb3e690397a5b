//! Drawing: [`render`] draws the whole screen from the [`App`]; one file per view.

pub mod widgets;

use super::actions::available;
use super::app::{App, DataState, Notice, View};
use super::digit::state::DigitMode;
use super::keymap::{Action, Scope};
use super::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Draws the screen. Never panics, whatever the size (down to 0×0).
pub fn render(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.is_empty() {
        return;
    }
    let Some(screen) = layout::screen(area) else {
        too_small(f, area, app);
        return;
    };
    tab_bar(f, screen.tabs, app);
    match app.view {
        View::Train => super::train::draw::render(f, screen.body, app),
        View::Runs => super::runs::draw::render(f, screen.body, app),
        View::Digit => super::digit::draw::render(f, screen.body, app),
    }
    key_bar(f, screen.keybar, app);
    if let Some(modal) = &app.modal {
        modal.dialog().draw(f, area, app);
    }
}

/// The message shown when the terminal is too small for the views.
pub fn too_small_text(area: Rect) -> String {
    format!(
        "Terminal too small: {}x{} (need {MIN_WIDTH}x{MIN_HEIGHT}). Enlarge it, or press q to quit.",
        area.width, area.height
    )
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    let mut text = too_small_text(area);
    let quit = app.keys.key_for(Scope::Global, Action::Quit);
    if quit != "q" {
        text = text.replace("press q to quit", &format!("press {quit} to quit"));
    }
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn tab_bar(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled(layout::TITLE, t.accent().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
    ];
    for (i, view) in View::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let style = if view == app.view {
            t.accent().add_modifier(Modifier::REVERSED)
        } else {
            t.dim()
        };
        spans.push(Span::styled(layout::tab_label(view), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);

    let data_style = match app.data.state {
        DataState::Ready(_) => t.good(),
        DataState::Failed(_) | DataState::Missing { .. } => t.bad(),
        _ => t.warn(),
    };
    let mut right = vec![
        Span::styled(format!("{} ", app.data.title), t.dim()),
        Span::styled(app.data.state.word(), data_style),
    ];
    if let Some(s) = &app.train.session {
        right.push(Span::styled("  run ", t.dim()));
        right.push(Span::styled(
            format!("{} {:.0}%", s.phase.word(), s.run_ratio() * 100.0),
            super::train::draw::phase_style(&s.phase, t),
        ));
    }
    right.push(Span::raw(" "));
    let used = layout::tab_rects(area)
        .last()
        .map_or(0, |(_, r)| r.right().saturating_sub(area.x));
    let width: u16 = right.iter().map(|s| s.width() as u16).sum();
    if used + width < area.width {
        f.render_widget(
            Paragraph::new(Line::from(right)).alignment(Alignment::Right),
            area,
        );
    }
}

fn key_bar(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = match &app.notice {
        Some(Notice::Info(m)) => Line::from(Span::styled(format!(" {m}"), t.good())),
        Some(Notice::Error(m)) => Line::from(Span::styled(format!(" {m}"), t.bad())),
        None => {
            let keys = bar_keys(app);
            let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, a)| (k.as_str(), *a)).collect();
            let mut l = widgets::key_hints(&pairs, t);
            l.spans.insert(0, Span::raw(" "));
            l
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The short key list of the current context, for the key bar: the open dialog's
/// hints, else the text field's, else the key table's labelled rows whose action is
/// available now ([`available`], the rule the handlers apply).
pub fn bar_keys(app: &App) -> Vec<(String, &'static str)> {
    let fixed = super::dialogs::fixed;
    if let Some(modal) = &app.modal {
        return modal.dialog().hints(&app.keys);
    }
    if app.view == View::Train && app.train.form.editing.is_some() {
        // A layer list is text; the other typed settings are numbers.
        let typing = match app.train.form.field() {
            super::train::form::Field::Setting(s) if s.step == crate::train::Step::Text => {
                ("Ctrl-U", "clear")
            }
            _ => ("0-9 .", "type"),
        };
        return fixed(&[
            typing,
            ("Backspace", "delete"),
            ("Enter", "apply"),
            ("Esc", "cancel"),
        ]);
    }
    if app.view == View::Digit && app.digit.editing {
        return fixed(&[
            ("Tab", "complete"),
            ("Enter", "load"),
            ("Esc", "leave the field"),
            ("Backspace", "delete"),
        ]);
    }
    let scope = app.view.scope();
    let mut keys = if app.view == View::Digit && app.digit.mode == DigitMode::Draw {
        fixed(&[("drag", "draw"), ("right-drag", "erase")])
    } else {
        Vec::new()
    };
    let paused = app
        .train
        .session
        .as_ref()
        .is_some_and(|s| s.phase == super::train::session::RunPhase::Paused);
    keys.extend(
        app.keys
            .bar(scope, |a| in_bar(app, scope, a))
            .into_iter()
            .map(|(k, label)| {
                (
                    k,
                    if paused && label == "pause" {
                        "resume"
                    } else {
                        label
                    },
                )
            }),
    );
    keys.extend(app.keys.bar(Scope::Global, |_| true));
    keys
}

/// Whether `action` of `scope` belongs in the key bar now: when it is available, except
/// the form's step key while training, which then adds an epoch like the epoch key
/// shown beside it.
pub fn in_bar(app: &App, scope: Scope, action: Action) -> bool {
    let twin = scope == Scope::Train && action == Action::Increase && app.run_active();
    !twin && available(app, scope, action).is_ok()
}
