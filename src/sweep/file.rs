//! Where a sweep is kept: `runs/.sweeps/<id>/sweep.ron` (the points, written once,
//! atomically) and `.lock` (held by the `sweep` process running it). The run store
//! never takes a dot-folder for a run, so `runs list` does not see it.

use super::tag::{SweepTag, is_valid_sweep_id};
use crate::runs::RunLock;
use crate::runs::lock::{self, LockError};
use crate::train::{Setting, TrainSettings, catalog};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The folder of sweeps inside the runs folder.
pub const SWEEPS_DIR: &str = ".sweeps";
/// The largest `sweep.ron` read.
const MAX_SWEEP_BYTES: u64 = 64 << 20;

/// A sweep as saved: its id, what it sweeps and every point's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepFile {
    /// The sweep's id ([`super::spec::sweep_id`] of the points).
    pub id: String,
    /// Version of mnist-tui that wrote it.
    pub program_version: String,
    /// When it was first saved.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The swept settings (their record names), the seed last.
    pub swept: Vec<String>,
    /// Every point's settings, in order (point 1 first).
    pub points: Vec<TrainSettings>,
}

impl SweepFile {
    /// The swept settings' rows (a name this version does not know is left out).
    pub fn swept_settings(&self) -> Vec<&'static Setting> {
        self.swept
            .iter()
            .filter_map(|n| catalog::setting(n))
            .collect()
    }

    /// For `train --sweep ID:K/N`: this sweep must have N points, and `settings` must
    /// be point K's (the error lists every setting that differs; one that applies to
    /// neither, such as momentum for Adam, is not printed as a flag and not compared).
    pub fn check_point(&self, tag: &SweepTag, settings: &TrainSettings) -> Result<(), String> {
        let wrong_size = || {
            format!(
                "sweep {} has {} points, not {}",
                tag.id,
                self.points.len(),
                tag.points
            )
        };
        if self.points.len() != tag.points {
            return Err(wrong_size());
        }
        let want = tag
            .point
            .checked_sub(1)
            .and_then(|i| self.points.get(i))
            .ok_or_else(wrong_size)?;
        let differ: Vec<String> = catalog::SETTINGS
            .iter()
            .filter(|row| !row.same_in_effect(want, settings))
            .map(|row| {
                format!(
                    "{} {} (the point has {})",
                    row.label.to_lowercase(),
                    row.show(settings),
                    row.show(want)
                )
            })
            .collect();
        if !differ.is_empty() {
            return Err(format!(
                "these settings are not point {} of sweep {}: {}",
                tag.point,
                tag.id,
                differ.join(", ")
            ));
        }
        Ok(())
    }
}

/// The sweeps of one runs folder.
#[derive(Debug, Clone)]
pub struct SweepStore {
    root: PathBuf,
}

impl SweepStore {
    /// The sweeps kept in `runs_root/.sweeps`.
    pub fn new(runs_root: &Path) -> Self {
        SweepStore {
            root: runs_root.join(SWEEPS_DIR),
        }
    }

    /// The folder of sweep `id`.
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The file of sweep `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir(id).join("sweep.ron")
    }

    /// Saves `file` unless it is already saved. An existing file must hold the same
    /// points (else it is an error: nothing saved is overwritten); a damaged one is
    /// reported, never replaced.
    pub fn save(&self, file: &SweepFile) -> Result<(), String> {
        let path = self.path(&file.id);
        if path.exists() {
            let old = self.load(&file.id)?;
            if old.points != file.points {
                return Err(format!(
                    "{} holds other points than this sweep; not overwriting it",
                    path.display()
                ));
            }
            return Ok(());
        }
        let dir = self.dir(&file.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let text = ron::ser::to_string_pretty(file, ron::ser::PrettyConfig::default())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Loads sweep `id`; the error names the file and what is wrong with it.
    pub fn load(&self, id: &str) -> Result<SweepFile, String> {
        if !is_valid_sweep_id(id) {
            return Err(format!("'{id}' is not a sweep id (hex digits)"));
        }
        let path = self.path(id);
        let bytes =
            crate::fsutil::read_capped(&path, MAX_SWEEP_BYTES).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "no sweep '{id}' ({} does not exist; see `mnist-tui sweep list`)",
                    path.display()
                ),
                _ => format!("{}: {e}", path.display()),
            })?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        let file: SweepFile = ron::from_str(&text).map_err(|e| {
            format!(
                "{}: malformed at line {}, column {}: {}",
                path.display(),
                e.span.start.line,
                e.span.start.col,
                e.code
            )
        })?;
        if file.id != id {
            return Err(format!(
                "{}: says id '{}' but lives in folder '{id}'",
                path.display(),
                file.id
            ));
        }
        if file.points.is_empty() {
            return Err(format!("{}: has no points", path.display()));
        }
        Ok(file)
    }

    /// Resolves a typed id: an exact id or a unique prefix of one.
    pub fn resolve(&self, typed: &str) -> Result<String, String> {
        let ids = self.ids()?;
        if ids.iter().any(|i| i == typed) {
            return Ok(typed.to_string());
        }
        let matches: Vec<&String> = ids
            .iter()
            .filter(|i| !typed.is_empty() && i.starts_with(typed))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "no sweep '{typed}' in {} (see `mnist-tui sweep list`)",
                self.root.display()
            )),
            many => Err(format!(
                "'{typed}' matches {} sweeps; type more of the id",
                many.len()
            )),
        }
    }

    /// The ids of every saved sweep, sorted. A missing folder holds none.
    pub fn ids(&self) -> Result<Vec<String>, String> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.root.display())),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| is_valid_sweep_id(n))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Takes sweep `id`'s lock (one process runs a sweep at a time).
    pub fn lock(&self, id: &str) -> Result<RunLock, String> {
        let dir = self.dir(id);
        lock::try_lock(&dir).map_err(|e| match e {
            LockError::Held => format!(
                "sweep {id} is being run by another process (its lock {} is held)",
                dir.join(lock::LOCK_FILE).display()
            ),
            LockError::Io(e) => format!("{}: {e}", dir.join(lock::LOCK_FILE).display()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::runs::RunStore;

    fn file(id: &str) -> SweepFile {
        let mut a = TrainSettings::preset(Preset::Mlp);
        let mut b = a.clone();
        a.seed = 1;
        b.seed = 2;
        SweepFile {
            id: id.into(),
            program_version: "0".into(),
            created_at: time::macros::datetime!(2026-12-01 08:00:00 UTC),
            swept: vec!["seed".into()],
            points: vec![a, b],
        }
    }

    #[test]
    fn saved_once_loaded_back_and_invisible_to_the_run_store() {
        let dir = tempfile::tempdir().unwrap();
        let sweeps = SweepStore::new(dir.path());
        let f = file("abcdef0123");
        sweeps.save(&f).unwrap();
        assert_eq!(sweeps.load("abcdef0123").unwrap(), f);
        assert_eq!(sweeps.resolve("abc").unwrap(), "abcdef0123");
        // Saving the same points again is a no-op; other points are refused.
        sweeps.save(&f).unwrap();
        let mut other = f.clone();
        other.points.pop();
        assert!(sweeps.save(&other).unwrap_err().contains("not overwriting"));
        let _held = sweeps.lock("abcdef0123").unwrap();
        assert!(
            sweeps
                .lock("abcdef0123")
                .unwrap_err()
                .contains("another process")
        );
        // The runs folder's store sees no run and no damaged run.
        let (runs, damaged) = RunStore::new(dir.path()).list().unwrap();
        assert!(runs.is_empty() && damaged.is_empty(), "{damaged:?}");
    }

    #[test]
    fn damaged_or_missing_sweep_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let sweeps = SweepStore::new(dir.path());
        let missing = sweeps.load("abcdef0123").unwrap_err();
        assert!(missing.contains("no sweep 'abcdef0123'"), "{missing}");
        sweeps.save(&file("abcdef0123")).unwrap();
        std::fs::write(sweeps.path("abcdef0123"), "(id: \"abcdef0123\", broken").unwrap();
        let err = sweeps.load("abcdef0123").unwrap_err();
        assert!(err.contains("sweep.ron: malformed at line 1"), "{err}");
        // A damaged file is never replaced.
        assert!(
            sweeps
                .save(&file("abcdef0123"))
                .unwrap_err()
                .contains("malformed")
        );
        assert!(sweeps.load("../x").unwrap_err().contains("not a sweep id"));
    }

    #[test]
    fn a_point_must_match_its_tag_and_its_settings() {
        let f = file("abcdef0123");
        let tag = |point, points| SweepTag {
            id: f.id.clone(),
            point,
            points,
        };
        assert!(f.check_point(&tag(2, 2), &f.points[1]).is_ok());
        let err = f.check_point(&tag(1, 3), &f.points[0]).unwrap_err();
        assert_eq!(err, "sweep abcdef0123 has 2 points, not 3");
        let err = f.check_point(&tag(1, 2), &f.points[1]).unwrap_err();
        assert!(
            err.starts_with("these settings are not point 1 of sweep abcdef0123: seed 2"),
            "{err}"
        );
        // A setting that applies to neither (the points are mlp's: Adam) is not
        // compared: `train` is not given it and takes its own.
        let other_momentum = TrainSettings {
            momentum: 0.5,
            ..f.points[1].clone()
        };
        assert_eq!(f.points[1].optimizer, crate::model::OptimizerKind::Adam);
        assert!(f.check_point(&tag(2, 2), &other_momentum).is_ok());
        let other_beta = TrainSettings {
            beta1: 0.5,
            ..f.points[1].clone()
        };
        let err = f.check_point(&tag(2, 2), &other_beta).unwrap_err();
        assert!(err.contains("beta1 0.5 (the point has 0.9)"), "{err}");
    }
}
