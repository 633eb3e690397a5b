//! What `train` and `sweep` share: [`drive`] trains one job through the trainer to its
//! end, [`StopSignals`] turns Ctrl-C, SIGTERM and SIGHUP into a stop, and [`Output`]
//! prints the trainer's events as a progress bar or as plain lines.

use crate::data::{DatasetName, LoadedDataset};
use crate::format;
use crate::train::{
    self, Control, Controller, SETTINGS, TrainError, TrainEvent, TrainJob, TrainSettings,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// What became of one job the trainer ran.
pub(crate) struct Trained {
    /// Its run's id (empty if the trainer could not even start one).
    pub run_id: String,
    /// Its terminal event (finished, stopped or failed).
    pub outcome: Option<TrainEvent>,
    /// Why it failed before its run was trained (e.g. [`TrainError::Locked`]: another
    /// process trains the run), for callers that act on the reason.
    pub error: Option<TrainError>,
}

/// Trains `job` on `data` to its end through the one trainer ([`train::spawn`]),
/// showing its events on `out`; a signal caught by `signals` stops it (saved as
/// stopped). `train` and `sweep` both train through here.
pub(crate) fn drive(
    job: TrainJob,
    data: Arc<LoadedDataset>,
    store: &crate::runs::RunStore,
    signals: &StopSignals,
    out: &mut Output,
) -> Trained {
    let mut handle = train::spawn(job, data, store.clone());
    signals.watch(Some(handle.controller()));
    let mut run_id = String::new();
    let mut outcome = None;
    while let Some(event) = handle.blocking_recv() {
        if let TrainEvent::Started { run_id: id, .. } = &event {
            run_id = id.clone();
        }
        out.show(&event);
        if event.is_terminal() {
            outcome = Some(event);
        }
    }
    let error = handle.wait().err();
    signals.watch(None);
    out.finish();
    Trained {
        run_id,
        outcome,
        error,
    }
}

/// The datasets loaded so far, each once: the points of a sweep may train on several.
#[derive(Default)]
pub(crate) struct DataCache {
    loaded: Vec<Arc<LoadedDataset>>,
}

impl DataCache {
    /// The dataset `job` trains on (its settings', or the resumed run's), loaded from
    /// the data folder `root` the first time it is asked for.
    pub fn for_job(
        &mut self,
        job: &TrainJob,
        root: &std::path::Path,
        store: &crate::runs::RunStore,
    ) -> anyhow::Result<Arc<LoadedDataset>> {
        let name = match job {
            TrainJob::New(s) | TrainJob::Point { settings: s, .. } => s.dataset.clone(),
            TrainJob::Resume { run_id, .. } => store.load(run_id)?.config.dataset,
        };
        self.get(root, &name)
    }

    /// The dataset `name`, loaded from `root` the first time.
    pub fn get(
        &mut self,
        root: &std::path::Path,
        name: &DatasetName,
    ) -> anyhow::Result<Arc<LoadedDataset>> {
        if let Some(d) = self.loaded.iter().find(|d| d.info.name == *name) {
            return Ok(d.clone());
        }
        let data = Arc::new(LoadedDataset::load(root, name)?);
        self.loaded.push(data.clone());
        Ok(data)
    }
}

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP, caught once per process: the first asks the
/// trainer being watched to stop at the next batch (and child processes to stop, with
/// SIGTERM); a second exits at once. The exit code is 128 + the first signal (130 for
/// Ctrl-C).
#[derive(Clone)]
pub(crate) struct StopSignals {
    inner: Arc<SignalState>,
}

struct SignalState {
    /// The first signal's number, 0 until one arrives.
    first: AtomicI32,
    controller: Mutex<Option<Controller>>,
    children: Mutex<Vec<i32>>,
}

impl StopSignals {
    /// Installs the handlers (a thread waiting for the signals).
    pub fn install() -> anyhow::Result<Self> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let inner = Arc::new(SignalState {
            first: AtomicI32::new(0),
            controller: Mutex::new(None),
            children: Mutex::new(Vec::new()),
        });
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(|e| anyhow::anyhow!("cannot install the signal handlers: {e}"))?;
        let seen = inner.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if seen.first.load(Ordering::SeqCst) != 0 {
                        std::process::exit(128 + sig);
                    }
                    seen.first.store(sig, Ordering::SeqCst);
                    let _ = writeln!(
                        std::io::stderr(),
                        "\nstopping: saving the run (signal again to quit at once)"
                    );
                    if let Some(c) = lock(&seen.controller).as_ref() {
                        c.send(Control::Stop);
                    }
                    for pid in lock(&seen.children).iter() {
                        // SAFETY: kill(2) has no memory effects; a gone pid is harmless.
                        unsafe {
                            libc::kill(*pid, libc::SIGTERM);
                        }
                    }
                }
            })
            .map_err(|e| anyhow::anyhow!("cannot start the signal thread: {e}"))?;
        Ok(StopSignals { inner })
    }

    /// Watches `controller`'s trainer (or none): a signal stops it, including one that
    /// arrived before it was watched.
    pub fn watch(&self, controller: Option<Controller>) {
        if let Some(c) = &controller
            && self.signal().is_some()
        {
            c.send(Control::Stop);
        }
        *lock(&self.inner.controller) = controller;
    }

    /// Watches child process `pid` (a signal sends it SIGTERM), or stops at once if a
    /// signal has already come.
    pub fn add_child(&self, pid: u32) {
        let pid = pid as i32;
        lock(&self.inner.children).push(pid);
        if self.signal().is_some() {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }

    /// Stops watching child process `pid`.
    pub fn remove_child(&self, pid: u32) {
        lock(&self.inner.children).retain(|p| *p != pid as i32);
    }

    /// The first signal caught, if any.
    pub fn signal(&self) -> Option<i32> {
        Some(self.inner.first.load(Ordering::SeqCst)).filter(|s| *s != 0)
    }

    /// 128 + the first signal (130 if none came).
    pub fn exit_code(&self) -> i32 {
        128 + self.signal().unwrap_or(libc::SIGINT)
    }
}

/// A mutex's content, even if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every setting as `name value`, in the settings table's order.
fn settings_line(s: &TrainSettings) -> String {
    let parts: Vec<String> = SETTINGS
        .iter()
        .map(|row| format!("{} {}", row.short, row.show_applied(s)))
        .collect();
    parts.join(", ")
}

/// Prints events as a progress bar or as plain lines. Once stdout is closed (the
/// reader of a pipe went away), nothing more is printed; training goes on.
pub(crate) struct Output {
    bar: Option<ProgressBar>,
    total_epochs: u32,
    stdout_closed: bool,
    /// Put before every line (`point 2/8: `), for sweeps.
    label: String,
    /// Lines go to stderr (stdout carries JSON).
    to_stderr: bool,
}

impl Output {
    /// A progress bar when `terminal`, else plain lines.
    pub fn new(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} batches  {msg}  eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Output {
            bar,
            total_epochs: 0,
            stdout_closed: false,
            label: String::new(),
            to_stderr: false,
        }
    }

    /// Sends the lines to stderr (when stdout carries `--json` output).
    pub fn lines_to_stderr(&mut self) {
        self.to_stderr = true;
    }

    /// Puts `label` (e.g. `point 2/8`) before every line and in the bar.
    pub fn set_label(&mut self, label: String) {
        self.label = label;
    }

    /// Prints one line on stdout, unless stdout is closed; a failed write (EPIPE)
    /// marks it closed.
    pub fn print(&mut self, text: String) {
        if self.stdout_closed {
            return;
        }
        if self.to_stderr {
            let _ = writeln!(std::io::stderr(), "{text}");
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            self.stdout_closed = true;
        }
    }

    fn line(&mut self, text: String) {
        let text = if self.label.is_empty() {
            text
        } else {
            format!("{}: {text}", self.label)
        };
        match &self.bar {
            Some(bar) => bar.println(text),
            None => self.print(text),
        }
    }

    /// Shows one event.
    pub fn show(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Started {
                run_id,
                settings,
                train_size,
                test_size,
                params,
                start_epoch,
            } => {
                self.total_epochs = settings.epochs;
                let verb = if *start_epoch > 0 {
                    "resuming"
                } else {
                    "training"
                };
                self.line(format!(
                    "{verb} run {run_id} ({params} parameters, {train_size} train / \
                     {test_size} test images): {}",
                    settings_line(settings)
                ));
            }
            TrainEvent::Loss {
                point,
                samples_per_sec,
            } => {
                let text = format!(
                    "epoch {} step {} loss {:.4} ({:.0} samples/s)",
                    point.epoch, point.step, point.loss, samples_per_sec
                );
                match &self.bar {
                    Some(bar) => bar.set_message(format!("loss {:.4}", point.loss)),
                    None => self.line(text),
                }
            }
            TrainEvent::Progress {
                epoch,
                batch,
                batches_per_epoch,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_length(*batches_per_epoch as u64);
                    bar.set_position(*batch as u64);
                    let label = if self.label.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", self.label)
                    };
                    bar.set_prefix(format!("{label}epoch {epoch}/{}", self.total_epochs));
                }
            }
            TrainEvent::Evaluating { .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message("evaluating");
                }
            }
            TrainEvent::EpochEnd(m) => {
                self.line(format!(
                    "epoch {} done in {:.1}s: train loss {:.4} acc {:.2}%{}{}",
                    m.epoch,
                    m.seconds,
                    m.train_loss,
                    m.train_acc * 100.0,
                    m.scores(),
                    if m.dead_outputs.is_empty() {
                        String::new()
                    } else {
                        format!(", dead outputs: {:?}", m.dead_outputs)
                    }
                ));
                if let Some(bar) = &self.bar {
                    bar.reset();
                }
            }
            TrainEvent::Tested {
                epoch,
                test_acc,
                test_loss,
            } => self.line(format!(
                "tested the weights of epoch {epoch}: test loss {test_loss:.4} acc {:.2}%",
                test_acc * 100.0
            )),
            TrainEvent::EarlyStopped(stop) => self.line(stop.describe()),
            TrainEvent::LrChanged(c) => self.line(format!("learning rate now {}", c.lr)),
            TrainEvent::EpochsChanged { total } => {
                self.total_epochs = *total;
                self.line(format!("epochs now {total}"));
            }
            // Only the dashboard asks for a finder during a run.
            TrainEvent::FindingLr(_) | TrainEvent::LrFound(_) => {}
            TrainEvent::Paused => self.line("paused".into()),
            TrainEvent::Resumed => self.line("resumed".into()),
            TrainEvent::Finished { test_acc } => {
                self.line(format!(
                    "finished: test accuracy {}",
                    format::percent(*test_acc as f64)
                ));
            }
            TrainEvent::Stopped => self.line("stopped".into()),
            TrainEvent::Failed { reason } => self.line(format!("failed: {reason}")),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
