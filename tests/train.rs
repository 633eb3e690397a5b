//! The trainer on small slices of real MNIST: accuracy floor, determinism, controls,
//! failure on a non-finite loss, resume.

mod common;

use common::training::{mnist, run_all};

use mnist_tui::model::Preset;
use mnist_tui::runs::{RunStatus, RunStore};
use mnist_tui::train::{self, Control, TrainEvent, TrainJob, TrainSettings};

fn small(model: Preset, train: usize, test: usize) -> TrainSettings {
    let mut s = TrainSettings::preset(model);
    s.epochs = 1;
    s.max_train_samples = Some(train);
    s.max_test_samples = Some(test);
    s.validation = 500;
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
    let events = run_all(TrainJob::New(small(Preset::Mlp, 6000, 1000)), &store);
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
    let val = epoch.val_acc.unwrap();
    assert!(val >= 0.85, "validation accuracy {val} below floor");
    assert_eq!(
        epoch.test_acc, None,
        "the test set is scored once, at the end"
    );
    assert_eq!((record.train_size, record.val_size), (6000, 500));
    assert_eq!(epoch.val_precision.len(), 10);
    assert!(epoch.train_acc > 0.5 && epoch.train_acc <= 1.0);
    assert!(store.weights_path(&id).is_file());
    assert!(store.optimizer_path(&id).is_file());
    let summary = record.summary.unwrap();
    assert!(
        summary.test_acc >= 0.85,
        "test accuracy {} below floor",
        summary.test_acc
    );
    assert_eq!(summary.test_epoch, Some(1));
    let total: u32 = summary.confusion.iter().flatten().sum();
    assert_eq!(total, 1000);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Tested { epoch: 1, .. })),
        "{events:?}"
    );
}

#[test]
fn same_seed_gives_identical_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let settings = small(Preset::TutorialMlp, 2000, 500);
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
            .map(|e| (e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.test_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn an_augmented_run_is_reproducible_learns_and_differs_from_a_plain_one() {
    use mnist_tui::data::Augment;
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Preset::Mlp, 4000, 1000);
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
    let val = a.epochs[0].val_acc.unwrap();
    assert!(val >= 0.8, "{val}");
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
    let mut settings = small(Preset::Mlp, 6400, 200);
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
    let id = run_id(&run_all(
        TrainJob::New(small(Preset::Mlp, 640, 100)),
        &store,
    ));
    let before = std::fs::read_to_string(store.record_path(&id)).unwrap();
    let weights = std::fs::read(store.weights_path(&id)).unwrap();
    std::fs::write(store.weights_path(&id), &weights[..weights.len() / 3]).unwrap();
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: Some(1),
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
    let mut settings = small(Preset::Mlp, 100, 100);
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
    let settings = small(Preset::Mlp, 2000, 500);
    let id = run_id(&run_all(TrainJob::New(settings), &store));
    let first = store.load(&id).unwrap();
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: Some(1),
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
fn early_stopping_keeps_the_best_epoch_and_resume_continues_from_the_last() {
    use mnist_tui::predict::Predictor;
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    // 128 images and a fast rate: the validation loss soon climbs as it overfits.
    let mut settings = small(Preset::Mlp, 128, 200);
    settings.batch_size = 32;
    settings.lr = 0.01;
    settings.epochs = 40;
    settings.patience = Some(2);
    let events = run_all(TrainJob::New(settings), &store);
    let id = run_id(&events);
    let r = store.load(&id).unwrap();
    assert_eq!(r.status, RunStatus::Finished, "an early stop is a finish");
    let stop = r.early_stop.expect("stopped early");
    assert!(events.contains(&TrainEvent::EarlyStopped(stop)));
    assert!(stop.last_epoch < 40, "{stop:?}");
    assert_eq!(r.epochs_done(), stop.last_epoch);
    assert_eq!(stop.last_epoch - stop.best_epoch, 2, "patience 2: {stop:?}");
    // The kept weights are the best epoch's by validation loss, and they were tested.
    let lowest = r
        .epochs
        .iter()
        .min_by(|a, b| a.val_loss.unwrap().total_cmp(&b.val_loss.unwrap()))
        .unwrap()
        .epoch;
    assert_eq!((r.kept_epoch, stop.best_epoch), (Some(lowest), lowest));
    assert_eq!(r.summary.as_ref().unwrap().test_epoch, Some(lowest));
    assert_eq!(store.kept_weights_path(&r), store.best_weights_path(&id));
    assert!(Predictor::from_run(&store, &r).is_ok());
    let Ok(kept) = store.load_kept(&r) else {
        panic!("the kept weights load");
    };
    let last = mnist_tui::model::Network::load(
        &mnist_tui::model::NetworkDef::preset(Preset::Mlp),
        &store.weights_path(&id),
    )
    .unwrap();
    let image = vec![0.5f32; 784];
    assert_ne!(
        kept.logits(&image).unwrap(),
        last.logits(&image).unwrap(),
        "the kept weights are not the last epoch's"
    );
    assert!(
        runs_show(&store, &id).contains(&stop.describe()),
        "runs show says why it stopped"
    );

    // Resuming continues from the last epoch, not the kept one.
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: Some(1),
        },
        &store,
    );
    assert!(matches!(
        &events[0],
        TrainEvent::Started { start_epoch, .. } if *start_epoch == stop.last_epoch
    ));
    let resumed = store.load(&id).unwrap();
    assert_eq!(resumed.epochs_done(), stop.last_epoch + 1);
    assert_eq!(resumed.status, RunStatus::Finished);
    assert_eq!(
        resumed.early_stop, None,
        "a resume gets its full patience again"
    );
}

/// `runs show ID`'s report lines for run `id` of `store`.
fn runs_show(store: &RunStore, id: &str) -> String {
    let r = store.load(id).unwrap();
    mnist_tui::runs::report::outcome_lines(&r).join("\n")
}

/// The finder on 3,000 real training images (mlp, its default Adam, seed 1, fastai's
/// range over 100 batches): it suggests a rate, inside the stretch where the smoothed
/// loss falls (below the rate of its lowest point, where it is lower a step later than
/// a step before).
#[test]
fn the_lr_finder_on_real_data_suggests_a_rate_where_the_loss_falls() {
    use mnist_tui::train::lr_find::{self, FinderPlan};
    let data = mnist();
    let mut settings = TrainSettings::preset(Preset::Mlp);
    settings.seed = 1;
    let indices: Vec<usize> = (0..3000).collect();
    let mut last = None;
    let finding = lr_find::find_fresh(
        &settings,
        &data,
        &indices,
        FinderPlan::default(),
        &mut |p| {
            last = Some(p);
            true
        },
    )
    .unwrap();
    let curve = &finding.curve;
    let smoothed = curve.smoothed();
    for (p, s) in curve.points.iter().zip(&smoothed) {
        eprintln!("{:10.3e} {:8.4} {:8.4}", p.rate, p.loss, s);
    }
    eprintln!("{:?}", finding.suggestion);
    assert_eq!(last.map(|p| p.done), Some(curve.points.len()));
    let lr = finding
        .suggestion
        .lr
        .unwrap_or_else(|| panic!("{}", finding.suggestion.reason));
    let nearest = (0..curve.points.len())
        .min_by(|&a, &b| {
            let d = |i: usize| (curve.points[i].rate.ln() - lr.ln()).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let lowest = (0..smoothed.len())
        .min_by(|&a, &b| smoothed[a].total_cmp(&smoothed[b]))
        .unwrap();
    assert!(
        nearest > 0 && nearest < lowest,
        "{lr} at {nearest}, lowest at {lowest}"
    );
    assert!(
        smoothed[nearest + 1] < smoothed[nearest - 1],
        "the smoothed loss falls at {lr}"
    );
    assert!(
        smoothed[lowest] < 0.8 * smoothed[0],
        "the loss fell: {} -> {}",
        smoothed[0],
        smoothed[lowest]
    );
    assert!(finding.suggestion.reason.starts_with("steepest fall"));
}

/// A run during which the finder ran twice (once while training, once while paused)
/// ends bit-identical to the same run without it: the same weights and optimiser
/// files, byte for byte, the same recorded losses and epochs. The finder reported its
/// progress and a curve, and the run carried on (or stayed paused until resumed).
#[test]
fn a_finder_during_a_run_leaves_the_run_bit_identical() {
    use mnist_tui::train::lr_find::FinderPlan;
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Preset::Mlp, 1600, 200);
    settings.epochs = 2;
    settings.log_every = 5;
    let plain = run_all(TrainJob::New(settings.clone()), &store);
    let plain_id = run_id(&plain);

    let plan = FinderPlan {
        steps: 30,
        ..FinderPlan::default()
    };
    let mut handle = train::spawn(TrainJob::New(settings), mnist(), store.clone());
    let mut events = Vec::new();
    let mut losses_seen = 0;
    while let Some(e) = handle.blocking_recv() {
        if matches!(e, TrainEvent::Loss { .. }) {
            losses_seen += 1;
            if losses_seen == 1 {
                assert!(handle.send(Control::FindLr(plan)));
            }
            if losses_seen == 4 {
                assert!(handle.send(Control::Pause));
                assert!(handle.send(Control::FindLr(plan)));
            }
        }
        if matches!(e, TrainEvent::LrFound(_)) && events.contains(&TrainEvent::Paused) {
            assert!(handle.send(Control::Resume));
        }
        events.push(e);
    }
    handle.join();
    let found: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::LrFound(found) => Some(found.as_ref().expect("the finder ran")),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 2, "two finders ran");
    for finding in &found {
        assert!(!finding.curve.points.is_empty());
        assert_eq!(finding.plan, plan);
    }
    let progress = events
        .iter()
        .filter(|e| matches!(e, TrainEvent::FindingLr(_)))
        .count();
    assert_eq!(
        progress,
        found.iter().map(|f| f.curve.points.len()).sum::<usize>()
    );
    // Paused, the finder, then still paused until the resume it was sent after.
    let at = |pred: &dyn Fn(&TrainEvent) -> bool| events.iter().position(pred).unwrap();
    let paused = at(&|e| *e == TrainEvent::Paused);
    let second = events
        .iter()
        .rposition(|e| matches!(e, TrainEvent::LrFound(_)))
        .unwrap();
    let resumed = at(&|e| *e == TrainEvent::Resumed);
    assert!(
        paused < second && second < resumed,
        "{paused} {second} {resumed}"
    );
    assert!(
        !events[paused..resumed]
            .iter()
            .any(|e| matches!(e, TrainEvent::Loss { .. } | TrainEvent::Progress { .. })),
        "no batch trained while paused"
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));

    let with_id = run_id(&events);
    let (a, b) = (
        store.load(&plain_id).unwrap(),
        store.load(&with_id).unwrap(),
    );
    assert_eq!(a.losses, b.losses);
    let metrics = |r: &mnist_tui::runs::RunRecord| {
        r.epochs
            .iter()
            .map(|e| (e.train_loss, e.train_acc, e.test_loss, e.test_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(metrics(&a), metrics(&b));
    assert!(b.lr_changes.is_empty(), "the finder changes no rate");
    // Every tensor byte for byte, and the same metadata (the files' headers list the
    // metadata in a hash map's order, so whole files are not compared).
    let tensors = |p: std::path::PathBuf| {
        let bytes = std::fs::read(p).unwrap();
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut all: Vec<(String, Vec<u8>)> = file
            .tensors()
            .into_iter()
            .map(|(name, view)| (name, view.data().to_vec()))
            .collect();
        all.sort();
        (all, meta.metadata().clone())
    };
    for (what, a, b) in [
        (
            "weights",
            store.weights_path(&plain_id),
            store.weights_path(&with_id),
        ),
        (
            "optimiser state and step count",
            store.optimizer_path(&plain_id),
            store.optimizer_path(&with_id),
        ),
    ] {
        let (a, b) = (tensors(a), tensors(b));
        assert!(!a.0.is_empty());
        assert!(a == b, "{what} differ");
    }
}

/// A tiny cosine run: 256 training images (8 batches of 32), 64 test images, a loss
/// point (with its rate) after every batch.
fn tiny_cosine(epochs: u32) -> TrainSettings {
    let mut s = small(Preset::Mlp, 256, 64);
    s.lr_schedule = mnist_tui::train::LrSchedule::Cosine;
    s.batch_size = 32;
    s.log_every = 1;
    s.epochs = epochs;
    s
}

/// The rate recorded with each loss point, in order (every point must have one).
fn recorded_rates(record: &mnist_tui::runs::RunRecord) -> Vec<f64> {
    record
        .losses
        .iter()
        .map(|p| p.lr.expect("every loss point records its rate"))
        .collect()
}

/// Runs `job`, pausing it at its first loss point and sending `controls` once it is
/// paused (then resuming it): the controls land mid-run whatever the timing.
fn run_with_controls_at_first_pause(
    job: TrainJob,
    store: &RunStore,
    controls: &[Control],
) -> Vec<TrainEvent> {
    let mut handle = train::spawn(job, mnist(), store.clone());
    let mut events = Vec::new();
    let (mut paused, mut sent) = (false, false);
    while let Some(e) = handle.blocking_recv() {
        if !paused && matches!(e, TrainEvent::Loss { .. }) {
            assert!(handle.send(Control::Pause));
            paused = true;
        }
        if !sent && e == TrainEvent::Paused {
            for c in controls {
                assert!(handle.send(*c));
            }
            assert!(handle.send(Control::Resume));
            sent = true;
        }
        events.push(e);
    }
    handle.join();
    assert!(sent, "the run ended before it paused: {events:?}");
    events
}

#[test]
fn a_cosine_run_given_more_epochs_while_training_never_raises_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    // The dashboard's add-epochs control (→ / + / e) sends this.
    let events = run_with_controls_at_first_pause(
        TrainJob::New(tiny_cosine(3)),
        &store,
        &[Control::AddEpochs(2)],
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    let record = store.load(&run_id(&events)).unwrap();
    assert_eq!(record.epochs.len(), 5);
    let rates = recorded_rates(&record);
    assert_eq!(rates.len(), 5 * 8);
    for (i, w) in rates.windows(2).enumerate() {
        assert!(
            w[1] <= w[0],
            "the rate jumped up at point {}: {rates:?}",
            i + 1
        );
    }
    assert_eq!(
        rates[0], record.config.lr,
        "the plan starts at the settings' rate"
    );
    assert!(
        rates[39] > 0.0 && rates[39] < rates[0] * 0.01,
        "{}",
        rates[39]
    );
    let plan = record.lr_plan.expect("the plan is recorded");
    assert_eq!(plan.end(), 5 * 8, "the planned horizon is the new total");
}

#[test]
fn a_finished_cosine_run_resumed_for_more_epochs_never_raises_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = run_id(&run_all(TrainJob::New(tiny_cosine(2)), &store));
    let first = store.load(&id).unwrap();
    assert_eq!(first.lr_plan.as_ref().map(|p| p.end()), Some(16));
    // What `train --resume ID --epochs 2` asks for.
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: Some(2),
        },
        &store,
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    let record = store.load(&id).unwrap();
    let rates = recorded_rates(&record);
    assert_eq!(rates.len(), 4 * 8);
    assert_eq!(rates[..16], recorded_rates(&first)[..], "history is kept");
    for (i, w) in rates.windows(2).enumerate() {
        assert!(
            w[1] <= w[0],
            "the rate jumped up at point {}: {rates:?}",
            i + 1
        );
    }
    // Re-anchored at the rate in effect (the last step's), decaying from there.
    assert_eq!(rates[16], rates[15]);
    assert!(rates[31] < rates[16]);
    assert_eq!(record.lr_plan.map(|p| p.end()), Some(32));
}

#[test]
fn setting_the_rate_mid_run_sets_the_rate_in_effect_which_then_decays() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let set = 0.0123;
    let events = run_with_controls_at_first_pause(
        TrainJob::New(tiny_cosine(3)),
        &store,
        &[Control::SetLr(set)],
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    let change = events
        .iter()
        .find_map(|e| match e {
            TrainEvent::LrChanged(c) => Some(*c),
            _ => None,
        })
        .expect("the change is announced");
    let record = store.load(&run_id(&events)).unwrap();
    assert_eq!(
        record.lr_changes,
        vec![change],
        "and recorded (a chart mark)"
    );
    let after: Vec<f64> = record
        .losses
        .iter()
        .filter(|p| p.step >= change.step)
        .map(|p| p.lr.unwrap())
        .collect();
    assert_eq!(after[0], set, "the next loss point's rate is the one set");
    assert!(after.len() > 2, "{after:?}");
    for w in after.windows(2) {
        assert!(w[1] < w[0], "decays from the rate set: {after:?}");
    }
}

#[test]
fn a_run_stopped_and_resumed_ends_bit_identical_to_one_never_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = tiny_cosine(4);
    settings.warmup = 0.5;
    let whole = run_id(&run_all(TrainJob::New(settings.clone()), &store));

    let mut handle = train::spawn(TrainJob::New(settings), mnist(), store.clone());
    let mut events = Vec::new();
    while let Some(e) = handle.blocking_recv() {
        if matches!(e, TrainEvent::EpochEnd(ref m) if m.epoch == 1) {
            assert!(handle.send(Control::Stop));
        }
        events.push(e);
    }
    handle.join();
    assert_eq!(events.last(), Some(&TrainEvent::Stopped), "{events:?}");
    let split = run_id(&events);
    let stopped = store.load(&split).unwrap();
    assert!((1..4).contains(&stopped.epochs_done()), "stopped mid-plan");
    // `train --resume ID` without --epochs: finish the plan.
    let events = run_all(
        TrainJob::Resume {
            run_id: split.clone(),
            more_epochs: None,
        },
        &store,
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));

    let bytes = |id: &str| {
        (
            std::fs::read(store.weights_path(id)).unwrap(),
            std::fs::read(store.optimizer_path(id)).unwrap(),
        )
    };
    let (a, b) = (store.load(&whole).unwrap(), store.load(&split).unwrap());
    assert_eq!(
        a.losses, b.losses,
        "every loss point, its step and its rate"
    );
    let ((wa, oa), (wb, ob)) = (bytes(&whole), bytes(&split));
    assert!(wa == wb, "the weights differ");
    assert!(oa == ob, "the optimiser state differs");
    let figures = |r: &mnist_tui::runs::RunRecord| {
        r.epochs
            .iter()
            .map(|e| (e.epoch, e.train_loss, e.train_acc, e.test_loss, e.test_acc))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&a), figures(&b));
    assert_eq!(a.lr_plan, b.lr_plan);
    assert_eq!(b.config.epochs, 4);
    // Once the plan is done, a resume must be told how many epochs to add.
    let events = run_all(
        TrainJob::Resume {
            run_id: split,
            more_epochs: None,
        },
        &store,
    );
    let Some(TrainEvent::Failed { reason }) = events.last() else {
        panic!("{events:?}");
    };
    assert!(reason.contains("planned epoch(s) are done"), "{reason}");
}

#[test]
fn a_run_recorded_before_rate_plans_resumes_with_its_old_rates_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = run_id(&run_all(TrainJob::New(tiny_cosine(2)), &store));
    // As an older version wrote it: no plan, no rate per loss point.
    let mut old = store.load(&id).unwrap();
    old.lr_plan = None;
    for p in &mut old.losses {
        p.lr = None;
    }
    store.save_record(&old).unwrap();
    assert!(!store.load(&id).unwrap().rates_known());
    assert!(old.last_rate_text().contains("unknown"));
    let events = run_all(
        TrainJob::Resume {
            run_id: id.clone(),
            more_epochs: Some(1),
        },
        &store,
    );
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    let record = store.load(&id).unwrap();
    let new: Vec<f64> = record.losses.iter().filter_map(|p| p.lr).collect();
    assert_eq!(new.len(), 8, "the resumed epoch records its rates");
    assert!(new[0] > 0.0 && new[0] < record.config.lr * 0.05, "{new:?}");
    assert!(new.windows(2).all(|w| w[1] <= w[0]), "{new:?}");
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
        let mut settings = small(Preset::Mlp, 512, 200);
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
                more_epochs: Some(1),
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

#[test]
fn a_fashion_run_records_its_dataset_and_checksums_and_resumes_only_on_them() {
    use mnist_tui::data::datasets::find_dataset;
    use mnist_tui::data::{DatasetName, LoadedDataset};
    let Some(root) = common::mnist::fashion_root() else {
        return;
    };
    let fashion: DatasetName = "fashion-mnist".parse().unwrap();
    let data = std::sync::Arc::new(LoadedDataset::load(&root, &fashion).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small(Preset::Mlp, 3000, 500);
    settings.dataset = fashion.clone();
    let mut handle = train::spawn(TrainJob::New(settings), data.clone(), store.clone());
    let mut events = Vec::new();
    while let Some(e) = handle.blocking_recv() {
        events.push(e);
    }
    handle.join();
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { .. })),
        "{events:?}"
    );
    let record = store.load(&run_id(&events)).unwrap();
    assert_eq!(record.dataset.name, fashion);
    assert_eq!(record.dataset.class_name(9), "Ankle boot");
    // The checksums of the files it read: the ones pinned for Fashion-MNIST.
    let spec = find_dataset("fashion-mnist").unwrap();
    let pinned: Vec<&str> = spec.files.iter().filter_map(|f| f.sha256()).collect();
    let recorded: Vec<&str> = record
        .dataset
        .files
        .iter()
        .map(|f| f.sha256.as_str())
        .collect();
    assert_eq!(recorded, pinned);
    let acc = record.summary.as_ref().unwrap().test_acc;
    assert!(
        acc > 0.6,
        "an MLP learns clothes a little in 3000 images: {acc}"
    );

    // Resuming it on MNIST is refused, saying why; the record is untouched.
    let before = std::fs::read(dir.path().join(&record.id).join("run.ron")).unwrap();
    let mut handle = train::spawn(
        TrainJob::Resume {
            run_id: record.id.clone(),
            more_epochs: Some(1),
        },
        mnist(),
        store.clone(),
    );
    let mut events = Vec::new();
    while let Some(e) = handle.blocking_recv() {
        events.push(e);
    }
    let err = handle.wait().unwrap_err().to_string();
    assert!(
        err.contains("it trained on fashion-mnist but mnist is loaded"),
        "{err}"
    );
    let after = std::fs::read(dir.path().join(&record.id).join("run.ron")).unwrap();
    assert_eq!(before, after);
}
