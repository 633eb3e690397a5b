//! The Runs view's `v` dialog: runs grouped over seeds (a sweep's, or the marked
//! ones): the table, the ranking, and a chart against the setting that matters most.

use super::scroll::{Scroll, ScrollText};
use crate::tui::app::App;
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

impl ScrollText for GroupsDialog {
    fn scroll(&mut self) -> &mut Scroll {
        &mut self.scroll
    }

    fn scrolled(&self) -> Scroll {
        self.scroll
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn text(&self, _app: &App) -> Vec<Line<'static>> {
        self.lines.iter().map(|l| Line::raw(l.clone())).collect()
    }

    fn size(&self, area: Rect, _lines: usize) -> (u16, u16) {
        (
            area.width.saturating_sub(4).min(100),
            area.height.saturating_sub(2),
        )
    }
}
