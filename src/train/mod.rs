//! The trainer: trains on its own thread and streams [`TrainEvent`]s; takes [`Control`]s.

pub mod catalog;
pub mod error;
pub mod events;
pub mod lr_find;
pub mod metrics;
pub mod schedule;
pub mod settings;
pub mod trainer;

pub use catalog::{SETTINGS, Setting, Step};
pub use error::TrainError;
pub use events::{Control, EpochMetrics, LossPoint, LrChange, TrainEvent};
pub use schedule::{LrPlan, LrSchedule, SCHEDULES};
pub use settings::{KeepWeights, SettingError, TrainOverrides, TrainSettings, check_lr};
pub use trainer::{Controller, TrainJob, TrainerHandle, spawn};
