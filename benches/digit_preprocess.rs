//! `prepare` on typical user images, and loading + preparing huge ones.
//!
//! ```text
//! cargo bench --bench digit_preprocess
//! ```
//! Needs MNIST (see `tests/digit_support/mod.rs`). The 10000 × 10000 PNG is written once
//! to a temporary folder (that takes a few seconds).

#[path = "../tests/digit_support/mod.rs"]
mod digit_support;

use criterion::{Criterion, criterion_group, criterion_main};
use digit_support::{Kind, load_mnist, make};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, imageops};
use mnist_tui::digit::{load_image, prepare, prepare_file};
use std::hint::black_box;
use std::time::Instant;

fn typical(c: &mut Criterion) {
    let (images, _) = load_mnist("t10k", 1);
    let mut group = c.benchmark_group("prepare");
    for kind in Kind::ALL {
        let (bytes, _) = make(kind, &images[0], 0);
        let img = image::load_from_memory(&bytes).expect("decodes");
        let name = format!("{}_{}x{}", kind.name(), img.width(), img.height());
        group.bench_function(name, |b| b.iter(|| prepare(black_box(&img))));
    }
    let mnist =
        DynamicImage::ImageLuma8(image::GrayImage::from_raw(28, 28, images[0].to_vec()).unwrap());
    group.bench_function("mnist_28x28", |b| b.iter(|| prepare(black_box(&mnist))));
    group.finish();
}

/// A photo-like page: light noisy paper with a big dark digit.
fn page(width: u32, height: u32, digit: &[u8; 784]) -> RgbImage {
    let side = width.min(height) * 6 / 10;
    let gray = image::GrayImage::from_raw(28, 28, digit.to_vec()).unwrap();
    let big = imageops::resize(&gray, side, side, imageops::FilterType::Triangle);
    let (ox, oy) = ((width - side) / 2, (height - side) / 2);
    let mut seed = 1u32;
    RgbImage::from_fn(width, height, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 29) as f32; // 0..7
        let a = if x >= ox && y >= oy && x < ox + side && y < oy + side {
            f32::from(big.get_pixel(x - ox, y - oy)[0]) / 255.0
        } else {
            0.0
        };
        let v = (230.0 - a * 200.0 + noise).round() as u8;
        Rgb([v, v, v.saturating_sub(10)])
    })
}

fn huge(c: &mut Criterion) {
    let (images, _) = load_mnist("t10k", 1);
    let photo = DynamicImage::ImageRgb8(page(4000, 3000, &images[0]));
    let mut group = c.benchmark_group("huge");
    group.sample_size(10);
    group.bench_function("prepare_decoded_4000x3000_rgb", |b| {
        b.iter(|| prepare(black_box(&photo)))
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.png");
    let start = Instant::now();
    let img = page(10_000, 10_000, &images[0]);
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    PngEncoder::new_with_quality(file, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), 10_000, 10_000, image::ExtendedColorType::Rgb8)
        .expect("encode");
    drop(img);
    eprintln!(
        "wrote 10000x10000 RGB PNG ({} MB) in {:.1?}",
        std::fs::metadata(&path)
            .map(|m| m.len() / 1_000_000)
            .unwrap_or(0),
        start.elapsed()
    );
    group.bench_function("load_10000x10000_png", |b| {
        b.iter(|| load_image(black_box(&path)).expect("loads"))
    });
    group.bench_function("prepare_file_10000x10000_png", |b| {
        b.iter(|| prepare_file(black_box(&path)).expect("a digit"))
    });
    group.finish();
}

criterion_group!(benches, typical, huge);
criterion_main!(benches);
