//! Training in the test process: real MNIST loaded once, a job run to its end.

use mnist_tui::data::LoadedDataset;
use mnist_tui::runs::RunStore;
use mnist_tui::train::{self, TrainEvent, TrainJob};
use std::sync::{Arc, OnceLock};

/// Real MNIST, loaded once per test binary (see [`super::mnist_dir`]).
pub fn mnist() -> Arc<LoadedDataset> {
    static DATA: OnceLock<Arc<LoadedDataset>> = OnceLock::new();
    DATA.get_or_init(|| {
        Arc::new(LoadedDataset::load_mnist(&super::mnist_dir()).expect("load MNIST"))
    })
    .clone()
}

/// Runs `job` on real MNIST to the end in this process, collecting every event.
pub fn run_all(job: TrainJob, store: &RunStore) -> Vec<TrainEvent> {
    let mut handle = train::spawn(job, mnist(), store.clone());
    let mut events = Vec::new();
    while let Some(e) = handle.blocking_recv() {
        events.push(e);
    }
    handle.join();
    events
}
