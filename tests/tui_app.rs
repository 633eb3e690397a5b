//! Dashboard state without a terminal: messages in, state and effects out.

mod tui_common;

use mnist_tui::model::{Arch, OptimizerKind};
use mnist_tui::train::{Control, TrainEvent, TrainJob};
use mnist_tui::tui::app::{
    DataMsg, DataState, Effect, InputPurpose, Modal, Msg, Notice, QuitState, View,
};
use mnist_tui::tui::layout;
use mnist_tui::tui::runs::table::SortColumn;
use mnist_tui::tui::train::form::Field;
use mnist_tui::tui::train::session::RunPhase;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;
use std::time::{Duration, Instant};
use tui_common::*;

fn has_control(effects: &[Effect], c: Control) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Control(x) if *x == c))
}

fn select_field(app: &mut mnist_tui::tui::app::App, field: Field) {
    app.form.select_field(field);
}

/// The form row of the setting named `name`.
fn field(name: &str) -> Field {
    Field::named(name).unwrap_or_else(|| panic!("no setting {name}"))
}

#[test]
fn tabs_and_number_keys_switch_views() {
    let mut a = app();
    assert_eq!(a.view, View::Train);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.view, View::Runs);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.view, View::Digit);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.view, View::Train);
    a.update(key(KeyCode::BackTab));
    assert_eq!(a.view, View::Digit);
    a.update(ch('2'));
    assert_eq!(a.view, View::Runs);
    a.update(ch('1'));
    assert_eq!(a.view, View::Train);
    a.update(ch('3'));
    assert_eq!(a.view, View::Digit);
}

#[test]
fn help_opens_and_closes() {
    let mut a = app();
    a.update(ch('?'));
    assert!(matches!(a.modal, Some(Modal::Help { .. })));
    // Keys do not leak through the overlay.
    a.update(ch('2'));
    assert_eq!(a.view, View::Train);
    a.update(key(KeyCode::Esc));
    assert!(a.modal.is_none());
}

#[test]
fn q_quits_at_once_when_idle() {
    let mut a = app();
    a.update(ch('q'));
    assert!(a.should_quit());
}

#[test]
fn q_asks_while_training_and_can_be_cancelled() {
    let mut a = training_app();
    assert!(a.run_active());
    a.update(ch('q'));
    assert_eq!(a.modal, Some(Modal::ConfirmQuit));
    assert!(!a.should_quit());
    a.update(ch('n'));
    assert!(a.modal.is_none());
    assert_eq!(a.quit, QuitState::Running);

    a.update(ch('q'));
    let fx = a.update(ch('y'));
    assert!(has_control(&fx, Control::Stop));
    assert_eq!(a.quit, QuitState::StoppingThenQuit);
    assert!(!a.should_quit(), "must wait for the trainer to save");
    a.update(Msg::Train(TrainEvent::Stopped));
    assert!(a.should_quit());
}

#[test]
fn ctrl_c_stops_training_then_quits_even_from_a_dialog() {
    let mut a = training_app();
    a.update(ch('l'));
    assert!(matches!(a.modal, Some(Modal::Input { .. })));
    let fx = a.update(ctrl_c());
    assert!(has_control(&fx, Control::Stop));
    assert_eq!(a.quit, QuitState::StoppingThenQuit);
    // A trainer that ends without a final event still lets the app quit.
    a.update(Msg::TrainerGone);
    assert!(a.should_quit());

    let mut idle = app();
    let fx = idle.update(ctrl_c());
    assert!(fx.is_empty());
    assert!(idle.should_quit());
}

#[test]
fn typing_a_learning_rate_validates_it() {
    let mut a = ready_app();
    select_field(&mut a, field("lr"));
    a.update(key(KeyCode::Enter));
    assert!(a.form.editing.is_some());
    type_str(&mut a, "20");
    a.update(key(KeyCode::Enter));
    let err = a.form.error.clone().expect("20 must be refused");
    assert!(err.contains("learning rate"), "{err}");
    assert!(
        a.form.editing.is_some(),
        "stays in edit mode to fix the value"
    );
    // Letters are refused while editing; 1/2/3 type digits instead of switching views.
    a.update(key(KeyCode::Backspace));
    a.update(key(KeyCode::Backspace));
    type_str(&mut a, "x0.05");
    assert_eq!(a.view, View::Train);
    assert!(matches!(a.notice, None | Some(Notice::Error(_))));
    a.update(key(KeyCode::Enter));
    assert!(a.form.editing.is_none());
    assert_eq!(a.form.settings.lr, 0.05);
    assert!(a.form.is_edited(field("lr")));
    assert!(a.form.error.is_none());
}

#[test]
fn escape_cancels_an_edit() {
    let mut a = ready_app();
    select_field(&mut a, field("epochs"));
    let before = a.form.settings.epochs;
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "77");
    a.update(key(KeyCode::Esc));
    assert_eq!(a.form.settings.epochs, before);
    assert!(a.form.editing.is_none());
}

#[test]
fn steps_refuse_invalid_values_with_a_message() {
    let mut a = ready_app();
    select_field(&mut a, field("epochs"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "1");
    a.update(key(KeyCode::Enter));
    a.update(ch('-'));
    assert_eq!(a.form.settings.epochs, 1);
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("epochs")));
    a.update(ch('+'));
    a.update(key(KeyCode::Right));
    assert_eq!(a.form.settings.epochs, 3);
}

#[test]
fn switching_model_loads_its_defaults_for_unedited_fields() {
    let mut a = ready_app();
    assert_eq!(a.form.settings.model, Arch::Mlp);
    select_field(&mut a, field("batch_size"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "32");
    a.update(key(KeyCode::Enter));
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    let s = &a.form.settings;
    assert_eq!(s.model, Arch::TutorialMlp);
    assert_eq!(s.optimizer, OptimizerKind::Sgd);
    assert_eq!(s.lr, 0.8);
    assert_eq!(s.epochs, 5);
    assert!(!s.normalize);
    assert_eq!(s.batch_size, 32, "edited fields keep the user's value");
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
        [Effect::StartTraining(TrainJob::New(s), _)] => assert_eq!(*s, a.form.settings),
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(
        a.session.as_ref().map(|s| &s.phase),
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
    let s = a.session.as_ref().unwrap();
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
    assert_eq!(a.session.as_ref().unwrap().settings.epochs, 4);
    let fx = a.update(Msg::Train(TrainEvent::Finished { test_acc: 0.981 }));
    assert!(fx.iter().any(|e| matches!(e, Effect::RefreshRuns)));
    assert!(!a.run_active());
    assert!(matches!(&a.notice, Some(Notice::Info(m)) if m.contains("98.10%")));
    // The view keeps the result.
    assert_eq!(a.session.as_ref().unwrap().epochs.len(), 2);
}

#[test]
fn failed_runs_show_their_reason() {
    let mut a = training_app();
    a.update(Msg::Train(TrainEvent::Failed {
        reason: "loss became NaN".into(),
    }));
    assert_eq!(
        a.session.as_ref().unwrap().phase,
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
    let before = a.form.settings.clone();
    a.update(key(KeyCode::Right));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.form.settings, before);
    assert!(a.form.editing.is_none());
    assert!(matches!(&a.notice, Some(Notice::Error(m)) if m.contains("locked")));
}

#[test]
fn learning_rate_dialog_validates_and_sends() {
    let mut a = training_app();
    a.update(ch('l'));
    assert!(matches!(
        &a.modal,
        Some(Modal::Input {
            purpose: InputPurpose::LearningRate,
            ..
        })
    ));
    type_str(&mut a, "0");
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(
        matches!(&a.modal, Some(Modal::Input { error: Some(e), .. }) if e.contains("learning rate"))
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
fn runs_are_listed_damaged_included_and_sortable() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    assert_eq!(a.runs.entries.len(), 4);
    let ids: Vec<&str> = a.runs.rows().map(|e| e.id()).collect();
    // Default: newest first; the damaged run (no start time) last.
    assert_eq!(ids[0], "20261120-130000-tutorial-mlp-a003");
    assert_eq!(ids[3], "20261120-140000-lenet-beef");

    a.update(ch('s')); // next column: Model, ascending
    assert_eq!(a.runs.sort, SortColumn::Model);
    let models: Vec<&str> = a
        .runs
        .rows()
        .filter_map(|e| e.record())
        .map(|r| r.config.model.name())
        .collect();
    assert_eq!(models, ["cnn", "mlp", "tutorial-mlp"]);
    a.update(ch('S'));
    assert!(a.runs.descending);
    let first = a.runs.rows().next().unwrap().record().unwrap();
    assert_eq!(first.config.model, Arch::TutorialMlp);

    while a.runs.sort != SortColumn::BestAcc {
        a.update(ch('s'));
    }
    a.update(ch('S'));
    let best: Vec<Option<f32>> = a
        .runs
        .rows()
        .map(|e| e.record().and_then(|r| r.best_test_acc()))
        .collect();
    assert_eq!(best[0], Some(0.99));
    assert_eq!(best[2], None);
}

#[test]
fn cursor_stays_on_its_run_across_refreshes_and_sorts() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    a.update(ch('j'));
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('s'));
    assert_eq!(a.runs.current().unwrap().id(), id);
    a.update(store_listing());
    assert_eq!(a.runs.current().unwrap().id(), id);
}

#[test]
fn space_marks_runs_for_comparison_but_not_damaged_ones() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    assert_eq!(a.runs.compared().len(), 1, "the cursor's run is previewed");
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch(' '));
    assert_eq!(a.runs.marked.len(), 2);
    assert_eq!(a.runs.compared().len(), 2);
    a.update(key(KeyCode::End));
    a.update(ch(' '));
    assert_eq!(a.runs.marked.len(), 2);
    assert!(matches!(&a.notice, Some(Notice::Error(m)) if m.contains("damaged")));
    a.update(ch('c'));
    assert!(a.runs.marked.is_empty());
}

#[test]
fn delete_asks_first() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('d'));
    assert_eq!(a.modal, Some(Modal::ConfirmDelete(id.clone())));
    let fx = a.update(ch('n'));
    assert!(fx.is_empty());
    assert!(a.modal.is_none());
    a.update(ch('d'));
    // Unrelated keys keep the question open.
    assert!(a.update(ch('x')).is_empty());
    assert!(a.modal.is_some());
    let fx = a.update(ch('y'));
    assert!(matches!(fx.as_slice(), [Effect::DeleteRun(d)] if *d == id));
    let fx = a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Deleted {
        id: id.clone(),
        result: Ok(()),
    }));
    assert!(matches!(fx.as_slice(), [Effect::RefreshRuns]));
}

#[test]
fn damaged_runs_can_be_deleted() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    a.update(key(KeyCode::End));
    a.update(ch('d'));
    a.update(ch('y'));
    assert!(matches!(&a.notice, Some(Notice::Info(m)) if m.contains("lenet-beef")));
}

#[test]
fn new_run_from_a_saved_runs_settings() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    while a.runs.current().unwrap().record().map(|r| r.config.model) != Some(Arch::Cnn) {
        a.update(ch('j'));
    }
    a.update(ch('n'));
    assert_eq!(a.view, View::Train);
    assert_eq!(a.form.settings.model, Arch::Cnn);
    assert_eq!(a.form.settings.lr, 0.002);
    assert_eq!(a.form.settings.batch_size, 128);
    assert_eq!(a.form.field(), Field::Start);
}

#[test]
fn resume_asks_for_epochs_and_starts_a_resume_job() {
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(store_listing());
    while a.runs.current().unwrap().record().map(|r| r.config.model) != Some(Arch::Mlp) {
        a.update(ch('j'));
    }
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('r'));
    assert!(
        matches!(&a.modal, Some(Modal::Input { purpose: InputPurpose::ResumeEpochs(r), .. }) if *r == id)
    );
    type_str(&mut a, "2");
    let fx = a.update(key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::StartTraining(
                TrainJob::Resume {
                    run_id,
                    more_epochs,
                },
                _,
            ),
        ] => {
            assert_eq!(run_id, &id);
            assert_eq!(*more_epochs, 2);
        }
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(a.view, View::Train);
    let s = a.session.as_ref().unwrap();
    assert_eq!(s.epochs.len(), 3, "history is on the charts");
    assert_eq!(s.settings.epochs, 5);
}

#[test]
fn mouse_clicks_select_tabs_fields_and_rows() {
    let mut a = ready_app();
    let screen = layout::screen(a.size).unwrap();
    let tabs = layout::tab_rects(screen.tabs);
    let (_, runs_tab) = tabs[1];
    a.update(click(runs_tab.x + 1, runs_tab.y));
    assert_eq!(a.view, View::Runs);

    a.update(store_listing());
    let table = layout::runs(screen.body).table;
    // Header line: sorts by that column, the cursor staying on its run; third row:
    // the cursor moves there.
    let selected = a.runs.current().map(|e| e.id().to_string());
    a.update(click(table.x + 3, table.y + 1));
    assert_eq!(a.runs.sort, SortColumn::ALL[0]);
    assert_eq!(a.runs.current().map(|e| e.id().to_string()), selected);
    a.update(click(table.x + 3, table.y + 4));
    assert_eq!(a.runs.cursor, 2);
    // Outside the table's rows: ignored.
    a.update(click(table.x + 3, table.y + 10));
    assert_eq!(a.runs.cursor, 2);

    let (_, train_tab) = tabs[0];
    a.update(click(train_tab.x, train_tab.y));
    assert_eq!(a.view, View::Train);
    let form = layout::train(screen.body).form;
    let row = layout::form_row(form, field("epochs").index());
    a.update(click(row.x + 1, row.y));
    assert_eq!(a.form.field(), field("epochs"));
}

#[test]
fn wheel_scrolls_the_runs_table() {
    let mut a = app();
    a.update(Msg::Resize(80, 22));
    a.update(ch('2'));
    let runs: Vec<_> = (0..30)
        .map(|i| record(i, Arch::Mlp, 0.001, 64, 1, 0.9))
        .collect();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    let visible = a.table_rows_visible();
    assert!(visible < 30);
    a.update(wheel(true, 10, 5));
    assert_eq!(a.runs.offset, 3);
    assert!(a.runs.cursor >= 3);
    a.update(wheel(false, 10, 5));
    assert_eq!(a.runs.offset, 0);
    a.update(key(KeyCode::End));
    assert_eq!(a.runs.cursor, 29);
    assert_eq!(a.runs.offset, 30 - visible);
}

#[test]
fn clicks_on_a_tiny_terminal_are_ignored() {
    let mut a = app();
    a.update(Msg::Resize(20, 5));
    a.update(click(12, 0));
    assert_eq!(a.view, View::Train);
    a.size = Rect::new(0, 0, 1, 1);
    a.update(wheel(true, 0, 0));
}

#[test]
fn ticks_poll_the_store_every_two_seconds() {
    let mut a = app();
    let t0 = Instant::now();
    assert!(matches!(
        a.update(Msg::Tick(t0)).as_slice(),
        [Effect::RefreshRuns]
    ));
    assert!(
        a.update(Msg::Tick(t0 + Duration::from_millis(500)))
            .is_empty()
    );
    assert!(matches!(
        a.update(Msg::Tick(t0 + Duration::from_millis(2_100)))
            .as_slice(),
        [Effect::RefreshRuns]
    ));
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
    assert_eq!(a.session.as_ref().unwrap().elapsed, Duration::from_secs(15));
    assert!(a.session.as_ref().unwrap().eta().is_some());
}

#[test]
fn missing_data_can_be_downloaded_then_loaded() {
    let mut a = app();
    a.update(Msg::Data(DataMsg::Missing(
        "data/train-images-idx3-ubyte: missing".into(),
    )));
    assert!(matches!(a.data, DataState::Missing { .. }));
    let fx = a.update(ch('D'));
    assert!(matches!(fx.as_slice(), [Effect::DownloadData]));
    assert!(matches!(a.data, DataState::Downloading(_)));
    let fx = a.update(Msg::Data(DataMsg::Downloaded(Ok(()))));
    assert!(matches!(fx.as_slice(), [Effect::LoadData]));
    assert!(matches!(a.data, DataState::Loading));
    a.update(Msg::Data(DataMsg::Failed("bad magic".into())));
    let fx = a.update(ch('R'));
    assert!(matches!(fx.as_slice(), [Effect::LoadData]));
}

#[test]
fn a_failed_download_explains_itself() {
    let mut a = app();
    a.update(Msg::Data(DataMsg::Missing("missing".into())));
    a.update(ch('D'));
    a.update(Msg::Data(DataMsg::Downloaded(Err("no network".into()))));
    assert!(matches!(&a.data, DataState::Missing { message } if message.contains("no network")));
}

#[test]
fn notices_expire_after_a_few_seconds() {
    let mut a = ready_app();
    a.update(ch('x'));
    assert!(a.notice.is_some());
    let t0 = Instant::now();
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(t0 + Duration::from_secs(2)));
    assert!(a.notice.is_some());
    a.update(Msg::Tick(t0 + Duration::from_secs(6)));
    assert!(a.notice.is_none());
}

mod digit_view {
    use super::*;
    use mnist_tui::tui::digit::layout as digit_layout;
    use mnist_tui::tui::digit::state::{DigitEffect, DigitMode, DigitMsg, Gallery, Verdict};
    use mnist_tui::tui::digit::tasks;
    use ratatui::crossterm::event::{MouseButton, MouseEventKind};

    fn canvas_cells() -> Rect {
        let body = layout::screen(Rect::new(0, 0, 120, 40)).unwrap().body;
        digit_layout::canvas_cells(digit_layout::digit(body).big).unwrap()
    }

    /// Drags from canvas pixel `from` to `to` (pixel coordinates) with `button`.
    fn drag(
        a: &mut mnist_tui::tui::app::App,
        button: MouseButton,
        from: (u16, u16),
        to: (u16, u16),
    ) {
        let c = canvas_cells();
        let cell = |(px, py): (u16, u16)| (c.x + px * 2, c.y + py);
        let (x, y) = cell(from);
        update_settled(a, mouse(MouseEventKind::Down(button), x, y));
        let steps = 8;
        for i in 1..=steps {
            let px = from.0 as i32 + (to.0 as i32 - from.0 as i32) * i / steps;
            let py = from.1 as i32 + (to.1 as i32 - from.1 as i32) * i / steps;
            let (x, y) = cell((px as u16, py as u16));
            update_settled(a, mouse(MouseEventKind::Drag(button), x, y));
        }
        update_settled(a, mouse(MouseEventKind::Up(button), x, y));
    }

    /// The one prediction request among `effects`.
    fn predict_effect(effects: &[Effect]) -> DigitEffect {
        match effects {
            [Effect::Digit(e @ DigitEffect::Predict { .. })] => e.clone(),
            other => panic!("expected one Predict effect, got {other:?}"),
        }
    }

    fn no_store() -> mnist_tui::runs::RunStore {
        mnist_tui::runs::RunStore::new(std::env::temp_dir().join("mnist-tui-no-runs"))
    }

    #[test]
    fn a_drag_asks_for_a_prediction_instead_of_running_the_model() {
        let mut a = digit_app();
        let c = canvas_cells();
        let effects = a.update(mouse(
            MouseEventKind::Down(MouseButton::Left),
            c.x + 28,
            c.y + 8,
        ));
        let e = predict_effect(&effects);
        assert!(matches!(e, DigitEffect::Predict { seq, .. } if seq == a.digit.infer_seq));
        assert!(
            matches!(
                a.digit.verdict,
                Verdict::Digit {
                    prediction: None,
                    ..
                }
            ),
            "update itself predicts nothing: {:?}",
            a.digit.verdict
        );
        let effects = a.update(mouse(
            MouseEventKind::Drag(MouseButton::Left),
            c.x + 28,
            c.y + 20,
        ));
        predict_effect(&effects);
        assert!(a.digit.prediction().is_none());
        // The runtime's task runs the model; its result is the prediction shown.
        let msg = mnist_tui::tui::digit::tasks::perform(predict_effect(&effects), &no_store());
        let want = match &msg {
            DigitMsg::Predicted { result: Ok(p), .. } => *p,
            other => panic!("{other:?}"),
        };
        a.update(Msg::Digit(msg));
        assert_eq!(a.digit.prediction(), Some(&want));
    }

    #[test]
    fn a_prediction_for_an_older_drawing_is_dropped() {
        let mut a = digit_app();
        let c = canvas_cells();
        let down = mouse(MouseEventKind::Down(MouseButton::Left), c.x + 28, c.y + 8);
        let older = predict_effect(&a.update(down));
        let newer = predict_effect(&a.update(mouse(
            MouseEventKind::Drag(MouseButton::Left),
            c.x + 10,
            c.y + 22,
        )));
        let store = no_store();
        let older = mnist_tui::tui::digit::tasks::perform(older, &store);
        let newer = mnist_tui::tui::digit::tasks::perform(newer, &store);
        let (
            DigitMsg::Predicted { result: Ok(po), .. },
            DigitMsg::Predicted { result: Ok(pn), .. },
        ) = (&older, &newer)
        else {
            panic!("{older:?} {newer:?}");
        };
        assert_ne!(po.probabilities, pn.probabilities, "two different inputs");
        let pn = *pn;
        // The older drawing's result alone is not shown...
        a.update(Msg::Digit(older.clone()));
        assert!(a.digit.prediction().is_none());
        // ...nor does it overwrite the newer one when it arrives late.
        a.update(Msg::Digit(newer));
        a.update(Msg::Digit(older));
        assert_eq!(a.digit.prediction(), Some(&pn));
    }

    #[test]
    fn a_failed_prediction_is_shown() {
        let mut a = digit_app();
        let c = canvas_cells();
        a.update(mouse(
            MouseEventKind::Down(MouseButton::Left),
            c.x + 28,
            c.y + 8,
        ));
        a.update(Msg::Digit(DigitMsg::Predicted {
            seq: a.digit.infer_seq,
            result: Err("out of cheese".into()),
        }));
        assert!(a.digit.prediction().is_none());
        assert_eq!(a.digit.prediction_error.as_deref(), Some("out of cheese"));
        assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("out of cheese")));
    }

    #[test]
    fn a_panicking_model_load_ends_the_loading_with_its_error() {
        let mut a = digit_app();
        let effects = a.update(ch('m'));
        let [Effect::Digit(load @ DigitEffect::LoadModel(_))] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert!(a.digit.model_loading);
        let msg = tasks::guarded(tasks::Task::of(load), || panic!("weights on fire"));
        a.update(Msg::Digit(msg));
        assert!(!a.digit.model_loading, "no longer loading");
        let e = a.digit.model_error.clone().unwrap_or_default();
        assert!(e.contains("weights on fire"), "{e}");
        assert!(matches!(&a.notice, Some(Notice::Error(n)) if n.contains("weights on fire")));
    }

    #[test]
    fn a_panicking_image_load_or_gallery_reports_its_failure() {
        let mut a = digit_app();
        a.update(ch('o'));
        type_str(&mut a, "x.png");
        let effects = a.update(key(KeyCode::Enter));
        let [Effect::Digit(load)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert!(a.digit.image_loading.is_some());
        a.update(Msg::Digit(tasks::guarded(tasks::Task::of(load), || {
            panic!("decoder bug")
        })));
        assert!(a.digit.image_loading.is_none());
        assert!(matches!(&a.notice, Some(Notice::Error(n)) if n.contains("decoder bug")));

        let effects = a.update(ch('g'));
        let [Effect::Digit(find @ DigitEffect::FindMistakes { .. })] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        a.update(Msg::Digit(tasks::guarded(tasks::Task::of(find), || {
            panic!("index out of bounds")
        })));
        assert!(
            matches!(&a.digit.gallery, Some(Gallery::Failed(_, e)) if e.contains("index out of bounds")),
            "{:?}",
            a.digit.gallery
        );
    }

    #[test]
    fn mouse_draws_erases_and_prediction_follows() {
        let mut a = digit_app();
        assert!(a.digit.predictor.is_some());
        assert_eq!(a.digit.verdict, Verdict::Nothing);
        // A vertical stroke (a "1") down the middle.
        drag(&mut a, MouseButton::Left, (14, 5), (14, 22));
        assert!(a.digit.canvas.get(14, 5) > 0.5 && a.digit.canvas.get(14, 22) > 0.5);
        assert!(
            a.digit.canvas.get(14, 14) > 0.5,
            "drag positions are joined"
        );
        assert_eq!(a.digit.canvas.get(3, 14), 0.0);
        let first = *a.digit.prediction().expect("predicted while drawing");
        // A horizontal stroke changes the input and so the probabilities.
        drag(&mut a, MouseButton::Left, (6, 10), (22, 10));
        let second = *a.digit.prediction().unwrap();
        assert_ne!(first.probabilities, second.probabilities);
        // The right button erases the horizontal stroke's left end.
        drag(&mut a, MouseButton::Right, (5, 10), (10, 10));
        assert_eq!(a.digit.canvas.get(7, 10), 0.0);
        assert!(a.digit.canvas.get(14, 20) > 0.5, "the rest stays");
        // c clears; the prediction goes with it.
        a.update(ch('c'));
        assert!(a.digit.canvas.is_empty());
        assert_eq!(a.digit.verdict, Verdict::Nothing);
        // Clicks outside the canvas draw nothing; tabs still work with the mouse.
        a.update(click(118, 20));
        assert!(a.digit.canvas.is_empty());
    }

    #[test]
    fn save_asks_for_a_png_and_refuses_an_empty_canvas() {
        let mut a = digit_app();
        assert!(a.update(ch('w')).is_empty());
        assert!(matches!(a.notice, Some(Notice::Error(_))));
        let c = canvas_cells();
        a.update(mouse(
            MouseEventKind::Down(MouseButton::Left),
            c.x + 20,
            c.y + 10,
        ));
        let effects = a.update(ch('w'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Digit(DigitEffect::SaveDrawing(_))]
        ));
    }

    #[test]
    fn path_field_takes_printable_keys_and_esc_leaves() {
        let mut a = digit_app();
        a.update(ch('o'));
        assert!(a.digit.editing);
        type_str(&mut a, "q1?2 x.png");
        assert_eq!(a.digit.path.text(), "q1?2 x.png");
        assert_eq!(a.view, View::Digit);
        assert!(!a.should_quit() && a.modal.is_none());
        a.update(key(KeyCode::Backspace));
        assert_eq!(a.digit.path.text(), "q1?2 x.pn");
        a.update(key(KeyCode::Esc));
        assert!(!a.digit.editing);
        a.update(ch('2'));
        assert_eq!(a.view, View::Runs, "global keys work again");
    }

    #[test]
    fn enter_loads_the_image_and_tab_completes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("seven.png"), b"x").unwrap();
        let mut a = digit_app();
        a.update(ch('/'));
        type_str(&mut a, &format!("{}/se", dir.path().display()));
        let typed = a.digit.path.text().to_string();
        let effects = a.update(key(KeyCode::Tab));
        let [Effect::Digit(complete @ DigitEffect::CompletePath { .. })] = effects.as_slice()
        else {
            panic!("Tab asks for a completion: {effects:?}");
        };
        assert_eq!(a.digit.path.text(), typed, "no directory read in update");
        let done = tasks::perform(complete.clone(), &no_store());
        a.update(Msg::Digit(done.clone()));
        let want = dir.path().join("seven.png");
        assert_eq!(a.digit.path.text(), want.display().to_string());
        // A completion of older text (typed on meanwhile) is dropped.
        a.update(key(KeyCode::Backspace));
        a.update(Msg::Digit(done));
        assert!(
            a.digit.path.text().ends_with("seven.pn"),
            "{}",
            a.digit.path.text()
        );
        a.update(ch('g'));
        assert_eq!(
            a.view,
            View::Digit,
            "Tab completes instead of switching views"
        );
        let effects = a.update(key(KeyCode::Enter));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Digit(DigitEffect::LoadImage(p))] if *p == want
        ));
        // The runtime's loader says why this "image" is not one.
        let err = mnist_tui::tui::digit::tasks::load_image(&want).unwrap_err();
        assert!(err.contains("not an image"), "{err}");
    }

    #[test]
    fn models_cycle_and_gallery_asks_for_mistakes() {
        let mut a = digit_app();
        let first = a.digit.model_id.clone().unwrap();
        let effects = a.update(ch('m'));
        let next = a.digit.model_id.clone().unwrap();
        assert_ne!(first, next, "two finished runs to cycle through");
        assert!(
            matches!(effects.as_slice(), [Effect::Digit(DigitEffect::LoadModel(r))] if r.id == next)
        );
        assert!(a.digit.predictor.is_none() && a.digit.model_loading);
        a.update(ch('M'));
        assert_eq!(a.digit.model_id.as_deref(), Some(first.as_str()));
        // No model loaded now: the gallery says so instead of starting.
        assert!(a.update(ch('g')).is_empty());
        assert_ne!(a.digit.mode, DigitMode::Gallery);
        let mut a = digit_app();
        let effects = a.update(ch('g'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Digit(DigitEffect::FindMistakes { .. })]
        ));
        assert_eq!(a.digit.mode, DigitMode::Gallery);
        a.update(key(KeyCode::Esc));
        assert_eq!(a.digit.mode, DigitMode::Draw);
    }
}

/// What `mnist-tui train --model <model>` would train, with no config file.
fn cli_settings(model: Arch) -> mnist_tui::train::TrainSettings {
    let flags = mnist_tui::train::TrainOverrides {
        model: Some(model),
        ..Default::default()
    };
    mnist_tui::train::TrainSettings::resolve(&[&flags])
}

fn started_settings(effects: &[Effect]) -> mnist_tui::train::TrainSettings {
    match effects {
        [Effect::StartTraining(TrainJob::New(s), _)] => s.clone(),
        other => panic!("unexpected effects {other:?}"),
    }
}

#[test]
fn the_dashboards_tutorial_run_uses_the_tutorials_constant_schedule() {
    let mut a = ready_app();
    assert_eq!(
        a.form.settings.lr_schedule,
        mnist_tui::train::LrSchedule::Cosine
    );
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    let s = started_settings(&a.update(ch('s')));
    assert_eq!(s.model, Arch::TutorialMlp);
    assert_eq!(s.lr_schedule, mnist_tui::train::LrSchedule::Constant);
    assert_eq!(
        s,
        cli_settings(Arch::TutorialMlp),
        "the dashboard and `train --model tutorial-mlp` train the same recipe"
    );
}

#[test]
fn every_model_switch_matches_the_command_lines_defaults() {
    let mut a = ready_app();
    select_field(&mut a, field("model"));
    for _ in 0..Arch::ALL.len() {
        a.update(key(KeyCode::Right));
        let model = a.form.settings.model;
        assert_eq!(a.form.settings, cli_settings(model), "{model}");
    }
}

#[test]
fn a_loaded_runs_model_dependent_settings_follow_a_model_switch() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    while a.runs.current().unwrap().record().map(|r| r.config.model) != Some(Arch::Mlp) {
        a.update(ch('j'));
    }
    a.update(ch('n'));
    assert_eq!(a.form.settings.lr, 0.001, "the run's own rate is kept");
    assert!(a.form.is_edited(field("lr")));
    assert!(!a.form.is_edited(field("lr_schedule")));
    select_field(&mut a, field("model"));
    a.update(key(KeyCode::Left)); // mlp -> tutorial-mlp
    assert_eq!(
        a.form.settings.lr_schedule,
        mnist_tui::train::LrSchedule::Constant
    );
    assert!(!a.form.settings.normalize);
    assert_eq!(a.form.settings.lr, 0.001, "edited values stay");
}

#[test]
fn every_setting_can_be_stepped_and_typed_in_the_form() {
    for row in mnist_tui::train::SETTINGS {
        let mut a = ready_app();
        select_field(&mut a, Field::Setting(row));
        let before = a.form.settings.clone();
        a.update(key(KeyCode::Right));
        if row.same(&before, &a.form.settings) {
            a.update(key(KeyCode::Left));
            a.update(key(KeyCode::Left));
        }
        assert!(
            !row.same(&before, &a.form.settings),
            "{} does not move with ←/→",
            row.name
        );
        if row.is_typed() {
            let mut a = ready_app();
            select_field(&mut a, Field::Setting(row));
            a.update(key(KeyCode::Enter));
            assert!(a.form.editing.is_some(), "{} is not typed", row.name);
            let mut target = a.form.settings.clone();
            assert!(row.step_in(&mut target, -1) || row.step_in(&mut target, 1));
            type_str(&mut a, &row.show(&target));
            a.update(key(KeyCode::Enter));
            assert!(a.form.error.is_none(), "{}: {:?}", row.name, a.form.error);
            assert!(row.same(&target, &a.form.settings), "{}", row.name);
        }
    }
}

#[test]
fn keys_rebound_in_the_config_drive_the_app() {
    use mnist_tui::tui::keymap::{Action, Key};
    let mut config = mnist_tui::config::Config::default();
    config
        .ui
        .keys
        .insert(Action::Start, vec!["F5".parse::<Key>().unwrap()]);
    let mut a = mnist_tui::tui::app::App::new(
        &config,
        std::path::PathBuf::from("data"),
        mnist_tui::tui::theme::Theme::default(),
    );
    a.update(Msg::Data(
        mnist_tui::tui::app::DataMsg::Loaded(fake_mnist()),
    ));
    assert!(a.update(ch('s')).is_empty(), "s no longer starts");
    let fx = a.update(key(KeyCode::F(5)));
    assert!(
        matches!(fx.as_slice(), [Effect::StartTraining(..)]),
        "{fx:?}"
    );
}

#[test]
fn the_digit_views_default_model_is_the_stores_best_run_with_weights() {
    // The store found no finished run with weights: finished records alone do not make
    // a default model (their weights may be missing).
    let mut a = ready_app();
    let runs = vec![record(1, Arch::Mlp, 0.001, 64, 3, 0.95)];
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: runs.clone(),
        damaged: vec![],
        best: None,
    }));
    assert!(a.update(ch('3')).is_empty());
    assert!(a.digit.model_id.is_none());
    // Once the store names one, entering the view loads it.
    let id = runs[0].id.clone();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: Some(id.clone()),
    }));
    assert_eq!(a.digit.model_id.as_deref(), Some(id.as_str()));
}

/// A key press with modifiers.
fn with_mods(code: KeyCode, modifiers: ratatui::crossterm::event::KeyModifiers) -> Msg {
    Msg::Key(ratatui::crossterm::event::KeyEvent::new(code, modifiers))
}

#[test]
fn form_fields_have_a_cursor_and_home_end() {
    let mut a = ready_app();
    select_field(&mut a, field("lr"));
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "0.5");
    a.update(key(KeyCode::Left));
    a.update(ch('0'));
    let input = a.form.editing.clone().expect("still editing");
    assert_eq!(
        (input.text(), input.cursor()),
        ("0.05", 3),
        "typed at the cursor"
    );
    a.update(key(KeyCode::Home));
    assert_eq!(a.form.editing.as_ref().map(|i| i.cursor()), Some(0));
    a.update(key(KeyCode::End));
    assert_eq!(a.form.editing.as_ref().map(|i| i.cursor()), Some(4));
    assert_eq!(a.view, View::Train);
    a.update(key(KeyCode::Enter));
    assert!(a.form.editing.is_none());
    assert_eq!(a.form.settings.lr, 0.05);
}

#[test]
fn run_dialog_fields_edit_at_the_cursor() {
    use ratatui::crossterm::event::KeyModifiers;
    let mut a = training_app();
    a.update(ch('l'));
    type_str(&mut a, "0.01");
    a.update(key(KeyCode::Left));
    a.update(key(KeyCode::Backspace));
    let Some(Modal::Input { input, .. }) = &a.modal else {
        panic!("{:?}", a.modal);
    };
    assert_eq!((input.text(), input.cursor()), ("0.1", 2));
    let fx = a.update(key(KeyCode::Enter));
    assert!(has_control(&fx, Control::SetLr(0.1)), "{fx:?}");
    // Ctrl-U empties the field.
    a.update(ch('l'));
    type_str(&mut a, "0.3");
    a.update(with_mods(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert!(matches!(&a.modal, Some(Modal::Input { input, .. }) if input.text().is_empty()));
}

#[test]
fn the_path_field_deletes_words_and_moves_home_and_end() {
    use ratatui::crossterm::event::KeyModifiers;
    let mut a = digit_app();
    a.update(ch('o'));
    type_str(&mut a, "some/dir/seven.png");
    a.update(with_mods(KeyCode::Char('w'), KeyModifiers::CONTROL));
    assert_eq!(a.digit.path.text(), "some/dir/", "the file name goes");
    a.update(with_mods(KeyCode::Backspace, KeyModifiers::ALT));
    assert_eq!(a.digit.path.text(), "some/", "then the folder");
    a.update(key(KeyCode::Home));
    a.update(ch('x'));
    assert_eq!((a.digit.path.text(), a.digit.path.cursor()), ("xsome/", 1));
    a.update(key(KeyCode::End));
    assert_eq!(a.digit.path.cursor(), "xsome/".len());
    a.update(with_mods(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(a.digit.path.text(), "");
    assert!(a.digit.editing && a.view == View::Digit);
}

/// The started point of `effects`: its sweep point and settings.
fn started_point(effects: &[Effect]) -> Option<(usize, mnist_tui::train::TrainSettings)> {
    effects.iter().find_map(|e| match e {
        Effect::StartTraining(TrainJob::Point { settings, sweep }, _) => {
            Some((sweep.point, settings.clone()))
        }
        _ => None,
    })
}

#[test]
fn a_sweep_typed_in_its_dialog_is_saved_then_runs_point_after_point() {
    let mut a = ready_app();
    a.update(ch('S'));
    assert!(matches!(a.modal, Some(Modal::Input { .. })));
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
    assert!(file.points.iter().all(|p| p.model == a.form.settings.model));
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
    let q = a.sweep.as_ref().unwrap();
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
    assert!(a.sweep.as_ref().unwrap().paused);
    let resumed = a.update(ch('P'));
    assert_eq!(started_point(&resumed).map(|p| p.0), Some(3));
    // Cancelling stops the running point and drops the queue.
    let cancel = a.update(ch('X'));
    assert!(has_control(&cancel, Control::Stop));
    assert!(a.sweep.is_none());
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
        Some(Modal::Input { error: Some(e), .. }) => {
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
    assert!(a.sweep.is_none());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("read-only")));
}

#[test]
fn stopping_a_point_pauses_the_sweep_and_continuing_resumes_that_point() {
    let mut a = sweeping_app();
    let settings = a.sweep.as_ref().unwrap().file.points[0].clone();
    let [started, _] = point_events("20261201-090000-mlp-0001", &settings, 0.9)
        .try_into()
        .unwrap();
    a.update(Msg::Train(started));
    a.update(Msg::Train(TrainEvent::EpochEnd(
        mnist_tui::train::EpochMetrics {
            epoch: 1,
            train_loss: 0.3,
            train_acc: 0.9,
            test_loss: 0.3,
            test_acc: 0.9,
            seconds: 1.0,
            dead_outputs: vec![],
        },
    )));
    assert!(has_control(&a.update(ch('x')), Control::Stop));
    let after = a.update(Msg::Train(TrainEvent::Stopped));
    assert!(started_point(&after).is_none());
    let q = a.sweep.as_ref().unwrap();
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
fn the_runs_view_groups_a_sweeps_runs_over_seeds() {
    let mut a = ready_app();
    let runs = sweep_runs(&[
        (0.01, 1, 0.90),
        (0.01, 2, 0.80),
        (0.1, 1, 0.70),
        (0.1, 2, 0.50),
    ]);
    show_sweep_groups(&mut a, runs);
    let Some(Modal::Groups { title, lines, .. }) = &a.modal else {
        panic!("{:?}", a.modal)
    };
    assert_eq!(title, "Sweep abcdef0123: 4 of 4 points finished");
    let text = lines.join("\n");
    assert!(
        text.contains("85.00%") && text.contains("80.00%–90.00%"),
        "{text}"
    );
    assert!(
        text.contains("60.00%") && text.contains("50.00%–70.00%"),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.starts_with("* 0.01")), "{text}");
    assert!(text.contains("which setting matters"), "{text}");
    a.update(key(KeyCode::Esc));
    assert!(a.modal.is_none());
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
        a.sweep
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
    assert_eq!(a.sweep.as_ref().unwrap().selected_point(), Some(4));
    a.update(ch('N'));
    assert_eq!(order(&a), vec![4, 2, 3]);
    a.update(ch(']'));
    assert_eq!(a.sweep.as_ref().unwrap().selected_point(), Some(2));
    let settings = a.sweep.as_ref().unwrap().file.points[0].clone();
    let mut next = Vec::new();
    for e in point_events("20261201-090000-mlp-0001", &settings, 0.9) {
        next = a.update(Msg::Train(e));
    }
    assert_eq!(started_point(&next).map(|p| (p.0, p.1.seed)), Some((4, 4)));
    assert_eq!(order(&a), vec![2, 3]);
}
