//! The `l` dialog: a new learning rate for the running run, checked by the rule the
//! trainer and the form apply ([`crate::train::check_lr`]).

use super::field::InputField;
use super::{Dialog, Step};
use crate::format;
use crate::train::catalog::setting;
use crate::train::{Control, check_lr};
use crate::tui::app::{App, Effect, Notice};
use crate::tui::keymap::Keymap;
use crate::tui::train::form::TextInput;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

/// The rate being typed.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningRateDialog {
    /// The field.
    pub field: InputField,
}

impl LearningRateDialog {
    /// The dialog, holding the rate in effect now.
    pub fn new(lr: f64) -> Self {
        LearningRateDialog {
            field: InputField::new(TextInput::new(format::approx(lr))),
        }
    }
}

impl Dialog for LearningRateDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        let lr = setting("lr");
        self.field
            .on_key(key, |input, c| lr.is_some_and(|s| input.accepts(s, c)))
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let text = self.field.text();
        let lr: f64 = text
            .parse()
            .map_err(|_| format!("'{text}' is not a number"))?;
        if !app.run_active() {
            app.notice = Some(Notice::Error("The run has ended".into()));
            return Ok(Vec::new());
        }
        // The rule the trainer applies to a rate changed mid-run (and the form to any).
        check_lr(lr).map_err(|e| e.to_string())?;
        app.notice = Some(Notice::Info(format!(
            "Learning rate → {}",
            format::float(lr)
        )));
        Ok(vec![Effect::Control(Control::SetLr(lr))])
    }

    fn refuse(&mut self, reason: String) {
        self.field.error = Some(reason);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        InputField::hints()
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        self.field.draw(
            f,
            area,
            app,
            "Learning rate",
            "New learning rate, from the next batch on:".to_string(),
        );
    }
}
