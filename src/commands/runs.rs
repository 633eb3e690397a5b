//! `mnist-tui runs list | show | rm`.

use super::Context;
use crate::format;
use crate::runs::{RunRecord, RunStatus};
use crate::train::SETTINGS;

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
        format::float(r.config.lr),
        r.config.batch_size,
        r.best_test_acc()
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
    if json {
        println!("{}", serde_json::to_string_pretty(&r.to_json())?);
        return Ok(());
    }
    let c = &r.config;
    println!("run       {}", r.id);
    match &r.status {
        RunStatus::Failed(reason) => println!("status    failed: {reason}"),
        s => println!("status    {}", s.word()),
    }
    println!(
        "network   {} ({} parameters)",
        c.model.description(),
        r.params
    );
    println!("epochs    {} done", r.epochs_done());
    println!("settings");
    for setting in SETTINGS {
        println!("  {:<14} {}", setting.label, setting.show(c));
    }
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
            change.step,
            change.x,
            format::float(change.lr)
        );
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
                format::duration(e.seconds)
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

/// `runs rm ID`.
pub fn remove(ctx: &Context, typed: &str) -> anyhow::Result<()> {
    let id = ctx.store.resolve_id(typed)?;
    ctx.store.delete(&id)?;
    println!("deleted run {id}");
    Ok(())
}
