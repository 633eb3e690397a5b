//! The `?` overlay: every key, grouped by where it works.

use super::widgets::popup;
use crate::tui::keymap::{DIALOG_KEYS, Keymap, Scope};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The help text as lines: the key table by scope, then the dialog keys.
pub fn lines(keys: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let row = |k: String, help: &str| {
        Line::from(vec![
            Span::styled(format!("  {k:<16} "), theme.key()),
            Span::raw(help.to_string()),
        ])
    };
    for scope in Scope::ALL {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::from(Span::styled(scope.title(), theme.accent())));
        for (k, help) in keys.help_rows(scope) {
            out.push(row(k, help));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "Dialogs and mouse",
        theme.accent(),
    )));
    for (k, help) in DIALOG_KEYS {
        out.push(row(k.to_string(), help));
    }
    out
}

/// Draws the overlay, scrolled by `scroll` lines (clamped).
pub fn render(f: &mut Frame, area: Rect, scroll: u16, keys: &Keymap, theme: &Theme) {
    let lines = lines(keys, theme);
    let height = (lines.len() as u16).saturating_add(2);
    let inner = popup(f, area, 90, height, "Keys (Esc closes)", theme);
    let max = (lines.len() as u16).saturating_sub(inner.height);
    f.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), inner);
}
