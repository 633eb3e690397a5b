//! Key and mouse routing: a key goes to the open dialog, else to the text being typed,
//! else through the key table to an action; an action is first checked by
//! [`super::actions::available`] (refused with its reason, changing nothing), then done
//! here if it crosses views, else by the view's component.

use super::actions::available;
use super::app::{App, Effect, Modal, Notice, QuitState, View};
use super::dialogs::help::HelpDialog;
use super::keymap::{Action, Scope};
use super::layout;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// Rows moved by the wheel.
const WHEEL_ROWS: i64 = 3;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        // Ctrl-C always quits, whatever the table says; the table may add other keys.
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c || self.keys.action(Scope::Global, &key) == Some(Action::ForceQuit) {
            return self.stop_and_quit();
        }
        if self.quit != QuitState::Running {
            return Vec::new();
        }
        self.notice = None;
        if self.modal.is_some() {
            return self.on_dialog_key(&key);
        }
        if self.view == View::Train && self.train.form.editing.is_some() {
            self.on_edit_key(key);
            return Vec::new();
        }
        if self.view == View::Digit && self.digit.editing {
            let (_, _, digit, mut cx) = self.parts();
            return digit.on_path_key(key, &mut cx);
        }
        let scope = self.view.scope();
        let Some(action) = self.keys.action(scope, &key) else {
            return Vec::new();
        };
        self.perform(scope, action)
    }

    /// Does `action` (looked up in the key table for `scope`) if it is available now;
    /// otherwise says why and changes nothing.
    pub(super) fn perform(&mut self, scope: Scope, action: Action) -> Vec<Effect> {
        if let Err(reason) = available(self, scope, action) {
            self.notice = Some(Notice::Error(reason));
            return Vec::new();
        }
        match action {
            Action::ForceQuit => return self.stop_and_quit(),
            Action::Quit => {
                if self.run_active() {
                    self.modal = Some(Modal::ConfirmQuit(Default::default()));
                } else {
                    self.quit = QuitState::Quit;
                }
            }
            Action::Help => self.modal = Some(Modal::Help(HelpDialog::default())),
            Action::NextView => self.view = self.view.step(1),
            Action::PrevView => self.view = self.view.step(-1),
            Action::ShowTrain => self.view = View::Train,
            Action::ShowRuns => self.view = View::Runs,
            Action::ShowDigit => self.view = View::Digit,
            Action::Smooth => self.smooth = !self.smooth,
            Action::LogScale => self.log_scale = !self.log_scale,
            _ => {
                let (train, runs, digit, mut cx) = self.parts();
                let effects = match scope {
                    Scope::Train => train.on_action(action, &mut cx),
                    Scope::Runs => runs.on_action(action, &mut cx),
                    Scope::Digit => digit.on_action(action, &mut cx, runs),
                    Scope::Global => Vec::new(),
                };
                let requests = std::mem::take(&mut cx.requests);
                self.fulfil(requests);
                return effects;
            }
        }
        Vec::new()
    }

    /// Typing into the form's selected setting.
    fn on_edit_key(&mut self, key: KeyEvent) {
        let form = &mut self.train.form;
        match key.code {
            KeyCode::Enter if !form.commit_edit() => {
                self.notice = form.error.clone().map(Notice::Error);
            }
            KeyCode::Esc => form.cancel_edit(),
            KeyCode::Backspace if key.modifiers.is_empty() => form.backspace(),
            _ if form.edit_key(&key) => {}
            KeyCode::Up | KeyCode::Down if form.commit_edit() => {
                form.move_by(if key.code == KeyCode::Up { -1 } else { 1 });
            }
            KeyCode::Char(c) if !form.type_char(c) => {
                self.notice = Some(Notice::Error(format!(
                    "'{c}' cannot be typed here (Enter applies, Esc cancels)"
                )));
            }
            _ => {}
        }
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        let Some(screen) = layout::screen(self.size) else {
            return Vec::new();
        };
        if self.view == View::Digit
            && self.modal.is_none()
            && let Some(effects) = self.digit.on_mouse(self.size, mouse)
        {
            return effects;
        }
        let (x, y) = (mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let delta = if mouse.kind == MouseEventKind::ScrollDown {
                    WHEEL_ROWS
                } else {
                    -WHEEL_ROWS
                };
                self.on_wheel(delta);
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.modal.is_some() || self.train.form.editing.is_some() {
                    return Vec::new();
                }
                if let Some((view, _)) = layout::tab_rects(screen.tabs)
                    .into_iter()
                    .find(|(_, r)| layout::contains(*r, x, y))
                {
                    self.view = view;
                    return Vec::new();
                }
                match self.view {
                    View::Train if !self.run_active() => {
                        let form = layout::train(screen.body).form;
                        let selected = self.train.form.selected;
                        if let Some(i) = layout::form_field_at(form, x, y, selected) {
                            self.train.form.select(i);
                        }
                    }
                    View::Runs => {
                        let table = layout::runs(screen.body).table;
                        if let Some(row) = layout::table_row_at(table, x, y) {
                            self.runs.click_row(row);
                        } else if let Some(col) = layout::table_column_at(table, x, y)
                            && !self.runs.entries.is_empty()
                        {
                            let column = super::runs::table::SortColumn::ALL[col];
                            self.runs.sort_by(column);
                            let visible = self.table_rows_visible();
                            self.runs.scroll_to_cursor(visible);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_wheel(&mut self, delta: i64) {
        if let Some(modal) = self.modal.as_mut() {
            modal.dialog_mut().scroll_by(delta);
            return;
        }
        match self.view {
            View::Runs => {
                let visible = self.table_rows_visible();
                self.runs.scroll_by(delta, visible);
            }
            View::Train if self.train.form.editing.is_none() && !self.run_active() => {
                self.train.form.move_by(delta.signum() as i32);
            }
            _ => {}
        }
    }
}
