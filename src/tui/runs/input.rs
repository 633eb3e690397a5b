//! What the Runs view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; header and row clicks are in `tui::input`).

use super::table::RunEntry;
use crate::tui::app::{App, Effect, InputPurpose, Modal, Notice, View};
use crate::tui::keymap::Action;
use crate::tui::train::form::TextInput;

impl App {
    /// Does an action of the Runs view (from the key table).
    pub(crate) fn on_runs_action(&mut self, action: Action) -> Vec<Effect> {
        let visible = self.table_rows_visible();
        let page = visible.max(1) as i64;
        match action {
            Action::Up => self.runs.move_by(-1, visible),
            Action::Down => self.runs.move_by(1, visible),
            Action::PageUp => self.runs.move_by(-page, visible),
            Action::PageDown => self.runs.move_by(page, visible),
            Action::First => self.runs.move_by(i64::MIN / 2, visible),
            Action::Last => self.runs.move_by(i64::MAX / 2, visible),
            Action::Mark if !self.runs.toggle_mark() && self.runs.current().is_some() => {
                self.notice = Some(Notice::Error("A damaged run cannot be compared".into()));
            }
            Action::ClearMarks => self.runs.marked.clear(),
            Action::SortNext => {
                self.runs.cycle_sort();
                self.runs.scroll_to_cursor(visible);
            }
            Action::SortReverse => {
                self.runs.reverse();
                self.runs.scroll_to_cursor(visible);
            }
            Action::Details => {
                if let Some(e) = self.runs.current() {
                    self.modal = Some(Modal::Details {
                        id: e.id().to_string(),
                        scroll: 0,
                    });
                }
            }
            Action::Delete => {
                let Some(id) = self.runs.current().map(|e| e.id().to_string()) else {
                    return Vec::new();
                };
                let training_it = self.run_active()
                    && self.session.as_ref().and_then(|s| s.run_id.as_deref()) == Some(&id);
                if training_it {
                    self.notice = Some(Notice::Error(
                        "This run is being trained: stop it before deleting".into(),
                    ));
                } else {
                    self.modal = Some(Modal::ConfirmDelete(id));
                }
            }
            Action::NewFromRun => match self.runs.current() {
                Some(RunEntry::Ok(r)) => {
                    let (id, settings) = (r.id.clone(), r.config.clone());
                    self.form.load(&settings);
                    self.view = View::Train;
                    self.notice = Some(Notice::Info(format!(
                        "Settings copied from {id}: press s to start"
                    )));
                }
                Some(RunEntry::Damaged(_)) => {
                    self.notice = Some(Notice::Error("This run's settings cannot be read".into()))
                }
                None => {}
            },
            Action::Resume => match self.runs.current() {
                Some(RunEntry::Ok(r)) => {
                    let id = r.id.clone();
                    if self.run_active() {
                        self.notice = Some(Notice::Error(
                            "A run is already active: stop it (x) first".into(),
                        ));
                    } else {
                        self.modal = Some(Modal::Input {
                            purpose: InputPurpose::ResumeEpochs(id),
                            input: TextInput::new("1"),
                            error: None,
                        });
                    }
                }
                Some(RunEntry::Damaged(_)) => {
                    self.notice = Some(Notice::Error("A damaged run cannot be resumed".into()))
                }
                None => {}
            },
            _ => {}
        }
        Vec::new()
    }
}
