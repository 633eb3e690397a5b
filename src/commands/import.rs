//! `mnist-tui import PATH [--model NAME] [--optimizer PATH] [--dataset NAME]`.

use super::Context;
use super::drive::DataCache;
use crate::cli::ImportArgs;
use crate::format;
use crate::interop::import::{ImportRequest, import_run};
use crate::model::network_named;
use std::fmt::Write as _;

/// Imports the file as a new run and prints what it became.
pub fn run(ctx: &Context, args: &ImportArgs) -> anyhow::Result<()> {
    let network = args
        .model
        .as_deref()
        .map(network_named)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let dataset = args.dataset.clone().unwrap_or_default();
    let data = DataCache::default().get(&ctx.data_dir, &dataset)?;
    let record = import_run(
        &ctx.store,
        &data,
        &ImportRequest {
            weights: args.path.clone(),
            network,
            optimizer: args.optimizer.clone(),
        },
    )?;
    let mut o = String::new();
    writeln!(o, "imported {} as run {}", args.path.display(), record.id)?;
    writeln!(
        o,
        "network   {} ({} parameters)",
        record.config.network().description(),
        record.params
    )?;
    if let Some(opt) = record.imported.as_ref().and_then(|i| i.optimizer.as_ref()) {
        writeln!(o, "optimizer {}", opt.format)?;
    }
    if let Some(s) = &record.summary {
        writeln!(
            o,
            "test      {} on {} {} test images (loss {:.4})",
            format::percent(s.test_acc as f64),
            record.test_size,
            record.dataset.title,
            s.test_loss
        )?;
    }
    writeln!(
        o,
        "It has no validation figures (it may have trained on our validation images). \
         `mnist-tui train --resume {}` trains it further.",
        record.id
    )?;
    super::out::write(&o).map(|_| ())
}
