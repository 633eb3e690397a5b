//! `mnist-tui data fetch | verify | list`.

use super::{Context, ExitError, out};
use crate::data::datasets::listing::{self, Listed};
use crate::data::fetch::{
    self, DatasetFiles, FetchError, FetchProgress, FetchReport, FileReport, FileStatus,
};
use crate::data::{DatasetName, Source};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The dataset a `data` subcommand works on: `--dataset`, else config.ron's
/// `train.dataset`, else MNIST.
fn chosen(ctx: &Context, flag: Option<&DatasetName>) -> DatasetName {
    flag.cloned()
        .or_else(|| ctx.config.train.dataset.clone())
        .unwrap_or_default()
}

/// What `data fetch` fills for `name`: a dataset known by name, in the folder its files
/// are in (MNIST's, with nothing there yet: the data folder itself), from its mirrors
/// (MNIST's: config.ron's). A folder of one's own has nothing to download.
fn fetch_target(ctx: &Context, name: &DatasetName) -> anyhow::Result<DatasetFiles> {
    let source = Source::resolve(&ctx.data_dir, name)?;
    let Some(spec) = source.spec else {
        return Err(ExitError {
            message: format!(
                "error: '{name}' is a folder of one's own ({}): there is nothing to download. \
                 Put its four files there and run `mnist-tui data verify --dataset {name}`",
                source.dir.display()
            ),
            code: 1,
        }
        .into());
    };
    let files = DatasetFiles::of_source(&source);
    Ok(if spec.name == DatasetName::mnist().as_str() {
        files.with_mirrors(&ctx.config.mirrors)
    } else {
        files
    })
}

/// `data fetch --dataset NAME`: download what is missing or bad from the dataset's
/// mirrors, checking each file by its checksum. Offline (or for a dataset without
/// mirrors), says which files are needed, where to put them and how to get them.
pub fn fetch(ctx: &Context, dataset: Option<&DatasetName>) -> anyhow::Result<()> {
    let target = fetch_target(ctx, &chosen(ctx, dataset))?;
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
        // Why a file is unverified is said once, after the last file.
        FetchProgress::AlreadyUnverified { file, path, .. } => {
            say(format!(
                "{file}: already present and valid, unverified ({})",
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
        FetchProgress::SavedUnverified { file, path, .. } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            say(format!(
                "{file}: valid IDX, saved as {}; unverified",
                path.display()
            ));
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
    match fetch::fetch(&target, &cancel, &mut progress) {
        Ok(report) => {
            out::line(ready_text(&target, &report))?;
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

/// `MNIST is ready in DIR (N file(s) downloaded)` and how many no checksum checked,
/// after why they could not be (each reason once).
fn ready_text(target: &DatasetFiles, report: &FetchReport) -> String {
    let mut line = String::new();
    let mut reasons: Vec<&str> = Vec::new();
    for why in report.files.iter().filter_map(|f| f.unverified.as_deref()) {
        if !reasons.contains(&why) {
            reasons.push(why);
            let _ = writeln!(line, "unverified: {why}");
        }
    }
    let _ = write!(
        line,
        "{} is ready in {} ({} file(s) downloaded",
        target.title,
        report.dir.display(),
        report.downloaded()
    );
    match report.unverified() {
        0 => line.push_str(", every file verified by its checksum)"),
        n => {
            let _ = write!(line, "; {n} unverified: no checksum to compare)");
        }
    }
    line
}

/// `data verify --dataset NAME`: what is in the dataset's folder, file by file; non-zero
/// exit unless every file is present and valid. A file no checksum can check is valid
/// but reported unverified, with why.
pub fn verify(ctx: &Context, dataset: Option<&DatasetName>) -> anyhow::Result<()> {
    let name = chosen(ctx, dataset);
    let source = Source::resolve(&ctx.data_dir, &name)?;
    let target = DatasetFiles::of_source(&source);
    let reports = fetch::verify(&target);
    let mut o = format!("{} ({name}) in {}\n", target.title, target.dir.display());
    let mut reasons: Vec<&str> = Vec::new();
    for r in &reports {
        o += &report_line(r);
        if let FileStatus::Unverified { why } = &r.status
            && !reasons.contains(&why.as_str())
        {
            reasons.push(why);
        }
    }
    for why in &reasons {
        let _ = writeln!(o, "unverified: {why}");
    }
    let valid = reports.iter().filter(|r| r.is_valid()).count();
    let good = reports.iter().filter(|r| r.is_good()).count();
    let (total, title) = (reports.len(), &target.title);
    if valid == total {
        o += &summary_line(total, good, title);
    }
    // A closed stdout (`data verify | head -1`) does not change the verdict.
    out::write(&o)?;
    if valid == total {
        return Ok(());
    }
    let how = match source.spec {
        Some(_) => format!("run `mnist-tui data fetch --dataset {name}`"),
        None => format!("put them in {}", target.dir.display()),
    };
    Err(ExitError {
        message: format!(
            "{} of {total} {title} files are missing or bad; {how}",
            total - valid
        ),
        code: 1,
    }
    .into())
}

/// `data verify`'s last line when every file is valid: how many a checksum verified.
fn summary_line(total: usize, good: usize, title: &str) -> String {
    match good {
        g if g == total => {
            format!("all {total} {title} files are good (each verified by its checksum)\n")
        }
        0 => {
            format!("all {total} {title} files are valid, none verified: no checksum to compare\n")
        }
        g => format!(
            "all {total} {title} files are valid: {g} verified by their checksum, {} unverified\n",
            total - g
        ),
    }
}

/// One file's line of `data verify`.
fn report_line(r: &FileReport) -> String {
    let name = r.file.name;
    let gzip = match r.gzip {
        Some(true) => "gzip",
        _ => "raw",
    };
    let count = r.count.unwrap_or(0);
    let sha256 = r.sha256.as_deref().unwrap_or("?");
    match &r.status {
        FileStatus::Good => match &r.md5 {
            Some(md5) => format!(
                "good        {name}: {count} items, MD5 of the .gz {md5} (matches the publisher's), {gzip}\n"
            ),
            None => {
                format!("good        {name}: {count} items, sha256 {sha256} (matches), {gzip}\n")
            }
        },
        FileStatus::Unverified { .. } => {
            format!(
                "unverified  {name}: {count} items, {gzip}, sha256 {sha256} (nothing to compare it with)\n"
            )
        }
        FileStatus::Bad { problem } => format!("bad         {name}: {problem}\n"),
        FileStatus::Missing => format!("missing     {name} (or {name}.gz)\n"),
    }
}

/// `data list`: every dataset known by name and every folder of one's own in the data
/// folder, with its classes, where its files are (or would go) and how many are there.
pub fn list(ctx: &Context) -> anyhow::Result<()> {
    let listed = listing::list(&ctx.data_dir);
    let mut o = format!(
        "datasets in {} (`data fetch --dataset NAME` downloads one, `data verify --dataset \
         NAME` checks it)\n",
        ctx.data_dir.display()
    );
    let _ = writeln!(
        o,
        "{:<16} {:<16} {:>7}  {:<8} FOLDER",
        "NAME", "TITLE", "CLASSES", "FILES"
    );
    let (known, own): (Vec<&Listed>, Vec<&Listed>) = listed.iter().partition(|l| !l.own);
    for l in known {
        o += &list_line(l);
    }
    if !own.is_empty() {
        o += "folders of one's own:\n";
        for l in own {
            o += &list_line(l);
        }
    }
    out::write(&o)?;
    Ok(())
}

/// One dataset's line of `data list`.
fn list_line(l: &Listed) -> String {
    let classes = l.classes.map_or_else(|| "?".to_string(), |c| c.to_string());
    let files = match l.present {
        0 => "none".to_string(),
        4 => "all 4".to_string(),
        n => format!("{n} of 4"),
    };
    let note = match &l.problem {
        Some(problem) => format!("  ({problem})"),
        None if !l.own && !l.fetchable && l.present < 4 => format!(
            "  (no mirror: `data fetch --dataset {}` says how to get it)",
            l.name
        ),
        None => String::new(),
    };
    format!(
        "{:<16} {:<16} {classes:>7}  {files:<8} {}{note}\n",
        l.name,
        l.title,
        l.dir.display()
    )
}
