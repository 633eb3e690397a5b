//! Command-line definitions (clap). Parsing only; `main.rs` dispatches.

use crate::model::{Arch, OptimizerKind};
use crate::train::{LrSchedule, TrainOverrides};
use clap::{Args, Parser, Subcommand};
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
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `train`; each overrides config.ron and the model's defaults.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model architecture.
    #[arg(long, value_enum)]
    pub model: Option<Arch>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Learning-rate schedule (cosine decays to zero over the run).
    #[arg(long, value_enum)]
    pub lr_schedule: Option<LrSchedule>,
    /// Epochs (with --resume: epochs to add).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Samples per batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Optimiser.
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// SGD momentum.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// L2 weight decay.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Seed for initialisation and shuffling.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Normalise inputs with MNIST's mean and std (true/false).
    #[arg(long)]
    pub normalize: Option<bool>,
    /// Train on at most this many training images.
    #[arg(long, value_name = "N")]
    pub max_train: Option<usize>,
    /// Evaluate on at most this many test images.
    #[arg(long, value_name = "N")]
    pub max_test: Option<usize>,
    /// Log the loss every this many batches.
    #[arg(long, value_name = "BATCHES")]
    pub log_every: Option<u32>,
    /// Continue this saved run (its weights and optimiser state) for --epochs more epochs.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
}

impl TrainArgs {
    /// The flags as overrides.
    pub fn overrides(&self) -> TrainOverrides {
        TrainOverrides {
            model: self.model,
            optimizer: self.optimizer,
            lr: self.lr,
            lr_schedule: self.lr_schedule,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            epochs: self.epochs,
            batch_size: self.batch_size,
            seed: self.seed,
            normalize: self.normalize,
            max_train_samples: self.max_train,
            max_test_samples: self.max_test,
            log_every: self.log_every,
        }
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
        assert_eq!(o.max_train_samples, Some(1000));
    }
}
