//! The `r` dialog of the Runs view: how many epochs to add to a saved run.

use super::field::InputField;
use super::{Dialog, Step};
use crate::train::catalog::setting;
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Keymap;
use crate::tui::train::form::TextInput;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

/// Epochs to add to run `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeDialog {
    /// The run to resume.
    pub id: String,
    /// The number of epochs, typed.
    pub field: InputField,
}

impl ResumeDialog {
    /// The dialog for run `id`, proposing one epoch.
    pub fn new(id: String) -> Self {
        ResumeDialog {
            id,
            field: InputField::new(TextInput::new("1")),
        }
    }
}

impl Dialog for ResumeDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        let epochs = setting("epochs");
        self.field
            .on_key(key, |input, c| epochs.is_some_and(|s| input.accepts(s, c)))
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let text = self.field.text();
        match text.parse::<u32>() {
            Ok(n @ 1..=1000) => Ok(app.resume(&self.id, n)),
            _ => Err(format!("epochs '{text}' must be in 1..=1000")),
        }
    }

    fn refuse(&mut self, reason: String) {
        self.field.error = Some(reason);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        InputField::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let prompt = format!("Epochs to add to {}:", self.id);
        self.field.draw(f, area, app, "Resume run", prompt);
    }
}
