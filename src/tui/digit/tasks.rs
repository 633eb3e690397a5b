//! The Digit view's background work: loading a model or an image, saving the drawing,
//! finding a model's mistakes, predicting the current digit and completing a path.
//! Each reports back as a [`Msg::Digit`]; a task that panics reports a failure for
//! what it was doing, so the view never waits forever.

use super::state::{DigitEffect, DigitMsg, LoadedImage, PREVIEW_SIDE};
use crate::data::Preparation;
use crate::data::Split;
use crate::digit::{self, Canvas, DigitError};
use crate::predict::{Predictor, find_mistakes};
use crate::runs::RunStore;
use crate::tui::app::Msg;
use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// What a background task is doing: enough to report its failure to the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Loading this run's model.
    LoadModel(String),
    /// Loading this image file.
    LoadImage(PathBuf),
    /// Saving the drawing.
    SaveDrawing,
    /// Finding this run's mistakes.
    FindMistakes(String),
    /// Predicting the drawing or image of this sequence number.
    Predict(u64),
    /// Completing this typed path (Tab number `seq`).
    CompletePath {
        /// The Tab press's sequence number.
        seq: u64,
        /// The text that was completed.
        typed: String,
    },
}

impl Task {
    /// The task of `effect`.
    pub fn of(effect: &DigitEffect) -> Task {
        match effect {
            DigitEffect::LoadModel(r) => Task::LoadModel(r.id.clone()),
            DigitEffect::LoadImage(p, _) => Task::LoadImage(p.clone()),
            DigitEffect::SaveDrawing(_) => Task::SaveDrawing,
            DigitEffect::FindMistakes { id, .. } => Task::FindMistakes(id.clone()),
            DigitEffect::Predict { seq, .. } => Task::Predict(*seq),
            DigitEffect::CompletePath { seq, typed } => Task::CompletePath {
                seq: *seq,
                typed: typed.clone(),
            },
        }
    }

    /// The message saying that this task failed for `reason`.
    pub fn failed(self, reason: String) -> DigitMsg {
        match self {
            Task::LoadModel(id) => DigitMsg::ModelLoaded {
                id,
                result: Err(reason),
            },
            Task::LoadImage(path) => DigitMsg::ImageLoaded {
                path,
                result: Err(reason),
            },
            Task::SaveDrawing => DigitMsg::Saved(Err(reason)),
            Task::FindMistakes(id) => DigitMsg::Mistakes {
                id,
                result: Err(reason),
            },
            Task::Predict(seq) => DigitMsg::Predicted {
                seq,
                result: Err(reason),
            },
            Task::CompletePath { seq, typed } => DigitMsg::Completed {
                seq,
                typed,
                result: Err(reason),
            },
        }
    }
}

/// Runs `job`; if it panics, returns `task`'s failure with the panic's message instead.
pub fn guarded(task: Task, job: impl FnOnce() -> DigitMsg) -> DigitMsg {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(msg) => msg,
        Err(payload) => task.failed(format!("the task crashed: {}", panic_text(&*payload))),
    }
}

/// The message a panic was raised with.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Carries out `effect` on a new thread; its result (or failure) is sent on `tx`.
pub fn apply(effect: DigitEffect, store: &RunStore, tx: &UnboundedSender<Msg>) {
    let task = Task::of(&effect);
    let store = store.clone();
    let sender = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("digit-task".into())
        .spawn(move || {
            let _ = sender.send(Msg::Digit(perform(effect, &store)));
        });
    if let Err(e) = spawned {
        let reason = format!("cannot start a background thread: {e}");
        let _ = tx.send(Msg::Digit(task.failed(reason)));
    }
}

/// Carries out `effect` here and now (a panic becomes the task's failure).
pub fn perform(effect: DigitEffect, store: &RunStore) -> DigitMsg {
    guarded(Task::of(&effect), move || match effect {
        DigitEffect::SaveDrawing(canvas) => DigitMsg::Saved(save_drawing(&canvas, Path::new("."))),
        DigitEffect::LoadModel(record) => DigitMsg::ModelLoaded {
            result: Predictor::from_run(store, &record)
                .map(Arc::new)
                .map_err(|e| e.to_string()),
            id: record.id,
        },
        DigitEffect::LoadImage(path, preparation) => DigitMsg::ImageLoaded {
            result: load_image(&path, preparation).map(Box::new),
            path,
        },
        DigitEffect::FindMistakes {
            id,
            predictor,
            data,
        } => DigitMsg::Mistakes {
            id,
            result: find_mistakes(&predictor, data.split(Split::Test))
                .map(Arc::new)
                .map_err(|e| e.to_string()),
        },
        DigitEffect::Predict {
            seq,
            pixels,
            predictor,
        } => DigitMsg::Predicted {
            seq,
            result: predictor.predict(&pixels).map_err(|e| e.to_string()),
        },
        DigitEffect::CompletePath { seq, typed } => DigitMsg::Completed {
            seq,
            result: complete_path(&typed),
            typed,
        },
    })
}

/// Loads an image file for the Digit view and prepares it the model's dataset's way.
pub fn load_image(path: &Path, preparation: Preparation) -> Result<LoadedImage, String> {
    let img = digit::load_image(path).map_err(|e| e.to_string())?;
    let prepared = match digit::preparation_for(preparation)(&img) {
        Ok(p) => Ok(Box::new(p)),
        Err(DigitError::NoDigit { reason, .. }) => Err(reason),
        Err(e) => Err(e.to_string()),
    };
    let preview = if img.width().max(img.height()) > PREVIEW_SIDE {
        img.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
    } else {
        img
    };
    Ok(LoadedImage {
        path: path.to_path_buf(),
        preview,
        prepared,
        preparation,
    })
}

/// Saves `canvas` as `drawing-<local time>.png` in `dir` (a counter is added if taken).
pub fn save_drawing(canvas: &Canvas, dir: &Path) -> Result<PathBuf, String> {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = now.format(&fmt).map_err(|e| e.to_string())?;
    let mut path = dir.join(format!("drawing-{stamp}.png"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("drawing-{stamp}-{n}.png"));
        n += 1;
    }
    canvas
        .save_png(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Completes `typed` against the entries of its folder: returns the new text and, when
/// several names match, the matching names (folders end with `/`). Hidden entries are
/// offered only when the typed name starts with a dot. A folder that cannot be read is
/// an error.
pub fn complete_path(typed: &str) -> Result<(String, Vec<String>), String> {
    let (dir_text, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_text.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir_text)
    };
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let is_dir = e.path().is_dir();
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .filter(|n| n.starts_with(prefix) && (prefix.starts_with('.') || !n.starts_with('.')))
        .collect();
    names.sort();
    Ok(match names.as_slice() {
        [] => (typed.to_string(), Vec::new()),
        [one] => (format!("{dir_text}{one}"), Vec::new()),
        many => {
            let common = many.iter().skip(1).fold(many[0].clone(), |acc, n| {
                acc.chars()
                    .zip(n.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect()
            });
            (format!("{dir_text}{common}"), names)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["seven.png", "seven-2.png", "three.jpg", ".hidden.png"] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let base = format!("{}/", dir.path().display());
        let (t, names) = complete_path(&format!("{base}th")).unwrap();
        assert_eq!(t, format!("{base}three.jpg"));
        assert!(names.is_empty());
        let (t, names) = complete_path(&format!("{base}se")).unwrap();
        assert_eq!(t, format!("{base}seven"));
        assert_eq!(names, vec!["seven-2.png", "seven.png"]);
        let (t, _) = complete_path(&format!("{base}su")).unwrap();
        assert_eq!(t, format!("{base}sub/"));
        let (_, names) = complete_path(&base).unwrap();
        assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
        let (t, names) = complete_path(&format!("{base}zz")).unwrap();
        assert_eq!(t, format!("{base}zz"));
        assert!(names.is_empty());
        let err = complete_path(&format!("{base}nowhere/x")).unwrap_err();
        assert!(err.contains("nowhere"), "{err}");
    }

    #[test]
    fn a_panicking_task_reports_a_failure_for_what_it_was_doing() {
        let msg = guarded(Task::LoadModel("r1".into()), || panic!("boom"));
        match msg {
            DigitMsg::ModelLoaded { id, result: Err(e) } => {
                assert_eq!(id, "r1");
                assert!(e.contains("crashed") && e.contains("boom"), "{e}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = guarded(Task::Predict(4), || panic!("{}", String::from("owned")));
        assert!(
            matches!(msg, DigitMsg::Predicted { seq: 4, result: Err(ref e) } if e.contains("owned")),
            "{msg:?}"
        );
    }
}
