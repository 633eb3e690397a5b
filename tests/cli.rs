//! Drives the built binary: errors are one clear line, damaged runs never hide others,
//! a short real training run is saved and shown.

mod common;
#[path = "cli/interop.rs"]
mod interop;

use common::idx::{gzip, labels_file};
use common::mirror::Mirror;
use common::{mnist_dir, mnist_tui, run};
use std::fs;

fn assert_one_clear_line(stderr: &str, needle: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{stderr}");
    assert!(lines[0].contains(needle), "'{needle}' not in: {}", lines[0]);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
}

#[test]
fn empty_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let (code, _, stderr) = run(mnist_tui(dir.path()).args(["--data-dir", "empty", "train"]));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "train-images-idx3-ubyte");
    assert!(stderr.contains("data fetch"), "{stderr}");
}

#[test]
fn truncated_or_wrong_magic_idx_names_the_file() {
    let src = mnist_dir();
    for (name, damage) in [
        ("t10k-labels-idx1-ubyte", "truncate"),
        ("t10k-images-idx3-ubyte", "magic"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        for entry in fs::read_dir(&src).unwrap() {
            let entry = entry.unwrap();
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(name) {
                continue;
            }
            fs::copy(entry.path(), data.join(&file)).unwrap();
        }
        // The damaged file is written raw (not gzip) from the real decompressed bytes.
        let gz = fs::read(src.join(format!("{name}.gz"))).unwrap();
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
        match damage {
            "truncate" => raw.truncate(raw.len() / 2),
            _ => raw[3] = 0x42,
        }
        fs::write(data.join(name), &raw).unwrap();
        let (code, _, stderr) = run(mnist_tui(dir.path()).args(["train", "--epochs", "1"]));
        assert_ne!(code, 0, "{damage}: {stderr}");
        assert_one_clear_line(&stderr, name);
    }
}

#[test]
fn bad_config_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("config.ron"),
        "(\n  train: (lr: \"fast\"),\n)\n",
    )
    .unwrap();
    let (code, _, stderr) = run(mnist_tui(dir.path()).args(["runs", "list"]));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "config.ron:2:");
}

#[test]
fn unknown_run_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(mnist_tui(dir.path()).args(["runs", "show", "nope"]));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "no run 'nope'");
}

#[test]
fn train_list_show_and_damage_handling() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist_dir();
    let (code, stdout, stderr) = run(mnist_tui(dir.path()).args([
        "--data-dir",
        data.to_str().unwrap(),
        "train",
        "--model",
        "mlp",
        "--epochs",
        "1",
        "--max-train",
        "3200",
        "--max-test",
        "1000",
        "--validation",
        "500",
        "--log-every",
        "10",
    ]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    // Piped output: plain lines, a loss point every 10 batches (50 batches of 64).
    let loss_lines = stdout
        .lines()
        .filter(|l| l.contains(" loss ") && l.contains("step"))
        .count();
    assert_eq!(loss_lines, 5, "{stdout}");
    assert!(stdout.contains("epoch 1 done"), "{stdout}");

    let runs: Vec<_> = fs::read_dir(dir.path().join("runs")).unwrap().collect();
    assert_eq!(runs.len(), 1);
    let run_dir = runs[0].as_ref().unwrap().path();
    assert!(run_dir.join("run.ron").is_file());
    assert!(run_dir.join("model.safetensors").is_file());
    let id = run_dir.file_name().unwrap().to_string_lossy().into_owned();

    // A resumed run keeps its own settings: a training flag other than --epochs is
    // refused, not silently ignored, and the run is untouched.
    let before = fs::read(run_dir.join("run.ron")).unwrap();
    let (code, _, stderr) = run(mnist_tui(dir.path()).args([
        "--data-dir",
        data.to_str().unwrap(),
        "train",
        "--resume",
        &id,
        "--lr",
        "0.1",
    ]));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "--lr cannot be given with --resume");
    assert_eq!(fs::read(run_dir.join("run.ron")).unwrap(), before);

    // show --json has the documented fields.
    let (code, stdout, _) = run(mnist_tui(dir.path()).args(["runs", "show", &id, "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "finished");
    assert_eq!(v["config"]["model"], "mlp");
    assert_eq!(v["config"]["batch_size"], 64);
    assert_eq!(v["config"]["epochs"], 1);
    assert!(v["config"]["lr"].is_number() && v["config"]["seed"].is_number());
    let epoch = &v["epochs"][0];
    for key in [
        "epoch",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "seconds",
    ] {
        assert!(epoch[key].is_number(), "missing {key}: {epoch}");
    }
    assert!(
        epoch["test_acc"].is_null(),
        "tested once, at the end: {epoch}"
    );
    let acc = v["val_acc"].as_f64().unwrap();
    assert!(
        (0.8..=1.0).contains(&acc),
        "validation accuracy {acc} (fraction)"
    );
    let acc = v["summary"]["test_acc"].as_f64().unwrap();
    assert!((0.8..=1.0).contains(&acc), "test accuracy {acc} (fraction)");
    assert_eq!(v["test_acc"], v["summary"]["test_acc"]);
    assert_eq!(v["kept_epoch"], 1);
    assert_eq!(v["val_size"], 500);
    let (code, text, _) = run(mnist_tui(dir.path()).args(["runs", "show", &id]));
    assert_eq!(code, 0);
    for part in [
        "3200 train / 500 validation / 1000 test images",
        "VAL ACC",
        "kept        epoch 1 (lowest validation loss)",
        "(reported only)",
        "VAL PREC",
        "test confusion matrix",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
    assert_eq!(v["losses"].as_array().unwrap().len(), 5);
    assert!(v["losses"][0]["step"].is_number() && v["losses"][0]["loss"].is_number());

    // A malformed run beside it is reported, and the good one is still listed.
    let bad = dir.path().join("runs/20200101-000000-mlp-dead");
    fs::create_dir(&bad).unwrap();
    fs::write(
        bad.join("run.ron"),
        "(id: \"20200101-000000-mlp-dead\", config: (",
    )
    .unwrap();
    let (code, stdout, stderr) = run(mnist_tui(dir.path()).args(["runs", "list"]));
    assert_eq!(code, 0);
    assert!(stdout.contains(&id), "{stdout}");
    assert!(stderr.contains("20200101-000000-mlp-dead"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let (code, stdout, _) = run(mnist_tui(dir.path()).args(["runs", "list", "--json"]));
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (code, _, stderr) =
        run(mnist_tui(dir.path()).args(["runs", "show", "20200101-000000-mlp-dead"]));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "malformed");

    // rm deletes (not a terminal: --yes confirms).
    let (code, _, _) = run(mnist_tui(dir.path()).args(["runs", "rm", &id, "--yes"]));
    assert_eq!(code, 0);
    assert!(!run_dir.exists());
}

#[test]
fn a_flag_of_another_optimizer_is_an_error_and_a_config_value_is_shown_as_not_applying() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let train = |args: &[&str]| {
        let mut all = vec!["--data-dir", "empty", "train"];
        all.extend(args);
        run(mnist_tui(dir.path()).args(&all))
    };
    let (range_code, _, stderr) = train(&["--lr", "20"]);
    assert_one_clear_line(&stderr, "learning rate 20 must be in (0, 10]");
    for (args, message) in [
        (
            &["--optimizer", "adam", "--momentum", "0.9"][..],
            "--momentum 0.9 does not apply to adam (it applies to sgd)",
        ),
        (
            &["--optimizer", "adamw", "--nesterov", "true"][..],
            "--nesterov true does not apply to adamw (it applies to sgd)",
        ),
        (
            &["--optimizer", "sgd", "--beta2", "0.99"][..],
            "--beta2 0.99 does not apply to sgd (it applies to adam and adamw)",
        ),
        // mlp's default optimiser is Adam.
        (
            &["--model", "mlp", "--momentum", "0.5"][..],
            "--momentum 0.5 does not apply to adam",
        ),
    ] {
        let (code, _, stderr) = train(args);
        assert_eq!(code, range_code, "{args:?}: {stderr}");
        assert_one_clear_line(&stderr, message);
    }
    // A default value is no error: the command gets as far as the (missing) data.
    let (code, _, stderr) = train(&["--optimizer", "adam", "--momentum", "0"]);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "train-images-idx3-ubyte");

    // The same value from config.ron is kept, trained with and shown as n/a.
    fs::write(
        dir.path().join("config.ron"),
        "(train: (optimizer: adam, momentum: 0.9, nesterov: true))\n",
    )
    .unwrap();
    let data = mnist_dir();
    let (code, stdout, stderr) = run(mnist_tui(dir.path()).args([
        "--data-dir",
        data.to_str().unwrap(),
        "train",
        "--epochs",
        "1",
        "--max-train",
        "256",
        "--max-test",
        "256",
    ]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("momentum n/a"), "the banner: {stdout}");
    let (code, listed, _) = run(mnist_tui(dir.path()).args(["runs", "list", "--json"]));
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    let (code, shown, _) = run(mnist_tui(dir.path()).args(["runs", "show", &id]));
    assert_eq!(code, 0);
    let line = |label: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {shown}"))
            .to_string()
    };
    assert!(line("Momentum").ends_with(" n/a"), "{shown}");
    assert!(line("Nesterov").ends_with(" n/a"), "{shown}");
    assert!(line("Beta1").ends_with(" 0.9"), "{shown}");
    assert!(line("Epsilon").ends_with(" 1e-8"), "{shown}");
    // The record keeps what config.ron said.
    let (_, json, _) = run(mnist_tui(dir.path()).args(["runs", "show", &id, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["config"]["momentum"], 0.9);
    assert_eq!(v["config"]["nesterov"], true);
}

/// `mnist-tui --data-dir <cwd>/data ARGS` in `cwd` (config.ron read from `cwd` if
/// written there), stdin closed.
fn data_command(cwd: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    run(mnist_tui(cwd)
        .arg("--data-dir")
        .arg(cwd.join("data"))
        .args(args)
        .stdin(std::process::Stdio::null()))
}

/// `data fetch` in `cwd` with config.ron naming one loopback mirror serving `files`.
fn fetch_from_mirror(
    cwd: &std::path::Path,
    files: Vec<(String, Vec<u8>)>,
) -> (i32, String, String) {
    let mirror = Mirror::serve(files).url;
    fs::write(cwd.join("config.ron"), format!("(mirrors: [\"{mirror}\"])")).unwrap();
    data_command(cwd, &["data", "fetch"])
}

const MNIST_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

#[test]
fn data_list_shows_every_dataset_where_its_files_go_and_folders_of_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir_all(data.join("shapes")).unwrap();
    fs::write(
        data.join("shapes/classes.txt"),
        "circle\nsquare\ntriangle\n",
    )
    .unwrap();
    fs::write(data.join("train-labels-idx1-ubyte.gz"), b"x").unwrap();
    let (code, stdout, stderr) = data_command(dir.path(), &["data", "list"]);
    assert_eq!(code, 0, "{stderr}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
            .to_string()
    };
    let mnist = line("mnist");
    assert!(
        mnist.contains("MNIST") && mnist.contains("1 of 4"),
        "{mnist}"
    );
    assert!(mnist.ends_with(&data.display().to_string()), "{mnist}");
    let fashion = line("fashion-mnist");
    assert!(fashion.contains("none"), "{fashion}");
    assert!(fashion.contains(&data.join("fashion-mnist").display().to_string()));
    assert!(line("kmnist").contains("Kuzushiji-MNIST"));
    let letters = line("emnist-letters");
    assert!(letters.contains(" 26 "), "{letters}");
    assert!(letters.contains("no mirror"), "{letters}");
    assert!(line("emnist-balanced").contains(" 47 "));
    assert!(stdout.contains("folders of one's own:"), "{stdout}");
    assert!(line("shapes").contains(" 3 "), "{stdout}");
}

#[test]
fn emnist_letters_verify_with_their_1_based_labels_and_fetch_says_how_to_extract_them() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data/emnist-letters");
    fs::create_dir_all(&folder).unwrap();
    // The labels files at their real sizes (the images are large; they stay missing).
    fs::write(
        folder.join("emnist-letters-train-labels-idx1-ubyte.gz"),
        gzip(&labels_file(124_800, 1, 26)),
    )
    .unwrap();
    fs::write(
        folder.join("emnist-letters-test-labels-idx1-ubyte"),
        labels_file(20_800, 1, 26),
    )
    .unwrap();
    // The dataset comes from config.ron's train section when --dataset is not given.
    fs::write(
        dir.path().join("config.ron"),
        "(train: (dataset: \"emnist-letters\"))",
    )
    .unwrap();
    let (code, stdout, stderr) = data_command(dir.path(), &["data", "verify"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "EMNIST Letters (emnist-letters) in {}\n",
            folder.display()
        )),
        "{stdout}"
    );
    for name in ["train-labels", "test-labels"] {
        let want = format!("unverified  emnist-letters-{name}-idx1-ubyte: ");
        assert!(stdout.contains(&want), "{want} not in:\n{stdout}");
    }
    for name in ["train-images", "test-images"] {
        let want = format!("missing     emnist-letters-{name}-idx3-ubyte ");
        assert!(stdout.contains(&want), "{want} not in:\n{stdout}");
    }
    assert!(
        stdout.contains("unverified: NIST publishes no checksum"),
        "{stdout}"
    );
    assert_one_clear_line(
        &stderr,
        "2 of 4 EMNIST Letters files are missing or bad; run `mnist-tui data fetch --dataset emnist-letters`",
    );

    let (code, _, stderr) = data_command(dir.path(), &["data", "fetch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error: EMNIST Letters has no download mirror"),
        "{stderr}"
    );
    let unzip = format!(
        "\n  unzip -j gzip.zip 'gzip/emnist-letters-*' -d {}\n",
        folder.display()
    );
    assert!(stderr.contains(&unzip), "{unzip} not in:\n{stderr}");
    assert!(stderr.contains("  emnist-letters-train-images-idx3-ubyte.gz  (or "));
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn data_fetch_of_a_folder_of_ones_own_is_a_clear_error_and_verify_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let shapes = dir.path().join("data/shapes");
    fs::create_dir_all(&shapes).unwrap();
    fs::write(shapes.join("classes.txt"), "circle\nsquare\n").unwrap();
    let (code, _, stderr) = data_command(dir.path(), &["data", "fetch", "--dataset", "shapes"]);
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "nothing to download");
    assert!(stderr.contains(&shapes.display().to_string()), "{stderr}");

    fs::write(shapes.join("t10k-labels-idx1-ubyte"), labels_file(5, 0, 2)).unwrap();
    let (code, stdout, stderr) =
        data_command(dir.path(), &["data", "verify", "--dataset", "shapes"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("unverified  t10k-labels-idx1-ubyte: 5 items, raw"),
        "{stdout}"
    );
    assert!(stdout.contains("a dataset of one's own"), "{stdout}");
    assert_one_clear_line(&stderr, &format!("put them in {}", shapes.display()));
}

#[test]
fn mnist_fetch_from_a_loopback_mirror_goes_into_the_data_folder_checked_by_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Corrupted: valid IDX files that are not MNIST's.
    let fakes: Vec<(String, Vec<u8>)> = MNIST_NAMES
        .iter()
        .map(|n| (format!("{n}.gz"), gzip(&labels_file(3, 0, 10))))
        .collect();
    let (code, _, stderr) = fetch_from_mirror(dir.path(), fakes);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("could not download 4 MNIST files from any mirror"),
        "{stderr}"
    );
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(
        stderr.contains(&format!("Put these files in {} ", data.display())),
        "MNIST goes into the data folder itself: {stderr}"
    );
    assert_eq!(
        fs::read_dir(&data).unwrap().count(),
        0,
        "nothing left behind"
    );

    // Good: the real files, checked by their SHA-256 on the way in.
    let src = mnist_dir();
    let real: Vec<(String, Vec<u8>)> = MNIST_NAMES
        .iter()
        .map(|n| {
            let gz = format!("{n}.gz");
            let bytes = fs::read(src.join(&gz)).unwrap();
            (gz, bytes)
        })
        .collect();
    let (code, stdout, stderr) = fetch_from_mirror(dir.path(), real);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "MNIST is ready in {} (4 file(s) downloaded, every file verified",
            data.display()
        )),
        "{stdout}"
    );
    for n in MNIST_NAMES {
        assert!(data.join(format!("{n}.gz")).is_file(), "{n}");
    }
    let (code, stdout, stderr) = data_command(dir.path(), &["data", "verify"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("all 4 MNIST files are good (each verified by its checksum)\n"),
        "{stdout}"
    );
}
