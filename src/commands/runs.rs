//! `mnist-tui runs list | show | rm`.

use super::Context;
use crate::runs::{RunRecord, RunStatus};
use std::io::{BufRead, IsTerminal, Write};

/// `runs list`: a table (or a JSON array); damaged runs are reported on stderr and
/// never hide the others.
pub fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let (runs, damaged) = ctx.store.list()?;
    for d in &damaged {
        eprintln!("warning: skipped damaged {d}");
    }
    if json {
        let all: Vec<_> = runs.iter().map(RunRecord::to_json).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if runs.is_empty() {
        println!(
            "no runs in {} (train one with `mnist-tui train` or in the dashboard)",
            ctx.store.root().display()
        );
        return Ok(());
    }
    println!("{}", table_header());
    for r in &runs {
        println!("{}", table_row(r));
    }
    Ok(())
}

fn table_header() -> String {
    format!(
        "{:<34} {:<12} {:<9} {:>6} {:>8} {:>5} {:>8} {:>8} {:>8}",
        "ID", "MODEL", "STATUS", "EPOCHS", "LR", "BATCH", "BEST ACC", "LOSS", "TIME"
    )
}

fn table_row(r: &RunRecord) -> String {
    format!(
        "{:<34} {:<12} {:<9} {:>6} {:>8} {:>5} {:>8} {:>8} {:>8}",
        r.id,
        r.config.model.name(),
        r.status.word(),
        format!("{}/{}", r.epochs_done(), r.config.epochs),
        format_lr(r.config.lr),
        r.config.batch_size,
        r.best_test_acc()
            .map_or("-".to_string(), |a| format!("{:.2}%", a * 100.0)),
        r.final_loss()
            .map_or("-".to_string(), |l| format!("{l:.4}")),
        format_duration(r.seconds()),
    )
}

/// A learning rate in a short readable form.
pub fn format_lr(lr: f64) -> String {
    if lr >= 0.01 {
        format!("{lr}")
    } else {
        format!("{lr:.0e}")
    }
}

/// Seconds as `1h02m`, `3m05s` or `12.3s`.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s >= 3600.0 {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    } else if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// `runs show ID`: settings, per-epoch metrics and status (or one JSON object).
pub fn show(ctx: &Context, typed: &str, json: bool) -> anyhow::Result<()> {
    let id = ctx.store.resolve_id(typed)?;
    let r = ctx.store.load(&id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r.to_json())?);
        return Ok(());
    }
    let c = &r.config;
    println!("run       {}", r.id);
    match &r.status {
        RunStatus::Failed(reason) => println!("status    failed: {reason}"),
        RunStatus::Interrupted => println!(
            "status    interrupted (the process training it ended without saving a final \
             status; `mnist-tui train --resume {}` continues it)",
            r.id
        ),
        s => println!("status    {}", s.word()),
    }
    println!("model     {} ({} parameters)", c.model, r.params);
    println!(
        "optimizer {} lr {} momentum {} weight decay {}",
        c.optimizer, c.lr, c.momentum, c.weight_decay
    );
    println!(
        "batch     {}   epochs {}/{}   seed {}   normalize {}",
        c.batch_size,
        r.epochs_done(),
        c.epochs,
        c.seed,
        c.normalize
    );
    println!(
        "data      {} train / {} test images",
        r.train_size, r.test_size
    );
    if let Ok(fmt) = r
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
    {
        println!("started   {fmt}");
    }
    for change in &r.lr_changes {
        println!(
            "lr change at step {} (epoch {:.2}): {}",
            change.step, change.x, change.lr
        );
    }
    if let Some(from) = &r.resumed_from {
        println!("resumed from {from}");
    }
    if !r.epochs.is_empty() {
        println!();
        println!(
            "{:>5} {:>10} {:>9} {:>10} {:>9} {:>8}",
            "EPOCH", "TRAIN LOSS", "TRAIN ACC", "TEST LOSS", "TEST ACC", "TIME"
        );
        for e in &r.epochs {
            println!(
                "{:>5} {:>10.4} {:>8.2}% {:>10.4} {:>8.2}% {:>8}",
                e.epoch,
                e.train_loss,
                e.train_acc * 100.0,
                e.test_loss,
                e.test_acc * 100.0,
                format_duration(e.seconds)
            );
        }
    }
    if let Some(s) = r.summary.as_ref().filter(|s| !s.dead_outputs.is_empty()) {
        println!(
            "\ndead output units (always 0, never predicted): classes {:?}",
            s.dead_outputs
        );
    }
    Ok(())
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
        eprint!("delete run {id} and all its files? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            eprintln!("not deleted");
            return Ok(());
        }
    }
    ctx.store.delete(&id)?;
    println!("deleted run {id}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(12.34), "12.3s");
        assert_eq!(format_duration(185.0), "3m05s");
        assert_eq!(format_duration(3720.0), "1h02m");
    }

    #[test]
    fn learning_rates_read_well() {
        assert_eq!(format_lr(0.8), "0.8");
        assert_eq!(format_lr(0.001), "1e-3");
    }
}
