//! The run store: list, load, save atomically, delete.

use super::lock::{self, LockError, RunLock};
use super::{RunRecord, RunStatus};
use crate::model::{ModelError, Network, read_checkpoint_tag};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest `run.ron` read (a 1000-epoch run logging every batch stays well under
/// this); a larger file is reported as damaged instead of being read into memory.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;
/// The shortest prefix `runs rm` accepts (an exact id is always accepted).
pub const MIN_RM_PREFIX: usize = 8;
/// How long taking a run's lock waits for a reader that is probing it.
const LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// A problem with the store as a whole.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No run has this id.
    #[error("no run '{0}' (see `mnist-tui runs list`)")]
    NotFound(String),
    /// A run exists but its record cannot be used.
    #[error("{0}")]
    Damaged(RunLoadError),
    /// Another process (or another trainer in this one) is training the run.
    #[error("run {0} is being trained by another process (its lock is held); stop that first")]
    Locked(String),
    /// A typed id that does not name exactly one run.
    #[error("{0}")]
    Ambiguous(String),
    /// The run's folder was deleted while it was being saved; it is not recreated.
    #[error("run {id}: its folder {} was deleted; not recreating it", dir.display())]
    Deleted {
        /// The run.
        id: String,
        /// Its folder, which no longer exists.
        dir: PathBuf,
    },
}

/// A run that could not be loaded: which one and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("run {id}: {}: {problem}", path.display())]
pub struct RunLoadError {
    /// The run's id (its folder name).
    pub id: String,
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

/// The folder of runs (`runs/` by default).
#[derive(Debug, Clone)]
pub struct RunStore {
    root: PathBuf,
}

impl RunStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunStore { root: root.into() }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of run `id`.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Path of run `id`'s weights.
    pub fn weights_path(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("model.safetensors")
    }

    /// Path of run `id`'s best weights by validation loss (written when the `keep`
    /// setting is `best` and an epoch lowers the validation loss).
    pub fn best_weights_path(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("best.safetensors")
    }

    /// Path of the weights `record` keeps for predicting: its best epoch's, or its
    /// last epoch's (`model.safetensors`, which resuming continues from).
    pub fn kept_weights_path(&self, record: &RunRecord) -> PathBuf {
        match record.kept_epoch {
            Some(k) if k != record.epochs_done() => self.best_weights_path(&record.id),
            _ => self.weights_path(&record.id),
        }
    }

    /// The network `record` keeps for predicting, loaded from
    /// [`kept_weights_path`](Self::kept_weights_path). Best weights from another epoch
    /// than the record keeps (a crash between two saves) are refused, not used.
    pub fn load_kept(&self, record: &RunRecord) -> Result<Network, ModelError> {
        let path = self.kept_weights_path(record);
        if let Some(kept) = record.kept_epoch
            && path == self.best_weights_path(&record.id)
            && let Some(tag) = read_checkpoint_tag(&path)?
            && tag.epoch != kept
        {
            return Err(ModelError::BadFile {
                path,
                problem: format!(
                    "holds the weights of epoch {} but run.ron keeps epoch {kept} (a crash \
                     between two saves?)",
                    tag.epoch
                ),
            });
        }
        Network::load_for_classes(
            &record.config.network(),
            record.dataset.class_count(),
            &path,
        )
    }

    /// Path of run `id`'s optimiser state.
    pub fn optimizer_path(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("optimizer.safetensors")
    }

    /// Path of run `id`'s record.
    pub fn record_path(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("run.ron")
    }
}

impl RunStore {
    /// Creates the folder for a new run of `record.config.model` started at
    /// `record.started_at`, picking an id that no other run has (the folder is created
    /// exclusively, so two processes never share one). Returns the id.
    pub fn create_run_dir(
        &self,
        model: &crate::model::ModelName,
        at: time::OffsetDateTime,
    ) -> Result<String, StoreError> {
        std::fs::create_dir_all(&self.root).map_err(|source| StoreError::Io {
            path: self.root.clone(),
            source,
        })?;
        for salt in 0..1000u64 {
            let id = super::new_run_id(model, at, salt);
            let dir = self.run_dir(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(id),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(StoreError::Io { path: dir, source }),
            }
        }
        Err(StoreError::Io {
            path: self.root.clone(),
            source: std::io::Error::other("could not find a free run id"),
        })
    }

    /// Writes `record` to `runs/<id>/run.ron` atomically and durably. The run's folder
    /// must exist: a run deleted meanwhile stays deleted.
    pub fn save_record(&self, record: &RunRecord) -> Result<(), StoreError> {
        let dir = self.run_dir(&record.id);
        if !is_valid_id(&record.id) {
            return Err(StoreError::NotFound(record.id.clone()));
        }
        if !dir.is_dir() {
            return Err(StoreError::Deleted {
                id: record.id.clone(),
                dir,
            });
        }
        let path = self.record_path(&record.id);
        let text =
            ron::ser::to_string_pretty(record, ron::ser::PrettyConfig::default()).map_err(|e| {
                StoreError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                }
            })?;
        crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|source| {
            if dir.is_dir() {
                StoreError::Io { path, source }
            } else {
                StoreError::Deleted {
                    id: record.id.clone(),
                    dir,
                }
            }
        })
    }

    /// Takes run `id`'s lock, held for as long as the returned guard lives: a trainer
    /// holds it while it trains the run. Fails with [`StoreError::Locked`] if someone
    /// else holds it.
    pub fn lock(&self, id: &str) -> Result<RunLock, StoreError> {
        if !is_valid_id(id) {
            return Err(StoreError::NotFound(id.to_string()));
        }
        let dir = self.run_dir(id);
        if !dir.is_dir() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        lock::lock_within(&dir, LOCK_PATIENCE).map_err(|e| match e {
            LockError::Held => StoreError::Locked(id.to_string()),
            LockError::Io(source) => StoreError::Io {
                path: dir.join(lock::LOCK_FILE),
                source,
            },
        })
    }

    /// Whether someone holds run `id`'s lock (is training it now).
    pub fn is_locked(&self, id: &str) -> bool {
        is_valid_id(id) && lock::is_locked(&self.run_dir(id))
    }

    /// Loads run `id`'s record.
    pub fn load(&self, id: &str) -> Result<RunRecord, StoreError> {
        if !is_valid_id(id) || !self.run_dir(id).is_dir() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        self.load_record(id).map_err(StoreError::Damaged)
    }

    fn load_record(&self, id: &str) -> Result<RunRecord, RunLoadError> {
        let path = self.record_path(id);
        let fail = |problem: String| RunLoadError {
            id: id.to_string(),
            path: path.clone(),
            problem,
        };
        let bytes =
            crate::fsutil::read_capped(&path, MAX_RECORD_BYTES).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => fail("missing run.ron".to_string()),
                std::io::ErrorKind::InvalidData => {
                    fail(format!("larger than {MAX_RECORD_BYTES} bytes"))
                }
                _ => fail(e.to_string()),
            })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            fail(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let mut record: RunRecord = parse_record(&text).map_err(fail)?;
        if record.id != id {
            return Err(fail(format!(
                "record says id '{}' but lives in folder '{id}'",
                record.id
            )));
        }
        self.recheck_lock(&mut record);
        Ok(record)
    }

    /// Brings a running or interrupted `record` up to date with its lock: running
    /// while a process holds it, interrupted once none does (the trainer died: the
    /// kernel dropped its lock). Other statuses are final and left alone. Loading a
    /// record does this; a cache that keeps records between listings must do it again
    /// on every listing, since a trainer's death does not touch `run.ron`. Cheap (an
    /// open and a non-blocking `flock`). True if the status changed.
    pub fn recheck_lock(&self, record: &mut RunRecord) -> bool {
        if !matches!(record.status, RunStatus::Running | RunStatus::Interrupted) {
            return false;
        }
        let status = if self.is_locked(&record.id) {
            RunStatus::Running
        } else {
            RunStatus::Interrupted
        };
        let changed = record.status != status;
        record.status = status;
        changed
    }

    /// Every run, sorted by id (oldest first), and the runs that could not be loaded
    /// with what is wrong with each. A damaged run never hides the others.
    /// A missing store folder is an empty store.
    pub fn list(&self) -> Result<(Vec<RunRecord>, Vec<RunLoadError>), StoreError> {
        let ids = self.ids()?;
        let mut runs = Vec::new();
        let mut damaged = Vec::new();
        for id in ids {
            match self.load_record(&id) {
                Ok(r) => runs.push(r),
                Err(e) => damaged.push(e),
            }
        }
        Ok((runs, damaged))
    }

    /// The ids of every run folder, sorted (oldest first). A missing store folder is an
    /// empty store.
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|name| is_valid_id(name))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Deletes run `id` and everything in its folder. Refuses a run that is being
    /// trained (its lock is held); the lock is held while the folder is removed, so no
    /// trainer can start on it meanwhile.
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        let guard = self.lock(id)?;
        let dir = self.run_dir(id);
        let result =
            std::fs::remove_dir_all(&dir).map_err(|source| StoreError::Io { path: dir, source });
        drop(guard);
        result?;
        let _ = crate::fsutil::sync_dir(&self.root);
        Ok(())
    }

    /// Resolves a user-typed id: an exact id, or a unique prefix or suffix of one.
    pub fn resolve_id(&self, typed: &str) -> Result<String, StoreError> {
        if is_valid_id(typed) && self.run_dir(typed).is_dir() {
            return Ok(typed.to_string());
        }
        let entries =
            std::fs::read_dir(&self.root).map_err(|_| StoreError::NotFound(typed.into()))?;
        let matches: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| is_valid_id(n) && !typed.is_empty())
            .filter(|n| n.starts_with(typed) || n.ends_with(typed))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(StoreError::NotFound(typed.to_string())),
        }
    }

    /// Resolves the id typed to `runs rm`, more strictly than [`RunStore::resolve_id`]:
    /// an exact id of a run folder (even a damaged one), or a prefix of at least
    /// [`MIN_RM_PREFIX`] characters matching exactly one folder whose `run.ron` loads.
    /// Folders without a run's files are refused even by exact id; damaged runs are
    /// matched only by their exact id.
    pub fn resolve_for_delete(&self, typed: &str) -> Result<String, StoreError> {
        if !is_valid_id(typed) {
            return Err(StoreError::NotFound(typed.to_string()));
        }
        let dir = self.run_dir(typed);
        if dir.is_dir() {
            if self.record_path(typed).is_file() || looks_like_run_dir(&dir) {
                return Ok(typed.to_string());
            }
            return Err(StoreError::Ambiguous(format!(
                "{} is not a run folder (it holds no run.ron, model.safetensors or \
                 optimizer.safetensors); not deleting it",
                dir.display()
            )));
        }
        if typed.chars().count() < MIN_RM_PREFIX {
            return Err(StoreError::Ambiguous(format!(
                "no run is called '{typed}'; to delete by prefix, type at least \
                 {MIN_RM_PREFIX} characters of the id (see `mnist-tui runs list`)"
            )));
        }
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(_) => return Err(StoreError::NotFound(typed.to_string())),
        };
        let mut matches: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| is_valid_id(n) && n.starts_with(typed))
            .filter(|n| self.load_record(n).is_ok())
            .collect();
        matches.sort();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(StoreError::NotFound(typed.to_string())),
            many => Err(StoreError::Ambiguous(format!(
                "'{typed}' matches {} runs ({}); type more of the id",
                many.len(),
                many.join(", ")
            ))),
        }
    }
}

/// Whether `dir` holds any of a run's files (a damaged run may have lost `run.ron`).
fn looks_like_run_dir(dir: &Path) -> bool {
    [
        "model.safetensors",
        "optimizer.safetensors",
        lock::LOCK_FILE,
    ]
    .iter()
    .any(|f| dir.join(f).is_file())
}

/// Parses the text of a `run.ron`; the error says where and what is wrong.
///
/// Optional fields may be written bare (`test_acc: 0.98`): figures that every record
/// once had and new ones may lack became options. Records from before validation
/// splits scored the test set every epoch, and their settings say so.
pub fn parse_record(text: &str) -> Result<RunRecord, String> {
    let mut record: RunRecord = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e: ron::error::SpannedError| {
            format!(
                "malformed at line {}, column {}: {}",
                e.span.start.line, e.span.start.col, e.code
            )
        })?;
    if record.sampling == crate::data::Sampling::FirstN {
        record.config.test_each_epoch = true;
    }
    // Records from before networks were data name a preset and hold no layers.
    if record.config.layers.is_empty()
        && let Some(preset) = crate::model::Preset::named(record.config.model.as_str())
    {
        record.config.layers = preset.layers();
    }
    Ok(record)
}

/// Whether `id` can name a run folder: no path separators, no dot files.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The run `predict` and the Digit view use when none is named: among finished runs
/// whose kept weights are on disk, the one whose kept weights score best on its
/// validation images (the newest on a tie). Runs without validation figures (recorded
/// before validation splits) come after every run with them, newest first: the test
/// set chooses nothing.
pub fn best_finished<'a>(store: &RunStore, runs: &'a [RunRecord]) -> Option<&'a RunRecord> {
    runs.iter()
        .filter(|r| r.status == super::RunStatus::Finished)
        .filter(|r| store.kept_weights_path(r).is_file())
        .max_by(|a, b| rank_by_validation(a.val_acc(), b.val_acc()).then_with(|| a.id.cmp(&b.id)))
}

/// Orders two validation accuracies for choosing: any figure above none, then by value.
pub fn rank_by_validation(a: Option<f32>, b: Option<f32>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::train::{EpochMetrics, LossPoint, TrainSettings};

    fn sample(store: &RunStore) -> RunRecord {
        let at = time::OffsetDateTime::now_utc();
        let id = store.create_run_dir(&Preset::Mlp.model_name(), at).unwrap();
        let mut r = RunRecord::new(id, TrainSettings::preset(Preset::Mlp), at);
        r.losses.push(LossPoint {
            epoch: 1,
            step: 100,
            x: 0.1,
            loss: 0.5,
            lr: Some(0.001),
        });
        r.epochs.push(EpochMetrics {
            epoch: 1,
            train_loss: 0.4,
            train_acc: 0.9,
            test_loss: Some(0.3),
            test_acc: Some(0.95),
            seconds: 1.5,
            dead_outputs: vec![],
            ..EpochMetrics::default()
        });
        r
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut r = sample(&store);
        // (A running record without its lock loads as interrupted: see below.)
        r.status = RunStatus::Finished;
        store.save_record(&r).unwrap();
        let back = store.load(&r.id).unwrap();
        assert_eq!(back, r);
        let (runs, damaged) = store.list().unwrap();
        assert_eq!(runs, vec![r]);
        assert!(damaged.is_empty());
    }

    #[test]
    fn ids_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let at = time::OffsetDateTime::now_utc();
        let mut ids: Vec<_> = (0..50)
            .map(|_| store.create_run_dir(&Preset::Cnn.model_name(), at).unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 50);
    }

    #[test]
    fn damaged_runs_are_reported_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let good = sample(&store);
        store.save_record(&good).unwrap();
        // Malformed record.
        let bad = sample(&store);
        std::fs::write(store.record_path(&bad.id), "(id: \"x\", broken").unwrap();
        // Truncated record.
        let cut = sample(&store);
        store.save_record(&cut).unwrap();
        let text = std::fs::read_to_string(store.record_path(&cut.id)).unwrap();
        std::fs::write(store.record_path(&cut.id), &text[..text.len() / 2]).unwrap();
        // Missing record.
        let empty = sample(&store);
        // Stray files are ignored.
        std::fs::write(dir.path().join(".gitkeep"), "").unwrap();

        let (runs, damaged) = store.list().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].id, good.id);
        assert_eq!(damaged.len(), 3);
        let missing = damaged.iter().find(|d| d.id == empty.id).unwrap();
        assert!(missing.problem.contains("missing"), "{}", missing.problem);
        let malformed = damaged.iter().find(|d| d.id == bad.id).unwrap();
        assert!(malformed.to_string().contains("malformed"), "{malformed}");
        assert!(matches!(store.load(&bad.id), Err(StoreError::Damaged(_))));
    }

    #[test]
    fn delete_and_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        store.save_record(&r).unwrap();
        let suffix = &r.id[r.id.len() - 4..];
        assert_eq!(store.resolve_id(suffix).unwrap(), r.id);
        assert!(store.delete("../etc").is_err());
        store.delete(&r.id).unwrap();
        assert!(matches!(store.load(&r.id), Err(StoreError::NotFound(_))));
        assert!(store.list().unwrap().0.is_empty());
    }

    #[test]
    fn saving_never_recreates_a_deleted_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        store.save_record(&r).unwrap();
        std::fs::remove_dir_all(store.run_dir(&r.id)).unwrap();
        let err = store.save_record(&r).unwrap_err();
        assert!(matches!(err, StoreError::Deleted { .. }), "{err}");
        assert!(err.to_string().contains("deleted"), "{err}");
        assert!(!store.run_dir(&r.id).exists());
    }

    #[test]
    fn oversized_records_are_damaged_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        store.save_record(&r).unwrap();
        // Sparse: no disk space is used for the hole.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(store.record_path(&r.id))
            .unwrap();
        f.set_len(MAX_RECORD_BYTES + 1).unwrap();
        let (runs, damaged) = store.list().unwrap();
        assert!(runs.is_empty());
        assert!(damaged[0].problem.contains("larger than"), "{}", damaged[0]);
        assert!(damaged[0].to_string().contains("run.ron"), "{}", damaged[0]);
    }

    #[test]
    fn a_running_record_without_its_lock_is_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        assert_eq!(r.status, RunStatus::Running);
        store.save_record(&r).unwrap();
        assert_eq!(store.load(&r.id).unwrap().status, RunStatus::Interrupted);
        let lock = store.lock(&r.id).unwrap();
        assert_eq!(store.load(&r.id).unwrap().status, RunStatus::Running);
        assert!(matches!(store.delete(&r.id), Err(StoreError::Locked(_))));
        assert!(store.run_dir(&r.id).is_dir());
        drop(lock);
        assert_eq!(store.list().unwrap().0[0].status, RunStatus::Interrupted);
        store.delete(&r.id).unwrap();
    }

    #[test]
    fn a_kept_record_follows_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        store.save_record(&r).unwrap();
        let lock = store.lock(&r.id).unwrap();
        let mut kept = store.load(&r.id).unwrap();
        assert_eq!(kept.status, RunStatus::Running);
        assert!(!store.recheck_lock(&mut kept));
        drop(lock);
        assert!(store.recheck_lock(&mut kept));
        assert_eq!(kept.status, RunStatus::Interrupted);
        // Final statuses are the record's own, whatever the lock.
        let _lock = store.lock(&r.id).unwrap();
        kept.status = RunStatus::Finished;
        assert!(!store.recheck_lock(&mut kept));
        assert_eq!(kept.status, RunStatus::Finished);
    }

    #[test]
    fn rm_resolution_needs_a_run_and_a_long_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
        store.save_record(&r).unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        std::fs::write(dir.path().join("notes/todo.txt"), "keep").unwrap();
        assert!(store.resolve_for_delete("notes").is_err());
        assert!(store.resolve_for_delete(&r.id[..1]).is_err());
        assert!(store.resolve_for_delete(&r.id[..7]).is_err());
        assert_eq!(store.resolve_for_delete(&r.id[..8]).unwrap(), r.id);
        assert_eq!(store.resolve_for_delete(&r.id).unwrap(), r.id);
        // A suffix is not enough to delete.
        assert!(store.resolve_for_delete(&r.id[r.id.len() - 8..]).is_err());
        // Two runs sharing the prefix: ambiguous, both named.
        let other = sample(&store);
        store.save_record(&other).unwrap();
        let err = store.resolve_for_delete(&r.id[..8]).unwrap_err();
        assert!(err.to_string().contains("matches 2 runs"), "{err}");
        // A damaged run only by its exact id.
        let bad = sample(&store);
        std::fs::write(store.record_path(&bad.id), "(broken").unwrap();
        std::fs::remove_dir_all(store.run_dir(&r.id)).unwrap();
        std::fs::remove_dir_all(store.run_dir(&other.id)).unwrap();
        assert!(store.resolve_for_delete(&bad.id[..10]).is_err());
        assert_eq!(store.resolve_for_delete(&bad.id).unwrap(), bad.id);
    }

    #[test]
    fn missing_store_is_empty() {
        let store = RunStore::new("/nonexistent/mnist-tui-runs");
        let (runs, damaged) = store.list().unwrap();
        assert!(runs.is_empty() && damaged.is_empty());
    }

    /// A finished run with validation accuracy `val` and test accuracy `test`, its
    /// weights on disk.
    fn finished(store: &RunStore, val: Option<f32>, test: f32) -> RunRecord {
        let mut r = sample(store);
        r.status = RunStatus::Finished;
        r.epochs = vec![EpochMetrics {
            epoch: 1,
            val_loss: val.map(|v| 1.0 - v),
            val_acc: val,
            ..EpochMetrics::default()
        }];
        r.kept_epoch = Some(1);
        r.summary = Some(crate::runs::RunSummary {
            test_acc: test,
            test_loss: 0.1,
            test_epoch: Some(1),
            seconds: 1.0,
            confusion: vec![],
            test_precision: vec![],
            test_recall: vec![],
            dead_outputs: vec![],
        });
        crate::model::Network::preset(Preset::Mlp, 1)
            .save(&store.weights_path(&r.id))
            .unwrap();
        r
    }

    #[test]
    fn the_best_finished_run_is_chosen_by_validation_not_test() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let val_winner = finished(&store, Some(0.97), 0.95);
        let test_winner = finished(&store, Some(0.96), 0.99);
        let unvalidated = finished(&store, None, 0.995);
        let runs = vec![val_winner.clone(), test_winner, unvalidated.clone()];
        assert_eq!(best_finished(&store, &runs).unwrap().id, val_winner.id);
        // Runs without validation figures only when no run has them (the newest).
        let runs = vec![unvalidated.clone()];
        assert_eq!(best_finished(&store, &runs).unwrap().id, unvalidated.id);
    }

    #[test]
    fn kept_weights_load_with_the_datasets_classes() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut r = finished(&store, Some(0.9), 0.9);
        r.dataset.classes = (b'a'..=b'z').map(|c| char::from(c).to_string()).collect();
        let def = r.config.network();
        let net = crate::model::Network::for_classes(&def, 26, 1).unwrap();
        net.save(&store.weights_path(&r.id)).unwrap();
        r.kept_epoch = None;
        let loaded = store.load_kept(&r).unwrap();
        assert_eq!(loaded.classes(), 26);
    }

    #[test]
    fn kept_weights_from_another_epoch_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut r = finished(&store, Some(0.9), 0.9);
        r.epochs.push(EpochMetrics {
            epoch: 2,
            ..EpochMetrics::default()
        });
        let net = crate::model::Network::preset(Preset::Mlp, 1);
        let tag = |epoch| Some(crate::model::CheckpointTag { epoch, step: 10 });
        net.save_tagged(&store.best_weights_path(&r.id), tag(1))
            .unwrap();
        assert_eq!(store.kept_weights_path(&r), store.best_weights_path(&r.id));
        assert!(store.load_kept(&r).is_ok());
        net.save_tagged(&store.best_weights_path(&r.id), tag(2))
            .unwrap();
        let Err(e) = store.load_kept(&r) else {
            panic!("weights of another epoch were used");
        };
        let e = e.to_string();
        assert!(e.contains("epoch 2 but run.ron keeps epoch 1"), "{e}");
        // Keeping the last epoch: model.safetensors.
        r.kept_epoch = Some(2);
        assert_eq!(store.kept_weights_path(&r), store.weights_path(&r.id));
    }

    #[test]
    fn records_from_before_validation_load_with_bare_test_figures() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut r = finished(&store, None, 0.95);
        r.epochs[0].test_acc = Some(0.95);
        r.epochs[0].test_loss = Some(0.2);
        r.config.test_each_epoch = false;
        let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
        // As an old run.ron: figures bare, no new fields.
        let old: String = text
            .replace("test_acc: Some(0.95)", "test_acc: 0.95")
            .replace("test_loss: Some(0.2)", "test_loss: 0.2")
            .lines()
            .filter(|l| {
                ![
                    "sampling:",
                    "val_size:",
                    "kept_epoch:",
                    "early_stop:",
                    "validation:",
                ]
                .iter()
                .any(|k| l.contains(k))
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(old.contains("test_acc: 0.95"), "{old}");
        let back = parse_record(&old).unwrap();
        assert_eq!(back.sampling, crate::data::Sampling::FirstN);
        assert!(back.config.test_each_epoch, "old runs tested every epoch");
        assert_eq!(back.config.validation, 0);
        assert_eq!(back.epochs[0].test_acc, Some(0.95));
        assert_eq!(back.val_acc(), None);
        assert_eq!(back.kept().map(|e| e.epoch), Some(1), "the last epoch");
    }

    #[test]
    fn records_from_before_networks_were_data_get_their_presets_layers() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        for preset in crate::model::Preset::ALL {
            let mut r = finished(&store, None, 0.95);
            r.config = TrainSettings::preset(preset);
            let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
            // As an old run.ron: the model a bare word, no layers.
            let start = text.find("layers:").unwrap();
            let end = start + text[start..].find("\n        ],").unwrap() + 11;
            let old = text[..start].to_string() + &text[end..];
            let old = old.replace(
                &format!("model: \"{}\"", preset.name()),
                &format!("model: r#{}", preset.name()),
            );
            assert!(!old.contains("layers"), "{old}");
            let back = parse_record(&old).unwrap();
            assert_eq!(back.config.model, preset);
            assert_eq!(back.config.layers, preset.layers());
            assert_eq!(back.config, r.config);
        }
    }
}
