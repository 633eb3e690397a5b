//! Drawing: [`render`] draws the whole screen from the [`App`]; one file per view.

pub mod dialogs;
pub mod digit;
pub mod gallery;
pub mod help;
pub mod runs;
pub mod train;
pub mod widgets;

use super::app::{App, DataState, Modal, Notice, View};
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
        View::Train => train::render(f, screen.body, app),
        View::Runs => runs::render(f, screen.body, app),
        View::Digit => digit::render(f, screen.body, app),
    }
    key_bar(f, screen.keybar, app);
    match &app.modal {
        Some(Modal::Help { scroll }) => help::render(f, area, *scroll, &app.theme),
        Some(Modal::Details { id, scroll }) => runs::render_details(f, area, app, id, *scroll),
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
            train::phase_style(&s.phase, t),
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
            let mut l = widgets::key_hints(&bar_keys(app), t);
            l.spans.insert(0, Span::raw(" "));
            l
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The short key list of the current context, for the key bar.
pub fn bar_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    use super::session::RunPhase;
    match &app.modal {
        Some(Modal::ConfirmQuit) => return vec![("y", "stop, save & quit"), ("n/Esc", "cancel")],
        Some(Modal::ConfirmDelete(_)) => return vec![("y", "delete"), ("n/Esc", "cancel")],
        Some(Modal::Input { .. }) => {
            return vec![
                ("Enter", "confirm"),
                ("Esc", "cancel"),
                ("Backspace", "delete"),
            ];
        }
        Some(Modal::Help { .. }) | Some(Modal::Details { .. }) => {
            return vec![("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")];
        }
        None => {}
    }
    let tail = [("Tab", "view"), ("?", "help"), ("q", "quit")];
    let mut keys: Vec<(&str, &str)> = match app.view {
        View::Train if app.form.editing.is_some() => {
            return vec![
                ("0-9 .", "type"),
                ("Backspace", "delete"),
                ("Enter", "apply"),
                ("Esc", "cancel"),
            ];
        }
        View::Train if app.run_active() => {
            let pause = match app.session.as_ref().map(|s| &s.phase) {
                Some(RunPhase::Paused) => "resume",
                _ => "pause",
            };
            vec![
                ("p", pause),
                ("x", "stop"),
                ("l", "lr"),
                ("e", "+epoch"),
                ("m", "smooth"),
                ("L", "log"),
            ]
        }
        View::Train => {
            let mut k = vec![
                ("↑↓", "field"),
                ("←→", "change"),
                ("Enter", "edit"),
                ("s", "start"),
                ("m", "smooth"),
                ("L", "log"),
            ];
            if matches!(app.data, DataState::Missing { .. } | DataState::Failed(_)) {
                k.insert(0, ("R", "retry"));
                k.insert(0, ("D", "download"));
            }
            k
        }
        View::Runs => vec![
            ("↑↓", "move"),
            ("Space", "mark"),
            ("s/S", "sort"),
            ("Enter", "details"),
            ("d", "delete"),
            ("n", "new"),
            ("r", "resume"),
        ],
        View::Digit => match digit::bar_keys(app) {
            Ok(keys) => keys,
            Err(only) => return only,
        },
    };
    keys.extend(tail);
    keys
}
