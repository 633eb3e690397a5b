//! `mnist-tui bench`: the speed table (or JSON) of [`crate::bench`].

use super::{Context, out};
use crate::bench::{self, BenchOptions, ModelBench, WARMUP_STEPS};
use crate::cli::BenchArgs;
use crate::model::{NetworkDef, Preset, network_named};

/// Measures the models of `args` and prints a row per model as it is ready (or one
/// JSON object at the end with `--json`).
pub fn run(ctx: &Context, args: &BenchArgs) -> anyhow::Result<()> {
    let models = if args.models.is_empty() {
        Preset::ALL.map(NetworkDef::preset).to_vec()
    } else {
        args.models
            .iter()
            .map(|m| network_named(m.as_str()))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?
    };
    let options = BenchOptions {
        models,
        steps: args.steps,
        augment: args.augment,
    };
    if !args.json {
        let header = format!(
            "{} timed training steps per model (after {WARMUP_STEPS} untimed), default recipes\n\
             {:<13} {:>5} {:>7} {:>10} {:>8} {:>10} {:>9} {:>9}",
            options.steps,
            "model",
            "batch",
            "augment",
            "samples/s",
            "s/epoch",
            "test pass",
            "1 image",
            "peak RSS"
        );
        // Nobody reads the table (`bench | head -0`): nothing to measure for.
        if !out::line(header)? {
            return Ok(());
        }
    }
    let json = args.json;
    let report = bench::run(&ctx.data_dir, &options, |m| {
        if !json {
            // (A stdout closed meanwhile loses the rows; the command ends normally.)
            let _ = out::line(row(m));
        }
    })?;
    if json {
        out::line(serde_json::to_string_pretty(&report)?)?;
    } else {
        out::line(format!(
            "MNIST load {:.2} s; {}; {} worker threads",
            report.mnist_load_seconds, report.machine, report.threads
        ))?;
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
