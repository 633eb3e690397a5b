//! "A run is training: stop it (saved as stopped) and quit?"

use super::field::draw_box;
use super::{Dialog, Step, fixed};
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Keymap;
use crate::tui::ui::widgets::key_hints;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;

/// Asks before quitting while a run is active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmQuit;

impl Dialog for ConfirmQuit {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => Step::Submit,
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Step::Close,
            _ => Step::Stay,
        }
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        Ok(app.stop_and_quit())
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        fixed(&[("y", "stop, save & quit"), ("n/Esc", "cancel")])
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let lines = vec![
            Line::raw("A run is training."),
            Line::raw("Stop it (it is saved as stopped) and quit?"),
            Line::raw(""),
            key_hints(
                &[("y", "stop, save & quit"), ("n/Esc", "keep training")],
                &app.theme,
            ),
        ];
        draw_box(f, area, app, "Quit?", lines);
    }
}
