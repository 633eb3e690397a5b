//! What the Train view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; whether one can be done now is decided in
//! [`crate::tui::actions`] before it gets here).

use super::TrainView;
use super::form::Field;
use super::session::{LiveRun, RunPhase};
use crate::model::{NetworkDef, Origin, define_network};
use crate::runs::RunRecord;
use crate::train::{Control, TrainJob};
use crate::tui::actions::already_active;
use crate::tui::app::{DataState, DownloadProgress, Effect};
use crate::tui::context::Cx;
use crate::tui::dialogs::Modal;
use crate::tui::dialogs::learning_rate::LearningRateDialog;
use crate::tui::dialogs::save_network::SaveNetworkDialog;
use crate::tui::dialogs::sweep::SweepDialog;
use crate::tui::keymap::Action;
use crate::tui::view::View;
use std::path::PathBuf;

impl TrainView {
    /// Does an action of the Train view (from the key table).
    pub fn on_action(&mut self, action: Action, cx: &mut Cx) -> Vec<Effect> {
        let active = self.run_active();
        match action {
            Action::Start => return self.start_from_form(cx),
            Action::Sweep => *cx.modal = Some(Modal::Sweep(SweepDialog::default())),
            Action::PauseSweep => return self.toggle_sweep_pause(cx),
            Action::CancelSweep => return self.cancel_sweep(cx),
            Action::QueuePrev => self.select_queued(-1),
            Action::QueueNext => self.select_queued(1),
            Action::RunNext => self.run_selected_next(cx),
            Action::Pause => return self.toggle_pause(),
            Action::Stop => {
                cx.info("Stopping the run…");
                return vec![Effect::Control(Control::Stop)];
            }
            Action::ChangeLr => {
                let lr = self.session.as_ref().map_or(0.0, |s| s.lr);
                *cx.modal = Some(Modal::LearningRate(LearningRateDialog::new(lr)));
            }
            // While training, the form's step key adds an epoch like AddEpoch.
            Action::AddEpoch | Action::Increase if active => {
                cx.info("Adding one epoch");
                return vec![Effect::Control(Control::AddEpochs(1))];
            }
            Action::FindLr => return self.find_lr(cx),
            Action::SaveNetwork => {
                let def = self.form.settings.network();
                *cx.modal = Some(Modal::SaveNetwork(SaveNetworkDialog::new(
                    &def,
                    cx.config_path,
                )));
            }
            Action::Download => return download(cx),
            Action::RetryData => {
                *cx.data = DataState::Loading;
                return vec![Effect::LoadData];
            }
            Action::Up => self.form.move_by(-1),
            Action::Down => self.form.move_by(1),
            Action::Edit => match self.form.field() {
                Field::Start => return self.start_from_form(cx),
                f if f.is_typed() => self.form.begin_edit(),
                _ => self.form.adjust(1),
            },
            Action::Increase => self.form.adjust(1),
            Action::Decrease => self.form.adjust(-1),
            _ => {}
        }
        if let Some(e) = &self.form.error {
            cx.error(e.clone());
        }
        Vec::new()
    }

    /// Starts a new run with the form's settings, if possible.
    pub fn start_from_form(&mut self, cx: &mut Cx) -> Vec<Effect> {
        if self.run_active() {
            cx.error(already_active(cx.keys));
            return Vec::new();
        }
        let settings = match self.form.validated() {
            Ok(s) => s,
            Err(e) => {
                self.form.error = Some(e.clone());
                cx.error(e);
                return Vec::new();
            }
        };
        let Some(data) = cx.ready_data() else {
            return Vec::new();
        };
        self.session = Some(LiveRun::new(settings.clone()));
        cx.info(format!(
            "Starting {} for {} epochs",
            settings.model, settings.epochs
        ));
        vec![Effect::StartTraining(TrainJob::New(settings), data)]
    }

    /// Resumes saved run `record` for `more` epochs (`None`: to the end of its plan), if
    /// possible, and shows it.
    pub fn resume(&mut self, record: &RunRecord, more: Option<u32>, cx: &mut Cx) -> Vec<Effect> {
        if self.run_active() {
            cx.error(already_active(cx.keys));
            return Vec::new();
        }
        let Some(data) = cx.ready_data() else {
            return Vec::new();
        };
        let id = &record.id;
        let mut session = LiveRun::resuming(record);
        let done = record.epochs_done();
        match more {
            Some(n) => {
                session.settings.epochs = done + n;
                cx.info(format!("Resuming {id} for {n} more epochs"));
            }
            None => cx.info(format!(
                "Resuming {id} to the end of its plan ({} more epochs)",
                record.config.epochs.saturating_sub(done)
            )),
        }
        self.session = Some(session);
        *cx.view = View::Train;
        vec![Effect::StartTraining(
            TrainJob::Resume {
                run_id: id.to_string(),
                more_epochs: more,
            },
            data,
        )]
    }

    /// The save dialog's network was saved in `path` (or not, `result` says why): it
    /// becomes a known network from that file, and the form trains it.
    pub fn on_network_saved(
        &mut self,
        def: NetworkDef,
        path: PathBuf,
        result: Result<(), String>,
        cx: &mut Cx,
    ) {
        let name = def.name.clone();
        if let Err(e) = result {
            cx.error(format!("Network '{name}' was not saved: {e}"));
            return;
        }
        let shown = path.display().to_string();
        if let Err(e) = define_network(def, Origin::File(path)) {
            cx.error(format!("Saved in {shown}, but {e}"));
            return;
        }
        match self.form.choose_network(&name) {
            Ok(()) => cx.info(format!(
                "Saved network '{name}' in {shown}; the form trains it now"
            )),
            Err(e) => cx.error(format!(
                "Saved network '{name}' in {shown}, but the form cannot take it: {e}"
            )),
        }
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        match self.session.as_ref().map(|s| &s.phase) {
            Some(RunPhase::Paused) => vec![Effect::Control(Control::Resume)],
            _ => vec![Effect::Control(Control::Pause)],
        }
    }
}

fn download(cx: &mut Cx) -> Vec<Effect> {
    *cx.data = DataState::Downloading(DownloadProgress {
        file: String::new(),
        done: 0,
        total: None,
    });
    vec![Effect::DownloadData]
}
