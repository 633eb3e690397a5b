//! Why the trainer could not train a job, for callers that act on the reason (the
//! `Failed` event carries the same text).

use super::SettingError;
use crate::runs::StoreError;

/// Why a job ended in failure before or outside the training loop. A failure inside
/// the loop (a non-finite loss, a save that failed) is recorded in the run and sent
/// as text; this type is for the cases a caller tells apart.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The run to continue is being trained by another process (its lock is held):
    /// nothing was changed, and the run is not failed.
    #[error("cannot resume: {}", StoreError::Locked(.0.clone()))]
    Locked(String),
    /// A new run's settings are out of range; no run was created.
    #[error("invalid settings: {0}")]
    InvalidSettings(SettingError),
    /// The run to continue cannot be continued (its record, settings or checkpoint
    /// files are not usable, or there are too many epochs); it was left as it was.
    #[error("cannot resume {run_id}: {why}")]
    CannotResume {
        /// The run.
        run_id: String,
        /// What is wrong.
        why: String,
    },
    /// Anything else (no data, a store or save error, an internal error).
    #[error("{0}")]
    Failed(String),
}

impl TrainError {
    /// Any error, as its text.
    pub(crate) fn failed(e: impl std::fmt::Display) -> Self {
        TrainError::Failed(e.to_string())
    }
}
