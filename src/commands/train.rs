//! `mnist-tui train`: the trainer with a progress bar (terminal) or plain lines (pipe).

use super::{Context, ExitError};
use crate::cli::TrainArgs;
use crate::data::Mnist;
use crate::format;
use crate::train::{self, Control, SETTINGS, TrainEvent, TrainJob, TrainSettings};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// Runs `train` to completion, printing progress. Ctrl-C stops the run and saves it
/// as stopped (a second Ctrl-C exits at once).
pub fn run(ctx: &Context, args: &TrainArgs) -> anyhow::Result<()> {
    let job = match &args.resume {
        Some(typed) => TrainJob::Resume {
            run_id: ctx.store.resolve_id(typed)?,
            more_epochs: args.overrides().epochs.unwrap_or(1),
        },
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
    let controller = handle.controller();
    let _ = ctrlc::set_handler(move || {
        static PRESSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if PRESSED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping: saving the run (Ctrl-C again to quit at once)");
        controller.send(Control::Stop);
    });
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
            println!("saved run {run_id} in {}", dir.display());
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
            code: 130,
        }
        .into()),
        Some(TrainEvent::Failed { reason }) => Err(anyhow::anyhow!("training failed: {reason}")),
        _ => Err(anyhow::anyhow!("the trainer ended without a result")),
    }
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
    eprintln!(
        "warning: {} dead output unit(s) for class(es) {}: their output is 0 for every test \
         image, so the model never predicts them (the tutorial's ReLU on the logits; \
         try another seed, a lower --lr, or --model mlp)",
        dead.len(),
        list.join(", ")
    );
}

/// Prints events as a progress bar or as plain lines.
struct Output {
    bar: Option<ProgressBar>,
    total_epochs: u32,
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
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
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
                    None => println!("{text}"),
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
