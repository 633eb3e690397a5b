//! The `?` overlay: every key, grouped by where it works.

use super::widgets::popup;
use crate::tui::keys::{self, KeyHelp};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The help text as lines (sections of keys).
pub fn lines(theme: &Theme) -> Vec<Line<'static>> {
    let sections: [(&str, &[KeyHelp]); 5] = [
        ("Everywhere", keys::GLOBAL),
        ("Train view", keys::TRAIN),
        ("Runs view", keys::RUNS),
        ("Digit view", keys::DIGIT),
        ("Dialogs", keys::DIALOGS),
    ];
    let mut out = Vec::new();
    for (title, list) in sections {
        if list.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::from(Span::styled(title, theme.accent())));
        for k in list {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<16}", k.keys), theme.key()),
                Span::raw(k.action),
            ]));
        }
    }
    out
}

/// Draws the overlay, scrolled by `scroll` lines (clamped).
pub fn render(f: &mut Frame, area: Rect, scroll: u16, theme: &Theme) {
    let lines = lines(theme);
    let height = (lines.len() as u16).saturating_add(2);
    let inner = popup(f, area, 64, height, "Keys (Esc closes)", theme);
    let max = (lines.len() as u16).saturating_sub(inner.height);
    f.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), inner);
}
