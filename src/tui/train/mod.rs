//! The Train view as a component: its state ([`TrainView`]: the settings form, the run
//! it shows, a sweep's queue), what its actions do ([`actions`]), the sweep queue's
//! steps ([`sweep`]) and its drawing ([`draw`]).

pub mod actions;
pub mod draw;
pub mod finder;
pub mod form;
pub mod preview;
pub mod session;
pub mod sweep;

use crate::data::DatasetName;
use crate::sweep::PointState;
use crate::train::TrainJob;
use form::TrainForm;
use session::LiveRun;
use sweep::SweepQueue;

/// A run that starts once its dataset is loaded (a resumed run, or a sweep's point,
/// whose dataset is not the one held).
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The dataset it needs.
    pub dataset: DatasetName,
    /// What the trainer is to do.
    pub job: TrainJob,
    /// What the view shows once it starts.
    pub session: LiveRun,
    /// What is said when it starts.
    pub notice: String,
    /// The sweep point it is (its number and how it was queued), to queue again if
    /// the wait is cancelled.
    pub point: Option<(usize, PointState)>,
}

/// The Train view's state.
#[derive(Debug, Clone)]
pub struct TrainView {
    /// The settings form.
    pub form: TrainForm,
    /// The run being trained, or the last one.
    pub session: Option<LiveRun>,
    /// The sweep being run, if any.
    pub sweep: Option<SweepQueue>,
    /// The learning-rate finder, while one runs.
    pub finder: Option<finder::FinderTask>,
    /// A run waiting for its dataset to load.
    pub waiting: Option<Waiting>,
}

impl TrainView {
    /// The view with a fresh form over `base` (the config's training settings).
    pub fn new(base: crate::train::TrainOverrides) -> Self {
        TrainView {
            form: TrainForm::new(base),
            session: None,
            sweep: None,
            finder: None,
            waiting: None,
        }
    }

    /// Whether a run is being trained (or starting).
    pub fn run_active(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.phase.is_active())
    }
}
