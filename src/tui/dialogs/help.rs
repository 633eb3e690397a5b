//! The `?` overlay: every key, grouped by where it works (rows whose action is not
//! available now are dimmed, by the same rule as the key bar and the handlers).

use super::scroll::Scroll;
use super::{Dialog, Step};
use crate::tui::actions::available;
use crate::tui::app::App;
use crate::tui::keymap::{DIALOG_KEYS, Keymap, Scope};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The key list, scrolled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelpDialog {
    /// Lines scrolled.
    pub scroll: Scroll,
}

impl Dialog for HelpDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        self.scroll.on_key(key.code, Some('?'))
    }

    fn scroll_by(&mut self, delta: i64) {
        self.scroll.by(delta);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        Scroll::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let lines = lines(app);
        let size = (90, (lines.len() as u16).saturating_add(2));
        self.scroll
            .draw(f, area, size, "Keys (Esc closes)", lines, &app.theme);
    }
}

/// The help text as lines: the key table by scope (what cannot be done now dimmed),
/// then the dialog keys.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let (keys, theme) = (&app.keys, &app.theme);
    let mut out = Vec::new();
    let row = |k: String, help: &str, now: bool| {
        let help_style = if now {
            ratatui::style::Style::new()
        } else {
            theme.dim()
        };
        Line::from(vec![
            Span::styled(format!("  {k:<16} "), theme.key()),
            Span::styled(help.to_string(), help_style),
        ])
    };
    for scope in Scope::ALL {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::from(Span::styled(scope.title(), theme.accent())));
        for (k, action, help) in keys.help_rows(scope) {
            let now = scope == Scope::Global
                || (scope == app.view.scope() && available(app, scope, action).is_ok());
            out.push(row(k, help, now));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "Dialogs and mouse",
        theme.accent(),
    )));
    for (k, help) in DIALOG_KEYS {
        out.push(row(k.to_string(), help, true));
    }
    out
}
