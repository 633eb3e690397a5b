//! The dashboard's state and its `update`: messages in, state and effects out.
//! Nothing here draws or does I/O, so every behaviour is testable without a terminal.

use super::context::{Cx, Request};
use super::digit::state::{DigitEffect, DigitMsg, DigitState};
use super::keymap::Keymap;
use super::runs::table::RunsTable;
use super::theme::Theme;
use super::train::TrainView;
use super::train::finder::FinderMsg;
use super::train::session::{LiveRun, RunPhase};
use crate::config::Config;
use crate::data::{DatasetName, LoadedDataset};
use crate::runs::{RunLoadError, RunRecord};
use crate::train::{Control, TrainEvent, TrainJob};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::data::{DataMsg, DataSlot, DataState, DownloadProgress};
pub use super::dialogs::Modal;
pub use super::view::View;

/// How often the run store is re-read while the app is open.
pub const STORE_POLL: Duration = Duration::from_secs(2);
/// How long a notice stays in the key bar (a key press also clears it).
pub const NOTICE_TTL: Duration = Duration::from_secs(5);

/// Sweep files by sweep id: the file, or why it cannot be read.
pub type SweepFiles = std::collections::BTreeMap<String, Result<crate::sweep::SweepFile, String>>;

/// News from the run-store thread.
#[derive(Debug, Clone)]
pub enum StoreMsg {
    /// The store's runs (sent only when something changed).
    Listed {
        /// Readable runs.
        runs: Vec<RunRecord>,
        /// Damaged runs.
        damaged: Vec<RunLoadError>,
        /// The best finished run whose weights exist (the store's rule), if any.
        best: Option<String>,
    },
    /// The files of the listed runs' sweeps (sent after each listing).
    Sweeps(SweepFiles),
    /// The store could not be listed.
    Failed(String),
    /// A delete finished.
    Deleted {
        /// The run.
        id: String,
        /// Whether it worked.
        result: Result<(), String>,
    },
}

/// Everything the app reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// A mouse event.
    Mouse(MouseEvent),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// Time passes (redraw, clocks, store polling).
    Tick(Instant),
    /// An event from the trainer.
    Train(TrainEvent),
    /// The trainer's channel closed.
    TrainerGone,
    /// Data loading or download news.
    Data(DataMsg),
    /// Run store news.
    Store(StoreMsg),
    /// Digit view background results.
    Digit(DigitMsg),
    /// The sweep file was saved (or why not).
    SweepSaved(Result<(), String>),
    /// News from the learning-rate finder run on the form's settings.
    Finder(super::train::finder::FinderMsg),
    /// The network was saved in `path` (or why not).
    NetworkSaved {
        /// The file.
        path: PathBuf,
        /// The network.
        def: crate::model::NetworkDef,
        /// Whether it worked.
        result: Result<(), String>,
    },
    /// An export finished (see [`Effect::Export`]).
    Exported {
        /// Where it was asked to go.
        out: PathBuf,
        /// The files written, or why not.
        result: Result<Vec<PathBuf>, String>,
    },
}

/// Work the app asks its runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Start the trainer on `job` with this data.
    StartTraining(TrainJob, Arc<LoadedDataset>),
    /// Steer the trainer.
    Control(Control),
    /// Re-read the run store (cheap: unchanged runs are not re-parsed).
    RefreshRuns,
    /// Delete this run from the store.
    DeleteRun(String),
    /// Load this dataset from the data directory (then [`Msg::Data`]).
    LoadData(DatasetName),
    /// Download this dataset's files into its folder under the data directory.
    DownloadData(crate::data::DatasetName),
    /// Digit view background work.
    Digit(DigitEffect),
    /// Save this sweep in the runs folder (then [`Msg::SweepSaved`]).
    SaveSweep(crate::sweep::SweepFile),
    /// Run the learning-rate finder on a new network of `settings`, drawing from the
    /// training images a run of them trains on (then [`Msg::Finder`]s).
    FindLr {
        /// The form's settings.
        settings: Box<crate::train::TrainSettings>,
        /// The data.
        data: Arc<LoadedDataset>,
        /// The rates to try.
        plan: crate::train::lr_find::FinderPlan,
    },
    /// Save `def` in the file at `path` (`crate::networks_file::save_network`, then
    /// [`Msg::NetworkSaved`]).
    SaveNetwork {
        /// The file: the config file or a networks file beside it.
        path: PathBuf,
        /// The network.
        def: crate::model::NetworkDef,
    },
    /// Export runs `ids` (read from the store) in the format called `format` (a row of
    /// [`crate::interop::EXPORT_FORMATS`]) at `out`, off the UI thread (then
    /// [`Msg::Exported`]).
    Export {
        /// The format's name.
        format: &'static str,
        /// The runs, in order.
        ids: Vec<String>,
        /// The file or folder (relative: from the current folder).
        out: PathBuf,
    },
}

/// A one-line message in the key bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Something happened.
    Info(String),
    /// Something was refused or failed.
    Error(String),
}

/// Whether the app is ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitState {
    /// Running normally.
    Running,
    /// Stopping the run (so it is saved as stopped), then quitting.
    StoppingThenQuit,
    /// Quit now.
    Quit,
}

/// The whole dashboard state.
#[derive(Debug, Clone)]
pub struct App {
    /// The view shown.
    pub view: View,
    /// The dialog shown, if any.
    pub modal: Option<Modal>,
    /// The dataset held (one at a time) and its state.
    pub data: DataSlot,
    /// The data folder datasets are looked for in.
    pub data_dir: PathBuf,
    /// The config file the dashboard was started with (`config.ron` unless `--config`
    /// named another; it need not exist): where networks are saved.
    pub config_path: PathBuf,
    /// The Train view: the form, the run it shows, a sweep's queue.
    pub train: TrainView,
    /// The Runs view: the table of saved runs.
    pub runs: RunsTable,
    /// Show the loss as a moving average.
    pub smooth: bool,
    /// Log scale for the loss.
    pub log_scale: bool,
    /// Colours and markers.
    pub theme: Theme,
    /// The terminal's size (for mouse hit-testing and scrolling).
    pub size: Rect,
    /// The last message for the user.
    pub notice: Option<Notice>,
    /// Whether the app is ending.
    pub quit: QuitState,
    /// The Digit view.
    pub digit: DigitState,
    /// The key table with the user's overrides.
    pub keys: Keymap,
    last_refresh: Option<Instant>,
    notice_seen: Option<(Notice, Instant)>,
}

impl App {
    /// A fresh app: Train view, defaults from `config`, the form's dataset to be loaded
    /// (the first `update` asks for it).
    pub fn new(config: &Config, data_dir: PathBuf, theme: Theme) -> Self {
        let train = TrainView::new(config.train.clone());
        App {
            view: View::Train,
            modal: None,
            data: DataSlot::new(train.form.settings.dataset.clone()),
            data_dir,
            config_path: PathBuf::from(crate::config::CONFIG_FILE),
            train,
            runs: RunsTable::default(),
            smooth: false,
            log_scale: false,
            theme,
            size: Rect::new(0, 0, 120, 40),
            notice: None,
            quit: QuitState::Running,
            digit: DigitState::new(config.ui.ascii_style),
            keys: Keymap::new(&config.ui.keys),
            last_refresh: None,
            notice_seen: None,
        }
    }

    /// Whether a run is being trained (or starting).
    pub fn run_active(&self) -> bool {
        self.train.run_active()
    }

    /// Lends the views' handlers the cross-view state: `(train, runs, digit, cx)`.
    pub(super) fn parts(&mut self) -> (&mut TrainView, &mut RunsTable, &mut DigitState, Cx<'_>) {
        let cx = Cx {
            data: &mut self.data,
            notice: &mut self.notice,
            modal: &mut self.modal,
            view: &mut self.view,
            keys: &self.keys,
            size: self.size,
            config_path: &self.config_path,
            requests: Vec::new(),
        };
        (&mut self.train, &mut self.runs, &mut self.digit, cx)
    }

    /// Does what handlers asked of other views.
    pub(super) fn fulfil(&mut self, requests: Vec<Request>) {
        for request in requests {
            match request {
                Request::LoadForm { id, settings } => {
                    self.train.form.load(&settings);
                    self.view = View::Train;
                    let key = self
                        .keys
                        .key_for(super::keymap::Scope::Train, super::keymap::Action::Start);
                    self.notice = Some(Notice::Info(format!(
                        "Settings copied from {id}: press {key} to start"
                    )));
                }
            }
        }
    }

    /// Whether the runtime should end the loop now.
    pub fn should_quit(&self) -> bool {
        self.quit == QuitState::Quit
    }

    /// Applies one message; returns the work to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.dispatch(msg);
        if self.view == View::Digit {
            effects.extend(self.digit.autoload(&self.runs));
        }
        effects.extend(self.sync_data());
        // Predictions the Digit view's changes asked for, run off the UI thread.
        effects.extend(self.digit.take_effects().into_iter().map(Effect::Digit));
        effects
    }

    /// The dataset that should be held now: a run's waiting for its data, else (no run
    /// or finder using the one held) the Train form's in the Train view, or the one the
    /// Digit view's gallery or test images need; `None`: keep the one held.
    pub fn wanted_dataset(&self) -> Option<DatasetName> {
        if let Some(w) = &self.train.waiting {
            return Some(w.dataset.clone());
        }
        if self.run_active() || self.train.finder.is_some() {
            return None;
        }
        match self.view {
            View::Train => Some(self.train.form.settings.dataset.clone()),
            View::Digit => self.digit.needed_dataset(),
            View::Runs => None,
        }
    }

    /// Holds the wanted dataset (dropping the one held, reading the new one off the UI
    /// thread) and lets those waiting for data go on: a run waiting for its dataset
    /// starts, the gallery classifies, the test images show.
    fn sync_data(&mut self) -> Vec<Effect> {
        if let Some(want) = self.wanted_dataset() {
            self.data.switch_to(&want);
        }
        let mut effects: Vec<Effect> = self.data.next_read().into_iter().collect();
        let (train, _, digit, mut cx) = self.parts();
        effects.extend(train.data_changed(&mut cx));
        digit.data_changed(cx.data);
        effects
    }

    fn dispatch(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(mouse) => self.on_mouse(mouse),
            Msg::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.keep_table_cursor_visible();
                Vec::new()
            }
            Msg::Tick(now) => self.on_tick(now),
            Msg::Train(event) => self.on_train(event),
            Msg::TrainerGone => self.on_trainer_gone(),
            Msg::Data(d) => self.on_data(d),
            Msg::Store(s) => self.on_store(s),
            Msg::Digit(d) => {
                let (_, _, digit, mut cx) = self.parts();
                digit.on_msg(d, &mut cx);
                Vec::new()
            }
            Msg::SweepSaved(result) => {
                let (train, _, _, mut cx) = self.parts();
                train.on_sweep_saved(result, &mut cx)
            }
            Msg::Finder(news) => {
                let (train, _, _, mut cx) = self.parts();
                train.on_finder(news, &mut cx);
                Vec::new()
            }
            Msg::NetworkSaved { path, def, result } => {
                let (train, _, _, mut cx) = self.parts();
                train.on_network_saved(def, path, result, &mut cx);
                Vec::new()
            }
            Msg::Exported { out, result } => {
                self.notice = Some(super::runs::export::notice(&out, &result));
                Vec::new()
            }
        }
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        if let Some(s) = self.train.session.as_mut() {
            s.tick(now);
        }
        self.expire_notice(now);
        let due = self
            .last_refresh
            .is_none_or(|last| now.saturating_duration_since(last) >= STORE_POLL);
        if due {
            self.last_refresh = Some(now);
            vec![Effect::RefreshRuns]
        } else {
            Vec::new()
        }
    }

    /// Clears the notice once it has been shown for [`NOTICE_TTL`].
    fn expire_notice(&mut self, now: Instant) {
        let Some(current) = &self.notice else {
            self.notice_seen = None;
            return;
        };
        match &self.notice_seen {
            Some((seen, since)) if seen == current => {
                if now.saturating_duration_since(*since) >= NOTICE_TTL {
                    self.notice = None;
                    self.notice_seen = None;
                }
            }
            _ => self.notice_seen = Some((current.clone(), now)),
        }
    }

    fn on_train(&mut self, event: TrainEvent) -> Vec<Effect> {
        let session = self.train.session.get_or_insert_with(|| match &event {
            TrainEvent::Started { settings, .. } => LiveRun::new(settings.clone()),
            _ => LiveRun::new(crate::train::TrainSettings::resolve(&[])),
        });
        session.apply(&event);
        let mut effects = Vec::new();
        match &event {
            TrainEvent::EpochEnd(_) => effects.push(Effect::RefreshRuns),
            TrainEvent::Finished { test_acc } => {
                self.notice = Some(Notice::Info(format!(
                    "Run finished: test accuracy {:.2}%",
                    test_acc * 100.0
                )));
            }
            TrainEvent::Stopped => {
                self.notice = Some(Notice::Info("Run stopped and saved".into()));
            }
            TrainEvent::Failed { reason } => {
                self.notice = Some(Notice::Error(format!("Run failed: {reason}")));
            }
            TrainEvent::FindingLr(p) => {
                let (train, _, _, mut cx) = self.parts();
                train.on_finder(FinderMsg::Progress(*p), &mut cx);
            }
            TrainEvent::LrFound(found) => {
                let (train, _, _, mut cx) = self.parts();
                train.on_finder(FinderMsg::Done(found.clone()), &mut cx);
            }
            _ => {}
        }
        if event.is_terminal() {
            effects.push(Effect::RefreshRuns);
            let (train, _, _, mut cx) = self.parts();
            train.finder_run_ended(&mut cx);
            if self.quit == QuitState::StoppingThenQuit {
                self.quit = QuitState::Quit;
            } else {
                let (train, _, _, mut cx) = self.parts();
                effects.extend(train.on_point_ended(&event, &mut cx));
            }
        }
        effects
    }

    fn on_trainer_gone(&mut self) -> Vec<Effect> {
        if let Some(s) = self.train.session.as_mut()
            && s.phase.is_active()
        {
            s.phase = RunPhase::Failed("the trainer ended without a result".into());
        }
        if self.quit == QuitState::StoppingThenQuit {
            self.quit = QuitState::Quit;
        }
        vec![Effect::RefreshRuns]
    }

    /// Loader and downloader news; the reads it makes due follow in
    /// [`App::sync_data`].
    fn on_data(&mut self, msg: DataMsg) -> Vec<Effect> {
        if let Some(note) = self.data.apply(msg) {
            self.notice = Some(Notice::Info(note));
        }
        Vec::new()
    }

    fn on_store(&mut self, msg: StoreMsg) -> Vec<Effect> {
        match msg {
            StoreMsg::Listed {
                runs,
                damaged,
                best,
            } => {
                self.runs.set_entries(runs, damaged);
                self.runs.best = best;
                self.keep_table_cursor_visible();
            }
            StoreMsg::Sweeps(files) => self.runs.sweeps = files,
            StoreMsg::Failed(e) => {
                self.runs.loaded = true;
                self.runs.error = Some(e);
            }
            StoreMsg::Deleted { id, result } => {
                self.notice = Some(match result {
                    Ok(()) => Notice::Info(format!("Deleted run {id}")),
                    Err(e) => Notice::Error(format!("Could not delete {id}: {e}")),
                });
                return vec![Effect::RefreshRuns];
            }
        }
        Vec::new()
    }

    /// Rows the runs table shows at the current size.
    pub fn table_rows_visible(&self) -> usize {
        super::runs::actions::visible_rows(self.size)
    }

    pub(super) fn keep_table_cursor_visible(&mut self) {
        let visible = self.table_rows_visible();
        self.runs.scroll_to_cursor(visible);
    }

    /// Resumes saved run `id` for `more` epochs, or to the end of its plan (`None`)
    /// (the resume dialog's answer), once its dataset is loaded.
    pub(super) fn resume(&mut self, id: &str, more: Option<u32>) -> Vec<Effect> {
        let Some(record) = self.runs.get(id).and_then(|e| e.record()).cloned() else {
            self.notice = Some(Notice::Error(format!("Run {id} cannot be read")));
            return Vec::new();
        };
        let (train, _, _, mut cx) = self.parts();
        train.resume(&record, more, &mut cx)
    }

    /// Plans the sweep typed in its dialog over the form and the saved runs.
    pub(super) fn submit_sweep(&mut self, text: &str) -> Result<Vec<Effect>, String> {
        let records: Vec<RunRecord> = self
            .runs
            .entries
            .iter()
            .filter_map(|e| e.record().cloned())
            .collect();
        let (train, _, _, mut cx) = self.parts();
        train.submit_sweep(text, &records, &mut cx)
    }

    /// Asks the trainer to stop, then quits once it has (the runtime bounds the wait).
    pub(super) fn stop_and_quit(&mut self) -> Vec<Effect> {
        self.modal = None;
        if self.run_active() {
            self.quit = QuitState::StoppingThenQuit;
            self.notice = Some(Notice::Info("Stopping the run and saving it…".into()));
            vec![Effect::Control(Control::Stop)]
        } else {
            self.quit = QuitState::Quit;
            Vec::new()
        }
    }
}
