//! The Digit view's background work: loading a model or an image, saving the drawing,
//! finding a model's mistakes. Each reports back as a [`Msg::Digit`].

use super::state::{DigitEffect, DigitMsg, LoadedImage, PREVIEW_SIDE};
use crate::data::Split;
use crate::digit::{self, Canvas, DigitError};
use crate::predict::{Predictor, find_mistakes};
use crate::runs::RunStore;
use crate::tui::app::Msg;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Carries out `effect`, on a new thread unless it is instant.
pub fn apply(effect: DigitEffect, store: &RunStore, tx: &UnboundedSender<Msg>) {
    let store = store.clone();
    let send = {
        let tx = tx.clone();
        move |m: DigitMsg| {
            let _ = tx.send(Msg::Digit(m));
        }
    };
    let job: Box<dyn FnOnce() + Send> = match effect {
        DigitEffect::SaveDrawing(canvas) => {
            send(DigitMsg::Saved(save_drawing(&canvas, Path::new("."))));
            return;
        }
        DigitEffect::LoadModel(record) => Box::new(move || {
            let result = Predictor::from_run(&store, &record)
                .map(Arc::new)
                .map_err(|e| e.to_string());
            send(DigitMsg::ModelLoaded {
                id: record.id.clone(),
                result,
            });
        }),
        DigitEffect::LoadImage(path) => Box::new(move || {
            let result = load_image(&path).map(Box::new);
            send(DigitMsg::ImageLoaded { path, result });
        }),
        DigitEffect::FindMistakes {
            id,
            predictor,
            data,
        } => Box::new(move || {
            let result = find_mistakes(&predictor, data.split(Split::Test))
                .map(Arc::new)
                .map_err(|e| e.to_string());
            send(DigitMsg::Mistakes { id, result });
        }),
    };
    let spawned = std::thread::Builder::new()
        .name("digit-task".into())
        .spawn(move || {
            // A panic must not take the dashboard down; the view then just waits.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        });
    if let Err(e) = spawned {
        let _ = tx.send(Msg::Digit(DigitMsg::Saved(Err(format!(
            "cannot start a background thread: {e}"
        )))));
    }
}

/// Loads and prepares an image file for the Digit view.
pub fn load_image(path: &Path) -> Result<LoadedImage, String> {
    let img = digit::load_image(path).map_err(|e| e.to_string())?;
    let prepared = match digit::prepare(&img) {
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
