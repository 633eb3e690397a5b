//! The Runs view's `v` dialog: runs grouped over seeds (a sweep's, or the marked
//! ones): the table, the ranking, and a chart against the setting that matters most.

use super::scroll::Scroll;
use super::{Dialog, Step};
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// Grouped runs as text, scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupsDialog {
    /// The dialog's title.
    pub title: String,
    /// The text, line by line.
    pub lines: Vec<String>,
    /// Lines scrolled.
    pub scroll: Scroll,
}

impl Dialog for GroupsDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        self.scroll.on_key(key.code, None)
    }

    fn scroll_by(&mut self, delta: i64) {
        self.scroll.by(delta);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        Scroll::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let size = (
            area.width.saturating_sub(4).min(100),
            area.height.saturating_sub(2),
        );
        let lines = self.lines.iter().map(|l| Line::raw(l.as_str())).collect();
        self.scroll
            .draw(f, area, size, &self.title, lines, &app.theme);
    }
}
