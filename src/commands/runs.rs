//! `mnist-tui runs list | show | rm`.

use super::Context;
use crate::format;
use crate::runs::{RunRecord, RunStatus, report};
use crate::train::SETTINGS;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};

/// Writes `text` to stdout; a reader that has gone ends the output quietly.
fn emit(text: &str) -> anyhow::Result<()> {
    super::out::write(text).map(|_| ())
}

/// `runs list`: a table (or a JSON array); damaged runs are reported on stderr and
/// never hide the others.
pub fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let (runs, damaged) = ctx.store.list()?;
    let mut o = String::new();
    for d in &damaged {
        let _ = writeln!(std::io::stderr(), "warning: skipped damaged {d}");
    }
    if json {
        let all: Vec<_> = runs.iter().map(RunRecord::to_json).collect();
        writeln!(o, "{}", serde_json::to_string_pretty(&all)?)?;
        return emit(&o);
    }
    if runs.is_empty() {
        writeln!(
            o,
            "no runs in {} (train one with `mnist-tui train` or in the dashboard)",
            ctx.store.root().display()
        )?;
        return emit(&o);
    }
    writeln!(o, "{}", table_header())?;
    for r in &runs {
        writeln!(o, "{}", table_row(r))?;
    }
    emit(&o)
}

fn table_header() -> String {
    format!(
        "{:<34} {:<12} {:<14} {:<9} {:>6} {:>8} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "ID",
        "MODEL",
        "DATASET",
        "STATUS",
        "EPOCHS",
        "LR",
        "BATCH",
        "VAL ACC",
        "TEST ACC",
        "LOSS",
        "TIME"
    )
}

fn table_row(r: &RunRecord) -> String {
    format!(
        "{:<34} {:<12} {:<14} {:<9} {:>6} {:>8} {:>5} {:>8} {:>8} {:>8} {:>8}",
        r.id,
        r.config.model.as_str(),
        r.config.dataset.as_str(),
        r.status.word(),
        format!("{}/{}", r.epochs_done(), r.config.epochs),
        format::float(r.config.lr),
        r.config.batch_size,
        r.val_acc()
            .map_or("-".to_string(), |a| format::percent(a as f64)),
        r.test_acc()
            .map_or("-".to_string(), |a| format::percent(a as f64)),
        r.final_loss()
            .map_or("-".to_string(), |l| format!("{l:.4}")),
        format::duration(r.seconds()),
    )
}

/// `runs show ID`: settings, per-epoch metrics and status (or one JSON object).
pub fn show(ctx: &Context, typed: &str, json: bool) -> anyhow::Result<()> {
    let id = ctx.store.resolve_id(typed)?;
    let r = ctx.store.load(&id)?;
    let mut o = String::new();
    if json {
        writeln!(o, "{}", serde_json::to_string_pretty(&r.to_json())?)?;
        return emit(&o);
    }
    let c = &r.config;
    writeln!(o, "run       {}", r.id)?;
    match &r.status {
        RunStatus::Failed(reason) => writeln!(o, "status    failed: {reason}")?,
        RunStatus::Interrupted => writeln!(
            o,
            "status    interrupted (the process training it ended without saving a final \
             status; `mnist-tui train --resume {}` continues it)",
            r.id
        )?,
        s => writeln!(o, "status    {}", s.word())?,
    }
    writeln!(
        o,
        "network   {} ({} parameters)",
        c.network().description(),
        r.params
    )?;
    writeln!(o, "epochs    {} done", r.epochs_done())?;
    writeln!(o, "settings")?;
    for setting in SETTINGS {
        writeln!(o, "  {:<14} {}", setting.label, setting.show_applied(c))?;
    }
    writeln!(
        o,
        "data      {}: {} train / {} validation / {} test images ({})",
        r.dataset.title,
        r.train_size,
        r.val_size,
        r.test_size,
        r.sampling.describe()
    )?;
    for f in &r.dataset.files {
        writeln!(o, "  {:<26} sha256 {}", f.file, f.sha256)?;
    }
    if let Ok(fmt) = r
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
    {
        writeln!(o, "started   {fmt}")?;
    }
    for session in &r.sessions {
        writeln!(
            o,
            "computed  from epoch {}: {}",
            session.from_epoch,
            session.describe()
        )?;
        writeln!(
            o,
            "command   {}",
            shlex::try_join(session.command_line.iter().map(String::as_str))
                .unwrap_or_else(|_| session.command_line.join(" "))
        )?;
    }
    writeln!(o, "lr at end {}", r.last_rate_text())?;
    for change in &r.lr_changes {
        writeln!(
            o,
            "lr change at step {} (epoch {:.2}): {}",
            change.step,
            change.x,
            format::approx(change.lr)
        )?;
    }
    if !r.epochs.is_empty() {
        writeln!(o)?;
        let (header, rows) = report::epoch_table(&r);
        writeln!(o, "{header}")?;
        for row in rows {
            writeln!(o, "{}", row.text)?;
        }
    }
    let outcome = report::outcome_lines(&r);
    if !outcome.is_empty() {
        writeln!(o)?;
        for line in outcome {
            writeln!(o, "{line}")?;
        }
    }
    let classes = report::per_class_lines(&r);
    if !classes.is_empty() {
        writeln!(
            o,
            "\nper class (validation: kept epoch; test: kept weights)"
        )?;
        for line in classes {
            writeln!(o, "{line}")?;
        }
    }
    let confusion = report::confusion_lines(&r);
    if !confusion.is_empty() {
        writeln!(o, "\ntest confusion matrix (kept weights)")?;
        for line in confusion {
            writeln!(o, "{line}")?;
        }
    }
    if let Some(s) = r.summary.as_ref().filter(|s| !s.dead_outputs.is_empty()) {
        writeln!(
            o,
            "\ndead output units (always 0, never predicted): classes {:?}",
            s.dead_outputs
        )?;
    }
    emit(&o)
}

/// `runs rm ID [--yes]`: deletes one run. `ID` is an exact id or a unique prefix of at
/// least 8 characters of a folder holding a run record (a damaged run only by its
/// exact id); a run being trained is refused. On a terminal it asks first; otherwise
/// (scripts, pipes) it needs `--yes`.
pub fn remove(ctx: &Context, typed: &str, yes: bool) -> anyhow::Result<()> {
    let id = ctx.store.resolve_for_delete(typed)?;
    if ctx.store.is_locked(&id) {
        return Err(crate::runs::StoreError::Locked(id).into());
    }
    if !yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            anyhow::bail!(
                "not deleting run {id} without confirmation: stdin is not a terminal, \
                 pass --yes to delete it"
            );
        }
        let mut stderr = std::io::stderr();
        let _ = write!(stderr, "delete run {id} and all its files? [y/N] ");
        let _ = stderr.flush();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            let _ = writeln!(stderr, "not deleted");
            return Ok(());
        }
    }
    ctx.store.delete(&id)?;
    emit(&format!("deleted run {id}\n"))
}
