//! Keys and messages that cross views: tabs, help, quitting, the mouse on tabs, ticks,
//! notices, keys rebound in the config.

use super::*;

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
    assert!(matches!(a.modal, Some(Modal::Help(_))));
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
    assert!(matches!(a.modal, Some(Modal::ConfirmQuit(_))));
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
    assert!(matches!(a.modal, Some(Modal::LearningRate(_))));
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
    let row = layout::form_row(form, field("epochs").index(), a.train.form.selected)
        .expect("epochs is shown");
    a.update(click(row.x + 1, row.y));
    assert_eq!(a.train.form.field(), field("epochs"));
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
