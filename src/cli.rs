//! Command-line definitions (clap). Parsing only; `main.rs` dispatches.

use crate::model::ModelName;
use crate::train::lr_find::FinderPlan;
use crate::train::{SETTINGS, Setting, TrainOverrides};
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// Train, compare and use small-image models (MNIST, Fashion-MNIST, KMNIST, EMNIST, your
/// own 28×28 data) from a terminal.
///
/// Without a subcommand, opens the dashboard.
#[derive(Debug, Parser)]
#[command(name = "mnist-tui", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: ./config.ron if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data folder: MNIST's files, and a folder per other dataset (else
    /// $MNIST_DATA_DIR, else config.ron, else ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder where runs are saved (default from config.ron: ./runs).
    #[arg(long, global = true, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
    /// A file of networks (a RON map of names to layer lists, like config.ron's
    /// `networks`): they join the known ones, and when it holds one it is the model
    /// unless --model says otherwise. May be given more than once.
    #[arg(long, global = true, value_name = "FILE")]
    pub network: Vec<PathBuf>,
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
    /// Download, verify or list the datasets' files.
    #[command(subcommand)]
    Data(DataCommand),
    /// Measure training and inference speed of the models on real MNIST.
    Bench(BenchArgs),
    /// List the networks (presets and config.ron's) with their size and cost, or
    /// show one layer by layer.
    Models(ModelsArgs),
    /// Find a learning rate: train a copy of a new model for a few batches at rates
    /// growing from tiny to huge, chart the loss against the rate and suggest one.
    LrFind(LrFindArgs),
    /// Train a grid of settings and seeds (a comma list on any training flag sweeps it),
    /// one run per point; run it again to resume it.
    Sweep(SweepArgs),
    /// Export runs for other tools: a run's model (ONNX, PyTorch), or the curves and
    /// settings of one or several runs (TensorBoard, CSV, SVG or PNG charts).
    Export(ExportArgs),
    /// Make a run of a model trained elsewhere: a PyTorch checkpoint
    /// (`torch.save(model.state_dict(), …)`, e.g. the tutorial's model.pkl) or a
    /// safetensors state dict. Its test accuracy is computed here; it can then be
    /// tried, compared and resumed like any run.
    Import(ImportArgs),
}

/// Flags of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The weights: a PyTorch checkpoint (.pkl, .pt, .pth) or a .safetensors file.
    pub path: PathBuf,
    /// The network they are for (a preset, or a network of config.ron or a --network
    /// file); default: the one known network whose tensors they fit.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// The optimiser's state dict saved beside it (the tutorial's optimizer.pkl): the
    /// run resumes with its optimiser, rate, momentum and decay.
    #[arg(long, value_name = "PATH")]
    pub optimizer: Option<PathBuf>,
    /// The dataset the model was trained on (default: mnist).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<crate::data::DatasetName>,
}

/// Flags of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Run ids (or unique prefixes or suffixes); one for the model formats.
    #[arg(required = true)]
    pub runs: Vec<String>,
    /// The format (`--help` says what each writes).
    #[arg(long, value_name = "FORMAT", value_parser = export_formats())]
    pub to: String,
    /// Where to write: a file for onnx, svg and png, a folder for the others
    /// (default: under exports/, named after the run).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// `--to`'s values: the export formats' names.
fn export_formats() -> PossibleValuesParser {
    crate::interop::EXPORT_FORMATS
        .iter()
        .map(|f| clap::builder::PossibleValue::new(f.name).help(f.help))
        .collect::<Vec<_>>()
        .into()
}

/// `sweep`: run a sweep (the flags), or one of its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SweepArgs {
    /// Show, list or resume saved sweeps.
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The sweep to run.
    #[command(flatten)]
    pub run: SweepRunArgs,
}

/// Flags of `sweep`: every training flag takes one value, a comma list (`--lr
/// 0.01,0.1`) or a range (`--lr 1e-4..1e-1`, with `--random N`).
#[derive(Debug, Args)]
pub struct SweepRunArgs {
    /// One flag per training setting (generated from the settings table).
    #[command(flatten)]
    pub settings: SweepFlags,
    /// Seeds to repeat every point with (the same as --seed LIST).
    #[arg(long, value_name = "LIST")]
    pub seeds: Option<String>,
    /// Sample this many points from the ranges (log-uniform for rates and sizes).
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Seed of the random sampling (the same seed samples the same points).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub sweep_seed: u64,
    /// Points trained at once, each a `train` process with its share of the threads.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Print one `mnist-tui train` command per unfinished point instead of training
    /// (for GNU parallel or a job array).
    #[arg(long)]
    pub print_commands: bool,
    /// Print the results as one JSON object (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// `sweep` subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// The sweeps in the runs folder, with how many points are finished.
    List {
        /// Print a JSON array instead.
        #[arg(long)]
        json: bool,
    },
    /// A sweep's points and its runs grouped over seeds: mean, min–max, n, and which
    /// setting matters most.
    Show {
        /// Sweep id (or a unique prefix).
        id: String,
        /// Chart final validation accuracy against this setting (its name or flag; runs
        /// without validation: test accuracy), or against a cost: params, flops or
        /// seconds (per epoch), with the Pareto frontier of the groups.
        #[arg(long, value_name = "SETTING|COST")]
        by: Option<String>,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// Continue a saved sweep: finished points are skipped, stopped ones continued.
    Resume {
        /// Sweep id (or a unique prefix).
        id: String,
        /// Points trained at once.
        #[arg(long, value_name = "N", default_value_t = 1)]
        jobs: usize,
    },
}

/// The training-setting flags of `sweep`, one per row of [`SETTINGS`], each taking a
/// value, a comma list or a range, as typed (checked value by value by the row).
#[derive(Debug, Clone, Default)]
pub struct SweepFlags(pub Vec<(&'static Setting, String)>);

impl FromArgMatches for SweepFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = SweepFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for row in SETTINGS {
            if let Some(text) = matches.get_one::<String>(row.name) {
                self.0.retain(|(r, _)| *r != row);
                self.0.push((row, text.clone()));
            }
        }
        Ok(())
    }
}

impl Args for SweepFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(SETTINGS.iter().map(|row: &'static Setting| {
            let help = match row.choices().as_slice() {
                [] => format!("{} (a value, a comma list or LO..HI)", row.help),
                choices => format!(
                    "{} (one or a comma list of: {})",
                    row.help,
                    choices.join(", ")
                ),
            };
            Arg::new(row.name)
                .long(row.flag)
                .value_name(row.value_name)
                .help(help)
                .action(ArgAction::Set)
                .value_parser(move |text: &str| {
                    crate::sweep::Axis::parse(row, text).map(|_| text.to_string())
                })
        }))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        SweepFlags::augment_args(cmd)
    }
}

/// Flags of `models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// The network to show layer by layer (default: list them all).
    pub name: Option<ModelName>,
    /// Layers to show instead of a named network's, e.g. 'Flatten, Dense(64), Relu,
    /// Dense(classes)'.
    #[arg(long, value_name = "LAYERS", conflicts_with = "name")]
    pub layers: Option<String>,
    /// The batch whose training memory to estimate (default: the network's recipe's).
    #[arg(long, value_name = "N")]
    pub batch: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Networks to measure, comma-separated (default: the presets).
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<ModelName>,
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
    /// Continue this saved run (its weights and optimiser state): to the end of its
    /// planned epochs, or for --epochs more epochs.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// Record the run as point POINT of sweep ID (as `sweep --print-commands` prints it);
    /// the settings must be that point's.
    #[arg(long, value_name = "ID:POINT/POINTS", conflicts_with = "resume")]
    pub sweep: Option<crate::sweep::SweepTag>,
}

/// Flags of `lr-find`: the training flags (the run it would find a rate for) and the
/// range of rates to try.
#[derive(Debug, Args)]
pub struct LrFindArgs {
    /// One flag per training setting (generated from the settings table).
    #[command(flatten)]
    pub settings: SettingFlags,
    /// Batches to train, one rate each (the finder stops early if the loss diverges).
    #[arg(long, value_name = "N", default_value_t = FinderPlan::default().steps)]
    pub steps: usize,
    /// The first (lowest) rate tried.
    #[arg(long, value_name = "RATE", default_value_t = FinderPlan::default().start)]
    pub start_lr: f64,
    /// The last (highest) rate tried.
    #[arg(long, value_name = "RATE", default_value_t = FinderPlan::default().end)]
    pub end_lr: f64,
    /// Print one JSON object (every point, the suggestion) instead of the report.
    #[arg(long)]
    pub json: bool,
}

impl LrFindArgs {
    /// The flags as overrides.
    pub fn overrides(&self) -> TrainOverrides {
        self.settings.0.clone()
    }

    /// The rates to try (not yet checked: [`FinderPlan::validate`]).
    pub fn plan(&self) -> FinderPlan {
        FinderPlan {
            start: self.start_lr,
            end: self.end_lr,
            steps: self.steps,
        }
    }
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
                arg.value_parser(PossibleValuesParser::new(
                    choices.into_iter().map(clap::builder::PossibleValue::new),
                ))
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
    /// Compare runs grouped over seeds (mean, min–max, n) and rank the settings that
    /// differ by how much they move the mean.
    Compare {
        /// Run ids (or unique prefixes or suffixes).
        ids: Vec<String>,
        /// Compare the runs of this sweep (with or instead of ids).
        #[arg(long, value_name = "SWEEP_ID")]
        sweep: Option<String>,
        /// Chart final validation accuracy against this setting (its name or flag; runs
        /// without validation: test accuracy), or against a cost: params, flops or
        /// seconds (per epoch), with the Pareto frontier of the groups.
        #[arg(long, value_name = "SETTING|COST")]
        by: Option<String>,
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
    /// Run whose model predicts (default: the finished run with the best validation accuracy).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// One JSON object per image and line.
    #[arg(long)]
    pub json: bool,
}

/// `data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download a dataset's missing or bad files from its mirrors (MNIST's: the
    /// `mirrors` of config.ron), checking each by its checksum. Offline, or for a
    /// dataset without mirrors (EMNIST), says what to copy where.
    Fetch(DatasetArg),
    /// Report what is in a dataset's folder, file by file: count, checksum, and good,
    /// unverified (no checksum to compare), bad or missing.
    Verify(DatasetArg),
    /// The datasets known by name and the folders of one's own in the data folder:
    /// classes, where the files are (or would go), and whether they are there.
    List,
}

/// The dataset a `data` subcommand works on.
#[derive(Debug, Args)]
pub struct DatasetArg {
    /// A dataset known by name (`data list`), or, for `verify`, a folder of one's own
    /// (default: config.ron's `train.dataset`, else mnist).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<crate::data::DatasetName>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
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
        assert_eq!(o.model, Some(Preset::TutorialMlp.model_name()));
        assert_eq!(o.lr, Some(0.8));
        assert_eq!(o.max_train_samples, Some(Some(1000)));
        assert_eq!(o.lr_schedule, None);
    }

    #[test]
    fn data_fetch_and_verify_take_a_dataset_and_list_takes_none() {
        let cli = Cli::parse_from(["mnist-tui", "data", "fetch", "--dataset", "kmnist"]);
        let Some(Command::Data(DataCommand::Fetch(arg))) = cli.command else {
            panic!("not data fetch")
        };
        assert_eq!(arg.dataset.map(|d| d.to_string()), Some("kmnist".into()));
        let cli = Cli::parse_from(["mnist-tui", "data", "verify"]);
        let Some(Command::Data(DataCommand::Verify(arg))) = cli.command else {
            panic!("not data verify")
        };
        assert_eq!(arg.dataset, None, "config.ron's, else mnist");
        let cli = Cli::parse_from(["mnist-tui", "data", "list"]);
        assert!(matches!(
            cli.command,
            Some(Command::Data(DataCommand::List))
        ));
        assert!(Cli::try_parse_from(["mnist-tui", "data", "fetch", "--dataset", ""]).is_err());
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

    #[test]
    fn lr_find_takes_the_training_flags_and_a_range() {
        let cli = Cli::parse_from([
            "mnist-tui",
            "lr-find",
            "--model",
            "cnn",
            "--max-train",
            "2000",
            "--steps",
            "50",
            "--end-lr",
            "1",
        ]);
        let Some(Command::LrFind(args)) = cli.command else {
            panic!("not lr-find")
        };
        assert_eq!(args.overrides().model, Some(Preset::Cnn.model_name()));
        assert_eq!(args.overrides().max_train_samples, Some(Some(2000)));
        let plan = args.plan();
        assert_eq!((plan.start, plan.end, plan.steps), (1e-7, 1.0, 50));
        assert!(!args.json);
        let cmd = Cli::command();
        let lr_find = cmd.find_subcommand("lr-find").unwrap();
        for row in SETTINGS {
            assert!(
                lr_find
                    .get_arguments()
                    .any(|a| a.get_long() == Some(row.flag)),
                "{}",
                row.name
            );
        }
        let bad = Cli::try_parse_from(["mnist-tui", "lr-find", "--lr", "fast"]).unwrap_err();
        assert!(
            bad.to_string()
                .contains("learning rate 'fast' is not a number")
        );
    }

    #[test]
    fn sweep_flags_take_lists_and_check_every_value() {
        let cli = Cli::parse_from([
            "mnist-tui",
            "sweep",
            "--lr",
            "1e-3,3e-3",
            "--batch-size",
            "64",
            "--seeds",
            "1,2",
            "--jobs",
            "2",
        ]);
        let Some(Command::Sweep(args)) = cli.command else {
            panic!("not sweep")
        };
        assert!(args.command.is_none());
        let names: Vec<(&str, &str)> = args
            .run
            .settings
            .0
            .iter()
            .map(|(r, t)| (r.name, t.as_str()))
            .collect();
        assert_eq!(names, vec![("lr", "1e-3,3e-3"), ("batch_size", "64")]);
        assert_eq!(args.run.seeds.as_deref(), Some("1,2"));
        assert_eq!(args.run.jobs, 2);
        // Every setting has a sweep flag too.
        let cmd = Cli::command();
        let sweep = cmd.find_subcommand("sweep").unwrap();
        for row in SETTINGS {
            assert!(
                sweep
                    .get_arguments()
                    .any(|a| a.get_long() == Some(row.flag)),
                "{}",
                row.name
            );
        }
        let bad = Cli::try_parse_from(["mnist-tui", "sweep", "--lr", "0.1,fast"]).unwrap_err();
        assert!(
            bad.to_string()
                .contains("learning rate 'fast' is not a number"),
            "{bad}"
        );
        let bad = Cli::try_parse_from(["mnist-tui", "sweep", "--model", "mlp,a/b"]).unwrap_err();
        assert!(
            bad.to_string().contains("model 'a/b' network name"),
            "{bad}"
        );
        let show = Cli::parse_from(["mnist-tui", "sweep", "show", "abcd", "--json"]);
        assert!(matches!(
            show.command,
            Some(Command::Sweep(SweepArgs {
                command: Some(SweepCommand::Show { .. }),
                ..
            }))
        ));
        let tagged = Cli::parse_from(["mnist-tui", "train", "--sweep", "abcdef0123:2/8"]);
        let Some(Command::Train(t)) = tagged.command else {
            panic!("not train")
        };
        assert_eq!(t.sweep.unwrap().to_string(), "abcdef0123:2/8");
        assert!(Cli::try_parse_from(["mnist-tui", "train", "--sweep", "abc:9/8"]).is_err());
    }
}
