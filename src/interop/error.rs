//! What can go wrong while exporting, every error naming the file (or run) and the
//! problem, and the file writes every export shares.

use std::io;
use std::path::{Path, PathBuf};

/// An export that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No runs were given.
    #[error("nothing to export: no runs given")]
    NoRuns,
    /// A run id that cannot name a folder (empty, `.`, `..` or with a path separator):
    /// exporting it would write outside the output folder.
    #[error("run id {0:?} cannot name a folder")]
    BadRunId(String),
    /// Two of the runs have the same id (their files would overwrite each other).
    #[error("run {0} is given twice")]
    DuplicateRun(String),
    /// A format that exports one run's model was given several runs (or none).
    #[error("--to {format} exports one run's model; {given} runs were given")]
    OneRun {
        /// The format.
        format: &'static str,
        /// How many runs were given.
        given: usize,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A chart could not be drawn or encoded.
    #[error("cannot draw {}: {message}", path.display())]
    Chart {
        /// The chart's file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// What was to be written could not be encoded.
    #[error("cannot encode {}: {problem}", path.display())]
    Encode {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The run's model could not be loaded.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

impl ExportError {
    /// An [`ExportError::Io`] for `path`.
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        ExportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An [`ExportError::Chart`] for `path`.
    pub(crate) fn chart(path: &Path, message: impl std::fmt::Display) -> Self {
        ExportError::Chart {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// Refuses an empty list of runs, an id that cannot name a folder and an id given
/// twice.
pub(crate) fn check_runs(runs: &[&crate::runs::RunRecord]) -> Result<(), ExportError> {
    if runs.is_empty() {
        return Err(ExportError::NoRuns);
    }
    for (i, r) in runs.iter().enumerate() {
        let id = r.id.as_str();
        if id.is_empty() || id == "." || id == ".." || id.contains(['/', '\\', '\0']) {
            return Err(ExportError::BadRunId(r.id.clone()));
        }
        if runs[..i].iter().any(|o| o.id == r.id) {
            return Err(ExportError::DuplicateRun(r.id.clone()));
        }
    }
    Ok(())
}

/// Creates the folder `dir` and its parents.
pub(crate) fn create_dir(dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::io(dir, source))
}

/// Writes `bytes` to `path` atomically (a reader never sees half a file).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|source| ExportError::io(path, source))
}
