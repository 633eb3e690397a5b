//! Preprocessing measured on real MNIST digits (needs the MNIST files: see
//! `digit_support::mnist_dir`; the tests fail, saying how to get them, when absent).

mod digit_support;

use digit_support::{Kind, Knn, com, load_mnist, make, mean_abs_diff, resize_only};
use mnist_tui::digit::preprocess::COM_TARGET;
use mnist_tui::digit::{prepare, prepare_pixels};

#[test]
fn com_target_matches_mnist() {
    let (images, _) = load_mnist("t10k", 10_000);
    let (mut sx, mut sy) = (0.0, 0.0);
    for img in &images {
        let (x, y) = com(img);
        sx += x;
        sy += y;
    }
    let n = images.len() as f64;
    let (mx, my) = (sx / n, sy / n);
    eprintln!("MNIST mean centre of mass: x = {mx:.3}, y = {my:.3}");
    assert!((mx - f64::from(COM_TARGET.0)).abs() < 0.5, "x {mx}");
    assert!((my - f64::from(COM_TARGET.1)).abs() < 0.5, "y {my}");
}

#[test]
fn genuine_mnist_passes_through_nearly_unchanged() {
    let (images, _) = load_mnist("t10k", 2000);
    let mut diffs = Vec::new();
    let mut com_shift_max: f64 = 0.0;
    let mut identical = 0;
    for img in &images {
        let p = prepare_pixels(img).expect("an MNIST digit is a digit");
        let d = mean_abs_diff(img, &p.pixels);
        diffs.push(d);
        let (a, b) = (com(img), com(&p.pixels));
        com_shift_max = com_shift_max.max((a.0 - b.0).abs()).max((a.1 - b.1).abs());
        identical += usize::from(d < 0.5);
    }
    diffs.sort_by(f64::total_cmp);
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let median = diffs[diffs.len() / 2];
    let p95 = diffs[diffs.len() * 95 / 100];
    eprintln!(
        "MNIST → prepare: mean |Δ| = {mean:.2}/255, median {median:.2}, p95 {p95:.2}, \
         max COM shift {com_shift_max:.2} px, {identical}/{} near-identical",
        diffs.len()
    );
    assert!(mean < 6.0, "mean abs diff {mean}");
    assert!(median < 3.0, "median abs diff {median}");
    assert!(com_shift_max <= 1.5, "COM moved by {com_shift_max}");
}

/// The development harness: user-like images built from MNIST test digits, classified
/// by 1-NN against MNIST training digits, prepared vs resize-only vs untouched.
#[test]
fn user_like_images_classify_almost_as_well_as_mnist() {
    let (train_x, train_y) = load_mnist("train", 3000);
    let (test_x, test_y) = load_mnist("t10k", 300);
    let knn = Knn {
        images: &train_x,
        labels: &train_y,
    };
    let base = knn.accuracy(&test_x, &test_y);
    eprintln!("untouched MNIST: 1-NN accuracy {:.1}%", 100.0 * base);
    for kind in Kind::ALL {
        let mut prepared = Vec::new();
        let mut naive = Vec::new();
        let mut no_digit = 0;
        let mut diff = 0.0;
        for (i, x) in test_x.iter().enumerate() {
            let (bytes, _) = make(kind, x, i as u64);
            let img = image::load_from_memory(&bytes).expect("decodes");
            naive.push(resize_only(&img));
            match prepare(&img) {
                Ok(p) => {
                    diff += mean_abs_diff(x, &p.pixels);
                    prepared.push(p.pixels);
                }
                Err(_) => {
                    no_digit += 1;
                    prepared.push([0u8; 784]);
                }
            }
        }
        let acc = knn.accuracy(&prepared, &test_y);
        let acc_naive = knn.accuracy(&naive, &test_y);
        eprintln!(
            "{:<12} prepared {:.1}%  resize-only {:.1}%  mean |Δ| vs original {:.1}/255  no-digit {}",
            kind.name(),
            100.0 * acc,
            100.0 * acc_naive,
            diff / test_x.len() as f64,
            no_digit
        );
        assert_eq!(no_digit, 0, "{}: digits reported missing", kind.name());
        assert!(acc >= base - 0.06, "{}: {acc} vs {base}", kind.name());
        assert!(
            acc > acc_naive + 0.3,
            "{}: {acc} vs naive {acc_naive}",
            kind.name()
        );
    }
}
