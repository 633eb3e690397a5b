//! Shared by the `digit_*` tests, `examples/make_user_digits.rs` and
//! `benches/digit_preprocess.rs`: a tiny private MNIST IDX reader, transforms turning
//! real MNIST digits into user-like images, and a small nearest-neighbour classifier.
#![allow(dead_code)]

use flate2::read::GzDecoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, GrayImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage, imageops};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Read;
use std::path::{Path, PathBuf};

#[path = "../common/mnist.rs"]
mod mnist;

/// The MNIST folder (see `tests/common/mnist.rs`: fetched once when nowhere).
pub fn mnist_dir() -> PathBuf {
    mnist::mnist_dir()
}

fn read_gz(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("{}: {e} (see mnist_dir())", path.display()));
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
}

fn be_u32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Reads up to `limit` images (28 × 28) and labels of a split (`"train"` or `"t10k"`).
pub fn load_mnist(split: &str, limit: usize) -> (Vec<[u8; 784]>, Vec<u8>) {
    let dir = mnist_dir();
    let img = read_gz(&dir.join(format!("{split}-images-idx3-ubyte.gz")));
    let lab = read_gz(&dir.join(format!("{split}-labels-idx1-ubyte.gz")));
    assert_eq!(be_u32(&img, 0), 0x0803, "bad images magic");
    assert_eq!(be_u32(&lab, 0), 0x0801, "bad labels magic");
    let n = be_u32(&img, 4);
    assert_eq!((be_u32(&img, 8), be_u32(&img, 12)), (28, 28));
    assert_eq!(be_u32(&lab, 4), n);
    assert_eq!(img.len(), 16 + n * 784);
    let n = n.min(limit);
    let images = (0..n)
        .map(|i| {
            let mut a = [0u8; 784];
            a.copy_from_slice(&img[16 + i * 784..16 + (i + 1) * 784]);
            a
        })
        .collect();
    (images, lab[8..8 + n].to_vec())
}

/// The user-like formats built from MNIST digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Dark ink on light, noisy, unevenly lit paper, ~200 px, JPEG q90 colour photo.
    Paper,
    /// RGBA PNG: opaque strokes (black, coloured or white), fully transparent background.
    Transparent,
    /// A small dark-on-white digit off-centre in a larger canvas, JPEG q75.
    OffCentre,
    /// 280 × 280 bilinear upscale on a gray (128) background, ink darker or lighter.
    Gray,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 4] = [Kind::Paper, Kind::Transparent, Kind::OffCentre, Kind::Gray];

    /// Folder / display name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Paper => "paper",
            Kind::Transparent => "transparent",
            Kind::OffCentre => "offcentre",
            Kind::Gray => "gray",
        }
    }
}

fn gray28(digit: &[u8; 784]) -> GrayImage {
    GrayImage::from_raw(28, 28, digit.to_vec()).expect("784 bytes")
}

fn upscale(digit: &[u8; 784], side: u32) -> GrayImage {
    imageops::resize(&gray28(digit), side, side, imageops::FilterType::Triangle)
}

fn gaussian(rng: &mut StdRng) -> f32 {
    let u1: f32 = rng.gen_range(1e-7..1.0);
    let u2: f32 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
}

fn encode_png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .expect("png encode");
    out
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("jpeg encode");
    out
}

/// Makes a user-like image of `digit`; returns the encoded file bytes and its extension.
/// Deterministic for a given `seed`.
pub fn make(kind: Kind, digit: &[u8; 784], seed: u64) -> (Vec<u8>, &'static str) {
    let mut rng = StdRng::seed_from_u64(seed ^ (kind as u64) << 32);
    match kind {
        Kind::Paper => {
            let side = rng.gen_range(150..=230u32);
            let big = upscale(digit, side);
            let (w, h) = (side + rng.gen_range(0..80), side + rng.gen_range(0..60));
            let (ox, oy) = (rng.gen_range(0..=w - side), rng.gen_range(0..=h - side));
            let paper = rng.gen_range(0.78..0.95f32);
            let (gx, gy) = (rng.gen_range(-0.12..0.12f32), rng.gen_range(-0.12..0.12f32));
            let ink = rng.gen_range(0.08..0.35f32);
            let noise = rng.gen_range(0.01..0.04f32);
            let tint = [1.0f32, rng.gen_range(0.95..1.0), rng.gen_range(0.85..0.98)];
            let mut img = RgbImage::new(w, h);
            for (x, y, p) in img.enumerate_pixels_mut() {
                let bg =
                    paper + gx * (x as f32 / w as f32 - 0.5) + gy * (y as f32 / h as f32 - 0.5);
                let a = if x >= ox && y >= oy && x < ox + side && y < oy + side {
                    f32::from(big.get_pixel(x - ox, y - oy)[0]) / 255.0
                } else {
                    0.0
                };
                let v = bg - a * (bg - ink) + noise * gaussian(&mut rng);
                *p = Rgb(tint.map(|t| ((v * t).clamp(0.0, 1.0) * 255.0).round() as u8));
            }
            (encode_jpeg(&DynamicImage::ImageRgb8(img), 90), "jpg")
        }
        Kind::Transparent => {
            let colors = [[0u8, 0, 0], [20, 40, 200], [200, 30, 30], [255, 255, 255]];
            let color = colors[rng.gen_range(0..colors.len())];
            let hidden = if rng.r#gen() {
                [0u8, 0, 0]
            } else {
                [255, 255, 255]
            };
            let big = upscale(digit, 112);
            let mut img = RgbaImage::new(112, 112);
            for (x, y, p) in img.enumerate_pixels_mut() {
                let a = big.get_pixel(x, y)[0];
                let c = if a == 0 { hidden } else { color };
                *p = Rgba([c[0], c[1], c[2], a]);
            }
            (encode_png(&DynamicImage::ImageRgba8(img)), "png")
        }
        Kind::OffCentre => {
            let side = rng.gen_range(30..=48u32);
            let small = upscale(digit, side);
            let (w, h) = (rng.gen_range(90..=140u32), rng.gen_range(70..=110u32));
            let (ox, oy) = (rng.gen_range(0..=w - side), rng.gen_range(0..=h - side));
            let mut img = GrayImage::from_pixel(w, h, image::Luma([250]));
            for (x, y, p) in small.enumerate_pixels() {
                let a = f32::from(p[0]) / 255.0;
                let v = 250.0 - a * (250.0 - 30.0);
                img.put_pixel(x + ox, y + oy, image::Luma([v.round() as u8]));
            }
            (encode_jpeg(&DynamicImage::ImageLuma8(img), 75), "jpg")
        }
        Kind::Gray => {
            let big = upscale(digit, 280);
            let ink = if rng.r#gen() { 20.0 } else { 235.0 };
            let img = GrayImage::from_fn(280, 280, |x, y| {
                let a = f32::from(big.get_pixel(x, y)[0]) / 255.0;
                image::Luma([(128.0 + a * (ink - 128.0)).round() as u8])
            });
            (encode_png(&DynamicImage::ImageLuma8(img)), "png")
        }
    }
}

/// What the PyTorch tutorial does: grayscale and resize to 28 × 28, nothing else.
pub fn resize_only(img: &DynamicImage) -> [u8; 784] {
    let g = imageops::resize(&img.to_luma8(), 28, 28, imageops::FilterType::Triangle);
    let mut out = [0u8; 784];
    out.copy_from_slice(g.as_raw());
    out
}

/// A 1-nearest-neighbour classifier (Euclidean on raw bytes).
pub struct Knn<'a> {
    pub images: &'a [[u8; 784]],
    pub labels: &'a [u8],
}

impl Knn<'_> {
    /// The label of the nearest training digit.
    pub fn predict(&self, x: &[u8; 784]) -> u8 {
        let mut best = (u32::MAX, 0u8);
        for (img, &label) in self.images.iter().zip(self.labels) {
            let mut d = 0u32;
            for (a, b) in img.iter().zip(x) {
                let diff = i32::from(*a) - i32::from(*b);
                d += (diff * diff) as u32;
            }
            if d < best.0 {
                best = (d, label);
            }
        }
        best.1
    }

    /// Accuracy over a set.
    pub fn accuracy(&self, xs: &[[u8; 784]], ys: &[u8]) -> f64 {
        let right = xs
            .iter()
            .zip(ys)
            .filter(|(x, y)| self.predict(x) == **y)
            .count();
        right as f64 / xs.len().max(1) as f64
    }
}

/// Mean absolute pixel difference (0..255).
pub fn mean_abs_diff(a: &[u8; 784], b: &[u8; 784]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs() as f64)
        .sum::<f64>()
        / 784.0
}

/// Centre of mass `(x, y)` of a 28 × 28 digit.
pub fn com(a: &[u8; 784]) -> (f64, f64) {
    let (mut m, mut mx, mut my) = (0.0, 0.0, 0.0);
    for (i, &v) in a.iter().enumerate() {
        let v = f64::from(v);
        m += v;
        mx += v * (i % 28) as f64;
        my += v * (i / 28) as f64;
    }
    (mx / m, my / m)
}

/// The ways an "other hand" digit is handed in (issue 10's four ways of drawing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// 28 × 28 gray, white on black, soft edges.
    Gray28,
    /// 200 × 200 RGB, dark ink on noisy, unevenly lit light paper (JPEG q90); the
    /// marker's ink solid, with a crisp edge.
    Paper200,
    /// 64 × 64 RGBA, black ink, transparency = ink (PNG), solid with a crisp edge.
    Alpha64,
    /// 56 × 56 JPEG (q75): a small dark digit off-centre on white.
    Small56,
}

impl Way {
    /// All ways.
    pub const ALL: [Way; 4] = [Way::Gray28, Way::Paper200, Way::Alpha64, Way::Small56];

    /// Folder name.
    pub fn slug(self) -> &'static str {
        match self {
            Way::Gray28 => "gray28",
            Way::Paper200 => "paper200",
            Way::Alpha64 => "alpha64",
            Way::Small56 => "small56",
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Way::Gray28 => "28x28 gray, soft edges",
            Way::Paper200 => "200x200 RGB paper",
            Way::Alpha64 => "64x64 RGBA, alpha = ink",
            Way::Small56 => "56x56 JPEG, small, off-centre",
        }
    }
}

/// Working side of an "other hand" digit (4 × MNIST's 28).
const HAND_SIDE: u32 = 112;

/// Separable square max filter of `radius` on a gray image (a chisel marker's dilation).
fn dilate(img: &GrayImage, radius: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    let pass = |src: &GrayImage, horizontal: bool| {
        GrayImage::from_fn(w, h, |x, y| {
            let (pos, len) = if horizontal { (x, w) } else { (y, h) };
            let (a, b) = (pos.saturating_sub(radius), (pos + radius).min(len - 1));
            let v = (a..=b)
                .map(|p| {
                    if horizontal {
                        src.get_pixel(p, y)[0]
                    } else {
                        src.get_pixel(x, p)[0]
                    }
                })
                .max()
                .unwrap_or(0);
            image::Luma([v])
        })
    };
    pass(&pass(img, true), false)
}

/// The same digit as someone unlike MNIST's writers would hand it in: the MNIST stroke
/// thickened to marker width, blurred, downscaled until the digit (MNIST's 20-px box)
/// is 8–12 px, and upscaled back to `side` (white ink on black, soft edges).
/// Deterministic for a `seed`.
pub fn other_hand(digit: &[u8; 784], seed: u64, side: u32) -> GrayImage {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0e7e_4a9d);
    let big = upscale(digit, HAND_SIDE);
    // Marker width: 0.5–1.5 MNIST pixels more on each side (strokes 3.5–5.5 px wide
    // where MNIST's are 2–3), then a blur of 0.25–0.75 MNIST pixels.
    let marker = dilate(&big, rng.gen_range(2..=6));
    let blurred = imageops::blur(&marker, rng.gen_range(1.0..3.0f32));
    let digit_px = rng.gen_range(8..=12u32);
    let low = digit_px * 28 / 20;
    let small = imageops::resize(&blurred, low, low, imageops::FilterType::Triangle);
    let back = imageops::resize(&small, side, side, imageops::FilterType::Triangle);
    // Back to full contrast: the brightest ink is full ink.
    let max = back.pixels().map(|p| p[0]).max().unwrap_or(0).max(1);
    GrayImage::from_fn(side, side, |x, y| {
        let v = u32::from(back.get_pixel(x, y)[0]) * 255 / u32::from(max);
        image::Luma([v as u8])
    })
}

/// `hand` as a marker leaves it on paper or in a drawing app: solid ink with a crisp
/// edge (a steep ramp around half ink) where the scan left a soft one.
fn crisp(hand: &GrayImage) -> GrayImage {
    let mut out = hand.clone();
    for p in out.pixels_mut() {
        let t = ((f32::from(p[0]) / 255.0 - 0.35) / 0.2).clamp(0.0, 1.0);
        p[0] = (t * t * (3.0 - 2.0 * t) * 255.0).round() as u8;
    }
    out
}

/// Makes the "other hand" version of `digit` drawn the way `way` says; returns the
/// encoded file bytes and the extension. Deterministic for a `seed`.
pub fn make_other_hand(way: Way, digit: &[u8; 784], seed: u64) -> (Vec<u8>, &'static str) {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31) ^ (way as u64) << 40);
    match way {
        Way::Gray28 => {
            let img = other_hand(digit, seed, 28);
            (encode_png(&DynamicImage::ImageLuma8(img)), "png")
        }
        Way::Paper200 => {
            let ink_side = rng.gen_range(150..=190u32);
            let hand = crisp(&other_hand(digit, seed, ink_side));
            let (ox, oy) = (
                rng.gen_range(0..=200 - ink_side),
                rng.gen_range(0..=200 - ink_side),
            );
            let paper = rng.gen_range(0.78..0.95f32);
            let (gx, gy) = (rng.gen_range(-0.12..0.12f32), rng.gen_range(-0.12..0.12f32));
            let ink = rng.gen_range(0.08..0.3f32);
            let noise = rng.gen_range(0.01..0.04f32);
            let tint = [1.0f32, rng.gen_range(0.95..1.0), rng.gen_range(0.85..0.98)];
            let img = RgbImage::from_fn(200, 200, |x, y| {
                let bg = paper + gx * (x as f32 / 200.0 - 0.5) + gy * (y as f32 / 200.0 - 0.5);
                let inside = x >= ox && y >= oy && x < ox + ink_side && y < oy + ink_side;
                let a = if inside {
                    f32::from(hand.get_pixel(x - ox, y - oy)[0]) / 255.0
                } else {
                    0.0
                };
                let v = bg - a * (bg - ink) + noise * gaussian(&mut rng);
                Rgb(tint.map(|t| ((v * t).clamp(0.0, 1.0) * 255.0).round() as u8))
            });
            (encode_jpeg(&DynamicImage::ImageRgb8(img), 90), "jpg")
        }
        Way::Alpha64 => {
            let hand = crisp(&other_hand(digit, seed, 64));
            let img = RgbaImage::from_fn(64, 64, |x, y| Rgba([0, 0, 0, hand.get_pixel(x, y)[0]]));
            (encode_png(&DynamicImage::ImageRgba8(img)), "png")
        }
        Way::Small56 => {
            let ink_side = rng.gen_range(24..=34u32);
            let hand = other_hand(digit, seed, ink_side);
            let (ox, oy) = (
                rng.gen_range(0..=56 - ink_side),
                rng.gen_range(0..=56 - ink_side),
            );
            let mut img = GrayImage::from_pixel(56, 56, image::Luma([250]));
            for (x, y, p) in hand.enumerate_pixels() {
                let a = f32::from(p[0]) / 255.0;
                let v = 250.0 - a * (250.0 - 30.0);
                img.put_pixel(x + ox, y + oy, image::Luma([v.round() as u8]));
            }
            (encode_jpeg(&DynamicImage::ImageLuma8(img), 75), "jpg")
        }
    }
}

/// A genuine MNIST digit as a 28 × 28 PNG (the control).
pub fn mnist_png(digit: &[u8; 784]) -> Vec<u8> {
    encode_png(&DynamicImage::ImageLuma8(gray28(digit)))
}
