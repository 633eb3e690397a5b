//! End to end in a real pseudo-terminal: launch the dashboard, train two short runs,
//! find them in the Runs view, overlay them, quit; the terminal is restored and the
//! runs are on disk.

mod common;

use common::pty::PtyApp;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

#[test]
fn train_compare_and_quit_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.ron"),
        "(train: (model: mlp, epochs: 1, max_train_samples: 3200, max_test_samples: 500, \
         log_every: 10))",
    )
    .unwrap();
    let data = common::mnist_dir();
    let data = data.to_str().unwrap();
    let mut app = PtyApp::spawn(dir.path(), &["--data-dir", data], &[], 120, 40);

    // First frame at once, MNIST loads in the background.
    app.wait_text("1 Train", Duration::from_secs(20));
    assert!(
        app.alternate_screen(),
        "the dashboard uses the alternate screen"
    );
    app.wait_text("MNIST ready", LONG);

    // First run: start, the loss chart fills in, the accuracy appears.
    app.send(b"s");
    app.wait_text("run training", LONG);
    let started = Instant::now();
    app.send(b"?");
    let help_latency = app.wait_text("Keys", Duration::from_secs(20));
    eprintln!("help overlay answered in {help_latency:?} while training");
    app.send(b"\x1b");
    app.wait_text("Finished: test accuracy", LONG);
    let screen = app.screen();
    assert!(screen.contains("Loss"), "{screen}");
    assert!(screen.contains("Train    loss"), "{screen}");
    eprintln!("first run finished after {:?}", started.elapsed());

    // Second run with another seed.
    app.send(b"s");
    app.wait_for("the second run to finish", LONG, |s| {
        s.contains("Finished: test accuracy") && s.contains("run finished")
    });
    std::thread::sleep(Duration::from_millis(300));

    // Runs view: both runs listed; mark both and overlay them.
    app.send(b"2");
    let screen = app.wait_for("two runs in the table", LONG, |s| s.contains("Runs (2)"));
    let ids: Vec<String> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    for id in &ids {
        // At 120 columns the table shows ids without their date and time (the Started
        // column has them).
        let shown = id.splitn(3, '-').nth(2).unwrap_or(id);
        assert!(screen.contains(shown), "{id} not shown:\n{screen}");
    }
    for key in [b"g", b" ", b"j", b" "] {
        app.send(key);
        std::thread::sleep(Duration::from_millis(100));
    }
    app.wait_text("2 marked", Duration::from_secs(10));
    let short = |id: &str| id[id.len() - 8..].to_string();
    app.wait_for(
        "both runs in the overlay legend",
        Duration::from_secs(10),
        |s| ids.iter().all(|id| s.matches(&short(id)).count() >= 2),
    );

    // Quit: no run is active, so q quits at once and the terminal is restored.
    app.send(b"q");
    let code = app.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "exit code; screen:\n{}", app.screen());
    std::thread::sleep(Duration::from_millis(200));
    assert!(!app.alternate_screen(), "alternate screen left on exit");
    for id in &ids {
        let run = dir.path().join("runs").join(id);
        assert!(run.join("run.ron").is_file() && run.join("model.safetensors").is_file());
    }
}

#[test]
fn ctrl_c_stops_the_run_saves_it_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = training_dashboard(dir.path());
    app.send(b"\x03");
    let code = app.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "screen:\n{}", app.screen());
    std::thread::sleep(Duration::from_millis(200));
    assert!(!app.alternate_screen());
    assert_one_run_saved_as_stopped(dir.path());
}

#[test]
fn closing_the_window_quits_and_saves_the_run() {
    // A closed window (or a killed tmux pane) hangs the terminal up: SIGHUP and a dead
    // tty at once. crossterm's input poll spins forever on a dead tty
    // (crossterm-rs/crossterm#793), and joining it used to hang the quit at 100% CPU.
    let dir = tempfile::tempdir().unwrap();
    let mut app = training_dashboard(dir.path());
    app.close_terminal();
    let code = app.wait_exit(Duration::from_secs(30));
    // 129 when SIGHUP is seen first, 1 when the dead terminal is.
    assert!(
        matches!(code, Some(129) | Some(1)),
        "the dashboard did not quit when its terminal closed: {code:?}"
    );
    assert_one_run_saved_as_stopped(dir.path());
}

#[test]
fn tiny_terminal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(dir.path(), &["--data-dir", "nowhere"], &[], 40, 10);
    app.wait_text("too small", Duration::from_secs(20));
    app.send(b"q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn a_network_saved_from_the_dashboard_lands_in_the_config_it_was_started_with() {
    let dir = tempfile::tempdir().unwrap();
    let text = "// my settings\n(\n    runs_dir: \"runs\",\n)\n";
    std::fs::write(dir.path().join("mine.ron"), text).unwrap();
    let mut app = PtyApp::spawn(
        dir.path(),
        &["--config", "mine.ron", "--data-dir", "nowhere"],
        &[],
        120,
        40,
    );
    app.wait_text("Network: mlp", Duration::from_secs(20));
    app.send(b"w");
    app.wait_text("Save network", Duration::from_secs(10));
    app.send(b"e2e-net\r");
    app.wait_text("the form trains it now", Duration::from_secs(10));
    app.wait_text("Network: e2e-net", Duration::from_secs(10));
    app.send(b"q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(0));
    let saved = std::fs::read_to_string(dir.path().join("mine.ron")).unwrap();
    assert_eq!(
        saved,
        "// my settings\n(\n    runs_dir: \"runs\",\n    networks: {\n        \
         \"e2e-net\": [Flatten, Dense(256), Relu, Dense(64), Relu, Dense(classes)],\n    },\n)\n"
    );
}

#[test]
fn a_sweep_started_in_the_dashboard_runs_its_points_and_shows_them_grouped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.ron"),
        "(train: (model: mlp, epochs: 1, max_train_samples: 256, max_test_samples: 128, \
         log_every: 1))",
    )
    .unwrap();
    let data = common::mnist_dir();
    let data = data.to_str().unwrap();
    let mut app = PtyApp::spawn(dir.path(), &["--data-dir", data], &[], 120, 40);
    app.wait_text("MNIST ready", LONG);

    // The Sweep dialog: two seeds on top of the form's settings.
    app.send(b"S");
    app.wait_text("Settings and values", Duration::from_secs(20));
    app.send(b"seeds 1,2");
    app.wait_text("seeds 1,2", Duration::from_secs(10));
    app.send(b"\r");
    let screen = app.wait_for("both points to finish", LONG, |s| {
        s.contains("2/2 finished")
    });
    assert!(
        screen.contains("seed 1") && screen.contains("seed 2"),
        "{screen}"
    );

    // On disk: the sweep and its two runs, each tagged with its point.
    let sweeps: Vec<_> = std::fs::read_dir(dir.path().join("runs/.sweeps"))
        .unwrap()
        .collect();
    assert_eq!(sweeps.len(), 1);
    let store = mnist_tui::runs::RunStore::new(dir.path().join("runs"));
    let (runs, damaged) = store.list().unwrap();
    assert!(damaged.is_empty(), "{damaged:?}");
    let mut points: Vec<usize> = runs
        .iter()
        .map(|r| r.sweep.as_ref().expect("tagged").point)
        .collect();
    points.sort();
    assert_eq!(points, vec![1, 2]);

    // The Runs view groups them: one row, n = 2, their mean.
    app.send(b"2");
    app.wait_text("Runs (2)", LONG);
    app.send(b"v");
    let screen = app.wait_for("the grouped sweep", LONG, |s| {
        s.contains("2 of 2 points finished")
    });
    assert!(
        screen.contains("val acc") && screen.contains("test acc"),
        "{screen}"
    );
    let accs: Vec<f64> = runs.iter().map(|r| r.val_acc().unwrap() as f64).collect();
    let mean = mnist_tui::format::percent((accs[0] + accs[1]) / 2.0);
    assert!(screen.contains(&mean), "mean {mean} not shown:\n{screen}");
    app.send(b"\x1b");
    app.wait_for("the dialog to close", Duration::from_secs(10), |s| {
        !s.contains("points finished")
    });
    app.send(b"q");
    assert_eq!(
        app.wait_exit(Duration::from_secs(20)),
        Some(0),
        "{}",
        app.screen()
    );
}

/// The dashboard in `dir` on a 100×30 terminal, training a long mlp run on a slice of
/// MNIST.
fn training_dashboard(dir: &std::path::Path) -> PtyApp {
    std::fs::write(
        dir.join("config.ron"),
        "(train: (model: mlp, epochs: 50, max_train_samples: 6400, max_test_samples: 200))",
    )
    .unwrap();
    let data = common::mnist_dir();
    let mut app = PtyApp::spawn(dir, &["--data-dir", data.to_str().unwrap()], &[], 100, 30);
    app.wait_text("MNIST ready", LONG);
    app.send(b"s");
    app.wait_text("run training", LONG);
    app
}

/// Asserts that `dir` holds one run, saved as stopped.
fn assert_one_run_saved_as_stopped(dir: &std::path::Path) {
    let runs: Vec<_> = std::fs::read_dir(dir.join("runs")).unwrap().collect();
    assert_eq!(runs.len(), 1);
    let record = std::fs::read_to_string(runs[0].as_ref().unwrap().path().join("run.ron")).unwrap();
    assert!(record.contains("status: stopped"), "{record}");
}
