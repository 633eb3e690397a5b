//! One download attempt from one mirror: the agent (https only, but for loopback),
//! the size cap, and the body streamed into a temporary file while it is decompressed,
//! validated and hashed (SHA-256 of the content; MD5 of the bytes as received for a
//! file pinned by one); only a file its checksum accepts is renamed into place.

use super::verify::{Observed, Verdict, judge, problem_of};
use super::{DatasetFiles, FetchProgress};
use crate::data::datasets::{DataFile, FileChecksum};
use crate::data::idx::{self, ParseOptions};
use crate::fsutil;
use md5::{Digest, Md5};
use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `<mirror>/<name>.gz`, with exactly one slash between them.
pub fn mirror_url(mirror: &str, file: &DataFile) -> String {
    format!("{}/{}", mirror.trim_end_matches('/'), file.gz_name())
}

/// The HTTP agent for `url`: https only (redirects included) for every host but a
/// loopback one, which may be plain http but then follows no redirects at all.
pub(super) fn agent_for(url: &str, timeout: Duration) -> Result<ureq::Agent, String> {
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

pub(super) enum Attempt {
    Cancelled,
    Failed { reason: String, unreachable: bool },
}

pub(super) fn failed(reason: impl Into<String>) -> Attempt {
    Attempt::Failed {
        reason: reason.into(),
        unreachable: false,
    }
}

/// A download that was kept.
pub(super) struct Saved {
    /// Where the file now is.
    pub path: PathBuf,
    /// Bytes received.
    pub bytes: u64,
    /// Why no checksum checked it (`None`: its checksum matched).
    pub unverified: Option<String>,
}

/// What the streaming check of a download decided: whether the body was gzip, and the
/// file kept (at its `.gz` name), or why not.
type Checked = Result<(bool, Saved), Attempt>;

/// One download attempt of `file` of `set` into `set.dir`; on success the file is in
/// place. On failure nothing is left there.
pub(super) fn download(
    agent: &ureq::Agent,
    url: &str,
    set: &DatasetFiles,
    file: &DataFile,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<Saved, Attempt> {
    let dir = set.dir.as_path();
    let max_bytes = set.max_bytes(file);
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
    let mut outcome: Option<Checked> = None;
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
            md5: matches!(file.checksum, FileChecksum::Md5Gz(_)).then(Md5::new),
        };
        let (first, last) = set.labels;
        let opts = ParseOptions::VERIFY.with_labels(first, last);
        let parsed = idx::parse(&mut tee, file.kind, &gz_path, opts).and_then(|p| {
            // Whatever the parser left unread is still part of the file (and its MD5).
            io::copy(&mut tee, &mut io::sink()).map_err(|e| crate::data::DataError::Io {
                path: gz_path.clone(),
                source: e,
            })?;
            Ok(p)
        });
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
                Ok(p) => {
                    let seen = Observed {
                        gzip: p.gzip,
                        count: p.count,
                        sha256: p.sha256,
                        md5: tee.md5.take().map(|h| idx::hex(&h.finalize())),
                    };
                    accept(set, file, &seen).map(|unverified| {
                        let saved = Saved {
                            path: gz_path.clone(),
                            bytes: tee.done,
                            unverified,
                        };
                        (seen.gzip, saved)
                    })
                }
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
        (Some(Ok((gzip, saved))), Ok(())) => {
            if gzip {
                Ok(saved)
            } else {
                // The server sent decompressed content: keep the name honest.
                let raw_path = dir.join(file.name);
                match fs::rename(&gz_path, &raw_path) {
                    Ok(()) => {
                        let _ = fsutil::sync_dir(dir);
                        Ok(Saved {
                            path: raw_path,
                            ..saved
                        })
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

/// Whether a downloaded file is kept: its checksum matches (`Ok(None)`), or it has no
/// checksum and is valid with the dataset's count (`Ok(Some(why))`). A file pinned by
/// the MD5 of its `.gz` is checked by the MD5 of the bytes as received, so a mirror
/// that sends it decompressed is refused.
fn accept(set: &DatasetFiles, file: &DataFile, seen: &Observed) -> Result<Option<String>, Attempt> {
    if matches!(file.checksum, FileChecksum::Md5Gz(_)) && !seen.gzip {
        return Err(failed(
            "checksum mismatch: the mirror sent decompressed content, but the file is pinned \
             by the MD5 of its .gz as its publisher serves it",
        ));
    }
    match (judge(set, file, seen), file.checksum) {
        (Verdict::Good, _) => Ok(None),
        (Verdict::Unverified(why), _) => Ok(Some(why)),
        (Verdict::Bad(problem), FileChecksum::None) => {
            Err(failed(format!("downloaded data is not valid: {problem}")))
        }
        (Verdict::Bad(problem), _) => Err(failed(format!("checksum mismatch: {problem}"))),
    }
}

/// Copies everything read from `inner` to `out`, reports progress, honours the
/// cancellation flag and, when asked, hashes the bytes as received with MD5.
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
    md5: Option<Md5>,
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
        if let Some(h) = self.md5.as_mut() {
            h.update(&buf[..n]);
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
