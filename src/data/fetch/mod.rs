//! `mnist-tui data fetch | verify`: download from mirrors, check SHA-256, atomic writes.
//!
//! [`verify`] checks the four files in a data directory: found or not (raw or `.gz`),
//! valid IDX or not, item count, SHA-256 of the decompressed content against the
//! expected one. [`fetch`] downloads what is missing or bad from a list of mirrors,
//! streaming each response into a temporary file while decompressing, validating and
//! hashing it on the fly; only a verified file is renamed into place, so a failed,
//! corrupt or cancelled download never leaves anything behind.
//!
//! Progress is reported through a `&mut dyn FnMut(FetchProgress)` so that both a CLI
//! progress bar and the dashboard can follow a download.
//!
//! Limits: mirrors must be `https://` (plain `http://` only to a loopback address, and
//! then without following redirects), redirects never downgrade to http, a response
//! larger than [`max_download_bytes`] is cut off, and each file's download has an
//! overall deadline ([`DOWNLOAD_TIMEOUT`]). Temporary files are removed on every error
//! and on cancellation (the CLI raises the cancel flag on Ctrl-C, SIGTERM and SIGHUP),
//! and leftovers of a killed earlier fetch are removed when a fetch starts.
//!
//! - [`verify`](verify_file): what is in the data directory, file by file.
//! - `download`: one download attempt from one mirror (the https rule, the size cap,
//!   the streaming check) and the mirror URLs.
//! - this module: the limits, the progress and outcome types, and [`fetch`], which
//!   tries the mirrors in order for each file that is not good.

mod download;
#[cfg(test)]
mod tests;
mod verify;

pub use download::mirror_url;
pub use verify::{FileReport, FileStatus, verify, verify_file, verify_files};

use super::datasets::DataFile;
use super::loaded::{MNIST_FILES, Split};
use crate::fsutil;
use download::{Attempt, agent_for, download, failed};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The overall deadline of one file's download (connecting, the response and the whole
/// body): a mirror that trickles bytes forever is given up on.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The most bytes accepted for `file`: twice its uncompressed size (a mirror may send
/// it raw, gzip is smaller) plus 64 KiB. An endless or oversized response is cut off
/// at this many bytes.
pub fn max_download_bytes(file: &DataFile) -> u64 {
    let count: u64 = match file.split {
        Split::Train => 60_000,
        Split::Test => 10_000,
    };
    let raw = file.kind.header_len() as u64 + count * file.kind.item_bytes() as u64;
    2 * raw + (64 << 10)
}

/// Limits of one fetch (the defaults are [`max_download_bytes`] and
/// [`DOWNLOAD_TIMEOUT`]; tests use small ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchLimits {
    /// The most bytes accepted per file, instead of [`max_download_bytes`].
    pub max_bytes: Option<u64>,
    /// The overall deadline per file, instead of [`DOWNLOAD_TIMEOUT`].
    pub timeout: Option<Duration>,
}

/// Progress of a [`fetch`], reported as it happens. Every value is owned, so a UI can
/// forward events through a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchProgress {
    /// The file is already present and good; nothing is downloaded.
    AlreadyGood {
        /// Canonical name.
        file: &'static str,
        /// Where it is.
        path: PathBuf,
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
    /// The file was downloaded, verified and moved into place.
    Verified {
        /// Canonical name.
        file: &'static str,
        /// Where it now is.
        path: PathBuf,
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
    /// The file was already good.
    AlreadyGood,
    /// The file was downloaded and verified.
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
    /// The canonical file.
    pub file: DataFile,
    /// Where it is now.
    pub path: PathBuf,
    /// Already there or downloaded.
    pub outcome: FetchOutcome,
}

/// The result of a successful [`fetch`]: every file is present and good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The data directory.
    pub dir: PathBuf,
    /// One entry per requested file.
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
    /// Some files could not be downloaded from any mirror (the usual case offline).
    #[error("{}", unavailable_message(dir, needed, mirrors, failures))]
    Unavailable {
        /// The data directory the files must go to.
        dir: PathBuf,
        /// Canonical names (without `.gz`) of the files still missing or bad.
        needed: Vec<&'static str>,
        /// The mirrors tried, in order.
        mirrors: Vec<String>,
        /// Every failed attempt.
        failures: Vec<MirrorFailure>,
    },
    /// The cancellation flag was raised; no partial file was left behind.
    #[error("download cancelled; no partial file was left in {}", dir.display())]
    Cancelled {
        /// The data directory.
        dir: PathBuf,
    },
    /// The data directory could not be created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

fn unavailable_message(
    dir: &Path,
    needed: &[&'static str],
    mirrors: &[String],
    failures: &[MirrorFailure],
) -> String {
    let mut m = String::new();
    let _ = writeln!(
        m,
        "could not download {} MNIST file{} from any mirror (is this machine offline?).",
        needed.len(),
        if needed.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        m,
        "Put these files in {} under their canonical names (gzip or raw):",
        dir.display()
    );
    for name in needed {
        let _ = writeln!(m, "  {name}.gz  (or {name})");
    }
    if mirrors.is_empty() {
        let _ = writeln!(m, "No mirror is configured (`mirrors` in config.ron).");
    } else {
        let _ = writeln!(m, "Mirrors tried (each should serve <mirror><name>.gz):");
        for mirror in mirrors {
            let last = failures.iter().rev().find(|f| &f.mirror == mirror);
            match last {
                Some(f) => {
                    let _ = writeln!(m, "  {mirror}  ({})", f.reason);
                }
                None => {
                    let _ = writeln!(m, "  {mirror}");
                }
            }
        }
    }
    let _ = write!(
        m,
        "Download them on a machine with internet access, copy them into {}, then run `mnist-tui data verify`.",
        dir.display()
    );
    m
}

/// Downloads whichever of the four MNIST files is missing or bad in `dir` (created if
/// needed) from `mirrors`, trying each mirror in order for each file.
///
/// Each download is streamed to a temporary file in `dir`, decompressed, validated and
/// hashed on the fly; only a file whose decompressed content has the expected SHA-256
/// is renamed to `<dir>/<name>.gz`. Raising `cancel` stops at the next read.
pub fn fetch(
    dir: &Path,
    mirrors: &[String],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    fetch_files(dir, mirrors, &MNIST_FILES, cancel, progress)
}

/// [`fetch`] for any list of files (the expected checksums come from `files`).
pub fn fetch_files(
    dir: &Path,
    mirrors: &[String],
    files: &[DataFile],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    fetch_files_with(
        dir,
        mirrors,
        files,
        FetchLimits::default(),
        cancel,
        progress,
    )
}

/// [`fetch_files`] with explicit [`FetchLimits`].
pub fn fetch_files_with(
    dir: &Path,
    mirrors: &[String],
    files: &[DataFile],
    limits: FetchLimits,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<FetchReport, FetchError> {
    let cancelled = || FetchError::Cancelled {
        dir: dir.to_path_buf(),
    };
    fs::create_dir_all(dir).map_err(|source| FetchError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for file in files {
        for stray in fsutil::stray_temp_files(&dir.join(file.gz_name())) {
            let _ = fs::remove_file(stray);
        }
    }
    let timeout = limits.timeout.unwrap_or(DOWNLOAD_TIMEOUT);
    let mut done = Vec::new();
    let mut needed = Vec::new();
    let mut failures: Vec<MirrorFailure> = Vec::new();
    // Mirrors that could not even be reached are not retried for the next files, so an
    // offline fetch fails once per mirror instead of once per file and mirror.
    let mut unreachable: Vec<&str> = Vec::new();

    for file in files {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        let report = verify_file(dir, file);
        if let (FileStatus::Good, Some(path)) = (&report.status, &report.path) {
            progress(FetchProgress::AlreadyGood {
                file: file.name,
                path: path.clone(),
            });
            done.push(FetchedFile {
                file: *file,
                path: path.clone(),
                outcome: FetchOutcome::AlreadyGood,
            });
            continue;
        }
        let mut got = None;
        for mirror in mirrors {
            if cancel.load(Ordering::Relaxed) {
                return Err(cancelled());
            }
            let url = mirror_url(mirror, file);
            if unreachable.contains(&mirror.as_str()) {
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
            let max_bytes = limits.max_bytes.unwrap_or_else(|| max_download_bytes(file));
            let attempt = match agent_for(&url, timeout) {
                Ok(agent) => download(&agent, &url, dir, file, max_bytes, cancel, progress),
                Err(reason) => Err(failed(reason)),
            };
            match attempt {
                Ok(ok) => {
                    got = Some((url, ok));
                    break;
                }
                Err(Attempt::Cancelled) => return Err(cancelled()),
                Err(Attempt::Failed {
                    reason,
                    unreachable: u,
                }) => {
                    if u {
                        unreachable.push(mirror.as_str());
                    }
                    progress(FetchProgress::Failed {
                        file: file.name,
                        url: url.clone(),
                        reason: reason.clone(),
                    });
                    failures.push(MirrorFailure {
                        file: file.name,
                        mirror: mirror.clone(),
                        url,
                        reason,
                    });
                }
            }
        }
        match got {
            Some((url, (path, bytes))) => {
                // Remove a bad copy under the other name, or `LoadedDataset::load` would
                // still find it first.
                let mut replaced = None;
                for other in file.candidates(dir) {
                    if other != path && other.exists() && fs::remove_file(&other).is_ok() {
                        replaced = Some(other);
                    }
                }
                progress(FetchProgress::Verified {
                    file: file.name,
                    path: path.clone(),
                });
                done.push(FetchedFile {
                    file: *file,
                    path,
                    outcome: FetchOutcome::Downloaded {
                        url,
                        bytes,
                        replaced,
                    },
                });
            }
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
            dir: dir.to_path_buf(),
            needed,
            mirrors: mirrors.to_vec(),
            failures,
        })
    }
}
