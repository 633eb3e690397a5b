//! `mnist-tui sweep` end to end on a small slice of real MNIST: a 2×2×2 grid makes 8
//! runs in 4 groups whose statistics match the runs' own records; SIGTERM stops it and
//! running it again resumes it without redoing finished points; `--print-commands`
//! through `sh` reproduces the same runs; bad input is a clear error.

mod common;

use common::{binary, cli, mnist_tui, run};
use mnist_tui::runs::{RunRecord, RunStatus, RunStore};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// A 2 (lr) × 2 (batch size) × 2 (seeds) grid of `epochs` epochs on `train` images.
fn grid(epochs: &'static str, train: &'static str) -> Vec<&'static str> {
    vec![
        "sweep",
        "--model",
        "mlp",
        "--epochs",
        epochs,
        "--max-train",
        train,
        "--max-test",
        "256",
        "--lr",
        "0.01,0.05",
        "--batch-size",
        "32,64",
        "--seeds",
        "1,2",
    ]
}

/// The only sweep saved under `cwd/runs`.
fn only_sweep(cwd: &Path) -> String {
    let ids: Vec<String> = std::fs::read_dir(cwd.join("runs/.sweeps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

fn runs_of(cwd: &Path) -> Vec<RunRecord> {
    let (runs, damaged) = RunStore::new(cwd.join("runs")).list().unwrap();
    assert!(damaged.is_empty(), "{damaged:?}");
    runs
}

/// The finished run of each point (1-based), checking there is exactly one.
fn finished_by_point(runs: &[RunRecord]) -> BTreeMap<usize, RunRecord> {
    let mut by_point = BTreeMap::new();
    for r in runs.iter().filter(|r| r.status == RunStatus::Finished) {
        let tag = r.sweep.as_ref().expect("every run of the sweep is tagged");
        assert_eq!(tag.points, 8);
        let old = by_point.insert(tag.point, r.clone());
        assert!(old.is_none(), "point {} was trained twice", tag.point);
    }
    by_point
}

/// Runs `cmd`, sends it SIGTERM once a line of its stdout satisfies `stop_at`, and
/// returns its exit code, its whole stdout and its stderr.
fn sigterm_after(
    cmd: &mut Command,
    stop_at: impl Fn(&str) -> bool,
) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "ended early: {seen}");
        seen.push_str(&line);
        if stop_at(&line) {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    out.read_to_string(&mut seen).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), seen, err)
}

#[test]
fn a_2x2x2_grid_makes_4_groups_of_seeds_and_resumes_after_sigterm_without_redoing_points() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let args = grid("2", "2048");
    // Point 3 is half done (one of its two epochs saved): stop the sweep then.
    let (code, seen, err) = sigterm_after(&mut cli(cwd, &args), |line| {
        line.starts_with("point 3/8: epoch 1 done")
    });
    assert_eq!(code, Some(128 + 15), "{seen}\n{err}");
    assert!(err.contains("sweep resume"), "{err}");

    let before = runs_of(cwd);
    let done_before = finished_by_point(&before);
    assert!(
        (2..8).contains(&done_before.len()),
        "{} points finished before the stop",
        done_before.len()
    );
    assert!(done_before.contains_key(&1) && done_before.contains_key(&2));
    let stopped: Vec<&RunRecord> = before
        .iter()
        .filter(|r| r.status == RunStatus::Stopped)
        .collect();
    assert_eq!(stopped.len(), 1, "{before:#?}");
    assert!(before.iter().all(|r| r.status != RunStatus::Running));

    // The same command again resumes the sweep.
    let (code, again, err) = run(&mut cli(cwd, &args));
    assert_eq!(code, 0, "{again}\n{err}");
    let first = again.lines().next().unwrap_or_default();
    assert!(
        first.contains(&format!(
            "8 points, {} finished, {} to train",
            done_before.len(),
            8 - done_before.len()
        )),
        "{again}"
    );
    let after = runs_of(cwd);
    let done_after = finished_by_point(&after);
    assert_eq!(done_after.len(), 8);
    // Finished points were not redone: their records are exactly as they were.
    for (point, record) in &done_before {
        assert_eq!(&done_after[point], record, "point {point} changed");
    }
    // The stopped point was continued from its saved epoch, in the same run.
    let resumed = stopped[0];
    if resumed.epochs_done() > 0 {
        let point = resumed.sweep.as_ref().unwrap().point;
        assert_eq!(done_after[&point].id, resumed.id);
        assert_eq!(done_after[&point].epochs[0], resumed.epochs[0]);
        assert_eq!(after.len(), 8);
    } else {
        // Stopped before its first epoch was saved: kept, and the point started anew.
        assert_eq!(after.len(), 9);
    }
    assert!(done_after.values().all(|r| r.epochs.len() == 2));

    // Four groups of two seeds, their statistics those of the runs' own records.
    let id = only_sweep(cwd);
    let (code, json, err) = run(&mut cli(cwd, &["sweep", "show", &id, "--json"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4, "{json}");
    let mut best_mean = f64::MIN;
    let mut best_flagged = None;
    for (i, g) in groups.iter().enumerate() {
        let ids: Vec<&str> = g["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "{g}");
        let records: Vec<&RunRecord> = ids
            .iter()
            .map(|id| after.iter().find(|r| r.id == *id).unwrap())
            .collect();
        let mut seeds: Vec<u64> = records.iter().map(|r| r.config.seed).collect();
        seeds.sort();
        assert_eq!(seeds, vec![1, 2]);
        let (a, b) = (&records[0].config, &records[1].config);
        assert!(a.lr == b.lr && a.batch_size == b.batch_size);
        assert_eq!(g["settings"]["lr"], mnist_tui::format::float(a.lr));
        assert_eq!(g["settings"]["batch_size"], a.batch_size.to_string());
        let accs: Vec<f64> = records
            .iter()
            .map(|r| r.summary.as_ref().unwrap().test_acc as f64)
            .collect();
        let mean = (accs[0] + accs[1]) / 2.0;
        let stats = &g["test_acc"];
        assert_eq!(stats["n"], 2);
        assert!(
            (stats["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
            "{g}"
        );
        assert_eq!(stats["min"].as_f64().unwrap(), accs[0].min(accs[1]));
        assert_eq!(stats["max"].as_f64().unwrap(), accs[0].max(accs[1]));
        if mean > best_mean {
            best_mean = mean;
        }
        if g["best"] == true {
            best_flagged = Some(i);
        }
    }
    let flagged = best_flagged.expect("one group is marked best");
    assert!((groups[flagged]["test_acc"]["mean"].as_f64().unwrap() - best_mean).abs() < 1e-12);
    let ranked: Vec<&str> = v["importance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["setting"].as_str().unwrap())
        .collect();
    let mut sorted = ranked.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["batch_size", "lr"]);

    // The text table: one row per group, the best marked, and the ranking.
    let (code, text, err) = run(&mut cli(cwd, &["sweep", "show", &id, "--by", "lr"]));
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("8 points (8 finished)"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("* ")).count(),
        1,
        "{text}"
    );
    assert!(text.contains("which setting matters"), "{text}");
    assert!(text.contains("(log axis)"), "{text}");
    // `runs compare --sweep` groups the same runs the same way; `sweep list` lists it.
    let (code, compared, err) = run(&mut cli(
        cwd,
        &["runs", "compare", "--sweep", &id, "--json"],
    ));
    assert_eq!(code, 0, "{err}");
    let compared: serde_json::Value = serde_json::from_str(&compared).unwrap();
    assert_eq!(compared["groups"], v["groups"]);
    let pair = [
        groups[0]["runs"][0].as_str().unwrap(),
        groups[0]["runs"][1].as_str().unwrap(),
    ];
    let (code, two, err) = run(&mut cli(cwd, &["runs", "compare", pair[0], pair[1]]));
    assert_eq!(code, 0, "{err}");
    assert!(two.starts_with("2 run(s) in 1 group(s)"), "{two}");
    let (code, listed, err) = run(&mut cli(cwd, &["sweep", "list"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        listed.contains(&id) && listed.contains("8 points (8 finished)"),
        "{listed}"
    );
    // `runs list` sees the runs and nothing else (the sweep's folder is not a run).
    let (code, list, err) = run(&mut cli(cwd, &["runs", "list"]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("damaged"), "{err}");
    assert_eq!(list.lines().count(), 1 + after.len(), "{list}");
}

#[test]
fn print_commands_through_sh_reproduce_the_runs_of_a_headless_sweep() {
    let headless = tempfile::tempdir().unwrap();
    let printed = tempfile::tempdir().unwrap();
    let mut args = grid("1", "1024");
    args.extend(["--jobs", "2"]);
    // Two jobs sharing two threads: each `train` child runs on one thread.
    let (code, out, err) = run(cli(headless.path(), &args).env("RAYON_NUM_THREADS", "2"));
    assert_eq!(code, 0, "{out}\n{err}");

    let mut args = grid("1", "1024");
    args.push("--print-commands");
    let (code, commands, err) = run(&mut cli(printed.path(), &args));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 8, "{commands}");
    assert!(lines.iter().all(|l| l.starts_with("mnist-tui --runs-dir ")));
    assert!(lines[0].contains(" train ") && lines[0].contains(" --sweep "));
    // Nothing was trained by printing.
    assert!(runs_of(printed.path()).is_empty());
    let exe = binary().display().to_string();
    let exe = shlex::try_quote(&exe).unwrap();
    let script: String = lines
        .iter()
        .map(|l| format!("{exe}{}\n", &l["mnist-tui".len()..]))
        .collect();
    let mut sh = Command::new("sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("MNIST_DATA_DIR")
        // The same threads as the headless sweep's jobs: bit-identical training.
        .env("RAYON_NUM_THREADS", "1")
        .current_dir(printed.path())
        .spawn()
        .unwrap();
    sh.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = sh.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let a = finished_by_point(&runs_of(headless.path()));
    let b = finished_by_point(&runs_of(printed.path()));
    assert_eq!(a.len(), 8);
    assert_eq!(b.len(), 8);
    assert_eq!(only_sweep(headless.path()), only_sweep(printed.path()));
    for point in 1..=8 {
        let (x, y) = (&a[&point], &b[&point]);
        assert_eq!(x.config, y.config, "point {point}");
        assert_eq!(x.sweep, y.sweep, "point {point}");
        // Same seed, same machine: the same weights, so the same accuracy.
        let acc = |r: &RunRecord| r.summary.as_ref().unwrap().test_acc;
        assert_eq!(acc(x), acc(y), "point {point}");
        assert_eq!(
            x.epochs[0].train_loss, y.epochs[0].train_loss,
            "point {point}"
        );
    }
    // Once every point is done there is nothing left to print.
    let (code, none, err) = run(&mut cli(printed.path(), &args));
    assert_eq!(code, 0, "{err}");
    assert!(none.is_empty(), "{none}");
    assert!(err.contains("0 command(s) for 8 point(s)"), "{err}");
}

#[test]
fn bad_sweeps_are_clear_errors_and_save_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let one_line = |args: &[&str], needle: &str| {
        let (code, out, err) = run(&mut cli(cwd, args));
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    one_line(
        &["sweep", "--lr", "0.1,fast"],
        "learning rate 'fast' is not a number",
    );
    one_line(&["sweep", "--lr", "0.1,,0.2"], "has an empty value");
    one_line(
        &["sweep", "--model", "mlp,vgg"],
        "point 2 (model vgg): unknown model 'vgg' (the networks are: tutorial-mlp, mlp",
    );
    one_line(
        &["sweep", "--layers", "Flatten, Dense(8|16), Relu"],
        "network 'mlp': layer 2 `Dense(8)`: the last Dense gives 8 outputs, but there are 10 \
         classes",
    );
    one_line(
        &["sweep", "--lr", "0.1,20"],
        "point 2 (lr 20): learning rate 20 must be in (0, 10]",
    );
    one_line(&["sweep", "--lr", "1e-4..1e-1"], "--random N");
    one_line(&["sweep", "--epochs", "1"], "nothing to sweep");
    one_line(
        &["sweep", "--optimizer", "adam,adamw", "--momentum", "0.9"],
        "--momentum 0.9 does not apply to adam or adamw (it applies to sgd)",
    );
    one_line(
        &["sweep", "--seed", "1,2", "--seeds", "3,4"],
        "give the seeds once",
    );
    assert!(
        !cwd.join("runs").exists(),
        "a refused sweep saved something"
    );

    // A runs folder that cannot be created.
    std::fs::write(cwd.join("file"), "not a folder").unwrap();
    let (code, _, err) =
        run(mnist_tui(cwd).args(["--runs-dir", "file", "sweep", "--seeds", "1,2"]));
    assert_ne!(code, 0);
    assert!(err.contains("cannot create file/.sweeps/"), "{err}");

    // A damaged sweep file is named and never replaced.
    let args = ["sweep", "--seeds", "1,2", "--print-commands"];
    let (code, _, err) = run(&mut cli(cwd, &args));
    assert_eq!(code, 0, "{err}");
    let id = only_sweep(cwd);
    let file = cwd.join("runs/.sweeps").join(&id).join("sweep.ron");
    std::fs::write(&file, "(id: \"x\", broken").unwrap();
    let (code, _, err) = run(&mut cli(cwd, &["sweep", "show", &id]));
    assert_ne!(code, 0);
    assert!(err.contains("sweep.ron: malformed at line 1"), "{err}");
    let (code, _, err) = run(&mut cli(cwd, &args));
    assert_ne!(code, 0);
    assert!(err.contains("malformed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "(id: \"x\", broken"
    );
    one_line(&["sweep", "show", "ffff"], "no sweep 'ffff'");

    // `train --sweep` must train that point's settings.
    std::fs::remove_dir_all(cwd.join("runs")).unwrap();
    let (code, commands, err) = run(&mut cli(cwd, &args));
    assert_eq!(code, 0, "{err}");
    let id = only_sweep(cwd);
    assert_eq!(commands.lines().count(), 2);
    one_line(
        &["train", "--seed", "7", "--sweep", &format!("{id}:1/2")],
        "these settings are not point 1 of sweep",
    );
    one_line(
        &["train", "--seed", "1", "--sweep", &format!("{id}:1/3")],
        "has 2 points, not 3",
    );
    assert!(runs_of(cwd).is_empty());
}

#[test]
fn a_sweep_across_optimizers_prints_each_point_only_the_flags_that_apply_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "sweep",
        "--optimizer",
        "sgd,adam",
        "--momentum",
        "0.9",
        "--print-commands",
    ];
    let (code, commands, err) = run(&mut cli(dir.path(), &args));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 2, "{commands}");
    let (sgd, adam) = (lines[0], lines[1]);
    assert!(
        sgd.contains("--optimizer sgd") && sgd.contains("--momentum 0.9"),
        "{sgd}"
    );
    assert!(
        sgd.contains("--nesterov false") && !sgd.contains("--beta1"),
        "{sgd}"
    );
    assert!(
        adam.contains("--optimizer adam") && adam.contains("--beta1 0.9"),
        "{adam}"
    );
    // A train command given --momentum 0.9 for Adam would be refused.
    assert!(
        !adam.contains("--momentum") && !adam.contains("--nesterov"),
        "{adam}"
    );
}

#[test]
fn sigterm_reaches_every_job_and_a_rerun_finishes_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let args = [
        "sweep",
        "--model",
        "mlp",
        "--epochs",
        "2",
        "--max-train",
        "2048",
        "--max-test",
        "256",
        "--seeds",
        "1,2,3,4",
        "--jobs",
        "2",
    ];
    let (code, seen, err) = sigterm_after(cli(cwd, &args).env("RAYON_NUM_THREADS", "2"), |line| {
        line.contains(": epoch 1 done")
    });
    assert_eq!(code, Some(143), "{seen}\n{err}");
    // Every job saved its run as stopped (none was left running or interrupted).
    let before = runs_of(cwd);
    assert!(!before.is_empty());
    assert!(
        before
            .iter()
            .all(|r| matches!(r.status, RunStatus::Finished | RunStatus::Stopped)),
        "{:?}",
        before.iter().map(|r| &r.status).collect::<Vec<_>>()
    );
    assert!(before.iter().any(|r| r.status == RunStatus::Stopped));
    let (code, again, err) = run(cli(cwd, &args).env("RAYON_NUM_THREADS", "2"));
    assert_eq!(code, 0, "{again}\n{err}");
    let finished: Vec<usize> = runs_of(cwd)
        .iter()
        .filter(|r| r.status == RunStatus::Finished)
        .map(|r| r.sweep.as_ref().unwrap().point)
        .collect();
    let mut points = finished.clone();
    points.sort();
    assert_eq!(points, vec![1, 2, 3, 4], "each point finished once");
}

/// The sweep of `points` (sweeping `swept`), saved in `store` as `sweep` saves it.
fn saved_sweep(
    store: &RunStore,
    points: &[mnist_tui::train::TrainSettings],
    swept: &[&str],
) -> mnist_tui::sweep::SweepFile {
    let file = mnist_tui::sweep::SweepFile {
        id: mnist_tui::sweep::sweep_id(points),
        program_version: "test".into(),
        created_at: time::OffsetDateTime::now_utc(),
        swept: swept.iter().map(|s| s.to_string()).collect(),
        points: points.to_vec(),
    };
    mnist_tui::sweep::SweepStore::new(store.root())
        .save(&file)
        .unwrap();
    file
}

/// A finished run of point `point` of `file` (1-based) with `settings`, saved in
/// `store`, reaching `acc` test accuracy in its one epoch.
fn save_point_run(
    store: &RunStore,
    file: &mnist_tui::sweep::SweepFile,
    point: usize,
    settings: &mnist_tui::train::TrainSettings,
    acc: f32,
) -> String {
    use mnist_tui::runs::RunSummary;
    use mnist_tui::train::EpochMetrics;
    let at = time::OffsetDateTime::now_utc();
    let id = store.create_run_dir(&settings.model, at).unwrap();
    let mut r = RunRecord::new(id.clone(), settings.clone(), at);
    r.status = RunStatus::Finished;
    r.sweep = Some(mnist_tui::sweep::SweepTag {
        id: file.id.clone(),
        point,
        points: file.points.len(),
    });
    r.epochs.push(EpochMetrics {
        epoch: 1,
        train_loss: 0.3,
        train_acc: acc,
        test_loss: Some(0.3),
        test_acc: Some(acc),
        val_loss: None,
        val_acc: None,
        val_precision: vec![],
        val_recall: vec![],
        seconds: 1.0,
        dead_outputs: vec![],
    });
    r.summary = Some(RunSummary {
        test_acc: acc,
        test_loss: 0.3,
        test_epoch: None,
        test_precision: vec![],
        test_recall: vec![],
        seconds: 1.0,
        confusion: vec![],
        dead_outputs: vec![],
    });
    store.save_record(&r).unwrap();
    id
}

#[test]
fn sweep_show_groups_the_runs_of_point_runs_and_ignores_a_run_with_other_settings() {
    use mnist_tui::model::Preset;
    use mnist_tui::sweep::point_runs;
    use mnist_tui::train::TrainSettings;
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let store = RunStore::new(cwd.join("runs"));
    // 2 learning rates × 2 seeds, saved as `sweep` would, without training.
    let points: Vec<TrainSettings> = [0.01, 0.05]
        .into_iter()
        .flat_map(|lr| {
            [1, 2].map(|seed| TrainSettings {
                lr,
                seed,
                epochs: 1,
                ..TrainSettings::preset(Preset::Mlp)
            })
        })
        .collect();
    let file = saved_sweep(&store, &points, &["lr", "seed"]);
    let mut ids: Vec<String> = (0..4)
        .map(|i| save_point_run(&store, &file, i + 1, &points[i], 0.9 + i as f32 * 0.01))
        .collect();
    // Tagged as point 1 and finished last, but trained at another learning rate.
    let mut other = points[0].clone();
    other.lr = 0.5;
    let stray = save_point_run(&store, &file, 1, &other, 0.5);

    let runs = runs_of(cwd);
    let chosen: Vec<&str> = point_runs(&file, &runs)
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(chosen, ids, "one run per point, the stray left out");

    let (code, out, err) = run(&mut cli(cwd, &["sweep", "show", &file.id, "--json"]));
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{out}");
    let mut grouped: Vec<String> = groups
        .iter()
        .flat_map(|g| g["runs"].as_array().unwrap().iter())
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    grouped.sort();
    ids.sort();
    assert_eq!(grouped, ids, "sweep show groups exactly point_runs' runs");
    assert!(!grouped.contains(&stray));
    let states: Vec<&str> = json["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["run"].as_str().unwrap())
        .collect();
    assert_eq!(states, chosen);

    let (code, text, err) = run(&mut cli(cwd, &["sweep", "show", &file.id]));
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("0.05") && !text.contains("50.00%"), "{text}");

    // The dashboard, listing the same folder as its store thread does, groups the same
    // runs: its groups table is the one `sweep show` prints.
    use mnist_tui::tui::app::{App, Modal, Msg};
    let mut app = App::new(
        &mnist_tui::config::Config::default(),
        cwd.join("data"),
        mnist_tui::tui::theme::Theme::default(),
    );
    app.update(Msg::Resize(120, 40));
    for m in mnist_tui::tui::tasks::list_store(&store) {
        app.update(Msg::Store(m));
    }
    let key = |c| {
        Msg::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Char(c),
        ))
    };
    app.update(key('2'));
    app.update(key('v'));
    let Some(Modal::Groups(dialog)) = &app.modal else {
        panic!("no groups dialog: {:?} {:?}", app.modal, app.notice);
    };
    assert!(dialog.title.contains("4 of 4 points"), "{}", dialog.title);
    let table: Vec<&str> = dialog
        .lines
        .iter()
        .take_while(|l| !l.starts_with("which setting"))
        .map(|l| l.trim_end())
        .collect();
    assert!(table.len() >= 3, "{table:?}");
    let shown: Vec<&str> = text.lines().map(str::trim_end).collect();
    for line in &table {
        assert!(
            shown.contains(line),
            "the dashboard's '{line}' is not in sweep show:\n{text}"
        );
    }
}

#[test]
fn runs_compare_warns_when_runs_were_computed_differently() {
    use mnist_tui::model::{ComputeProfile, Preset};
    use mnist_tui::runs::Provenance;
    use mnist_tui::train::TrainSettings;
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let store = RunStore::new(cwd.join("runs"));
    let points: Vec<TrainSettings> = (1..=3)
        .map(|seed| TrainSettings {
            seed,
            epochs: 1,
            ..TrainSettings::preset(Preset::Mlp)
        })
        .collect();
    let file = saved_sweep(&store, &points, &["seed"]);
    let session = |threads: usize| Provenance {
        from_epoch: 0,
        compute: ComputeProfile {
            threads,
            shards: threads,
            cpu_features: vec!["avx2".into(), "fma".into()],
        },
        build: "0.1.0 (0123456789ab)".into(),
        command_line: vec!["mnist-tui".into(), "train".into()],
    };
    let ids: Vec<String> = (0..3)
        .map(|i| save_point_run(&store, &file, i + 1, &points[i], 0.9))
        .collect();
    for (id, threads) in ids.iter().zip([2, 2, 4]) {
        let mut r = store.load(id).unwrap();
        r.sessions = vec![session(threads)];
        store.save_record(&r).unwrap();
    }
    let compare = |a: &str, b: &str| run(&mut cli(cwd, &["runs", "compare", a, b]));
    let (code, _, err) = compare(&ids[0], &ids[1]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "alike runs: {err}");
    let (code, out, err) = compare(&ids[0], &ids[2]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("not all computed alike"), "{err}");
    assert!(
        err.contains("4 threads, 4 shards") && err.contains(&ids[2]),
        "{err}"
    );
    assert!(
        out.contains("2 run(s)"),
        "the comparison still prints: {out}"
    );
    // A run from before sessions were recorded is not taken as alike.
    let mut old = store.load(&ids[1]).unwrap();
    old.sessions.clear();
    store.save_record(&old).unwrap();
    let (_, _, err) = compare(&ids[0], &ids[1]);
    assert!(err.contains("not recorded"), "{err}");
    // `runs show` says how the run was computed and by which command.
    let (code, out, err) = run(&mut cli(cwd, &["runs", "show", &ids[2]]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("computed  from epoch 0: 4 threads, 4 shards, avx2 fma, 0.1.0"),
        "{out}"
    );
    assert!(out.contains("command   mnist-tui train"), "{out}");
}
