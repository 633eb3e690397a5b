//! The run shown in the Train view, fed by [`TrainEvent`]s: status, progress,
//! throughput, timing, and the series the charts draw.

use crate::runs::RunRecord;
use crate::train::{EpochMetrics, LrChange, TrainEvent, TrainSettings};
use crate::tui::series::Series;
use std::time::{Duration, Instant};

/// Where the shown run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunPhase {
    /// Asked the trainer to start; no event yet.
    Starting,
    /// Training batches.
    Training,
    /// Paused by the user.
    Paused,
    /// Scoring the validation images (or, as the run ends, the test set).
    Evaluating,
    /// All epochs done.
    Finished {
        /// Test accuracy of the kept weights (fraction).
        test_acc: f32,
    },
    /// Stopped on request (saved).
    Stopped,
    /// Failed.
    Failed(String),
}

impl RunPhase {
    /// Whether the trainer is still working on it.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            RunPhase::Starting | RunPhase::Training | RunPhase::Paused | RunPhase::Evaluating
        )
    }

    /// A short word for the status line.
    pub fn word(&self) -> &'static str {
        match self {
            RunPhase::Starting => "starting",
            RunPhase::Training => "training",
            RunPhase::Paused => "paused",
            RunPhase::Evaluating => "evaluating",
            RunPhase::Finished { .. } => "finished",
            RunPhase::Stopped => "stopped",
            RunPhase::Failed(_) => "failed",
        }
    }
}

/// Chart points (x, y).
pub type Points = Vec<(f64, f64)>;

/// The run being trained (or the last one, once it has ended), as the dashboard shows it.
/// (Not the trainer's own `train::trainer::Session`, which owns the network.)
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRun {
    /// The run's id, once the trainer announced it.
    pub run_id: Option<String>,
    /// Its settings (epochs is the current total).
    pub settings: TrainSettings,
    /// Where it stands.
    pub phase: RunPhase,
    /// Training and test samples, and trainable parameters (0 until started).
    pub train_size: usize,
    /// Test samples.
    pub test_size: usize,
    /// Trainable parameters.
    pub params: usize,
    /// Epochs done before this session (resumed runs).
    pub start_epoch: u32,
    /// The epoch whose weights were tested as the run ended, and their test accuracy.
    pub tested: Option<(u32, f32)>,
    /// Why early stopping ended the run, if it did.
    pub early_stop: Option<crate::runs::EarlyStop>,
    /// Current 1-based epoch.
    pub epoch: u32,
    /// Batches done in the current epoch.
    pub batch: usize,
    /// Batches per epoch (0 until known).
    pub batches_per_epoch: usize,
    /// Recent throughput.
    pub samples_per_sec: f64,
    /// The learning rate in effect (the last loss point's; the settings' or the last
    /// one set by hand before the first point).
    pub lr: f64,
    /// Loss per logged point, x in epochs.
    pub loss: Series,
    /// The rate in effect at each loss point that recorded it, x in epochs (runs
    /// recorded before rates were kept have none for their earlier points).
    pub rates: Vec<(f64, f64)>,
    /// Finished epochs' metrics (including earlier sessions of a resumed run).
    pub epochs: Vec<EpochMetrics>,
    /// Learning-rate changes, for the chart markers.
    pub lr_changes: Vec<LrChange>,
    /// Training time (pauses excluded).
    pub elapsed: Duration,
    last_tick: Option<Instant>,
}

impl LiveRun {
    /// A session for a new run with `settings`, waiting for the trainer.
    pub fn new(settings: TrainSettings) -> Self {
        LiveRun {
            run_id: None,
            lr: settings.lr,
            settings,
            phase: RunPhase::Starting,
            train_size: 0,
            test_size: 0,
            params: 0,
            start_epoch: 0,
            tested: None,
            early_stop: None,
            epoch: 0,
            batch: 0,
            batches_per_epoch: 0,
            samples_per_sec: 0.0,
            loss: Series::new(),
            rates: Vec::new(),
            epochs: Vec::new(),
            lr_changes: Vec::new(),
            elapsed: Duration::ZERO,
            last_tick: None,
        }
    }

    /// A session continuing saved run `record`, its history already on the charts
    /// (loss points of an unsaved partial epoch are dropped, as the trainer does).
    pub fn resuming(record: &RunRecord) -> Self {
        let done = record.epochs_done();
        let mut s = LiveRun::new(record.config.clone());
        s.run_id = Some(record.id.clone());
        s.loss = Series::from_points(
            record
                .losses
                .iter()
                .filter(|p| p.epoch <= done)
                .map(|p| (p.x, p.loss as f64)),
        );
        s.rates = record
            .losses
            .iter()
            .filter(|p| p.epoch <= done)
            .filter_map(|p| p.lr.map(|lr| (p.x, lr)))
            .collect();
        s.epochs = record.epochs.clone();
        s.lr_changes = record.lr_changes.clone();
        if let Some(c) = record.lr_changes.last() {
            s.lr = c.lr;
        }
        if let Some(&(_, lr)) = s.rates.last() {
            s.lr = lr;
        }
        s.start_epoch = done;
        s.epoch = done;
        s
    }

    /// Applies one trainer event.
    pub fn apply(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Started {
                run_id,
                settings,
                train_size,
                test_size,
                params,
                start_epoch,
            } => {
                self.run_id = Some(run_id.clone());
                self.settings = settings.clone();
                self.train_size = *train_size;
                self.test_size = *test_size;
                self.params = *params;
                self.start_epoch = *start_epoch;
                self.epoch = start_epoch + 1;
                self.batch = 0;
                if self.lr_changes.is_empty() && self.rates.is_empty() {
                    self.lr = settings.lr;
                }
                self.phase = RunPhase::Training;
            }
            TrainEvent::Loss {
                point,
                samples_per_sec,
            } => {
                self.loss.push(point.x, point.loss as f64);
                if let Some(lr) = point.lr {
                    self.rates.push((point.x, lr));
                    self.lr = lr;
                }
                self.samples_per_sec = *samples_per_sec;
            }
            TrainEvent::Progress {
                epoch,
                batch,
                batches_per_epoch,
                samples_per_sec,
            } => {
                self.epoch = *epoch;
                self.batch = *batch;
                self.batches_per_epoch = *batches_per_epoch;
                self.samples_per_sec = *samples_per_sec;
                if self.phase == RunPhase::Evaluating || self.phase == RunPhase::Starting {
                    self.phase = RunPhase::Training;
                }
            }
            TrainEvent::Evaluating { epoch } => {
                self.epoch = *epoch;
                self.batch = self.batches_per_epoch;
                if self.phase != RunPhase::Paused {
                    self.phase = RunPhase::Evaluating;
                }
            }
            TrainEvent::EpochEnd(m) => {
                self.epochs.retain(|e| e.epoch != m.epoch);
                self.epochs.push(m.clone());
                if self.phase == RunPhase::Evaluating {
                    self.phase = RunPhase::Training;
                }
            }
            TrainEvent::LrChanged(change) => {
                self.lr = change.lr;
                self.lr_changes.push(*change);
            }
            TrainEvent::EpochsChanged { total } => self.settings.epochs = *total,
            // The finder's news goes to the Train view's finder (`App::on_train`).
            TrainEvent::FindingLr(_) | TrainEvent::LrFound(_) => {}
            TrainEvent::Paused => self.phase = RunPhase::Paused,
            TrainEvent::Resumed => self.phase = RunPhase::Training,
            TrainEvent::Tested {
                epoch, test_acc, ..
            } => self.tested = Some((*epoch, *test_acc)),
            TrainEvent::EarlyStopped(stop) => self.early_stop = Some(*stop),
            TrainEvent::Finished { test_acc } => {
                self.phase = RunPhase::Finished {
                    test_acc: *test_acc,
                }
            }
            TrainEvent::Stopped => self.phase = RunPhase::Stopped,
            TrainEvent::Failed { reason } => self.phase = RunPhase::Failed(reason.clone()),
        }
    }

    /// Advances the training clock to `now` (pauses and ended runs do not count).
    pub fn tick(&mut self, now: Instant) {
        let counting = matches!(self.phase, RunPhase::Training | RunPhase::Evaluating);
        if let Some(last) = self.last_tick
            && counting
        {
            self.elapsed += now.saturating_duration_since(last);
        }
        self.last_tick = Some(now);
    }

    /// Fraction of the current epoch done (0–1).
    pub fn epoch_ratio(&self) -> f64 {
        if self.batches_per_epoch == 0 {
            return 0.0;
        }
        (self.batch as f64 / self.batches_per_epoch as f64).clamp(0.0, 1.0)
    }

    /// Fraction of the whole run done (0–1), counting epochs of earlier sessions.
    pub fn run_ratio(&self) -> f64 {
        if matches!(self.phase, RunPhase::Finished { .. }) {
            return 1.0;
        }
        let total = self.settings.epochs.max(1) as f64;
        let done = self.epochs.last().map_or(0, |e| e.epoch) as f64;
        let current = if self.epoch as f64 > done {
            self.epoch_ratio()
        } else {
            0.0
        };
        ((done + current) / total).clamp(0.0, 1.0)
    }

    /// Estimated time left, from this session's pace (None until it can be told).
    pub fn eta(&self) -> Option<Duration> {
        if !self.phase.is_active() {
            return None;
        }
        let ratio = self.run_ratio();
        let start = self.start_epoch as f64 / self.settings.epochs.max(1) as f64;
        let progress = ratio - start;
        let secs = self.elapsed.as_secs_f64();
        if progress <= 1e-3 || secs < 1.0 {
            return None;
        }
        let left = secs * (1.0 - ratio) / progress;
        left.is_finite()
            .then(|| Duration::from_secs_f64(left.max(0.0)))
    }

    /// The latest finished epoch's metrics.
    pub fn latest(&self) -> Option<&EpochMetrics> {
        self.epochs.last()
    }

    /// Train, validation and (when tested every epoch) test accuracy in percent per
    /// finished epoch, for the chart.
    pub fn accuracy_points(&self) -> [Points; 3] {
        let series = |f: fn(&EpochMetrics) -> Option<f32>| -> Points {
            self.epochs
                .iter()
                .filter_map(|e| f(e).map(|a| (e.epoch as f64, a as f64 * 100.0)))
                .collect()
        };
        [
            series(|e| Some(e.train_acc)),
            series(|e| e.val_acc),
            series(|e| e.test_acc),
        ]
    }
}
