//! One download attempt from one mirror: the agent (https only, but for loopback),
//! the size cap, and the body streamed into a temporary file while it is decompressed,
//! validated and hashed; only a verified file is renamed into place.

use super::FetchProgress;
use super::verify::{checksum_problem, problem_of};
use crate::data::datasets::DataFile;
use crate::data::idx::{self, ParseOptions};
use crate::fsutil;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
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

/// One download attempt; on success the verified file is in place and its path and
/// size are returned. On failure nothing is left in `dir`.
pub(super) fn download(
    agent: &ureq::Agent,
    url: &str,
    dir: &Path,
    file: &DataFile,
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
                Ok(p) if p.sha256.as_deref() != file.sha256() => Err(failed(format!(
                    "checksum mismatch: {}",
                    checksum_problem(p.sha256.as_deref(), file.sha256().unwrap_or("none pinned"))
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
