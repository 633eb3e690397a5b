//! What the Runs view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; header and row clicks are in `tui::input`).

use super::table::RunEntry;
use crate::runs::{RunRecord, RunStatus};
use crate::sweep::report::{chart, groups_table, importance_text};
use crate::sweep::{group_runs, importance};
use crate::tui::app::{App, Effect, InputPurpose, Modal, Notice, View};
use crate::tui::keymap::Action;
use crate::tui::train::form::TextInput;

impl App {
    /// The grouped view of the run under the cursor's sweep (one run per point: the
    /// finished one if any), else of the marked runs: table, ranking and a chart
    /// against the setting that matters most.
    fn group_dialog(&self) -> Result<Modal, String> {
        let records: Vec<&RunRecord> = self
            .runs
            .entries
            .iter()
            .filter_map(|e| e.record())
            .collect();
        let current = self.runs.current().and_then(|e| e.record());
        let (title, chosen): (String, Vec<&RunRecord>) = match current
            .and_then(|r| r.sweep.as_ref())
        {
            Some(tag) => {
                let mut by_point: Vec<&RunRecord> = Vec::new();
                for r in records
                    .iter()
                    .filter(|r| r.sweep.as_ref().is_some_and(|t| t.id == tag.id))
                {
                    let point = r.sweep.as_ref().map(|t| t.point);
                    match by_point
                        .iter()
                        .position(|o| o.sweep.as_ref().map(|t| t.point) == point)
                    {
                        Some(i) => {
                            let finished = |x: &RunRecord| x.status == RunStatus::Finished;
                            if !finished(by_point[i]) && (finished(r) || r.id > by_point[i].id) {
                                by_point[i] = r;
                            }
                        }
                        None => by_point.push(r),
                    }
                }
                by_point.sort_by_key(|r| r.sweep.as_ref().map_or(0, |t| t.point));
                let done = by_point
                    .iter()
                    .filter(|r| r.status == RunStatus::Finished)
                    .count();
                (
                    format!("Sweep {}: {done} of {} points finished", tag.id, tag.points),
                    by_point,
                )
            }
            None if !self.runs.marked.is_empty() => (
                "Marked runs, grouped over seeds".to_string(),
                records
                    .iter()
                    .copied()
                    .filter(|r| self.runs.marked.contains(&r.id))
                    .collect(),
            ),
            None => {
                return Err(
                    "This run is not part of a sweep: mark runs (Space) to group them".into(),
                );
            }
        };
        let groups = group_runs(&chosen);
        let ranked = importance(&groups);
        let mut text = groups_table(&groups);
        text.push_str(&importance_text(&ranked));
        if let Some(top) = ranked.first() {
            text.push_str(&chart(&groups, top.setting));
        }
        Ok(Modal::Groups {
            title,
            lines: text.lines().map(str::to_string).collect(),
            scroll: 0,
        })
    }
}

impl App {
    /// Does an action of the Runs view (from the key table).
    pub(crate) fn on_runs_action(&mut self, action: Action) -> Vec<Effect> {
        let visible = self.table_rows_visible();
        let page = visible.max(1) as i64;
        match action {
            Action::Up => self.runs.move_by(-1, visible),
            Action::Down => self.runs.move_by(1, visible),
            Action::PageUp => self.runs.move_by(-page, visible),
            Action::PageDown => self.runs.move_by(page, visible),
            Action::First => self.runs.move_by(i64::MIN / 2, visible),
            Action::Last => self.runs.move_by(i64::MAX / 2, visible),
            Action::Mark if !self.runs.toggle_mark() && self.runs.current().is_some() => {
                self.notice = Some(Notice::Error("A damaged run cannot be compared".into()));
            }
            Action::ClearMarks => self.runs.marked.clear(),
            Action::SortNext => {
                self.runs.cycle_sort();
                self.runs.scroll_to_cursor(visible);
            }
            Action::SortReverse => {
                self.runs.reverse();
                self.runs.scroll_to_cursor(visible);
            }
            Action::Details => {
                if let Some(e) = self.runs.current() {
                    self.modal = Some(Modal::Details {
                        id: e.id().to_string(),
                        scroll: 0,
                    });
                }
            }
            Action::Groups => match self.group_dialog() {
                Ok(modal) => self.modal = Some(modal),
                Err(e) => self.notice = Some(Notice::Error(e)),
            },
            Action::Delete => {
                let Some(id) = self.runs.current().map(|e| e.id().to_string()) else {
                    return Vec::new();
                };
                let training_it = self.run_active()
                    && self.session.as_ref().and_then(|s| s.run_id.as_deref()) == Some(&id);
                if training_it {
                    self.notice = Some(Notice::Error(
                        "This run is being trained: stop it before deleting".into(),
                    ));
                } else {
                    self.modal = Some(Modal::ConfirmDelete(id));
                }
            }
            Action::NewFromRun => match self.runs.current() {
                Some(RunEntry::Ok(r)) => {
                    let (id, settings) = (r.id.clone(), r.config.clone());
                    self.form.load(&settings);
                    self.view = View::Train;
                    self.notice = Some(Notice::Info(format!(
                        "Settings copied from {id}: press s to start"
                    )));
                }
                Some(RunEntry::Damaged(_)) => {
                    self.notice = Some(Notice::Error("This run's settings cannot be read".into()))
                }
                None => {}
            },
            Action::Resume => match self.runs.current() {
                Some(RunEntry::Ok(r)) => {
                    let id = r.id.clone();
                    if self.run_active() {
                        self.notice = Some(Notice::Error(
                            "A run is already active: stop it (x) first".into(),
                        ));
                    } else {
                        self.modal = Some(Modal::Input {
                            purpose: InputPurpose::ResumeEpochs(id),
                            input: TextInput::new("1"),
                            error: None,
                        });
                    }
                }
                Some(RunEntry::Damaged(_)) => {
                    self.notice = Some(Notice::Error("A damaged run cannot be resumed".into()))
                }
                None => {}
            },
            _ => {}
        }
        Vec::new()
    }
}
