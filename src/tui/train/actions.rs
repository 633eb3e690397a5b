//! What the Train view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; whether one can be done now is decided in
//! [`crate::tui::actions`] before it gets here).

use super::form::Field;
use super::session::{LiveRun, RunPhase};
use super::{TrainView, Waiting};
use crate::data::DatasetName;
use crate::model::{NetworkDef, Origin, define_network};
use crate::runs::RunRecord;
use crate::train::{Control, TrainJob};
use crate::tui::actions::{already_active, run_waiting};
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
            Action::Stop if !active && self.waiting.is_some() => self.cancel_waiting(cx),
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
                // The read follows (App::sync_data).
                cx.data.retry();
                cx.info(format!("Loading {} again…", cx.data.title));
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
        if let Some(dataset) = self.waiting_for() {
            cx.error(run_waiting(cx.keys, dataset));
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
        let Some(data) = cx.ready_data(&settings.dataset) else {
            return Vec::new();
        };
        self.session = Some(LiveRun::new(settings.clone()));
        cx.info(format!(
            "Starting {} for {} epochs",
            settings.model, settings.epochs
        ));
        vec![Effect::StartTraining(TrainJob::New(settings), data)]
    }

    /// Starts `job` (shown as `session`, announced by `notice`) on `dataset`: at once
    /// if it is the one loaded, else once it is (it waits; the app loads it, dropping
    /// the one held). `point` is the sweep point it trains, if any.
    pub fn launch(
        &mut self,
        job: TrainJob,
        session: LiveRun,
        notice: String,
        point: Option<(usize, crate::sweep::PointState)>,
        cx: &mut Cx,
    ) -> Vec<Effect> {
        let dataset = session.settings.dataset.clone();
        if let Some(data) = cx.data.ready(&dataset).cloned() {
            self.session = Some(session);
            cx.info(notice);
            return vec![Effect::StartTraining(job, data)];
        }
        cx.info(format!(
            "{notice}: waiting for {} to load",
            crate::tui::data::title_of(&dataset)
        ));
        self.waiting = Some(Waiting {
            dataset,
            job,
            session,
            notice,
            point,
        });
        Vec::new()
    }

    /// The data changed: a run waiting for it starts once its dataset is loaded.
    pub fn data_changed(&mut self, cx: &mut Cx) -> Vec<Effect> {
        let Some(w) = &self.waiting else {
            return Vec::new();
        };
        let Some(data) = cx.data.ready(&w.dataset).cloned() else {
            return Vec::new();
        };
        let Some(w) = self.waiting.take() else {
            return Vec::new();
        };
        self.session = Some(w.session);
        cx.info(w.notice);
        vec![Effect::StartTraining(w.job, data)]
    }

    /// Cancels the run waiting for its data (a sweep's point goes back to the front of
    /// the queue, and the sweep pauses).
    pub fn cancel_waiting(&mut self, cx: &mut Cx) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        if let (Some((k, state)), Some(q)) = (w.point, self.sweep.as_mut()) {
            q.queue.insert(0, (k, state.clone()));
            q.states[k - 1] = state;
            q.current = None;
            q.paused = true;
        }
        cx.info(format!(
            "Cancelled: {} no longer waits for {}",
            w.notice,
            crate::tui::data::title_of(&w.dataset)
        ));
    }

    /// The dataset of the run waiting for its data, if one is.
    pub fn waiting_for(&self) -> Option<&DatasetName> {
        self.waiting.as_ref().map(|w| &w.dataset)
    }

    /// Resumes saved run `record` for `more` epochs (`None`: to the end of its plan), if
    /// possible, and shows it.
    /// Its dataset (`record.config.dataset`) is loaded first if another is held: the
    /// run then waits for it.
    pub fn resume(&mut self, record: &RunRecord, more: Option<u32>, cx: &mut Cx) -> Vec<Effect> {
        if self.run_active() {
            cx.error(already_active(cx.keys));
            return Vec::new();
        }
        if let Some(dataset) = self.waiting_for() {
            cx.error(run_waiting(cx.keys, dataset));
            return Vec::new();
        }
        let id = &record.id;
        let mut session = LiveRun::resuming(record);
        let done = record.epochs_done();
        let notice = match more {
            Some(n) => {
                session.settings.epochs = done + n;
                format!("Resuming {id} for {n} more epochs")
            }
            None => format!(
                "Resuming {id} to the end of its plan ({} more epochs)",
                record.config.epochs.saturating_sub(done)
            ),
        };
        *cx.view = View::Train;
        let job = TrainJob::Resume {
            run_id: id.to_string(),
            more_epochs: more,
        };
        self.launch(job, session, notice, None, cx)
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
    cx.data.state = DataState::Downloading(DownloadProgress {
        file: String::new(),
        done: 0,
        total: None,
    });
    vec![Effect::DownloadData(cx.data.name.clone())]
}
