//! The training loop on its own thread.

use super::{Control, TrainEvent, TrainSettings};
use crate::data::Mnist;
use crate::runs::RunStore;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// What to train.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainJob {
    /// A new run with these settings.
    New(TrainSettings),
    /// Continue saved run `run_id` for `more_epochs` epochs from its weights and
    /// optimiser state (the same run folder grows).
    Resume {
        /// The run to continue.
        run_id: String,
        /// Epochs to add.
        more_epochs: u32,
    },
}

/// A running trainer: its events and a way to steer it.
pub struct TrainerHandle {
    events: UnboundedReceiver<TrainEvent>,
    control: std::sync::mpsc::Sender<Control>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TrainerHandle {
    /// Sends a control message; false if the trainer has ended.
    pub fn send(&self, control: Control) -> bool {
        self.control.send(control).is_ok()
    }

    /// The next event, if one is waiting (never blocks).
    pub fn try_recv(&mut self) -> Option<TrainEvent> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event; `None` once the trainer has ended and all events
    /// were read.
    pub async fn recv(&mut self) -> Option<TrainEvent> {
        self.events.recv().await
    }

    /// Blocking wait for the next event (for non-async callers).
    pub fn blocking_recv(&mut self) -> Option<TrainEvent> {
        self.events.blocking_recv()
    }

    /// Waits for the training thread to end.
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts training `job` on a new thread. Events stream over the returned handle;
/// the run is saved in `store` at every epoch end and when it ends.
pub fn spawn(job: TrainJob, data: Arc<Mnist>, store: RunStore) -> TrainerHandle {
    let _ = (job, data, store);
    todo!("train: spawn")
}
