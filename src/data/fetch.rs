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

use super::DataError;
use super::idx::{self, ParseOptions};
use super::mnist::{MNIST_FILES, MnistFile, Split};
use crate::fsutil;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The overall deadline of one file's download (connecting, the response and the whole
/// body): a mirror that trickles bytes forever is given up on.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The most bytes accepted for `file`: twice its uncompressed size (a mirror may send
/// it raw, gzip is smaller) plus 64 KiB. An endless or oversized response is cut off
/// at this many bytes.
pub fn max_download_bytes(file: &MnistFile) -> u64 {
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
    pub file: MnistFile,
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
    /// Whether [`sha256`](Self::sha256) equals the expected [`MnistFile::sha256`].
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
pub fn verify_files(dir: &Path, files: &[MnistFile]) -> Vec<FileReport> {
    files.iter().map(|f| verify_file(dir, f)).collect()
}

/// Checks one file in `dir`.
pub fn verify_file(dir: &Path, file: &MnistFile) -> FileReport {
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
            report.sha256_matches = parsed.sha256.as_deref() == Some(file.sha256);
            report.status = if report.sha256_matches {
                FileStatus::Good
            } else {
                FileStatus::Bad {
                    problem: checksum_problem(parsed.sha256.as_deref(), file.sha256),
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

fn checksum_problem(got: Option<&str>, want: &str) -> String {
    format!(
        "SHA-256 of the decompressed content is {}, expected {want}",
        got.unwrap_or("unknown")
    )
}

/// The error without its path prefix (the report already names the file).
fn problem_of(e: &DataError) -> String {
    match e {
        DataError::Invalid { problem, .. } => problem.clone(),
        DataError::Io { source, .. } => source.to_string(),
        DataError::Missing { .. } => "missing".to_string(),
    }
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
    pub file: MnistFile,
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
    files: &[MnistFile],
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
    files: &[MnistFile],
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
                // Remove a bad copy under the other name, or `Mnist::load` would
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

/// `<mirror>/<name>.gz`, with exactly one slash between them.
pub fn mirror_url(mirror: &str, file: &MnistFile) -> String {
    format!("{}/{}", mirror.trim_end_matches('/'), file.gz_name())
}

/// The HTTP agent for `url`: https only (redirects included) for every host but a
/// loopback one, which may be plain http but then follows no redirects at all.
fn agent_for(url: &str, timeout: Duration) -> Result<ureq::Agent, String> {
    let lower = url.to_ascii_lowercase();
    let plain = if lower.starts_with("https://") {
        false
    } else if let Some(rest) = lower.strip_prefix("http://") {
        if !is_loopback_authority(rest) {
            return Err(format!(
                "refusing plain http mirror {url}: use an https:// mirror"
            ));
        }
        true
    } else {
        return Err(format!(
            "unsupported mirror URL {url}: use an https:// mirror"
        ));
    };
    let config = ureq::Agent::config_builder()
        .https_only(!plain)
        .max_redirects(if plain { 0 } else { 5 })
        .timeout_global(Some(timeout))
        .timeout_resolve(Some(Duration::from_secs(15)))
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(30)))
        .user_agent(concat!("mnist-tui/", env!("CARGO_PKG_VERSION")));
    Ok(config.build().new_agent())
}

/// Whether the host of `rest` (a URL after `http://`) is a loopback address.
fn is_loopback_authority(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

enum Attempt {
    Cancelled,
    Failed { reason: String, unreachable: bool },
}

fn failed(reason: impl Into<String>) -> Attempt {
    Attempt::Failed {
        reason: reason.into(),
        unreachable: false,
    }
}

/// One download attempt; on success the verified file is in place and its path and
/// size are returned. On failure nothing is left in `dir`.
fn download(
    agent: &ureq::Agent,
    url: &str,
    dir: &Path,
    file: &MnistFile,
    max_bytes: u64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<(PathBuf, u64), Attempt> {
    let response = agent
        .get(url)
        // We want the `.gz` bytes as stored, not a transparently decompressed body.
        .header("Accept-Encoding", "identity")
        .call()
        .map_err(|e| {
            let unreachable = matches!(
                e,
                ureq::Error::HostNotFound
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Timeout(_)
                    | ureq::Error::Io(_)
            );
            Attempt::Failed {
                reason: e.to_string(),
                unreachable,
            }
        })?;
    if response.status().is_redirection() {
        return Err(failed(format!(
            "the mirror redirects (HTTP {}); redirects are only followed over https",
            response.status().as_u16()
        )));
    }
    let total = response.body().content_length();
    if let Some(total) = total.filter(|&t| t > max_bytes) {
        return Err(failed(format!(
            "the mirror announces {total} bytes, more than the {max_bytes} accepted"
        )));
    }
    // ureq reads one byte past the cap to notice an oversized body and fails then.
    let body = response
        .into_body()
        .into_with_config()
        .limit(max_bytes)
        .reader();

    let gz_path = dir.join(file.gz_name());
    let mut outcome: Option<Result<(bool, u64), Attempt>> = None;
    let written = fsutil::write_atomic_with(&gz_path, |out| {
        let mut tee = Tee {
            inner: body,
            out,
            file: file.name,
            done: 0,
            total,
            cancel,
            progress: &mut *progress,
            cancelled: false,
            write_error: None,
            max_bytes,
            too_big: false,
        };
        let parsed = idx::parse(&mut tee, file.kind, &gz_path, ParseOptions::VERIFY);
        let result = if tee.cancelled {
            Err(Attempt::Cancelled)
        } else if tee.too_big {
            Err(failed(format!(
                "the mirror sent more than the {} bytes accepted; cut off",
                tee.max_bytes
            )))
        } else if let Some(e) = tee.write_error.take() {
            Err(failed(format!("writing {}: {e}", gz_path.display())))
        } else {
            match parsed {
                Err(e) => Err(failed(format!(
                    "downloaded data is not valid: {}",
                    problem_of(&e)
                ))),
                Ok(p) if p.sha256.as_deref() != Some(file.sha256) => Err(failed(format!(
                    "checksum mismatch: {}",
                    checksum_problem(p.sha256.as_deref(), file.sha256)
                ))),
                Ok(p) => Ok((p.gzip, tee.done)),
            }
        };
        let ok = result.is_ok();
        outcome = Some(result);
        if ok {
            Ok(())
        } else {
            // Makes write_atomic_with delete the temporary file.
            Err(io::Error::other("download rejected"))
        }
    });
    match (outcome, written) {
        (Some(Err(attempt)), _) => Err(attempt),
        (_, Err(e)) => Err(failed(format!("writing {}: {e}", gz_path.display()))),
        (None, Ok(())) => Err(failed("internal error: download not checked")),
        (Some(Ok((gzip, bytes))), Ok(())) => {
            if gzip {
                Ok((gz_path, bytes))
            } else {
                // The server sent decompressed content: keep the name honest.
                let raw_path = dir.join(file.name);
                match fs::rename(&gz_path, &raw_path) {
                    Ok(()) => {
                        let _ = fsutil::sync_dir(dir);
                        Ok((raw_path, bytes))
                    }
                    Err(e) => {
                        let _ = fs::remove_file(&gz_path);
                        Err(failed(format!("renaming to {}: {e}", raw_path.display())))
                    }
                }
            }
        }
    }
}

/// Copies everything read from `inner` to `out`, reports progress, and honours the
/// cancellation flag.
struct Tee<'a, R> {
    inner: R,
    out: &'a mut fs::File,
    file: &'static str,
    done: u64,
    total: Option<u64>,
    cancel: &'a AtomicBool,
    progress: &'a mut dyn FnMut(FetchProgress),
    cancelled: bool,
    write_error: Option<io::Error>,
    max_bytes: u64,
    too_big: bool,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            self.cancelled = true;
            return Err(io::Error::other("cancelled"));
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                if self.done >= self.max_bytes {
                    self.too_big = true;
                }
                return Err(e);
            }
        };
        if self.done.saturating_add(n as u64) > self.max_bytes {
            self.too_big = true;
            return Err(io::Error::other("download larger than accepted"));
        }
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let err = io::Error::new(e.kind(), e.to_string());
            self.write_error = Some(e);
            return Err(err);
        }
        if n > 0 {
            self.done += n as u64;
            (self.progress)(FetchProgress::Bytes {
                file: self.file,
                done: self.done,
                total: self.total,
            });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{gzip, images_bytes, labels_bytes};
    use crate::data::{IdxKind, Split};
    use sha2::{Digest, Sha256};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    /// What the test server answers for one path.
    #[derive(Clone)]
    struct Route {
        path: String,
        status: u16,
        body: Vec<u8>,
        /// Announce more bytes than are sent, then close (a dropped connection).
        short: bool,
    }

    fn route(path: &str, body: Vec<u8>) -> Route {
        Route {
            path: path.to_string(),
            status: 200,
            body,
            short: false,
        }
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1 (loopback only). It answers at most
    /// `max_requests` requests, one per connection, and stops by itself after 10 s.
    /// Returns its base URL and the list of paths it was asked for.
    fn serve(routes: Vec<Route>, max_requests: usize) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut served = 0;
            while served < max_requests && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = answer(stream, &routes, &seen2);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        (base, seen)
    }

    fn answer(
        mut stream: TcpStream,
        routes: &[Route],
        seen: &Mutex<Vec<String>>,
    ) -> io::Result<()> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            req.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&req);
        let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
        seen.lock().unwrap().push(path.clone());
        let found = routes.iter().find(|r| r.path == path);
        let (status, body, short) = match found {
            Some(r) => (r.status, r.body.as_slice(), r.short),
            None => (404, &b"not found"[..], false),
        };
        let len = if short { body.len() * 2 } else { body.len() };
        write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )?;
        stream.write_all(body)?;
        stream.flush()
    }

    /// A loopback URL nothing listens on (connection refused).
    fn dead_mirror() -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}/")
    }

    fn sha(bytes: &[u8]) -> &'static str {
        Box::leak(idx::hex(&Sha256::digest(bytes)).into_boxed_str())
    }

    /// Two small valid files (images and labels) and their expected checksums.
    fn small_files() -> (Vec<MnistFile>, Vec<Vec<u8>>) {
        let images = images_bytes(3);
        let labels = labels_bytes(3);
        let files = vec![
            MnistFile {
                name: "train-images-idx3-ubyte",
                sha256: sha(&images),
                kind: IdxKind::Images,
                split: Split::Train,
            },
            MnistFile {
                name: "train-labels-idx1-ubyte",
                sha256: sha(&labels),
                kind: IdxKind::Labels,
                split: Split::Train,
            },
        ];
        (files, vec![images, labels])
    }

    fn dir_names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn verify_reports_good_bad_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, contents) = small_files();
        let extra = labels_bytes(2);
        files.push(MnistFile {
            name: "t10k-labels-idx1-ubyte",
            sha256: sha(&extra),
            kind: IdxKind::Labels,
            split: Split::Test,
        });
        files.push(MnistFile {
            name: "t10k-images-idx3-ubyte",
            sha256: sha(b"whatever"),
            kind: IdxKind::Images,
            split: Split::Test,
        });
        // good (gzip), checksum mismatch (raw, valid IDX), invalid, missing.
        fs::write(
            dir.path().join("train-images-idx3-ubyte.gz"),
            gzip(&contents[0]),
        )
        .unwrap();
        fs::write(dir.path().join("train-labels-idx1-ubyte"), labels_bytes(4)).unwrap();
        fs::write(
            dir.path().join("t10k-labels-idx1-ubyte.gz"),
            b"\x1f\x8bnope",
        )
        .unwrap();
        let r = verify_files(dir.path(), &files);

        assert!(r[0].is_good(), "{:?}", r[0]);
        assert_eq!(
            r[0].path,
            Some(dir.path().join("train-images-idx3-ubyte.gz"))
        );
        assert_eq!(r[0].gzip, Some(true));
        assert_eq!(r[0].count, Some(3));
        assert_eq!(r[0].sha256.as_deref(), Some(files[0].sha256));
        assert!(r[0].sha256_matches);

        assert_eq!(r[1].gzip, Some(false));
        assert_eq!(r[1].count, Some(4));
        assert!(!r[1].sha256_matches);
        match &r[1].status {
            FileStatus::Bad { problem } => assert!(problem.contains("SHA-256"), "{problem}"),
            other => panic!("{other:?}"),
        }

        match &r[2].status {
            FileStatus::Bad { problem } => assert!(problem.contains("corrupt gzip"), "{problem}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(r[2].sha256, None);

        assert_eq!(r[3].status, FileStatus::Missing);
        assert_eq!(r[3].path, None);
    }

    #[test]
    fn fetch_downloads_verifies_and_reports_progress() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (files, contents) = small_files();
        let gz: Vec<Vec<u8>> = contents.iter().map(|c| gzip(c)).collect();
        let (base, seen) = serve(
            vec![
                route("/mnist/train-images-idx3-ubyte.gz", gz[0].clone()),
                route("/mnist/train-labels-idx1-ubyte.gz", gz[1].clone()),
            ],
            2,
        );
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        let report = fetch_files(
            &data,
            std::slice::from_ref(&base),
            &files,
            &cancel,
            &mut |e| events.push(e),
        )
        .unwrap();
        assert_eq!(report.downloaded(), 2);
        assert_eq!(
            dir_names(&data),
            vec!["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
        );
        assert_eq!(
            fs::read(data.join("train-labels-idx1-ubyte.gz")).unwrap(),
            gz[1]
        );
        assert!(verify_files(&data, &files).iter().all(FileReport::is_good));
        assert_eq!(seen.lock().unwrap().len(), 2);

        assert_eq!(
            events[0],
            FetchProgress::Starting {
                file: "train-images-idx3-ubyte",
                url: format!("{base}train-images-idx3-ubyte.gz")
            }
        );
        let last_bytes = events
            .iter()
            .filter_map(|e| match e {
                FetchProgress::Bytes {
                    file: "train-images-idx3-ubyte",
                    done,
                    total,
                } => Some((*done, *total)),
                _ => None,
            })
            .next_back();
        let n = gz[0].len() as u64;
        assert_eq!(last_bytes, Some((n, Some(n))));
        assert!(events.contains(&FetchProgress::Verified {
            file: "train-labels-idx1-ubyte",
            path: data.join("train-labels-idx1-ubyte.gz"),
        }));

        // A second fetch finds everything good and downloads nothing.
        let mut events = Vec::new();
        let report = fetch_files(&data, &[dead_mirror()], &files, &cancel, &mut |e| {
            events.push(e)
        })
        .unwrap();
        assert_eq!(report.downloaded(), 0);
        assert!(matches!(events[0], FetchProgress::AlreadyGood { .. }));
    }

    #[test]
    fn checksum_mismatch_is_rejected_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, _) = small_files();
        files.truncate(1);
        // A valid IDX file, but not the one expected.
        let (base, _) = serve(
            vec![route(
                "/mnist/train-images-idx3-ubyte.gz",
                gzip(&images_bytes(4)),
            )],
            1,
        );
        let cancel = AtomicBool::new(false);
        let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap_err();
        match &err {
            FetchError::Unavailable {
                needed, failures, ..
            } => {
                assert_eq!(needed, &vec!["train-images-idx3-ubyte"]);
                assert!(failures[0].reason.contains("checksum mismatch"), "{err}");
            }
            other => panic!("{other}"),
        }
        assert!(
            dir_names(dir.path()).is_empty(),
            "{:?}",
            dir_names(dir.path())
        );
    }

    #[test]
    fn invalid_or_cut_downloads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (files, contents) = small_files();
        let gz = gzip(&contents[0]);
        let (base, _) = serve(
            vec![
                Route {
                    short: true,
                    ..route("/mnist/train-images-idx3-ubyte.gz", gz)
                },
                route(
                    "/mnist/train-labels-idx1-ubyte.gz",
                    b"<html>oops</html>".to_vec(),
                ),
            ],
            2,
        );
        let cancel = AtomicBool::new(false);
        let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap_err();
        let FetchError::Unavailable { failures, .. } = &err else {
            panic!("{err}")
        };
        eprintln!("{err}");
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[1].reason.contains("wrong magic"), "{failures:?}");
        assert!(
            dir_names(dir.path()).is_empty(),
            "{:?}",
            dir_names(dir.path())
        );
    }

    #[test]
    fn first_mirror_failing_falls_back_to_the_second() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, contents) = small_files();
        files.remove(0);
        let (empty_mirror, _) = serve(vec![], 1); // answers 404
        let (good, _) = serve(
            vec![route(
                "/mnist/train-labels-idx1-ubyte.gz",
                gzip(&contents[1]),
            )],
            1,
        );
        let mirrors = [dead_mirror(), empty_mirror, good.clone()];
        let mut failed = Vec::new();
        let cancel = AtomicBool::new(false);
        let report = fetch_files(dir.path(), &mirrors, &files, &cancel, &mut |e| {
            if let FetchProgress::Failed { url, reason, .. } = e {
                failed.push((url, reason));
            }
        })
        .unwrap();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(failed[1].1.contains("404"), "{failed:?}");
        match &report.files[0].outcome {
            FetchOutcome::Downloaded { url, .. } => {
                assert_eq!(url, &format!("{good}train-labels-idx1-ubyte.gz"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte.gz"]);
    }

    #[test]
    fn a_bad_raw_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, contents) = small_files();
        files.remove(0);
        fs::write(dir.path().join("train-labels-idx1-ubyte"), b"garbage").unwrap();
        let (base, _) = serve(
            vec![route(
                "/mnist/train-labels-idx1-ubyte.gz",
                gzip(&contents[1]),
            )],
            1,
        );
        let cancel = AtomicBool::new(false);
        let report = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap();
        match &report.files[0].outcome {
            FetchOutcome::Downloaded { replaced, .. } => {
                assert_eq!(replaced, &Some(dir.path().join("train-labels-idx1-ubyte")))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte.gz"]);
        assert!(verify_files(dir.path(), &files)[0].is_good());
    }

    #[test]
    fn uncompressed_content_is_saved_under_the_raw_name() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, contents) = small_files();
        files.remove(0);
        let (base, _) = serve(
            vec![route(
                "/mnist/train-labels-idx1-ubyte.gz",
                contents[1].clone(),
            )],
            1,
        );
        let cancel = AtomicBool::new(false);
        let report = fetch_files(dir.path(), &[base], &files, &cancel, &mut |_| {}).unwrap();
        assert_eq!(
            report.files[0].path,
            dir.path().join("train-labels-idx1-ubyte")
        );
        assert_eq!(dir_names(dir.path()), vec!["train-labels-idx1-ubyte"]);
    }

    #[test]
    fn all_mirrors_failing_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (files, _) = small_files();
        let dead = dead_mirror();
        let (empty_mirror, seen) = serve(vec![], 2);
        let mirrors = [dead.clone(), empty_mirror.clone()];
        let mut starts = Vec::new();
        let cancel = AtomicBool::new(false);
        let err = fetch_files(&data, &mirrors, &files, &cancel, &mut |e| {
            if let FetchProgress::Starting { url, .. } = e {
                starts.push(url);
            }
        })
        .unwrap_err();
        let msg = err.to_string();
        eprintln!("{msg}");
        assert!(msg.contains("offline"), "{msg}");
        assert!(msg.contains(&data.display().to_string()), "{msg}");
        for f in &files {
            assert!(msg.contains(&format!("{}.gz", f.name)), "{msg}");
        }
        assert!(msg.contains(&dead), "{msg}");
        assert!(msg.contains(&empty_mirror), "{msg}");
        assert!(msg.contains("404"), "{msg}");
        // The unreachable mirror is tried once, the reachable one for each file.
        assert_eq!(starts.len(), 3, "{starts:?}");
        assert_eq!(seen.lock().unwrap().len(), 2);
        // The directory was created and holds nothing.
        assert!(dir_names(&data).is_empty());
    }

    #[test]
    fn no_mirrors_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = small_files();
        let cancel = AtomicBool::new(false);
        let err = fetch_files(dir.path(), &[], &files, &cancel, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("No mirror is configured"), "{err}");
    }

    #[test]
    fn cancelling_mid_download_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (files, contents) = small_files();
        let (base, _) = serve(
            vec![route(
                "/mnist/train-images-idx3-ubyte.gz",
                gzip(&contents[0]),
            )],
            1,
        );
        let cancel = AtomicBool::new(false);
        let err = fetch_files(dir.path(), &[base], &files, &cancel, &mut |e| {
            if matches!(e, FetchProgress::Bytes { .. }) {
                cancel.store(true, Ordering::Relaxed);
            }
        })
        .unwrap_err();
        assert!(matches!(err, FetchError::Cancelled { .. }), "{err}");
        assert!(dir_names(dir.path()).is_empty());
    }

    /// A loopback server that answers every connection with a valid IDX images header
    /// for 60 000 images, then zero pixels forever, `chunk` bytes every `pause`.
    fn endless(chunk: usize, pause: Duration) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                std::thread::spawn(move || {
                    let mut req = [0u8; 4096];
                    let _ = s.read(&mut req);
                    let mut head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                    for v in [idx::IMAGES_MAGIC, 60_000, 28, 28] {
                        head.extend_from_slice(&v.to_be_bytes());
                    }
                    if s.write_all(&head).is_err() {
                        return;
                    }
                    let zeros = vec![0u8; chunk];
                    while s.write_all(&zeros).is_ok() {
                        std::thread::sleep(pause);
                    }
                });
            }
        });
        base
    }

    /// Fetches the first of `files` from the one mirror `base` under `limits`, which
    /// must fail; the reason of its one failure.
    fn first_file_fails(
        dir: &Path,
        base: String,
        files: &[MnistFile],
        limits: FetchLimits,
    ) -> String {
        let cancel = AtomicBool::new(false);
        let err =
            fetch_files_with(dir, &[base], &files[..1], limits, &cancel, &mut |_| {}).unwrap_err();
        one_failure(err)
    }

    fn one_failure(err: FetchError) -> String {
        match err {
            FetchError::Unavailable { failures, .. } => {
                assert_eq!(failures.len(), 1, "{failures:?}");
                failures[0].reason.clone()
            }
            other => panic!("expected Unavailable, got {other}"),
        }
    }

    #[test]
    fn only_https_mirrors_except_loopback() {
        let t = Duration::from_secs(1);
        for ok in [
            "https://example.com/mnist/x.gz",
            "http://127.0.0.1:9/x.gz",
            "http://[::1]:9/x.gz",
            "http://localhost/x.gz",
            "HTTPS://EXAMPLE.COM/x.gz",
        ] {
            assert!(agent_for(ok, t).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/x.gz",
            "http://127.0.0.1.example.com/x.gz",
            "http://10.0.0.1/x.gz",
            "ftp://example.com/x.gz",
            "file:///etc/passwd",
        ] {
            let err = agent_for(bad, t).unwrap_err();
            assert!(err.contains("https://"), "{bad}: {err}");
        }
        // Through a fetch: refused before any connection, nothing left behind.
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = small_files();
        let cancel = AtomicBool::new(false);
        let err = fetch_files(
            dir.path(),
            &["http://mirror.invalid/mnist/".to_string()],
            &files[..1],
            &cancel,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(one_failure(err).contains("refusing plain http"));
        assert!(dir_names(dir.path()).is_empty());
    }

    #[test]
    fn redirects_from_plain_http_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (files, contents) = small_files();
        let mut moved = route("/mnist/train-images-idx3-ubyte.gz", gzip(&contents[0]));
        moved.status = 302;
        let (base, _) = serve(vec![moved], 1);
        let cancel = AtomicBool::new(false);
        let err = fetch_files(dir.path(), &[base], &files[..1], &cancel, &mut |_| {}).unwrap_err();
        assert!(one_failure(err).contains("redirects"));
        assert!(dir_names(dir.path()).is_empty());
    }

    #[test]
    fn an_endless_stream_is_cut_off_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = small_files();
        let base = endless(64 * 1024, Duration::ZERO);
        let limits = FetchLimits {
            max_bytes: Some(1 << 20),
            timeout: None,
        };
        let reason = first_file_fails(dir.path(), base, &files, limits);
        assert!(reason.contains("more than the 1048576 bytes"), "{reason}");
        assert!(dir_names(dir.path()).is_empty());
    }

    #[test]
    fn an_announced_oversized_body_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = small_files();
        let (base, _) = serve(
            vec![route("/mnist/train-images-idx3-ubyte.gz", vec![0u8; 5000])],
            1,
        );
        let limits = FetchLimits {
            max_bytes: Some(1000),
            timeout: None,
        };
        let reason = first_file_fails(dir.path(), base, &files, limits);
        assert!(reason.contains("announces 5000 bytes"), "{reason}");
        assert!(dir_names(dir.path()).is_empty());
    }

    #[test]
    fn a_trickling_mirror_hits_the_overall_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = small_files();
        let base = endless(16, Duration::from_millis(20));
        let limits = FetchLimits {
            max_bytes: None,
            timeout: Some(Duration::from_millis(500)),
        };
        let reason = first_file_fails(dir.path(), base, &files, limits).to_lowercase();
        assert!(
            reason.contains("timeout") || reason.contains("timed out"),
            "{reason}"
        );
        assert!(dir_names(dir.path()).is_empty());
    }

    #[test]
    fn leftovers_of_a_killed_fetch_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (files, contents) = small_files();
        let stray = dir.path().join(".train-images-idx3-ubyte.gz.abc123.tmp");
        fs::write(&stray, b"half a download").unwrap();
        let (base, _) = serve(
            vec![route(
                "/mnist/train-images-idx3-ubyte.gz",
                gzip(&contents[0]),
            )],
            1,
        );
        let cancel = AtomicBool::new(false);
        fetch_files(dir.path(), &[base], &files[..1], &cancel, &mut |_| {}).unwrap();
        assert_eq!(dir_names(dir.path()), vec!["train-images-idx3-ubyte.gz"]);
    }

    #[test]
    fn mirror_urls_join_with_one_slash() {
        let f = MNIST_FILES[0];
        assert_eq!(
            mirror_url("https://h/mnist/", &f),
            "https://h/mnist/train-images-idx3-ubyte.gz"
        );
        assert_eq!(
            mirror_url("https://h/mnist", &f),
            "https://h/mnist/train-images-idx3-ubyte.gz"
        );
    }
}
