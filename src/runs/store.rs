//! The run store: list, load, save atomically, delete.

use super::RunRecord;
use std::path::{Path, PathBuf};

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
        model: crate::model::Arch,
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

    /// Writes `record` to `runs/<id>/run.ron` atomically.
    pub fn save_record(&self, record: &RunRecord) -> Result<(), StoreError> {
        let dir = self.run_dir(&record.id);
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let path = self.record_path(&record.id);
        let text =
            ron::ser::to_string_pretty(record, ron::ser::PrettyConfig::default()).map_err(|e| {
                StoreError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                }
            })?;
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| StoreError::Io { path, source })
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
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                fail("missing run.ron".to_string())
            } else {
                fail(e.to_string())
            }
        })?;
        let record: RunRecord = ron::from_str(&text).map_err(|e| {
            fail(format!(
                "malformed at line {}, column {}: {}",
                e.span.start.line, e.span.start.col, e.code
            ))
        })?;
        if record.id != id {
            return Err(fail(format!(
                "record says id '{}' but lives in folder '{id}'",
                record.id
            )));
        }
        Ok(record)
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

    /// Deletes run `id` and everything in its folder.
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        if !is_valid_id(id) {
            return Err(StoreError::NotFound(id.to_string()));
        }
        let dir = self.run_dir(id);
        if !dir.is_dir() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        std::fs::remove_dir_all(&dir).map_err(|source| StoreError::Io { path: dir, source })
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
}

/// Whether `id` can name a run folder: no path separators, no dot files.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The run `predict` uses when none is named: among finished runs whose weights are on
/// disk, the one with the highest final test accuracy (the newest on a tie).
pub fn best_finished<'a>(store: &RunStore, runs: &'a [RunRecord]) -> Option<&'a RunRecord> {
    runs.iter()
        .filter(|r| r.status == super::RunStatus::Finished)
        .filter(|r| store.weights_path(&r.id).is_file())
        .max_by(|a, b| {
            let acc = |r: &RunRecord| r.summary.as_ref().map_or(0.0, |s| s.test_acc);
            acc(a).total_cmp(&acc(b)).then_with(|| a.id.cmp(&b.id))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Arch;
    use crate::train::{EpochMetrics, LossPoint, TrainSettings};

    fn sample(store: &RunStore) -> RunRecord {
        let at = time::OffsetDateTime::now_utc();
        let id = store.create_run_dir(Arch::Mlp, at).unwrap();
        let mut r = RunRecord::new(id, TrainSettings::defaults_for(Arch::Mlp), at);
        r.losses.push(LossPoint {
            epoch: 1,
            step: 100,
            x: 0.1,
            loss: 0.5,
        });
        r.epochs.push(EpochMetrics {
            epoch: 1,
            train_loss: 0.4,
            train_acc: 0.9,
            test_loss: 0.3,
            test_acc: 0.95,
            seconds: 1.5,
            dead_outputs: vec![],
        });
        r
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let r = sample(&store);
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
            .map(|_| store.create_run_dir(Arch::Cnn, at).unwrap())
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
    fn missing_store_is_empty() {
        let store = RunStore::new("/nonexistent/mnist-tui-runs");
        let (runs, damaged) = store.list().unwrap();
        assert!(runs.is_empty() && damaged.is_empty());
    }
}
