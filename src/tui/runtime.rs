//! The event loop: draws, waits for the next message (input, tick, trainer event or
//! background result), lets the [`App`] update, and carries out its [`Effect`]s.

use super::app::{App, Effect, Msg, QuitState};
use super::event::InputReader;
use super::tasks::{self, StoreRequest, StoreWorker};
use super::terminal;
use super::theme::Theme;
use super::ui;
use crate::config::Config;
use crate::runs::RunStore;
use crate::train::{self, Control, TrainerHandle};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How long quitting keeps the dashboard up while the trainer stops and saves; past
/// it the screen is restored and the program waits for the save outside it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Most messages handled between two frames (keeps drawing regular under bursts).
const MAX_BATCH: usize = 256;

/// Sets up the terminal and runs the loop on a single-threaded tokio runtime. Quit by
/// a signal, it returns (once the terminal is restored and the run saved) an
/// [`ExitError`](crate::exit::ExitError) whose code is 128 + the signal. Networks are
/// saved in `config_path` (the config file it was started with) or beside it.
pub fn run(
    config: Config,
    config_path: PathBuf,
    data_dir: PathBuf,
    store: RunStore,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot start the async runtime")?;
    let theme = Theme::from_env(config.ui.chart_marker);
    let (mut term, guard) = terminal::enter().context("cannot set up the terminal")?;
    let signal = Arc::new(AtomicI32::new(0));
    let result = rt.block_on(event_loop(
        &mut term,
        config,
        config_path,
        data_dir,
        store,
        theme,
        signal.clone(),
    ));
    // Not dropped: ratatui's Terminal shows the cursor in its Drop and `eprintln!`s
    // when that fails, which panics on a terminal that went away (a closed window).
    // The guard shows the cursor itself, ignoring such errors; the process ends soon.
    std::mem::forget(term);
    drop(guard);
    let (trainer, draw_error) = result?;
    // The screen is restored; a trainer still going was asked to stop. Wait for it to
    // save the run (it stops at the next batch), however long the save takes.
    if let Some(t) = trainer {
        if !t.is_finished() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "waiting for the training run to save…");
        }
        t.join();
    }
    // Quit by a signal: exit as a killed program would report it, 128 + the signal
    // (even if the terminal that sent SIGHUP also failed the last draw).
    let sig = signal.load(Ordering::SeqCst);
    if sig != 0 {
        return Err(crate::exit::ExitError {
            message: format!("quit on signal {sig} ({})", signal_name(sig)),
            code: 128 + sig,
        }
        .into());
    }
    match draw_error {
        Some(e) => Err(anyhow::Error::new(e).context("cannot draw on the terminal")),
        None => Ok(()),
    }
}

/// Notices a terminal that went away without a signal reaching us (the window
/// closed while SIGHUP went elsewhere) and without a failed draw (an idle screen
/// writes nothing): a hung-up tty is no longer a terminal to `isatty`.
struct TerminalWatch {
    was_terminal: bool,
}

impl TerminalWatch {
    fn start() -> Self {
        TerminalWatch {
            was_terminal: std::io::stdout().is_terminal(),
        }
    }

    /// Whether standard output was a terminal and is not any more.
    fn gone(&self) -> bool {
        self.was_terminal && !std::io::stdout().is_terminal()
    }
}

/// The name of a signal the dashboard quits on.
fn signal_name(sig: i32) -> &'static str {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    match sig {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// SIGTERM, SIGHUP and SIGINT (e.g. `kill`, a closed terminal window) quit the
/// dashboard like `q`: the loop sees the first signal's number in `first` (0 until
/// one comes), stops the trainer, restores the terminal and waits for the save, and
/// the program exits with 128 + that number. A second signal restores the terminal
/// and exits at once.
fn quit_on_signals(first: Arc<AtomicI32>, tx: UnboundedSender<Msg>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot install the signal handlers")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if first
                    .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    let _ = terminal::restore();
                    std::process::exit(128 + sig);
                }
                // Wakes the loop so it notices the flag now.
                let _ = tx.send(Msg::Tick(Instant::now()));
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Everything the loop drives besides the app.
struct Runtime {
    config: Config,
    store: RunStore,
    data_dir: PathBuf,
    tx: UnboundedSender<Msg>,
    store_worker: StoreWorker,
    trainer: Option<TrainerHandle>,
    /// Raised on exit so a download in progress stops.
    cancel_download: Arc<AtomicBool>,
}

impl Runtime {
    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::StartTraining(job, data) => {
                if let Some(old) = self.trainer.take() {
                    old.send(Control::Stop);
                }
                self.trainer = Some(train::spawn(job, data, self.store.clone()));
            }
            Effect::Control(c) => {
                if let Some(t) = &self.trainer {
                    t.send(c);
                }
            }
            Effect::RefreshRuns => self
                .store_worker
                .send(StoreRequest::Refresh { force: false }),
            Effect::DeleteRun(id) => self.store_worker.send(StoreRequest::Delete(id)),
            Effect::LoadData(name) => {
                tasks::spawn_load(self.data_dir.clone(), name, self.tx.clone())
            }
            Effect::DownloadData(name) => tasks::spawn_download(
                self.data_dir.clone(),
                name,
                self.config.mirrors.clone(),
                self.cancel_download.clone(),
                self.tx.clone(),
            ),
            Effect::Digit(d) => super::digit::tasks::apply(d, &self.store, &self.tx),
            Effect::FindLr {
                settings,
                data,
                plan,
            } => tasks::spawn_lr_find(*settings, data, plan, self.tx.clone()),
            Effect::SaveSweep(file) => {
                let saved = crate::sweep::SweepStore::new(self.store.root()).save(&file);
                let _ = self.tx.send(Msg::SweepSaved(saved));
            }
            // A few KiB, edited and written at once, like a sweep file.
            Effect::SaveNetwork { path, def } => {
                let result =
                    crate::networks_file::save_network(&path, &def).map_err(|e| e.to_string());
                let _ = self.tx.send(Msg::NetworkSaved { path, def, result });
            }
            // Loads a model's weights and writes files: on a thread of its own.
            Effect::Export { format, ids, out } => {
                super::runs::export::spawn(self.store.clone(), format, ids, out, self.tx.clone())
            }
        }
    }
}

/// The next trainer event, or never if there is no trainer.
async fn next_train_event(trainer: &mut Option<TrainerHandle>) -> Option<Msg> {
    match trainer {
        Some(t) => Some(match t.recv().await {
            Some(e) => Msg::Train(e),
            None => Msg::TrainerGone,
        }),
        None => std::future::pending().await,
    }
}

async fn event_loop(
    term: &mut terminal::Term,
    config: Config,
    config_path: PathBuf,
    data_dir: PathBuf,
    store: RunStore,
    theme: Theme,
    signal: Arc<AtomicI32>,
) -> anyhow::Result<(Option<TrainerHandle>, Option<std::io::Error>)> {
    let (tx, mut rx): (UnboundedSender<Msg>, UnboundedReceiver<Msg>) = unbounded_channel();
    quit_on_signals(signal.clone(), tx.clone())?;
    let mut app = App::new(&config, data_dir.clone(), theme);
    app.config_path = config_path;
    let tick_every = Duration::from_millis(config.ui.tick_ms.clamp(16, 1000));
    let mut rt = Runtime {
        store_worker: StoreWorker::spawn(store.clone(), tx.clone())
            .context("cannot start the run-store thread")?,
        config,
        store,
        data_dir,
        tx: tx.clone(),
        trainer: None,
        cancel_download: Arc::new(AtomicBool::new(false)),
    };
    let _input = InputReader::spawn(tx.clone()).context("cannot start the input thread")?;
    rt.store_worker.send(StoreRequest::Refresh { force: true });
    // The first update asks for the form's dataset to be loaded.
    let size = term.size().map_or((120, 40), |s| (s.width, s.height));
    for e in app.update(Msg::Resize(size.0, size.1)) {
        rt.apply(e);
    }

    let mut tick = tokio::time::interval(tick_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut quit_deadline: Option<Instant> = None;
    let mut draw_error = None;
    let watch = TerminalWatch::start();
    loop {
        if signal.load(Ordering::SeqCst) != 0 {
            break;
        }
        if watch.gone() {
            draw_error = Some(std::io::Error::other("the terminal went away"));
            break;
        }
        // A terminal that went away (SIGHUP, closed window) fails to draw: stop the
        // trainer and wait for its save like a quit, then report the error.
        if let Err(e) = term.draw(|f| ui::render(f, &app)) {
            draw_error = Some(e);
            break;
        }
        if app.should_quit() {
            break;
        }
        if app.quit == QuitState::StoppingThenQuit {
            let deadline = *quit_deadline.get_or_insert_with(|| Instant::now() + STOP_TIMEOUT);
            if Instant::now() >= deadline || rt.trainer.is_none() {
                break;
            }
        }
        let first = tokio::select! {
            Some(m) = rx.recv() => m,
            Some(m) = next_train_event(&mut rt.trainer) => m,
            _ = tick.tick() => Msg::Tick(Instant::now()),
        };
        let mut pending = vec![first];
        while pending.len() < MAX_BATCH {
            if let Ok(m) = rx.try_recv() {
                pending.push(m);
            } else if let Some(e) = rt.trainer.as_mut().and_then(|t| t.try_recv()) {
                pending.push(Msg::Train(e));
            } else {
                break;
            }
        }
        for msg in pending {
            let gone = matches!(msg, Msg::TrainerGone);
            let effects = app.update(msg);
            if gone {
                rt.trainer = None;
            }
            for e in effects {
                rt.apply(e);
            }
        }
    }
    // Leaving with a trainer still going (e.g. the stop timed out): ask it to stop once
    // more; it saves the run as stopped when it sees the message.
    let trainer = rt.trainer.take();
    if let Some(t) = &trainer {
        t.send(Control::Stop);
    }
    rt.cancel_download.store(true, Ordering::SeqCst);
    Ok((trainer, draw_error))
}
