//! `mnist-tui data fetch | verify`: download from mirrors, check each file by its
//! checksum, atomic writes.
//!
//! [`verify`] checks a dataset's files ([`DatasetFiles`]) in its folder: found or not
//! (raw or `.gz`), valid IDX of the right kind with the dataset's labels or not, item
//! count, and the file's checksum: the SHA-256 of the decompressed content, or the MD5
//! of the `.gz` file as its publisher serves it (a decompressed copy cannot be checked
//! by that: unverified), or none published (unverified, but the count must be the
//! dataset's). [`fetch`] downloads what is missing or bad from the dataset's mirrors,
//! streaming each response into a temporary file while decompressing, validating and
//! hashing it on the fly; only a file its checksum accepts is renamed into place, so a
//! failed, corrupt or cancelled download never leaves anything behind.
//!
//! Progress is reported through a `&mut dyn FnMut(FetchProgress)` so that both a CLI
//! progress bar and the dashboard can follow a download.
//!
//! Limits: mirrors must be `https://` (plain `http://` only to a loopback address, and
//! then without following redirects), redirects never downgrade to http, a response
//! larger than [`DatasetFiles::max_bytes`] is cut off, and each file's download has an
//! overall deadline ([`DOWNLOAD_TIMEOUT`]). Temporary files are removed on every error
//! and on cancellation (the CLI raises the cancel flag on Ctrl-C, SIGTERM and SIGHUP),
//! and leftovers of a killed earlier fetch are removed when a fetch starts.
//!
//! - `files`: [`DatasetFiles`], what one dataset's files are and where they go.
//! - `verify`: what is in the folder, file by file, and how a checksum judges a file.
//! - `download`: one download attempt from one mirror (the https rule, the size cap,
//!   the streaming check) and the mirror URLs.
//! - this module: the limits, the progress and outcome types, and [`fetch`], which
//!   tries the mirrors in order for each file that is not good.

mod download;
mod files;
#[cfg(test)]
mod tests;
mod verify;

pub use download::mirror_url;
pub use files::{DatasetFiles, max_download_bytes};
pub use verify::{FileReport, FileStatus, verify};

use super::datasets::DataFile;
use crate::fsutil;
use download::{Attempt, Saved, agent_for, download, failed};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use verify::verify_file;

/// The overall deadline of one file's download (connecting, the response and the whole
/// body): a mirror that trickles bytes forever is given up on.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Limits of one fetch (the defaults are [`max_download_bytes`] for the dataset's
/// sizes and [`DOWNLOAD_TIMEOUT`]; tests use small ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchLimits {
    /// The most bytes accepted per file, instead of [`DatasetFiles::max_bytes`]'s.
    pub max_bytes: Option<u64>,
    /// The overall deadline per file, instead of [`DOWNLOAD_TIMEOUT`].
    pub timeout: Option<Duration>,
}
/// Progress of a [`fetch`], reported as it happens. Every value is owned, so a UI can
/// forward events through a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchProgress {
    /// The file is already present and its checksum matches; nothing is downloaded.
    AlreadyGood {
        /// Canonical name.
        file: &'static str,
        /// Where it is.
        path: PathBuf,
    },
    /// The file is already present and valid but no checksum can check it; it is kept
    /// and nothing is downloaded.
    AlreadyUnverified {
        /// Canonical name.
        file: &'static str,
        /// Where it is.
        path: PathBuf,
        /// Why it cannot be checked.
        why: String,
    },
    /// A download attempt starts.
    Starting {
        /// Canonical name.
        file: &'static str,
        /// The URL tried.
        url: String,
    },
    /// Bytes received so far in the current attempt.
    Bytes {
        /// Canonical name.
        file: &'static str,
        /// Bytes received (compressed, as sent by the server).
        done: u64,
        /// Total bytes if the server said (`Content-Length`).
        total: Option<u64>,
    },
    /// The file was downloaded, its checksum matched, and it was moved into place.
    Verified {
        /// Canonical name.
        file: &'static str,
        /// Where it now is.
        path: PathBuf,
    },
    /// The file was downloaded and is valid IDX of the dataset's count and labels, but
    /// it has no checksum to compare; it was moved into place.
    SavedUnverified {
        /// Canonical name.
        file: &'static str,
        /// Where it now is.
        path: PathBuf,
        /// Why no checksum checked it.
        why: String,
    },
    /// An attempt failed; the next mirror (if any) is tried.
    Failed {
        /// Canonical name.
        file: &'static str,
        /// The URL tried.
        url: String,
        /// Why it failed.
        reason: String,
    },
}

/// What [`fetch`] did for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The file was already present and valid.
    AlreadyPresent,
    /// The file was downloaded and checked.
    Downloaded {
        /// The URL it came from.
        url: String,
        /// Bytes received.
        bytes: u64,
        /// A bad file that was removed because the new one replaces it.
        replaced: Option<PathBuf>,
    },
}

/// One file of a successful [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedFile {
    /// The file.
    pub file: DataFile,
    /// Where it is now.
    pub path: PathBuf,
    /// Already there or downloaded.
    pub outcome: FetchOutcome,
    /// Why no checksum checked it (`None`: its checksum matched).
    pub unverified: Option<String>,
}

/// The result of a successful [`fetch`]: every file is present and valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The dataset's folder.
    pub dir: PathBuf,
    /// One entry per file.
    pub files: Vec<FetchedFile>,
}

impl FetchReport {
    /// Number of files actually downloaded.
    pub fn downloaded(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.outcome, FetchOutcome::Downloaded { .. }))
            .count()
    }

    /// Number of files no checksum checked.
    pub fn unverified(&self) -> usize {
        self.files.iter().filter(|f| f.unverified.is_some()).count()
    }
}

/// One failed download attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorFailure {
    /// Canonical name of the file.
    pub file: &'static str,
    /// The mirror (base URL) tried.
    pub mirror: String,
    /// The URL tried.
    pub url: String,
    /// Why it failed.
    pub reason: String,
}

/// Why a [`fetch`] did not produce every file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Some files could not be downloaded from any mirror (the usual case offline), or
    /// the dataset has no mirror at all.
    #[error("{}", unavailable_message(set, needed, failures))]
    Unavailable {
        /// The dataset: its name, title, folder, mirrors and offline instructions.
        set: Box<DatasetFiles>,
        /// Canonical names (without `.gz`) of the files still missing or bad.
        needed: Vec<&'static str>,
        /// Every failed attempt.
        failures: Vec<MirrorFailure>,
    },
    /// The cancellation flag was raised; no partial file was left behind.
    #[error("download cancelled; no partial file was left in {}", dir.display())]
    Cancelled {
        /// The dataset's folder.
        dir: PathBuf,
    },
    /// The dataset's folder could not be created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// What to tell a user whose files could not be downloaded: which files go into which
/// folder, what each mirror answered, and how to get them otherwise (the dataset's
/// offline instructions: Debian's package for Fashion-MNIST, NIST's archive for EMNIST).
fn unavailable_message(
    set: &DatasetFiles,
    needed: &[&'static str],
    failures: &[MirrorFailure],
) -> String {
    let dir = set.dir.display();
    let mut m = String::new();
    if set.mirrors.is_empty() && !set.offline.is_empty() {
        let _ = writeln!(
            m,
            "{} has no download mirror: its files cannot be fetched one by one.",
            set.title
        );
    } else {
        let _ = writeln!(
            m,
            "could not download {} {} file{} from any mirror (is this machine offline?).",
            needed.len(),
            set.title,
            if needed.len() == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        m,
        "Put these files in {dir} under their canonical names (gzip or raw):"
    );
    for name in needed {
        let _ = writeln!(m, "  {name}.gz  (or {name})");
    }
    write_mirrors(&mut m, set, failures);
    if !set.offline.is_empty() {
        let _ = writeln!(m, "{}", set.offline);
    }
    let verify = format!("mnist-tui data verify --dataset {}", set.name);
    if set.mirrors.is_empty() && !set.offline.is_empty() {
        let _ = write!(m, "Then run `{verify}`.");
    } else {
        let _ = write!(
            m,
            "Download them on a machine with internet access, copy them into {dir}, then \
             run `{verify}`."
        );
    }
    m
}

/// The mirrors tried, each with its last failure; or that none is configured.
fn write_mirrors(m: &mut String, set: &DatasetFiles, failures: &[MirrorFailure]) {
    if set.mirrors.is_empty() {
        if set.offline.is_empty() {
            let _ = writeln!(m, "No mirror is configured (`mirrors` in config.ron).");
        }
        return;
    }
    let _ = writeln!(m, "Mirrors tried (each should serve <mirror><name>.gz):");
    for mirror in &set.mirrors {
        match failures.iter().rev().find(|f| &f.mirror == mirror) {
            Some(f) => {
                let _ = writeln!(m, "  {mirror}  ({})", f.reason);
            }
            None => {
                let _ = writeln!(m, "  {mirror}");
            }
        }
    }
}

/// Downloads whichever of `set`'s files is missing or bad in its folder (created if
/// needed) from its mirrors, trying each mirror in order for each file. A file already
/// present and valid is kept, checked by its checksum or not.
///
/// Each download is streamed to a temporary file in the folder, decompressed, validated
/// (with the dataset's labels and count) and hashed on the fly; only a file whose
/// checksum matches (SHA-256 of the decompressed content, or MD5 of the bytes as
/// received), or that has none and is valid, is renamed to `<dir>/<name>.gz`. Raising
/// `cancel` stops at the next read. A dataset without mirrors fails at once with its
/// offline instructions.
pub fn fetch(
    set: &DatasetFiles,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    let dir = set.dir.as_path();
    if !set.mirrors.is_empty() {
        prepare_dir(set)?;
    }
    let mut done = Vec::new();
    let mut needed = Vec::new();
    let mut failures: Vec<MirrorFailure> = Vec::new();
    // Mirrors that could not even be reached are not retried for the next files, so an
    // offline fetch fails once per mirror instead of once per file and mirror.
    let mut unreachable: Vec<String> = Vec::new();

    for file in &set.files {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled(dir));
        }
        if let Some(present) = already_there(set, file, progress) {
            done.push(present);
            continue;
        }
        let mut tries = Tries {
            set,
            file,
            cancel,
            unreachable: &mut unreachable,
            failures: &mut failures,
        };
        match tries.each_mirror(progress)? {
            Some((url, saved)) => done.push(keep(dir, file, url, saved, progress)),
            None => needed.push(file.name),
        }
    }
    if needed.is_empty() {
        Ok(FetchReport {
            dir: dir.to_path_buf(),
            files: done,
        })
    } else {
        Err(FetchError::Unavailable {
            set: Box::new(set.clone()),
            needed,
            failures,
        })
    }
}

fn cancelled(dir: &Path) -> FetchError {
    FetchError::Cancelled {
        dir: dir.to_path_buf(),
    }
}

/// Creates the dataset's folder and removes the temporary files a killed fetch left.
fn prepare_dir(set: &DatasetFiles) -> Result<(), FetchError> {
    fs::create_dir_all(&set.dir).map_err(|source| FetchError::Io {
        path: set.dir.clone(),
        source,
    })?;
    for file in &set.files {
        for stray in fsutil::stray_temp_files(&set.dir.join(file.gz_name())) {
            let _ = fs::remove_file(stray);
        }
    }
    Ok(())
}

/// The file when it is already present and valid (reported as such), else `None`.
fn already_there(
    set: &DatasetFiles,
    file: &DataFile,
    progress: &mut dyn FnMut(FetchProgress),
) -> Option<FetchedFile> {
    let report = verify_file(set, file);
    let path = report.path?;
    let unverified = match report.status {
        FileStatus::Good => None,
        FileStatus::Unverified { why } => Some(why),
        FileStatus::Bad { .. } | FileStatus::Missing => return None,
    };
    progress(match &unverified {
        None => FetchProgress::AlreadyGood {
            file: file.name,
            path: path.clone(),
        },
        Some(why) => FetchProgress::AlreadyUnverified {
            file: file.name,
            path: path.clone(),
            why: why.clone(),
        },
    });
    Some(FetchedFile {
        file: *file,
        path,
        outcome: FetchOutcome::AlreadyPresent,
        unverified,
    })
}

/// The attempts at one file: each mirror in turn, skipping those found unreachable.
struct Tries<'a> {
    set: &'a DatasetFiles,
    file: &'a DataFile,
    cancel: &'a AtomicBool,
    unreachable: &'a mut Vec<String>,
    failures: &'a mut Vec<MirrorFailure>,
}

impl Tries<'_> {
    /// The first mirror's download that was kept, with its URL; `None` when every
    /// mirror failed (each failure recorded).
    fn each_mirror(
        &mut self,
        progress: &mut dyn FnMut(FetchProgress),
    ) -> Result<Option<(String, Saved)>, FetchError> {
        let (set, file) = (self.set, self.file);
        let timeout = set.limits.timeout.unwrap_or(DOWNLOAD_TIMEOUT);
        for mirror in &set.mirrors {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(cancelled(&set.dir));
            }
            let url = mirror_url(mirror, file);
            if self.unreachable.contains(mirror) {
                progress(FetchProgress::Failed {
                    file: file.name,
                    url,
                    reason: "skipped: mirror unreachable for an earlier file".to_string(),
                });
                continue;
            }
            progress(FetchProgress::Starting {
                file: file.name,
                url: url.clone(),
            });
            let attempt = match agent_for(&url, timeout) {
                Ok(agent) => download(&agent, &url, set, file, self.cancel, progress),
                Err(reason) => Err(failed(reason)),
            };
            match attempt {
                Ok(saved) => return Ok(Some((url, saved))),
                Err(Attempt::Cancelled) => return Err(cancelled(&set.dir)),
                Err(Attempt::Failed {
                    reason,
                    unreachable,
                }) => {
                    if unreachable {
                        self.unreachable.push(mirror.clone());
                    }
                    progress(FetchProgress::Failed {
                        file: file.name,
                        url: url.clone(),
                        reason: reason.clone(),
                    });
                    self.failures.push(MirrorFailure {
                        file: file.name,
                        mirror: mirror.clone(),
                        url,
                        reason,
                    });
                }
            }
        }
        Ok(None)
    }
}

/// Reports a kept download and removes a bad copy under the file's other name (or
/// loading would still find it first).
fn keep(
    dir: &Path,
    file: &DataFile,
    url: String,
    saved: Saved,
    progress: &mut dyn FnMut(FetchProgress),
) -> FetchedFile {
    let mut replaced = None;
    for other in file.candidates(dir) {
        if other != saved.path && other.exists() && fs::remove_file(&other).is_ok() {
            replaced = Some(other);
        }
    }
    progress(match &saved.unverified {
        None => FetchProgress::Verified {
            file: file.name,
            path: saved.path.clone(),
        },
        Some(why) => FetchProgress::SavedUnverified {
            file: file.name,
            path: saved.path.clone(),
            why: why.clone(),
        },
    });
    FetchedFile {
        file: *file,
        path: saved.path,
        outcome: FetchOutcome::Downloaded {
            url,
            bytes: saved.bytes,
            replaced,
        },
        unverified: saved.unverified,
    }
}
