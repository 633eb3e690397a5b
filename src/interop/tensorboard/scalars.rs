//! A run's curves as TensorBoard scalars, each tag on one x axis.
//!
//! - per logged loss point, at its batch `step`: `loss/train` and, when the record
//!   knows it, `lr` (the rate in effect at the point);
//! - per finished epoch, at the step of the epoch's last batch (epoch ×
//!   ⌈train size / batch size⌉, where the next epoch's steps start), so they line
//!   up with the loss points: `loss/train_epoch` (the epoch's mean),
//!   `accuracy/train`, `loss/validation` and `accuracy/validation` (runs with a
//!   validation split), `loss/test` and `accuracy/test` (runs tested every epoch),
//!   `time/epoch_seconds`;
//! - once, at the step of the kept weights' epoch, the run's final test figures:
//!   `final/test_loss`, `final/test_accuracy`.
//!
//! Accuracies are fractions (0–1), as in the record. Records keep no clock time per
//! point: an event's wall time is the run's start plus the training seconds up to it
//! (the epochs' own seconds, spread evenly over their batches).

use crate::runs::RunRecord;

/// Per loss point: the point's loss.
pub const LOSS_TRAIN: &str = "loss/train";
/// Per loss point: the learning rate.
pub const LR: &str = "lr";
/// Per epoch: the mean training loss.
pub const LOSS_TRAIN_EPOCH: &str = "loss/train_epoch";
/// Per epoch: training accuracy.
pub const ACCURACY_TRAIN: &str = "accuracy/train";
/// Per epoch: validation loss.
pub const LOSS_VALIDATION: &str = "loss/validation";
/// Per epoch: validation accuracy.
pub const ACCURACY_VALIDATION: &str = "accuracy/validation";
/// Per epoch: test loss (runs tested every epoch).
pub const LOSS_TEST: &str = "loss/test";
/// Per epoch: test accuracy (runs tested every epoch).
pub const ACCURACY_TEST: &str = "accuracy/test";
/// Per epoch: its wall-clock seconds.
pub const EPOCH_SECONDS: &str = "time/epoch_seconds";
/// Once: test loss of the weights the run keeps.
pub const FINAL_TEST_LOSS: &str = "final/test_loss";
/// Once: test accuracy of the weights the run keeps.
pub const FINAL_TEST_ACCURACY: &str = "final/test_accuracy";

/// The tags that judge a run in the HParams views (each run's last value).
pub const METRICS: [&str; 5] = [
    ACCURACY_VALIDATION,
    LOSS_VALIDATION,
    FINAL_TEST_ACCURACY,
    FINAL_TEST_LOSS,
    ACCURACY_TEST,
];

/// Values logged at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalars {
    /// The batch step.
    pub step: u64,
    /// Seconds since the Unix epoch.
    pub wall_time: f64,
    /// (tag, value) pairs.
    pub values: Vec<(&'static str, f32)>,
}

/// Batches in one epoch of `r` (at least 1).
pub fn steps_per_epoch(r: &RunRecord) -> u64 {
    r.train_size.div_ceil(r.config.batch_size.max(1)).max(1) as u64
}

/// Every scalar of `r`, in the order of their steps (a point and an epoch's end at the
/// same step: the point first), starting at `start` seconds since the Unix epoch.
pub fn scalars(r: &RunRecord, start: f64) -> Vec<Scalars> {
    let per_epoch = steps_per_epoch(r);
    let clock = Clock::new(r, start);
    let mut out: Vec<Scalars> = Vec::new();
    for p in &r.losses {
        let mut values = vec![(LOSS_TRAIN, p.loss)];
        if let Some(lr) = p.lr {
            values.push((LR, lr as f32));
        }
        out.push(Scalars {
            step: p.step,
            wall_time: clock.at(p.x),
            values,
        });
    }
    for e in &r.epochs {
        let mut values = vec![
            (LOSS_TRAIN_EPOCH, e.train_loss),
            (ACCURACY_TRAIN, e.train_acc),
        ];
        let optional = [
            (LOSS_VALIDATION, e.val_loss),
            (ACCURACY_VALIDATION, e.val_acc),
            (LOSS_TEST, e.test_loss),
            (ACCURACY_TEST, e.test_acc),
        ];
        values.extend(optional.into_iter().filter_map(|(t, v)| Some((t, v?))));
        values.push((EPOCH_SECONDS, e.seconds as f32));
        out.push(Scalars {
            step: u64::from(e.epoch) * per_epoch,
            wall_time: clock.at(f64::from(e.epoch)),
            values,
        });
    }
    if let Some(s) = &r.summary {
        let epoch = s.test_epoch.unwrap_or_else(|| r.epochs_done());
        out.push(Scalars {
            step: u64::from(epoch) * per_epoch,
            wall_time: clock.at(f64::from(r.epochs_done())),
            values: vec![
                (FINAL_TEST_LOSS, s.test_loss),
                (FINAL_TEST_ACCURACY, s.test_acc),
            ],
        });
    }
    out.sort_by_key(|s| s.step);
    out
}

/// The estimated wall time at a position in epochs.
struct Clock {
    /// The run's start, seconds since the Unix epoch.
    start: f64,
    /// Each finished epoch's seconds, in order.
    seconds: Vec<f64>,
    /// The mean of them (for a position in an unfinished epoch), 0 without any.
    mean: f64,
}

impl Clock {
    fn new(r: &RunRecord, start: f64) -> Self {
        let seconds: Vec<f64> = r.epochs.iter().map(|e| e.seconds.max(0.0)).collect();
        let mean = if seconds.is_empty() {
            0.0
        } else {
            seconds.iter().sum::<f64>() / seconds.len() as f64
        };
        Clock {
            start,
            seconds,
            mean,
        }
    }

    /// `start` plus the seconds spent up to position `x` (in epochs).
    fn at(&self, x: f64) -> f64 {
        let x = if x.is_finite() { x.max(0.0) } else { 0.0 };
        let whole = x.floor() as usize;
        let known = whole.min(self.seconds.len());
        let done = self.seconds[..known].iter().sum::<f64>() + (whole - known) as f64 * self.mean;
        let current = self.seconds.get(whole).copied().unwrap_or(self.mean);
        self.start + done + (x - whole as f64) * current
    }
}
