//! What can go wrong when exporting, and the file writes every export shares.

use std::path::{Path, PathBuf};

/// An export that could not be written; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// What was to be written could not be encoded.
    #[error("{path}: cannot encode: {problem}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// A format that exports one run's model was given several runs (or none).
    #[error("--to {format} exports one run's model; {given} runs were given")]
    OneRun {
        /// The format.
        format: &'static str,
        /// How many runs were given.
        given: usize,
    },
    /// The run's model could not be loaded.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

/// Creates the folder `dir` and its parents.
pub(crate) fn create_dir(dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` atomically (a reader never sees half a file).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })
}
