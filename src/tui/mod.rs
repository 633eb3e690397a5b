//! The ratatui dashboard: `mnist-tui` with no subcommand.
//!
//! - [`app`]: state and `update(Msg) -> Vec<Effect>` (no drawing, no I/O): what
//!   crosses views, and the three view components it holds.
//! - [`view`]: which view is shown.
//! - [`keymap`]: the key table (actions, help, key bar); [`actions`]: whether an action
//!   can be done now (one rule for the key bar, the help and the handlers); `input`
//!   routes keys and the mouse to the dialog or the view's component.
//! - [`context`]: what a view's handlers may use of the rest ([`context::Cx`]).
//! - [`data`]: the one dataset held ([`data::DataSlot`]): which, and where it stands.
//! - [`dialogs`]: every dialog, one module each, behind [`dialogs::Dialog`].
//! - [`digit`]: the Digit view (state, actions, tasks, geometry, drawing).
//! - [`runs`]: the Runs view (table state, actions, drawing).
//! - [`train`]: the Train view (settings form, the live run, sweep queue, actions,
//!   drawing).
//! - [`series`]: chart series (Train and Runs; [`crate::series`], shared with the
//!   exported charts).
//! - [`layout`]: geometry shared by drawing and mouse hit-testing.
//! - [`ui`]: the frame (tabs, key bar), the `?` overlay, dialogs and shared widgets.
//! - [`terminal`], [`event`], [`tasks`], [`runtime`]: the terminal, input thread,
//!   background work, and the loop that ties them together.

pub mod actions;
pub mod app;
pub mod context;
pub mod data;
pub mod dialogs;
pub mod digit;
pub mod event;
mod input;
pub mod keymap;
pub mod layout;
pub mod runs;
pub mod runtime;
/// The chart series and axes (shared with the exported charts).
pub use crate::series;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod train;
pub mod ui;
pub mod view;

use crate::config::Config;
use crate::runs::RunStore;
use std::path::PathBuf;

/// Opens the dashboard and runs it until the user quits. Blocks the calling thread.
/// `config_path` is the config file `config` was read from (or would be: it need not
/// exist); networks saved from the dashboard go there or beside it.
///
/// The terminal is restored on every exit path (return, error, panic). If training is
/// active when the user quits, the run is stopped and saved as stopped first.
pub fn run(
    config: Config,
    config_path: PathBuf,
    data_dir: PathBuf,
    store: RunStore,
) -> anyhow::Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        // Called from inside a tokio runtime: run on a thread of our own, since a
        // runtime cannot be started within another.
        return std::thread::scope(|s| {
            s.spawn(|| runtime::run(config, config_path, data_dir, store))
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the dashboard thread panicked")))
        });
    }
    runtime::run(config, config_path, data_dir, store)
}
