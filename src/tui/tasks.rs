//! Work kept off the UI thread: loading a dataset, downloading one, reading or
//! deleting runs, and the learning-rate finder on the form's settings. Each reports back as a [`Msg`] on the app's channel.

use super::app::{DataMsg, DownloadProgress, Msg, StoreMsg, SweepFiles};
use crate::data::fetch::{self, FetchProgress};
use crate::data::{DataError, DatasetName, LoadedDataset, Source};
use crate::runs::{RunLoadError, RunRecord, RunStore, StoreError, best_finished};
use crate::sweep::{SweepFile, SweepStore};
use crate::train::TrainSettings;
use crate::train::lr_find::{self, FinderPlan};
use crate::tui::train::finder::FinderMsg;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// Text of a caught panic.
pub(crate) fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs the learning-rate finder on a new network of `settings` on a new thread,
/// drawing from the training images a run of them trains on; sends its progress (at
/// most every 100 ms) and its result as [`Msg::Finder`].
pub fn spawn_lr_find(
    settings: TrainSettings,
    data: Arc<LoadedDataset>,
    plan: FinderPlan,
    tx: UnboundedSender<Msg>,
) {
    let spawned = std::thread::Builder::new().name("lr-find".into()).spawn({
        let tx = tx.clone();
        move || {
            let mut last = Instant::now();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let indices = lr_find::training_indices(&data.train, &settings)?;
                lr_find::find_fresh(&settings, &data, &indices, plan, &mut |p| {
                    if last.elapsed() >= Duration::from_millis(100) {
                        last = Instant::now();
                        let _ = tx.send(Msg::Finder(FinderMsg::Progress(p)));
                    }
                    true
                })
            }))
            .unwrap_or_else(|p| Err(format!("internal error: {}", panic_text(&*p))));
            let _ = tx.send(Msg::Finder(FinderMsg::Done(result)));
        }
    });
    if let Err(e) = spawned {
        let _ = tx.send(Msg::Finder(FinderMsg::Done(Err(format!(
            "cannot start the finder thread: {e}"
        )))));
    }
}

/// Loads dataset `name` from the data folder `root` on a new thread: says where it
/// reads it from ([`DataMsg::Resolved`]), then sends it (or why not).
pub fn spawn_load(root: PathBuf, name: DatasetName, tx: UnboundedSender<Msg>) {
    let spawned = std::thread::Builder::new()
        .name("dataset-load".into())
        .spawn({
            let tx = tx.clone();
            let name = name.clone();
            move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let source = Source::resolve(&root, &name)?;
                    let _ = tx.send(Msg::Data(DataMsg::Resolved {
                        name: name.clone(),
                        title: source.title.clone(),
                        dir: source.dir.clone(),
                    }));
                    LoadedDataset::load_source(&source)
                }));
                let _ = tx.send(Msg::Data(load_result(name, result)));
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(Msg::Data(DataMsg::Failed {
            name,
            message: format!("cannot start the loader thread: {e}"),
        }));
    }
}

/// The message for the result of loading `name` (or its panic).
fn load_result(
    name: DatasetName,
    result: std::thread::Result<Result<LoadedDataset, DataError>>,
) -> DataMsg {
    match result {
        Ok(Ok(m)) => DataMsg::Loaded(Arc::new(m)),
        Ok(Err(DataError::Missing { path, dataset, how })) => DataMsg::Missing {
            name,
            message: format!("{}[.gz]: missing {dataset} file", path.display()),
            how,
        },
        Ok(Err(e @ DataError::UnknownDataset { .. })) => DataMsg::Missing {
            name,
            message: e.to_string(),
            how: String::new(),
        },
        Ok(Err(e)) => DataMsg::Failed {
            name,
            message: e.to_string(),
        },
        Err(p) => DataMsg::Failed {
            name,
            message: format!("internal error: {}", panic_text(&*p)),
        },
    }
}

/// Downloads dataset `name` into its folder under the data folder `dir` on a new
/// thread, reporting progress (MNIST from `mirrors`, config.ron's; the others from
/// their own); `cancel` stops it.
pub fn spawn_download(
    dir: PathBuf,
    name: DatasetName,
    mirrors: Vec<String>,
    cancel: Arc<AtomicBool>,
    tx: UnboundedSender<Msg>,
) {
    let spawned = std::thread::Builder::new()
        .name("data-download".into())
        .spawn({
            let tx = tx.clone();
            move || {
                let progress_tx = tx.clone();
                let mut report = move |p: DownloadProgress| {
                    let _ = progress_tx.send(Msg::Data(DataMsg::Progress(p)));
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    download(&dir, &name, &mirrors, &cancel, &mut report)
                }))
                .unwrap_or_else(|p| Err(format!("internal error: {}", panic_text(&*p))));
                let _ = tx.send(Msg::Data(DataMsg::Downloaded(result)));
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(Msg::Data(DataMsg::Downloaded(Err(format!(
            "cannot start the download thread: {e}"
        )))));
    }
}

/// Downloads dataset `name` into its folder under the data folder `dir` (through
/// [`crate::data::fetch`]; MNIST from `mirrors`, config.ron's, into `dir` itself as
/// `data fetch` does), reporting progress; raising `cancel` stops at the next read.
/// Blocks: call it on a background thread.
pub fn download(
    dir: &Path,
    name: &DatasetName,
    mirrors: &[String],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(DownloadProgress),
) -> Result<(), String> {
    // Byte counts arrive per read; forward about one per 128 KiB to keep the UI calm.
    const STEP: u64 = 128 * 1024;
    let mut last_sent = 0u64;
    let mut forward = |p: FetchProgress| match p {
        FetchProgress::Starting { file, .. } => {
            last_sent = 0;
            progress(DownloadProgress {
                file: file.to_string(),
                done: 0,
                total: None,
            })
        }
        FetchProgress::Bytes { file, done, total }
            if done >= last_sent + STEP || Some(done) == total =>
        {
            last_sent = done;
            progress(DownloadProgress {
                file: file.to_string(),
                done,
                total,
            });
        }
        _ => {}
    };
    let files = if *name == DatasetName::mnist() {
        fetch::DatasetFiles::mnist(dir).with_mirrors(mirrors)
    } else {
        let source = crate::data::Source::resolve(dir, name).map_err(|e| e.to_string())?;
        fetch::DatasetFiles::of_source(&source)
    };
    fetch::fetch(&files, cancel, &mut forward)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A request to the store thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRequest {
    /// Re-read the store; report only if something changed (or always, if forced).
    Refresh {
        /// Report even if nothing changed.
        force: bool,
    },
    /// Delete a run.
    Delete(String),
}

/// The run store's own thread: lists (cheaply) and deletes runs.
pub struct StoreWorker {
    requests: Sender<StoreRequest>,
}

impl StoreWorker {
    /// Starts the thread.
    pub fn spawn(store: RunStore, tx: UnboundedSender<Msg>) -> std::io::Result<Self> {
        let (requests, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("run-store".into())
            .spawn(move || store_loop(store, &rx, &tx))?;
        Ok(StoreWorker { requests })
    }

    /// Queues a request (ignored if the thread has ended).
    pub fn send(&self, request: StoreRequest) {
        let _ = self.requests.send(request);
    }
}

fn store_loop(store: RunStore, rx: &Receiver<StoreRequest>, tx: &UnboundedSender<Msg>) {
    let mut cache = StoreCache::default();
    let mut sweeps = SweepCache::default();
    while let Ok(first) = rx.recv() {
        // Coalesce a burst of requests into one pass.
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut refresh = None;
        for req in batch {
            match req {
                StoreRequest::Delete(id) => {
                    let result = store.delete(&id).map_err(|e| e.to_string());
                    if tx
                        .send(Msg::Store(StoreMsg::Deleted { id, result }))
                        .is_err()
                    {
                        return;
                    }
                    refresh = Some(true);
                }
                StoreRequest::Refresh { force } => {
                    refresh = Some(refresh.unwrap_or(false) || force);
                }
            }
        }
        if let Some(force) = refresh {
            let msgs = match cache.scan(&store) {
                Ok(changed) if changed || force => {
                    let runs = cache.runs();
                    let files = sweeps.files(&store, &runs);
                    vec![
                        listed(&store, runs, cache.damaged()),
                        StoreMsg::Sweeps(files),
                    ]
                }
                Ok(_) => Vec::new(),
                Err(e) => vec![StoreMsg::Failed(e)],
            };
            for m in msgs {
                if tx.send(Msg::Store(m)).is_err() {
                    return;
                }
            }
        }
    }
}

/// The listing message for `runs`, with the store's best finished run.
fn listed(store: &RunStore, runs: Vec<RunRecord>, damaged: Vec<RunLoadError>) -> StoreMsg {
    let best = best_finished(store, &runs).map(|r| r.id.clone());
    StoreMsg::Listed {
        runs,
        damaged,
        best,
    }
}

/// The whole store as the dashboard receives it (the runs, then the files of their
/// sweeps), read afresh: what the store thread sends when everything changed.
pub fn list_store(store: &RunStore) -> Vec<StoreMsg> {
    let mut cache = StoreCache::default();
    match cache.scan(store) {
        Ok(_) => {
            let runs = cache.runs();
            let files = SweepCache::default().files(store, &runs);
            vec![
                listed(store, runs, cache.damaged()),
                StoreMsg::Sweeps(files),
            ]
        }
        Err(e) => vec![StoreMsg::Failed(e)],
    }
}

/// The sweep files of the listed runs' sweeps, read once each (a sweep's file is
/// written before its first run and never changes; one that could not be read is
/// tried again at the next listing).
#[derive(Default)]
struct SweepCache {
    files: HashMap<String, SweepFile>,
}

impl SweepCache {
    /// Each sweep that a run of `runs` is tagged with: its file, or why it cannot be read.
    fn files(&mut self, store: &RunStore, runs: &[RunRecord]) -> SweepFiles {
        let sweeps = SweepStore::new(store.root());
        let mut out = SweepFiles::new();
        for id in runs.iter().filter_map(|r| r.sweep.as_ref().map(|t| &t.id)) {
            if out.contains_key(id) {
                continue;
            }
            let file = match self.files.get(id) {
                Some(f) => Ok(f.clone()),
                None => sweeps.load(id),
            };
            if let Ok(f) = &file {
                self.files.insert(id.clone(), f.clone());
            }
            out.insert(id.clone(), file);
        }
        out
    }
}

/// A record file's modification time and size: when both are unchanged, so is the run.
type Stamp = Option<(SystemTime, u64)>;

/// What was read of each run, with its [`Stamp`], so unchanged runs are not parsed again.
#[derive(Default)]
struct StoreCache {
    entries: HashMap<String, (Stamp, Result<RunRecord, RunLoadError>)>,
}

impl StoreCache {
    /// Re-reads changed runs; true if anything changed.
    fn scan(&mut self, store: &RunStore) -> Result<bool, String> {
        let ids = store.ids().map_err(|e| e.to_string())?;
        let mut changed = false;
        let before = self.entries.len();
        self.entries.retain(|id, _| ids.contains(id));
        changed |= self.entries.len() != before;
        for id in ids {
            let stamp = std::fs::metadata(store.record_path(&id))
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())));
            if let Some((old, cached)) = self.entries.get_mut(&id)
                && *old == stamp
                && stamp.is_some()
            {
                // Unchanged, but a trainer that died left it running: re-check.
                if let Ok(record) = cached {
                    changed |= store.recheck_lock(record);
                }
                continue;
            }
            let loaded = match store.load(&id) {
                Ok(r) => Ok(r),
                Err(StoreError::Damaged(e)) => Err(e),
                Err(StoreError::NotFound(_)) => continue,
                Err(e) => Err(RunLoadError {
                    id: id.clone(),
                    path: store.record_path(&id),
                    problem: e.to_string(),
                }),
            };
            if self.entries.get(&id).map(|(_, r)| r) != Some(&loaded) {
                changed = true;
            }
            self.entries.insert(id, (stamp, loaded));
        }
        Ok(changed)
    }

    fn runs(&self) -> Vec<RunRecord> {
        let mut v: Vec<RunRecord> = self
            .entries
            .values()
            .filter_map(|(_, r)| r.as_ref().ok().cloned())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    fn damaged(&self) -> Vec<RunLoadError> {
        let mut v: Vec<RunLoadError> = self
            .entries
            .values()
            .filter_map(|(_, r)| r.as_ref().err().cloned())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::runs::RunStatus;
    use crate::train::TrainSettings;

    #[test]
    fn cache_reports_changes_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut cache = StoreCache::default();
        assert!(!cache.scan(&store).unwrap());
        let at = time::OffsetDateTime::now_utc();
        let id = store.create_run_dir(&Preset::Mlp.model_name(), at).unwrap();
        let r = RunRecord::new(id.clone(), TrainSettings::preset(Preset::Mlp), at);
        store.save_record(&r).unwrap();
        assert!(cache.scan(&store).unwrap());
        assert!(
            !cache.scan(&store).unwrap(),
            "unchanged store reported a change"
        );
        assert_eq!(cache.runs().len(), 1);
        std::fs::write(store.record_path(&id), "(broken").unwrap();
        assert!(cache.scan(&store).unwrap());
        assert_eq!(cache.damaged().len(), 1);
        assert!(cache.runs().is_empty());
        store.delete(&id).unwrap();
        assert!(cache.scan(&store).unwrap());
        assert!(cache.damaged().is_empty());
        // Folders the store does not accept as runs are not runs here either.
        std::fs::create_dir(dir.path().join(".hidden")).unwrap();
        std::fs::create_dir(dir.path().join("not a run")).unwrap();
        assert!(!cache.scan(&store).unwrap());
        assert_eq!(store.ids().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_cached_running_run_turns_interrupted_when_its_trainer_dies() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let at = time::OffsetDateTime::now_utc();
        let id = store.create_run_dir(&Preset::Mlp.model_name(), at).unwrap();
        let r = RunRecord::new(id.clone(), TrainSettings::preset(Preset::Mlp), at);
        assert_eq!(r.status, RunStatus::Running);
        store.save_record(&r).unwrap();
        // The trainer holds the lock (its own open file: another process to flock).
        let lock = store.lock(&id).unwrap();
        let mut cache = StoreCache::default();
        assert!(cache.scan(&store).unwrap());
        assert_eq!(cache.runs()[0].status, RunStatus::Running);
        assert!(!cache.scan(&store).unwrap(), "nothing changed yet");
        // The trainer dies: the kernel drops its lock; run.ron is untouched.
        drop(lock);
        assert!(cache.scan(&store).unwrap(), "the death is a change");
        assert_eq!(cache.runs()[0].status, RunStatus::Interrupted);
        // A resume takes the lock again before it rewrites the record.
        let _lock = store.lock(&id).unwrap();
        assert!(cache.scan(&store).unwrap());
        assert_eq!(cache.runs()[0].status, RunStatus::Running);
    }
}
