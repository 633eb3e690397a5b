//! The trainer on small slices of real MNIST: accuracy floor, determinism, controls,
//! failure on a non-finite loss, resume.

mod common;

use common::training::{mnist, run_all};

use mnist_tui::model::Arch;
use mnist_tui::runs::{RunStatus, RunStore};
use mnist_tui::train::{self, Control, TrainEvent, TrainJob, TrainSettings};

fn small(model: Arch, train: usize, test: usize) -> TrainSettings {
    let mut s = TrainSettings::defaults_for(model);
    s.epochs = 1;
    s.max_train_samples = Some(train);
    s.max_test_samples = Some(test);
    s.log_every = 10;
    s
}

fn run_id(events: &[TrainEvent]) -> String {
    match &events[0] {
        TrainEvent::Started { run_id, .. } => run_id.clone(),
        other => panic!("first event {other:?}"),
    }
}

#[test]
fn mlp_learns_a_small_slice_and_saves_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let events = run_all(TrainJob::New(small(Arch::Mlp, 6000, 1000)), &store);
    let id = run_id(&events);
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { .. })),
        "{:?}",
        events.last()
    );
    let losses = events
        .iter()
        .filter(|e| matches!(e, TrainEvent::Loss { .. }))
        .count();
    assert_eq!(losses, 94 / 10, "one loss point per 10 batches");
    let record = store.load(&id).unwrap();
    assert_eq!(record.status, RunStatus::Finished);
    let epoch = &record.epochs[0];
    assert!(
        epoch.test_acc >= 0.85,
        "test accuracy {} below floor",
        epoch.test_acc
    );
    assert!(epoch.train_acc > 0.5 && epoch.train_acc <= 1.0);
    assert!(store.weights_path(&id).is_file());
    assert!(store.optimizer_path(&id).is_file());
    let summary = record.summary.unwrap();
    let total: u32 = summary.confusion.iter().flatten().sum();
    assert_eq!(total, 1000);
}

#[test]
fn same_seed_gives_identical_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let settings = small(Arch::TutorialMlp, 2000, 500);
    let a = store
        .load(&run_id(&run_all(TrainJob::New(settings.clone()), &store)))
        .unwrap();
    let b = store
        .load(&run_id(&run_all(TrainJob::New(settings), &store)))
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.losses, b.losses);
    let strip = |r: &mnist_tui::runs::RunRecord| {
        r.epochs
            .iter()
            .map(|e| (e.train_loss, e.train_acc, e.test_loss, e.test_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn an_augmented_run_is_reproducible_learns_and_differs_from_a_plain_one() {
    use mnist_tui::data::Augment;
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Arch::Mlp, 4000, 1000);
    settings.augment = Augment::Full;
    let train = |s: &TrainSettings| {
        store
            .load(&run_id(&run_all(TrainJob::New(s.clone()), &store)))
            .unwrap()
    };
    let (a, b) = (train(&settings), train(&settings));
    assert_eq!(a.config.augment, Augment::Full, "recorded in run.ron");
    assert_eq!(
        a.losses, b.losses,
        "the same seed varies the images the same way"
    );
    assert!(a.epochs[0].test_acc >= 0.8, "{}", a.epochs[0].test_acc);
    settings.augment = Augment::Off;
    let plain = train(&settings);
    assert_ne!(a.losses, plain.losses, "augmentation changed nothing");
    // Harder training images: a lower training accuracy than on the plain images.
    assert!(a.epochs[0].train_acc < plain.epochs[0].train_acc);
}

#[test]
fn stop_pause_lr_and_epochs_controls() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Arch::Mlp, 6400, 200);
    settings.epochs = 3;
    settings.log_every = 5;
    let mut handle = train::spawn(TrainJob::New(settings), mnist(), store.clone());
    let mut events = Vec::new();
    let mut sent = false;
    while let Some(e) = handle.blocking_recv() {
        if !sent && matches!(e, TrainEvent::Loss { .. }) {
            assert!(handle.send(Control::Pause));
            assert!(handle.send(Control::SetLr(0.0005)));
            assert!(handle.send(Control::AddEpochs(2)));
            assert!(handle.send(Control::Resume));
            assert!(handle.send(Control::Stop));
            sent = true;
        }
        events.push(e);
    }
    handle.join();
    assert!(events.contains(&TrainEvent::Paused), "{events:?}");
    assert!(events.contains(&TrainEvent::Resumed));
    assert!(events.contains(&TrainEvent::EpochsChanged { total: 5 }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::LrChanged(c) if c.lr == 0.0005))
    );
    assert_eq!(events.last(), Some(&TrainEvent::Stopped));
    let record = store.load(&run_id(&events)).unwrap();
    assert_eq!(record.status, RunStatus::Stopped);
    assert_eq!(record.lr_changes.len(), 1);
    assert_eq!(record.config.epochs, 5);
    assert!(record.ended_at.is_some());
}

#[test]
fn resuming_damaged_weights_fails_and_keeps_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = run_id(&run_all(TrainJob::New(small(Arch::Mlp, 640, 100)), &store));
    let before = std::fs::read_to_string(store.record_path(&id)).unwrap();
    let weights = std::fs::read(store.weights_path(&id)).unwrap();
    std::fs::write(store.weights_path(&id), &weights[..weights.len() / 3]).unwrap();
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: 1,
        },
        &store,
    );
    let Some(TrainEvent::Failed { reason }) = events.last() else {
        panic!("expected failure, got {:?}", events.last());
    };
    assert!(reason.contains("model.safetensors"), "{reason}");
    assert_eq!(
        std::fs::read_to_string(store.record_path(&id)).unwrap(),
        before
    );
}

#[test]
fn invalid_settings_fail_without_creating_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Arch::Mlp, 100, 100);
    settings.batch_size = 0;
    let events = run_all(TrainJob::New(settings), &store);
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], TrainEvent::Failed { reason } if reason.contains("batch size")));
    assert!(store.list().unwrap().0.is_empty());
}

#[test]
fn resume_continues_from_the_saved_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let settings = small(Arch::Mlp, 2000, 500);
    let id = run_id(&run_all(TrainJob::New(settings), &store));
    let first = store.load(&id).unwrap();
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: 1,
        },
        &store,
    );
    assert!(matches!(
        &events[0],
        TrainEvent::Started { start_epoch: 1, .. }
    ));
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    let resumed = store.load(&id).unwrap();
    assert_eq!(resumed.epochs.len(), 2);
    assert_eq!(resumed.config.epochs, 2);
    assert_eq!(resumed.epochs[0], first.epochs[0]);
    assert!(resumed.losses.len() > first.losses.len());
    // Steps continue from where the first epoch ended.
    assert!(resumed.losses.last().unwrap().step > first.losses.last().unwrap().step);
}

#[test]
fn nesterov_and_adamw_runs_resume_and_match_the_run_never_stopped() {
    use mnist_tui::model::OptimizerKind;
    for (optimizer, lr, momentum, nesterov) in [
        (OptimizerKind::Sgd, 0.05, 0.9, true),
        (OptimizerKind::AdamW, 1e-3, 0.0, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let mut settings = small(Arch::Mlp, 512, 200);
        settings.optimizer = optimizer;
        settings.lr = lr;
        settings.momentum = momentum;
        settings.nesterov = nesterov;
        settings.weight_decay = 0.01;
        settings.beta2 = 0.99;
        // A constant rate: the planned horizon does not move when epochs are added.
        settings.lr_schedule = mnist_tui::train::LrSchedule::Constant;
        let id = run_id(&run_all(TrainJob::New(settings.clone()), &store));
        let events = run_all(
            TrainJob::Resume {
                run_id: id.clone(),
                more_epochs: 1,
            },
            &store,
        );
        assert!(
            matches!(events.last(), Some(TrainEvent::Finished { .. })),
            "{optimizer}: {:?}",
            events.last()
        );
        let resumed = store.load(&id).unwrap();
        assert_eq!(resumed.epochs.len(), 2, "{optimizer}");
        assert_eq!(resumed.config.nesterov, nesterov);
        assert_eq!(resumed.config.beta2, 0.99);

        let mut straight = settings.clone();
        straight.epochs = 2;
        let other = run_id(&run_all(TrainJob::New(straight), &store));
        let straight = store.load(&other).unwrap();
        assert_eq!(
            resumed.epochs[1].train_loss, straight.epochs[1].train_loss,
            "{optimizer}"
        );
        assert_eq!(resumed.epochs[1].test_acc, straight.epochs[1].test_acc);
    }
}
