//! Dialogs over the views, one module each (its state, keys, submit, drawing and key
//! hints together), behind the small [`Dialog`] trait. [`Modal`] lists them once: the
//! app holds at most one, routes keys, the wheel, the key bar and drawing through
//! [`Modal::dialog`]; a dialog's submit gets the whole [`App`] to act on.
//!
//! To add a dialog: a module here implementing [`Dialog`], one line in the
//! `dialogs!` list below, and the action that opens it.

pub mod delete;
pub mod details;
pub mod export;
pub mod field;
pub mod groups;
pub mod help;
pub mod learning_rate;
pub mod lr_finder;
pub mod quit;
pub mod resume;
pub mod save_network;
pub mod scroll;
pub mod sweep;

use super::app::{App, Effect};
use super::keymap::Keymap;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

/// What a key did to a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The dialog stays open.
    Stay,
    /// The dialog closes with nothing done.
    Close,
    /// The dialog's answer is given: [`Dialog::submit`] acts on it.
    Submit,
}

/// One dialog: how it takes keys, what its answer does, how it looks.
pub trait Dialog {
    /// What `key` does to the dialog (dialog keys are fixed, not in the key table).
    fn on_key(&mut self, key: &KeyEvent) -> Step;

    /// Acts on the answer. `Err` keeps the dialog open with the reason shown in it;
    /// `Ok` closes it (the submit may open another dialog or set a notice).
    fn submit(&mut self, _app: &mut App) -> Result<Vec<Effect>, String> {
        Ok(Vec::new())
    }

    /// Shows why the last answer was refused (dialogs with an answer to refuse).
    fn refuse(&mut self, _reason: String) {}

    /// Scrolls by `delta` lines (scrollable dialogs; others ignore the wheel).
    fn scroll_by(&mut self, _delta: i64) {}

    /// The key bar's hints while the dialog is open: (keys, what they do).
    fn hints(&self, keys: &Keymap) -> Vec<(String, &'static str)>;

    /// Draws the dialog over `area` (the whole screen).
    fn draw(&self, f: &mut Frame, area: Rect, app: &App);
}

/// Declares [`Modal`] from the list of dialogs, with its dispatch to [`Dialog`].
macro_rules! dialogs {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// The dialog shown over the views.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Modal {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Modal {
            /// The dialog, to draw it or read its hints.
            pub fn dialog(&self) -> &dyn Dialog {
                match self {
                    $(Modal::$variant(d) => d,)*
                }
            }

            /// The dialog, to give it keys.
            pub fn dialog_mut(&mut self) -> &mut dyn Dialog {
                match self {
                    $(Modal::$variant(d) => d,)*
                }
            }
        }
    };
}

dialogs! {
    /// The key list.
    Help(help::HelpDialog),
    /// "A run is active: stop and save, then quit?"
    ConfirmQuit(quit::ConfirmQuit),
    /// "Delete this run?"
    ConfirmDelete(delete::ConfirmDelete),
    /// A new learning rate for the running run.
    LearningRate(learning_rate::LearningRateDialog),
    /// The learning-rate finder's curve and suggestion.
    LrFinder(lr_finder::LrFinderDialog),
    /// How many epochs to add when resuming a run.
    Resume(resume::ResumeDialog),
    /// A sweep: settings and their lists of values.
    Sweep(sweep::SweepDialog),
    /// A run's settings and per-epoch metrics.
    Details(details::DetailsDialog),
    /// Runs grouped over seeds: table, ranking, chart.
    Groups(groups::GroupsDialog),
    /// A name and a file for the form's network.
    SaveNetwork(save_network::SaveNetworkDialog),
    /// A format and a path for the run or the marked runs.
    Export(export::ExportDialog),
}

impl App {
    /// A key while a dialog is open.
    pub(super) fn on_dialog_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        let Some(mut modal) = self.modal.take() else {
            return Vec::new();
        };
        match modal.dialog_mut().on_key(key) {
            Step::Stay => self.modal = Some(modal),
            Step::Close => {}
            Step::Submit => match modal.dialog_mut().submit(self) {
                Ok(effects) => return effects,
                Err(reason) => {
                    modal.dialog_mut().refuse(reason);
                    self.modal = Some(modal);
                }
            },
        }
        Vec::new()
    }
}

/// Fixed hints as owned pairs.
pub fn fixed(pairs: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    pairs.iter().map(|(k, a)| (k.to_string(), *a)).collect()
}
