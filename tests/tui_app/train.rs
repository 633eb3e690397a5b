//! The Train view: the form, starting and steering a run, the learning-rate dialog,
//! missing data.

use super::*;

#[test]
fn typing_a_learning_rate_validates_it() {
    let mut a = ready_app();
    select_field(&mut a, field("lr"));
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.editing.is_some());
    type_str(&mut a, "20");
    a.update(key(KeyCode::Enter));
    let err = a.train.form.error.clone().expect("20 must be refused");
    assert!(err.contains("learning rate"), "{err}");
    assert!(
        a.train.form.editing.is_some(),
        "stays in edit mode to fix the value"
    );
    // Letters are refused while editing; 1/2/3 type digits instead of switching views.
    a.update(key(KeyCode::Backspace));
    a.update(key(KeyCode::Backspace));
    type_str(&mut a, "x0.05");
    assert_eq!(a.view, View::Train);
    assert!(matches!(a.notice, None | Some(Notice::Error(_))));
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.editing.is_none());
    assert_eq!(a.train.form.settings.lr, 0.05);
    assert!(a.train.form.is_edited(field("lr")));
    assert!(a.train.form.error.is_none());
}

#[test]
fn escape_cancels_an_edit() {
    let mut a = ready_app();
    select_field(&mut a, field("epochs"));
    let before = a.train.form.settings.epochs;
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "77");
    a.update(key(KeyCode::Esc));
    assert_eq!(a.train.form.settings.epochs, before);
    assert!(a.train.form.editing.is_none());
}

#[test]
fn steps_refuse_invalid_values_with_a_message() {
    let mut a = ready_app();
    select_field(&mut a, field("epochs"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "1");
    a.update(key(KeyCode::Enter));
    a.update(ch('-'));
    assert_eq!(a.train.form.settings.epochs, 1);
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("epochs")));
    a.update(ch('+'));
    a.update(key(KeyCode::Right));
    assert_eq!(a.train.form.settings.epochs, 3);
}

#[test]
fn switching_model_loads_its_defaults_for_unedited_fields() {
    let mut a = ready_app();
    assert_eq!(a.train.form.settings.model, Preset::Mlp);
    select_field(&mut a, field("batch_size"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "32");
    a.update(key(KeyCode::Enter));
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    let s = &a.train.form.settings;
    assert_eq!(s.model, Preset::TutorialMlp);
    assert_eq!(s.optimizer, OptimizerKind::Sgd);
    assert_eq!(s.lr, 0.8);
    assert_eq!(s.epochs, 5);
    assert!(!s.normalize);
    assert_eq!(s.batch_size, 32, "edited fields keep the user's value");
}

#[test]
fn a_setting_of_another_optimizer_is_not_edited_and_says_why() {
    let mut a = ready_app();
    assert_eq!(a.train.form.settings.optimizer, OptimizerKind::Adam);
    let before = a.train.form.settings.clone();
    select_field(&mut a, field("momentum"));
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.editing.is_none(), "no typing into n/a");
    a.update(ch('+'));
    a.update(key(KeyCode::Right));
    select_field(&mut a, field("nesterov"));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.train.form.settings, before);
    let want = "nesterov does not apply to adam (it applies to sgd)";
    assert_eq!(a.train.form.error.as_deref(), Some(want));
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e == want));

    // With SGD chosen, momentum and Nesterov apply and Adam's betas do not.
    select_field(&mut a, field("optimizer"));
    a.update(key(KeyCode::Left)); // adam -> sgd
    assert_eq!(a.train.form.settings.optimizer, OptimizerKind::Sgd);
    select_field(&mut a, field("momentum"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "0.9");
    a.update(key(KeyCode::Enter));
    select_field(&mut a, field("nesterov"));
    a.update(key(KeyCode::Right));
    assert_eq!(a.train.form.settings.momentum, 0.9);
    assert!(a.train.form.settings.nesterov);
    select_field(&mut a, field("beta1"));
    a.update(key(KeyCode::Right));
    assert_eq!(a.train.form.settings.beta1, 0.9);
    assert!(
        a.train
            .form
            .error
            .as_deref()
            .unwrap()
            .contains("applies to adam and adamw")
    );

    // Choosing AdamW takes PyTorch's decay of 0.01 (weight decay was not edited).
    select_field(&mut a, field("optimizer"));
    a.update(key(KeyCode::Left)); // sgd -> adamw (wraps)
    let s = &a.train.form.settings;
    assert_eq!(s.optimizer, OptimizerKind::AdamW);
    assert_eq!((s.lr, s.weight_decay), (1e-3, 0.01));
    // The SGD values stay (shown n/a) and the run may start with them.
    assert_eq!((s.momentum, s.nesterov), (0.9, true));
    assert!(a.train.form.validated().is_ok());
}

#[test]
fn start_needs_data_and_sends_the_form_settings() {
    let mut a = app();
    let fx = a.update(ch('s'));
    assert!(fx.is_empty());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("loading")));

    a.update(Msg::Data(DataMsg::Loaded(fake_mnist())));
    let fx = a.update(ch('s'));
    match fx.as_slice() {
        [Effect::StartTraining(TrainJob::New(s), _)] => assert_eq!(*s, a.train.form.settings),
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(
        a.train.session.as_ref().map(|s| &s.phase),
        Some(&RunPhase::Starting)
    );
    // A second start is refused while the first is active.
    assert!(a.update(ch('s')).is_empty());
}

#[test]
fn enter_on_start_button_starts() {
    let mut a = ready_app();
    select_field(&mut a, Field::Start);
    let fx = a.update(key(KeyCode::Enter));
    assert!(matches!(fx.as_slice(), [Effect::StartTraining(..)]));
}

#[test]
fn trainer_events_drive_the_session() {
    let a = training_app();
    let s = a.train.session.as_ref().unwrap();
    assert_eq!(s.phase, RunPhase::Training);
    assert_eq!(s.run_id.as_deref(), Some("20261127-235211-mlp-3fa2"));
    assert_eq!(s.epochs.len(), 2);
    assert_eq!(s.loss.len(), 18);
    assert_eq!(s.lr, 0.0005);
    assert_eq!(s.lr_changes.len(), 1);
    assert_eq!(s.epoch, 3);
    assert!((s.epoch_ratio() - 0.5).abs() < 1e-9);
    assert!((s.run_ratio() - 2.5 / 3.0).abs() < 1e-9);
    assert_eq!(s.samples_per_sec, 24_000.0);
}

#[test]
fn epoch_end_and_terminal_events_refresh_the_runs() {
    let mut a = training_app();
    let fx = a.update(Msg::Train(TrainEvent::EpochsChanged { total: 4 }));
    assert!(fx.is_empty());
    assert_eq!(a.train.session.as_ref().unwrap().settings.epochs, 4);
    let fx = a.update(Msg::Train(TrainEvent::Finished { test_acc: 0.981 }));
    assert!(fx.iter().any(|e| matches!(e, Effect::RefreshRuns)));
    assert!(!a.run_active());
    assert!(matches!(&a.notice, Some(Notice::Info(m)) if m.contains("98.10%")));
    // The view keeps the result.
    assert_eq!(a.train.session.as_ref().unwrap().epochs.len(), 2);
}

#[test]
fn failed_runs_show_their_reason() {
    let mut a = training_app();
    a.update(Msg::Train(TrainEvent::Failed {
        reason: "loss became NaN".into(),
    }));
    assert_eq!(
        a.train.session.as_ref().unwrap().phase,
        RunPhase::Failed("loss became NaN".into())
    );
    assert!(matches!(&a.notice, Some(Notice::Error(m)) if m.contains("NaN")));
}

#[test]
fn pause_resume_stop_and_add_epochs_send_controls() {
    let mut a = training_app();
    assert!(has_control(&a.update(ch('p')), Control::Pause));
    a.update(Msg::Train(TrainEvent::Paused));
    assert!(has_control(&a.update(ch(' ')), Control::Resume));
    a.update(Msg::Train(TrainEvent::Resumed));
    assert!(has_control(&a.update(ch('e')), Control::AddEpochs(1)));
    assert!(has_control(&a.update(ch('+')), Control::AddEpochs(1)));
    assert!(has_control(&a.update(ch('x')), Control::Stop));
}

#[test]
fn settings_are_locked_while_training() {
    let mut a = training_app();
    let before = a.train.form.settings.clone();
    a.update(key(KeyCode::Right));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.train.form.settings, before);
    assert!(a.train.form.editing.is_none());
    assert!(matches!(&a.notice, Some(Notice::Error(m)) if m.contains("locked")));
}

#[test]
fn learning_rate_dialog_validates_and_sends() {
    let mut a = training_app();
    a.update(ch('l'));
    assert!(matches!(&a.modal, Some(Modal::LearningRate(_))));
    type_str(&mut a, "0");
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(
        matches!(&a.modal, Some(Modal::LearningRate(d)) if d.field.error.as_ref().is_some_and(|e| e.contains("learning rate")))
    );
    a.update(key(KeyCode::Backspace));
    type_str(&mut a, "0.01");
    let fx = a.update(key(KeyCode::Enter));
    assert!(has_control(&fx, Control::SetLr(0.01)));
    assert!(a.modal.is_none());
}

#[test]
fn lr_dialog_needs_an_active_run() {
    let mut a = ready_app();
    a.update(ch('l'));
    assert!(a.modal.is_none());
}

#[test]
fn elapsed_time_excludes_pauses() {
    let mut a = training_app();
    let t0 = Instant::now();
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(t0 + Duration::from_secs(10)));
    a.update(Msg::Train(TrainEvent::Paused));
    a.update(Msg::Tick(t0 + Duration::from_secs(20)));
    a.update(Msg::Train(TrainEvent::Resumed));
    a.update(Msg::Tick(t0 + Duration::from_secs(25)));
    assert_eq!(
        a.train.session.as_ref().unwrap().elapsed,
        Duration::from_secs(15)
    );
    assert!(a.train.session.as_ref().unwrap().eta().is_some());
}

#[test]
fn missing_data_can_be_downloaded_then_loaded() {
    let mut a = app();
    a.update(mnist_missing("data/train-images-idx3-ubyte: missing"));
    assert!(matches!(a.data.state, DataState::Missing { .. }));
    let fx = a.update(ch('D'));
    assert!(
        matches!(fx.as_slice(), [Effect::DownloadData(n)] if *n == mnist_tui::data::DatasetName::mnist())
    );
    assert!(matches!(a.data.state, DataState::Downloading(_)));
    let fx = a.update(Msg::Data(DataMsg::Downloaded(Ok(()))));
    assert!(matches!(fx.as_slice(), [Effect::LoadData(_)]));
    assert!(matches!(a.data.state, DataState::Loading));
    a.update(mnist_failed("bad magic"));
    let fx = a.update(ch('R'));
    assert!(matches!(fx.as_slice(), [Effect::LoadData(_)]));
}

#[test]
fn a_failed_download_explains_itself() {
    let mut a = app();
    a.update(mnist_missing("missing"));
    a.update(ch('D'));
    a.update(Msg::Data(DataMsg::Downloaded(Err("no network".into()))));
    assert!(
        matches!(&a.data.state, DataState::Missing { message, .. } if message.contains("no network"))
    );
}

#[test]
fn the_dashboards_tutorial_run_uses_the_tutorials_constant_schedule() {
    let mut a = ready_app();
    assert_eq!(
        a.train.form.settings.lr_schedule,
        mnist_tui::train::LrSchedule::Cosine
    );
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    let s = started_settings(&a.update(ch('s')));
    assert_eq!(s.model, Preset::TutorialMlp);
    assert_eq!(s.lr_schedule, mnist_tui::train::LrSchedule::Constant);
    assert_eq!(
        s,
        cli_settings(Preset::TutorialMlp.model_name()),
        "the dashboard and `train --model tutorial-mlp` train the same recipe"
    );
}

#[test]
fn every_model_switch_matches_the_command_lines_defaults() {
    let mut a = ready_app();
    select_field(&mut a, field("model"));
    for _ in 0..Preset::ALL.len() {
        a.update(key(KeyCode::Right));
        let model = a.train.form.settings.model.clone();
        assert_eq!(
            a.train.form.settings,
            cli_settings(model.clone()),
            "{model}"
        );
    }
}

#[test]
fn a_loaded_runs_model_dependent_settings_follow_a_model_switch() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    while a
        .runs
        .current()
        .unwrap()
        .record()
        .map(|r| r.config.model.clone())
        != Some(Preset::Mlp.model_name())
    {
        a.update(ch('j'));
    }
    a.update(ch('n'));
    assert_eq!(
        a.train.form.settings.lr, 0.001,
        "the run's own rate is kept"
    );
    assert!(a.train.form.is_edited(field("lr")));
    assert!(!a.train.form.is_edited(field("lr_schedule")));
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    assert_eq!(
        a.train.form.settings.lr_schedule,
        mnist_tui::train::LrSchedule::Constant
    );
    assert!(!a.train.form.settings.normalize);
    assert_eq!(a.train.form.settings.lr, 0.001, "edited values stay");
}

/// The ready app with a form where `row` applies: for a setting of SGD, SGD with a
/// momentum of 0.9 (which Nesterov needs).
fn form_where_it_applies(row: &'static mnist_tui::train::Setting) -> mnist_tui::tui::app::App {
    let mut a = ready_app();
    if !row.applies_to(&a.train.form.settings) {
        select_field(&mut a, field("optimizer"));
        a.update(key(KeyCode::Left)); // adam -> sgd
        select_field(&mut a, field("momentum"));
        a.update(key(KeyCode::Enter));
        type_str(&mut a, "0.9");
        a.update(key(KeyCode::Enter));
    }
    assert!(row.applies_to(&a.train.form.settings), "{}", row.name);
    a
}

#[test]
fn every_setting_can_be_stepped_and_typed_in_the_form() {
    for row in mnist_tui::train::SETTINGS {
        let mut a = form_where_it_applies(row);
        select_field(&mut a, Field::Setting(row));
        let before = a.train.form.settings.clone();
        a.update(key(KeyCode::Right));
        if row.same(&before, &a.train.form.settings) {
            a.update(key(KeyCode::Left));
            a.update(key(KeyCode::Left));
        }
        // Text (a network's layers) is typed only.
        let steps = row.step != mnist_tui::train::Step::Text;
        assert_eq!(
            !row.same(&before, &a.train.form.settings),
            steps,
            "{} moves with ←/→ only if it steps",
            row.name
        );
        if row.is_typed() {
            let mut a = form_where_it_applies(row);
            select_field(&mut a, Field::Setting(row));
            a.update(key(KeyCode::Enter));
            assert!(a.train.form.editing.is_some(), "{} is not typed", row.name);
            let mut target = a.train.form.settings.clone();
            if steps {
                assert!(row.step_in(&mut target, -1) || row.step_in(&mut target, 1));
            } else {
                // A list is edited in place: Ctrl-U clears it first.
                a.update(Msg::Key(KeyEvent::new(
                    KeyCode::Char('u'),
                    KeyModifiers::CONTROL,
                )));
                row.parse_into(&mut target, "Flatten, Dense(32), Relu, Dense(classes)")
                    .unwrap();
            }
            type_str(&mut a, &row.show(&target));
            a.update(key(KeyCode::Enter));
            assert!(
                a.train.form.error.is_none(),
                "{}: {:?}",
                row.name,
                a.train.form.error
            );
            assert!(row.same(&target, &a.train.form.settings), "{}", row.name);
        }
    }
}

#[test]
fn form_fields_have_a_cursor_and_home_end() {
    let mut a = ready_app();
    select_field(&mut a, field("lr"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "0.5");
    a.update(key(KeyCode::Left));
    a.update(ch('0'));
    let input = a.train.form.editing.clone().expect("still editing");
    assert_eq!(
        (input.text(), input.cursor()),
        ("0.05", 3),
        "typed at the cursor"
    );
    a.update(key(KeyCode::Home));
    assert_eq!(a.train.form.editing.as_ref().map(|i| i.cursor()), Some(0));
    a.update(key(KeyCode::End));
    assert_eq!(a.train.form.editing.as_ref().map(|i| i.cursor()), Some(4));
    assert_eq!(a.view, View::Train);
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.editing.is_none());
    assert_eq!(a.train.form.settings.lr, 0.05);
}

#[test]
fn run_dialog_fields_edit_at_the_cursor() {
    use ratatui::crossterm::event::KeyModifiers;
    let mut a = training_app();
    a.update(ch('l'));
    type_str(&mut a, "0.01");
    a.update(key(KeyCode::Left));
    a.update(key(KeyCode::Backspace));
    let Some(Modal::LearningRate(d)) = &a.modal else {
        panic!("{:?}", a.modal);
    };
    let input = &d.field.input;
    assert_eq!((input.text(), input.cursor()), ("0.1", 2));
    let fx = a.update(key(KeyCode::Enter));
    assert!(has_control(&fx, Control::SetLr(0.1)), "{fx:?}");
    // Ctrl-U empties the field.
    a.update(ch('l'));
    type_str(&mut a, "0.3");
    a.update(with_mods(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert!(matches!(&a.modal, Some(Modal::LearningRate(d)) if d.field.input.text().is_empty()));
}

#[test]
fn the_finder_key_runs_on_the_form_and_puts_its_suggestion_into_the_form() {
    use mnist_tui::train::lr_find::{FinderPlan, Progress};
    use mnist_tui::tui::train::finder::{FinderMsg, FinderTarget};
    // No data yet: refused, with the reason, nothing asked.
    let mut a = app();
    assert!(a.update(ch('f')).is_empty());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("the finder needs the training images")),
        "{:?}",
        a.notice
    );

    let mut a = ready_app();
    let fx = a.update(ch('f'));
    match fx.as_slice() {
        [Effect::FindLr { settings, plan, .. }] => {
            assert_eq!(**settings, a.train.form.settings);
            assert_eq!(*plan, FinderPlan::default());
        }
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(
        a.train.finder.as_ref().map(|t| t.target),
        Some(FinderTarget::Form)
    );
    // One finder at a time.
    assert!(a.update(ch('f')).is_empty());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e == "The learning-rate finder is already running")
    );
    a.update(Msg::Finder(FinderMsg::Progress(Progress {
        done: 37,
        total: 100,
    })));
    assert!(
        matches!(&a.notice, Some(Notice::Info(e)) if e == "Finding a learning rate: batch 37/100")
    );

    let finding = synthetic_finding();
    let lr = finding
        .suggestion
        .lr
        .expect("the synthetic curve suggests a rate");
    assert_ne!(a.train.form.settings.lr, lr);
    a.update(Msg::Finder(FinderMsg::Done(Ok(finding))));
    assert!(a.train.finder.is_none());
    assert!(matches!(a.modal, Some(Modal::LrFinder(_))));
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(a.modal.is_none());
    assert_eq!(a.train.form.settings.lr, lr);
    assert!(a.train.form.is_edited(field("lr")));
    assert!(matches!(&a.notice, Some(Notice::Info(e)) if e.contains("in the form")));

    // A failure says why and leaves the form alone.
    a.update(ch('f'));
    a.update(Msg::Finder(FinderMsg::Done(Err("no samples".into()))));
    assert!(a.modal.is_none() && a.train.finder.is_none());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e == "The learning-rate finder failed: no samples")
    );
    assert_eq!(a.train.form.settings.lr, lr);
}

#[test]
fn the_finder_key_on_a_running_run_asks_the_trainer_and_applies_the_rate_to_the_run() {
    use mnist_tui::train::lr_find::FinderPlan;
    let mut a = training_app();
    let fx = a.update(ch('f'));
    assert!(
        has_control(&fx, Control::FindLr(FinderPlan::default())),
        "{fx:?}"
    );
    let finding = synthetic_finding();
    let lr = finding.suggestion.lr.unwrap();
    a.update(Msg::Train(TrainEvent::LrFound(Ok(finding))));
    assert!(matches!(a.modal, Some(Modal::LrFinder(_))));
    let form_lr = a.train.form.settings.lr;
    let fx = a.update(key(KeyCode::Enter));
    assert!(has_control(&fx, Control::SetLr(lr)), "{fx:?}");
    assert_eq!(
        a.train.form.settings.lr, form_lr,
        "the form is not the target"
    );

    // Esc closes without a change.
    a.update(ch('f'));
    a.update(Msg::Train(TrainEvent::LrFound(Ok(synthetic_finding()))));
    assert!(a.update(key(KeyCode::Esc)).is_empty());
    assert!(a.modal.is_none());

    // A run that ends before its finder ran frees the key and says so.
    a.update(ch('f'));
    assert!(a.train.finder.is_some());
    a.update(Msg::Train(TrainEvent::Stopped));
    assert!(a.train.finder.is_none());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("before the learning-rate finder could run"))
    );
}

#[test]
fn the_layers_being_typed_are_checked_at_every_key_before_enter() {
    let mut a = ready_app();
    let before = a.train.form.settings.clone();
    assert!(a.train.form.typed_layers().is_none(), "nothing typed yet");
    assert_eq!(
        a.train.form.network_summary().map(|s| s.params),
        Ok(218_058),
        "the form's network: mlp"
    );
    select_field(&mut a, field("layers"));
    a.update(key(KeyCode::Enter));
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    type_str(&mut a, "Flatten, Densee");
    let typed = || a.train.form.typed_layers().expect("layers are typed");
    let e = typed().unwrap_err();
    assert!(e.starts_with("column 10: ") && e.contains("Densee"), "{e}");
    assert!(e.contains("GlobalAvgPool"), "lists the layer kinds: {e}");
    // Each key is judged again: not closed yet, then a layer that does not fit.
    type_str(&mut a, "(32");
    let e = a.train.form.typed_layers().unwrap().unwrap_err();
    assert!(e.starts_with("column "), "{e}");
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    type_str(&mut a, "Dense(32), Relu, Dense(classes)");
    let e = a.train.form.typed_layers().unwrap().unwrap_err();
    assert_eq!(
        e,
        "layer 1 `Dense(32)`: needs a vector of features, got a 28×28×1 map: add Flatten \
         before it"
    );
    a.update(key(KeyCode::Home));
    type_str(&mut a, "Flatten, ");
    let s = a.train.form.typed_layers().unwrap().expect("a network now");
    assert_eq!(s.params, 784 * 32 + 32 + 32 * 10 + 10);
    assert_eq!(
        a.train.form.network_summary().map(|s| s.params),
        Ok(s.params)
    );
    // Nothing applies before Enter.
    assert_eq!(a.train.form.settings, before);
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.typed_layers().is_none());
    assert_eq!(
        a.train.form.settings.layers.to_string(),
        "Flatten, Dense(32), Relu, Dense(classes)"
    );
    assert_eq!(
        a.train.form.network_summary().map(|s| s.params),
        Ok(784 * 32 + 32 + 32 * 10 + 10)
    );
    // Other fields being typed are not layers.
    select_field(&mut a, field("lr"));
    a.update(key(KeyCode::Enter));
    assert!(a.train.form.editing.is_some());
    assert!(a.train.form.typed_layers().is_none());
}

/// Ctrl-U: clears a text field.
fn clear_field() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL))
}

/// Types `layers` into the form's Layers row and applies them.
fn set_layers(a: &mut mnist_tui::tui::app::App, layers: &str) {
    select_field(a, field("layers"));
    a.update(key(KeyCode::Enter));
    a.update(clear_field());
    type_str(a, layers);
    a.update(key(KeyCode::Enter));
    assert_eq!(a.train.form.settings.layers.to_string(), layers);
}

/// Does what the runtime does with the save effects among `effects`.
fn perform_saves(a: &mut mnist_tui::tui::app::App, effects: Vec<Effect>) {
    for e in effects {
        if let Effect::SaveNetwork { path, def } = e {
            let result =
                mnist_tui::networks_file::save_network(&path, &def).map_err(|e| e.to_string());
            a.update(Msg::NetworkSaved { path, def, result });
        }
    }
}

fn save_dialog(
    a: &mnist_tui::tui::app::App,
) -> &mnist_tui::tui::dialogs::save_network::SaveNetworkDialog {
    match &a.modal {
        Some(Modal::SaveNetwork(d)) => d,
        other => panic!("no save dialog: {other:?} ({:?})", a.notice),
    }
}

#[test]
fn w_saves_the_forms_network_by_name_in_the_config_and_the_form_trains_it() {
    use mnist_tui::model::{Origin, known_networks};
    use mnist_tui::tui::dialogs::save_network::SaveTo;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.ron");
    let text = "// mine\n(\n    runs_dir: \"runs\", // here\n)\n";
    std::fs::write(&config, text).unwrap();
    let mut a = ready_app();
    a.config_path = config.clone();
    let layers = "Flatten, Dense(48), Relu, Dense(classes)";
    set_layers(&mut a, layers);
    a.update(ch('w'));
    let d = save_dialog(&a);
    assert_eq!(d.to, SaveTo::Config);
    assert_eq!(d.field.text(), "", "a preset's name is not proposed");
    // A preset's name and a bad name are refused; the dialog stays and says why.
    type_str(&mut a, "mlp");
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let e = save_dialog(&a).field.error.clone().unwrap_or_default();
    assert!(e.contains("built-in"), "{e}");
    a.update(clear_field());
    a.update(key(KeyCode::Enter));
    let e = save_dialog(&a).field.error.clone().unwrap_or_default();
    assert!(e.contains("cannot be empty"), "{e}");
    // Only a name's characters are typed.
    type_str(&mut a, "tui app/w net");
    assert_eq!(save_dialog(&a).field.text(), "tuiappwnet");
    a.update(clear_field());
    type_str(&mut a, "tui-app-w-net");
    let effects = a.update(key(KeyCode::Enter));
    assert!(a.modal.is_none());
    match effects.as_slice() {
        [Effect::SaveNetwork { path, def }] => {
            assert_eq!(path, &config);
            assert_eq!(def.name, "tui-app-w-net");
            assert_eq!(def.layers.to_string(), layers);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&a.notice, Some(Notice::Info(m)) if m.contains("Saving")));
    perform_saves(&mut a, effects);
    // In the file, the rest of it as it was.
    let saved = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        saved,
        "// mine\n(\n    runs_dir: \"runs\", // here\n    networks: {\n        \
         \"tui-app-w-net\": [Flatten, Dense(48), Relu, Dense(classes)],\n    },\n)\n"
    );
    // Known by name from that file, and the form's model now.
    let known = known_networks()
        .into_iter()
        .find(|k| k.def.name == "tui-app-w-net")
        .expect("defined");
    assert_eq!(known.origin, Origin::File(config.clone()));
    let form = &a.train.form;
    assert_eq!(form.settings.model, "tui-app-w-net");
    assert_eq!(form.settings.layers.to_string(), layers);
    assert!(form.is_edited(field("model")));
    assert!(!form.is_edited(field("layers")), "the model's own layers");
    assert!(
        matches!(&a.notice, Some(Notice::Info(m)) if m.contains("Saved network 'tui-app-w-net'")
            && m.contains("config.ron")),
        "{:?}",
        a.notice
    );
    // Saving again proposes its name and file, and replaces it.
    set_layers(&mut a, "Flatten, Dense(64), Relu, Dense(classes)");
    a.update(ch('w'));
    assert_eq!(save_dialog(&a).field.text(), "tui-app-w-net");
    assert_eq!(save_dialog(&a).to, SaveTo::Config);
    let effects = a.update(key(KeyCode::Enter));
    perform_saves(&mut a, effects);
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("\"tui-app-w-net\": [Flatten, Dense(64), Relu, Dense(classes)],"));
    assert_eq!(saved.matches("tui-app-w-net").count(), 1, "{saved}");
    assert_eq!(
        a.train.form.settings.layers.to_string(),
        "Flatten, Dense(64), Relu, Dense(classes)"
    );
}

#[test]
fn tab_saves_in_a_networks_file_beside_the_config() {
    use mnist_tui::model::{Origin, known_networks};
    use mnist_tui::tui::dialogs::save_network::SaveTo;
    let dir = tempfile::tempdir().unwrap();
    let mut a = ready_app();
    // A config file that does not exist (the default config.ron, absent).
    a.config_path = dir.path().join("config.ron");
    set_layers(&mut a, "Flatten, Dense(24), Relu, Dense(classes)");
    a.update(ch('w'));
    a.update(key(KeyCode::Tab));
    assert_eq!(save_dialog(&a).to, SaveTo::NetworksFile);
    a.update(key(KeyCode::BackTab));
    a.update(key(KeyCode::Tab));
    type_str(&mut a, "tui-app-tab-net");
    let effects = a.update(key(KeyCode::Enter));
    let networks = dir.path().join("networks.ron");
    assert!(
        matches!(effects.as_slice(), [Effect::SaveNetwork { path, .. }] if *path == networks),
        "{effects:?}"
    );
    perform_saves(&mut a, effects);
    assert_eq!(
        std::fs::read_to_string(&networks).unwrap(),
        "{\n    \"tui-app-tab-net\": [Flatten, Dense(24), Relu, Dense(classes)],\n}\n"
    );
    assert!(!a.config_path.exists(), "the config is not created");
    let known = known_networks()
        .into_iter()
        .find(|k| k.def.name == "tui-app-tab-net")
        .expect("defined");
    assert_eq!(known.origin, Origin::File(networks));
    assert_eq!(a.train.form.settings.model, "tui-app-tab-net");
    // The dialog proposes the file it came from next time.
    a.update(ch('w'));
    assert_eq!(save_dialog(&a).to, SaveTo::NetworksFile);
    a.update(key(KeyCode::Esc));
    assert!(a.modal.is_none());
}

#[test]
fn a_failed_save_says_why_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = ready_app();
    // The config's folder is gone: the save fails, nothing is defined.
    a.config_path = dir.path().join("gone").join("config.ron");
    set_layers(&mut a, "Flatten, Dense(20), Relu, Dense(classes)");
    let before = a.train.form.settings.clone();
    a.update(ch('w'));
    type_str(&mut a, "tui-app-failed-net");
    let effects = a.update(key(KeyCode::Enter));
    perform_saves(&mut a, effects);
    assert!(
        matches!(&a.notice, Some(Notice::Error(m)) if m.contains("'tui-app-failed-net' was not saved")
            && m.contains("gone")),
        "{:?}",
        a.notice
    );
    assert!(mnist_tui::model::find_network("tui-app-failed-net").is_none());
    assert_eq!(a.train.form.settings, before);
}

#[test]
fn saving_a_network_needs_the_idle_form_and_layers_that_make_one() {
    let mut a = training_app();
    a.update(ch('w'));
    assert!(a.modal.is_none());
    assert!(
        matches!(&a.notice, Some(Notice::Error(m)) if m.contains("stop the run (x)")),
        "{:?}",
        a.notice
    );
    let mut a = ready_app();
    a.train.form.settings.layers = "Dense(3), Dense(classes)".parse().unwrap();
    a.update(ch('w'));
    assert!(a.modal.is_none());
    assert!(
        matches!(&a.notice, Some(Notice::Error(m)) if m.contains("do not make a network")
            && m.contains("add Flatten")),
        "{:?}",
        a.notice
    );
}

#[test]
fn the_forms_dataset_is_loaded_at_start_and_whenever_it_changes() {
    let mut a = mnist_tui::tui::app::App::new(
        &mnist_tui::config::Config::default(),
        std::path::PathBuf::from("data"),
        mnist_tui::tui::theme::Theme::default(),
    );
    // The first update asks for the form's dataset (the config's default: MNIST).
    let fx = a.update(Msg::Resize(120, 40));
    assert_eq!(loads(&fx), ["mnist"]);
    assert_eq!(a.data.title, "MNIST");
    let mnist = fake_mnist();
    a.update(Msg::Data(DataMsg::Loaded(mnist.clone())));
    assert!(matches!(a.data.state, DataState::Ready(_)));
    assert!(loads(&a.update(Msg::Tick(Instant::now()))).is_empty());

    // Another dataset in the form: it is loaded, and the one held is dropped.
    select_field(&mut a, field("dataset"));
    let fx = a.update(key(KeyCode::Right));
    assert_eq!(a.train.form.settings.dataset.as_str(), "fashion-mnist");
    assert_eq!(loads(&fx), ["fashion-mnist"]);
    assert_eq!(a.data.name.as_str(), "fashion-mnist");
    assert_eq!(a.data.title, "Fashion-MNIST");
    assert!(matches!(a.data.state, DataState::Loading));
    assert_eq!(
        std::sync::Arc::strong_count(&mnist),
        1,
        "MNIST is no longer held: one dataset in memory"
    );
    // The loader says where it reads from.
    a.update(Msg::Data(DataMsg::Resolved {
        name: "fashion-mnist".parse().unwrap(),
        title: "Fashion-MNIST".into(),
        dir: "data/fashion-mnist".into(),
    }));
    assert_eq!(a.data.dir, Some("data/fashion-mnist".into()));

    // Changed again before the read ends: one read at a time, the stale one dropped.
    let fx = a.update(key(KeyCode::Right));
    assert_eq!(a.train.form.settings.dataset.as_str(), "kmnist");
    assert!(loads(&fx).is_empty(), "Fashion-MNIST's read is under way");
    let fx = a.update(Msg::Data(DataMsg::Loaded(fake_dataset("fashion-mnist", 4))));
    assert!(
        matches!(a.data.state, DataState::Loading),
        "not the one wanted"
    );
    assert_eq!(loads(&fx), ["kmnist"]);
    let fx = a.update(Msg::Data(DataMsg::Missing {
        name: "kmnist".parse().unwrap(),
        message: "data/kmnist/train-images-idx3-ubyte[.gz]: missing Kuzushiji-MNIST file".into(),
        how: "put the four Kuzushiji-MNIST files … in data/kmnist".into(),
    }));
    assert!(
        fx.is_empty(),
        "missing files are not read again by themselves"
    );
    assert!(matches!(a.data.state, DataState::Missing { .. }));
    // Starting says which dataset is missing; the download key fetches it from its
    // mirrors.
    assert!(a.update(ch('s')).is_empty());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("Kuzushiji-MNIST is missing")),
        "{:?}",
        a.notice
    );
    // Retrying reads it again.
    assert_eq!(loads(&a.update(ch('R'))), ["kmnist"]);
    a.update(Msg::Data(DataMsg::Missing {
        name: "kmnist".parse().unwrap(),
        message: "missing".into(),
        how: String::new(),
    }));
    let fx = a.update(ch('D'));
    assert!(
        matches!(fx.as_slice(), [Effect::DownloadData(n)] if n.as_str() == "kmnist"),
        "{fx:?}"
    );
    assert!(matches!(a.data.state, DataState::Downloading(_)));
}

#[test]
fn a_dataset_without_mirrors_is_not_downloaded_and_says_why() {
    let mut a = ready_app();
    a.train.form.settings.dataset = "emnist-letters".parse().unwrap();
    let fx = a.update(Msg::Tick(std::time::Instant::now()));
    assert_eq!(loads(&fx), ["emnist-letters"]);
    a.update(Msg::Data(DataMsg::Missing {
        name: "emnist-letters".parse().unwrap(),
        message: "missing".into(),
        how: "unzip -j gzip.zip 'gzip/emnist-letters-*' -d data/emnist-letters".into(),
    }));
    assert!(a.update(ch('D')).is_empty());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("EMNIST Letters has no mirror")),
        "{:?}",
        a.notice
    );
}

#[test]
fn starting_waits_for_the_forms_dataset_and_trains_on_it() {
    let mut a = ready_app();
    select_field(&mut a, field("dataset"));
    a.update(key(KeyCode::Right));
    // Refused while it loads, with the dataset named.
    assert!(a.update(ch('s')).is_empty());
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("Fashion-MNIST is still loading")),
        "{:?}",
        a.notice
    );
    select_field(&mut a, Field::Start);
    assert!(a.update(key(KeyCode::Enter)).is_empty(), "[Start] too");
    // The finder needs it too.
    assert!(a.update(ch('f')).is_empty());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("Fashion-MNIST")));
    a.update(Msg::Data(DataMsg::Loaded(fake_dataset("fashion-mnist", 4))));
    match a.update(ch('s')).as_slice() {
        [Effect::StartTraining(TrainJob::New(s), data)] => {
            assert_eq!(s.dataset.as_str(), "fashion-mnist");
            assert_eq!(data.info.name, s.dataset, "trained on the dataset it names");
        }
        other => panic!("unexpected effects {other:?}"),
    }
    // While the run trains on it, the dataset stays whatever the view.
    a.update(ch('2'));
    a.update(ch('1'));
    assert_eq!(a.data.name.as_str(), "fashion-mnist");
}
