//! What a view's handlers may use of the rest of the dashboard: [`Cx`] lends them the
//! cross-view state (data, notice, dialog, view, keys, size, config file) while the
//! view's own state is `self`; what must reach another view goes back as a
//! [`Request`].

use super::app::{DataSlot, Notice};
use super::dialogs::Modal;
use super::keymap::{Action, Keymap, Scope};
use super::view::View;
use crate::data::{DatasetName, LoadedDataset};
use crate::train::TrainSettings;
use ratatui::layout::Rect;
use std::path::Path;
use std::sync::Arc;

/// Work for another view, done by the app after the handler returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Fill the Train view's form with run `id`'s settings and show it.
    LoadForm {
        /// The run the settings come from.
        id: String,
        /// Its settings.
        settings: Box<TrainSettings>,
    },
}

/// The cross-view state a handler may read and change.
pub struct Cx<'a> {
    /// The dataset held and its state.
    pub data: &'a mut DataSlot,
    /// The one-line message for the user.
    pub notice: &'a mut Option<Notice>,
    /// The dialog shown.
    pub modal: &'a mut Option<Modal>,
    /// The view shown.
    pub view: &'a mut View,
    /// The key table in effect (hints name its keys).
    pub keys: &'a Keymap,
    /// The terminal's size.
    pub size: Rect,
    /// The config file the dashboard was started with (networks are saved there or
    /// beside it).
    pub config_path: &'a Path,
    /// Work for other views.
    pub requests: Vec<Request>,
}

impl Cx<'_> {
    /// Shows `text` as news.
    pub fn info(&mut self, text: impl Into<String>) {
        *self.notice = Some(Notice::Info(text.into()));
    }

    /// Shows `text` as a refusal or failure.
    pub fn error(&mut self, text: impl Into<String>) {
        *self.notice = Some(Notice::Error(text.into()));
    }

    /// The key bound now to `action` of `scope`, for a hint.
    pub fn key(&self, scope: Scope, action: Action) -> String {
        self.keys.key_for(scope, action)
    }

    /// Dataset `name`, if it is the one held and loaded; otherwise says why not.
    pub fn ready_data(&mut self, name: &DatasetName) -> Option<Arc<LoadedDataset>> {
        if let Some(d) = self.data.ready(name) {
            return Some(d.clone());
        }
        let why = self.data.not_ready(name, self.keys).unwrap_or_default();
        self.error(why);
        None
    }
}
