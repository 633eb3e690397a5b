//! The `r` dialog of the Runs view: how many epochs to add to a saved run. A run
//! stopped before the end of its plan is offered the rest of it, which finishes the
//! plan exactly as `train --resume ID` does (bit-identical to a run never stopped);
//! any other number re-plans the schedule over the new remainder.

use super::field::InputField;
use super::{Dialog, Step};
use crate::runs::{RunRecord, RunStatus};
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
    /// The epochs left in the run's plan, if it was stopped before its end: this many
    /// finishes the plan.
    pub rest_of_plan: Option<u32>,
    /// The run's planned epochs.
    pub planned: u32,
}

impl ResumeDialog {
    /// The dialog for `record`, proposing the rest of its plan, else one epoch.
    pub fn new(record: &RunRecord) -> Self {
        let planned = record.config.epochs;
        let done = record.epochs_done();
        let rest_of_plan =
            (record.status != RunStatus::Finished && done < planned).then(|| planned - done);
        ResumeDialog {
            id: record.id.clone(),
            field: InputField::new(TextInput::new(rest_of_plan.unwrap_or(1).to_string())),
            rest_of_plan,
            planned,
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
            // The rest of the plan finishes it; other counts re-plan.
            Ok(n @ 1..=1000) if Some(n) == self.rest_of_plan => Ok(app.resume(&self.id, None)),
            Ok(n @ 1..=1000) => Ok(app.resume(&self.id, Some(n))),
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
        let prompt = match self.rest_of_plan {
            Some(rest) => format!(
                "Epochs to add to {} ({rest} finishes its plan of {}):",
                self.id, self.planned
            ),
            None => format!("Epochs to add to {}:", self.id),
        };
        self.field.draw(f, area, app, "Resume run", prompt);
    }
}
