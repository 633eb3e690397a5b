//! What the Runs view's actions do (its keys are rows of
//! [`crate::tui::keymap::BINDINGS`]; whether one can be done now is decided in
//! [`crate::tui::actions`]; header and row clicks are in `tui::input`).

use super::table::{RunEntry, RunsTable};
use crate::runs::RunRecord;
use crate::sweep::frontier::{Cost, frontier_chart};
use crate::sweep::group::varying;
use crate::sweep::report::{chart, groups_table, importance_text};
use crate::sweep::{PointState, group_runs, importance, point_runs, point_states};
use crate::tui::app::Effect;
use crate::tui::context::{Cx, Request};
use crate::tui::dialogs::Modal;
use crate::tui::dialogs::delete::ConfirmDelete;
use crate::tui::dialogs::details::DetailsDialog;
use crate::tui::dialogs::export::ExportDialog;
use crate::tui::dialogs::groups::GroupsDialog;
use crate::tui::dialogs::resume::ResumeDialog;
use crate::tui::dialogs::scroll::Scroll;
use crate::tui::keymap::{Action, Scope};
use crate::tui::layout;
use ratatui::layout::Rect;

impl RunsTable {
    /// The grouped view of the run under the cursor's sweep (each point's run chosen
    /// by the sweep's own rule, [`crate::sweep::point_runs`], as `sweep show` does),
    /// else of the marked runs: table, ranking and a chart against the setting that
    /// matters most.
    fn group_dialog(&self, cx: &Cx) -> Result<GroupsDialog, String> {
        let records: Vec<RunRecord> = self
            .entries
            .iter()
            .filter_map(|e| e.record().cloned())
            .collect();
        let current = self.current().and_then(|e| e.record());
        let (title, chosen): (String, Vec<&RunRecord>) = match current
            .and_then(|r| r.sweep.as_ref())
        {
            Some(tag) => {
                let file = match self.sweeps.get(&tag.id) {
                    Some(Ok(file)) => file,
                    Some(Err(e)) => return Err(format!("Sweep {} cannot be read: {e}", tag.id)),
                    None => return Err(format!("Sweep {} is still being read", tag.id)),
                };
                let done = point_states(file, &records)
                    .iter()
                    .filter(|s| matches!(s, PointState::Finished(_)))
                    .count();
                (
                    format!(
                        "Sweep {}: {done} of {} points finished",
                        file.id,
                        file.points.len()
                    ),
                    point_runs(file, &records),
                )
            }
            None if !self.marked.is_empty() => (
                "Marked runs, grouped over seeds".to_string(),
                records
                    .iter()
                    .filter(|r| self.marked.contains(&r.id))
                    .collect(),
            ),
            None => {
                return Err(format!(
                    "This run is not part of a sweep: mark runs ({}) to group them",
                    cx.key(Scope::Runs, Action::Mark)
                ));
            }
        };
        let groups = group_runs(&chosen);
        let ranked = importance(&groups);
        let mut text = groups_table(&groups);
        text.push_str(&importance_text(&ranked));
        if let Some(top) = ranked.first() {
            text.push_str(&chart(&groups, top.setting));
        }
        // Groups of different networks: what each costs, and the frontier.
        if varying(&groups)
            .iter()
            .any(|s| s.name == "layers" || s.name == "model")
        {
            text.push_str(&frontier_chart(&groups, Cost::Params));
        }
        Ok(GroupsDialog {
            title,
            lines: text.lines().map(str::to_string).collect(),
            scroll: Scroll::default(),
        })
    }
}

impl RunsTable {
    /// Does an action of the Runs view (from the key table).
    pub fn on_action(&mut self, action: Action, cx: &mut Cx) -> Vec<Effect> {
        let visible = visible_rows(cx.size);
        let page = visible.max(1) as i64;
        match action {
            Action::Up => self.move_by(-1, visible),
            Action::Down => self.move_by(1, visible),
            Action::PageUp => self.move_by(-page, visible),
            Action::PageDown => self.move_by(page, visible),
            Action::First => self.move_by(i64::MIN / 2, visible),
            Action::Last => self.move_by(i64::MAX / 2, visible),
            Action::Mark if !self.toggle_mark() && self.current().is_some() => {
                cx.error("A damaged run cannot be compared");
            }
            Action::ClearMarks => self.marked.clear(),
            Action::SortNext => {
                self.cycle_sort();
                self.scroll_to_cursor(visible);
            }
            Action::SortReverse => {
                self.reverse();
                self.scroll_to_cursor(visible);
            }
            Action::Details => {
                if let Some(e) = self.current() {
                    *cx.modal = Some(Modal::Details(DetailsDialog::new(e.id().to_string())));
                }
            }
            Action::Groups => match self.group_dialog(cx) {
                Ok(dialog) => *cx.modal = Some(Modal::Groups(dialog)),
                Err(e) => cx.error(e),
            },
            Action::Delete => {
                if let Some(id) = self.current().map(|e| e.id().to_string()) {
                    *cx.modal = Some(Modal::ConfirmDelete(ConfirmDelete(id)));
                }
            }
            Action::NewFromRun => match self.current() {
                Some(RunEntry::Ok(r)) => {
                    let (id, settings) = (r.id.clone(), Box::new(r.config.clone()));
                    cx.requests.push(Request::LoadForm { id, settings });
                }
                Some(RunEntry::Damaged(_)) => cx.error("This run's settings cannot be read"),
                None => {}
            },
            Action::Export => {
                let selected = self
                    .current()
                    .and_then(RunEntry::record)
                    .map(|r| r.id.clone());
                *cx.modal = Some(Modal::Export(ExportDialog::new(
                    selected,
                    self.marked.clone(),
                )));
            }
            Action::Resume => match self.current() {
                Some(RunEntry::Ok(r)) => {
                    *cx.modal = Some(Modal::Resume(ResumeDialog::new(r)));
                }
                Some(RunEntry::Damaged(_)) => cx.error("A damaged run cannot be resumed"),
                None => {}
            },
            _ => {}
        }
        Vec::new()
    }
}

/// Rows the runs table shows on a terminal of `size`.
pub fn visible_rows(size: Rect) -> usize {
    layout::screen(size)
        .map(|s| layout::table_visible_rows(layout::runs(s.body).table))
        .unwrap_or(1)
}
