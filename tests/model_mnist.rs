//! Brief training runs on real MNIST: each architecture must clearly learn.
//!
//! Needs real MNIST as gzip IDX files (found or fetched once by `common::mnist_dir`);
//! fails, never skips, when it cannot be had.

mod common;
#[path = "model_mnist/exports.rs"]
mod exports;

use std::io::Read;
use std::time::Instant;

use mnist_tui::model::{IMAGE_PIXELS, Learner, Network, Preset};

struct Set {
    images: Vec<f32>,
    labels: Vec<u8>,
}

fn read_gz(name: &str) -> Vec<u8> {
    let path = common::mnist_dir().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "cannot open {} ({e}). These tests need real MNIST: download \
             train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
             t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (e.g. from \
             https://ossci-datasets.s3.amazonaws.com/mnist/) into one directory and \
             set MNIST_DATA_DIR to it (default: ../shared/mnist next to the crate).",
            path.display()
        )
    });
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: not gzip ({e})", path.display()));
    out
}

fn be_u32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Reads the first `limit` images and labels of a split, pixels scaled to [0, 1]
/// and then normalised with MNIST's mean and std.
fn load(prefix: &str, limit: usize) -> Set {
    let img = read_gz(&format!("{prefix}-images-idx3-ubyte.gz"));
    let lab = read_gz(&format!("{prefix}-labels-idx1-ubyte.gz"));
    assert_eq!(be_u32(&img, 0), 0x0803, "bad image magic");
    assert_eq!(be_u32(&lab, 0), 0x0801, "bad label magic");
    let n = be_u32(&img, 4).min(limit);
    assert_eq!((be_u32(&img, 8), be_u32(&img, 12)), (28, 28));
    assert!(be_u32(&lab, 4) >= n);
    let images = img[16..16 + n * IMAGE_PIXELS]
        .iter()
        .map(|&p| (p as f32 / 255.0 - 0.1307) / 0.3081)
        .collect();
    Set {
        images,
        labels: lab[8..8 + n].to_vec(),
    }
}

/// Trains `arch` with its default optimiser (and `batch` images per step, or the
/// default) for one pass over `train` and returns the test accuracy.
fn train_and_test(arch: Preset, batch: Option<usize>, train: &Set, test: &Set) -> f64 {
    let start = Instant::now();
    let mut d = arch.defaults();
    d.batch_size = batch.unwrap_or(d.batch_size);
    let mut learner = Learner::new(Network::preset(arch, 1), d.optimizer);
    for (x, y) in train
        .images
        .chunks(d.batch_size * IMAGE_PIXELS)
        .zip(train.labels.chunks(d.batch_size))
    {
        let loss = learner.train_batch(x, y).unwrap().loss;
        assert!(loss.is_finite(), "{arch}: loss {loss}");
    }
    let eval = learner
        .network()
        .evaluate(&test.images, &test.labels)
        .unwrap();
    eprintln!(
        "{arch}: {} train images, test accuracy {:.2}% on {}, loss {:.3}, {:.1}s",
        train.labels.len(),
        100.0 * eval.accuracy(),
        eval.total,
        eval.loss,
        start.elapsed().as_secs_f64()
    );
    eval.accuracy()
}

#[test]
fn mlp_learns_mnist_quickly() {
    let (train, test) = (load("train", 5000), load("t10k", 2000));
    let acc = train_and_test(Preset::Mlp, None, &train, &test);
    assert!(acc >= 0.83, "mlp accuracy {acc}");
}

#[test]
fn lenet_learns_mnist_quickly() {
    let (train, test) = (load("train", 5000), load("t10k", 1000));
    let acc = train_and_test(Preset::Lenet, None, &train, &test);
    assert!(acc >= 0.80, "lenet accuracy {acc}");
}

#[test]
fn cnn_learns_mnist_quickly() {
    let (train, test) = (load("train", 2000), load("t10k", 1000));
    // Smaller batches than the default 128, so 2000 images are 63 steps.
    let acc = train_and_test(Preset::Cnn, Some(32), &train, &test);
    assert!(acc >= 0.80, "cnn accuracy {acc}");
}
