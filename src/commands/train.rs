//! `mnist-tui train`: the trainer with a progress bar (terminal) or plain lines (pipe).

use super::drive::{DataCache, Output, StopSignals, drive};
use super::{Context, ExitError};
use crate::cli::TrainArgs;
use crate::runs::StoreError;
use crate::sweep::SweepStore;
use crate::train::catalog::check_given;
use crate::train::{SETTINGS, TrainError, TrainEvent, TrainJob, TrainSettings};
use std::io::{IsTerminal, Write};

/// Runs `train` to completion, printing progress. Ctrl-C, SIGTERM and SIGHUP stop the
/// run at the next batch and save it as stopped (a second signal exits at once). A
/// closed stdout (`train | head`) stops the printing, never the training or saving.
pub fn run(ctx: &Context, args: &TrainArgs) -> anyhow::Result<()> {
    let job = match &args.resume {
        Some(typed) => {
            let run_id = ctx.store.resolve_id(typed)?;
            // Said before MNIST is loaded; the trainer takes the lock itself.
            if ctx.store.is_locked(&run_id) {
                return Err(StoreError::Locked(run_id).into());
            }
            // A resumed run keeps its own settings (its rate in effect changes with `l`
            // in the dashboard): a training flag other than --epochs would be ignored,
            // so it is refused rather than silently dropped.
            let flags = args.overrides();
            let ignored: Vec<String> = SETTINGS
                .iter()
                .filter(|r| r.name != "epochs" && r.is_overridden(&flags))
                .map(|r| format!("--{}", r.flag))
                .collect();
            if !ignored.is_empty() {
                anyhow::bail!(
                    "{} cannot be given with --resume: run {run_id} continues with its own \
                     settings (only --epochs, the epochs to add, can be)",
                    ignored.join(", ")
                );
            }
            TrainJob::Resume {
                run_id,
                more_epochs: flags.epochs,
            }
        }
        None => {
            let flags = args.overrides();
            let settings = TrainSettings::resolve(&[&ctx.config.train, &flags]);
            settings
                .validate()
                .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
            let given: Vec<_> = SETTINGS
                .iter()
                .filter(|r| r.is_overridden(&flags))
                .collect();
            check_given(&given, std::slice::from_ref(&settings))
                .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
            match &args.sweep {
                Some(tag) => {
                    SweepStore::new(ctx.store.root())
                        .load(&tag.id)
                        .and_then(|file| file.check_point(tag, &settings))
                        .map_err(anyhow::Error::msg)?;
                    TrainJob::Point {
                        settings,
                        sweep: tag.clone(),
                    }
                }
                None => TrainJob::New(settings),
            }
        }
    };
    let data = DataCache::default().for_job(&job, &ctx.data_dir, &ctx.store)?;
    let signals = StopSignals::install()?;
    let mut out = Output::new(std::io::stdout().is_terminal() && std::io::stderr().is_terminal());
    let trained = drive(job, data, &ctx.store, &signals, &mut out);
    let run_id = trained.run_id;
    let dir = ctx.store.run_dir(&run_id);
    match trained.outcome {
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
            code: signals.exit_code(),
        }
        .into()),
        Some(TrainEvent::Failed { reason }) => match trained.error {
            // Another process took the run after the check above: said the same way.
            Some(TrainError::Locked(id)) => Err(StoreError::Locked(id).into()),
            _ => Err(anyhow::anyhow!("training failed: {reason}")),
        },
        _ => Err(anyhow::anyhow!("the trainer ended without a result")),
    }
}

/// Warns when some classes can never be predicted.
fn warn_dead_outputs(dead: &[u8]) {
    if dead.is_empty() {
        return;
    }
    let list: Vec<String> = dead.iter().map(u8::to_string).collect();
    let _ = writeln!(
        std::io::stderr(),
        "warning: {} dead output unit(s) for class(es) {}: their output is 0 for every image \
         scored, so the model never predicts them (the tutorial's ReLU on the logits; \
         try another seed, a lower --lr, or --model mlp)",
        dead.len(),
        list.join(", ")
    );
}
