//! What keys, the mouse and background results do in the Digit view.
//! The keys are rows of [`crate::tui::keymap::BINDINGS`].

use super::layout as digit_layout;
use super::state::{DigitEffect, DigitMode, DigitMsg, Gallery, model_candidates};
use crate::tui::app::{App, DataState, Effect, Notice, View};
use crate::tui::keymap::Action;
use crate::tui::layout;
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

/// Card rows moved by PgUp / PgDn in the gallery.
const GALLERY_PAGE: i64 = 2;

impl App {
    /// Actions of the Digit view (from the key table; typing a path is
    /// [`App::on_path_key`]).
    pub(crate) fn on_digit_action(&mut self, action: Action) -> Vec<Effect> {
        let d = &mut self.digit;
        match action {
            Action::DrawMode => {
                d.mode = DigitMode::Draw;
                d.last_source = DigitMode::Draw;
                d.refresh();
            }
            Action::OpenPath => {
                d.editing = true;
                d.completions.clear();
            }
            Action::ShowImage => {
                if d.image.is_some() {
                    d.mode = DigitMode::Image;
                    d.last_source = DigitMode::Image;
                    d.refresh();
                } else {
                    self.notice =
                        Some(Notice::Error("No image loaded: press o to open one".into()));
                }
            }
            Action::ClearCanvas => {
                d.canvas.clear();
                d.drag = None;
                d.refresh();
            }
            Action::SaveDrawing => {
                if d.canvas.is_empty() {
                    self.notice =
                        Some(Notice::Error("The canvas is empty: nothing to save".into()));
                } else {
                    return vec![Effect::Digit(DigitEffect::SaveDrawing(Box::new(
                        d.canvas.clone(),
                    )))];
                }
            }
            Action::NextModel => return self.cycle_model(1),
            Action::PrevModel => return self.cycle_model(-1),
            Action::Gallery if d.mode != DigitMode::Gallery => return self.open_gallery(),
            Action::Back | Action::Gallery if d.mode == DigitMode::Gallery => {
                d.mode = d.last_source;
                d.refresh();
            }
            Action::Up => self.scroll_gallery(-1),
            Action::Down => self.scroll_gallery(1),
            Action::PageUp => self.scroll_gallery(-GALLERY_PAGE),
            Action::PageDown => self.scroll_gallery(GALLERY_PAGE),
            Action::First => self.scroll_gallery(i64::MIN / 2),
            Action::Last => self.scroll_gallery(i64::MAX / 2),
            _ => {}
        }
        Vec::new()
    }

    /// Keys while typing an image path.
    pub(crate) fn on_path_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let d = &mut self.digit;
        match key.code {
            KeyCode::Esc => {
                d.editing = false;
                d.completions.clear();
            }
            KeyCode::Enter => {
                let text = d.path.text().trim().to_string();
                if text.is_empty() {
                    self.notice = Some(Notice::Error("Type an image path first".into()));
                    return Vec::new();
                }
                d.editing = false;
                d.completions.clear();
                let path = std::path::PathBuf::from(text);
                d.image_loading = Some(path.clone());
                self.notice = Some(Notice::Info(format!("Loading {}…", path.display())));
                return vec![Effect::Digit(DigitEffect::LoadImage(path))];
            }
            KeyCode::Tab => return vec![Effect::Digit(d.complete())],
            KeyCode::Backspace if key.modifiers.is_empty() => d.path.backspace(),
            _ if d.path.edit(&key) => {}
            KeyCode::Char(c) => d.path.push(c),
            _ => {}
        }
        Vec::new()
    }

    /// Chooses the next (`delta` = 1) or previous finished run's model.
    fn cycle_model(&mut self, delta: i64) -> Vec<Effect> {
        let runs: Vec<_> = self.runs.rows().filter_map(|e| e.record()).collect();
        let candidates = model_candidates(runs.into_iter());
        if candidates.is_empty() {
            self.notice = Some(Notice::Error(
                "No finished run: train one in the Train view (1)".into(),
            ));
            return Vec::new();
        }
        let n = candidates.len() as i64;
        let at = self
            .digit
            .model_id
            .as_deref()
            .and_then(|id| candidates.iter().position(|r| r.id == id))
            .map_or(0, |i| (i as i64 + delta).rem_euclid(n));
        let record = candidates[at as usize].clone();
        self.notice = Some(Notice::Info(format!("Model: {}", record.id)));
        if self.digit.mode == DigitMode::Gallery {
            // The gallery is the old model's: back to the source (g reopens it).
            self.digit.mode = self.digit.last_source;
        }
        vec![Effect::Digit(self.digit.choose_model(&record))]
    }

    /// Loads the default model (best finished run) the first time the view needs one.
    pub(crate) fn digit_autoload(&mut self) -> Vec<Effect> {
        if self.view != View::Digit || self.digit.model_id.is_some() {
            return Vec::new();
        }
        // The store's rule (best finished run whose weights exist), computed off the UI
        // thread with each listing.
        let Some(best) = self.runs.best.as_deref() else {
            return Vec::new();
        };
        let record = self
            .runs
            .rows()
            .filter_map(|e| e.record())
            .find(|r| r.id == best)
            .cloned();
        match record {
            Some(r) => vec![Effect::Digit(self.digit.choose_model(&r))],
            None => Vec::new(),
        }
    }

    fn open_gallery(&mut self) -> Vec<Effect> {
        let (Some(id), Some(predictor)) =
            (self.digit.model_id.clone(), self.digit.predictor.clone())
        else {
            self.notice = Some(Notice::Error(
                "No model loaded yet: train a run, or press m to choose one".into(),
            ));
            return Vec::new();
        };
        let DataState::Ready(data) = &self.data else {
            self.notice = Some(Notice::Error(format!(
                "MNIST is {}: the gallery needs the test set",
                self.data.word()
            )));
            return Vec::new();
        };
        self.digit.mode = DigitMode::Gallery;
        let fresh = matches!(&self.digit.gallery, Some(Gallery::Ready(g, _)) | Some(Gallery::Loading(g)) if *g == id);
        if fresh {
            return Vec::new();
        }
        self.digit.gallery = Some(Gallery::Loading(id.clone()));
        self.digit.gallery_scroll = 0;
        vec![Effect::Digit(DigitEffect::FindMistakes {
            id,
            predictor,
            data: data.clone(),
        })]
    }

    fn scroll_gallery(&mut self, delta: i64) {
        if self.digit.mode != DigitMode::Gallery {
            return;
        }
        let rows = self.gallery_rows();
        let at = (self.digit.gallery_scroll as i64).saturating_add(delta);
        self.digit.gallery_scroll = at.clamp(0, rows.saturating_sub(1) as i64) as usize;
    }

    /// Card rows of the gallery at the current size.
    fn gallery_rows(&self) -> usize {
        let Some(Gallery::Ready(_, report)) = &self.digit.gallery else {
            return 0;
        };
        let cols = layout::screen(self.size)
            .map(|s| digit_layout::gallery(s.body).columns)
            .unwrap_or(1);
        report.mistakes.len().div_ceil(cols.max(1))
    }

    /// Mouse in the Digit view: draws on the canvas (left), erases (right), scrolls the
    /// gallery. Returns `None` when the event is not the Digit view's (tabs, elsewhere).
    pub(crate) fn on_digit_mouse(&mut self, body: Rect, mouse: MouseEvent) -> Option<Vec<Effect>> {
        let (x, y) = (mouse.column, mouse.row);
        if self.digit.mode == DigitMode::Gallery {
            match mouse.kind {
                MouseEventKind::ScrollDown => self.scroll_gallery(1),
                MouseEventKind::ScrollUp => self.scroll_gallery(-1),
                _ => return None,
            }
            return Some(Vec::new());
        }
        if self.digit.mode != DigitMode::Draw || self.digit.editing {
            return None;
        }
        let cells = digit_layout::canvas_cells(digit_layout::digit(body).big)?;
        let erase =
            match mouse.kind {
                MouseEventKind::Down(MouseButton::Left)
                | MouseEventKind::Drag(MouseButton::Left) => false,
                MouseEventKind::Down(MouseButton::Right)
                | MouseEventKind::Drag(MouseButton::Right) => true,
                MouseEventKind::Up(_) => {
                    let was = self.digit.drag.take().is_some();
                    return was.then(Vec::new);
                }
                _ => return None,
            };
        let Some(p) = digit_layout::cell_to_pixel(cells, x, y) else {
            // Leaving the canvas ends the stroke; a drag outside is still ours.
            let dragging = self.digit.drag.take().is_some();
            return dragging.then(Vec::new);
        };
        if matches!(mouse.kind, MouseEventKind::Down(_)) {
            self.digit.drag = None;
        }
        self.digit.draw_at(p, erase);
        Some(Vec::new())
    }

    /// Applies a Digit view background result.
    pub(crate) fn on_digit_msg(&mut self, msg: DigitMsg) -> Vec<Effect> {
        match self.digit.apply(msg) {
            Some(Ok(info)) => self.notice = Some(Notice::Info(info)),
            Some(Err(e)) => self.notice = Some(Notice::Error(e)),
            None => {}
        }
        Vec::new()
    }
}
