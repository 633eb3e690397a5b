//! `mnist-tui models`: every known network with its size and cost per image, or one
//! network layer by layer (output shape, parameters, FLOPs) with the memory a
//! training batch needs, before anything trains.

use super::{Context, out};
use crate::cli::ModelsArgs;
use crate::format;
use crate::model::{
    KnownNetwork, Layers, NetworkDef, Origin, Summary, known_networks, network_named,
};
use crate::train::TrainSettings;

/// Lists the networks, or shows the one `args` names (or the layers it gives).
pub fn run(_ctx: &Context, args: &ModelsArgs) -> anyhow::Result<()> {
    let def = match (&args.name, &args.layers) {
        (_, Some(text)) => Some(NetworkDef {
            name: "layers".parse().map_err(anyhow::Error::msg)?,
            layers: text
                .parse::<Layers>()
                .map_err(|e| anyhow::anyhow!("--layers: {e}"))?,
        }),
        (Some(name), None) => Some(network_named(name.as_str()).map_err(anyhow::Error::msg)?),
        (None, None) => None,
    };
    match def {
        Some(def) => show(&def, args),
        None => list(args.json),
    }
}

/// Where a known network was defined, for the table.
fn origin(k: &KnownNetwork) -> String {
    match &k.origin {
        Origin::Preset => "preset".into(),
        Origin::File(path) => path.display().to_string(),
        Origin::Unsaved => "unsaved".into(),
    }
}

/// The table of every known network (all of them plan: the registry checked them).
fn list(json: bool) -> anyhow::Result<()> {
    let known = known_networks();
    let summaries: Vec<(KnownNetwork, Summary)> = known
        .into_iter()
        .filter_map(|k| Summary::of(&k.def).ok().map(|s| (k, s)))
        .collect();
    if json {
        let all: Vec<_> = summaries
            .iter()
            .map(|(k, s)| {
                serde_json::json!({
                    "name": k.def.name.as_str(),
                    "layers": k.def.layers.to_string(),
                    "params": s.params,
                    "flops_per_image": s.flops,
                    "from": origin(k),
                })
            })
            .collect();
        out::line(serde_json::to_string_pretty(&all)?)?;
        return Ok(());
    }
    let header = format!(
        "{:<16} {:>10} {:>12} {:>6}  {:<16}  {}",
        "NAME", "PARAMS", "FLOPS/IMAGE", "LAYERS", "FROM", "WHAT"
    );
    if !out::line(header)? {
        return Ok(());
    }
    for (k, s) in &summaries {
        let line = format!(
            "{:<16} {:>10} {:>12} {:>6}  {:<16}  {}",
            k.def.name.as_str(),
            format::thousands(s.params as u64),
            format::si(s.flops),
            k.def.layers.len(),
            origin(k),
            k.def.description()
        );
        if !out::line(line)? {
            return Ok(());
        }
    }
    out::line(
        "`mnist-tui models NAME` shows one layer by layer; define your own in config.ron's `networks`.",
    )?;
    Ok(())
}

/// One network, layer by layer.
fn show(def: &NetworkDef, args: &ModelsArgs) -> anyhow::Result<()> {
    let summary = Summary::of(def)?;
    let batch = args.batch.unwrap_or_else(|| {
        TrainSettings::defaults_for(def, &crate::data::DatasetName::mnist()).batch_size
    });
    if args.json {
        let rows: Vec<_> = summary
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "layer": r.layer.to_string(),
                    "output": r.output.to_string(),
                    "params": r.params,
                    "flops": r.flops,
                })
            })
            .collect();
        let all = serde_json::json!({
            "name": def.name.as_str(),
            "layers": rows,
            "params": summary.params,
            "flops_per_image": summary.flops,
            "batch": batch,
            "training_bytes": summary.training_bytes(batch),
        });
        out::line(serde_json::to_string_pretty(&all)?)?;
        return Ok(());
    }
    if !out::line(format!("{}: {}", def.name, def.description()))? {
        return Ok(());
    }
    for line in summary.lines(batch) {
        if !out::line(line)? {
            break;
        }
    }
    Ok(())
}
