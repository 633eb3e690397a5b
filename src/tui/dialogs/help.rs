//! The `?` overlay: every key, grouped by where it works (rows whose action is not
//! available now are dimmed, by the same rule as the key bar and the handlers).

use super::scroll::{Scroll, ScrollText};
use crate::tui::actions::available;
use crate::tui::app::App;
use crate::tui::keymap::{DIALOG_KEYS, Scope};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The key list, scrolled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelpDialog {
    /// Lines scrolled.
    pub scroll: Scroll,
}

impl ScrollText for HelpDialog {
    fn scroll(&mut self) -> &mut Scroll {
        &mut self.scroll
    }

    fn scrolled(&self) -> Scroll {
        self.scroll
    }

    fn title(&self) -> String {
        "Keys (Esc closes)".into()
    }

    fn text(&self, app: &App) -> Vec<Line<'static>> {
        lines(app)
    }

    fn size(&self, _area: Rect, lines: usize) -> (u16, u16) {
        (90, (lines as u16).saturating_add(2))
    }

    fn close_key(&self) -> Option<char> {
        Some('?')
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
