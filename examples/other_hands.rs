//! Accuracy on digits from "other hands": MNIST test digits redrawn the way users unlike
//! MNIST's writers hand them in (see `tests/digit_support/mod.rs`, `other_hand`): the
//! stroke thickened to marker width, blurred, downscaled to 8–12 px and upscaled back,
//! then drawn in four ways (28×28 gray, 200×200 RGB paper, 64×64 RGBA with alpha as
//! ink, a small off-centre 56×56 JPEG). Next to them: the same MNIST digits untouched
//! (as 28×28 PNGs through the same preparation).
//!
//! ```text
//! cargo run --release --example other_hands -- [--runs-dir DIR] [--count N] [--first K] [--save DIR] RUN_ID...
//! ```
//!
//! Each run is a column (an id or a unique prefix/suffix, as in `runs show`; with none,
//! the best finished run). Digits `FIRST..FIRST+COUNT` of the MNIST test set (default
//! 0..1000) from `$MNIST_DATA_DIR` (default `../shared/mnist`). Every image goes through
//! `digit::prepare`, the same preparation as `mnist-tui predict`. `--save DIR` also
//! writes the images (`DIR/<way>/<index>-<label>.<ext>`, way = gray28, paper200, alpha64, small56), to try them with `predict`.
//! Deterministic: the same digits give the same images.

#[path = "../tests/digit_support/mod.rs"]
mod digit_support;

use digit_support::{Way, load_mnist, make_other_hand, mnist_png};
use mnist_tui::digit;
use mnist_tui::predict::Predictor;
use mnist_tui::runs::{self, RunStore};
use std::path::PathBuf;

/// The prediction below this confidence counts as "unsure" (as `predict` says).
const UNSURE: f32 = mnist_tui::predict::UNSURE_BELOW;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut runs_dir = PathBuf::from("runs");
    let (mut count, mut first, mut save) = (1000usize, 0usize, None::<PathBuf>);
    let mut ids = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs-dir" => runs_dir = PathBuf::from(value()?),
            "--count" => count = value()?.parse()?,
            "--first" => first = value()?.parse()?,
            "--save" => save = Some(PathBuf::from(value()?)),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}").into()),
            _ => ids.push(arg),
        }
    }
    let store = RunStore::new(&runs_dir);
    if ids.is_empty() {
        let (all, _) = store.list()?;
        let best = runs::best_finished(&store, &all).ok_or("no finished run")?;
        ids.push(best.id.clone());
    }
    let mut predictors = Vec::new();
    for id in &ids {
        let record = store.load(&store.resolve_id(id)?)?;
        predictors.push((record.id.clone(), Predictor::from_run(&store, &record)?));
    }
    let (images, labels) = load_mnist("t10k", first + count);
    let digits: Vec<usize> = (first..images.len()).collect();

    let mut ways: Vec<(String, Vec<Vec<u8>>)> = vec![(
        "MNIST test digits, untouched".into(),
        digits.iter().map(|&i| mnist_png(&images[i])).collect(),
    )];
    for way in Way::ALL {
        let files = digits
            .iter()
            .map(|&i| make_other_hand(way, &images[i], i as u64).0)
            .collect();
        ways.push((way.name().to_string(), files));
    }
    if let Some(dir) = &save {
        for (k, way) in Way::ALL.iter().enumerate() {
            let sub = dir.join(way.slug());
            std::fs::create_dir_all(&sub)?;
            for (n, &i) in digits.iter().enumerate() {
                let ext = make_other_hand(*way, &images[i], i as u64).1;
                std::fs::write(
                    sub.join(format!("{i:05}-{}.{ext}", labels[i])),
                    &ways[k + 1].1[n],
                )?;
            }
        }
        println!("saved the images under {}", dir.display());
    }

    println!(
        "{} MNIST test digits ({}..{})",
        digits.len(),
        first,
        images.len()
    );
    print!("{:<32}", "way");
    for (id, _) in &predictors {
        print!("  {:>24}", id);
    }
    println!();
    for (name, files) in &ways {
        let prepared: Vec<Option<[u8; 784]>> = files
            .iter()
            .map(|bytes| {
                let img = image::load_from_memory(bytes).ok()?;
                digit::prepare(&img).ok().map(|p| p.pixels)
            })
            .collect();
        print!("{name:<32}");
        for (_, predictor) in &predictors {
            let (mut right, mut unsure) = (0usize, 0usize);
            for (p, &i) in prepared.iter().zip(&digits) {
                let Some(pixels) = p else { continue };
                let prediction = predictor.predict(pixels)?;
                right += usize::from(prediction.class == labels[i]);
                unsure += usize::from(prediction.confidence() < UNSURE);
            }
            let n = digits.len().max(1) as f64;
            print!(
                "  {:>6.2}% ({:>4.1}% unsure)",
                100.0 * right as f64 / n,
                100.0 * unsure as f64 / n
            );
        }
        println!();
    }
    Ok(())
}
