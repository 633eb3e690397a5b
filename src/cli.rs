//! Command-line definitions (clap). Parsing only; `main.rs` dispatches.

use crate::model::Arch;
use crate::train::{SETTINGS, Setting, TrainOverrides};
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// Train, compare and use handwritten-digit (MNIST) models from a terminal.
///
/// Without a subcommand, opens the dashboard.
#[derive(Debug, Parser)]
#[command(name = "mnist-tui", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: ./config.ron if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder holding the MNIST files (else $MNIST_DATA_DIR, else config.ron, else ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder where runs are saved (default from config.ron: ./runs).
    #[arg(long, global = true, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model headless (progress bar on a terminal, plain lines when piped).
    Train(TrainArgs),
    /// List, show or delete saved runs.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Predict the digit in one or more images.
    Predict(PredictArgs),
    /// Download or verify the MNIST files.
    #[command(subcommand)]
    Data(DataCommand),
    /// Measure training and inference speed of the models on real MNIST.
    Bench(BenchArgs),
}

/// Flags of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Models to measure, comma-separated (default: all four).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub models: Vec<Arch>,
    /// Timed training steps per model (after 20 untimed ones).
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Train with this augmentation instead of each model's default (to measure its cost).
    #[arg(long, value_enum)]
    pub augment: Option<crate::data::Augment>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `train`; each overrides config.ron and the model's defaults.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// One flag per training setting (generated from the settings table).
    #[command(flatten)]
    pub settings: SettingFlags,
    /// Continue this saved run (its weights and optimiser state) for --epochs more epochs.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
}

impl TrainArgs {
    /// The flags as overrides.
    pub fn overrides(&self) -> TrainOverrides {
        self.settings.0.clone()
    }
}

/// The training-setting flags, one per row of [`SETTINGS`]: `--lr`, `--epochs`, …
#[derive(Debug, Clone, Default)]
pub struct SettingFlags(pub TrainOverrides);

impl SettingFlags {
    fn args() -> impl Iterator<Item = Arg> {
        SETTINGS.iter().map(|row: &'static Setting| {
            let arg = Arg::new(row.name)
                .long(row.flag)
                .value_name(row.value_name)
                .help(row.help)
                .action(ArgAction::Set);
            let choices = row.choices();
            if choices.is_empty() {
                arg.value_parser(move |text: &str| row.check(text).map(|()| text.to_string()))
            } else {
                arg.value_parser(PossibleValuesParser::new(choices))
            }
        })
    }
}

impl FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = SettingFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for row in SETTINGS {
            if let Some(text) = matches.get_one::<String>(row.name) {
                row.set_override(&mut self.0, text)
                    .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))?;
            }
        }
        Ok(())
    }
}

impl Args for SettingFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(SettingFlags::args())
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        SettingFlags::augment_args(cmd)
    }
}

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// One line per run (damaged runs are reported on stderr).
    List {
        /// Print a JSON array instead.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one run.
    Show {
        /// Run id (or a unique prefix or suffix of one).
        id: String,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// Delete a run and its files.
    Rm {
        /// Run id (or a unique prefix of at least 8 characters).
        id: String,
        /// Delete without asking (required when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Flags of `predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Image files (PNG, JPEG, BMP, GIF, WebP…; any size and colours).
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Run whose model predicts (default: the finished run with the best test accuracy).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// One JSON object per image and line.
    #[arg(long)]
    pub json: bool,
}

/// `data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download missing MNIST files from the mirrors in config.ron, checking SHA-256.
    Fetch,
    /// Report what is in the data folder: counts, checksums, good or bad.
    Verify,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Arch;
    use crate::train::LrSchedule;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn train_flags_parse() {
        let cli = Cli::parse_from([
            "mnist-tui",
            "train",
            "--model",
            "tutorial-mlp",
            "--lr",
            "0.8",
            "--epochs",
            "5",
            "--seed",
            "3",
            "--max-train",
            "1000",
        ]);
        let Some(Command::Train(args)) = cli.command else {
            panic!("not train")
        };
        let o = args.overrides();
        assert_eq!(o.model, Some(Arch::TutorialMlp));
        assert_eq!(o.lr, Some(0.8));
        assert_eq!(o.max_train_samples, Some(Some(1000)));
        assert_eq!(o.lr_schedule, None);
    }

    #[test]
    fn every_setting_has_a_flag() {
        let cmd = Cli::command();
        let train = cmd.find_subcommand("train").unwrap();
        for row in SETTINGS {
            let arg = train.get_arguments().find(|a| a.get_id() == row.name);
            let arg = arg.unwrap_or_else(|| panic!("no flag for {}", row.name));
            assert_eq!(arg.get_long(), Some(row.flag));
        }
        let cli = Cli::parse_from(["mnist-tui", "train", "--lr-schedule", "constant"]);
        let Some(Command::Train(args)) = cli.command else {
            panic!("not train")
        };
        assert_eq!(args.overrides().lr_schedule, Some(LrSchedule::Constant));
        let bad = Cli::try_parse_from(["mnist-tui", "train", "--lr", "fast"]).unwrap_err();
        assert!(
            bad.to_string()
                .contains("learning rate 'fast' is not a number"),
            "{bad}"
        );
    }
}
