//! The training loop on its own thread.
//!
//! The trainer is the only writer of runs: it creates the run folder, rewrites the
//! weights, the optimiser state and `run.ron` (each atomically) at every epoch end,
//! and saves the final status when the run finishes, stops or fails.

use super::lr_find;
use super::metrics::EvalTotals;
use super::settings::{KeepWeights, MAX_EPOCHS, check_epochs, check_lr};
use super::{
    Control, EpochMetrics, LossPoint, LrChange, LrPlan, TrainError, TrainEvent, TrainSettings,
};
use crate::data::split::{Split, SplitSizes};
use crate::data::{Augmentation, EpochOrder, LoadedDataset, Norm, SampleBatch, Samples};
use crate::model::{CheckpointTag, Learner, Network, StepOutcome};
use crate::runs::record::best_by_validation;
use crate::runs::{
    EarlyStop, Provenance, RunLock, RunRecord, RunStatus, RunStore, RunSummary, StoreError,
};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// What to train.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainJob {
    /// A new run with these settings.
    New(TrainSettings),
    /// A new run with these settings, recorded as a point of a sweep.
    Point {
        /// Its settings.
        settings: TrainSettings,
        /// The sweep and point it trains.
        sweep: crate::sweep::SweepTag,
    },
    /// Continue saved run `run_id` from its weights and optimiser state (the same run
    /// folder grows): for `more_epochs` more epochs, or to the end of its plan when
    /// `None` (then it ends as if it had never stopped).
    Resume {
        /// The run to continue.
        run_id: String,
        /// Epochs to add to those done; `None`: finish the planned epochs.
        more_epochs: Option<u32>,
    },
}

/// A running trainer: its events and a way to steer it.
pub struct TrainerHandle {
    events: UnboundedReceiver<TrainEvent>,
    control: std::sync::mpsc::Sender<Control>,
    /// The training thread; it returns why its job failed before training, if it did.
    thread: Option<std::thread::JoinHandle<Result<(), TrainError>>>,
    /// Why the training thread could not be started, if it could not.
    not_started: Option<TrainError>,
}

/// A cloneable way to steer a trainer (e.g. from a Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct Controller(std::sync::mpsc::Sender<Control>);

impl Controller {
    /// Sends a control message; false if the trainer has ended.
    pub fn send(&self, control: Control) -> bool {
        self.0.send(control).is_ok()
    }
}

impl TrainerHandle {
    /// A cloneable controller for this trainer.
    pub fn controller(&self) -> Controller {
        Controller(self.control.clone())
    }

    /// Sends a control message; false if the trainer has ended.
    pub fn send(&self, control: Control) -> bool {
        self.control.send(control).is_ok()
    }

    /// The next event, if one is waiting (never blocks).
    pub fn try_recv(&mut self) -> Option<TrainEvent> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event; `None` once the trainer has ended and all events
    /// were read.
    pub async fn recv(&mut self) -> Option<TrainEvent> {
        self.events.recv().await
    }

    /// Blocking wait for the next event (for non-async callers; not inside a runtime).
    pub fn blocking_recv(&mut self) -> Option<TrainEvent> {
        self.events.blocking_recv()
    }

    /// Whether the training thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the training thread to end.
    pub fn join(self) {
        let _ = self.wait();
    }

    /// Waits for the training thread to end, and says why the job failed if it failed
    /// before its run was trained (the run being trained by another process, invalid
    /// settings, a run that cannot be resumed) or the trainer itself failed: the error
    /// the `Failed` event gave as text. A failure inside the training loop is the
    /// run's (saved as failed) and gives `Ok`, like a finished or stopped run.
    pub fn wait(mut self) -> Result<(), TrainError> {
        if let Some(e) = self.not_started.take() {
            return Err(e);
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(TrainError::failed("internal error: trainer panicked"))),
            None => Ok(()),
        }
    }
}

/// Starts training `job` on a new thread. Events stream over the returned handle;
/// the run is saved in `store` at every epoch end and when it ends. Every run ends
/// with exactly one terminal event (finished, stopped or failed).
pub fn spawn(job: TrainJob, data: Arc<LoadedDataset>, store: RunStore) -> TrainerHandle {
    let (event_tx, events) = tokio::sync::mpsc::unbounded_channel();
    let (control, control_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("trainer".into())
        .spawn(move || {
            let events = Events(event_tx);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                train(job, &data, &store, &control_rx, &events)
            }));
            let result = outcome.unwrap_or_else(|panic| {
                Err(TrainError::Failed(format!(
                    "internal error: {}",
                    panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "trainer panicked".into())
                )))
            });
            if let Err(e) = &result {
                events.send(TrainEvent::Failed {
                    reason: e.to_string(),
                });
            }
            result
        });
    match thread {
        Ok(t) => TrainerHandle {
            events,
            control,
            thread: Some(t),
            not_started: None,
        },
        Err(e) => {
            let error = TrainError::Failed(format!("could not start the training thread: {e}"));
            let (tx, events) = tokio::sync::mpsc::unbounded_channel();
            let _ = tx.send(TrainEvent::Failed {
                reason: error.to_string(),
            });
            TrainerHandle {
                events,
                control,
                thread: None,
                not_started: Some(error),
            }
        }
    }
}

/// The event sender; a closed receiver (nobody watching) is not an error.
struct Events(UnboundedSender<TrainEvent>);

impl Events {
    fn send(&self, event: TrainEvent) {
        let _ = self.0.send(event);
    }
}

/// How often `Progress` events are sent.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// The samples `record` trains, validates and tests on ([`crate::data::split`]).
pub fn split_of(record: &RunRecord, data: &LoadedDataset) -> Result<Split, String> {
    let c = &record.config;
    Split::new(
        record.sampling,
        data.train.len(),
        data.test.len(),
        SplitSizes {
            validation: c.validation,
            max_train: c.max_train_samples,
            max_test: c.max_test_samples,
        },
    )
    .map_err(|e| e.to_string())
}

/// A run being trained: its record, learner and bookkeeping.
struct Session<'a> {
    record: RunRecord,
    learner: Learner,
    /// The sample indices it trains, validates and tests on.
    split: Split,
    /// Epochs the run had when this session started (early stopping's patience counts
    /// from here or from the best epoch, whichever is later).
    start_epoch: u32,
    store: &'a RunStore,
    events: &'a Events,
    controls: &'a Receiver<Control>,
    total_epochs: u32,
    step: u64,
    /// The rate of every step (kept in the record too, which is saved each epoch).
    plan: LrPlan,
    /// For a resume: the record as it was on disk, which stays there (status, summary
    /// and all) until the first new epoch is saved.
    origin: Option<RunRecord>,
    /// The run's lock, held while this session trains it.
    _lock: RunLock,
}

/// What the control messages (or early stopping) asked for.
enum Steer {
    Continue,
    Stop,
    StopEarly(EarlyStop),
}

fn train(
    job: TrainJob,
    data: &LoadedDataset,
    store: &RunStore,
    controls: &Receiver<Control>,
    events: &Events,
) -> Result<(), TrainError> {
    let mut session = Session::open(job, data, store, controls, events)?;
    let result = session.run(data);
    match result {
        Ok(Steer::Continue) => session.finish(data).map_err(TrainError::Failed),
        Ok(Steer::StopEarly(stop)) => {
            session.record.early_stop = Some(stop);
            session.events.send(TrainEvent::EarlyStopped(stop));
            session.finish(data).map_err(TrainError::Failed)
        }
        Ok(Steer::Stop) => session
            .end(data, RunStatus::Stopped, TrainEvent::Stopped)
            .map_err(TrainError::Failed),
        Err(reason) => {
            let _ = session.end(
                data,
                RunStatus::Failed(reason.clone()),
                TrainEvent::Failed {
                    reason: reason.clone(),
                },
            );
            Ok(())
        }
    }
}

/// A run ready to train, locked: a new one or a saved one to continue.
struct Opened {
    record: RunRecord,
    learner: Learner,
    lock: RunLock,
    /// For a resume: the record as it is on disk.
    origin: Option<RunRecord>,
}

impl Opened {
    /// A new run: its settings validated (against the dataset loaded for it), its
    /// folder created and locked before anything is written (and removed again if the
    /// lock fails), a network from the seed with one output per class.
    fn new_run(
        settings: TrainSettings,
        sweep: Option<crate::sweep::SweepTag>,
        data: &LoadedDataset,
        store: &RunStore,
    ) -> Result<Self, TrainError> {
        settings.validate().map_err(TrainError::InvalidSettings)?;
        if settings.dataset != data.info.name {
            return Err(TrainError::Failed(format!(
                "the run is set to train on {} but {} is loaded",
                settings.dataset, data.info.name
            )));
        }
        let classes = data.info.class_count();
        settings.network().check_for(classes).map_err(|e| {
            TrainError::InvalidSettings(super::SettingError::Network(e.to_string()))
        })?;
        let now = OffsetDateTime::now_utc();
        let id = store
            .create_run_dir(&settings.model, now)
            .map_err(TrainError::failed)?;
        let lock = match store.lock(&id) {
            Ok(lock) => lock,
            Err(e) => {
                let _ = std::fs::remove_dir_all(store.run_dir(&id));
                return Err(TrainError::failed(e));
            }
        };
        let network = Network::for_classes(&settings.network(), classes, settings.seed)
            .map_err(TrainError::failed)?;
        let learner = Learner::new(network, settings.optimizer_settings()).with_seed(settings.seed);
        let mut record = RunRecord::new(id, settings, now);
        record.dataset = data.info.clone();
        record.sweep = sweep;
        Ok(Opened {
            record,
            learner,
            lock,
            origin: None,
        })
    }

    /// Saved run `run_id`, to continue for `more_epochs` (at least 1) more, or to the
    /// end of its plan. It is locked first (a run another process trains is refused:
    /// [`TrainError::Locked`]), then checked ([`resumable_total`]) and its checkpoint
    /// loaded ([`load_checkpoint`]).
    /// Nothing is written until its first new epoch is saved; a loss point of an epoch
    /// that was never saved is dropped.
    fn resume(
        run_id: &str,
        more_epochs: Option<u32>,
        data: &LoadedDataset,
        store: &RunStore,
    ) -> Result<Self, TrainError> {
        let lock = store.lock(run_id).map_err(|e| match e {
            StoreError::Locked(id) => TrainError::Locked(id),
            e => TrainError::Failed(format!("cannot resume: {e}")),
        })?;
        let origin = store.load(run_id).map_err(TrainError::failed)?;
        let total = resumable_total(&origin, more_epochs)?;
        same_data(&origin, data).map_err(cannot_resume(&origin))?;
        let split = split_of(&origin, data).map_err(cannot_resume(&origin))?;
        let learner = load_checkpoint(&origin, split.train.len(), store)?;
        let mut record = origin.clone();
        let done = record.epochs_done();
        record.losses.retain(|p| p.epoch <= done);
        record.config.epochs = total;
        record.status = RunStatus::Running;
        record.ended_at = None;
        record.early_stop = None;
        Ok(Opened {
            record,
            learner,
            lock,
            origin: Some(origin),
        })
    }
}

/// The plan a session of `record` follows from step `step`. A new run's comes from its
/// settings; a resumed run keeps its recorded plan, moved to the new total if epochs
/// were added (re-anchored at the rate in effect, so the rate never jumps up). A run
/// recorded before plans existed gets the plan its rate followed then (its last rate
/// set by hand, or the settings', shaped over the epochs it had), moved the same way.
fn session_plan(
    record: &RunRecord,
    origin: Option<&RunRecord>,
    learner: &Learner,
    step: u64,
    steps_per_epoch: u64,
) -> LrPlan {
    let settings = &record.config;
    let Some(origin) = origin else {
        return LrPlan::for_settings(settings, steps_per_epoch);
    };
    let mut plan = origin.lr_plan.clone().unwrap_or_else(|| {
        let old_end = u64::from(origin.config.epochs) * steps_per_epoch;
        LrPlan::new(settings.lr_schedule, learner.optimizer().lr, 0, old_end)
    });
    let end = u64::from(settings.epochs) * steps_per_epoch;
    plan.move_horizon(step, end, settings.lr_schedule);
    plan
}

/// Why `record` cannot be resumed, as the error.
fn cannot_resume(record: &RunRecord) -> impl Fn(String) -> TrainError + '_ {
    |why| TrainError::CannotResume {
        run_id: record.id.clone(),
        why,
    }
}

/// The total epochs of `record` continued for `more_epochs` (at least 1) more, or its
/// planned total when `None` (some must be left). Its settings must pass a new run's
/// checks, and so must its last learning rate set by hand and the new total (at most
/// [`MAX_EPOCHS`]).
fn resumable_total(record: &RunRecord, more_epochs: Option<u32>) -> Result<u32, TrainError> {
    let cannot = cannot_resume(record);
    record
        .config
        .validate()
        .map_err(|e| cannot(format!("run.ron has invalid settings: {e}")))?;
    if let Some(change) = record.lr_changes.last() {
        check_lr(change.lr).map_err(|e| {
            cannot(format!(
                "run.ron's last learning-rate change is invalid: {e}"
            ))
        })?;
    }
    let done = record.epochs_done();
    let Some(more) = more_epochs else {
        let planned = record.config.epochs;
        return if done < planned {
            Ok(planned)
        } else {
            Err(cannot(format!(
                "its {planned} planned epoch(s) are done; say how many to add (--epochs N)"
            )))
        };
    };
    let total = done.saturating_add(more.max(1));
    check_epochs(total).map_err(|_| {
        cannot(format!(
            "{done} epoch(s) done, adding {} would make {total}; at most {MAX_EPOCHS} \
             epochs in all",
            more.max(1)
        ))
    })?;
    Ok(total)
}

/// Whether `data` is what `record` trained on: the same dataset and, when the record
/// kept them, the same files (by their SHA-256).
fn same_data(record: &RunRecord, data: &LoadedDataset) -> Result<(), String> {
    let (was, now) = (&record.dataset, &data.info);
    if was.name != now.name {
        return Err(format!(
            "it trained on {} but {} is loaded",
            was.name, now.name
        ));
    }
    for (a, b) in was.files.iter().zip(&now.files) {
        if a != b {
            return Err(format!(
                "it trained on another {}: its {} had SHA-256 {}, the one loaded has {}",
                was.name, a.file, a.sha256, b.sha256
            ));
        }
    }
    Ok(())
}

/// The standardisation `record`'s images get: its dataset's, if it normalises.
pub fn input_norm(record: &RunRecord) -> Option<Norm> {
    record.config.normalize.then_some(record.dataset.norm)
}

/// `record`'s learner from its saved weights and optimiser state (with its last rate
/// set by hand), checked to be from the record's last epoch ([`check_checkpoint`]).
fn load_checkpoint(
    record: &RunRecord,
    train_size: usize,
    store: &RunStore,
) -> Result<Learner, TrainError> {
    let cannot = cannot_resume(record);
    let settings = &record.config;
    let weights = store.weights_path(&record.id);
    let network =
        Network::load_for_classes(&settings.network(), record.dataset.class_count(), &weights)
            .map_err(|e| cannot(e.to_string()))?;
    let mut optimizer = settings.optimizer_settings();
    if let Some(change) = record.lr_changes.last() {
        optimizer.lr = change.lr;
    }
    let mut learner = Learner::new(network, optimizer).with_seed(settings.seed);
    let optimizer_path = store.optimizer_path(&record.id);
    learner
        .load_optimizer(&optimizer_path)
        .map_err(|e| cannot(e.to_string()))?;
    let done = record.epochs_done();
    let expected_step =
        u64::from(done).saturating_mul(train_size.div_ceil(settings.batch_size) as u64);
    check_checkpoint(
        &weights,
        &optimizer_path,
        done,
        expected_step,
        learner.steps(),
    )
    .map_err(cannot)?;
    Ok(learner)
}

impl<'a> Session<'a> {
    /// Creates a new run or reopens a saved one ([`Opened`]), records a new one, and
    /// announces it. A new run that cannot be recorded leaves no folder behind.
    fn open(
        job: TrainJob,
        data: &LoadedDataset,
        store: &'a RunStore,
        controls: &'a Receiver<Control>,
        events: &'a Events,
    ) -> Result<Self, TrainError> {
        if data.train.is_empty() || data.test.is_empty() {
            return Err(TrainError::failed("no data loaded"));
        }
        let Opened {
            mut record,
            learner,
            lock,
            origin,
        } = match job {
            TrainJob::New(settings) => Opened::new_run(settings, None, data, store)?,
            TrainJob::Point { settings, sweep } => {
                Opened::new_run(settings, Some(sweep), data, store)?
            }
            TrainJob::Resume {
                run_id,
                more_epochs,
            } => Opened::resume(&run_id, more_epochs, data, store)?,
        };
        let split = match split_of(&record, data) {
            Ok(split) => split,
            Err(why) => {
                if origin.is_none() {
                    let _ = std::fs::remove_dir_all(store.run_dir(&record.id));
                }
                return Err(TrainError::Failed(why));
            }
        };
        let (train_size, test_size) = (split.train.len(), split.test.len());
        record.train_size = train_size;
        record.val_size = split.validation.len();
        record.test_size = test_size;
        record.params = learner.network().param_count();
        // What this session's numbers depend on besides the settings (saved with the
        // first epoch it adds, like everything a resume changes).
        record.sessions.push(Provenance::current(
            record.config.batch_size,
            record.epochs_done(),
        ));
        if origin.is_none()
            && let Err(e) = store.save_record(&record)
        {
            let _ = std::fs::remove_dir_all(store.run_dir(&record.id));
            return Err(TrainError::failed(e));
        }
        let batch_size = record.config.batch_size;
        let start_epoch = record.epochs_done();
        let steps_per_epoch = train_size.div_ceil(batch_size) as u64;
        let step = u64::from(start_epoch) * steps_per_epoch;
        let plan = session_plan(&record, origin.as_ref(), &learner, step, steps_per_epoch);
        record.lr_plan = Some(plan.clone());
        events.send(TrainEvent::Started {
            run_id: record.id.clone(),
            settings: record.config.clone(),
            train_size,
            test_size,
            params: record.params,
            start_epoch,
        });
        Ok(Session {
            plan,
            split,
            start_epoch,
            total_epochs: record.config.epochs,
            record,
            learner,
            store,
            events,
            controls,
            step,
            origin,
            _lock: lock,
        })
    }

    /// Trains until every epoch is done, a stop is asked, or something fails.
    fn run(&mut self, data: &LoadedDataset) -> Result<Steer, String> {
        let settings = self.record.config.clone();
        let batches_per_epoch = self.record.train_size.div_ceil(settings.batch_size);
        let mut epoch = self.record.epochs_done() + 1;
        while epoch <= self.total_epochs {
            let Some(tally) = self.train_epoch(data, &settings, epoch, batches_per_epoch)? else {
                return Ok(Steer::Stop);
            };
            self.end_epoch(data, &settings, epoch, &tally)?;
            if let Some(stop) = self.early_stop(settings.patience, epoch) {
                return Ok(Steer::StopEarly(stop));
            }
            epoch += 1;
        }
        Ok(Steer::Continue)
    }

    /// Trains the batches of epoch `epoch`, applying control messages before each one,
    /// and sends its loss points and progress. `None` if a stop was asked.
    fn train_epoch(
        &mut self,
        data: &LoadedDataset,
        settings: &TrainSettings,
        epoch: u32,
        batches_per_epoch: usize,
    ) -> Result<Option<EpochTally>, String> {
        let train_size = self.record.train_size;
        let mut tally = EpochTally::start();
        let order = epoch_samples(&self.split, settings.seed, epoch);
        for (batch_index, indices) in order.batches(settings.batch_size).enumerate() {
            let pause_started = Instant::now();
            if let Steer::Stop =
                self.poll_controls(&data.train, epoch, batch_index, batches_per_epoch)?
            {
                return Ok(None);
            }
            tally.exclude_pause(pause_started);
            // The one rate computation per batch.
            self.learner.set_lr(self.plan.rate_at(self.step));
            let outcome = train_step(
                &mut self.learner,
                &data.train,
                indices,
                settings,
                input_norm(&self.record),
                epoch,
            )
            .map_err(|e| e.to_string())?;
            self.step += 1;
            check_loss(outcome.loss, epoch, self.step, self.learner.optimizer().lr)?;
            tally.add(outcome.loss, outcome.correct, indices.len());
            let done = batch_index + 1;
            if let Some((loss, samples_per_sec)) = tally.window.take_full(settings.log_every) {
                let point = LossPoint {
                    epoch,
                    step: self.step,
                    x: (epoch - 1) as f64 + done as f64 / batches_per_epoch as f64,
                    loss,
                    lr: Some(self.learner.optimizer().lr),
                };
                self.record.losses.push(point);
                self.events.send(TrainEvent::Loss {
                    point,
                    samples_per_sec,
                });
            }
            if tally.progress_due(done == batches_per_epoch) {
                let secs = tally.busy().as_secs_f64();
                self.events.send(TrainEvent::Progress {
                    epoch,
                    batch: done,
                    batches_per_epoch,
                    samples_per_sec: (done * settings.batch_size).min(train_size) as f64
                        / secs.max(1e-9),
                });
            }
        }
        Ok(Some(tally))
    }

    /// Ends epoch `epoch`: scores the validation images (and the test set if asked
    /// every epoch), records the epoch's metrics and which weights the run keeps, saves
    /// the checkpoint, then announces the epoch.
    fn end_epoch(
        &mut self,
        data: &LoadedDataset,
        settings: &TrainSettings,
        epoch: u32,
        tally: &EpochTally,
    ) -> Result<(), String> {
        self.events.send(TrainEvent::Evaluating { epoch });
        let network = self.learner.network();
        let val = if self.split.validation.is_empty() {
            None
        } else {
            Some(evaluate(
                network,
                &data.train,
                &self.split.validation,
                input_norm(&self.record),
            )?)
        };
        let test = if settings.test_each_epoch {
            Some(evaluate(
                network,
                &data.test,
                &self.split.test,
                input_norm(&self.record),
            )?)
        } else {
            None
        };
        let train_size = self.record.train_size;
        let metrics = EpochMetrics {
            epoch,
            train_loss: (tally.loss_sum / train_size as f64) as f32,
            train_acc: tally.correct as f32 / train_size as f32,
            val_loss: val.as_ref().map(EvalTotals::mean_loss),
            val_acc: val.as_ref().map(EvalTotals::accuracy),
            val_precision: val.as_ref().map(EvalTotals::precision).unwrap_or_default(),
            val_recall: val.as_ref().map(EvalTotals::recall).unwrap_or_default(),
            test_loss: test.as_ref().map(EvalTotals::mean_loss),
            test_acc: test.as_ref().map(EvalTotals::accuracy),
            seconds: tally.busy().as_secs_f64(),
            dead_outputs: val
                .as_ref()
                .or(test.as_ref())
                .map(EvalTotals::dead_outputs)
                .unwrap_or_default(),
        };
        self.record.epochs.push(metrics.clone());
        let keep_this = match settings.keep {
            KeepWeights::Last => true,
            KeepWeights::Best => {
                best_by_validation(&self.record.epochs).is_none_or(|b| b.epoch == epoch)
            }
        };
        self.save_checkpoint(keep_this)?;
        self.events.send(TrainEvent::EpochEnd(metrics));
        Ok(())
    }

    /// Whether early stopping ends the run after `epoch`: `patience` epochs have passed
    /// without a lower validation loss, counted from the best epoch or from the start
    /// of this session (a resumed run gets its full patience again).
    fn early_stop(&self, patience: Option<u32>, epoch: u32) -> Option<EarlyStop> {
        early_stop_after(&self.record.epochs, patience, self.start_epoch, epoch)
    }

    /// Applies waiting control messages; while paused, blocks until resumed or stopped.
    fn poll_controls(
        &mut self,
        train: &Samples,
        epoch: u32,
        batch_index: usize,
        batches_per_epoch: usize,
    ) -> Result<Steer, String> {
        let mut paused = false;
        loop {
            let message = if paused {
                match self.controls.recv() {
                    Ok(m) => m,
                    // Nobody can resume us any more: stop cleanly.
                    Err(_) => return Ok(Steer::Stop),
                }
            } else {
                match self.controls.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => {
                        return Ok(Steer::Continue);
                    }
                }
            };
            match message {
                Control::Pause if !paused => {
                    paused = true;
                    self.events.send(TrainEvent::Paused);
                }
                Control::Resume if paused => {
                    paused = false;
                    self.events.send(TrainEvent::Resumed);
                }
                Control::Pause | Control::Resume => {}
                Control::Stop => return Ok(Steer::Stop),
                Control::SetLr(lr) => {
                    // The settings' check; a rate it refuses is ignored.
                    if check_lr(lr).is_ok() {
                        let schedule = self.record.config.lr_schedule;
                        self.plan.set_rate(self.step, lr, schedule);
                        self.record.lr_plan = Some(self.plan.clone());
                        let change = LrChange {
                            step: self.step + 1,
                            x: (epoch - 1) as f64 + batch_index as f64 / batches_per_epoch as f64,
                            lr,
                        };
                        self.record.lr_changes.push(change);
                        self.events.send(TrainEvent::LrChanged(change));
                    }
                }
                Control::AddEpochs(n) => {
                    self.total_epochs = self.total_epochs.saturating_add(n).min(MAX_EPOCHS);
                    self.record.config.epochs = self.total_epochs;
                    let end = u64::from(self.total_epochs) * batches_per_epoch as u64;
                    let schedule = self.record.config.lr_schedule;
                    self.plan.move_horizon(self.step, end, schedule);
                    self.record.lr_plan = Some(self.plan.clone());
                    self.events.send(TrainEvent::EpochsChanged {
                        total: self.total_epochs,
                    });
                }
                Control::FindLr(plan) => {
                    // On a copy, from the run's own training samples; its time is left
                    // out of the epoch's like a pause.
                    let indices = self.split.train.clone();
                    let found = lr_find::find(
                        &self.learner,
                        train,
                        input_norm(&self.record),
                        &indices,
                        &self.record.config,
                        plan,
                        &mut |p| {
                            self.events.send(TrainEvent::FindingLr(p));
                            true
                        },
                    );
                    self.events.send(TrainEvent::LrFound(found));
                }
            }
        }
    }

    /// Scores the test set once, on the weights the run keeps, as the run's reported
    /// figures.
    fn final_test(&self, data: &LoadedDataset) -> Result<RunSummary, String> {
        let path = self.store.kept_weights_path(&self.record);
        let tested_epoch = self.record.kept_epoch.unwrap_or(self.record.epochs_done());
        let kept;
        let network = if path == self.store.weights_path(&self.record.id) {
            self.learner.network()
        } else {
            kept = self
                .store
                .load_kept(&self.record)
                .map_err(|e| format!("cannot load the kept weights: {e}"))?;
            &kept
        };
        test_summary(
            network,
            data,
            &self.split.test,
            input_norm(&self.record),
            tested_epoch,
            self.record.seconds(),
        )
    }

    /// Saves weights and optimiser state, then (if `keep_this`) the weights as the
    /// run's kept ones, then the record (each atomically and durably), so the record
    /// never claims an epoch whose weights are not on disk. The tensor files carry the
    /// epoch and step in their metadata: a crash between two renames leaves files that
    /// disagree, which resume detects.
    fn save_checkpoint(&mut self, keep_this: bool) -> Result<(), String> {
        let id = &self.record.id;
        let epoch = self.record.epochs_done();
        let tag = Some(CheckpointTag {
            epoch,
            step: self.learner.steps(),
        });
        save_atomic(&self.store.weights_path(id), |p| {
            self.learner.network().save_tagged(p, tag)
        })?;
        save_atomic(&self.store.optimizer_path(id), |p| {
            self.learner.save_optimizer_tagged(p, tag)
        })?;
        if keep_this {
            if self.record.config.keep == KeepWeights::Best {
                save_atomic(&self.store.best_weights_path(id), |p| {
                    self.learner.network().save_tagged(p, tag)
                })?;
            }
            self.record.kept_epoch = Some(epoch);
        }
        self.store
            .save_record(&self.record)
            .map_err(|e| format!("cannot save the run: {e}"))
    }

    fn finish(&mut self, data: &LoadedDataset) -> Result<(), String> {
        self.end(
            data,
            RunStatus::Finished,
            TrainEvent::Finished { test_acc: 0.0 },
        )
    }

    /// Saves the final status and sends the terminal event. A run that trained an
    /// epoch and finished or stopped first scores its kept weights on the test set
    /// ([`TrainEvent::Tested`]). A resume that ends before saving a new epoch leaves a
    /// finished, stopped or failed run's record as it was (its summary and status stay
    /// good); an interrupted one gets the new status.
    fn end(
        &mut self,
        data: &LoadedDataset,
        status: RunStatus,
        mut event: TrainEvent,
    ) -> Result<(), String> {
        let trained = match &self.origin {
            Some(origin) => self.record.epochs.len() != origin.epochs.len(),
            None => true,
        };
        if let Some(origin) = &self.origin
            && !trained
            && !matches!(origin.status, RunStatus::Running | RunStatus::Interrupted)
        {
            if let TrainEvent::Finished { test_acc } = &mut event {
                *test_acc = origin.test_acc().unwrap_or(0.0);
            }
            self.events.send(event);
            return Ok(());
        }
        let mut tested = Ok(());
        if !matches!(status, RunStatus::Failed(_))
            && !self.record.epochs.is_empty()
            && (trained || self.record.summary.is_none())
        {
            self.events.send(TrainEvent::Evaluating {
                epoch: self.record.epochs_done(),
            });
            match self.final_test(data) {
                Ok(summary) => {
                    self.events.send(TrainEvent::Tested {
                        epoch: summary.test_epoch.unwrap_or(0),
                        test_acc: summary.test_acc,
                        test_loss: summary.test_loss,
                    });
                    self.record.summary = Some(summary);
                }
                Err(e) => tested = Err(e),
            }
        }
        if let TrainEvent::Finished { test_acc } = &mut event {
            *test_acc = self.record.test_acc().unwrap_or(0.0);
        }
        self.record.status = match (&tested, status) {
            (Err(e), _) => RunStatus::Failed(e.clone()),
            (Ok(()), status) => status,
        };
        self.record.ended_at = Some(OffsetDateTime::now_utc());
        self.record.config.epochs = self.total_epochs;
        let saved = self.store.save_record(&self.record);
        if let Err(e) = &tested {
            event = TrainEvent::Failed { reason: e.clone() };
        }
        self.events.send(event);
        saved.map_err(|e| format!("cannot save the run: {e}"))
    }
}

/// The running figures of one epoch: its time less pauses, its loss and accuracy
/// totals, the loss window and when progress was last sent.
struct EpochTally {
    started: Instant,
    /// Time spent paused (waiting in `poll_controls`), left out of the epoch's time.
    paused_for: Duration,
    /// Sum of each batch's mean loss times its size.
    loss_sum: f64,
    /// Training samples predicted right.
    correct: usize,
    window: LossWindow,
    last_progress: Instant,
}

impl EpochTally {
    fn start() -> Self {
        let now = Instant::now();
        EpochTally {
            started: now,
            paused_for: Duration::ZERO,
            loss_sum: 0.0,
            correct: 0,
            window: LossWindow::start(),
            last_progress: now,
        }
    }

    /// Leaves the time since `since` (spent applying control messages, so possibly
    /// paused) out of the epoch's time, but for 1 ms of polling.
    fn exclude_pause(&mut self, since: Instant) {
        self.paused_for += since.elapsed().saturating_sub(Duration::from_millis(1));
    }

    /// Counts one batch of `samples` samples whose mean loss was `loss`.
    fn add(&mut self, loss: f32, correct: usize, samples: usize) {
        self.loss_sum += loss as f64 * samples as f64;
        self.correct += correct;
        self.window.add(loss, samples);
    }

    /// Whether a `Progress` event is due ([`PROGRESS_INTERVAL`] since the last one, or
    /// the epoch's `last` batch); if so, the interval starts again.
    fn progress_due(&mut self, last: bool) -> bool {
        let due = last || self.last_progress.elapsed() >= PROGRESS_INTERVAL;
        if due {
            self.last_progress = Instant::now();
        }
        due
    }

    /// The epoch's time so far, pauses left out.
    fn busy(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.paused_for)
    }
}

/// The batches since the last loss point (a point every `log_every` batches; a
/// partial window at the end of an epoch is dropped).
struct LossWindow {
    loss: f64,
    batches: u32,
    samples: usize,
    started: Instant,
}

impl LossWindow {
    fn start() -> Self {
        LossWindow {
            loss: 0.0,
            batches: 0,
            samples: 0,
            started: Instant::now(),
        }
    }

    fn add(&mut self, loss: f32, samples: usize) {
        self.loss += loss as f64;
        self.batches += 1;
        self.samples += samples;
    }

    /// Once `log_every` batches are in: their mean loss and the samples per second
    /// since the window started, and a new window.
    fn take_full(&mut self, log_every: u32) -> Option<(f32, f64)> {
        if self.batches != log_every {
            return None;
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let taken = (
            (self.loss / self.batches as f64) as f32,
            self.samples as f64 / secs,
        );
        *self = LossWindow::start();
        Some(taken)
    }
}

/// A non-finite loss ends the run: the reason says where and suggests why.
fn check_loss(loss: f32, epoch: u32, step: u64, lr: f64) -> Result<(), String> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "loss became {loss} at epoch {epoch}, step {step} (learning rate {lr} too high?)"
        ))
    }
}

/// Writes a file through `write` with the durable writer ([`crate::fsutil`]): a
/// temporary sibling, fsync, rename over `path`, fsync of the folder.
fn save_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<(), crate::model::ModelError>,
) -> Result<(), String> {
    crate::fsutil::write_atomic_to_path(path, |tmp| {
        write(tmp).map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| format!("cannot save {}: {e}", path.display()))
}

/// Checks that a run's weights (`weights`), optimiser state (`optimizer`) and record
/// (`done` epochs, so `expected_step` optimiser steps) are from the same checkpoint.
/// Files without tags (written before tags existed) are checked by the step count.
fn check_checkpoint(
    weights: &std::path::Path,
    optimizer: &std::path::Path,
    done: u32,
    expected_step: u64,
    optimizer_steps: u64,
) -> Result<(), String> {
    let tag_of =
        |p: &std::path::Path| crate::model::read_checkpoint_tag(p).map_err(|e| e.to_string());
    let (w, o) = (tag_of(weights)?, tag_of(optimizer)?);
    let describe = |t: Option<CheckpointTag>| match t {
        Some(t) => format!("epoch {} (step {})", t.epoch, t.step),
        None => "an untagged checkpoint".to_string(),
    };
    if w != o {
        return Err(format!(
            "checkpoint files disagree: {} is from {}, {} from {} (a crash between two \
             saves?); run.ron says {done} epoch(s)",
            weights.display(),
            describe(w),
            optimizer.display(),
            describe(o)
        ));
    }
    if let Some(t) = w
        && t.epoch != done
    {
        return Err(format!(
            "checkpoint files are from {} but run.ron says {done} epoch(s) (a crash \
             between two saves?)",
            describe(w)
        ));
    }
    let tagged_step = w.map_or(expected_step, |t| t.step);
    if optimizer_steps != expected_step || tagged_step != expected_step {
        return Err(format!(
            "{} has taken {optimizer_steps} steps (checkpoint says {tagged_step}) but \
             {done} epoch(s) of this run make {expected_step}",
            optimizer.display()
        ));
    }
    Ok(())
}

/// One training step of epoch `epoch` on the samples `indices` of `data`: the
/// threads that train on them vary the images (the `augment` setting, drawn from the
/// seed, the epoch and each sample's index) and turn their pixels into `f32`
/// (normalised if asked). The trainer and `mnist-tui bench` both step through here.
pub fn train_step(
    learner: &mut Learner,
    data: &Samples,
    indices: &[usize],
    settings: &TrainSettings,
    norm: Option<Norm>,
    epoch: u32,
) -> Result<StepOutcome, crate::model::ModelError> {
    learner.train_source(&SampleBatch {
        data,
        indices,
        norm,
        augment: Some(Augmentation {
            kind: settings.augment,
            seed: settings.seed,
            epoch,
        }),
    })
}

/// Whether early stopping ends a run with `epochs` after `epoch` (see
/// [`Session::early_stop`]): `patience` epochs since the later of the lowest validation
/// loss and the session's start `start_epoch`.
fn early_stop_after(
    epochs: &[EpochMetrics],
    patience: Option<u32>,
    start_epoch: u32,
    epoch: u32,
) -> Option<EarlyStop> {
    let patience = patience?;
    let best = best_by_validation(epochs)?.epoch;
    (epoch.saturating_sub(best.max(start_epoch)) >= patience).then_some(EarlyStop {
        best_epoch: best,
        last_epoch: epoch,
        patience,
    })
}

/// The training samples of epoch `epoch` in the order they are trained: a seeded
/// shuffle of the split's training samples (never a validation one).
fn epoch_samples(split: &Split, seed: u64, epoch: u32) -> EpochOrder {
    let mut order = EpochOrder::shuffled(split.train.len(), seed, epoch);
    for i in order.indices.iter_mut() {
        *i = split.train[*i];
    }
    order
}

/// The final figures of `network` on the test images `indices` of `data` (inputs
/// standardised by `norm`): what a run reports once it ends, after `seconds` of
/// training, its weights those of epoch `tested_epoch`.
pub fn test_summary(
    network: &Network,
    data: &LoadedDataset,
    indices: &[usize],
    norm: Option<Norm>,
    tested_epoch: u32,
    seconds: f64,
) -> Result<RunSummary, String> {
    let totals = evaluate(network, &data.test, indices, norm)?;
    Ok(RunSummary {
        test_acc: totals.accuracy(),
        test_loss: totals.mean_loss(),
        test_epoch: Some(tested_epoch),
        seconds,
        confusion: totals.confusion_rows(),
        test_precision: totals.precision(),
        test_recall: totals.recall(),
        dead_outputs: totals.dead_outputs(),
    })
}

/// Evaluates `network` on the samples `indices` of `data` (never varied).
pub fn evaluate(
    network: &Network,
    data: &Samples,
    indices: &[usize],
    norm: Option<Norm>,
) -> Result<EvalTotals, String> {
    let (outputs, labels) = network
        .logits_of(&SampleBatch {
            data,
            indices,
            norm,
            augment: None,
        })
        .map_err(|e| e.to_string())?;
    let mut totals = EvalTotals::new(network.classes());
    totals.add(&outputs, &labels);
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::train::SettingError;

    /// One blank image per split: enough for the trainer to open a session.
    fn one_image() -> Arc<LoadedDataset> {
        let split = || Samples {
            images: vec![0; 784],
            labels: vec![0],
        };
        Arc::new(LoadedDataset {
            train: split(),
            test: split(),
            info: Default::default(),
        })
    }

    /// Runs `job` to its end; its events and [`TrainerHandle::wait`]'s result.
    fn run_job(job: TrainJob, store: &RunStore) -> (Vec<TrainEvent>, Result<(), TrainError>) {
        let mut handle = spawn(job, one_image(), store.clone());
        let mut events = Vec::new();
        while let Some(e) = handle.blocking_recv() {
            events.push(e);
        }
        (events, handle.wait())
    }

    #[test]
    fn a_run_locked_by_another_trainer_is_refused_with_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let settings = TrainSettings::preset(Preset::Mlp);
        let now = OffsetDateTime::now_utc();
        let id = store.create_run_dir(&settings.model, now).unwrap();
        store
            .save_record(&RunRecord::new(id.clone(), settings, now))
            .unwrap();
        let _held = store.lock(&id).unwrap();
        let (events, result) = run_job(
            TrainJob::Resume {
                run_id: id.clone(),
                more_epochs: Some(1),
            },
            &store,
        );
        assert_eq!(result, Err(TrainError::Locked(id.clone())));
        let reason = format!(
            "cannot resume: run {id} is being trained by another process (its lock is \
             held); stop that first"
        );
        assert_eq!(events, vec![TrainEvent::Failed { reason }]);
    }

    #[test]
    fn each_session_records_how_it_was_computed() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut settings = TrainSettings::preset(Preset::Mlp);
        settings.epochs = 1;
        settings.validation = 0;
        let (_, result) = run_job(TrainJob::New(settings.clone()), &store);
        assert_eq!(result, Ok(()));
        let id = store.list().unwrap().0[0].id.clone();
        let (_, result) = run_job(
            TrainJob::Resume {
                run_id: id.clone(),
                more_epochs: Some(1),
            },
            &store,
        );
        assert_eq!(result, Ok(()));
        let record = store.load(&id).unwrap();
        let from: Vec<u32> = record.sessions.iter().map(|s| s.from_epoch).collect();
        assert_eq!(from, vec![0, 1], "the start, then the resume");
        for session in &record.sessions {
            assert_eq!(
                session.compute,
                crate::model::compute_profile(settings.batch_size)
            );
            assert_eq!(session.build, crate::runs::record::build_name());
            assert!(!session.command_line.is_empty());
        }
        assert!(
            record.sessions[0]
                .build
                .starts_with(env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn invalid_settings_are_refused_before_a_run_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut settings = TrainSettings::preset(Preset::Mlp);
        settings.batch_size = 0;
        let (events, result) = run_job(TrainJob::New(settings), &store);
        assert_eq!(
            result,
            Err(TrainError::InvalidSettings(SettingError::BatchSize(0)))
        );
        let reason = "invalid settings: batch size 0 must be in 1..=8192".to_string();
        assert_eq!(events, vec![TrainEvent::Failed { reason }]);
        assert!(store.list().unwrap().0.is_empty());
    }

    #[test]
    fn no_epoch_trains_on_a_validation_image() {
        use crate::data::{Sampling, SplitSizes};
        let sizes = SplitSizes {
            validation: 300,
            max_train: Some(500),
            max_test: None,
        };
        let split = Split::new(Sampling::Permuted, 2000, 100, sizes).unwrap();
        let held_out: std::collections::HashSet<usize> = split.validation.iter().copied().collect();
        let mut wanted = split.train.clone();
        wanted.sort_unstable();
        for epoch in 1..=5 {
            let order = epoch_samples(&split, 7, epoch);
            assert!(order.indices.iter().all(|i| !held_out.contains(i)));
            let mut seen = order.indices.clone();
            seen.sort_unstable();
            assert_eq!(seen, wanted, "each epoch trains every training sample once");
        }
    }

    /// A record whose epochs had these validation losses, after session start `start`.
    fn session_with_losses(losses: &[f32]) -> Vec<EpochMetrics> {
        losses
            .iter()
            .enumerate()
            .map(|(i, &l)| EpochMetrics {
                epoch: i as u32 + 1,
                val_loss: Some(l),
                val_acc: Some(1.0 - l),
                ..EpochMetrics::default()
            })
            .collect()
    }

    #[test]
    fn early_stopping_waits_patience_epochs_after_the_best_one() {
        let stop = |losses: &[f32], patience: u32, start: u32| {
            let epochs = session_with_losses(losses);
            early_stop_after(&epochs, Some(patience), start, epochs.len() as u32)
        };
        // Best at epoch 2, then three epochs without a lower loss.
        let curve = [0.5, 0.3, 0.31, 0.35, 0.3];
        assert_eq!(stop(&curve[..4], 3, 0), None, "two epochs since the best");
        assert_eq!(
            stop(&curve, 3, 0),
            Some(EarlyStop {
                best_epoch: 2,
                last_epoch: 5,
                patience: 3
            }),
            "a tie is no improvement"
        );
        assert_eq!(stop(&curve, 4, 0), None);
        // Still improving: never.
        assert_eq!(stop(&[0.5, 0.4, 0.3, 0.2], 1, 0), None);
        // A resumed session counts from where it started.
        assert_eq!(stop(&curve, 3, 4), None);
        // Off, or no validation figures: never.
        let epochs = session_with_losses(&curve);
        assert_eq!(early_stop_after(&epochs, None, 0, 5), None);
        let blind: Vec<EpochMetrics> = epochs
            .iter()
            .map(|e| EpochMetrics {
                val_loss: None,
                ..e.clone()
            })
            .collect();
        assert_eq!(early_stop_after(&blind, Some(1), 0, 5), None);
    }

    #[test]
    fn non_finite_losses_end_the_run_with_a_reason() {
        assert!(check_loss(2.3, 1, 5, 0.1).is_ok());
        let nan = check_loss(f32::NAN, 2, 17, 0.8).unwrap_err();
        assert_eq!(
            nan,
            "loss became NaN at epoch 2, step 17 (learning rate 0.8 too high?)"
        );
        assert!(
            check_loss(f32::INFINITY, 1, 1, 1.0)
                .unwrap_err()
                .contains("inf")
        );
    }
}
