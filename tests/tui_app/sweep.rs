//! Sweeps in the dashboard: the Sweep dialog and the queue of points.

use super::*;

#[test]
fn a_sweep_typed_in_its_dialog_is_saved_then_runs_point_after_point() {
    let mut a = ready_app();
    a.update(ch('S'));
    assert!(matches!(a.modal, Some(Modal::Sweep(_))));
    type_str(&mut a, "lr 0.01,0.1 seeds 1,2");
    let effects = a.update(key(KeyCode::Enter));
    let file = effects
        .iter()
        .find_map(|e| match e {
            Effect::SaveSweep(f) => Some(f.clone()),
            _ => None,
        })
        .expect("the sweep is saved first");
    assert_eq!(file.points.len(), 4);
    // The form's settings are the base: model and epochs as in the form.
    assert!(
        file.points
            .iter()
            .all(|p| p.model == a.train.form.settings.model)
    );
    assert!(
        started_point(&effects).is_none(),
        "nothing starts before the save"
    );
    let effects = a.update(Msg::SweepSaved(Ok(())));
    let (point, settings) = started_point(&effects).expect("point 1 starts");
    assert_eq!(point, 1);
    assert_eq!((settings.lr, settings.seed), (0.01, 1));
    let mut next = Vec::new();
    for (i, e) in point_events("20261201-090000-mlp-0001", &settings, 0.9)
        .into_iter()
        .enumerate()
    {
        next = a.update(Msg::Train(e));
        if i == 0 {
            assert!(a.run_active());
        }
    }
    let (point, settings) = started_point(&next).expect("point 2 follows");
    assert_eq!(point, 2);
    assert_eq!((settings.lr, settings.seed), (0.01, 2));
    let q = a.train.sweep.as_ref().unwrap();
    assert_eq!(q.finished(), 1);
    assert_eq!(q.current, Some(2));
    assert_eq!(q.queue.len(), 2);
    // Pausing lets the running point finish and starts nothing more.
    a.update(ch('P'));
    let mut after = Vec::new();
    for e in point_events("20261201-090001-mlp-0002", &settings, 0.8) {
        after = a.update(Msg::Train(e));
    }
    assert!(started_point(&after).is_none());
    assert!(a.train.sweep.as_ref().unwrap().paused);
    let resumed = a.update(ch('P'));
    assert_eq!(started_point(&resumed).map(|p| p.0), Some(3));
    // Cancelling stops the running point and drops the queue.
    let cancel = a.update(ch('X'));
    assert!(has_control(&cancel, Control::Stop));
    assert!(a.train.sweep.is_none());
    let after = a.update(Msg::Train(TrainEvent::Stopped));
    assert!(started_point(&after).is_none());
}

#[test]
fn a_bad_sweep_stays_in_its_dialog_with_the_reason() {
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "lr 0.1,fast");
    let effects = a.update(key(KeyCode::Enter));
    assert!(effects.is_empty());
    match &a.modal {
        Some(Modal::Sweep(d)) if d.field.error.is_some() => {
            let e = d.field.error.as_deref().unwrap_or_default();
            assert!(e.contains("learning rate 'fast' is not a number"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    a.update(key(KeyCode::Esc));
    // A sweep that could not be saved does not start.
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "seeds 1,2");
    a.update(key(KeyCode::Enter));
    let effects = a.update(Msg::SweepSaved(Err("runs/.sweeps: read-only".into())));
    assert!(started_point(&effects).is_none());
    assert!(a.train.sweep.is_none());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("read-only")));
}

#[test]
fn stopping_a_point_pauses_the_sweep_and_continuing_resumes_that_point() {
    let mut a = sweeping_app();
    let settings = a.train.sweep.as_ref().unwrap().file.points[0].clone();
    let [started, _] = point_events("20261201-090000-mlp-0001", &settings, 0.9)
        .try_into()
        .unwrap();
    a.update(Msg::Train(started));
    a.update(Msg::Train(TrainEvent::EpochEnd(
        mnist_tui::train::EpochMetrics {
            epoch: 1,
            train_loss: 0.3,
            train_acc: 0.9,
            test_loss: Some(0.3),
            test_acc: Some(0.9),
            val_loss: None,
            val_acc: None,
            val_precision: vec![],
            val_recall: vec![],
            seconds: 1.0,
            dead_outputs: vec![],
        },
    )));
    assert!(has_control(&a.update(ch('x')), Control::Stop));
    let after = a.update(Msg::Train(TrainEvent::Stopped));
    assert!(started_point(&after).is_none());
    let q = a.train.sweep.as_ref().unwrap();
    assert!(q.paused);
    assert_eq!(q.queue[0].0, 1);
    // Continuing resumes the stopped run from its saved epoch.
    let effects = a.update(ch('P'));
    let resumed = effects.iter().find_map(|e| match e {
        Effect::StartTraining(TrainJob::Resume { run_id, .. }, _) => Some(run_id.clone()),
        _ => None,
    });
    assert_eq!(resumed.as_deref(), Some("20261201-090000-mlp-0001"));
}

#[test]
fn a_queued_point_can_be_moved_to_run_next() {
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "seeds 1,2,3,4");
    a.update(key(KeyCode::Enter));
    let first = a.update(Msg::SweepSaved(Ok(())));
    assert_eq!(started_point(&first).map(|p| p.0), Some(1));
    let order = |a: &mnist_tui::tui::app::App| -> Vec<usize> {
        a.train
            .sweep
            .as_ref()
            .unwrap()
            .queue
            .iter()
            .map(|(k, _)| *k)
            .collect()
    };
    assert_eq!(order(&a), vec![2, 3, 4]);
    // Select point 4 (wrapping back from the first) and run it next.
    a.update(ch('['));
    assert_eq!(a.train.sweep.as_ref().unwrap().selected_point(), Some(4));
    a.update(ch('N'));
    assert_eq!(order(&a), vec![4, 2, 3]);
    a.update(ch(']'));
    assert_eq!(a.train.sweep.as_ref().unwrap().selected_point(), Some(2));
    let settings = a.train.sweep.as_ref().unwrap().file.points[0].clone();
    let mut next = Vec::new();
    for e in point_events("20261201-090000-mlp-0001", &settings, 0.9) {
        next = a.update(Msg::Train(e));
    }
    assert_eq!(started_point(&next).map(|p| (p.0, p.1.seed)), Some((4, 4)));
    assert_eq!(order(&a), vec![2, 3]);
}

#[test]
fn a_sweep_over_datasets_loads_each_points_dataset_before_it_starts() {
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "dataset mnist,fashion-mnist");
    a.update(key(KeyCode::Enter));
    let fx = a.update(Msg::SweepSaved(Ok(())));
    let (point, settings) = started_point(&fx).expect("point 1 (MNIST, loaded) starts");
    assert_eq!((point, settings.dataset.as_str()), (1, "mnist"));
    let mut next = Vec::new();
    for e in point_events("20261201-090000-mlp-0001", &settings, 0.9) {
        next = a.update(Msg::Train(e));
    }
    // Point 2 trains on Fashion-MNIST: it waits for it to load.
    assert!(started_point(&next).is_none(), "{next:?}");
    assert_eq!(loads(&next), ["fashion-mnist"]);
    assert_eq!(a.train.sweep.as_ref().unwrap().current, Some(2));
    assert!(a.train.waiting.is_some());
    let fx = a.update(Msg::Data(DataMsg::Loaded(fake_dataset("fashion-mnist", 4))));
    let (point, settings) = started_point(&fx).expect("point 2 starts once loaded");
    assert_eq!((point, settings.dataset.as_str()), (2, "fashion-mnist"));
    match fx.as_slice() {
        [Effect::StartTraining(_, data)] => assert_eq!(data.info.name.as_str(), "fashion-mnist"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cancelling_a_point_waiting_for_its_dataset_queues_it_again_and_pauses() {
    let mut a = ready_app();
    // The form trains Fashion-MNIST while MNIST is held: the sweep's first point waits.
    select_field(&mut a, field("dataset"));
    a.update(key(KeyCode::Right));
    a.update(ch('S'));
    type_str(&mut a, "seeds 1,2");
    a.update(key(KeyCode::Enter));
    let fx = a.update(Msg::SweepSaved(Ok(())));
    assert!(started_point(&fx).is_none());
    assert!(a.train.waiting.is_some());
    a.update(ch('x'));
    let q = a.train.sweep.as_ref().unwrap();
    assert!(a.train.waiting.is_none());
    assert!(q.paused && q.current.is_none());
    assert_eq!(q.queue.len(), 2, "point 1 is queued again");
    assert_eq!(q.queue[0].0, 1);
}
