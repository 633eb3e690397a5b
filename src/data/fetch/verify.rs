//! What is in the data directory: each MNIST file found (raw or `.gz`) or not, valid
//! IDX or not, its item count and the SHA-256 of its decompressed content.

use crate::data::DataError;
use crate::data::datasets::DataFile;
use crate::data::idx::{self, ParseOptions};
use crate::data::loaded::MNIST_FILES;
use std::path::{Path, PathBuf};

/// The state of one file in the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Valid IDX whose decompressed content has the expected SHA-256.
    Good,
    /// Present but unusable: unreadable, invalid IDX, or wrong checksum.
    Bad {
        /// What is wrong.
        problem: String,
    },
    /// Neither `<name>` nor `<name>.gz` exists.
    Missing,
}

/// What [`verify`] found for one canonical file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The canonical file.
    pub file: DataFile,
    /// Where it was found (`<dir>/<name>` or `<dir>/<name>.gz`), if anywhere.
    pub path: Option<PathBuf>,
    /// Whether its content is gzip (known once it could be read).
    pub gzip: Option<bool>,
    /// Good, bad or missing.
    pub status: FileStatus,
    /// Number of images or labels, when the file is valid IDX.
    pub count: Option<usize>,
    /// SHA-256 of the decompressed content (lowercase hex), when it is valid IDX.
    pub sha256: Option<String>,
    /// Whether [`sha256`](Self::sha256) equals the expected [`DataFile::sha256`].
    pub sha256_matches: bool,
}

impl FileReport {
    /// Whether the file is present, valid and has the expected checksum.
    pub fn is_good(&self) -> bool {
        self.status == FileStatus::Good
    }
}

/// Checks the four canonical MNIST files in `dir`.
pub fn verify(dir: &Path) -> Vec<FileReport> {
    verify_files(dir, &MNIST_FILES)
}

/// Checks `files` in `dir` (each as `<name>` or `<name>.gz`, content decides gzip).
pub fn verify_files(dir: &Path, files: &[DataFile]) -> Vec<FileReport> {
    files.iter().map(|f| verify_file(dir, f)).collect()
}

/// Checks one file in `dir`.
pub fn verify_file(dir: &Path, file: &DataFile) -> FileReport {
    let mut report = FileReport {
        file: *file,
        path: None,
        gzip: None,
        status: FileStatus::Missing,
        count: None,
        sha256: None,
        sha256_matches: false,
    };
    let Some(path) = file.locate(dir) else {
        return report;
    };
    report.path = Some(path.clone());
    match idx::read_file(&path, file.kind, ParseOptions::VERIFY) {
        Ok(parsed) => {
            report.gzip = Some(parsed.gzip);
            report.count = Some(parsed.count);
            report.sha256_matches = parsed.sha256.as_deref() == file.sha256();
            report.status = if report.sha256_matches {
                FileStatus::Good
            } else {
                FileStatus::Bad {
                    problem: checksum_problem(
                        parsed.sha256.as_deref(),
                        file.sha256().unwrap_or("none pinned"),
                    ),
                }
            };
            report.sha256 = parsed.sha256;
        }
        Err(e) => {
            report.status = FileStatus::Bad {
                problem: problem_of(&e),
            }
        }
    }
    report
}

pub(super) fn checksum_problem(got: Option<&str>, want: &str) -> String {
    format!(
        "SHA-256 of the decompressed content is {}, expected {want}",
        got.unwrap_or("unknown")
    )
}

/// The error without its path prefix (the report already names the file).
pub(super) fn problem_of(e: &DataError) -> String {
    match e {
        DataError::Invalid { problem, .. } => problem.clone(),
        DataError::Io { source, .. } => source.to_string(),
        DataError::Missing { .. } => "missing".to_string(),
        DataError::UnknownDataset { .. } => e.to_string(),
    }
}
