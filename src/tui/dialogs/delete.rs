//! "Delete this run and its weights for good?"

use super::field::draw_box;
use super::{Dialog, Step, fixed};
use crate::tui::app::{App, Effect, Notice};
use crate::tui::keymap::Keymap;
use crate::tui::ui::widgets::key_hints;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Asks before deleting run `0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmDelete(pub String);

impl Dialog for ConfirmDelete {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => Step::Submit,
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Step::Close,
            _ => Step::Stay,
        }
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let id = self.0.clone();
        app.notice = Some(Notice::Info(format!("Deleting {id}…")));
        app.runs.marked.retain(|m| *m != id);
        Ok(vec![Effect::DeleteRun(id)])
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        fixed(&[("y", "delete"), ("n/Esc", "cancel")])
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let lines = vec![
            Line::raw("Delete this run and its weights for good?"),
            Line::from(Span::styled(self.0.clone(), t.warn())),
            Line::raw(""),
            key_hints(&[("y", "delete"), ("n/Esc", "keep it")], t),
        ];
        draw_box(f, area, app, "Delete run?", lines);
    }
}
