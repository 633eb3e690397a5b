//! `mnist-tui bench`: the speed table (or JSON) of [`crate::bench`].

use super::Context;
use crate::bench::{self, BenchOptions, ModelBench, WARMUP_STEPS};
use crate::cli::BenchArgs;
use crate::model::Arch;
use std::io::Write;

/// Measures the models of `args` and prints a row per model as it is ready (or one
/// JSON object at the end with `--json`).
pub fn run(ctx: &Context, args: &BenchArgs) -> anyhow::Result<()> {
    let models = if args.models.is_empty() {
        Arch::ALL.to_vec()
    } else {
        args.models.clone()
    };
    let options = BenchOptions {
        models,
        steps: args.steps,
        augment: args.augment,
    };
    let mut out = std::io::stdout();
    if !args.json {
        writeln!(
            out,
            "{} timed training steps per model (after {WARMUP_STEPS} untimed), default recipes",
            options.steps
        )?;
        writeln!(
            out,
            "{:<13} {:>5} {:>7} {:>10} {:>8} {:>10} {:>9} {:>9}",
            "model", "batch", "augment", "samples/s", "s/epoch", "test pass", "1 image", "peak RSS"
        )?;
    }
    let json = args.json;
    let report = bench::run(&ctx.data_dir, &options, |m| {
        if !json {
            let _ = writeln!(std::io::stdout(), "{}", row(m));
        }
    })?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "MNIST load {:.2} s; {}; {} worker threads",
            report.mnist_load_seconds, report.machine, report.threads
        )?;
    }
    Ok(())
}

/// One table row.
fn row(m: &ModelBench) -> String {
    let rss = m
        .peak_rss_mb
        .map_or_else(|| "-".to_string(), |mb| format!("{mb:.0} MB"));
    format!(
        "{:<13} {:>5} {:>7} {:>10.0} {:>8.2} {:>8.3} s {:>6.1} µs {:>9}",
        m.model,
        m.batch_size,
        m.augment,
        m.samples_per_sec,
        m.epoch_seconds,
        m.test_pass_seconds,
        m.image_micros,
        rss
    )
}
