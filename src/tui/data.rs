//! The dataset the dashboard holds: one at a time, named ([`DataSlot`]). Which one is
//! decided by [`App::wanted_dataset`](super::app::App::wanted_dataset) (a run waiting
//! for its data, else the Train form's, else the one the Digit view's gallery or test
//! images need); switching drops the one held, and a loader thread reads the new one
//! (one thread at a time: a read that is no longer wanted finishes, is dropped, and the
//! wanted one is read next).

use super::app::Effect;
use super::keymap::{Action, Keymap, Scope};
use crate::data::{DatasetName, LoadedDataset};
use std::path::PathBuf;
use std::sync::Arc;

/// Download progress of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadProgress {
    /// The file being downloaded.
    pub file: String,
    /// Bytes received.
    pub done: u64,
    /// Bytes expected, if known.
    pub total: Option<u64>,
}

/// Where the dataset of the [`DataSlot`] stands.
#[derive(Debug, Clone)]
pub enum DataState {
    /// Being read on a background thread (or waiting for the read under way to end).
    Loading,
    /// Files are absent.
    Missing {
        /// What is missing (or why a download failed).
        message: String,
        /// Where the files go and how to get them ([`crate::data::Source::how_to_get`]);
        /// empty when unknown.
        how: String,
    },
    /// Being downloaded (a dataset known by name, from its mirrors).
    Downloading(DownloadProgress),
    /// Loaded.
    Ready(Arc<LoadedDataset>),
    /// Present but unreadable.
    Failed(String),
}

impl DataState {
    /// A word for the tab bar.
    pub fn word(&self) -> &'static str {
        match self {
            DataState::Loading => "loading",
            DataState::Missing { .. } => "missing",
            DataState::Downloading(_) => "downloading",
            DataState::Ready(_) => "ready",
            DataState::Failed(_) => "error",
        }
    }

    /// Whether the files are missing or unreadable (a retry may help).
    pub fn is_broken(&self) -> bool {
        matches!(self, DataState::Missing { .. } | DataState::Failed(_))
    }
}

/// News from the data loader or downloader threads. Each names its dataset, so news of
/// one no longer wanted is dropped.
#[derive(Debug, Clone)]
pub enum DataMsg {
    /// The loader found where dataset `name` is and reads it now.
    Resolved {
        /// The dataset.
        name: DatasetName,
        /// Its title.
        title: String,
        /// The folder its files are read from.
        dir: PathBuf,
    },
    /// A dataset is loaded (its name is in its info).
    Loaded(Arc<LoadedDataset>),
    /// Dataset `name`'s files are missing.
    Missing {
        /// The dataset.
        name: DatasetName,
        /// What is missing.
        message: String,
        /// Where the files go and how to get them (empty when unknown).
        how: String,
    },
    /// Dataset `name` could not be read.
    Failed {
        /// The dataset.
        name: DatasetName,
        /// Why.
        message: String,
    },
    /// MNIST download progress.
    Progress(DownloadProgress),
    /// The MNIST download ended.
    Downloaded(Result<(), String>),
}

impl DataMsg {
    /// The dataset a loader's message is about (`None` for the downloader's).
    fn dataset(&self) -> Option<&DatasetName> {
        match self {
            DataMsg::Resolved { name, .. }
            | DataMsg::Missing { name, .. }
            | DataMsg::Failed { name, .. } => Some(name),
            DataMsg::Loaded(d) => Some(&d.info.name),
            DataMsg::Progress(_) | DataMsg::Downloaded(_) => None,
        }
    }
}

/// The one dataset the dashboard holds or is loading, and where it stands.
#[derive(Debug, Clone)]
pub struct DataSlot {
    /// The dataset held, or being loaded.
    pub name: DatasetName,
    /// Its title (`Fashion-MNIST`; a folder of one's own is titled by its folder name
    /// once the loader has found it).
    pub title: String,
    /// The folder its files are read from, once the loader has found it.
    pub dir: Option<PathBuf>,
    /// Where it stands.
    pub state: DataState,
    /// The dataset a loader thread is reading now, if any (one read at a time).
    pub reading: Option<DatasetName>,
}

/// How a dataset is titled before its files are read: its row's title, else its name.
pub fn title_of(name: &DatasetName) -> String {
    name.spec()
        .map_or_else(|| name.to_string(), |s| s.title.to_string())
}

impl DataSlot {
    /// The slot of `name`, to be loaded.
    pub fn new(name: DatasetName) -> Self {
        DataSlot {
            title: title_of(&name),
            name,
            dir: None,
            state: DataState::Loading,
            reading: None,
        }
    }

    /// The data, if `name` is held and loaded.
    pub fn ready(&self, name: &DatasetName) -> Option<&Arc<LoadedDataset>> {
        match &self.state {
            DataState::Ready(d) if self.name == *name => Some(d),
            _ => None,
        }
    }

    /// Whether the download key can fetch the slot's dataset: a dataset known by name
    /// with mirrors (MNIST's are config.ron's; EMNIST has none, a folder of one's own
    /// nothing to download).
    pub fn downloadable(&self) -> bool {
        self.name.spec().is_some_and(|s| !s.mirrors.is_empty())
    }

    /// Makes `name` the dataset of the slot, dropping the one held (a no-op if it is
    /// already).
    pub fn switch_to(&mut self, name: &DatasetName) {
        if self.name != *name {
            let reading = self.reading.take();
            *self = DataSlot {
                reading,
                ..DataSlot::new(name.clone())
            };
        }
    }

    /// Loads the slot's dataset again (after its files were fixed).
    pub fn retry(&mut self) {
        self.state = DataState::Loading;
    }

    /// The read to start now: the slot's dataset when it waits to be loaded and no
    /// read is under way.
    pub fn next_read(&mut self) -> Option<Effect> {
        if matches!(self.state, DataState::Loading) && self.reading.is_none() {
            self.reading = Some(self.name.clone());
            return Some(Effect::LoadData(self.name.clone()));
        }
        None
    }

    /// Applies a loader's or downloader's news (news of another dataset than the slot's
    /// ends its read and is dropped). Returns a notice for the user, if any.
    pub fn apply(&mut self, msg: DataMsg) -> Option<String> {
        let about = msg.dataset().cloned();
        if let Some(name) = &about
            && !matches!(msg, DataMsg::Resolved { .. })
            && self.reading.as_ref() == Some(name)
        {
            self.reading = None;
        }
        if about.is_some_and(|name| name != self.name) {
            return None; // no longer wanted: dropped here
        }
        match msg {
            DataMsg::Resolved { title, dir, .. } => {
                self.title = title;
                self.dir = Some(dir);
            }
            DataMsg::Loaded(d) => {
                self.title = d.info.title.clone();
                self.state = DataState::Ready(d);
            }
            DataMsg::Missing { message, how, .. } => {
                self.state = DataState::Missing { message, how };
            }
            DataMsg::Failed { message, .. } => self.state = DataState::Failed(message),
            DataMsg::Progress(p) => {
                if matches!(self.state, DataState::Downloading(_)) {
                    self.state = DataState::Downloading(p);
                }
            }
            DataMsg::Downloaded(result) => {
                if !(self.downloadable() && matches!(self.state, DataState::Downloading(_))) {
                    return Some(match result {
                        Ok(()) => format!("{} downloaded", self.title),
                        Err(e) => format!("The {} download failed: {e}", self.title),
                    });
                }
                self.state = match result {
                    Ok(()) => DataState::Loading,
                    Err(e) => DataState::Missing {
                        message: format!("download failed: {e}"),
                        how: String::new(),
                    },
                };
            }
        }
        None
    }

    /// Why `name` cannot be used now (another dataset is held, it is loading, its files
    /// are missing…), for a refusal naming the keys of `keys`; `None` when it is loaded.
    pub fn not_ready(&self, name: &DatasetName, keys: &Keymap) -> Option<String> {
        if self.name != *name {
            return Some(format!(
                "{} is not loaded ({} is)",
                title_of(name),
                self.title
            ));
        }
        let title = &self.title;
        match &self.state {
            DataState::Ready(_) => None,
            DataState::Loading => Some(format!("{title} is still loading")),
            DataState::Downloading(_) => Some(format!("{title} is still downloading")),
            DataState::Missing { .. } if self.downloadable() => Some(format!(
                "{title} is missing: press {} to download it",
                keys.key_for(Scope::Train, Action::Download)
            )),
            DataState::Missing { .. } => Some(format!(
                "{title} is missing: the Train view says how to get it ({} retries)",
                keys.key_for(Scope::Train, Action::RetryData)
            )),
            DataState::Failed(e) => Some(format!("{title} could not be read: {e}")),
        }
    }
}
