//! Where each point of a sweep stands, from the runs in the store that carry its tag:
//! what a re-run skips, resumes or starts.

use super::file::SweepFile;
use super::tag::SweepTag;
use crate::runs::{RunRecord, RunStatus};
use crate::train::TrainJob;

/// Where one point stands.
#[derive(Debug, Clone, PartialEq)]
pub enum PointState {
    /// No run has trained any of it yet (or only a run stopped before its first epoch
    /// was saved, which is kept but cannot be continued).
    Todo,
    /// Another process is training it now (its run's lock is held).
    Running(String),
    /// A stopped or interrupted run with some epochs saved: it is continued.
    Resumable {
        /// The run.
        run_id: String,
        /// Epochs saved.
        done: u32,
    },
    /// Finished: skipped.
    Finished(String),
    /// Its run failed (a diverging loss fails again): skipped and reported; delete the
    /// run to try the point again.
    Failed {
        /// The run.
        run_id: String,
        /// Why.
        reason: String,
    },
}

impl PointState {
    /// A short word for tables.
    pub fn word(&self) -> &'static str {
        match self {
            PointState::Todo => "queued",
            PointState::Running(_) => "running",
            PointState::Resumable { .. } => "stopped",
            PointState::Finished(_) => "finished",
            PointState::Failed { .. } => "failed",
        }
    }

    /// Its run, if it has one worth naming.
    pub fn run_id(&self) -> Option<&str> {
        match self {
            PointState::Todo => None,
            PointState::Running(id) | PointState::Finished(id) => Some(id),
            PointState::Resumable { run_id, .. } | PointState::Failed { run_id, .. } => {
                Some(run_id)
            }
        }
    }
}

/// The trainer's job for point `point` (counted from 1) in `state`: a stopped run is
/// continued up to the point's epochs, anything else starts a new run tagged with the
/// point. The `sweep` command and the dashboard both start points through here.
pub fn job_for(sweep: &SweepFile, point: usize, state: &PointState) -> TrainJob {
    let settings = &sweep.points[point - 1];
    match state {
        PointState::Resumable { run_id, done } => TrainJob::Resume {
            run_id: run_id.clone(),
            more_epochs: Some(settings.epochs.saturating_sub(*done).max(1)),
        },
        _ => TrainJob::Point {
            settings: settings.clone(),
            sweep: SweepTag {
                id: sweep.id.clone(),
                point,
                points: sweep.points.len(),
            },
        },
    }
}

/// The runs of `runs` that belong to `sweep`: tagged with its id and a point whose
/// settings they have (a run whose settings differ from its point's is not counted).
pub fn sweep_runs<'a>(sweep: &SweepFile, runs: &'a [RunRecord]) -> Vec<&'a RunRecord> {
    runs.iter()
        .filter(|r| {
            r.sweep.as_ref().is_some_and(|t| {
                t.id == sweep.id
                    && t.points == sweep.points.len()
                    && sweep.points.get(t.point.wrapping_sub(1)) == Some(&r.config)
            })
        })
        .collect()
}

/// Where each point of `sweep` stands (index 0 is point 1), from `runs` (as the store
/// lists them: a record whose lock is held loads as running). A finished run wins,
/// then one being trained, one that can be continued (the most epochs), a failed one.
pub fn point_states(sweep: &SweepFile, runs: &[RunRecord]) -> Vec<PointState> {
    let mine = sweep_runs(sweep, runs);
    (1..=sweep.points.len())
        .map(|point| {
            let of_point: Vec<&&RunRecord> = mine
                .iter()
                .filter(|r| r.sweep.as_ref().is_some_and(|t| t.point == point))
                .collect();
            let target = sweep.points[point - 1].epochs;
            let newest = |pred: &dyn Fn(&RunRecord) -> bool| {
                of_point
                    .iter()
                    .filter(|r| pred(r))
                    .max_by(|a, b| a.id.cmp(&b.id))
                    .map(|r| r.id.clone())
            };
            if let Some(id) = newest(&|r| {
                r.status == RunStatus::Finished
                    || (r.status == RunStatus::Stopped && r.epochs_done() >= target)
            }) {
                return PointState::Finished(id);
            }
            if let Some(id) = newest(&|r| r.status == RunStatus::Running) {
                return PointState::Running(id);
            }
            if let Some(r) = of_point
                .iter()
                .filter(|r| {
                    matches!(r.status, RunStatus::Stopped | RunStatus::Interrupted)
                        && r.epochs_done() > 0
                })
                .max_by(|a, b| a.epochs_done().cmp(&b.epochs_done()).then(a.id.cmp(&b.id)))
            {
                return PointState::Resumable {
                    run_id: r.id.clone(),
                    done: r.epochs_done(),
                };
            }
            if let Some(r) = of_point
                .iter()
                .filter(|r| matches!(r.status, RunStatus::Failed(_)))
                .max_by(|a, b| a.id.cmp(&b.id))
            {
                let reason = match &r.status {
                    RunStatus::Failed(why) => why.clone(),
                    _ => String::new(),
                };
                return PointState::Failed {
                    run_id: r.id.clone(),
                    reason,
                };
            }
            PointState::Todo
        })
        .collect()
}

/// The run that represents each point of `sweep`, in point order, from `runs` (as the
/// store lists them): the run [`point_states`] names for the point (finished, else
/// being trained, else stopped with the most epochs, else failed; the newest on a
/// tie); a point with none (queued) is left out. A run tagged with the sweep but
/// trained with other settings than its point's never represents it. The one rule for
/// which runs a sweep's groups are made of: `sweep show`, `runs compare --sweep` and
/// the dashboard's groups dialog all group these.
pub fn point_runs<'a>(sweep: &SweepFile, runs: &'a [RunRecord]) -> Vec<&'a RunRecord> {
    point_states(sweep, runs)
        .iter()
        .filter_map(|s| s.run_id())
        .filter_map(|id| runs.iter().find(|r| r.id == id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::train::{EpochMetrics, TrainSettings};

    fn sweep() -> SweepFile {
        let points = (1..=4)
            .map(|seed| TrainSettings {
                seed,
                epochs: 2,
                ..TrainSettings::preset(Preset::Mlp)
            })
            .collect();
        SweepFile {
            id: "abcdef0123".into(),
            program_version: "0".into(),
            created_at: time::macros::datetime!(2026-12-01 08:00:00 UTC),
            swept: vec!["seed".into()],
            points,
        }
    }

    fn run(s: &SweepFile, n: u32, point: usize, status: RunStatus, epochs: u32) -> RunRecord {
        let mut r = RunRecord::new(
            format!("20261201-0800{n:02}-mlp-0000"),
            s.points[point - 1].clone(),
            time::macros::datetime!(2026-12-01 08:00:00 UTC),
        );
        r.status = status;
        r.sweep = Some(SweepTag {
            id: s.id.clone(),
            point,
            points: s.points.len(),
        });
        for epoch in 1..=epochs {
            r.epochs.push(EpochMetrics {
                epoch,
                train_loss: 0.1,
                train_acc: 0.9,
                test_loss: Some(0.1),
                test_acc: Some(0.9),
                val_loss: None,
                val_acc: None,
                val_precision: vec![],
                val_recall: vec![],
                seconds: 1.0,
                dead_outputs: vec![],
            });
        }
        r
    }

    #[test]
    fn finished_points_are_settled_stopped_ones_continue() {
        let s = sweep();
        let mut stray = run(&s, 9, 4, RunStatus::Finished, 2);
        stray.config.lr = 0.5; // not this point's settings: not counted
        let runs = vec![
            run(&s, 1, 1, RunStatus::Finished, 2),
            run(&s, 2, 2, RunStatus::Stopped, 1),
            run(&s, 3, 3, RunStatus::Stopped, 0),
            run(&s, 4, 3, RunStatus::Failed("loss became NaN".into()), 1),
            stray,
        ];
        let states = point_states(&s, &runs);
        assert_eq!(states[0], PointState::Finished(runs[0].id.clone()));
        assert_eq!(
            states[1],
            PointState::Resumable {
                run_id: runs[1].id.clone(),
                done: 1
            }
        );
        assert!(matches!(&states[2], PointState::Failed { reason, .. } if reason.contains("NaN")));
        assert_eq!(states[3], PointState::Todo);
        assert_eq!(sweep_runs(&s, &runs).len(), 4);
    }

    #[test]
    fn each_point_is_represented_by_its_state_run_never_by_a_mismatched_one() {
        let s = sweep();
        // Newer and finished, tagged with point 1, but trained at another lr.
        let mut stray = run(&s, 9, 1, RunStatus::Finished, 2);
        stray.config.lr = 0.5;
        let runs = vec![
            run(&s, 1, 1, RunStatus::Stopped, 1),
            run(&s, 2, 1, RunStatus::Finished, 2),
            run(&s, 3, 2, RunStatus::Stopped, 1),
            run(&s, 4, 2, RunStatus::Interrupted, 0),
            run(&s, 5, 3, RunStatus::Failed("loss became NaN".into()), 1),
            stray,
        ];
        let ids: Vec<&str> = point_runs(&s, &runs)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        // Point 1: the finished run (not the stray); 2: the stopped one with epochs;
        // 3: the failed one; 4 has no run.
        assert_eq!(ids, [&runs[1].id, &runs[2].id, &runs[4].id]);
    }
}
