//! The headless commands: `train`, `sweep`, `lr-find`, `runs`, `predict`, `data`, `bench`,
//! `models`, `export`, `import`. Each takes the resolved
//! [`Context`] and returns an error that `main` prints once.

pub mod bench;
pub mod data;
pub mod drive;
pub mod export;
pub mod import;
pub mod lr_find;
pub mod models;
pub mod out;
pub mod predict;
pub mod runs;
pub mod sweep;
pub mod train;

use crate::config::Config;
use crate::runs::RunStore;
use std::path::PathBuf;

/// What every command needs: the configuration, the data folder and the run store.
#[derive(Debug, Clone)]
pub struct Context {
    /// The loaded configuration.
    pub config: Config,
    /// The resolved MNIST data folder.
    pub data_dir: PathBuf,
    /// The run store.
    pub store: RunStore,
}

pub use crate::exit::ExitError;
