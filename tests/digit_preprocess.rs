//! Each preprocessing step on small synthetic images, then `prepare` end to end.

use image::{DynamicImage, GrayImage, Luma, Rgba, RgbaImage};
use mnist_tui::digit::preprocess::*;
use mnist_tui::digit::{DigitError, GrayF, prepare, prepare_pixels};

/// A white page (`paper`) with a dark vertical bar (`ink`) — a "1".
fn page_with_bar(w: u32, h: u32, paper: u8, ink: u8) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let bar = x >= w * 45 / 100 && x < w * 55 / 100 && y >= h / 5 && y < h * 4 / 5;
        Luma([if bar { ink } else { paper }])
    })
}

fn lcg(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 33) as f32) / (1u64 << 31) as f32
}

#[test]
fn flatten_opaque_is_luma() {
    let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        3,
        2,
        image::Rgb([255, 255, 255]),
    ));
    let g = flatten(&img);
    assert_eq!((g.width, g.height), (3, 2));
    assert!(g.data.iter().all(|&v| (v - 1.0).abs() < 1e-6));
}

#[test]
fn flatten_black_strokes_on_transparent_become_dark_on_white() {
    let mut img = RgbaImage::new(4, 4); // all (0,0,0,0)
    img.put_pixel(1, 1, Rgba([0, 0, 0, 255]));
    img.put_pixel(2, 1, Rgba([0, 0, 0, 128]));
    let g = flatten(&DynamicImage::ImageRgba8(img));
    assert_eq!(g.at(0, 0), 1.0);
    assert_eq!(g.at(1, 1), 0.0);
    assert!((g.at(2, 1) - 0.498).abs() < 0.01);
}

#[test]
fn flatten_white_strokes_on_transparent_become_light_on_black() {
    // Hidden colour of the transparent pixels is white: must not matter.
    let mut img = RgbaImage::from_pixel(4, 4, Rgba([255, 255, 255, 0]));
    img.put_pixel(1, 1, Rgba([255, 255, 255, 255]));
    let g = flatten(&DynamicImage::ImageRgba8(img));
    assert_eq!(g.at(0, 0), 0.0);
    assert!((g.at(1, 1) - 1.0).abs() < 1e-5);
}

#[test]
fn flatten_fully_transparent_is_black_and_no_digit() {
    let img = DynamicImage::ImageRgba8(RgbaImage::new(30, 30));
    assert!(flatten(&img).data.iter().all(|&v| v == 0.0));
    assert!(matches!(prepare(&img), Err(DigitError::NoDigit { .. })));
}

#[test]
fn polarity_ink_on_paper_and_mnist_style() {
    let paper = GrayF::from_u8(40, 40, page_with_bar(40, 40, 230, 30).as_raw());
    assert_eq!(detect_polarity(&paper), Polarity::DarkInk);
    let mnist = GrayF::from_u8(40, 40, page_with_bar(40, 40, 0, 255).as_raw());
    assert_eq!(detect_polarity(&mnist), Polarity::LightInk);
    // Mid-gray background: decided by which side the ink is on.
    let darker = GrayF::from_u8(40, 40, page_with_bar(40, 40, 128, 20).as_raw());
    assert_eq!(detect_polarity(&darker), Polarity::DarkInk);
    let lighter = GrayF::from_u8(40, 40, page_with_bar(40, 40, 128, 235).as_raw());
    assert_eq!(detect_polarity(&lighter), Polarity::LightInk);
}

#[test]
fn polarity_survives_noise_and_a_lighting_gradient() {
    let mut seed = 7;
    let (w, h) = (120, 100);
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let bg = 0.75 + 0.2 * x as f32 / w as f32;
            let ink = (55..65).contains(&x) && (20..80).contains(&y);
            (if ink { 0.25 } else { bg }) + 0.08 * (lcg(&mut seed) - 0.5)
        })
        .collect();
    assert_eq!(
        detect_polarity(&GrayF::from_vec(w, h, data)),
        Polarity::DarkInk
    );
}

#[test]
fn invert_flips() {
    let mut g = GrayF::from_vec(2, 1, vec![0.0, 0.25]);
    invert(&mut g);
    assert_eq!(g.data, vec![1.0, 0.75]);
}

#[test]
fn background_plane_and_noise_are_estimated() {
    let mut seed = 1;
    let (w, h) = (100, 80);
    let noise = 0.02;
    let data: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let plane = 0.1 + 0.15 * x as f32 / w as f32 - 0.05 * y as f32 / h as f32;
            let ink = (40..50).contains(&x) && (10..70).contains(&y);
            // Uniform noise of this width has standard deviation width / sqrt(12).
            plane + if ink { 0.6 } else { 0.0 } + noise * 12f32.sqrt() * (lcg(&mut seed) - 0.5)
        })
        .collect();
    let mut g = GrayF::from_vec(w, h, data);
    let sigma = remove_background(&mut g);
    assert!((sigma - noise).abs() < 0.008, "sigma {sigma}");
    // Background now centred on 0 everywhere (corners included), ink near 0.6.
    for (x, y) in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (20, 40)] {
        let mut local = 0.0;
        for dy in 0..5 {
            for dx in 0..5 {
                local += g.at(x.min(w - 5) + dx, y.min(h - 5) + dy);
            }
        }
        assert!(
            (local / 25.0f32).abs() < 0.02,
            "({x},{y}): {}",
            local / 25.0
        );
    }
    assert!((g.at(45, 40) - 0.6).abs() < 0.05);
}

#[test]
fn contrast_maps_noise_to_zero_and_ink_to_one() {
    let mut g = GrayF::from_vec(
        10,
        1,
        vec![0.0, 0.01, -0.02, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.15],
    );
    assert!(normalize_contrast(&mut g, 0.0));
    assert_eq!(&g.data[..3], &[0.0, 0.0, 0.0]);
    assert!((g.at(3, 0) - 1.0).abs() < 1e-6);
    assert!(g.at(9, 0) > 0.3 && g.at(9, 0) < 0.6);
}

#[test]
fn contrast_rejects_blank_and_faint_images() {
    let mut blank = GrayF::new(20, 20);
    assert!(!normalize_contrast(&mut blank, 0.0));
    // Ink only 0.05 above the background: too faint to be a digit.
    let mut faint = GrayF::from_vec(
        20,
        1,
        (0..20).map(|i| if i < 6 { 0.07 } else { 0.0 }).collect(),
    );
    assert!(!normalize_contrast(&mut faint, 0.0));
    // Pure noise: what clears the 3σ floor is not 5σ high.
    let mut seed = 3;
    let data = (0..2500).map(|_| 0.1 * (lcg(&mut seed) - 0.5)).collect();
    let mut noise = GrayF::from_vec(50, 50, data);
    assert!(!normalize_contrast(&mut noise, 0.1 / 12f32.sqrt()));
}

#[test]
fn bbox_ignores_and_erases_specks() {
    let (w, h) = (60, 60);
    let mut g = GrayF::new(w, h);
    for y in 15..45 {
        for x in 25..31 {
            g.data[y * w + x] = 1.0;
        }
    }
    // Specks far from the digit.
    for (x, y) in [(2, 2), (55, 50), (5, 57)] {
        g.data[y * w + x] = 1.0;
    }
    let b = ink_bbox(&mut g).expect("a digit");
    assert_eq!(
        b,
        BBox {
            x: 25,
            y: 15,
            width: 6,
            height: 30
        }
    );
    assert!(g.data.iter().enumerate().all(|(i, &v)| {
        let (x, y) = (i % w, i / w);
        v == 0.0 || ((25..31).contains(&x) && (15..45).contains(&y))
    }));
}

#[test]
fn bbox_keeps_a_detached_stroke() {
    // A "5"-like shape: body plus a separate top bar of decent mass.
    let (w, h) = (40, 40);
    let mut g = GrayF::new(w, h);
    for y in 15..35 {
        for x in 12..16 {
            g.data[y * w + x] = 1.0;
        }
    }
    for x in 12..30 {
        for y in 8..11 {
            g.data[y * w + x] = 1.0;
        }
    }
    let b = ink_bbox(&mut g).unwrap();
    assert_eq!((b.x, b.y, b.width, b.height), (12, 8, 18, 27));
}

#[test]
fn bbox_of_a_lone_speck_is_none() {
    let mut g = GrayF::new(100, 100);
    g.data[50 * 100 + 50] = 1.0;
    assert!(ink_bbox(&mut g).is_none());
}

#[test]
fn crop_takes_the_box() {
    let g = GrayF::from_vec(3, 3, (0..9).map(|v| v as f32).collect());
    let c = crop(
        &g,
        BBox {
            x: 1,
            y: 1,
            width: 2,
            height: 2,
        },
    );
    assert_eq!(c.data, vec![4.0, 5.0, 7.0, 8.0]);
}

#[test]
fn fit_box_keeps_aspect_and_full_intensity() {
    let g = GrayF::from_vec(40, 100, vec![1.0; 4000]);
    let f = fit_box(&g, 20);
    assert_eq!((f.width, f.height), (8, 20));
    assert!(f.data.iter().all(|&v| (v - 1.0).abs() < 1e-5));
    // Already 20 tall: untouched.
    let g = GrayF::from_vec(5, 20, (0..100).map(|v| v as f32 / 100.0).collect());
    assert_eq!(
        fit_box(&g, 20).data,
        g.data.iter().map(|v| v / 0.99).collect::<Vec<_>>()
    );
    // Tiny crops are upscaled.
    let g = GrayF::from_vec(2, 4, vec![1.0; 8]);
    assert_eq!((fit_box(&g, 20).width, fit_box(&g, 20).height), (10, 20));
}

#[test]
fn stroke_width_estimates_bars() {
    let mut g = GrayF::new(100, 100);
    for y in 0..100 {
        for x in 40..44 {
            g.data[y * 100 + x] = 1.0;
        }
    }
    let w = stroke_width(&g).unwrap();
    assert!((w - 4.0).abs() < 0.2, "{w}");
    assert!(stroke_width(&GrayF::new(5, 5)).is_none());
}

#[test]
fn thin_strokes_get_thickened_thick_ones_do_not() {
    // A 1 px line in a 200 px crop would be 0.1 px wide once fitted to 20.
    let mut thin = GrayF::new(100, 200);
    for y in 0..200 {
        thin.data[y * 100 + 50] = 1.0;
    }
    let t = thicken_thin_strokes(&thin);
    let fitted = fit_box(&t, FIT);
    let w = stroke_width(&fitted).unwrap();
    assert!(w >= 1.0, "fitted stroke {w}");
    // MNIST-like strokes stay as they are.
    let mut thick = GrayF::new(20, 20);
    for y in 0..20 {
        for x in 9..12 {
            thick.data[y * 20 + x] = 1.0;
        }
    }
    assert_eq!(thicken_thin_strokes(&thick), thick);
}

/// A crop `w` × `h` holding a vertical bar `bar` px wide, centred.
fn bar_crop(w: usize, h: usize, bar: usize) -> GrayF {
    let mut g = GrayF::new(w, h);
    let x0 = (w - bar) / 2;
    for y in 0..h {
        for x in x0..x0 + bar {
            g.data[y * w + x] = 1.0;
        }
    }
    g
}

#[test]
fn thick_strokes_get_thinned_to_an_mnist_width_with_soft_edges() {
    // A marker stroke 10 px wide in a 40 px tall crop: 5 px once fitted to 20.
    let thick = bar_crop(14, 40, 10);
    assert!(stroke_width(&fit_box(&thick, FIT)).unwrap() > 3.5);
    let t = thin_thick_strokes(&thick);
    let w = stroke_width(&fit_box(&t, FIT)).unwrap();
    assert!((1.8..=2.8).contains(&w), "fitted stroke {w}");
    // The edge is anti-aliased, and the bar keeps its length.
    assert!(t.data.iter().any(|&v| v > 0.05 && v < 0.95));
    let row = |g: &GrayF, y: usize| (0..g.width).filter(|&x| g.at(x, y) >= 0.5).count();
    assert!(
        row(&t, 4) > 0 && row(&t, 35) > 0,
        "ends kept (less the erosion)"
    );
    // MNIST-like strokes stay as they are.
    let mnist = bar_crop(20, 20, 3);
    assert_eq!(thin_thick_strokes(&mnist), mnist);
}

#[test]
fn thinning_never_erases_a_thinner_part_of_the_digit() {
    // A thick stem with a thin top bar (a 7 drawn with a pressure-sensitive pen): thinning
    // by the average width alone would erase the bar and shrink the digit's width.
    let (w, h) = (40, 40);
    let mut g = bar_crop(w, h, 12);
    for y in 0..2 {
        for x in 0..w {
            g.data[y * w + x] = 1.0;
        }
    }
    let t = thin_thick_strokes(&g);
    let top: usize = (0..w)
        .filter(|&x| t.at(x, 0).max(t.at(x, 1)) >= 0.5)
        .count();
    assert!(top as f32 >= 0.85 * w as f32, "top bar kept: {top} of {w}");
}

#[test]
fn alpha_ink_reads_strokes_drawn_by_transparency() {
    // Black strokes, anti-aliased through alpha, on a transparent background.
    let mut img = RgbaImage::new(20, 20);
    for y in 4..16 {
        img.put_pixel(9, y, Rgba([0, 0, 0, 255]));
        img.put_pixel(10, y, Rgba([0, 0, 0, 100]));
    }
    let g = alpha_ink(&DynamicImage::ImageRgba8(img)).unwrap();
    assert_eq!(g.at(9, 5), 1.0);
    assert!((g.at(10, 5) - 100.0 / 255.0).abs() < 1e-3);
    assert_eq!(g.at(0, 0), 0.0);
    // Opaque images, and ink on an opaque card with transparent margins, are not.
    let opaque = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([9, 9, 9, 255])));
    assert!(alpha_ink(&opaque).is_none());
    let mut card = RgbaImage::new(20, 20);
    for y in 2..18 {
        for x in 2..18 {
            let ink = x == 9 || x == 10;
            let v = if ink { 20 } else { 240 };
            card.put_pixel(x, y, Rgba([v, v, v, 255]));
        }
    }
    assert!(alpha_ink(&DynamicImage::ImageRgba8(card)).is_none());
    assert!(alpha_ink(&DynamicImage::ImageLuma8(page_with_bar(8, 8, 200, 10))).is_none());
}

#[test]
fn polarity_holds_when_a_thick_digit_covers_most_of_the_picture() {
    // A dark blob over 70 % of a light page: the median is ink, the border is paper.
    let img = GrayImage::from_fn(50, 50, |x, y| {
        let inside = (6..44).contains(&x) && (6..44).contains(&y);
        Luma([if inside { 30 } else { 230 }])
    });
    let g = flatten(&DynamicImage::ImageLuma8(img));
    assert_eq!(detect_polarity(&g), Polarity::DarkInk);
}

#[test]
fn prepare_brings_a_marker_digit_to_mnist_stroke_width() {
    // A thick dark "1" on paper: 12 % of the page wide, so 4.4 px once fitted.
    let img = GrayImage::from_fn(200, 200, |x, y| {
        let bar = (88..112).contains(&x) && (30..170).contains(&y);
        Luma([if bar { 25 } else { 235 }])
    });
    let p = prepare(&DynamicImage::ImageLuma8(img)).unwrap();
    let g = GrayF::from_u8(28, 28, &p.pixels);
    let w = stroke_width(&g).unwrap();
    assert!((1.5..=3.0).contains(&w), "stroke {w} px");
}

#[test]
fn placement_puts_the_centre_of_mass_at_14_14() {
    // An L shape: its centre of mass is far from its box centre.
    let mut g = GrayF::new(12, 20);
    for y in 0..20 {
        g.data[y * 12] = 1.0;
        g.data[y * 12 + 1] = 1.0;
    }
    for x in 0..12 {
        g.data[19 * 12 + x] = 1.0;
    }
    let placed = place_centered(&g).unwrap();
    let (cx, cy) = center_of_mass(&placed).unwrap();
    assert!(
        (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
        "{cx},{cy}"
    );
    // Ink is conserved (nothing pushed off the edge).
    let sum: f32 = placed.data.iter().sum();
    assert_eq!(sum, g.data.iter().sum::<f32>());
    assert!(place_centered(&GrayF::new(5, 5)).is_none());
}

#[test]
fn placement_never_pushes_ink_off_the_edge() {
    // All mass in one corner of a full 20×20 box: the shift is clamped.
    let mut g = GrayF::new(20, 20);
    g.data[0] = 1.0;
    g.data[399] = 0.01;
    let placed = place_centered(&g).unwrap();
    let sum: f32 = placed.data.iter().sum();
    assert!((sum - 1.01).abs() < 1e-6);
}

#[test]
fn to_pixels_rounds_and_clamps() {
    let mut g = GrayF::new(28, 28);
    g.data[0] = 1.5;
    g.data[1] = 0.5;
    g.data[2] = -1.0;
    let p = to_pixels(&g);
    assert_eq!(&p[..3], &[255, 128, 0]);
}

#[test]
fn prepare_blank_uniform_gradient_and_noise_are_no_digit() {
    let cases = [
        DynamicImage::ImageLuma8(GrayImage::from_pixel(64, 64, Luma([255]))),
        DynamicImage::ImageLuma8(GrayImage::from_pixel(64, 64, Luma([0]))),
        DynamicImage::ImageLuma8(GrayImage::from_pixel(64, 64, Luma([128]))),
        DynamicImage::ImageLuma8(GrayImage::from_fn(64, 64, |x, y| {
            Luma([(100 + x + y) as u8])
        })),
        {
            let mut seed = 11;
            DynamicImage::ImageLuma8(GrayImage::from_fn(200, 150, |_, _| {
                Luma([(220.0 + 30.0 * lcg(&mut seed)) as u8])
            }))
        },
        DynamicImage::ImageLuma8(GrayImage::new(1, 1)),
        DynamicImage::ImageLuma8(GrayImage::new(0, 0)),
    ];
    for (i, img) in cases.iter().enumerate() {
        let r = prepare(img);
        assert!(
            matches!(r, Err(DigitError::NoDigit { .. })),
            "case {i}: {r:?}"
        );
    }
    // A single dust speck on a white page is not a digit either.
    let mut speck = GrayImage::from_pixel(300, 300, Luma([250]));
    speck.put_pixel(100, 100, Luma([0]));
    speck.put_pixel(101, 100, Luma([0]));
    assert!(matches!(
        prepare(&DynamicImage::ImageLuma8(speck)),
        Err(DigitError::NoDigit { .. })
    ));
}

#[test]
fn prepare_a_bar_on_paper_gives_an_mnist_one() {
    let img = DynamicImage::ImageLuma8(page_with_bar(300, 400, 235, 40));
    let p = prepare(&img).unwrap();
    assert!(p.inverted);
    let g = GrayF::from_u8(28, 28, &p.pixels);
    let (cx, cy) = center_of_mass(&g).unwrap();
    assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5);
    // 20 rows of ink, centred vertically, bright core.
    let rows = (0..28)
        .filter(|&y| (0..28).any(|x| p.pixels[y * 28 + x] > 0))
        .count();
    assert_eq!(rows, 20);
    assert!(p.pixels.contains(&255));
    assert_eq!(p.cleaned.dimensions(), (300, 400));
}

#[test]
fn prepare_downscales_huge_inputs() {
    let img = DynamicImage::ImageLuma8(page_with_bar(4000, 3000, 240, 20));
    let p = prepare(&img).unwrap();
    assert_eq!(p.cleaned.width(), 1024);
    assert!(p.pixels.contains(&255));
}

#[test]
fn prepare_pixels_handles_canvas_drawings() {
    let mut c = mnist_tui::digit::Canvas::new();
    c.stroke_line((3.0, 3.0), (10.0, 12.0)); // small, off-centre
    let p = prepare_pixels(&c.to_pixels()).unwrap();
    let g = GrayF::from_u8(28, 28, &p.pixels);
    let (cx, cy) = center_of_mass(&g).unwrap();
    assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5);
    assert!(matches!(
        prepare_pixels(&mnist_tui::digit::Canvas::new().to_pixels()),
        Err(DigitError::NoDigit { .. })
    ));
}
