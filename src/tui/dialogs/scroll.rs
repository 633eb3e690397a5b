//! What the scrollable dialogs (help, details, groups) share: the scroll position, the
//! keys that scroll and the keys that close, the box they are drawn in. A dialog that
//! is long text implements [`ScrollText`] and is a [`super::Dialog`] by that alone.

use super::{Dialog, Step};
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::popup;
use ratatui::Frame;
use ratatui::crossterm::event::KeyCode;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// Lines scrolled in a dialog whose text may be taller than the screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll(pub u16);

impl Scroll {
    /// Scroll keys move; Esc, Enter, q (and the dialog's own `also` key) close.
    pub fn on_key(&mut self, code: KeyCode, also: Option<char>) -> Step {
        let s = self.0;
        self.0 = match code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => return Step::Close,
            KeyCode::Char(c) if Some(c) == also => return Step::Close,
            KeyCode::Down | KeyCode::Char('j') => s.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => s.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => s.saturating_add(10),
            KeyCode::PageUp => s.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => 0,
            _ => s,
        };
        Step::Stay
    }

    /// Scrolls by `delta` lines (the wheel).
    pub fn by(&mut self, delta: i64) {
        self.0 = (self.0 as i64 + delta).clamp(0, u16::MAX as i64) as u16;
    }

    /// Draws `lines` in a centred box of at most `width` × `height` titled `title`,
    /// scrolled (never past the last line).
    pub fn draw(
        self,
        f: &mut Frame,
        area: Rect,
        (width, height): (u16, u16),
        title: &str,
        lines: Vec<Line<'_>>,
        theme: &Theme,
    ) {
        let inner = popup(f, area, width, height, title, theme);
        let max = (lines.len() as u16).saturating_sub(inner.height);
        f.render_widget(Paragraph::new(lines).scroll((self.0.min(max), 0)), inner);
    }

    /// The hints of a scrollable dialog.
    pub fn hints() -> Vec<(String, &'static str)> {
        super::fixed(&[("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")])
    }
}

/// A dialog that shows long text, scrolled, and closes on Esc, Enter or q.
pub trait ScrollText {
    /// The scroll position.
    fn scroll(&mut self) -> &mut Scroll;
    /// The scroll position, to draw.
    fn scrolled(&self) -> Scroll;
    /// The title of the box.
    fn title(&self) -> String;
    /// The text, line by line.
    fn text(&self, app: &App) -> Vec<Line<'static>>;
    /// The box's largest size on `area` for a text of `lines` lines.
    fn size(&self, area: Rect, lines: usize) -> (u16, u16);
    /// Another key that closes it (the key that opened it), if any.
    fn close_key(&self) -> Option<char> {
        None
    }
}

impl<T: ScrollText> Dialog for T {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        let also = self.close_key();
        self.scroll().on_key(key.code, also)
    }

    fn scroll_by(&mut self, delta: i64) {
        self.scroll().by(delta);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        Scroll::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let lines = self.text(app);
        let size = self.size(area, lines.len());
        self.scrolled()
            .draw(f, area, size, &self.title(), lines, &app.theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_keys_move_and_close_keys_close() {
        let mut s = Scroll::default();
        assert_eq!(s.on_key(KeyCode::Down, None), Step::Stay);
        assert_eq!(s.on_key(KeyCode::PageDown, None), Step::Stay);
        assert_eq!(s.0, 11);
        s.on_key(KeyCode::Up, None);
        assert_eq!(s.0, 10);
        s.on_key(KeyCode::Home, None);
        assert_eq!(s.0, 0);
        s.on_key(KeyCode::Up, None);
        assert_eq!(s.0, 0);
        assert_eq!(s.on_key(KeyCode::Char('?'), Some('?')), Step::Close);
        assert_eq!(s.on_key(KeyCode::Char('?'), None), Step::Stay);
        assert_eq!(s.on_key(KeyCode::Esc, None), Step::Close);
        s.by(-5);
        assert_eq!(s.0, 0);
        s.by(7);
        assert_eq!(s.0, 7);
    }
}
