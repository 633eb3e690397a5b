//! Keys as the user has them: hints and notices that name a key follow `config.ron`,
//! and an action the key bar leaves out does nothing.

use super::*;
use mnist_tui::runs::RunStatus;
use mnist_tui::tui::actions::available;
use mnist_tui::tui::app::{Effect, Notice};
use mnist_tui::tui::keymap::{Action, BINDINGS, Key};

/// Every action whose key some hint or notice names, rebound to a key no default uses.
const REBOUND: &[(Action, &str)] = &[
    (Action::Stop, "F2"),
    (Action::Start, "F3"),
    (Action::Download, "F4"),
    (Action::RetryData, "F6"),
    (Action::PauseSweep, "F7"),
    (Action::CancelSweep, "F8"),
    (Action::AddEpoch, "F9"),
    (Action::Groups, "F10"),
    (Action::Mark, "F11"),
    (Action::OpenPath, "F12"),
    (Action::NextModel, "Ctrl-n"),
    (Action::ShowTrain, "Ctrl-t"),
    (Action::Sweep, "Ctrl-s"),
    (Action::Gallery, "Ctrl-g"),
    (Action::DrawMode, "Ctrl-d"),
    (Action::Back, "Ctrl-b"),
    (Action::Quit, "Ctrl-q"),
    (Action::PrevModel, "Ctrl-p"),
    (Action::ClearCanvas, "Ctrl-x"),
    (Action::SaveDrawing, "Ctrl-w"),
    (Action::Delete, "Ctrl-e"),
    (Action::SaveNetwork, "Ctrl-v"),
];

fn rebound(action: Action) -> Key {
    let (_, k) = REBOUND.iter().find(|(a, _)| *a == action).unwrap();
    k.parse().unwrap()
}

fn press(a: &mut App, action: Action) -> Vec<Effect> {
    a.update(Msg::Key(rebound(action).to_event()))
}

/// An app whose config rebinds every action of [`REBOUND`], at 120×40, data `loaded`.
fn rebound_app(loaded: bool) -> App {
    let mut config = mnist_tui::config::Config::default();
    for (action, key) in REBOUND {
        config.ui.keys.insert(*action, vec![key.parse().unwrap()]);
    }
    let mut a = App::new(&config, "data".into(), Theme::default());
    a.update(Msg::Resize(120, 40));
    if loaded {
        a.update(Msg::Data(DataMsg::Loaded(fake_mnist())));
    } else {
        a.update(mnist_missing("no MNIST here"));
    }
    a
}

fn training(a: &mut App) {
    press(a, Action::Start);
    for e in training_events() {
        a.update(Msg::Train(e));
    }
}

fn notice(a: &App) -> String {
    match &a.notice {
        Some(Notice::Info(m)) | Some(Notice::Error(m)) => m.clone(),
        None => String::new(),
    }
}

/// Asserts that `text` names `action`'s rebound key (and so not its default).
fn names(text: &str, action: Action, what: &str) {
    let key = rebound(action).to_string();
    assert!(text.contains(&key), "{what} should name {key}: {text:?}");
}

#[test]
fn a_rebound_key_is_named_by_the_key_bar_the_help_and_every_notice() {
    // Key bar and help.
    let mut a = rebound_app(true);
    let bar = screen(&mut a, 200, 50);
    let bar = bar.lines().last().unwrap_or("");
    names(bar, Action::Start, "the key bar");
    names(bar, Action::Sweep, "the key bar");
    names(bar, Action::Quit, "the key bar");
    let help: String = mnist_tui::tui::dialogs::help::lines(&a)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    for (action, _) in REBOUND {
        names(&help, *action, "the help");
    }
    // The idle Train view says how to start, with the rebound key only.
    let idle = screen(&mut a, 120, 40);
    names(&idle, Action::Start, "the Train view");
    names(&idle, Action::SaveNetwork, "the network panel");
    let lower = idle.to_lowercase();
    assert!(
        !lower.contains("press s") && !idle.contains("(s)"),
        "the default start key is still named:\n{idle}"
    );
    assert_eq!(
        idle.matches("F3").count(),
        4,
        "form, chart, Run panel, key bar:\n{idle}"
    );

    // Train view notices.
    let mut a = rebound_app(true);
    training(&mut a);
    press(&mut a, Action::Start);
    names(&notice(&a), Action::Stop, "'already active'");
    a.update(key(KeyCode::Left));
    names(&notice(&a), Action::AddEpoch, "'settings are locked'");
    press(&mut a, Action::Sweep);
    names(&notice(&a), Action::Stop, "'already active' (sweep)");

    let mut a = rebound_app(true);
    press(&mut a, Action::PauseSweep);
    names(&notice(&a), Action::Sweep, "'no sweep'");

    let mut a = rebound_app(false);
    press(&mut a, Action::Start);
    names(&notice(&a), Action::Download, "'MNIST is missing'");
    let panel = screen(&mut a, 120, 40);
    names(&panel, Action::Download, "the data panel");
    names(&panel, Action::RetryData, "the data panel");
    assert!(
        !panel.contains("(D downloads)") && !panel.contains("press D"),
        "{panel}"
    );

    // A sweep's point stopped, paused, and the sweep done.
    let mut a = rebound_app(true);
    press(&mut a, Action::Sweep);
    type_str(&mut a, "seeds 1,2");
    a.update(key(KeyCode::Enter));
    a.update(Msg::SweepSaved(Ok(())));
    let settings = a
        .train
        .sweep
        .as_ref()
        .unwrap_or_else(|| panic!("{:?} {:?}", a.modal, a.notice))
        .file
        .points[0]
        .clone();
    let [started, _] = point_events("20261201-090000-mlp-0001", &settings, 0.9)
        .try_into()
        .unwrap();
    a.update(Msg::Train(started.clone()));
    a.update(Msg::Train(mnist_tui::train::TrainEvent::Stopped));
    names(&notice(&a), Action::PauseSweep, "'point stopped'");
    names(&notice(&a), Action::CancelSweep, "'point stopped'");
    press(&mut a, Action::PauseSweep); // continues: the point starts again
    a.update(Msg::Train(started));
    press(&mut a, Action::PauseSweep);
    names(&notice(&a), Action::PauseSweep, "'sweep paused'");
    press(&mut a, Action::PauseSweep);
    let done = |a: &mut App| {
        a.update(Msg::Train(mnist_tui::train::TrainEvent::Finished {
            test_acc: 0.9,
        }))
    };
    done(&mut a);
    let settings = a.train.sweep.as_ref().unwrap().file.points[1].clone();
    let [started, _] = point_events("20261201-090000-mlp-0002", &settings, 0.9)
        .try_into()
        .unwrap();
    a.update(Msg::Train(started));
    done(&mut a);
    names(&notice(&a), Action::Groups, "'sweep done'");

    // Runs view notices.
    let mut a = rebound_app(true);
    a.update(ch('2'));
    a.update(store_listing());
    a.update(key(KeyCode::End));
    names(
        &screen(&mut a, 120, 40),
        Action::Delete,
        "a damaged run's panel",
    );
    a.update(key(KeyCode::Home));
    a.update(ch('n'));
    names(&notice(&a), Action::Start, "'settings copied'");
    a.update(ch('2'));
    press(&mut a, Action::Groups);
    names(&notice(&a), Action::Mark, "'not part of a sweep'");
    a.update(ch('1'));
    training(&mut a);
    a.update(ch('2'));
    a.update(ch('r'));
    names(&notice(&a), Action::Stop, "'already active' (resume)");
    let id = a.train.session.as_ref().unwrap().run_id.clone().unwrap();
    let mut listing = a.runs.entries.clone();
    if let Some(mnist_tui::tui::runs::table::RunEntry::Ok(r)) = listing.first_mut() {
        r.id = id;
        r.status = RunStatus::Running;
    }
    let runs: Vec<_> = listing.iter().filter_map(|e| e.record().cloned()).collect();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    let row = a
        .runs
        .rows()
        .position(|e| Some(e.id()) == a.train.session.as_ref().and_then(|s| s.run_id.as_deref()))
        .unwrap();
    for _ in 0..row {
        a.update(key(KeyCode::Down));
    }
    press(&mut a, Action::Delete);
    names(&notice(&a), Action::Stop, "'being trained'");

    // Digit view notices and panels.
    let mut a = rebound_app(true);
    a.update(ch('3'));
    let drawing = screen(&mut a, 120, 40);
    for action in [
        Action::OpenPath,
        Action::NextModel,
        Action::PrevModel,
        Action::ClearCanvas,
        Action::SaveDrawing,
    ] {
        names(&drawing, action, "the Digit view's header");
    }
    assert!(
        !drawing.contains("m/M") && !drawing.contains(" o opens"),
        "{drawing}"
    );
    press(&mut a, Action::NextModel);
    names(&notice(&a), Action::ShowTrain, "'no finished run'");
    press(&mut a, Action::Gallery);
    names(&notice(&a), Action::NextModel, "'no model loaded'");
    a.update(ch('i'));
    names(&notice(&a), Action::OpenPath, "'no image loaded'");
    a.update(key(KeyCode::Up));
    names(&notice(&a), Action::Gallery, "'the gallery is closed'");
    a.digit.mode = mnist_tui::tui::digit::state::DigitMode::Image;
    let panel = screen(&mut a, 120, 40);
    names(&panel, Action::OpenPath, "the image panel");
    a.digit.mode = mnist_tui::tui::digit::state::DigitMode::Gallery;
    let gallery = screen(&mut a, 120, 40);
    names(&gallery, Action::Gallery, "the gallery's header");
    names(&gallery, Action::Back, "the gallery's header");
    press(&mut a, Action::OpenPath);
    names(&notice(&a), Action::Back, "'leave the gallery'");
    a.digit.mode = mnist_tui::tui::digit::state::DigitMode::Image;
    press(&mut a, Action::ClearCanvas);
    names(&notice(&a), Action::DrawMode, "'not drawing'");

    // The too-small screen says how to quit.
    let mut a = rebound_app(true);
    names(&screen(&mut a, 20, 5), Action::Quit, "the too-small screen");
}

/// The app's state without its notice, to compare before and after a key.
fn state(a: &App) -> String {
    let mut c = a.clone();
    c.notice = None;
    format!("{c:?}")
}

#[test]
fn an_action_the_key_bar_leaves_out_changes_nothing_and_says_why() {
    let mut states: Vec<(&str, App)> = vec![
        ("idle", ready_app()),
        ("training", training_app()),
        ("sweeping", sweeping_app()),
        ("digit, draw", digit_app()),
    ];
    let mut missing = app();
    missing.update(mnist_missing("no MNIST"));
    states.push(("missing data", missing));
    let mut gallery = digit_app();
    gallery.digit.mode = mnist_tui::tui::digit::state::DigitMode::Gallery;
    states.push(("digit, gallery", gallery));
    let mut image = digit_app();
    image.digit.mode = mnist_tui::tui::digit::state::DigitMode::Image;
    states.push(("digit, image", image));
    let mut browse = digit_app();
    browse.digit.mode = mnist_tui::tui::digit::state::DigitMode::Browse;
    states.push(("digit, test images", browse));
    let mut tried = 0;
    for (name, a) in &mut states {
        let scope = a.view.scope();
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            let Err(why) = available(a, scope, b.action) else {
                continue;
            };
            let bar = {
                let mut c = a.clone();
                c.notice = None;
                let s = screen(&mut c, 200, 50);
                s.lines().last().unwrap_or("").to_string()
            };
            if let Some(label) = b.bar {
                assert!(
                    !bar.contains(&format!("{} {label}", b.key)),
                    "{name}: the bar shows {:?}",
                    b.action
                );
            }
            let mut c = a.clone();
            let before = state(&c);
            let effects = c.update(Msg::Key(b.key.to_event()));
            assert!(
                effects.is_empty(),
                "{name}: {:?} asked {effects:?}",
                b.action
            );
            assert_eq!(
                state(&c),
                before,
                "{name}: {:?} changed the state",
                b.action
            );
            assert_eq!(c.notice, Some(Notice::Error(why)), "{name}: {:?}", b.action);
            tried += 1;
        }
    }
    assert!(tried > 20, "only {tried} hidden actions tried");
}

#[test]
fn a_refused_sweep_shows_its_whole_reason() {
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "max_train_sample 6400 bogus 1");
    a.update(key(KeyCode::Enter));
    let Some(mnist_tui::tui::app::Modal::Sweep(d)) = &a.modal else {
        panic!("{:?}", a.modal);
    };
    let reason = d.field.error.clone().expect("refused");
    assert!(reason.len() > 60, "a reason long enough to wrap: {reason}");
    let shown = screen(&mut a, 120, 40);
    let words: String = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    for word in reason.split_whitespace() {
        assert!(
            words.contains(word),
            "'{word}' of the reason is cut off:\n{shown}"
        );
    }
}
