//! The Train view's learning-rate finder. Idle, `f` runs it on the form's settings
//! off the UI thread ([`Effect::FindLr`], `tui::tasks::spawn_lr_find`); while a run
//! trains, it asks the trainer to run it on a copy of the run ([`Control::FindLr`]).
//! Its progress is the notice; its result opens the finder dialog, whose Enter puts
//! the suggestion into the form or sets it as the run's rate.

use super::TrainView;
use crate::train::Control;
use crate::train::lr_find::{FinderPlan, LrFinding, Progress};
use crate::tui::app::Effect;
use crate::tui::context::Cx;
use crate::tui::dialogs::Modal;
use crate::tui::dialogs::lr_finder::LrFinderDialog;

/// What a finder's suggestion is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinderTarget {
    /// The form's settings (a run not yet started).
    Form,
    /// The run being trained.
    Run,
}

/// A finder under way.
#[derive(Debug, Clone, PartialEq)]
pub struct FinderTask {
    /// What it is for.
    pub target: FinderTarget,
    /// Its last reported step.
    pub progress: Option<Progress>,
}

/// News from a finder (the background task's, or the trainer's events).
#[derive(Debug, Clone, PartialEq)]
pub enum FinderMsg {
    /// It is at this step.
    Progress(Progress),
    /// It is done: what it found, or why it could not run.
    Done(Result<LrFinding, String>),
}

impl TrainView {
    /// Starts the finder: on a copy of the running run, or on the form's settings
    /// (availability, `tui::actions`, has checked the data and that none runs).
    pub fn find_lr(&mut self, cx: &mut Cx) -> Vec<Effect> {
        let plan = FinderPlan::default();
        if self.run_active() {
            self.finder = Some(FinderTask {
                target: FinderTarget::Run,
                progress: None,
            });
            cx.info("Finding a learning rate on a copy of the run (the run waits)…");
            return vec![Effect::Control(Control::FindLr(plan))];
        }
        let settings = match self.form.validated() {
            Ok(s) => s,
            Err(e) => {
                cx.error(e);
                return Vec::new();
            }
        };
        let Some(data) = cx.ready_data(&settings.dataset) else {
            return Vec::new();
        };
        self.finder = Some(FinderTask {
            target: FinderTarget::Form,
            progress: None,
        });
        cx.info(format!("Finding a learning rate for {}…", settings.model));
        vec![Effect::FindLr {
            settings: Box::new(settings),
            data,
            plan,
        }]
    }

    /// A finder's news: progress as the notice; its result in the finder dialog. News
    /// with no finder under way (a stale task's) is dropped.
    pub fn on_finder(&mut self, msg: FinderMsg, cx: &mut Cx) {
        let Some(task) = self.finder.as_mut() else {
            return;
        };
        match msg {
            FinderMsg::Progress(p) => {
                task.progress = Some(p);
                cx.info(format!(
                    "Finding a learning rate: batch {}/{}",
                    p.done, p.total
                ));
            }
            FinderMsg::Done(Ok(finding)) => {
                let target = task.target;
                self.finder = None;
                cx.info("Learning-rate finder done");
                *cx.modal = Some(Modal::LrFinder(LrFinderDialog::new(finding, target)));
            }
            FinderMsg::Done(Err(e)) => {
                self.finder = None;
                cx.error(format!("The learning-rate finder failed: {e}"));
            }
        }
    }

    /// The run ended: a finder asked of it that has not reported will never run (the
    /// trainer reads controls only between batches).
    pub fn finder_run_ended(&mut self, cx: &mut Cx) {
        if self
            .finder
            .as_ref()
            .is_some_and(|t| t.target == FinderTarget::Run)
        {
            self.finder = None;
            cx.error("The run ended before the learning-rate finder could run");
        }
    }
}
