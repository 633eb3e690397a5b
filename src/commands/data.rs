//! `mnist-tui data fetch | verify`.

use super::{Context, ExitError, out};
use crate::data::fetch::{self, FetchError, FetchOutcome, FetchProgress, FileStatus};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// `data fetch`: download what is missing from the configured mirrors, verifying the
/// SHA-256 of each file's decompressed content. Offline, says which files are needed
/// and where to put them.
pub fn fetch(ctx: &Context) -> anyhow::Result<()> {
    let dir = &ctx.data_dir;
    let terminal = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    // Ctrl-C, SIGTERM and SIGHUP cancel the download at the next read, so its
    // temporary file is removed instead of being left behind.
    let cancel = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        // A second signal (the flag is already up) exits at once.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, cancel.clone())
            .and_then(|_| signal_hook::flag::register(sig, cancel.clone()))
            .map_err(|e| anyhow::anyhow!("cannot install the signal handlers: {e}"))?;
    }
    // Once stdout fails (its reader has gone: `data fetch | head -1`), the download
    // goes on without printing.
    let mut stdout_open = true;
    let mut say = move |text: String| {
        stdout_open = stdout_open && out::line(text).unwrap_or(false);
    };
    let mut progress = |event: FetchProgress| match event {
        FetchProgress::AlreadyGood { file, path } => {
            say(format!(
                "{file}: already present and good ({})",
                path.display()
            ));
        }
        FetchProgress::Starting { file, url } => {
            say(format!("{file}: downloading {url}"));
            if terminal {
                let b = ProgressBar::new(0);
                b.set_style(
                    ProgressStyle::with_template(
                        "  [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar = Some(b);
            }
        }
        FetchProgress::Bytes { done, total, .. } => {
            if let Some(b) = &bar {
                if let Some(total) = total {
                    b.set_length(total);
                }
                b.set_position(done);
            }
        }
        FetchProgress::Verified { file, path } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            say(format!("{file}: verified, saved as {}", path.display()));
        }
        FetchProgress::Failed { file, url, reason } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            if !reason.starts_with("skipped") {
                out::warn(format!("{file}: {url} failed: {reason}"));
            }
        }
    };
    match fetch::fetch(dir, &ctx.config.mirrors, &cancel, &mut progress) {
        Ok(report) => {
            let downloaded = report
                .files
                .iter()
                .filter(|f| matches!(f.outcome, FetchOutcome::Downloaded { .. }))
                .count();
            out::line(format!(
                "MNIST is ready in {} ({downloaded} file(s) downloaded)",
                dir.display()
            ))?;
            Ok(())
        }
        Err(e @ FetchError::Cancelled { .. }) => Err(ExitError {
            message: format!("{e}"),
            code: 130,
        }
        .into()),
        Err(e @ FetchError::Unavailable { .. }) => Err(ExitError {
            message: format!("error: {e}"),
            code: 1,
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// `data verify`: what is in the data folder, file by file; non-zero exit unless all
/// four files are good.
pub fn verify(ctx: &Context) -> anyhow::Result<()> {
    let reports = fetch::verify(&ctx.data_dir);
    let mut o = format!("data folder: {}\n", ctx.data_dir.display());
    let mut good = 0;
    for r in &reports {
        let name = r.file.name;
        match &r.status {
            FileStatus::Good => {
                good += 1;
                let _ = writeln!(
                    o,
                    "good     {name}: {} items, sha256 {} ({}){}",
                    r.count.unwrap_or(0),
                    r.sha256.as_deref().unwrap_or("?"),
                    if r.sha256_matches {
                        "matches"
                    } else {
                        "DOES NOT match"
                    },
                    match r.gzip {
                        Some(true) => ", gzip",
                        _ => ", raw",
                    }
                );
            }
            FileStatus::Bad { problem } => {
                let _ = writeln!(o, "bad      {name}: {problem}");
            }
            FileStatus::Missing => {
                let _ = writeln!(o, "missing  {name} (or {name}.gz)");
            }
        }
    }
    if good == reports.len() {
        let _ = writeln!(o, "all {good} MNIST files are good");
    }
    // A closed stdout (`data verify | head -1`) does not change the verdict.
    out::write(&o)?;
    if good == reports.len() {
        Ok(())
    } else {
        Err(ExitError {
            message: format!(
                "{} of {} MNIST files are missing or bad; run `mnist-tui data fetch`",
                reports.len() - good,
                reports.len()
            ),
            code: 1,
        }
        .into())
    }
}
