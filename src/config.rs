//! `config.ron`: the defaults a user edits. Precedence: flags > environment > `config.ron`
//! > built-in defaults. A bad file is an error naming the file, line and column.

use crate::keys::KeyOverrides;
use crate::model::{Layers, ModelName, NetworkDef, NetworkError, Origin, define_network};
use crate::train::TrainOverrides;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default config file name, looked up in the current directory.
pub const CONFIG_FILE: &str = "config.ron";
/// Environment variable naming the MNIST data directory.
pub const DATA_DIR_ENV: &str = "MNIST_DATA_DIR";

/// Marker used to draw chart lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartMarker {
    /// Braille dots: the finest lines (needs a font with Braille glyphs).
    #[default]
    Braille,
    /// Half blocks.
    HalfBlock,
    /// Plain ASCII dots, readable everywhere.
    Ascii,
}

/// How digits are drawn as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AsciiStyle {
    /// A pure ASCII ramp, copy-pasteable.
    #[default]
    Ascii,
    /// Unicode shade blocks.
    Shades,
}

/// Dashboard settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Chart line marker.
    pub chart_marker: ChartMarker,
    /// Digit rendering style.
    pub ascii_style: AsciiStyle,
    /// Redraw interval in milliseconds.
    pub tick_ms: u64,
    /// Key overrides: action name → the keys that now do it (see `keys`).
    pub keys: KeyOverrides,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            chart_marker: ChartMarker::Braille,
            ascii_style: AsciiStyle::Ascii,
            tick_ms: 100,
            keys: KeyOverrides::new(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The data folder (`./data` when unset): each dataset in a folder of its own,
    /// MNIST's files also directly in it.
    pub data_dir: Option<PathBuf>,
    /// Where runs are saved.
    pub runs_dir: PathBuf,
    /// MNIST's mirrors: base URLs that `data fetch` tries in order for MNIST, each
    /// serving the four `<name>.gz` files (the other datasets have their own).
    pub mirrors: Vec<String>,
    /// Training defaults layered over the chosen model's own defaults.
    pub train: TrainOverrides,
    /// Networks of one's own, by name (`--model NAME` trains one).
    pub networks: Networks,
    /// Dashboard settings.
    pub ui: UiConfig,
}

/// Networks by name: `config.ron`'s `networks` field, and the whole of a networks
/// file (`--network FILE`), written as in
/// `{ "wide-cnn": [Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), ...] }`.
pub type Networks = BTreeMap<ModelName, Layers>;

/// Reads a networks file (a RON map of names to layer lists) and makes its networks
/// known; returns their names. Errors name the file (with line and column for text
/// that does not read, with the network and layer for one that is not a network).
pub fn load_networks_file(path: &Path) -> Result<Vec<ModelName>, ConfigError> {
    let bytes = crate::fsutil::read_capped(path, 1 << 20).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let networks: Networks = ron::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })?;
    define_all(&networks, path)?;
    Ok(networks.into_keys().collect())
}

/// Defines every network of `networks`, read from `path`.
fn define_all(networks: &Networks, path: &Path) -> Result<(), ConfigError> {
    for (name, layers) in networks {
        let def = NetworkDef {
            name: name.clone(),
            layers: layers.clone(),
        };
        define_network(def, Origin::File(path.to_path_buf())).map_err(|source| {
            ConfigError::Network {
                path: path.to_path_buf(),
                source,
            }
        })?;
    }
    Ok(())
}

/// The maintained public mirrors of MNIST (the original host answers 403 today).
pub fn default_mirrors() -> Vec<String> {
    vec![
        "https://ossci-datasets.s3.amazonaws.com/mnist/".to_string(),
        "https://storage.googleapis.com/cvdf-datasets/mnist/".to_string(),
    ]
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            runs_dir: PathBuf::from("runs"),
            mirrors: default_mirrors(),
            train: TrainOverrides::default(),
            networks: Networks::new(),
            ui: UiConfig::default(),
        }
    }
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A network the file defines is not one.
    #[error("{}: {source}", path.display())]
    Network {
        /// The file.
        path: PathBuf,
        /// Which network, which layer, what is wrong.
        source: NetworkError,
    },
    /// The file is not valid RON for a config.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Parses config text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .map_err(|e: ron::error::SpannedError| ConfigError::Parse {
                path: path.to_path_buf(),
                line: e.span.start.line,
                column: e.span.start.col,
                message: e.code.to_string(),
            })
    }

    /// Loads `path`; a missing file gives the defaults only when `optional`.
    pub fn load(path: &Path, optional: bool) -> Result<Config, ConfigError> {
        // A config file is a few KiB; a larger one is refused rather than read whole.
        let read = crate::fsutil::read_capped(path, 1 << 20).and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        });
        match read {
            Ok(text) => Config::parse(&text, path),
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Makes the networks of this config (read from `path`) known by name; the first
    /// that is not a network is an error naming the file, the network and the layer.
    pub fn define_networks(&self, path: &Path) -> Result<(), ConfigError> {
        define_all(&self.networks, path)
    }

    /// The data directory: `flag`, else `$MNIST_DATA_DIR`, else `data_dir` from the
    /// config, else `./data`.
    pub fn resolve_data_dir(&self, flag: Option<&Path>) -> PathBuf {
        if let Some(f) = flag {
            return f.to_path_buf();
        }
        if let Some(env) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return PathBuf::from(env);
        }
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("data"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    #[test]
    fn the_shipped_config_parses() {
        let text = include_str!("../config.ron");
        let cfg = Config::parse(text, Path::new("config.ron")).unwrap();
        assert!(!cfg.mirrors.is_empty());
        // Its commented networks example is a network.
        let example = text
            .replace("    // networks: {", "    networks: {")
            .replace("    //     ", "        ");
        let example = example.replace("    // },", "    },");
        let cfg = Config::parse(&example, Path::new("config.ron")).unwrap();
        assert_eq!(cfg.networks.len(), 1, "{example}");
        cfg.define_networks(Path::new("config.ron")).unwrap();
        assert!(crate::model::find_network("wide-cnn").is_some());
    }

    #[test]
    fn partial_config_keeps_defaults() {
        let cfg = Config::parse("(train: (model: cnn, epochs: 3))", Path::new("c.ron")).unwrap();
        assert_eq!(cfg.train.model, Some(Preset::Cnn.model_name()));
        assert_eq!(cfg.train.epochs, Some(3));
        assert_eq!(cfg.runs_dir, PathBuf::from("runs"));
    }

    #[test]
    fn the_shipped_config_documents_every_training_setting() {
        let text = include_str!("../config.ron");
        for row in crate::train::SETTINGS {
            assert!(
                text.contains(&format!("// {}: ", row.name)),
                "config.ron does not document train.{}",
                row.name
            );
        }
    }

    #[test]
    fn a_setting_of_another_optimizer_from_the_config_is_kept_and_shown_as_not_applying() {
        let cfg = Config::parse(
            "(train: (optimizer: adam, momentum: 0.9, nesterov: true, beta1: 0.8))",
            Path::new("c.ron"),
        )
        .unwrap();
        let s = crate::train::TrainSettings::resolve(&[&cfg.train]);
        assert_eq!((s.momentum, s.nesterov, s.beta1), (0.9, true, 0.8));
        assert_eq!(s.validate(), Ok(()));
        let row = |n| crate::train::catalog::setting(n).unwrap();
        assert_eq!(row("momentum").show_applied(&s), "n/a");
        assert_eq!(row("nesterov").show_applied(&s), "n/a");
        assert_eq!(row("beta1").show_applied(&s), "0.8");
        // Not given as a flag, so `train` does not refuse it.
        assert_eq!(crate::train::catalog::check_given(&[], &[s]), Ok(()));
        // With SGD from the same file, the betas are the ones not applying.
        let cfg = Config::parse(
            "(train: (optimizer: sgd, momentum: 0.9, beta1: 0.8, eps: 1e-6))",
            Path::new("c.ron"),
        )
        .unwrap();
        let s = crate::train::TrainSettings::resolve(&[&cfg.train]);
        assert_eq!(row("momentum").show_applied(&s), "0.9");
        assert_eq!(row("beta1").show_applied(&s), "n/a");
        assert_eq!(row("eps").show_applied(&s), "n/a");
    }

    #[test]
    fn every_training_setting_can_be_set_in_the_config() {
        let cfg = Config::parse(
            "(train: (lr_schedule: constant, weight_decay: 0.0001, normalize: false, \
             max_train_samples: 3200))",
            Path::new("c.ron"),
        )
        .unwrap();
        let s = crate::train::TrainSettings::resolve(&[&cfg.train]);
        assert_eq!(s.lr_schedule, crate::train::LrSchedule::Constant);
        assert_eq!(s.weight_decay, 1e-4);
        assert!(!s.normalize);
        assert_eq!(s.max_train_samples, Some(3200));
    }

    #[test]
    fn keys_can_be_rebound_and_bad_keys_are_located() {
        use crate::keys::{Action, Key};
        let cfg = Config::parse(r#"(ui: (keys: {start: ["F5"]}))"#, Path::new("c.ron")).unwrap();
        assert_eq!(
            cfg.ui.keys[&Action::Start],
            vec!["F5".parse::<Key>().unwrap()]
        );
        let err = Config::parse(
            "(ui: (keys: {\n start: [\"Hyper-x\"]}))",
            Path::new("c.ron"),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("c.ron:2:"), "{err}");
        assert!(Config::parse(r#"(ui: (keys: {fly: ["x"]}))"#, Path::new("c.ron")).is_err());
    }

    #[test]
    fn bad_config_names_file_line_and_column() {
        let err = Config::parse("(\n  train: (lr: \"fast\"),\n)", Path::new("my.ron")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("my.ron:2:"), "{msg}");
        let err = Config::parse("(colour: true)", Path::new("my.ron")).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
