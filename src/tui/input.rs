//! Keyboard and mouse handling: what each key does in each view and dialog.
//! The keys are listed for users in [`super::keys`].

use super::app::{App, Effect, InputPurpose, Modal, Notice, QuitState, View};
use super::keymap::{Action, Scope};
use super::layout;
use super::train::form::TextInput;
use crate::format;
use crate::train::Control;
use crate::train::catalog::setting;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// Rows moved by PgUp/PgDn when the view height is unknown, and by the wheel.
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
            return self.on_modal_key(key);
        }
        if self.view == View::Train && self.form.editing.is_some() {
            self.on_edit_key(key);
            return Vec::new();
        }
        if self.view == View::Digit && self.digit.editing {
            return self.on_path_key(key);
        }
        let scope = match self.view {
            View::Train => Scope::Train,
            View::Runs => Scope::Runs,
            View::Digit => Scope::Digit,
        };
        let Some(action) = self.keys.action(scope, &key) else {
            return Vec::new();
        };
        self.perform(scope, action)
    }

    /// Does `action` (looked up in the key table for `scope`).
    pub(super) fn perform(&mut self, scope: Scope, action: Action) -> Vec<Effect> {
        match action {
            Action::ForceQuit => return self.stop_and_quit(),
            Action::Quit => {
                if self.run_active() {
                    self.modal = Some(Modal::ConfirmQuit);
                } else {
                    self.quit = QuitState::Quit;
                }
            }
            Action::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            Action::NextView => self.view = self.view.step(1),
            Action::PrevView => self.view = self.view.step(-1),
            Action::ShowTrain => self.view = View::Train,
            Action::ShowRuns => self.view = View::Runs,
            Action::ShowDigit => self.view = View::Digit,
            Action::Smooth => self.smooth = !self.smooth,
            Action::LogScale => self.log_scale = !self.log_scale,
            _ => {
                return match scope {
                    Scope::Train => self.on_train_action(action),
                    Scope::Runs => self.on_runs_action(action),
                    Scope::Digit => self.on_digit_action(action),
                    Scope::Global => Vec::new(),
                };
            }
        }
        Vec::new()
    }

    fn on_edit_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter if !self.form.commit_edit() => {
                self.notice = self.form.error.clone().map(Notice::Error);
            }
            KeyCode::Esc => self.form.cancel_edit(),
            KeyCode::Backspace if key.modifiers.is_empty() => self.form.backspace(),
            _ if self.form.edit_key(&key) => {}
            KeyCode::Up | KeyCode::Down if self.form.commit_edit() => {
                self.form
                    .move_by(if key.code == KeyCode::Up { -1 } else { 1 });
            }
            KeyCode::Char(c) if !self.form.type_char(c) => {
                self.notice = Some(Notice::Error(format!(
                    "'{c}' cannot be typed here (Enter applies, Esc cancels)"
                )));
            }
            _ => {}
        }
    }

    fn on_modal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(modal) = self.modal.take() else {
            return Vec::new();
        };
        let code = key.code;
        match modal {
            Modal::Help { scroll } => match code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {}
                _ => {
                    self.modal = Some(Modal::Help {
                        scroll: scroll_by(scroll, code),
                    })
                }
            },
            Modal::Details { id, scroll } => match code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {}
                _ => {
                    self.modal = Some(Modal::Details {
                        id,
                        scroll: scroll_by(scroll, code),
                    })
                }
            },
            Modal::Groups {
                title,
                lines,
                scroll,
            } => match code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {}
                _ => {
                    self.modal = Some(Modal::Groups {
                        title,
                        lines,
                        scroll: scroll_by(scroll, code),
                    })
                }
            },
            Modal::ConfirmQuit => match code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    return self.stop_and_quit();
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {}
                _ => self.modal = Some(Modal::ConfirmQuit),
            },
            Modal::ConfirmDelete(id) => match code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.notice = Some(Notice::Info(format!("Deleting {id}…")));
                    self.runs.marked.retain(|m| *m != id);
                    return vec![Effect::DeleteRun(id)];
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {}
                _ => self.modal = Some(Modal::ConfirmDelete(id)),
            },
            Modal::Input {
                purpose,
                mut input,
                error,
            } => {
                let field = match purpose {
                    InputPurpose::LearningRate => setting("lr"),
                    InputPurpose::ResumeEpochs(_) => setting("epochs"),
                    InputPurpose::Sweep => None,
                };
                match code {
                    KeyCode::Esc => return Vec::new(),
                    KeyCode::Enter => return self.submit_input(purpose, input),
                    KeyCode::Backspace if key.modifiers.is_empty() => input.backspace(),
                    _ if input.edit(&key) => {}
                    KeyCode::Char(c) if field.is_some_and(|f| input.accepts(f, c)) => input.push(c),
                    KeyCode::Char(c) if purpose == InputPurpose::Sweep && !c.is_control() => {
                        input.push(c)
                    }
                    _ => {}
                }
                self.modal = Some(Modal::Input {
                    purpose,
                    input,
                    error,
                });
            }
        }
        Vec::new()
    }

    fn submit_input(&mut self, purpose: InputPurpose, input: TextInput) -> Vec<Effect> {
        let text = input.text().trim().to_string();
        let refuse = |app: &mut App, purpose, input, e: String| {
            app.modal = Some(Modal::Input {
                purpose,
                input,
                error: Some(e),
            });
            Vec::new()
        };
        match purpose {
            InputPurpose::LearningRate => {
                let Ok(lr) = text.parse::<f64>() else {
                    return refuse(self, purpose, input, format!("'{text}' is not a number"));
                };
                let mut check = self.form.settings.clone();
                check.lr = lr;
                if let Err(e) = check.validate() {
                    return refuse(self, purpose, input, e.to_string());
                }
                if !self.run_active() {
                    self.notice = Some(Notice::Error("The run has ended".into()));
                    return Vec::new();
                }
                self.notice = Some(Notice::Info(format!(
                    "Learning rate → {}",
                    format::float(lr)
                )));
                vec![Effect::Control(Control::SetLr(lr))]
            }
            InputPurpose::Sweep => match self.submit_sweep(&text) {
                Ok(effects) => effects,
                Err(e) => refuse(self, purpose, input, e),
            },
            InputPurpose::ResumeEpochs(ref id) => match text.parse::<u32>() {
                Ok(n @ 1..=1000) => {
                    let id = id.clone();
                    self.resume(&id, n)
                }
                _ => refuse(
                    self,
                    purpose,
                    input,
                    format!("epochs '{text}' must be in 1..=1000"),
                ),
            },
        }
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        let Some(screen) = layout::screen(self.size) else {
            return Vec::new();
        };
        if self.view == View::Digit
            && self.modal.is_none()
            && let Some(effects) = self.on_digit_mouse(screen.body, mouse)
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
                if self.modal.is_some() || self.form.editing.is_some() {
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
                    View::Train => {
                        let form = layout::train(screen.body).form;
                        if let Some(i) = layout::form_field_at(form, x, y) {
                            self.form.select(i);
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
                    View::Digit => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_wheel(&mut self, delta: i64) {
        match &mut self.modal {
            Some(Modal::Help { scroll })
            | Some(Modal::Details { scroll, .. })
            | Some(Modal::Groups { scroll, .. }) => {
                *scroll = (*scroll as i64 + delta).clamp(0, u16::MAX as i64) as u16;
                return;
            }
            Some(_) => return,
            None => {}
        }
        match self.view {
            View::Runs => {
                let visible = self.table_rows_visible();
                self.runs.scroll_by(delta, visible);
            }
            View::Train if self.form.editing.is_none() => {
                self.form.move_by(delta.signum() as i32);
            }
            _ => {}
        }
    }
}

/// The new scroll position of a scrollable dialog after `code`.
fn scroll_by(scroll: u16, code: KeyCode) -> u16 {
    match code {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => 0,
        _ => scroll,
    }
}
