//! Loads the real MNIST files (found or fetched once by `common::mnist_dir`).

mod common;

use mnist_tui::data::{DataError, DatasetFiles, LoadedDataset, MNIST_FILES, verify};
use std::path::PathBuf;
use std::time::Instant;

/// The data directory (fetched once when nowhere; see `common::mnist`).
fn require_data() -> PathBuf {
    common::mnist_dir()
}

#[test]
fn real_mnist_loads_with_expected_counts_and_labels() {
    let dir = require_data();
    let start = Instant::now();
    let m = LoadedDataset::load_mnist(&dir)
        .unwrap_or_else(|e| panic!("loading MNIST from {}: {e}", dir.display()));
    eprintln!("LoadedDataset::load took {:?}", start.elapsed());
    assert_eq!(m.train.len(), 60_000);
    assert_eq!(m.test.len(), 10_000);
    assert_eq!(m.train.images.len(), 60_000 * 784);
    assert_eq!(m.test.images.len(), 10_000 * 784);
    // Known class counts of MNIST.
    assert_eq!(
        m.train.label_histogram(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        m.test.label_histogram(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    // Famous first samples: a 5 then a 0 in train, a 7 in test.
    assert_eq!(&m.train.labels[..2], &[5, 0]);
    assert_eq!(m.test.labels[0], 7);
    // Pixel mean (scaled to 0..1) close to the published 0.1307.
    let mean = m.train.images.iter().map(|&p| p as f64).sum::<f64>()
        / (m.train.images.len() as f64 * 255.0);
    assert!((mean - 0.1307).abs() < 0.001, "mean {mean}");
}

#[test]
fn real_mnist_checksums_match() {
    let dir = require_data();
    for r in verify(&DatasetFiles::mnist(&dir)) {
        assert!(r.is_good(), "{}: {:?}", r.file.name, r.status);
        assert!(r.sha256_matches);
        assert_eq!(r.sha256.as_deref(), r.file.sha256());
        let want = if r.file.name.contains("train") {
            60_000
        } else {
            10_000
        };
        assert_eq!(r.count, Some(want), "{}", r.file.name);
    }
}

#[test]
fn a_truncated_file_is_named_in_the_error() {
    let src = require_data();
    let tmp = tempfile::tempdir().unwrap();
    for f in MNIST_FILES {
        let from = f.locate(&src).unwrap();
        let to = tmp.path().join(from.file_name().unwrap());
        std::fs::copy(&from, &to).unwrap();
    }
    // Cut the test labels in half.
    let victim = MNIST_FILES[3].locate(tmp.path()).unwrap();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let err = LoadedDataset::load_mnist(tmp.path()).unwrap_err();
    match &err {
        DataError::Invalid { path, .. } => assert_eq!(path, &victim),
        other => panic!("expected Invalid naming {}, got {other}", victim.display()),
    }
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"), "{err}");
    eprintln!("{err}");
}
