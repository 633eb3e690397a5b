//! A sweep in the dashboard: the Sweep dialog's text (`lr 0.01,0.1 seeds 1,2`) planned
//! on top of the form's settings, and the queue of its points, started one after
//! another through the same trainer as a single run (so the running point has the
//! live charts of any run). The queue can be paused (after the running point) and
//! cancelled.

use crate::runs::RunRecord;
use crate::sweep::report::find_setting;
use crate::sweep::{PointState, SweepFile, describe, job_for, plan, point_states, seed_setting};
use crate::train::{SETTINGS, Setting, TrainOverrides, TrainSettings};
use crate::tui::app::Effect;
use crate::tui::context::Cx;
use crate::tui::keymap::{Action, Scope};
use crate::tui::train::TrainView;
use crate::tui::train::session::LiveRun;

/// Longest text of the Sweep dialog.
pub const SWEEP_CHARS: usize = 120;

/// A sweep being run from the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepQueue {
    /// The sweep (saved before its first point starts).
    pub file: SweepFile,
    /// Where each point stands (index 0 is point 1).
    pub states: Vec<PointState>,
    /// Points still to train, in order, with how each starts.
    pub queue: Vec<(usize, PointState)>,
    /// The point being trained.
    pub current: Option<usize>,
    /// No further point starts until the queue is continued.
    pub paused: bool,
    /// Whether the file has been saved (points start only then).
    pub saved: bool,
    /// The queued point selected for reordering (an index into `queue`).
    pub selected: usize,
}

impl SweepQueue {
    /// A queue for `file` given the saved runs: finished and failed points are
    /// skipped, stopped ones continue, points another process trains are left alone.
    pub fn new(file: SweepFile, runs: &[RunRecord]) -> Self {
        let states = point_states(&file, runs);
        let queue = states
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, PointState::Todo | PointState::Resumable { .. }))
            .map(|(i, s)| (i + 1, s.clone()))
            .collect();
        SweepQueue {
            file,
            states,
            queue,
            current: None,
            paused: false,
            saved: false,
            selected: 0,
        }
    }

    /// The point selected in the queue, if any is queued.
    pub fn selected_point(&self) -> Option<usize> {
        self.queue
            .get(self.selected.min(self.queue.len().saturating_sub(1)))
            .map(|(k, _)| *k)
    }

    /// How many points are finished.
    pub fn finished(&self) -> usize {
        self.states
            .iter()
            .filter(|s| matches!(s, PointState::Finished(_)))
            .count()
    }

    /// Point `k`'s swept values, as `lr 0.01, seed 1`.
    pub fn describe(&self, k: usize) -> String {
        describe(&self.file.points[k - 1], &self.file.swept_settings())
    }
}

/// Settings and the text of their values, as typed.
pub type SweepFlags = Vec<(&'static Setting, String)>;

/// Parses the Sweep dialog's text: pairs `SETTING VALUES` (a setting's name, flag or
/// comparison label; `seeds` for the seed; values as on the command line: one, a comma
/// list or `LO..HI`), and `random N` to sample the ranges.
pub fn parse_sweep_text(text: &str) -> Result<(SweepFlags, Option<usize>), String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Err("type settings and their values, e.g. lr 0.01,0.1 seeds 1,2".into());
    }
    let mut flags = Vec::new();
    let mut random = None;
    for pair in words.chunks(2) {
        let [name, values] = pair else {
            return Err(format!("'{}' needs values after it", pair[0]));
        };
        if *name == "random" {
            random = Some(
                values
                    .parse::<usize>()
                    .map_err(|_| format!("random '{values}' must be a whole number"))?,
            );
            continue;
        }
        let setting = if *name == "seeds" {
            seed_setting()
        } else {
            find_setting(name)?
        };
        if flags.iter().any(|(s, _)| *s == setting) {
            return Err(format!("{} is given twice", setting.label.to_lowercase()));
        }
        flags.push((setting, values.to_string()));
    }
    Ok((flags, random))
}

/// Every setting of `s` as an override (the form's settings as the sweep's base).
fn overrides_of(s: &TrainSettings) -> TrainOverrides {
    let mut o = TrainOverrides::default();
    for row in SETTINGS {
        row.override_from(s, &mut o);
    }
    o
}

impl TrainView {
    /// Plans the typed sweep on top of the form's settings (skipping what `runs`
    /// already hold) and asks for it to be saved; the error (for the dialog) names the
    /// bad setting or value.
    pub fn submit_sweep(
        &mut self,
        text: &str,
        runs: &[RunRecord],
        cx: &mut Cx,
    ) -> Result<Vec<Effect>, String> {
        let (flags, random) = parse_sweep_text(text)?;
        let base = self.form.validated()?;
        let file = plan(&[&overrides_of(&base)], &flags, random, 0)?;
        let queue = SweepQueue::new(file.clone(), runs);
        cx.info(format!(
            "Sweep {}: {} points, {} finished, {} to train",
            file.id,
            file.points.len(),
            queue.finished(),
            queue.queue.len()
        ));
        self.sweep = Some(queue);
        Ok(vec![Effect::SaveSweep(file)])
    }

    /// The sweep file was saved (or not): start its first point.
    pub fn on_sweep_saved(&mut self, result: Result<(), String>, cx: &mut Cx) -> Vec<Effect> {
        match result {
            Ok(()) => {
                if let Some(q) = self.sweep.as_mut() {
                    q.saved = true;
                }
                self.next_point(cx)
            }
            Err(e) => {
                self.sweep = None;
                cx.error(format!("Sweep not started: {e}"));
                Vec::new()
            }
        }
    }

    /// Starts the next queued point (once its dataset is loaded), unless the sweep is
    /// paused, unsaved, or a run is active or waiting.
    pub fn next_point(&mut self, cx: &mut Cx) -> Vec<Effect> {
        if self.run_active() || self.waiting.is_some() {
            return Vec::new();
        }
        let Some(q) = self.sweep.as_mut() else {
            return Vec::new();
        };
        if q.paused || !q.saved || q.current.is_some() {
            return Vec::new();
        }
        if q.queue.is_empty() {
            let text = format!(
                "Sweep {} done: {} of {} points finished (Runs view, {}: grouped)",
                q.file.id,
                q.finished(),
                q.file.points.len(),
                cx.key(Scope::Runs, Action::Groups)
            );
            cx.info(text);
            return Vec::new();
        }
        let (k, state) = q.queue.remove(0);
        q.selected = q.selected.saturating_sub(1);
        let job = job_for(&q.file, k, &state);
        let settings = q.file.points[k - 1].clone();
        q.states[k - 1] = PointState::Running(String::new());
        q.current = Some(k);
        let label = format!("Sweep point {k}/{}: {}", q.file.points.len(), q.describe(k));
        // A point of another dataset than the one held waits for it.
        self.launch(job, LiveRun::new(settings), label, Some((k, state)), cx)
    }

    /// The running point ended: record it and go on (a stop pauses the sweep, the
    /// stopped point first in the queue, continued from its saved epochs).
    pub fn on_point_ended(&mut self, event: &crate::train::TrainEvent, cx: &mut Cx) -> Vec<Effect> {
        use crate::train::TrainEvent as E;
        let run_id = self.session.as_ref().and_then(|s| s.run_id.clone());
        let done = self
            .session
            .as_ref()
            .map_or(0, |s| s.start_epoch + s.epochs.len() as u32);
        let Some(q) = self.sweep.as_mut() else {
            return Vec::new();
        };
        let Some(k) = q.current.take() else {
            return Vec::new();
        };
        let id = run_id.unwrap_or_default();
        match event {
            E::Finished { .. } => q.states[k - 1] = PointState::Finished(id),
            E::Failed { reason } => {
                q.states[k - 1] = PointState::Failed {
                    run_id: id,
                    reason: reason.clone(),
                }
            }
            _ => {
                let state = if done > 0 && !id.is_empty() {
                    PointState::Resumable { run_id: id, done }
                } else {
                    PointState::Todo
                };
                q.states[k - 1] = state.clone();
                q.queue.insert(0, (k, state));
                q.paused = true;
                let text = format!(
                    "Point stopped: the sweep is paused ({} continues it, {} cancels it)",
                    cx.key(Scope::Train, Action::PauseSweep),
                    cx.key(Scope::Train, Action::CancelSweep)
                );
                cx.info(text);
                return Vec::new();
            }
        }
        self.next_point(cx)
    }

    /// Pauses the queue (the running point goes on) or continues it.
    pub fn toggle_sweep_pause(&mut self, cx: &mut Cx) -> Vec<Effect> {
        let Some(q) = self.sweep.as_mut() else {
            return Vec::new();
        };
        q.paused = !q.paused;
        if q.paused {
            let text = format!(
                "Sweep paused: no new point starts ({} continues)",
                cx.key(Scope::Train, Action::PauseSweep)
            );
            cx.info(text);
            Vec::new()
        } else {
            cx.info("Sweep continued");
            self.next_point(cx)
        }
    }

    /// Selects the queued point `delta` places away (wrapping).
    pub fn select_queued(&mut self, delta: i64) {
        if let Some(q) = self.sweep.as_mut().filter(|q| !q.queue.is_empty()) {
            let n = q.queue.len() as i64;
            q.selected = (q.selected.min(q.queue.len() - 1) as i64 + delta).rem_euclid(n) as usize;
        }
    }

    /// Moves the selected queued point to the front: it runs next.
    pub fn run_selected_next(&mut self, cx: &mut Cx) {
        let Some(q) = self.sweep.as_mut().filter(|q| !q.queue.is_empty()) else {
            return;
        };
        let i = q.selected.min(q.queue.len() - 1);
        let entry = q.queue.remove(i);
        let k = entry.0;
        q.queue.insert(0, entry);
        q.selected = 0;
        cx.info(format!("Point {k} runs next"));
    }

    /// Cancels the sweep: the running point is stopped (saved as stopped) and the queue
    /// dropped; finished points stay, and typing the same sweep again resumes it.
    pub fn cancel_sweep(&mut self, cx: &mut Cx) -> Vec<Effect> {
        let Some(q) = self.sweep.take() else {
            return Vec::new();
        };
        cx.info(format!(
            "Sweep {} cancelled: {} finished point(s) kept",
            q.file.id,
            q.finished()
        ));
        if self.waiting.as_ref().is_some_and(|w| w.point.is_some()) {
            self.waiting = None;
        }
        if q.current.is_some() && self.run_active() {
            return vec![Effect::Control(crate::train::Control::Stop)];
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialog_text_names_settings_and_their_values() {
        let (flags, random) = parse_sweep_text("lr 0.01,0.1  seeds 1,2 batch-size 64").unwrap();
        let names: Vec<(&str, &str)> = flags.iter().map(|(s, v)| (s.name, v.as_str())).collect();
        assert_eq!(
            names,
            vec![("lr", "0.01,0.1"), ("seed", "1,2"), ("batch_size", "64")]
        );
        assert_eq!(random, None);
        let (_, random) = parse_sweep_text("lr 1e-4..1e-1 random 4").unwrap();
        assert_eq!(random, Some(4));
        assert!(parse_sweep_text("lr").unwrap_err().contains("needs values"));
        assert!(
            parse_sweep_text("speed 1,2")
                .unwrap_err()
                .contains("no setting 'speed'")
        );
        assert!(
            parse_sweep_text("lr 1 lr 2")
                .unwrap_err()
                .contains("given twice")
        );
        assert!(parse_sweep_text("  ").is_err());
    }
}
