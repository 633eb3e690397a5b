//! Writes user-like digit images made from real MNIST test digits, to measure `predict`
//! on formats users actually have (see `tests/digit_support/mod.rs` for the transforms):
//!
//! - `paper/`: dark ink on light, noisy, unevenly lit paper, colour JPEG (q90), ~150–300 px;
//! - `transparent/`: RGBA PNG, black/blue/red/white strokes on a transparent background;
//! - `offcentre/`: a small digit off-centre in a larger white canvas, JPEG q75;
//! - `gray/`: 280 × 280 bilinear upscale on gray 128, ink darker (20) or lighter (235).
//!
//! ```text
//! cargo run --release --example make_user_digits -- OUT_DIR [COUNT] [FIRST]
//! ```
//!
//! Takes MNIST test digits `FIRST..FIRST+COUNT` (default 0..500) from `$MNIST_DATA_DIR`
//! (default `../shared/mnist`), writes `OUT_DIR/<kind>/<index>-<label>.<ext>` and
//! `OUT_DIR/labels.csv` (`path,label,kind,mnist_index`). Deterministic.

#[path = "../tests/digit_support/mod.rs"]
mod digit_support;

use digit_support::{Kind, load_mnist, make};
use mnist_tui::config::AsciiStyle;
use mnist_tui::digit;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: make_user_digits OUT_DIR [COUNT=500] [FIRST=0]");
        std::process::exit(2);
    };
    let count: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let first: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0);
    let (images, labels) = load_mnist("t10k", first + count);
    if images.len() <= first {
        return Err(format!("MNIST test set has only {} digits", images.len()).into());
    }
    let mut csv = String::from("path,label,kind,mnist_index\n");
    let mut written = 0;
    for kind in Kind::ALL {
        let dir = out.join(kind.name());
        std::fs::create_dir_all(&dir)?;
        for i in first..images.len() {
            let (bytes, ext) = make(kind, &images[i], i as u64);
            let name = format!("{i:05}-{}.{ext}", labels[i]);
            std::fs::write(dir.join(&name), &bytes)?;
            writeln!(
                csv,
                "{}/{name},{},{},{i}",
                kind.name(),
                labels[i],
                kind.name()
            )?;
            written += 1;
            if i == first {
                show(kind, &bytes)?;
            }
        }
    }
    std::fs::write(out.join("labels.csv"), csv)?;
    println!("wrote {written} images and labels.csv to {}", out.display());
    Ok(())
}

/// Prints the first image of a kind as it looks and as `digit::prepare` makes it.
fn show(kind: Kind, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let img = image::load_from_memory(bytes)?;
    let original = digit::render_image_fit(&img, 56, 28, AsciiStyle::Ascii);
    let prepared = match digit::prepare(&img) {
        Ok(p) => digit::render_digit(&p.pixels, AsciiStyle::Ascii),
        Err(e) => vec![e.to_string()],
    };
    println!(
        "{} ({}x{}): original | prepared",
        kind.name(),
        img.width(),
        img.height()
    );
    for i in 0..original.len().max(prepared.len()) {
        let a = original.get(i).map(String::as_str).unwrap_or("");
        let b = prepared.get(i).map(String::as_str).unwrap_or("");
        println!("{a:<56}|{b}");
    }
    Ok(())
}
