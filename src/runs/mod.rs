//! Runs on disk: each run lives in `runs/<id>/` with `run.ron`, `model.safetensors`
//! and `optimizer.safetensors` (what resuming needs), plus `.lock`, held by whoever
//! trains the run.

pub mod id;
pub mod lock;
pub mod record;
pub mod report;
pub mod store;

pub use id::new_run_id;
pub use lock::RunLock;
pub use record::{
    EarlyStop, ImportSource, ImportedFile, Provenance, RunRecord, RunStatus, RunSummary,
};
pub use store::{RunLoadError, RunStore, StoreError, best_finished, rank_by_validation};
