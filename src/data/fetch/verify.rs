//! What is in a dataset's folder: each file found (raw or `.gz`) or not, valid IDX of
//! the right kind with the dataset's labels or not, its item count, and what its
//! checksum says: the SHA-256 of the decompressed content, the MD5 of the `.gz` file as
//! its publisher serves it, or nothing to compare (then the file is unverified, and the
//! report says why).

use super::DatasetFiles;
use crate::data::DataError;
use crate::data::datasets::{DataFile, FileChecksum};
use crate::data::idx::{self, ParseOptions};
use md5::{Digest, Md5};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// The state of one file in the dataset's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Valid IDX whose checksum matches the pinned one.
    Good,
    /// Present and valid IDX of the right kind and count, with labels in the dataset's
    /// range, but there is no checksum to compare it with.
    Unverified {
        /// Why it cannot be checked (no checksum published, or a decompressed copy of
        /// a file pinned by the MD5 of its `.gz`).
        why: String,
    },
    /// Present but unusable: unreadable, invalid IDX, wrong count or wrong checksum.
    Bad {
        /// What is wrong.
        problem: String,
    },
    /// Neither `<name>` nor `<name>.gz` exists.
    Missing,
}

/// What [`verify`] found for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub file: DataFile,
    /// Where it was found (`<dir>/<name>` or `<dir>/<name>.gz`), if anywhere.
    pub path: Option<PathBuf>,
    /// Whether its content is gzip (known once it could be read).
    pub gzip: Option<bool>,
    /// Good, unverified, bad or missing.
    pub status: FileStatus,
    /// Number of images or labels, when the file is valid IDX.
    pub count: Option<usize>,
    /// SHA-256 of the decompressed content (lowercase hex), when it is valid IDX.
    pub sha256: Option<String>,
    /// Whether [`sha256`](Self::sha256) equals the pinned [`DataFile::sha256`] (false
    /// when the file is pinned otherwise, or not at all).
    pub sha256_matches: bool,
    /// MD5 of the file as it is on disk (lowercase hex), for a file pinned by the MD5 of
    /// its `.gz` ([`FileChecksum::Md5Gz`]) once it could be read.
    pub md5: Option<String>,
}

impl FileReport {
    /// Whether the file is present, valid and matches its checksum.
    pub fn is_good(&self) -> bool {
        self.status == FileStatus::Good
    }

    /// Whether the file is present and valid, checked by a checksum or not.
    pub fn is_valid(&self) -> bool {
        matches!(
            self.status,
            FileStatus::Good | FileStatus::Unverified { .. }
        )
    }
}

/// Checks every file of `set` in its folder (each as `<name>` or `<name>.gz`; the
/// content decides whether it is gzip).
pub fn verify(set: &DatasetFiles) -> Vec<FileReport> {
    set.files.iter().map(|f| verify_file(set, f)).collect()
}

/// Checks one file of `set` in its folder.
pub(super) fn verify_file(set: &DatasetFiles, file: &DataFile) -> FileReport {
    let mut report = FileReport {
        file: *file,
        path: None,
        gzip: None,
        status: FileStatus::Missing,
        count: None,
        sha256: None,
        sha256_matches: false,
        md5: None,
    };
    let Some(path) = file.locate(&set.dir) else {
        return report;
    };
    report.path = Some(path.clone());
    match observe(&path, set, file) {
        Ok(seen) => {
            report.status = match judge(set, file, &seen) {
                Verdict::Good => FileStatus::Good,
                Verdict::Unverified(why) => FileStatus::Unverified { why },
                Verdict::Bad(problem) => FileStatus::Bad { problem },
            };
            report.gzip = Some(seen.gzip);
            report.count = Some(seen.count);
            report.sha256_matches =
                seen.sha256.is_some() && seen.sha256.as_deref() == file.sha256();
            report.sha256 = seen.sha256;
            report.md5 = seen.md5;
        }
        Err(e) => {
            report.status = FileStatus::Bad {
                problem: problem_of(&e),
            }
        }
    }
    report
}

/// What was read of one file: enough for [`judge`] to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Observed {
    /// Whether the bytes were gzip.
    pub gzip: bool,
    /// Images or labels held.
    pub count: usize,
    /// SHA-256 of the decompressed content.
    pub sha256: Option<String>,
    /// MD5 of the bytes as stored or received, when the file is pinned by one.
    pub md5: Option<String>,
}

/// What a file's checksum says about what was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The pinned checksum matches.
    Good,
    /// Valid, with nothing to compare: why.
    Unverified(String),
    /// The checksum (or, unverified, the count) is wrong: what is wrong.
    Bad(String),
}

/// Reads `path` as `file` of `set`: validates it as IDX with the dataset's labels,
/// hashes its decompressed content and, for a file pinned by the MD5 of its `.gz`, its
/// bytes as they are on disk.
fn observe(path: &Path, set: &DatasetFiles, file: &DataFile) -> Result<Observed, DataError> {
    let io_err = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let opened = File::open(path).map_err(io_err)?;
    let mut reader = Md5Reader {
        inner: BufReader::with_capacity(256 << 10, opened),
        md5: matches!(file.checksum, FileChecksum::Md5Gz(_)).then(Md5::new),
    };
    let (first, last) = set.labels;
    let opts = ParseOptions::VERIFY.with_labels(first, last);
    let parsed = idx::parse(&mut reader, file.kind, path, opts)?;
    // Whatever the parser left unread still belongs to the file's MD5.
    io::copy(&mut reader, &mut io::sink()).map_err(io_err)?;
    Ok(Observed {
        gzip: parsed.gzip,
        count: parsed.count,
        sha256: parsed.sha256,
        md5: reader.md5.map(|h| idx::hex(&h.finalize())),
    })
}

/// Judges what was read of `file` against its checksum: the SHA-256 of the decompressed
/// content; the MD5 of the `.gz` file (a decompressed copy cannot be checked by it); or
/// none. A file no checksum checks must at least hold the dataset's count.
pub(super) fn judge(set: &DatasetFiles, file: &DataFile, seen: &Observed) -> Verdict {
    match file.checksum {
        FileChecksum::Sha256(want) if seen.sha256.as_deref() == Some(want) => Verdict::Good,
        FileChecksum::Sha256(want) => Verdict::Bad(format!(
            "SHA-256 of the decompressed content is {}, expected {want}",
            seen.sha256.as_deref().unwrap_or("unknown")
        )),
        FileChecksum::Md5Gz(want) if seen.gzip && seen.md5.as_deref() == Some(want) => {
            Verdict::Good
        }
        FileChecksum::Md5Gz(want) if seen.gzip => Verdict::Bad(format!(
            "MD5 of the .gz file is {}, expected {want} (its publisher's, of the file as \
             served; a copy compressed again differs too)",
            seen.md5.as_deref().unwrap_or("unknown")
        )),
        FileChecksum::Md5Gz(_) => unverified(
            set,
            file,
            seen,
            "a decompressed copy: the publisher's checksum is the MD5 of the .gz file as \
             served, which only that file can be checked against"
                .to_string(),
        ),
        FileChecksum::None => unverified(set, file, seen, set.unpinned.clone()),
    }
}

/// Unverified for `why`, unless the file does not hold the dataset's count.
fn unverified(set: &DatasetFiles, file: &DataFile, seen: &Observed, why: String) -> Verdict {
    match set.expected_count(file) {
        Some(want) if want != seen.count => Verdict::Bad(format!(
            "holds {} {}, but the {} file of {} holds {want}",
            seen.count,
            file.kind.noun(),
            match file.split {
                crate::data::Split::Train => "training",
                crate::data::Split::Test => "test",
            },
            set.title,
        )),
        _ => Verdict::Unverified(why),
    }
}

/// A reader that feeds everything it reads to an optional MD5.
struct Md5Reader<R> {
    inner: R,
    md5: Option<Md5>,
}

impl<R: Read> Read for Md5Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.md5.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
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
