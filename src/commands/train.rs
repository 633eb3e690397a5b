//! `mnist-tui train`: the trainer with a progress bar (terminal) or plain lines (pipe).

use super::{Context, ExitError};
use crate::cli::TrainArgs;
use crate::data::Mnist;
use crate::format;
use crate::train::{self, Control, Controller, SETTINGS, TrainEvent, TrainJob, TrainSettings};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// Runs `train` to completion, printing progress. Ctrl-C, SIGTERM and SIGHUP stop the
/// run at the next batch and save it as stopped (a second signal exits at once). A
/// closed stdout (`train | head`) stops the printing, never the training or saving.
pub fn run(ctx: &Context, args: &TrainArgs) -> anyhow::Result<()> {
    let job = match &args.resume {
        Some(typed) => {
            let run_id = ctx.store.resolve_id(typed)?;
            // Said before MNIST is loaded; the trainer takes the lock itself.
            if ctx.store.is_locked(&run_id) {
                return Err(crate::runs::StoreError::Locked(run_id).into());
            }
            TrainJob::Resume {
                run_id,
                more_epochs: args.overrides().epochs.unwrap_or(1),
            }
        }
        None => {
            let settings = TrainSettings::resolve(&[&ctx.config.train, &args.overrides()]);
            settings
                .validate()
                .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
            TrainJob::New(settings)
        }
    };
    let data = Arc::new(Mnist::load(&ctx.data_dir)?);
    let mut handle = train::spawn(job, data, ctx.store.clone());
    let signal = stop_on_signals(handle.controller())?;
    let mut out = Output::new(std::io::stdout().is_terminal() && std::io::stderr().is_terminal());
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
    handle.join();
    out.finish();
    let dir = ctx.store.run_dir(&run_id);
    match outcome {
        Some(TrainEvent::Finished { .. }) => {
            out.print(format!("saved run {run_id} in {}", dir.display()));
            if let Some(summary) = ctx.store.load(&run_id).ok().and_then(|r| r.summary) {
                warn_dead_outputs(&summary.dead_outputs);
            }
            Ok(())
        }
        Some(TrainEvent::Stopped) => Err(ExitError {
            message: format!(
                "stopped; run {run_id} saved as stopped in {}",
                dir.display()
            ),
            code: 128 + signal.load(Ordering::SeqCst).max(0),
        }
        .into()),
        Some(TrainEvent::Failed { reason }) => Err(anyhow::anyhow!("training failed: {reason}")),
        _ => Err(anyhow::anyhow!("the trainer ended without a result")),
    }
}

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP ask `controller`'s trainer to stop at the next
/// batch; a second one exits at once. Returns the first signal's number (2 until one
/// arrives), so the exit code is 128 + it (130 for Ctrl-C, as before).
fn stop_on_signals(controller: Controller) -> anyhow::Result<Arc<AtomicI32>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let first = Arc::new(AtomicI32::new(SIGINT));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| anyhow::anyhow!("cannot install the signal handlers: {e}"))?;
    let seen = first.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut stopping = false;
            for sig in signals.forever() {
                if stopping {
                    std::process::exit(128 + sig);
                }
                stopping = true;
                seen.store(sig, Ordering::SeqCst);
                let _ = writeln!(
                    std::io::stderr(),
                    "\nstopping: saving the run (signal again to quit at once)"
                );
                controller.send(Control::Stop);
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot start the signal thread: {e}"))?;
    Ok(first)
}

/// Every setting as `name value`, in the settings table's order.
fn settings_line(s: &TrainSettings) -> String {
    let parts: Vec<String> = SETTINGS
        .iter()
        .map(|row| format!("{} {}", row.short, row.show(s)))
        .collect();
    parts.join(", ")
}

/// Warns when some classes can never be predicted.
fn warn_dead_outputs(dead: &[u8]) {
    if dead.is_empty() {
        return;
    }
    let list: Vec<String> = dead.iter().map(u8::to_string).collect();
    let _ = writeln!(
        std::io::stderr(),
        "warning: {} dead output unit(s) for class(es) {}: their output is 0 for every test \
         image, so the model never predicts them (the tutorial's ReLU on the logits; \
         try another seed, a lower --lr, or --model mlp)",
        dead.len(),
        list.join(", ")
    );
}

/// Prints events as a progress bar or as plain lines. Once stdout is closed (the
/// reader of a pipe went away), nothing more is printed; training goes on.
struct Output {
    bar: Option<ProgressBar>,
    total_epochs: u32,
    stdout_closed: bool,
}

impl Output {
    fn new(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} batches  {msg}  eta {eta}",
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
        }
    }

    /// Prints one line on stdout, unless stdout is closed; a failed write (EPIPE)
    /// marks it closed.
    fn print(&mut self, text: String) {
        if self.stdout_closed {
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
        match &self.bar {
            Some(bar) => bar.println(text),
            None => self.print(text),
        }
    }

    fn show(&mut self, event: &TrainEvent) {
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
                    None => self.print(text),
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
                    bar.set_prefix(format!("{epoch}/{}", self.total_epochs));
                }
            }
            TrainEvent::Evaluating { .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message("evaluating on the test set");
                }
            }
            TrainEvent::EpochEnd(m) => {
                self.line(format!(
                    "epoch {} done in {:.1}s: train loss {:.4} acc {:.2}%, test loss {:.4} acc {:.2}%{}",
                    m.epoch,
                    m.seconds,
                    m.train_loss,
                    m.train_acc * 100.0,
                    m.test_loss,
                    m.test_acc * 100.0,
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
            TrainEvent::LrChanged(c) => self.line(format!("learning rate now {}", c.lr)),
            TrainEvent::EpochsChanged { total } => {
                self.total_epochs = *total;
                self.line(format!("epochs now {total}"));
            }
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

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
