//! What the Train view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; typing into the form is in `tui::input`).

use super::form::{Field, TextInput};
use super::session::RunPhase;
use crate::format;
use crate::train::Control;
use crate::tui::app::{App, DataState, DownloadProgress, Effect, InputPurpose, Modal, Notice};
use crate::tui::keymap::Action;

impl App {
    /// Does an action of the Train view (from the key table).
    pub(crate) fn on_train_action(&mut self, action: Action) -> Vec<Effect> {
        let active = self.run_active();
        match action {
            Action::Start => return self.start_from_form(),
            Action::Sweep => self.open_sweep_dialog(),
            Action::PauseSweep => return self.toggle_sweep_pause(),
            Action::CancelSweep => return self.cancel_sweep(),
            Action::QueuePrev => self.select_queued(-1),
            Action::QueueNext => self.select_queued(1),
            Action::RunNext => self.run_selected_next(),
            Action::Pause => return self.toggle_pause(),
            Action::Stop => {
                if active {
                    self.notice = Some(Notice::Info("Stopping the run…".into()));
                    return vec![Effect::Control(Control::Stop)];
                }
                self.notice = Some(Notice::Error("No run is active".into()));
            }
            Action::ChangeLr => {
                if active {
                    let lr = self.session.as_ref().map_or(0.0, |s| s.lr);
                    self.modal = Some(Modal::Input {
                        purpose: InputPurpose::LearningRate,
                        input: TextInput::new(format::float(lr)),
                        error: None,
                    });
                } else {
                    self.notice = Some(Notice::Error(
                        "The learning rate can be changed while a run is active".into(),
                    ));
                }
            }
            Action::AddEpoch | Action::Increase if active => {
                self.notice = Some(Notice::Info("Adding one epoch".into()));
                return vec![Effect::Control(Control::AddEpochs(1))];
            }
            Action::AddEpoch => {
                self.notice = Some(Notice::Error("No run is active".into()));
            }
            Action::Download => return self.download(),
            Action::RetryData => {
                if matches!(self.data, DataState::Missing { .. } | DataState::Failed(_)) {
                    self.data = DataState::Loading;
                    return vec![Effect::LoadData];
                }
            }
            Action::Up => self.form.move_by(-1),
            Action::Down => self.form.move_by(1),
            Action::Edit | Action::Increase | Action::Decrease if active => {
                self.notice = Some(Notice::Error(
                    "Settings are locked while a run is active".into(),
                ));
            }
            Action::Edit => match self.form.field() {
                Field::Start => return self.start_from_form(),
                f if f.is_typed() => self.form.begin_edit(),
                _ => self.form.adjust(1),
            },
            Action::Increase => self.form.adjust(1),
            Action::Decrease => self.form.adjust(-1),
            _ => {}
        }
        if let Some(e) = &self.form.error {
            self.notice = Some(Notice::Error(e.clone()));
        }
        Vec::new()
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        let phase = self.session.as_ref().map(|s| s.phase.clone());
        match phase {
            Some(RunPhase::Paused) => vec![Effect::Control(Control::Resume)],
            Some(p) if p.is_active() => vec![Effect::Control(Control::Pause)],
            _ => {
                self.notice = Some(Notice::Error("No run is active".into()));
                Vec::new()
            }
        }
    }

    fn download(&mut self) -> Vec<Effect> {
        match self.data {
            DataState::Missing { .. } | DataState::Failed(_) => {
                self.data = DataState::Downloading(DownloadProgress {
                    file: String::new(),
                    done: 0,
                    total: None,
                });
                vec![Effect::DownloadData]
            }
            _ => {
                self.notice = Some(Notice::Error(format!(
                    "MNIST is {}: nothing to download",
                    self.data.word()
                )));
                Vec::new()
            }
        }
    }
}
