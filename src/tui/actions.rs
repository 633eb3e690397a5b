//! Whether an action can be done now, and if not, why: the one rule that the key bar
//! (shows what is available), the `?` overlay (dims what is not) and the handlers
//! (refuse what is not, changing nothing, with the reason as the notice) all use.
//! Reasons that name a key name the key bound now, so they follow `config.ron`.

use super::app::{App, DataState};
use super::digit::state::DigitMode;
use super::keymap::{Action, Keymap, Scope};

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

fn train(app: &App, action: Action) -> Result<(), String> {
    use Action as A;
    let active = app.run_active();
    let sweep = app.train.sweep.as_ref();
    let key = |a| app.keys.key_for(Scope::Train, a);
    let missing = matches!(app.data, DataState::Missing { .. } | DataState::Failed(_));
    match action {
        A::Pause | A::Stop | A::AddEpoch => check(active, || "No run is active".into()),
        A::ChangeLr => check(active, || {
            "The learning rate can be changed while a run is active".into()
        }),
        A::Start | A::Sweep => check(!active, || already_active(&app.keys)),
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
        A::Download => check(missing, || {
            format!("MNIST is {}: nothing to download", app.data.word())
        }),
        A::RetryData => check(missing, || {
            format!("MNIST is {}: nothing to retry", app.data.word())
        }),
        _ => Ok(()),
    }
}

/// The finder needs the data, no finder under way, and (idle) valid form settings.
fn find_lr(app: &App) -> Result<(), String> {
    check(app.train.finder.is_none(), || {
        "The learning-rate finder is already running".into()
    })?;
    check(matches!(app.data, DataState::Ready(_)), || {
        format!(
            "MNIST is {}: the finder needs the training images",
            app.data.word()
        )
    })?;
    if app.run_active() {
        return Ok(());
    }
    app.train
        .form
        .validated()
        .map(|_| ())
        .map_err(|e| format!("The form's settings are invalid: {e}"))
}

fn runs(app: &App, action: Action) -> Result<(), String> {
    use Action as A;
    match action {
        A::Resume => check(!app.run_active(), || already_active(&app.keys)),
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
        A::OpenPath => check(mode != DigitMode::Gallery, || {
            format!("Leave the gallery first ({})", key(A::Back))
        }),
        _ => Ok(()),
    }
}
