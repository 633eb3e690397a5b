//! Drawing: [`render`] draws the whole screen from the [`App`]; one file per view.

pub mod dialogs;
pub mod help;
pub mod widgets;

use super::app::{App, DataState, Modal, Notice, View};
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
        too_small(f, area);
        return;
    };
    tab_bar(f, screen.tabs, app);
    match app.view {
        View::Train => super::train::draw::render(f, screen.body, app),
        View::Runs => super::runs::draw::render(f, screen.body, app),
        View::Digit => super::digit::draw::render(f, screen.body, app),
    }
    key_bar(f, screen.keybar, app);
    match &app.modal {
        Some(Modal::Help { scroll }) => help::render(f, area, *scroll, &app.keys, &app.theme),
        Some(Modal::Details { id, scroll }) => {
            super::runs::draw::render_details(f, area, app, id, *scroll)
        }
        Some(Modal::Groups {
            title,
            lines,
            scroll,
        }) => super::runs::draw::render_groups(f, area, app, title, lines, *scroll),
        Some(m) => dialogs::render(f, area, app, m),
        None => {}
    }
}

/// The message shown when the terminal is too small for the views.
pub fn too_small_text(area: Rect) -> String {
    format!(
        "Terminal too small: {}x{} (need {MIN_WIDTH}x{MIN_HEIGHT}). Enlarge it, or press q to quit.",
        area.width, area.height
    )
}

fn too_small(f: &mut Frame, area: Rect) {
    f.render_widget(
        Paragraph::new(too_small_text(area)).wrap(Wrap { trim: true }),
        area,
    );
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

    let data_style = match app.data {
        DataState::Ready(_) => t.good(),
        DataState::Failed(_) | DataState::Missing { .. } => t.bad(),
        _ => t.warn(),
    };
    let mut right = vec![
        Span::styled("MNIST ", t.dim()),
        Span::styled(app.data.word(), data_style),
    ];
    if let Some(s) = &app.session {
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

/// The short key list of the current context, for the key bar: the key table's
/// labelled rows whose action is available now (dialogs and text entry have fixed keys).
pub fn bar_keys(app: &App) -> Vec<(String, &'static str)> {
    let fixed = |pairs: &[(&str, &'static str)]| {
        pairs
            .iter()
            .map(|(k, a)| (k.to_string(), *a))
            .collect::<Vec<_>>()
    };
    match &app.modal {
        Some(Modal::ConfirmQuit) => {
            return fixed(&[("y", "stop, save & quit"), ("n/Esc", "cancel")]);
        }
        Some(Modal::ConfirmDelete(_)) => return fixed(&[("y", "delete"), ("n/Esc", "cancel")]),
        Some(Modal::Input { .. }) => {
            return fixed(&[
                ("Enter", "confirm"),
                ("Esc", "cancel"),
                ("Backspace", "delete"),
            ]);
        }
        Some(Modal::Help { .. }) | Some(Modal::Details { .. }) | Some(Modal::Groups { .. }) => {
            return fixed(&[("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")]);
        }
        None => {}
    }
    if app.view == View::Train && app.form.editing.is_some() {
        return fixed(&[
            ("0-9 .", "type"),
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
    let scope = match app.view {
        View::Train => Scope::Train,
        View::Runs => Scope::Runs,
        View::Digit => Scope::Digit,
    };
    let mut keys = if app.view == View::Digit && app.digit.mode == DigitMode::Draw {
        fixed(&[("drag", "draw"), ("right-drag", "erase")])
    } else {
        Vec::new()
    };
    let paused = app
        .session
        .as_ref()
        .is_some_and(|s| s.phase == super::train::session::RunPhase::Paused);
    keys.extend(
        app.keys
            .bar(scope, |a| in_bar(app, a))
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

/// Whether `action` of the current view belongs in the key bar now.
pub fn in_bar(app: &App, action: Action) -> bool {
    use Action as A;
    match app.view {
        View::Train => {
            let active = app.run_active();
            let missing = matches!(app.data, DataState::Missing { .. } | DataState::Failed(_));
            match action {
                A::Pause | A::Stop | A::ChangeLr | A::AddEpoch => active,
                A::Up | A::Increase | A::Edit | A::Start | A::Sweep => !active,
                A::PauseSweep | A::CancelSweep => app.sweep.is_some(),
                A::QueuePrev | A::QueueNext | A::RunNext => {
                    app.sweep.as_ref().is_some_and(|q| !q.queue.is_empty())
                }
                A::Download | A::RetryData => missing,
                _ => true,
            }
        }
        View::Runs => true,
        View::Digit => {
            let mode = app.digit.mode;
            match action {
                A::Up | A::Back => mode == DigitMode::Gallery,
                A::ClearCanvas | A::SaveDrawing => mode == DigitMode::Draw,
                A::DrawMode => mode == DigitMode::Image,
                A::OpenPath | A::Gallery => mode != DigitMode::Gallery,
                _ => true,
            }
        }
    }
}
