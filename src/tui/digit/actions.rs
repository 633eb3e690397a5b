//! What keys, the mouse and background results do in the Digit view (its keys are
//! rows of [`crate::tui::keymap::BINDINGS`]; whether one can be done now is decided
//! in [`crate::tui::actions`]).

use super::layout as digit_layout;
use super::state::{DigitEffect, DigitMode, DigitMsg, DigitState, Gallery, model_candidates};
use crate::tui::app::Effect;
use crate::tui::context::Cx;
use crate::tui::keymap::{Action, Scope};
use crate::tui::layout;
use crate::tui::runs::table::RunsTable;
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

/// Card rows moved by PgUp / PgDn in the gallery.
const GALLERY_PAGE: i64 = 2;

impl DigitState {
    /// Actions of the Digit view (from the key table; typing a path is
    /// [`DigitState::on_path_key`]); `runs` are the models to choose from.
    pub fn on_action(&mut self, action: Action, cx: &mut Cx, runs: &RunsTable) -> Vec<Effect> {
        let d = &mut *self;
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
                    let key = cx.key(Scope::Digit, Action::OpenPath);
                    cx.error(format!("No image loaded: press {key} to open one"));
                }
            }
            Action::ClearCanvas => {
                d.canvas.clear();
                d.drag = None;
                d.refresh();
            }
            Action::SaveDrawing => {
                if d.canvas.is_empty() {
                    cx.error("The canvas is empty: nothing to save");
                } else {
                    return vec![Effect::Digit(DigitEffect::SaveDrawing(Box::new(
                        d.canvas.clone(),
                    )))];
                }
            }
            Action::NextModel => return self.cycle_model(1, cx, runs),
            Action::PrevModel => return self.cycle_model(-1, cx, runs),
            Action::Gallery if d.mode != DigitMode::Gallery => return self.open_gallery(cx),
            Action::Back | Action::Gallery if d.mode == DigitMode::Gallery => {
                d.mode = d.last_source;
                d.refresh();
            }
            Action::Browse => self.browse(cx),
            Action::NextImage => self.step_test_image(1, cx),
            Action::PrevImage => self.step_test_image(-1, cx),
            Action::Up => self.scroll_gallery(-1, cx.size),
            Action::Down => self.scroll_gallery(1, cx.size),
            Action::PageUp => self.scroll_gallery(-GALLERY_PAGE, cx.size),
            Action::PageDown => self.scroll_gallery(GALLERY_PAGE, cx.size),
            Action::First => self.scroll_gallery(i64::MIN / 2, cx.size),
            Action::Last => self.scroll_gallery(i64::MAX / 2, cx.size),
            _ => {}
        }
        Vec::new()
    }

    /// Keys while typing an image path.
    pub fn on_path_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Vec<Effect> {
        let d = &mut *self;
        match key.code {
            KeyCode::Esc => {
                d.editing = false;
                d.completions.clear();
            }
            KeyCode::Enter => {
                let text = d.path.text().trim().to_string();
                if text.is_empty() {
                    cx.error("Type an image path first");
                    return Vec::new();
                }
                d.editing = false;
                d.completions.clear();
                let path = std::path::PathBuf::from(text);
                d.image_loading = Some(path.clone());
                cx.info(format!("Loading {}…", path.display()));
                return vec![Effect::Digit(DigitEffect::LoadImage(path, d.preparation()))];
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
    fn cycle_model(&mut self, delta: i64, cx: &mut Cx, runs: &RunsTable) -> Vec<Effect> {
        let runs: Vec<_> = runs.rows().filter_map(|e| e.record()).collect();
        let candidates = model_candidates(runs.into_iter());
        if candidates.is_empty() {
            let key = cx.key(Scope::Global, Action::ShowTrain);
            cx.error(format!(
                "No finished run: train one in the Train view ({key})"
            ));
            return Vec::new();
        }
        let n = candidates.len() as i64;
        let at = self
            .model_id
            .as_deref()
            .and_then(|id| candidates.iter().position(|r| r.id == id))
            .map_or(0, |i| (i as i64 + delta).rem_euclid(n));
        let record = candidates[at as usize].clone();
        cx.info(format!("Model: {}", record.id));
        if self.mode == DigitMode::Gallery {
            // The gallery is the old model's: back to the source (g reopens it).
            self.mode = self.last_source;
        }
        vec![Effect::Digit(self.choose_model(&record))]
    }

    /// Loads the default model (best finished run of `runs`) the first time the view
    /// is shown.
    pub fn autoload(&mut self, runs: &RunsTable) -> Vec<Effect> {
        if self.model_id.is_some() {
            return Vec::new();
        }
        // The store's rule (best finished run whose weights exist), computed off the UI
        // thread with each listing.
        let Some(best) = runs.best.as_deref() else {
            return Vec::new();
        };
        let record = runs
            .rows()
            .filter_map(|e| e.record())
            .find(|r| r.id == best)
            .cloned();
        match record {
            Some(r) => vec![Effect::Digit(self.choose_model(&r))],
            None => Vec::new(),
        }
    }

    /// Opens the gallery of the chosen model; its mistakes are computed once the
    /// model's dataset is held ([`DigitState::data_changed`]; the app loads it).
    fn open_gallery(&mut self, cx: &mut Cx) -> Vec<Effect> {
        let (Some(id), Some(predictor)) = (self.model_id.clone(), self.predictor.clone()) else {
            let key = cx.key(Scope::Digit, Action::NextModel);
            cx.error(format!(
                "No model loaded yet: train a run, or press {key} to choose one"
            ));
            return Vec::new();
        };
        self.mode = DigitMode::Gallery;
        let fresh = matches!(&self.gallery, Some(Gallery::Ready(g, _) | Gallery::Loading(g) | Gallery::NeedsData(g)) if *g == id);
        if fresh {
            return Vec::new();
        }
        self.gallery = Some(Gallery::NeedsData(id));
        self.gallery_scroll = 0;
        let name = &predictor.dataset().name;
        if cx.data.ready(name).is_none() {
            cx.info(format!(
                "Loading {}'s test images for the gallery…",
                predictor.dataset().title
            ));
        }
        Vec::new()
    }

    /// Browses the test images of the model's dataset (availability has checked that a
    /// model is loaded); the app loads the dataset if another is held.
    fn browse(&mut self, cx: &mut Cx) {
        let Some(predictor) = self.predictor.clone() else {
            return;
        };
        self.mode = DigitMode::Browse;
        self.last_source = DigitMode::Browse;
        let dataset = predictor.dataset();
        match cx.data.ready(&dataset.name).cloned() {
            Some(d) => self.show_test_image(&d, self.browse_index),
            None => {
                if self
                    .browsed
                    .as_ref()
                    .is_some_and(|b| b.dataset != dataset.name)
                {
                    self.browsed = None;
                    self.browse_index = 0;
                }
                self.refresh();
                cx.info(format!("Loading {}'s test images…", dataset.title));
            }
        }
    }

    /// Steps `delta` test images on (wrapping; availability has checked that the
    /// model's dataset is loaded).
    fn step_test_image(&mut self, delta: i64, cx: &mut Cx) {
        let Some(predictor) = self.predictor.clone() else {
            return;
        };
        let Some(d) = cx.data.ready(&predictor.dataset().name).cloned() else {
            return;
        };
        let count = super::state::test_images(&d);
        if count == 0 {
            cx.error(format!("{} has no test image", d.info.title));
            return;
        }
        let at = (self.browse_index as i64 + delta).rem_euclid(count as i64) as usize;
        self.show_test_image(&d, at);
    }

    fn scroll_gallery(&mut self, delta: i64, size: Rect) {
        if self.mode != DigitMode::Gallery {
            return;
        }
        let rows = self.gallery_rows(size);
        let at = (self.gallery_scroll as i64).saturating_add(delta);
        self.gallery_scroll = at.clamp(0, rows.saturating_sub(1) as i64) as usize;
    }

    /// Card rows of the gallery on a terminal of `size`.
    fn gallery_rows(&self, size: Rect) -> usize {
        let Some(Gallery::Ready(_, report)) = &self.gallery else {
            return 0;
        };
        let cols = layout::screen(size)
            .map(|s| digit_layout::gallery(s.body, &self.dataset()).columns)
            .unwrap_or(1);
        report.mistakes.len().div_ceil(cols.max(1))
    }

    /// Mouse in the Digit view: draws on the canvas (left), erases (right), scrolls the
    /// gallery. Returns `None` when the event is not the Digit view's (tabs, elsewhere).
    pub fn on_mouse(&mut self, size: Rect, mouse: MouseEvent) -> Option<Vec<Effect>> {
        let body = layout::screen(size)?.body;
        let (x, y) = (mouse.column, mouse.row);
        if self.mode == DigitMode::Gallery {
            match mouse.kind {
                MouseEventKind::ScrollDown => self.scroll_gallery(1, size),
                MouseEventKind::ScrollUp => self.scroll_gallery(-1, size),
                _ => return None,
            }
            return Some(Vec::new());
        }
        if self.mode != DigitMode::Draw || self.editing {
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
                    let was = self.drag.take().is_some();
                    return was.then(Vec::new);
                }
                _ => return None,
            };
        let Some(p) = digit_layout::cell_to_pixel(cells, x, y) else {
            // Leaving the canvas ends the stroke; a drag outside is still ours.
            let dragging = self.drag.take().is_some();
            return dragging.then(Vec::new);
        };
        if matches!(mouse.kind, MouseEventKind::Down(_)) {
            self.drag = None;
        }
        self.draw_at(p, erase);
        Some(Vec::new())
    }

    /// Applies a Digit view background result.
    pub fn on_msg(&mut self, msg: DigitMsg, cx: &mut Cx) {
        match self.apply(msg) {
            Some(Ok(info)) => cx.info(info),
            Some(Err(e)) => cx.error(e),
            None => {}
        }
    }
}
