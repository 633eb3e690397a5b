//! Charts decoded back: the PNG as an image, the SVG as XML.

use super::*;
use crate::interop::testdata::two_runs;
use std::collections::HashSet;

/// The two test runs drawn into `dir/name` as `format`, `size` pixels.
fn draw(dir: &Path, name: &str, format: ChartFormat, size: (u32, u32)) -> std::path::PathBuf {
    let runs = two_runs();
    let path = dir.join(name);
    write_chart(&[&runs[0], &runs[1]], &path, format, size).unwrap();
    path
}

#[test]
fn png_has_the_size_asked_and_draws_text_and_curves() {
    let dir = tempfile::tempdir().unwrap();
    let path = draw(dir.path(), "runs.png", ChartFormat::Png, (900, 400));
    let img = image::open(&path).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (900, 400));
    let colours: HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    // Anti-aliased text and lines blend into many shades; a blank or text-less
    // picture has a handful.
    assert!(colours.len() > 100, "{} colours", colours.len());
    // Each run's curve in its colour (blue, orange).
    assert!(colours.contains(&[0x1f, 0x77, 0xb4]));
    assert!(colours.contains(&[0xff, 0x7f, 0x0e]));
    // The panels' titles: dark pixels in the top band of each half.
    let dark_in = |x0: u32, x1: u32| {
        (0..30)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 128))
            .count()
    };
    assert!(dark_in(0, 450) > 20, "no title on the left");
    assert!(dark_in(450, 900) > 20, "no title on the right");
}

#[test]
fn svg_has_the_size_asked_and_names_the_runs_in_its_legend() {
    let dir = tempfile::tempdir().unwrap();
    let path = draw(dir.path(), "runs.svg", ChartFormat::Svg, (1000, 450));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1000"));
    assert_eq!(root.attribute("height"), Some("450"));
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for want in [
        "20261201-080000-mlp-0001",
        "20261201-090000-mlp-0002",
        "Loss",
        "Validation (test if none) accuracy %",
        "epoch",
        "loss",
        "accuracy %",
    ] {
        assert!(texts.contains(&want), "no {want:?} in {texts:?}");
    }
}

#[test]
fn runs_with_nothing_logged_say_so() {
    let mut run = two_runs()[0].clone();
    run.losses.clear();
    run.epochs.clear();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.svg");
    write_chart(&[&run], &path, ChartFormat::Svg, (800, 400)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("No loss logged yet."), "{text}");
    assert!(text.contains("No epoch finished yet."), "{text}");
    assert!(text.contains("Validation accuracy %"), "{text}");
}

#[test]
fn sizes_out_of_range_are_refused_before_drawing() {
    let runs = two_runs();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.png");
    for size in [(100, 400), (800, 20_000)] {
        let err = write_chart(&[&runs[0]], &path, ChartFormat::Png, size).unwrap_err();
        assert!(err.to_string().contains("big.png"), "{err}");
        assert!(err.to_string().contains("pixels"), "{err}");
    }
    assert!(!path.exists());
}

#[test]
fn the_format_follows_the_extension() {
    assert_eq!(
        ChartFormat::from_path(Path::new("a/b.SVG")),
        Some(ChartFormat::Svg)
    );
    assert_eq!(
        ChartFormat::from_path(Path::new("b.png")),
        Some(ChartFormat::Png)
    );
    assert_eq!(ChartFormat::from_path(Path::new("b.jpg")), None);
    assert_eq!(ChartFormat::from_path(Path::new("b")), None);
}

/// Writes the test runs' charts to `$MNIST_TUI_CHART_SAMPLE` (`runs.png`, `runs.svg`)
/// to look at.
#[test]
#[ignore = "writes outside a temporary folder; run by hand to look at the charts"]
fn sample_charts() {
    let out = std::env::var_os("MNIST_TUI_CHART_SAMPLE").expect("MNIST_TUI_CHART_SAMPLE");
    let dir = Path::new(&out);
    std::fs::create_dir_all(dir).unwrap();
    println!(
        "{}",
        draw(dir, "runs.png", ChartFormat::Png, (1200, 500)).display()
    );
    println!(
        "{}",
        draw(dir, "runs.svg", ChartFormat::Svg, (1200, 500)).display()
    );
}
