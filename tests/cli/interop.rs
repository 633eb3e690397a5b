//! `export` and `import` through the built binary: every export format of a short
//! real run with batch norm, the PyTorch export imported back to bit-identical
//! weights, the tutorial's own `model.pkl` imported with PyTorch's predictions and
//! resumed, and hostile files refused without a run left behind.

use super::assert_one_clear_line;
use crate::common::{mnist_dir, mnist_tui, run};
use std::fs;
use std::path::Path;

/// A network of one's own with batch norm on a map and on flattened features.
const BN_NET: &str = "Conv(out: 4, kernel: 3, pad: 1), BatchNorm, Relu, MaxPool(2), \
                      Flatten, BatchNorm, Dense(16), Relu, Dense(classes)";

/// `mnist-tui` in `dir` with real MNIST and `args`; panics unless it succeeds.
fn ok(dir: &Path, args: &[&str]) -> String {
    let data = mnist_dir();
    let mut all = vec!["--data-dir", data.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(mnist_tui(dir).args(&all));
    assert_eq!(code, 0, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

/// `mnist-tui` in `dir` with `args`, expected to fail: its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let data = mnist_dir();
    let mut all = vec!["--data-dir", data.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(mnist_tui(dir).args(&all));
    assert_ne!(code, 0, "{args:?} succeeded:\n{stdout}");
    stderr
}

fn run_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(dir.join("runs"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().join("run.ron").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// The tensors of a safetensors file, by name: shape and raw bytes.
fn tensors(path: &Path) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let bytes = fs::read(path).expect("reads");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut v: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec(), t.data().to_vec()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_export_of_a_run_and_the_pytorch_one_imported_back_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("config.ron"),
        format!("(networks: {{ \"bn-net\": [{BN_NET}] }})"),
    )
    .expect("config");
    ok(
        d,
        &[
            "train",
            "--model",
            "bn-net",
            "--epochs",
            "1",
            "--max-train",
            "640",
            "--max-test",
            "200",
            "--validation",
            "100",
        ],
    );
    let id = run_ids(d).pop().expect("a run");
    let out = d.join("out");
    for (format, path) in [
        ("onnx", "m.onnx"),
        ("pytorch", "pt"),
        ("tensorboard", "tb"),
        ("csv", "csv"),
        ("svg", "c.svg"),
        ("png", "c.png"),
    ] {
        let target = out.join(path);
        let stdout = ok(
            d,
            &[
                "export",
                &id,
                "--to",
                format,
                "--out",
                target.to_str().expect("utf-8"),
            ],
        );
        assert!(stdout.contains("wrote "), "{format}: {stdout}");
        assert!(target.exists(), "{format}: {} missing", target.display());
    }
    let png = image::open(out.join("c.png")).expect("a PNG");
    assert_eq!((png.width(), png.height()), (1200, 600));
    let svg = fs::read_to_string(out.join("c.svg")).expect("svg");
    assert!(
        svg.starts_with("<svg") && svg.contains(&id),
        "{}",
        &svg[..svg.len().min(200)]
    );
    let epochs = fs::read_to_string(out.join("csv/epochs.csv")).expect("epochs.csv");
    assert!(
        epochs
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(&format!("{id},1,"))),
        "{epochs}"
    );
    assert!(
        fs::read_dir(out.join("tb").join(&id))
            .expect("tb run folder")
            .count()
            == 1
    );
    let py = fs::read_to_string(out.join("pt/model.py")).expect("model.py");
    assert!(py.contains("self.bn2 = nn.BatchNorm1d(784)"), "{py}");
    // Several runs go into one chart; a model format takes one run.
    let err = fails(d, &["export", &id, &id, "--to", "onnx"]);
    assert_one_clear_line(&err, "--to onnx exports one run's model; 2 runs were given");

    // The PyTorch export, imported back: the same tensors, bit for bit.
    let stdout = ok(
        d,
        &[
            "import",
            out.join("pt/model.safetensors").to_str().expect("utf-8"),
            "--model",
            "bn-net",
        ],
    );
    assert!(stdout.contains("imported "), "{stdout}");
    let imported = run_ids(d)
        .into_iter()
        .find(|r| *r != id)
        .expect("imported run");
    let weights = |r: &str| tensors(&d.join("runs").join(r).join("model.safetensors"));
    let kept = fs::read_dir(d.join("runs").join(&id))
        .expect("run dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n == "best.safetensors"))
        .unwrap_or_else(|| d.join("runs").join(&id).join("model.safetensors"));
    assert!(
        tensors(&kept) == weights(&imported),
        "the weights changed on the way"
    );
}

#[test]
fn the_tutorials_model_pkl_imports_with_pytorchs_accuracy_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/torch");
    let stdout = ok(
        d,
        &[
            "import",
            golden.join("model.pkl").to_str().expect("utf-8"),
            "--optimizer",
            golden.join("optimizer.pkl").to_str().expect("utf-8"),
        ],
    );
    assert!(
        stdout.contains("tutorial-mlp"),
        "the network is found by its tensors: {stdout}"
    );
    let id = run_ids(d).pop().expect("a run");
    let show = ok(d, &["runs", "show", &id]);
    for needle in [
        "status    imported",
        "model.pkl (PyTorch checkpoint, sha256",
        "optimizer.pkl",
        "sgd",
        "Momentum       0.9",
        "test        acc",
    ] {
        assert!(show.contains(needle), "'{needle}' not in:\n{show}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["runs", "show", &id, "--json"])).expect("json");
    assert_eq!(json["status"], "imported");
    // Resumed like any run: one epoch on a slice of the training images.
    let stdout = ok(d, &["train", "--resume", &id, "--epochs", "1"]);
    assert!(stdout.contains("epoch 1 done"), "{stdout}");
}

#[test]
fn hostile_and_mismatched_files_are_clear_errors_and_leave_no_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/torch");
    let path = |n: &str| golden.join(n).to_string_lossy().into_owned();
    let err = fails(d, &["import", &path("evil.pkl")]);
    assert_one_clear_line(&err, "refuses the pickle global");
    let bytes = fs::read(golden.join("model.pkl")).expect("model.pkl");
    let truncated = d.join("truncated.pkl");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let err = fails(d, &["import", truncated.to_str().expect("utf-8")]);
    assert_one_clear_line(&err, "truncated.pkl");
    let err = fails(d, &["import", &path("model.pkl"), "--model", "mlp"]);
    assert_one_clear_line(&err, "has no tensor 'fc1.weight'");
    let err = fails(d, &["import", &path("bn.pkl")]);
    assert_one_clear_line(&err, "bn.pkl");
    assert!(run_ids(d).is_empty(), "a failed import left a run");
}
