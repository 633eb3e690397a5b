//! Robustness (issue 9): no crash, signal or typo loses a run, deletes the wrong folder
//! or leaves a run "running" forever. One test (or more) per numbered problem of the
//! issue; CLI behaviours drive the built binary on small slices of real MNIST.
//! `docs/robustness.md` lists each fault, what the program does and the test here.

mod common;

use common::training::{mnist, run_all};
use common::{cli, mnist_dir, mnist_tui, run};
use mnist_tui::model::{Preset, read_checkpoint_tag};
use mnist_tui::runs::{RunRecord, RunStatus, RunStore, best_finished};
use mnist_tui::train::{self, Control, TrainEvent, TrainJob, TrainSettings};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn small() -> TrainSettings {
    let mut s = TrainSettings::preset(Preset::Mlp);
    s.epochs = 1;
    s.max_train_samples = Some(640);
    s.max_test_samples = Some(200);
    s.log_every = 5;
    s
}

fn started_id(events: &[TrainEvent]) -> String {
    match events.first() {
        Some(TrainEvent::Started { run_id, .. }) => run_id.clone(),
        other => panic!("first event {other:?}"),
    }
}

fn resume(id: &str, more_epochs: u32) -> TrainJob {
    TrainJob::Resume {
        run_id: id.to_string(),
        more_epochs: Some(more_epochs),
    }
}

const TINY: [&str; 8] = [
    "--max-train",
    "640",
    "--max-test",
    "200",
    "--log-every",
    "1",
    "--model",
    "mlp",
];

/// A finished one-epoch run trained through the CLI; returns its id.
fn trained_run(cwd: &Path) -> String {
    let mut args = vec!["train", "--epochs", "1"];
    args.extend(TINY);
    let (code, out, err) = run(&mut cli(cwd, &args));
    assert_eq!(code, 0, "{out}\n{err}");
    only_run(cwd).id
}

fn only_run(cwd: &Path) -> RunRecord {
    let (runs, damaged) = RunStore::new(cwd.join("runs")).list().unwrap();
    assert!(damaged.is_empty(), "{damaged:?}");
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

/// A long headless `train` with stdout piped; returns once it printed its first line
/// (the run exists and is locked), with the rest of stdout.
fn start_long_training(cwd: &Path) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut args = vec!["train", "--epochs", "1000"];
    args.extend(TINY);
    let mut child = cli(cwd, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mnist-tui train");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("training run"), "first line: {first}");
    (child, out)
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Rewrites a safetensors file's JSON header with `edit`.
fn edit_header(path: &Path, edit: impl FnOnce(String) -> String) {
    let bytes = fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap();
    let new = edit(header.clone());
    assert_ne!(new, header, "edit changed nothing");
    let mut out = (new.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(new.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    fs::write(path, out).unwrap();
}

// 1. `runs rm` deleted any folder, matched one-character prefixes, never asked.
#[test]
fn p1_rm_deletes_only_runs_by_exact_id_or_long_prefix_with_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let id = trained_run(cwd);
    let runs = cwd.join("runs");
    fs::create_dir(runs.join("notes")).unwrap();
    fs::write(runs.join("notes/todo.txt"), "mine").unwrap();

    let (code, _, err) = run(&mut cli(cwd, &["runs", "rm", "notes", "--yes"]));
    assert_ne!(code, 0);
    assert!(err.contains("not a run folder"), "{err}");
    assert!(runs.join("notes/todo.txt").is_file());

    let (code, _, err) = run(&mut cli(cwd, &["runs", "rm", &id[..1], "--yes"]));
    assert_ne!(code, 0);
    assert!(err.contains("at least 8 characters"), "{err}");
    assert!(runs.join(&id).is_dir());

    // Not a terminal and no --yes: refused.
    let (code, _, err) = run(&mut cli(cwd, &["runs", "rm", &id[..8]]));
    assert_ne!(code, 0);
    assert!(err.contains("--yes"), "{err}");
    assert!(runs.join(&id).is_dir());

    let (code, out, err) = run(&mut cli(cwd, &["runs", "rm", &id[..8], "--yes"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("deleted run {id}")), "{out}");
    assert!(!runs.join(&id).exists());
    assert!(runs.join("notes/todo.txt").is_file());
}

// 2. Resume of an edited record divided by zero and accepted 4e9 epochs.
#[test]
fn p2_resume_validates_the_records_settings_and_caps_the_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let id = trained_run(cwd);
    let record = cwd.join("runs").join(&id).join("run.ron");
    let good = fs::read_to_string(&record).unwrap();
    assert!(good.contains("batch_size: 64"), "{good}");
    fs::write(&record, good.replace("batch_size: 64", "batch_size: 0")).unwrap();
    let edited = fs::read_to_string(&record).unwrap();

    let (code, _, err) = run(&mut cli(cwd, &["train", "--resume", &id]));
    assert_ne!(code, 0);
    assert!(err.contains("batch size 0"), "{err}");
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&record).unwrap(),
        edited,
        "record changed"
    );

    // A learning-rate change edited to NaN is checked like the settings' rate.
    assert!(good.contains("lr_changes: []"), "{good}");
    fs::write(
        &record,
        good.replace("lr_changes: []", "lr_changes: [(step: 5, x: 0.5, lr: NaN)]"),
    )
    .unwrap();
    let edited = fs::read_to_string(&record).unwrap();
    let (code, _, err) = run(&mut cli(cwd, &["train", "--resume", &id]));
    assert_ne!(code, 0);
    assert!(err.contains("learning rate NaN"), "{err}");
    assert_eq!(
        fs::read_to_string(&record).unwrap(),
        edited,
        "record changed"
    );

    fs::write(&record, &good).unwrap();
    let (code, _, err) = run(&mut cli(
        cwd,
        &["train", "--resume", &id, "--epochs", "4000000000"],
    ));
    assert_ne!(code, 0);
    assert!(err.contains("at most 1000 epochs"), "{err}");
    assert_eq!(fs::read_to_string(&record).unwrap(), good, "record changed");
    let r = only_run(cwd);
    assert_eq!(r.status, RunStatus::Finished);
    assert!(r.summary.is_some());
}

// 3. A resume that stops before its first new epoch destroyed the run's summary.
#[test]
fn p3_a_stopped_resume_keeps_the_finished_runs_status_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = started_id(&run_all(TrainJob::New(small()), &store));
    let before = fs::read_to_string(store.record_path(&id)).unwrap();

    let mut handle = train::spawn(resume(&id, 5), mnist(), store.clone());
    // Queued before the trainer's first batch: it stops there.
    handle.send(Control::Stop);
    let mut last = None;
    while let Some(e) = handle.blocking_recv() {
        last = Some(e);
    }
    handle.join();
    assert!(matches!(last, Some(TrainEvent::Stopped)), "{last:?}");

    assert_eq!(fs::read_to_string(store.record_path(&id)).unwrap(), before);
    let (runs, _) = store.list().unwrap();
    assert_eq!(runs[0].status, RunStatus::Finished);
    assert!(runs[0].summary.is_some());
    assert_eq!(
        best_finished(&store, &runs).map(|r| r.id.as_str()),
        Some(id.as_str())
    );
}

// 4a. SIGTERM and SIGHUP of a headless `train` left the run running forever.
#[test]
fn p4_sigterm_and_sighup_stop_a_headless_train_and_save_it_stopped() {
    for (signal, number) in [("TERM", 15), ("HUP", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, out) = start_long_training(dir.path());
        kill(&child, signal);
        drop(out);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(128 + number), "SIG{signal}: {status:?}");
        let r = only_run(dir.path());
        assert_eq!(r.status, RunStatus::Stopped, "SIG{signal}");
        assert!(r.ended_at.is_some());
    }
}

// 4b. `train | head -2` left the run running forever (printing panicked on EPIPE).
#[test]
fn p4_a_closed_stdout_stops_the_printing_not_the_saving() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["train", "--epochs", "2"];
    args.extend(TINY);
    let mut child = cli(dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..2 {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0);
    }
    drop(out); // like `head -2` exiting
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let r = only_run(dir.path());
    assert_eq!(r.status, RunStatus::Finished);
    assert_eq!(r.epochs.len(), 2);
}

// 4d. `runs list | head -1` (and show, rm), `predict … | head -0` and `data verify | head`
// panicked on a closed stdout.
#[test]
fn p4_headless_commands_write_to_a_closed_pipe_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let id = trained_run(cwd);
    // A real test digit, so `predict` gets as far as printing a prediction.
    let test = mnist();
    let digit = cwd.join("digit.png");
    image::GrayImage::from_raw(28, 28, test.test.image(0).to_vec())
        .unwrap()
        .save(&digit)
        .unwrap();
    let digit = digit.to_str().unwrap();
    for args in [
        vec!["runs", "list"],
        vec!["runs", "list", "--json"],
        vec!["runs", "show", id.as_str()],
        vec!["runs", "show", id.as_str(), "--json"],
        vec!["predict", digit],
        vec!["predict", digit, digit, "--json"],
        vec!["data", "verify"],
        vec!["sweep", "list"],
    ] {
        // A pipe whose reader is already gone: the first write fails with EPIPE.
        let (reader, writer) = rustix::pipe::pipe().unwrap();
        drop(reader);
        let output = cli(cwd, &args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

// 5. Nothing stopped two processes from working on one run.
#[test]
fn p5_a_run_being_trained_is_locked_against_rm_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let (mut child, out) = start_long_training(cwd);
    let id = only_run(cwd).id;

    let (code, _, err) = run(&mut cli(cwd, &["runs", "rm", &id, "--yes"]));
    assert_ne!(code, 0);
    assert!(err.contains("being trained"), "{err}");
    assert!(cwd.join("runs").join(&id).join("run.ron").is_file());

    let (code, _, err) = run(&mut cli(cwd, &["train", "--resume", &id]));
    assert_ne!(code, 0);
    assert!(err.contains("being trained"), "{err}");

    let (_, list, _) = run(&mut cli(cwd, &["runs", "list"]));
    assert!(list.contains("running"), "{list}");

    kill(&child, "TERM");
    drop(out);
    child.wait().unwrap();
    assert_eq!(only_run(cwd).status, RunStatus::Stopped);
}

// 5b. A process killed outright leaves a `running` record: it is shown interrupted.
#[test]
fn p5_a_killed_trainer_leaves_an_interrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let (mut child, out) = start_long_training(cwd);
    kill(&child, "KILL");
    drop(out);
    child.wait().unwrap();
    let id = only_run(cwd).id;
    let on_disk = fs::read_to_string(cwd.join("runs").join(&id).join("run.ron")).unwrap();
    assert!(on_disk.contains("status: running"), "{on_disk}");

    let (_, list, _) = run(&mut cli(cwd, &["runs", "list"]));
    assert!(list.contains("interrupted"), "{list}");
    let (_, show, _) = run(&mut cli(cwd, &["runs", "show", &id]));
    assert!(show.contains("interrupted"), "{show}");
    assert_eq!(only_run(cwd).status, RunStatus::Interrupted);
    // Not locked any more: it can be deleted.
    let (code, _, err) = run(&mut cli(cwd, &["runs", "rm", &id, "--yes"]));
    assert_eq!(code, 0, "{err}");
}

// 5d. An interrupted run (killed after a checkpoint) can be resumed.
#[test]
fn p5_an_interrupted_run_resumes_from_its_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = started_id(&run_all(TrainJob::New(small()), &store));
    // What a kill right after the first checkpoint leaves: a running record.
    let text = fs::read_to_string(store.record_path(&id)).unwrap();
    assert!(text.contains("status: finished"), "{text}");
    fs::write(
        store.record_path(&id),
        text.replace("status: finished", "status: running"),
    )
    .unwrap();
    assert_eq!(store.load(&id).unwrap().status, RunStatus::Interrupted);
    let events = run_all(resume(&id, 1), &store);
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { .. })),
        "{:?}",
        events.last()
    );
    let r = store.load(&id).unwrap();
    assert_eq!(r.status, RunStatus::Finished);
    assert_eq!(r.epochs.len(), 2);
}

// 6. Checkpoint files renamed one by one could pair epochs silently.
#[test]
fn p6_resume_refuses_checkpoint_files_from_different_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = started_id(&run_all(TrainJob::New(small()), &store));
    let tag = read_checkpoint_tag(&store.weights_path(&id))
        .unwrap()
        .unwrap();
    assert_eq!(tag.epoch, 1);
    assert_eq!(
        read_checkpoint_tag(&store.optimizer_path(&id)).unwrap(),
        Some(tag)
    );
    let record1 = fs::read(store.record_path(&id)).unwrap();
    let optimizer1 = fs::read(store.optimizer_path(&id)).unwrap();
    let events = run_all(resume(&id, 1), &store);
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    // A crash after the weights of epoch 2 were renamed into place, before the rest.
    fs::write(store.record_path(&id), &record1).unwrap();
    fs::write(store.optimizer_path(&id), &optimizer1).unwrap();
    let events = run_all(resume(&id, 1), &store);
    let Some(TrainEvent::Failed { reason }) = events.last() else {
        panic!("expected a failure, got {:?}", events.last());
    };
    assert!(reason.contains("disagree"), "{reason}");
    assert!(reason.contains("model.safetensors"), "{reason}");
    assert_eq!(fs::read(store.record_path(&id)).unwrap(), record1);
    // No temporary file is left in the run's folder by the durable writer.
    let names: Vec<String> = fs::read_dir(store.run_dir(&id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

// 7. Ctrl-C during `data fetch` left its temporary file.
#[test]
fn p7_ctrl_c_during_data_fetch_leaves_no_temporary_file() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Sends a valid IDX header, then pixels slowly and forever.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            std::thread::spawn(move || {
                let mut req = [0u8; 4096];
                let _ = std::io::Read::read(&mut s, &mut req);
                let mut head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                head.extend_from_slice(&0x0803u32.to_be_bytes());
                head.extend_from_slice(&60_000u32.to_be_bytes());
                head.extend_from_slice(&28u32.to_be_bytes());
                head.extend_from_slice(&28u32.to_be_bytes());
                if s.write_all(&head).is_err() {
                    return;
                }
                while s.write_all(&[0u8; 512]).is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.ron");
    fs::write(&cfg, format!("(mirrors: [\"http://127.0.0.1:{port}/\"])")).unwrap();
    let data = dir.path().join("data");
    let child = mnist_tui(dir.path())
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .args(["data", "fetch"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let temp_exists = || {
        fs::read_dir(&data).is_ok_and(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
    };
    let mut polls = 0;
    while !temp_exists() {
        polls += 1;
        assert!(polls < 3000, "the download never started");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    kill(&child, "INT");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    let left: Vec<_> = fs::read_dir(&data).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

// 8a. Weights holding NaN were accepted: predict answered digit 0, exit 0.
#[test]
fn p8_non_finite_weights_are_rejected_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let id = trained_run(cwd);
    let weights = cwd.join("runs").join(&id).join("model.safetensors");
    let mut bytes = fs::read(&weights).unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    fs::write(&weights, bytes).unwrap();
    let img = cwd.join("seven.png");
    let mut pixels = image::GrayImage::new(28, 28);
    for i in 6..22 {
        pixels.put_pixel(i, 6, image::Luma([255]));
        pixels.put_pixel(21 - i / 3, i, image::Luma([255]));
    }
    pixels.save(&img).unwrap();

    let (code, out, err) = run(&mut cli(
        cwd,
        &["predict", img.to_str().unwrap(), "--run", &id, "--json"],
    ));
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("model.safetensors"), "{err}");
    assert!(err.contains("non-finite"), "{err}");
    assert!(!out.contains("\"digit\""), "{out}");
}

// 8b. The optimiser's step counter came from the file unchecked and could overflow.
#[test]
fn p8_a_step_counter_from_the_file_is_checked_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let id = started_id(&run_all(TrainJob::New(small()), &store));
    let before = fs::read(store.record_path(&id)).unwrap();
    edit_header(&store.optimizer_path(&id), |h| {
        h.replace("\"step\":\"10\"", &format!("\"step\":\"{}\"", u64::MAX))
    });
    let events = run_all(resume(&id, 1), &store);
    let Some(TrainEvent::Failed { reason }) = events.last() else {
        panic!("expected a failure, got {:?}", events.last());
    };
    assert!(!reason.contains("internal error"), "{reason}");
    assert!(reason.contains("optimizer.safetensors"), "{reason}");
    assert_eq!(fs::read(store.record_path(&id)).unwrap(), before);
}

// 4c. SIGTERM to the dashboard did not restore the terminal nor save the run, and the
// dashboard then exited 0 instead of 128 + the signal.
#[test]
fn p4_sigterm_and_sighup_to_the_dashboard_restore_the_terminal_and_save_the_run() {
    use common::pty::PtyApp;
    use std::time::Duration;
    let long = Duration::from_secs(120);
    for (signal, number) in [("TERM", 15), ("HUP", 1)] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("config.ron"),
            "(train: (model: mlp, epochs: 1000, max_train_samples: 640, max_test_samples: 200, \
             log_every: 1))",
        )
        .unwrap();
        let data = mnist_dir();
        let mut app = PtyApp::spawn(
            dir.path(),
            &["--data-dir", data.to_str().unwrap()],
            &[],
            120,
            40,
        );
        app.wait_text("MNIST ready", long);
        app.send(b"s");
        app.wait_text("run training", long);
        assert!(app.alternate_screen());
        let pid = app.pid().expect("pid").to_string();
        let killed = Command::new("kill")
            .args(["-s", signal, &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let code = app.wait_exit(long);
        assert_eq!(code, Some(128 + number), "SIG{signal}: exit code");
        // Give the reader thread a moment to process the last bytes.
        app.wait_for("the terminal restored", long, |_| !app.alternate_screen());
        let r = only_run(dir.path());
        assert_eq!(r.status, RunStatus::Stopped, "SIG{signal}");
    }
}

// 5c. A run folder removed behind the lock's back came back holding a failed run.ron.
#[test]
fn p5_saving_never_recreates_a_deleted_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let mut settings = small();
    settings.epochs = 1000;
    let mut handle = train::spawn(TrainJob::New(settings), mnist(), store.clone());
    let mut id = String::new();
    let mut last = None;
    while let Some(e) = handle.blocking_recv() {
        match &e {
            TrainEvent::Started { run_id, .. } => id = run_id.clone(),
            // After the first checkpoint, delete the folder as `rm -rf` would.
            TrainEvent::EpochEnd(m) if m.epoch == 1 => {
                // (Retried: the trainer may be creating a file in it meanwhile.)
                while store.run_dir(&id).exists() {
                    let _ = fs::remove_dir_all(store.run_dir(&id));
                }
            }
            _ => {}
        }
        if e.is_terminal() {
            last = Some(e);
        }
    }
    handle.join();
    let Some(TrainEvent::Failed { reason }) = last else {
        panic!("expected a failure, got {last:?}");
    };
    assert!(reason.contains(&id), "{reason}");
    assert!(!store.run_dir(&id).exists(), "the folder came back");
}
