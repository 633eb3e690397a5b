//! Writes user-like digit images made from real MNIST test digits, to try `predict` and
//! the Digit view on the kinds of images users bring.
//!
//! ```text
//! cargo run --example make_user_digits -- OUT_DIR [COUNT] [FIRST]
//! ```
//!
//! Takes test digits `FIRST..FIRST+COUNT` (default 0..200) from `$MNIST_DATA_DIR`
//! (default `../shared/mnist`) and writes, named `<index>-<label>.<ext>`:
//! - `OUT_DIR/original/`: the untouched 28 × 28 digit (PNG);
//! - `OUT_DIR/paper/`, `transparent/`, `offcentre/`, `gray/`: the four user-like kinds
//!   of `tests/digit_support` (ink on noisy paper JPEG, transparent PNG, small
//!   off-centre JPEG, upscaled gray PNG).
//!
//! The label is the last number of the file name, so accuracy can be checked from
//! `mnist-tui predict --json` output.

#[path = "../tests/digit_support/mod.rs"]
mod digit_support;

use digit_support::{Kind, load_mnist, make};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: make_user_digits OUT_DIR [COUNT] [FIRST]");
        std::process::exit(2);
    };
    let count: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let first: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0);
    let (images, labels) = load_mnist("t10k", first + count);
    let dir = out.join("original");
    std::fs::create_dir_all(&dir)?;
    for i in first..images.len() {
        let img = image::GrayImage::from_raw(28, 28, images[i].to_vec()).ok_or("784 bytes")?;
        img.save(dir.join(format!("{i:05}-{}.png", labels[i])))?;
    }
    for kind in Kind::ALL {
        let dir = out.join(kind.name());
        std::fs::create_dir_all(&dir)?;
        for i in first..images.len() {
            let (bytes, ext) = make(kind, &images[i], i as u64);
            std::fs::write(dir.join(format!("{i:05}-{}.{ext}", labels[i])), bytes)?;
        }
    }
    println!(
        "wrote {} digits × 5 kinds under {}",
        images.len() - first,
        out.display()
    );
    Ok(())
}
