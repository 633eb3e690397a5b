//! The ratatui dashboard.

use crate::config::Config;
use crate::runs::RunStore;
use std::path::PathBuf;

/// Opens the dashboard and runs it until the user quits.
pub fn run(config: Config, data_dir: PathBuf, store: RunStore) -> anyhow::Result<()> {
    let _ = (config, data_dir, store);
    anyhow::bail!("the dashboard is not built yet; use the subcommands (see --help)")
}
