//! What the trainer tells its watchers, and what they may tell it.

use super::TrainSettings;
use super::lr_find::{FinderPlan, LrFinding, Progress};
use serde::{Deserialize, Serialize};

/// One logged loss value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    /// 1-based epoch the batch belongs to.
    pub epoch: u32,
    /// Global batch number since the run began (1-based).
    pub step: u64,
    /// Position in epochs (e.g. 1.25 = a quarter into the second epoch), so runs with
    /// other batch sizes line up on one axis.
    pub x: f64,
    /// Mean loss over the batches since the previous point.
    pub loss: f32,
    /// The learning rate in effect at this point (the rate of its last batch). `None`
    /// in records written before rates were recorded: unknown.
    #[serde(default)]
    pub lr: Option<f64>,
}

/// Metrics of one finished epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: u32,
    /// Mean training loss over the epoch.
    pub train_loss: f32,
    /// Training accuracy over the epoch (fraction 0–1, measured during training).
    pub train_acc: f32,
    /// Mean loss on the validation images, if the run holds any out.
    #[serde(default)]
    pub val_loss: Option<f32>,
    /// Accuracy on the validation images (fraction 0–1), if the run holds any out.
    #[serde(default)]
    pub val_acc: Option<f32>,
    /// Per-class precision on the validation images (class order; empty without them).
    #[serde(default)]
    pub val_precision: Vec<f32>,
    /// Per-class recall on the validation images (class order; empty without them).
    #[serde(default)]
    pub val_recall: Vec<f32>,
    /// Mean test loss, when the run tests every epoch (`test_each_epoch`; records from
    /// before validation splits always did). Shown, never used to choose.
    pub test_loss: Option<f32>,
    /// Test accuracy (fraction 0–1), when the run tests every epoch.
    pub test_acc: Option<f32>,
    /// Wall-clock seconds for the epoch (training and evaluation).
    pub seconds: f64,
    /// Classes whose output is 0 for every image scored after the epoch (validation, or
    /// test for runs without it): dead output units.
    #[serde(default)]
    pub dead_outputs: Vec<u8>,
}

impl EpochMetrics {
    /// The epoch's held-out scores for a line of text: `, val loss 0.0712 acc 97.84%`
    /// and, when tested every epoch, `, test loss … acc …% (tested each epoch)`.
    pub fn scores(&self) -> String {
        let mut text = String::new();
        if let (Some(loss), Some(acc)) = (self.val_loss, self.val_acc) {
            text += &format!(", val loss {loss:.4} acc {:.2}%", acc * 100.0);
        }
        if let (Some(loss), Some(acc)) = (self.test_loss, self.test_acc) {
            text += &format!(
                ", test loss {loss:.4} acc {:.2}% (tested each epoch)",
                acc * 100.0
            );
        }
        text
    }
}

/// A learning-rate change made while the run was going.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrChange {
    /// Global step from which the new rate applies.
    pub step: u64,
    /// Position in epochs.
    pub x: f64,
    /// The new learning rate.
    pub lr: f64,
}

/// Messages from the trainer.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// The run began (or resumed).
    Started {
        /// The run's id.
        run_id: String,
        /// Its settings.
        settings: TrainSettings,
        /// Training samples used.
        train_size: usize,
        /// Test samples used.
        test_size: usize,
        /// Trainable parameters.
        params: usize,
        /// Epochs already done (non-zero when resuming).
        start_epoch: u32,
    },
    /// A loss point (every `log_every` batches).
    Loss {
        /// The point.
        point: LossPoint,
        /// Training throughput since the previous point.
        samples_per_sec: f64,
    },
    /// Progress inside the current epoch (a few times a second).
    Progress {
        /// 1-based epoch.
        epoch: u32,
        /// Batches done in this epoch.
        batch: usize,
        /// Batches in one epoch.
        batches_per_epoch: usize,
        /// Recent training throughput.
        samples_per_sec: f64,
    },
    /// Evaluation after `epoch` has started (validation, and test if asked each epoch).
    Evaluating {
        /// 1-based epoch.
        epoch: u32,
    },
    /// An epoch ended; its metrics (the run is saved by now).
    EpochEnd(EpochMetrics),
    /// The learning rate was changed.
    LrChanged(LrChange),
    /// The total number of epochs was changed.
    EpochsChanged {
        /// New total.
        total: u32,
    },
    /// The learning-rate finder asked for by [`Control::FindLr`] is at this step (it
    /// trains a copy; the run waits).
    FindingLr(Progress),
    /// The finder asked for by [`Control::FindLr`] is done: what it found, or why it
    /// could not run. The run carries on as it was (or stays paused).
    LrFound(Result<LrFinding, String>),
    /// Training is paused.
    Paused,
    /// Training resumed after a pause.
    Resumed,
    /// The run's kept weights were scored on the test set (as it finishes or stops).
    Tested {
        /// The epoch the kept weights come from.
        epoch: u32,
        /// Test accuracy (fraction).
        test_acc: f32,
        /// Mean test loss.
        test_loss: f32,
    },
    /// Early stopping ended the run (a `Finished` follows).
    EarlyStopped(crate::runs::EarlyStop),
    /// All epochs done (or stopped early); the run is saved as finished.
    Finished {
        /// Test accuracy of the kept weights (fraction).
        test_acc: f32,
    },
    /// Stopped on request; the run is saved as stopped.
    Stopped,
    /// The run failed; the reason says why.
    Failed {
        /// Why.
        reason: String,
    },
}

impl TrainEvent {
    /// Whether this event ends the run (no event follows it).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TrainEvent::Finished { .. } | TrainEvent::Stopped | TrainEvent::Failed { .. }
        )
    }
}

/// Messages to the trainer. Each takes effect at the next batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    /// Pause after the current batch.
    Pause,
    /// Resume a paused run.
    Resume,
    /// Stop at the next batch and save the run as stopped.
    Stop,
    /// Use this learning rate from the next batch on.
    SetLr(f64),
    /// Train this many more epochs.
    AddEpochs(u32),
    /// Run the learning-rate finder on a copy of the run's current weights and
    /// optimiser state (reported by `FindingLr` and `LrFound`), then carry on as before:
    /// the run's weights, step count and batch order are untouched.
    FindLr(FinderPlan),
}
