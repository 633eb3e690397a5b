//! The ratatui dashboard: `mnist-tui` with no subcommand.
//!
//! - [`app`]: state and `update(Msg) -> Vec<Effect>` (no drawing, no I/O).
//! - [`keymap`]: the key table (actions, help, key bar); `input` and `digit::input` do
//!   the actions and handle the mouse.
//! - [`digit`]: the Digit view (state, actions, tasks, geometry, drawing).
//! - [`runs`]: the Runs view (table state, actions, drawing).
//! - [`train`]: the Train view (settings form, the live run, actions, drawing).
//! - [`series`]: chart series (Train and Runs).
//! - [`layout`]: geometry shared by drawing and mouse hit-testing.
//! - [`ui`]: the frame (tabs, key bar), the `?` overlay, dialogs and shared widgets.
//! - [`terminal`], [`event`], [`tasks`], [`runtime`]: the terminal, input thread,
//!   background work, and the loop that ties them together.

pub mod app;
pub mod digit;
pub mod event;
mod input;
pub mod keymap;
pub mod layout;
pub mod runs;
pub mod runtime;
pub mod series;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod train;
pub mod ui;

use crate::config::Config;
use crate::runs::RunStore;
use std::path::PathBuf;

/// Opens the dashboard and runs it until the user quits. Blocks the calling thread.
///
/// The terminal is restored on every exit path (return, error, panic). If training is
/// active when the user quits, the run is stopped and saved as stopped first.
pub fn run(config: Config, data_dir: PathBuf, store: RunStore) -> anyhow::Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        // Called from inside a tokio runtime: run on a thread of our own, since a
        // runtime cannot be started within another.
        return std::thread::scope(|s| {
            s.spawn(|| runtime::run(config, data_dir, store))
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the dashboard thread panicked")))
        });
    }
    runtime::run(config, data_dir, store)
}
