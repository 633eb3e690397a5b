//! Whether an action can be done now, and if not, why: the one rule that the key bar
//! (shows what is available), the `?` overlay (dims what is not) and the handlers
//! (refuse what is not, changing nothing, with the reason as the notice) all use.
//! Reasons that name a key name the key bound now, so they follow `config.ron`.

use super::app::App;
use super::digit::state::DigitMode;
use super::keymap::{Action, Keymap, Scope};
use super::runs::table::RunEntry;
use crate::data::DatasetName;

/// `Ok` when `action` of `scope` can be done now, else the reason to show.
pub fn available(app: &App, scope: Scope, action: Action) -> Result<(), String> {
    match scope {
        Scope::Global => Ok(()),
        Scope::Train => train(app, action),
        Scope::Runs => runs(app, action),
        Scope::Digit => digit(app, action),
    }
}

fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why()) }
}

/// "A run is already active: stop it (x) first", with the Stop key bound now.
pub fn already_active(keys: &Keymap) -> String {
    format!(
        "A run is already active: stop it ({}) first",
        keys.key_for(Scope::Train, Action::Stop)
    )
}

/// "A run is waiting for Fashion-MNIST to load: x cancels it", with the Stop key bound
/// now.
pub fn run_waiting(keys: &Keymap, dataset: &DatasetName) -> String {
    format!(
        "A run is waiting for {} to load: {} cancels it",
        super::data::title_of(dataset),
        keys.key_for(Scope::Train, Action::Stop)
    )
}

/// No run active and none waiting for its data.
fn idle(app: &App) -> Result<(), String> {
    check(!app.run_active(), || already_active(&app.keys))?;
    match app.train.waiting_for() {
        Some(dataset) => Err(run_waiting(&app.keys, dataset)),
        None => Ok(()),
    }
}

/// `Ok` when dataset `name` is held and loaded, else why not (`what` needs it).
fn data_ready(app: &App, name: &DatasetName, what: &str) -> Result<(), String> {
    match app.data.not_ready(name, &app.keys) {
        None => Ok(()),
        Some(why) => Err(format!("{why}: {what}")),
    }
}

fn train(app: &App, action: Action) -> Result<(), String> {
    use Action as A;
    let active = app.run_active();
    let sweep = app.train.sweep.as_ref();
    let key = |a| app.keys.key_for(Scope::Train, a);
    let broken = app.data.state.is_broken();
    let form_dataset = &app.train.form.settings.dataset;
    match action {
        A::Stop => check(active || app.train.waiting.is_some(), || {
            "No run is active".into()
        }),
        A::Pause | A::AddEpoch => check(active, || "No run is active".into()),
        A::ChangeLr => check(active, || {
            "The learning rate can be changed while a run is active".into()
        }),
        A::Start => {
            idle(app)?;
            data_ready(app, form_dataset, "training needs its images")
        }
        A::Sweep => idle(app),
        A::Up | A::Down | A::Edit | A::Decrease => check(!active, || {
            format!(
                "Settings are locked while a run is active ({} adds an epoch)",
                key(A::AddEpoch)
            )
        }),
        A::PauseSweep => check(sweep.is_some(), || {
            format!("No sweep: press {} to start one", key(A::Sweep))
        }),
        A::CancelSweep => check(sweep.is_some(), || "No sweep to cancel".into()),
        A::QueuePrev | A::QueueNext | A::RunNext => {
            check(sweep.is_some_and(|q| !q.queue.is_empty()), || {
                "No point is queued".into()
            })
        }
        A::FindLr => find_lr(app),
        A::SaveNetwork => {
            check(!active, || {
                format!(
                    "Networks are saved from the idle form: stop the run ({}) first",
                    key(A::Stop)
                )
            })?;
            app.train
                .form
                .settings
                .network()
                .check()
                .map_err(|e| format!("The form's layers do not make a network: {}", e.source))
        }
        A::Download => {
            check(app.data.downloadable(), || {
                format!(
                    "{} has no mirror to download from (the panel says how to get it)",
                    app.data.title
                )
            })?;
            check(broken, || {
                format!(
                    "{} is {}: nothing to download",
                    app.data.title,
                    app.data.state.word()
                )
            })
        }
        A::RetryData => check(broken, || {
            format!(
                "{} is {}: nothing to retry",
                app.data.title,
                app.data.state.word()
            )
        }),
        _ => Ok(()),
    }
}

/// The finder needs the data, no finder under way, and (idle) valid form settings.
fn find_lr(app: &App) -> Result<(), String> {
    check(app.train.finder.is_none(), || {
        "The learning-rate finder is already running".into()
    })?;
    if app.run_active() {
        return Ok(());
    }
    data_ready(
        app,
        &app.train.form.settings.dataset,
        "the finder needs the training images",
    )?;
    app.train
        .form
        .validated()
        .map(|_| ())
        .map_err(|e| format!("The form's settings are invalid: {e}"))
}

fn runs(app: &App, action: Action) -> Result<(), String> {
    use Action as A;
    match action {
        A::Resume => idle(app),
        A::Export => match app.runs.current() {
            None => Err("No run to export".into()),
            Some(RunEntry::Damaged(_)) if app.runs.marked.is_empty() => {
                Err("This run cannot be read: nothing to export".into())
            }
            Some(_) => Ok(()),
        },
        A::Delete => {
            let current = app.runs.current().map(|e| e.id());
            let training = app.run_active()
                && app.train.session.as_ref().and_then(|s| s.run_id.as_deref()) == current;
            check(!training, || {
                format!(
                    "This run is being trained: stop it ({}) before deleting",
                    app.keys.key_for(Scope::Train, A::Stop)
                )
            })
        }
        _ => Ok(()),
    }
}

fn digit(app: &App, action: Action) -> Result<(), String> {
    use Action as A;
    let mode = app.digit.mode;
    let key = |a| app.keys.key_for(Scope::Digit, a);
    match action {
        A::Up | A::Down | A::PageUp | A::PageDown | A::First | A::Last | A::Back => {
            check(mode == DigitMode::Gallery, || {
                format!("The gallery is closed ({} opens it)", key(A::Gallery))
            })
        }
        A::ClearCanvas | A::SaveDrawing => check(mode == DigitMode::Draw, || {
            format!("Not drawing: {} goes back to the canvas", key(A::DrawMode))
        }),
        A::DrawMode => check(mode != DigitMode::Draw, || "Already drawing".into()),
        A::Browse => {
            check(mode != DigitMode::Browse, || {
                "Already browsing the test images".into()
            })?;
            check(app.digit.predictor.is_some(), || {
                format!(
                    "No model loaded yet: train a run, or press {} to choose one",
                    key(A::NextModel)
                )
            })
        }
        A::NextImage | A::PrevImage => {
            check(mode == DigitMode::Browse, || {
                format!("Not browsing: {} shows the test images", key(A::Browse))
            })?;
            let dataset = app.digit.dataset();
            data_ready(app, &dataset.name, "stepping needs its test images")
        }
        A::OpenPath => check(mode != DigitMode::Gallery, || {
            format!("Leave the gallery first ({})", key(A::Back))
        }),
        _ => Ok(()),
    }
}
