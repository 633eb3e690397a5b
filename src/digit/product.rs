//! Preparations for datasets other than MNIST: Fashion-MNIST's own conversion of product
//! photos ([`prepare_product`]) and the same without its sharpening, for a folder of
//! one's own data ([`prepare_plain`]).
//!
//! Fashion-MNIST (Xiao, Rasul & Vollgraf, arXiv:1708.07747, section 2) was made from
//! Zalando's product thumbnails, photographed on a light (`#fdfdfd`) background, by:
//! trimming the edges close to the colour of the corner pixels (within 5 % of the
//! maximum intensity, in RGB space), resizing the longest edge to 28, sharpening (a
//! Gaussian operator of radius and σ 1.0), extending the shortest edge to 28 with the
//! image at the centre, negating the intensities, and converting to 8-bit gray.
//! [`prepare_product`] takes these steps in this order, on `f32` gray (rounded once, at
//! the end), with these choices where the paper is silent or the input is not Zalando's:
//!
//! - **Background and polarity** come from the corners: the per-channel median of four
//!   small corner patches. Light corners: a dark product on a light background, negated
//!   at the end (`inverted`). Dark corners: already light on dark (a screenshot of a
//!   dataset image), not negated.
//! - **Negation is relative to the background**, so the background becomes exactly 0:
//!   `v → (b − v) / b` on a light background `b`, `v → (v − b) / (1 − b)` on a dark one.
//!   For a white (black) background this is the paper's negation (the identity).
//! - **Resizing** uses a triangle (area-like) filter, not the paper's subsampling (which
//!   aliases badly on photos much larger than its 51 × 73 thumbnails), upscaling too.
//! - **Transparency** is composited like [`flatten`] does: onto white behind a dark
//!   product, onto black behind a light one (which white would make vanish), so
//!   transparent pixels are background either way.
//! - **Pass-through**: an image already in the dataset's form — exactly 28 × 28, with a
//!   median corner value under [`PASS_THROUGH_CORNER_BELOW`] (on 0–255) — comes back
//!   unchanged, pixel for pixel (its 8-bit gray), so an image cut from the dataset
//!   classifies exactly as in evaluation.
//! - **Refusals**: an image in which fewer than [`MIN_OBJECT_PIXELS`] pixels differ from
//!   the corner colour by more than [`TRIM_TOLERANCE`] (blank, uniform, or a speck) is
//!   [`DigitError::NoDigit`], never a guess.
//!
//! In the returned [`Prepared`], `cleaned` is the trimmed crop at working resolution
//! (light on dark, background 0) and `bbox` covers all of it.

use super::DigitError;
use super::gray::GrayF;
use super::load::work_image;
use super::preprocess::{
    BBox, Prepared, SIDE, backdrop, crop, flatten, quantile, resize, to_pixels,
};
use image::DynamicImage;

/// A 28 × 28 image whose median corner value (8-bit gray) is below this is already in the
/// dataset's form (light on dark) and passes through unchanged.
pub const PASS_THROUGH_CORNER_BELOW: u8 = 64;

/// Pixels closer than this to the corner colour (Euclidean distance in RGB, channels
/// 0..1) are background: the paper's "5 % of the maximum possible intensity".
pub const TRIM_TOLERANCE: f32 = 0.05;

/// Fewer pixels than this differing from the background are specks, not a product.
pub const MIN_OBJECT_PIXELS: usize = 4;

/// Corner patches are this fraction of the shorter side (at least 2 px, when there is room).
const CORNER_PATCH_FRACTION: usize = 20;

/// The unsharp mask's Gaussian: σ 1.0 with a radius of 1 px, as in the paper.
const SHARPEN_SIGMA: f32 = 1.0;

/// How much of the difference to the blurred image is added back (ImageMagick's default
/// gain; the paper gives none).
const SHARPEN_AMOUNT: f32 = 1.0;

/// An RGB colour, channels 0..1.
type Rgb = [f32; 3];

/// Prepares a product photo the way Fashion-MNIST was made (see the [module
/// docs](self)): trim the background, longest edge to 28, sharpen, centre on 28 × 28,
/// light on dark, 8-bit gray. A 28 × 28 light-on-dark image passes through unchanged.
///
/// Returns [`DigitError::NoDigit`] (with no path) for an empty, blank or uniform image.
pub fn prepare_product(img: &DynamicImage) -> Result<Prepared, DigitError> {
    prepare_picture(img, Sharpening::Paper)
}

/// Prepares a picture for a model trained on one's own data: [`prepare_product`]
/// without the sharpening (trim the background, longest edge to 28, centre on 28 × 28,
/// light on dark). A 28 × 28 light-on-dark image passes through unchanged.
///
/// Returns [`DigitError::NoDigit`] (with no path) for an empty, blank or uniform image.
pub fn prepare_plain(img: &DynamicImage) -> Result<Prepared, DigitError> {
    prepare_picture(img, Sharpening::Off)
}

/// Whether the resized picture is sharpened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sharpening {
    /// Fashion-MNIST's unsharp mask.
    Paper,
    /// No sharpening.
    Off,
}

/// The steps shared by [`prepare_product`] and [`prepare_plain`].
fn prepare_picture(img: &DynamicImage, sharpening: Sharpening) -> Result<Prepared, DigitError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(no_object("the image has no pixels"));
    }
    let img = work_image(img);
    let (w, h) = (img.width() as usize, img.height() as usize);
    let corners = corner_indices(w, h);
    let rgb = composite_rgb(&img);
    let bbox = trim_box(&rgb, w, median_colour(&rgb, &corners)).ok_or_else(|| {
        no_object("the image is blank or uniform (nothing differs from the corners' colour)")
    })?;
    let gray = flatten(&img);
    let level = median_level(&gray, &corners);
    let object = crop(&gray, bbox);
    let pixels = if is_in_form(w, h, level) {
        to_pixels(&gray)
    } else {
        to_pixels(&to_canvas(&object, level, sharpening))
    };
    Ok(Prepared {
        pixels,
        cleaned: light_on_dark(&object, level).to_gray_image(),
        inverted: is_light(level),
        bbox: BBox {
            x: 0,
            y: 0,
            width: object.width,
            height: object.height,
        },
    })
}

/// The trimmed `object` (background level `level`) resized so its longest edge is 28,
/// sharpened or not, centred on 28 × 28 and made light on dark.
fn to_canvas(object: &GrayF, level: f32, sharpening: Sharpening) -> GrayF {
    let mut fitted = fit_longest_edge(object, SIDE);
    if sharpening == Sharpening::Paper {
        fitted = unsharp_mask(&fitted);
    }
    light_on_dark(&extend_centered(&fitted, SIDE, level), level)
}

/// [`DigitError::NoDigit`] without a path.
fn no_object(reason: &str) -> DigitError {
    DigitError::NoDigit {
        path: None,
        reason: reason.to_string(),
    }
}

/// Whether a background level (0..1) is light: the picture is dark on light and must be
/// negated.
fn is_light(level: f32) -> bool {
    level >= 0.5
}

/// The pass-through rule: 28 × 28 with a median corner value (0..1) under
/// [`PASS_THROUGH_CORNER_BELOW`] / 255.
fn is_in_form(w: usize, h: usize, corner_level: f32) -> bool {
    (w, h) == (SIDE, SIDE) && (corner_level * 255.0).round() < f32::from(PASS_THROUGH_CORNER_BELOW)
}

/// The indices (row-major) of the pixels in the four corner patches of a `w` × `h` image:
/// squares of 1/[`CORNER_PATCH_FRACTION`] of the shorter side, at least 2 px (at most
/// the shorter side). Patches overlap in tiny images.
fn corner_indices(w: usize, h: usize) -> Vec<usize> {
    let short = w.min(h);
    let side = (short / CORNER_PATCH_FRACTION).max(2).min(short);
    let mut out = Vec::with_capacity(4 * side * side);
    for (x0, y0) in [(0, 0), (w - side, 0), (0, h - side), (w - side, h - side)] {
        for y in y0..y0 + side {
            out.extend((x0..x0 + side).map(|x| y * w + x));
        }
    }
    out
}

/// The image as RGB (0..1) with any transparency composited onto the gray level
/// [`flatten`] uses, so both see the same background.
fn composite_rgb(img: &DynamicImage) -> Vec<Rgb> {
    let backdrop = if img.color().has_alpha() {
        backdrop(&img.to_luma_alpha32f().into_raw())
    } else {
        1.0
    };
    img.to_rgba32f()
        .into_raw()
        .chunks_exact(4)
        .map(|p| [0, 1, 2].map(|c| p[3] * p[c] + (1.0 - p[3]) * backdrop))
        .collect()
}

/// The median of the gray pixels at `indices`.
fn median_level(g: &GrayF, indices: &[usize]) -> f32 {
    quantile(&indices.iter().map(|&i| g.data[i]).collect::<Vec<_>>(), 0.5)
}

/// The per-channel median of the pixels at `indices`.
fn median_colour(rgb: &[Rgb], indices: &[usize]) -> Rgb {
    [0, 1, 2].map(|c| quantile(&indices.iter().map(|&i| rgb[i][c]).collect::<Vec<_>>(), 0.5))
}

/// The bounding box of the pixels farther than [`TRIM_TOLERANCE`] from `background` in
/// an image `w` pixels wide; `None` when fewer than [`MIN_OBJECT_PIXELS`] are.
fn trim_box(rgb: &[Rgb], w: usize, background: Rgb) -> Option<BBox> {
    let far = |p: &Rgb| {
        let d2: f32 = p
            .iter()
            .zip(&background)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        d2 > TRIM_TOLERANCE * TRIM_TOLERANCE
    };
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    let mut count = 0usize;
    for (i, _) in rgb.iter().enumerate().filter(|(_, p)| far(p)) {
        let (x, y) = (i % w, i / w);
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
        count += 1;
    }
    (count >= MIN_OBJECT_PIXELS).then(|| BBox {
        x: x0,
        y: y0,
        width: x1 - x0 + 1,
        height: y1 - y0 + 1,
    })
}

/// Resizes `g` so its longer edge is `side` pixels, the aspect ratio kept (the shorter
/// edge rounded, at least 1 px), with a triangle filter.
fn fit_longest_edge(g: &GrayF, side: usize) -> GrayF {
    let scale = side as f64 / g.width.max(g.height) as f64;
    let fit = |n: usize| ((n as f64 * scale).round() as usize).clamp(1, side);
    resize(g, fit(g.width), fit(g.height))
}

/// Unsharp mask: `v + amount · (v − blur(v))`, the blur a Gaussian of σ
/// [`SHARPEN_SIGMA`] and radius 1 px (edges clamped), values left unclamped.
fn unsharp_mask(g: &GrayF) -> GrayF {
    let side = (-1.0 / (2.0 * SHARPEN_SIGMA * SHARPEN_SIGMA)).exp();
    let kernel = [side, 1.0, side].map(|k| k / (1.0 + 2.0 * side));
    let blurred = convolve3(&convolve3(g, kernel, true), kernel, false);
    let data = g
        .data
        .iter()
        .zip(&blurred.data)
        .map(|(&v, &b)| v + SHARPEN_AMOUNT * (v - b))
        .collect();
    GrayF::from_vec(g.width, g.height, data)
}

/// Convolves the rows (`along_rows`) or columns of `g` with a 3-tap kernel, edges clamped.
fn convolve3(g: &GrayF, kernel: [f32; 3], along_rows: bool) -> GrayF {
    let (w, h) = (g.width, g.height);
    let mut out = GrayF::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (i, n) = if along_rows { (x, w) } else { (y, h) };
            let at = |j: usize| if along_rows { g.at(j, y) } else { g.at(x, j) };
            let (prev, next) = (i.saturating_sub(1), (i + 1).min(n - 1));
            out.data[y * w + x] = kernel[0] * at(prev) + kernel[1] * at(i) + kernel[2] * at(next);
        }
    }
    out
}

/// `g` (at most `side` × `side`) centred on a `side` × `side` canvas of `fill` (the odd
/// pixel, if any, goes to the right and bottom).
fn extend_centered(g: &GrayF, side: usize, fill: f32) -> GrayF {
    let (ox, oy) = ((side - g.width) / 2, (side - g.height) / 2);
    let mut out = GrayF::from_vec(side, side, vec![fill; side * side]);
    for y in 0..g.height {
        let row = &g.data[y * g.width..(y + 1) * g.width];
        out.data[(y + oy) * side + ox..(y + oy) * side + ox + g.width].copy_from_slice(row);
    }
    out
}

/// Maps a picture with background level `level` to light on dark with the background at
/// 0: negated relative to a light background, stretched from a dark one (values beyond
/// 0..1 are left for the final rounding to clamp).
fn light_on_dark(g: &GrayF, level: f32) -> GrayF {
    let map = |v: f32| {
        if is_light(level) {
            (level - v) / level
        } else {
            (v - level) / (1.0 - level)
        }
    };
    GrayF::from_vec(g.width, g.height, g.data.iter().map(|&v| map(v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgb as RgbPixel, RgbImage, Rgba, RgbaImage};

    /// A `w` × `h` RGB image of one colour.
    fn rgb_image(w: u32, h: u32, colour: [u8; 3]) -> RgbImage {
        RgbImage::from_pixel(w, h, RgbPixel(colour))
    }

    /// Paints the rectangle `(x, y, w, h)`.
    fn rect(img: &mut RgbImage, (x, y, w, h): (u32, u32, u32, u32), colour: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                img.put_pixel(xx, yy, RgbPixel(colour));
            }
        }
    }

    /// Paints the (aliased) ellipse inscribed in the rectangle `(x, y, w, h)`.
    fn ellipse(img: &mut RgbImage, (x, y, w, h): (u32, u32, u32, u32), colour: [u8; 3]) {
        let (cx, cy) = (x as f32 + w as f32 / 2.0, y as f32 + h as f32 / 2.0);
        let (rx, ry) = (w as f32 / 2.0, h as f32 / 2.0);
        for yy in y..y + h {
            for xx in x..x + w {
                let dx = (xx as f32 + 0.5 - cx) / rx;
                let dy = (yy as f32 + 0.5 - cy) / ry;
                if dx * dx + dy * dy <= 1.0 {
                    img.put_pixel(xx, yy, RgbPixel(colour));
                }
            }
        }
    }

    /// The box `(x0, y0, x1, y1)` (inclusive) of the pixels above `threshold`.
    fn object_box(pixels: &[u8; 784], threshold: u8) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for (i, _) in pixels.iter().enumerate().filter(|(_, v)| **v > threshold) {
            let (x, y) = (i % SIDE, i / SIDE);
            b = Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
        b
    }

    /// Width and height of an inclusive box.
    fn size((x0, y0, x1, y1): (usize, usize, usize, usize)) -> (usize, usize) {
        (x1 - x0 + 1, y1 - y0 + 1)
    }

    /// Centre of an inclusive box, in pixel-index coordinates.
    fn centre((x0, y0, x1, y1): (usize, usize, usize, usize)) -> (f32, f32) {
        ((x0 + x1) as f32 / 2.0, (y0 + y1) as f32 / 2.0)
    }

    /// A 28 × 28 shirt-like shape, light and textured on black, its longest side 28 and
    /// centred (like Fashion-MNIST).
    fn shirt() -> GrayImage {
        GrayImage::from_fn(28, 28, |x, y| {
            let body = (8..20).contains(&x);
            let sleeves = (2..26).contains(&x) && y < 10;
            if body || sleeves {
                Luma([(90 + (x * 7 + y * 3) % 150) as u8])
            } else {
                Luma([0])
            }
        })
    }

    fn is_no_digit(r: Result<Prepared, DigitError>) -> bool {
        matches!(r, Err(DigitError::NoDigit { path: None, .. }))
    }

    /// The requirement: a dark object on white, off-centre, larger than 28 px,
    /// becomes a light object on black whose longest side is 28 px, centred within ±1 px.
    #[test]
    fn product_photo_becomes_light_object_on_black_centred() {
        let mut img = rgb_image(200, 120, [255, 255, 255]);
        ellipse(&mut img, (100, 10, 90, 50), [60, 60, 60]);
        let p = prepare_product(&DynamicImage::ImageRgb8(img)).expect("prepared");
        assert!(p.inverted);
        let b = object_box(&p.pixels, 32).expect("an object");
        // 50 × 28 / 90 = 15.6 → 16 px high.
        assert_eq!(size(b), (28, 16), "{b:?}");
        let (cx, cy) = centre(b);
        assert!(
            (cx - 13.5).abs() <= 1.0 && (cy - 13.5).abs() <= 1.0,
            "{b:?}"
        );
        // Background black, object light (255 − 60 = 195 inside).
        for (x, y) in [(0, 0), (27, 0), (0, 27), (27, 27), (14, 2), (14, 25)] {
            assert_eq!(p.pixels[y * SIDE + x], 0, "({x}, {y})");
        }
        assert!((185..=205).contains(&p.pixels[14 * SIDE + 14]));
        assert_eq!((p.cleaned.width(), p.cleaned.height()), (90, 50));
        assert_eq!(
            p.bbox,
            BBox {
                x: 0,
                y: 0,
                width: 90,
                height: 50
            }
        );
    }

    /// A rectangle fills its crop: its edges stay crisp, so the sizes are exact.
    #[test]
    fn rectangle_gets_exact_sizes_centred() {
        let mut img = rgb_image(200, 120, [255, 255, 255]);
        rect(&mut img, (20, 50, 90, 50), [40, 80, 120]);
        let p = prepare_product(&DynamicImage::ImageRgb8(img)).expect("prepared");
        let b = object_box(&p.pixels, 0).expect("an object");
        // 50 × 28 / 90 = 15.6 → 16 rows, 6 above and 6 below.
        assert_eq!(b, (0, 6, 27, 21));
    }

    #[test]
    fn tall_object_gets_height_28_and_wide_one_width_28() {
        let mut tall = rgb_image(200, 200, [250, 250, 250]);
        rect(&mut tall, (30, 20, 30, 150), [20, 20, 20]);
        let p = prepare_product(&DynamicImage::ImageRgb8(tall)).expect("tall");
        // 30 × 28 / 150 = 5.6 → 6 columns, centred at 11..17.
        assert_eq!(object_box(&p.pixels, 0), Some((11, 0, 16, 27)));
        let mut wide = rgb_image(200, 200, [250, 250, 250]);
        rect(&mut wide, (20, 150, 150, 30), [20, 20, 20]);
        let p = prepare_product(&DynamicImage::ImageRgb8(wide)).expect("wide");
        assert_eq!(object_box(&p.pixels, 0), Some((0, 11, 27, 16)));
    }

    #[test]
    fn dataset_image_passes_through_bit_for_bit() {
        let img = shirt();
        for prepared in [prepare_product, prepare_plain] {
            let p = prepared(&DynamicImage::ImageLuma8(img.clone())).expect("prepared");
            assert_eq!(p.pixels.as_slice(), img.as_raw().as_slice());
            assert!(!p.inverted);
            // The same gray as RGB, too.
            let rgb = DynamicImage::ImageLuma8(img.clone()).to_rgb8();
            let p = prepared(&DynamicImage::ImageRgb8(rgb)).expect("prepared");
            assert_eq!(p.pixels.as_slice(), img.as_raw().as_slice());
        }
    }

    /// Corners at 64 are not "dark": the image is prepared, not passed through.
    #[test]
    fn pass_through_needs_dark_corners() {
        let mut img = shirt();
        for v in img.pixels_mut() {
            v.0[0] = v.0[0].max(64);
        }
        let p = prepare_plain(&DynamicImage::ImageLuma8(img.clone())).expect("prepared");
        assert_ne!(p.pixels.as_slice(), img.as_raw().as_slice());
        assert_eq!(p.pixels[0], 0, "the background maps to 0");
    }

    /// A dataset image scaled up (a screenshot): light on dark, larger than 28 px, is
    /// trimmed by its dark corners, not negated, and comes back close to the original.
    #[test]
    fn upscaled_dataset_image_comes_back_close_to_the_original() {
        let small = shirt();
        let big = image::imageops::resize(&small, 112, 112, image::imageops::FilterType::Nearest);
        let p = prepare_plain(&DynamicImage::ImageLuma8(big)).expect("prepared");
        assert!(!p.inverted);
        let original: &[u8] = small.as_raw();
        assert_eq!(
            object_box(&p.pixels, 40),
            object_box(original.try_into().unwrap(), 40)
        );
        let mean_diff = p
            .pixels
            .iter()
            .zip(original)
            .map(|(&a, &b)| f64::from(a.abs_diff(b)))
            .sum::<f64>()
            / 784.0;
        assert!(mean_diff < 8.0, "mean difference {mean_diff}");
    }

    #[test]
    fn transparent_background_is_background() {
        // A navy product on a fully transparent background.
        let mut img = RgbaImage::from_pixel(100, 80, Rgba([0, 0, 0, 0]));
        for y in 10..70 {
            for x in 50..90 {
                img.put_pixel(x, y, Rgba([20, 30, 90, 255]));
            }
        }
        let p = prepare_product(&DynamicImage::ImageRgba8(img.clone())).expect("dark product");
        assert!(p.inverted, "composited onto white, then negated");
        // 40 × 28 / 60 = 18.7 → 19 columns, 4 left and 5 right.
        assert_eq!(object_box(&p.pixels, 0), Some((4, 0, 22, 27)));
        assert!(p.pixels[14 * SIDE + 14] > 200);
        // A white product on transparency: composited onto black, it stays visible.
        for v in img.pixels_mut().filter(|v| v.0[3] == 255) {
            v.0 = [255, 255, 255, 255];
        }
        let p = prepare_product(&DynamicImage::ImageRgba8(img)).expect("light product");
        assert!(!p.inverted);
        assert_eq!(object_box(&p.pixels, 0), Some((4, 0, 22, 27)));
        assert_eq!(p.pixels[14 * SIDE + 14], 255);
    }

    #[test]
    fn blank_and_uniform_images_are_refused() {
        for colour in [[255, 255, 255], [0, 0, 0], [128, 90, 200]] {
            for (w, h) in [(28, 28), (100, 60)] {
                let img = DynamicImage::ImageRgb8(rgb_image(w, h, colour));
                assert!(is_no_digit(prepare_product(&img)), "{colour:?} {w}×{h}");
                assert!(is_no_digit(prepare_plain(&img)), "{colour:?} {w}×{h}");
            }
        }
        // Noise within the tolerance is still uniform; so are a couple of specks.
        let mut img = GrayImage::from_fn(64, 64, |x, y| Luma([250 - ((x * 7 + y * 13) % 9) as u8]));
        assert!(is_no_digit(prepare_product(&DynamicImage::ImageLuma8(
            img.clone()
        ))));
        img.put_pixel(30, 30, Luma([0]));
        img.put_pixel(40, 10, Luma([0]));
        assert!(is_no_digit(prepare_product(&DynamicImage::ImageLuma8(img))));
        // Fully transparent.
        let img = RgbaImage::from_pixel(50, 50, Rgba([10, 200, 30, 0]));
        assert!(is_no_digit(prepare_product(&DynamicImage::ImageRgba8(img))));
        let empty = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
        assert!(is_no_digit(prepare_product(&empty)));
    }

    /// The sharpening brightens the product's side of an edge past its interior (and
    /// darkens the background side): `prepare_plain` has no such overshoot, negates a
    /// dark-on-light picture just the same, and matches the product where there is no
    /// edge to sharpen.
    #[test]
    fn plain_negates_without_sharpening() {
        let mut img = rgb_image(160, 160, [255, 255, 255]);
        ellipse(&mut img, (20, 30, 120, 100), [102, 102, 102]);
        let img = DynamicImage::ImageRgb8(img);
        let interior = 255 - 102;
        let plain = prepare_plain(&img).expect("plain");
        let product = prepare_product(&img).expect("product");
        assert!(plain.inverted && product.inverted);
        assert_eq!(plain.pixels[0], 0);
        assert_eq!(plain.pixels[14 * SIDE + 14], interior);
        let max = |p: &Prepared| p.pixels.iter().copied().max().unwrap_or(0);
        assert!(max(&plain) <= interior, "plain overshoots: {}", max(&plain));
        assert!(max(&product) >= interior + 15, "product: {}", max(&product));
        assert_eq!(plain.pixels[14 * SIDE + 14], product.pixels[14 * SIDE + 14]);
        // Sharpening changes edges only, and the object keeps its place.
        assert_eq!(
            object_box(&plain.pixels, 60),
            object_box(&product.pixels, 60)
        );
        // A rectangle filling its crop has no inner edge: both agree exactly.
        let mut flat = rgb_image(90, 70, [255, 255, 255]);
        rect(&mut flat, (10, 10, 50, 40), [30, 30, 30]);
        let flat = DynamicImage::ImageRgb8(flat);
        let (a, b) = (prepare_plain(&flat), prepare_product(&flat));
        assert_eq!(a.expect("plain").pixels, b.expect("product").pixels);
    }

    /// An off-white, gray background still becomes 0, the product full scale.
    #[test]
    fn gray_background_becomes_black() {
        let mut img = rgb_image(120, 120, [200, 200, 200]);
        rect(&mut img, (30, 40, 50, 25), [0, 0, 0]);
        let p = prepare_plain(&DynamicImage::ImageRgb8(img)).expect("prepared");
        assert_eq!(p.pixels[0], 0);
        assert_eq!(p.pixels[14 * SIDE + 14], 255);
    }

    #[test]
    fn degenerate_shapes_do_not_panic() {
        let white = [255, 255, 255];
        for (w, h) in [(1, 1), (1, 1000), (1000, 1), (2, 2), (3, 5000), (5000, 3)] {
            for prepared in [prepare_product, prepare_plain] {
                let blank = DynamicImage::ImageRgb8(rgb_image(w, h, white));
                assert!(is_no_digit(prepared(&blank)), "blank {w}×{h}");
                // A dark stripe across the middle third.
                let mut img = rgb_image(w, h, white);
                if w >= h {
                    rect(&mut img, (w / 3, 0, w / 3, h), [0, 0, 0]);
                } else {
                    rect(&mut img, (0, h / 3, w, h / 3), [0, 0, 0]);
                }
                let r = prepared(&DynamicImage::ImageRgb8(img));
                if w * h >= 1000 {
                    let p = r.expect("a stripe");
                    let (bw, bh) = size(object_box(&p.pixels, 0).expect("an object"));
                    assert_eq!(bw.max(bh), 28, "{w}×{h}");
                } else {
                    assert!(r.is_ok() || is_no_digit(r), "{w}×{h}");
                }
            }
        }
    }

    #[test]
    fn prepare_file_with_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("blank.png");
        rgb_image(40, 40, [255, 255, 255])
            .save(&path)
            .expect("saved");
        match super::super::prepare_file_with(&path, prepare_product) {
            Err(DigitError::NoDigit { path: Some(p), .. }) => assert_eq!(p, path),
            other => panic!("expected NoDigit naming the file, got {other:?}"),
        }
        let path = dir.path().join("shirt.png");
        shirt().save(&path).expect("saved");
        let p = super::super::prepare_file_with(&path, prepare_plain).expect("prepared");
        assert_eq!(p.pixels.as_slice(), shirt().as_raw().as_slice());
    }
}
