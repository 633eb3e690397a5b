//! The `S` dialog: a sweep typed as settings and their values (`lr 0.01,0.1 seeds 1,2`),
//! planned on top of the form's settings.

use super::field::InputField;
use super::{Dialog, Step};
use crate::tui::app::{App, Effect};
use crate::tui::keymap::Keymap;
use crate::tui::train::form::TextInput;
use crate::tui::train::sweep::SWEEP_CHARS;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

/// The sweep being typed.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepDialog {
    /// The text.
    pub field: InputField,
}

impl Default for SweepDialog {
    fn default() -> Self {
        SweepDialog {
            field: InputField::new(TextInput::plain("", SWEEP_CHARS)),
        }
    }
}

impl Dialog for SweepDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        self.field.on_key(key, |_, c| !c.is_control())
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        app.submit_sweep(&self.field.text())
    }

    fn refuse(&mut self, reason: String) {
        self.field.error = Some(reason);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        InputField::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let prompt = "Settings and values on top of the form, e.g. lr 0.01,0.1 seeds 1,2 \
                      (ranges: lr 1e-4..1e-1 random 4):";
        self.field.draw(f, area, app, "Sweep", prompt.to_string());
    }
}
