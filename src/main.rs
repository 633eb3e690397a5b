//! `mnist-tui`: parse the command line, load the configuration, dispatch.
//! Errors reach the user here, once, on one line.

use clap::Parser;
use mnist_tui::cli::{Cli, Command, DataCommand, RunsCommand};
use mnist_tui::commands::{self, Context, ExitError};
use mnist_tui::config::{CONFIG_FILE, Config};
use mnist_tui::runs::RunStore;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    mnist_tui::model::tune_process();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed stderr must not turn a clean error into a panic.
            let mut stderr = std::io::stderr();
            if let Some(exit) = err.downcast_ref::<ExitError>() {
                let _ = writeln!(stderr, "{}", exit.message);
                return ExitCode::from(exit.code.clamp(1, 255) as u8);
            }
            let _ = writeln!(stderr, "error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line.
fn one_line(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text.replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    let mut config = Config::load(&config_path, cli.config.is_none())?;
    config.define_networks(&config_path)?;
    // The networks file beside the config (where the dashboard saves networks of
    // their own) is read too, when there is one.
    let beside = mnist_tui::networks_file::networks_file_beside(&config_path);
    if beside.is_file() {
        mnist_tui::config::load_networks_file(&beside)?;
    }
    for file in &cli.network {
        let names = mnist_tui::config::load_networks_file(file)?;
        // A file of one network chooses it, as config.ron's `train: (model: …)`
        // would (a --model flag still wins).
        if let [only] = names.as_slice() {
            config.train.model = Some(only.clone());
            config.train.layers = None;
        }
    }
    let data_dir = config.resolve_data_dir(cli.data_dir.as_deref());
    let runs_dir = cli
        .runs_dir
        .clone()
        .unwrap_or_else(|| config.runs_dir.clone());
    let ctx = Context {
        store: RunStore::new(runs_dir),
        data_dir,
        config,
    };
    match &cli.command {
        None => mnist_tui::tui::run(
            ctx.config.clone(),
            config_path,
            ctx.data_dir.clone(),
            ctx.store.clone(),
        ),
        Some(Command::Train(args)) => commands::train::run(&ctx, args),
        Some(Command::Runs(RunsCommand::List { json })) => commands::runs::list(&ctx, *json),
        Some(Command::Runs(RunsCommand::Show { id, json })) => {
            commands::runs::show(&ctx, id, *json)
        }
        Some(Command::Runs(RunsCommand::Rm { id, yes })) => commands::runs::remove(&ctx, id, *yes),
        Some(Command::Runs(RunsCommand::Compare {
            ids,
            sweep,
            by,
            json,
        })) => commands::sweep::compare(&ctx, ids, sweep.as_deref(), by.as_deref(), *json),
        Some(Command::Sweep(args)) => commands::sweep::run(&ctx, args),
        Some(Command::LrFind(args)) => commands::lr_find::run(&ctx, args),
        Some(Command::Predict(args)) => commands::predict::run(&ctx, args),
        Some(Command::Data(DataCommand::Fetch(arg))) => {
            commands::data::fetch(&ctx, arg.dataset.as_ref())
        }
        Some(Command::Data(DataCommand::Verify(arg))) => {
            commands::data::verify(&ctx, arg.dataset.as_ref())
        }
        Some(Command::Data(DataCommand::List)) => commands::data::list(&ctx),
        Some(Command::Bench(args)) => commands::bench::run(&ctx, args),
        Some(Command::Models(args)) => commands::models::run(&ctx, args),
        Some(Command::Export(args)) => commands::export::run(&ctx, args),
        Some(Command::Import(args)) => commands::import::run(&ctx, args),
    }
}
