//! `mnist-tui predict` driven through the built binary, on a run trained for the test on
//! real MNIST (needs the files: see `common::mnist_dir`).

mod common;

use common::{mnist_dir, mnist_tui, run};
use mnist_tui::data::{LoadedDataset, Split};
use mnist_tui::runs::RunStore;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Writes test digit `i` as `<dir>/<i>-<label>.png`.
fn save_digit(mnist: &LoadedDataset, i: usize, dir: &Path) -> PathBuf {
    let test = mnist.split(Split::Test);
    let img = image::GrayImage::from_raw(28, 28, test.image(i).to_vec()).unwrap();
    let path = dir.join(format!("{i:05}-{}.png", test.labels[i]));
    img.save(&path).unwrap();
    path
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn predict_files_json_errors_and_accuracy() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let runs = root.join("runs");
    let data = mnist_dir();

    // No run yet: a clear error saying how to train one.
    let (code, _, err) = run(mnist_tui(root)
        .args(["predict", "x.png", "--runs-dir"])
        .arg(&runs));
    assert_ne!(code, 0);
    assert!(err.contains("mnist-tui train --model cnn"), "{err}");

    let (code, _, err) = run(mnist_tui(root)
        .args([
            "train",
            "--model",
            "mlp",
            "--epochs",
            "1",
            "--max-train",
            "6000",
        ])
        .args(["--max-test", "1000", "--runs-dir"])
        .arg(&runs)
        .arg("--data-dir")
        .arg(&data));
    assert_eq!(code, 0, "training failed: {err}");
    let (records, _) = RunStore::new(&runs).list().unwrap();
    let run_acc = f64::from(records[0].summary.as_ref().unwrap().test_acc);

    let mnist = LoadedDataset::load_mnist(&data).unwrap();
    let pngs = root.join("pngs");
    std::fs::create_dir(&pngs).unwrap();
    let digits: Vec<PathBuf> = (0..200).map(|i| save_digit(&mnist, i, &pngs)).collect();
    let text = root.join("notes.txt");
    std::fs::write(&text, "not an image\n").unwrap();
    let truncated = root.join("cut.png");
    let whole = std::fs::read(&digits[0]).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let blank = root.join("blank.png");
    image::GrayImage::from_pixel(40, 30, image::Luma([255]))
        .save(&blank)
        .unwrap();

    // --json: one object per file and line, errors in place, non-zero exit.
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--json", "--runs-dir"])
        .arg(&runs)
        .args(&digits[..3])
        .args([&text, &truncated, &blank]));
    assert_ne!(code, 0, "bad files make the exit non-zero");
    assert!(
        err.contains("the finished run with the best validation accuracy"),
        "{err}"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 6, "{out}");
    for (line, path) in lines.iter().zip(&digits[..3]) {
        assert_eq!(line["file"], path.display().to_string());
        let probs = line["probabilities"].as_array().unwrap();
        assert_eq!(probs.len(), 10);
        let sum: f64 = probs.iter().map(|p| p.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-3, "{sum}");
        assert!(line["digit"].as_u64().unwrap() < 10);
        assert_eq!(line["top3"].as_array().unwrap().len(), 3);
        // Unsure below 60 %, and then the verdict names the two likeliest digits.
        let unsure = line["confidence"].as_f64().unwrap() < 0.6;
        assert_eq!(line["unsure"], unsure, "{line}");
        let verdict = line["verdict"].as_str().unwrap();
        let top = &line["top3"];
        let want = if unsure {
            format!("unsure: {} or {}", top[0]["digit"], top[1]["digit"])
        } else {
            line["digit"].to_string()
        };
        assert_eq!(verdict, want);
    }
    assert!(
        lines[3]["error"].as_str().unwrap().contains("not an image"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4]["error"]
            .as_str()
            .unwrap()
            .contains("truncated or corrupt"),
        "{}",
        lines[4]
    );
    assert!(lines[5]["digit"].is_null(), "{}", lines[5]);
    assert!(lines[5]["reason"].as_str().unwrap().contains("no digit"));
    assert!(lines[5].get("error").is_none());

    // Text mode: the rendering, the prediction and the top 3; errors on stderr.
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--runs-dir"])
        .arg(&runs)
        .args([&digits[0], &text]));
    assert_ne!(code, 0);
    assert!(
        out.contains("prediction: ") && out.contains("top 3: "),
        "{out}"
    );
    assert!(out.contains("@@"), "ASCII rendering:\n{out}");
    assert!(err.contains("notes.txt: not an image"), "{err}");

    // Predicting genuine MNIST PNGs agrees with the run's own test accuracy.
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--json", "--runs-dir"])
        .arg(&runs)
        .args(&digits));
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    let correct = lines
        .iter()
        .zip(0..)
        .filter(|(l, i)| l["digit"].as_u64() == Some(u64::from(mnist.test.labels[*i])))
        .count();
    let acc = correct as f64 / digits.len() as f64;
    eprintln!(
        "predict on {} MNIST test PNGs: {:.1}%; the run's test accuracy: {:.1}%",
        digits.len(),
        acc * 100.0,
        run_acc * 100.0
    );
    assert!(
        (acc - run_acc).abs() < 0.06,
        "predict {acc} vs run {run_acc}"
    );
}

/// A network of one's own, defined in `config.ron`: listed and summarised before
/// training, trained, saved with its layers, and still predicting and resuming once
/// it is deleted from the config; a wrong one is an error naming the layer.
#[test]
fn a_network_from_config_trains_and_outlives_its_definition() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let config = root.join("config.ron");
    let layers = "Flatten, Dense(32), BatchNorm, Relu, Dropout(0.2), Dense(classes)";
    std::fs::write(
        &config,
        format!("(\n    // mine\n    networks: {{ \"tiny-bn\": [{layers}] }},\n)\n"),
    )
    .unwrap();
    let cli = |args: &[&str]| common::cli(root, args);

    let (code, out, err) = run(&mut cli(&["models"]));
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("tiny-bn")).unwrap();
    // 785·32 + 2·32 (batch norm's scale and shift) + 33·10.
    assert!(
        line.contains("25,514") && line.contains("config.ron"),
        "{line}"
    );
    let (code, out, err) = run(&mut cli(&["models", "tiny-bn"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("BatchNorm") && out.contains("training a batch of 64"),
        "{out}"
    );

    let (code, _, err) = run(&mut cli(&[
        "train",
        "--model",
        "tiny-bn",
        "--epochs",
        "1",
        "--max-train",
        "3000",
        "--max-test",
        "500",
    ]));
    assert_eq!(code, 0, "training failed: {err}");
    let (records, _) = RunStore::new(root.join("runs")).list().unwrap();
    let r = &records[0];
    assert_eq!(r.config.model, "tiny-bn");
    assert_eq!(r.config.layers.to_string(), layers);
    assert_eq!(r.params, 25_514, "the summary's count is the weights'");
    assert!(r.summary.as_ref().unwrap().test_acc > 0.6);

    // Deleted from the config: the run still predicts and resumes from its record.
    std::fs::write(&config, "(\n    // nothing of mine\n)\n").unwrap();
    let (_, out, _) = run(&mut cli(&["models"]));
    assert!(!out.contains("tiny-bn"), "{out}");
    let mnist = LoadedDataset::load_mnist(&mnist_dir()).unwrap();
    let digit = save_digit(&mnist, 0, root);
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--json", "--run", &r.id, "--runs-dir"])
        .arg(root.join("runs"))
        .arg(&digit));
    assert_eq!(code, 0, "{err}");
    assert!(json_lines(&out)[0]["digit"].as_u64().unwrap() < 10, "{out}");
    let (code, _, err) = run(&mut cli(&["train", "--resume", &r.id, "--epochs", "1"]));
    assert_eq!(code, 0, "resume failed: {err}");
    let (records, _) = RunStore::new(root.join("runs")).list().unwrap();
    assert_eq!(records[0].epochs.len(), 2);

    // A wrong network is an error naming the file, the network, the layer and the
    // shapes, before anything trains.
    std::fs::write(
        &config,
        "(networks: { \"flat\": [Dense(32), Relu, Dense(classes)] })",
    )
    .unwrap();
    let (code, _, err) = run(&mut cli(&["train", "--model", "flat"]));
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "config.ron: network 'flat': layer 1 `Dense(32)`: needs a vector of features, \
             got a 28×28×1 map: add Flatten before it"
        ),
        "{err}"
    );
    std::fs::write(&config, "(networks: { \"x\": [Flatten, Densee(3)] })").unwrap();
    let (code, _, err) = run(&mut cli(&["models"]));
    assert_ne!(code, 0);
    assert!(
        err.contains("config.ron:1:29") && err.contains("Densee"),
        "{err}"
    );
    let (records, _) = RunStore::new(root.join("runs")).list().unwrap();
    assert_eq!(records.len(), 1, "nothing else trained");
}

/// On Fashion-MNIST: `predict` names classes, and a 28×28 test image of the dataset
/// passes through its preparation unchanged, so each PNG cut from the test set gets
/// exactly the class evaluation gives it (and their accuracy is the run's on them).
#[test]
fn fashion_pngs_cut_from_the_test_set_predict_as_in_evaluation() {
    use mnist_tui::predict::Predictor;
    let Some(data_root) = common::mnist::fashion_root() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let runs = root.join("runs");
    let (code, _, err) = run(mnist_tui(root)
        .args([
            "train",
            "--dataset",
            "fashion-mnist",
            "--model",
            "mlp",
            "--epochs",
            "1",
        ])
        .args(["--max-train", "3000", "--max-test", "500", "--runs-dir"])
        .arg(&runs)
        .arg("--data-dir")
        .arg(&data_root));
    assert_eq!(code, 0, "training failed: {err}");
    let store = RunStore::new(&runs);
    let (records, _) = store.list().unwrap();
    let record = &records[0];
    let predictor = Predictor::from_run(&store, record).unwrap();

    let fashion = LoadedDataset::load(&data_root, &"fashion-mnist".parse().unwrap()).unwrap();
    let pngs = root.join("pngs");
    std::fs::create_dir(&pngs).unwrap();
    let n = 300;
    let files: Vec<PathBuf> = (0..n).map(|i| save_digit(&fashion, i, &pngs)).collect();
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--json", "--runs-dir"])
        .arg(&runs)
        .args(&files));
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), n);
    let mut correct = 0;
    for (i, line) in lines.iter().enumerate() {
        let mut pixels = [0u8; 784];
        pixels.copy_from_slice(fashion.test.image(i));
        let evaluated = predictor.predict(&pixels).unwrap();
        assert_eq!(
            line["class"].as_u64(),
            Some(u64::from(evaluated.class)),
            "{line}"
        );
        let name = fashion.info.class_name(usize::from(evaluated.class));
        assert_eq!(line["class_name"], name.as_str(), "{line}");
        assert!(
            line.get("digit").is_none(),
            "no digit key for clothes: {line}"
        );
        assert_eq!(line["dataset"], "fashion-mnist");
        correct += usize::from(evaluated.class == fashion.test.labels[i]);
    }
    let acc = correct as f64 / n as f64;
    eprintln!(
        "predict on {n} Fashion-MNIST test PNGs: {:.1}%",
        acc * 100.0
    );
    assert!(acc > 0.6, "{acc}");

    // Text mode names the class; a product photo (dark on white, larger than 28 px)
    // is prepared the dataset's way and predicted.
    let photo = root.join("photo.png");
    let mut img = image::GrayImage::from_pixel(160, 120, image::Luma([255]));
    for y in 30..100 {
        for x in 20..90 {
            img.put_pixel(x, y, image::Luma([40]));
        }
    }
    img.save(&photo).unwrap();
    let (code, out, err) = run(mnist_tui(root)
        .args(["predict", "--runs-dir"])
        .arg(&runs)
        .args([&files[0], &photo]));
    assert_eq!(code, 0, "{err}");
    let first = predictor
        .predict(fashion.test.image(0).try_into().unwrap())
        .unwrap()
        .verdict(&fashion.info);
    assert!(out.contains(&format!("prediction: {first} (")), "{out}");
    assert_eq!(out.matches("prediction: ").count(), 2, "{out}");
}
