//! MNIST-style preprocessing: any image of a digit in, a 28 × 28 white-on-black `u8`
//! digit out, prepared the way MNIST itself was made.
//!
//! [`prepare`] chains small steps, each public and tested on its own:
//! [`alpha_ink`] (strokes drawn by transparency) or [`flatten`] (alpha compositing +
//! luma) → [`detect_polarity`] (against the border) / [`invert`] →
//! [`remove_background`] (robust plane fit: paper level and lighting gradient) →
//! [`normalize_contrast`] (noise floor to 0, ink to 1) → [`ink_bbox`] (connected
//! components, specks dropped) → [`crop`] → [`thicken_thin_strokes`] /
//! [`thin_thick_strokes`] (stroke width brought to MNIST's) → [`fit_box`]
//! (20 × 20, aspect kept, anti-aliased) → [`place_centered`] (centre of mass at the
//! MNIST centre) → [`to_pixels`].

use super::DigitError;
use super::gray::GrayF;
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, imageops};

/// Side of an MNIST image.
pub const SIDE: usize = 28;
/// Side of the box MNIST fits the digit's bounding box into.
pub const FIT: usize = 20;
/// Where MNIST puts the centre of mass, in pixel-index coordinates `(x, y)`.
/// Measured on the 10 000 MNIST test digits (mean COM), see `tests/digit_mnist.rs`.
pub const COM_TARGET: (f32, f32) = (14.0, 14.0);

/// Intensity (0..1) under which background-subtracted values count as noise at the least.
const NOISE_FLOOR: f32 = 0.02;
/// The smallest ink contrast (0..1 of full scale) accepted as a digit.
const MIN_CONTRAST: f32 = 0.08;
/// Threshold on the 3 × 3-blurred normalised image defining solid ink components.
const COMPONENT_THRESHOLD: f32 = 0.2;
/// Components lighter than this fraction of the heaviest one are specks.
const KEEP_FRACTION: f32 = 0.05;
/// Minimal ink mass (sum of normalised intensities) of a digit, absolute…
const MIN_INK_MASS: f32 = 6.0;
/// …and relative to the number of pixels of the working image.
const MIN_INK_MASS_FRACTION: f32 = 2e-4;
/// Pixels above this within a small margin of the solid components extend the bounding
/// box (MNIST boxes include most of the anti-aliased rim; 0.1 rather than 0 keeps JPEG
/// ringing out: measured on MNIST pass-through and the user-like harness).
const FRINGE: f32 = 0.1;
/// Strokes thinner than this once fitted to 20 × 20 are thickened (MNIST strokes are
/// 1–3 px wide by [`stroke_width`], median about 1.9; under 1 % are below 1).
const MIN_FITTED_STROKE: f32 = 1.0;
/// The width thin strokes are thickened to, in fitted (20 × 20) pixels.
const TARGET_FITTED_STROKE: f32 = 1.9;
/// Strokes wider than this once fitted to 20 × 20 are thinned (a marker, a thick brush;
/// MNIST's own are at most about 3 px by [`stroke_width`])…
const MAX_FITTED_STROKE: f32 = 3.0;
/// …to this width, in fitted pixels.
const THINNED_FITTED_STROKE: f32 = 2.2;
/// A thinning must keep at least this fraction of the digit's width and height, less
/// what the erosion takes off its sides (else a thinner stroke of the digit vanished,
/// and a gentler thinning is tried).
const KEEP_EXTENT: f32 = 0.85;
/// Strokes softer than this by [`edge_softness`] are left as they are: a blurred stroke
/// keeps its shape only in its soft edge, which erosion would cut off (measured on the
/// `other_hands` harness: thinning soft strokes lost 1–2 points, crisp ones gained 3–4).
const MAX_SOFTNESS: f32 = 0.35;
/// Crops smaller than this (longer side, px) are upscaled before they are thinned.
const THIN_SIDE: usize = 80;

/// A digit prepared for a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The 28 × 28 digit, row-major, white (255) ink on black (0), as in MNIST.
    pub pixels: [u8; SIDE * SIDE],
    /// The cleaned image at working resolution: polarity fixed, background removed,
    /// contrast normalised, specks removed (white ink on black). Useful for previews.
    pub cleaned: GrayImage,
    /// Whether the input was dark ink on a light background (and so was inverted).
    pub inverted: bool,
    /// The digit's bounding box in `cleaned`: `(x, y, width, height)`.
    pub bbox: BBox,
}

/// An axis-aligned box `(x, y, width, height)` in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width in pixels (≥ 1).
    pub width: usize,
    /// Height in pixels (≥ 1).
    pub height: usize,
}

/// Which way the ink differs from the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// Light ink on a dark background (MNIST's own polarity): no inversion needed.
    LightInk,
    /// Dark ink on a light background (ink on paper): must be inverted.
    DarkInk,
}

/// Prepares any image of a single digit the way MNIST was made.
///
/// Returns [`DigitError::NoDigit`] (with no path) for an empty, uniform or nearly empty
/// image instead of a guess. Images larger than [`MAX_WORK_SIDE`](super::MAX_WORK_SIDE)
/// are first downscaled with a fast box filter.
pub fn prepare(img: &DynamicImage) -> Result<Prepared, DigitError> {
    let no_digit = |reason: &str| DigitError::NoDigit {
        path: None,
        reason: reason.to_string(),
    };
    if img.width() == 0 || img.height() == 0 {
        return Err(no_digit("the image has no pixels"));
    }
    let img = super::load::work_image(img);
    let (mut g, polarity) = match alpha_ink(&img) {
        Some(g) => (g, Polarity::LightInk),
        None => {
            let mut g = flatten(&img);
            let polarity = detect_polarity(&g);
            if polarity == Polarity::DarkInk {
                invert(&mut g);
            }
            (g, polarity)
        }
    };
    let sigma = remove_background(&mut g);
    if !normalize_contrast(&mut g, sigma) {
        return Err(no_digit("the image is blank or has too little contrast"));
    }
    let bbox = ink_bbox(&mut g).ok_or_else(|| no_digit("too little ink to be a digit"))?;
    let cleaned = g.to_gray_image();
    let digit = crop(&g, bbox);
    let digit = thicken_thin_strokes(&digit);
    let digit = thin_thick_strokes(&digit);
    let fitted = fit_box(&digit, FIT);
    let placed = place_centered(&fitted).ok_or_else(|| no_digit("no ink left after fitting"))?;
    Ok(Prepared {
        pixels: to_pixels(&placed),
        cleaned,
        inverted: polarity == Polarity::DarkInk,
        bbox,
    })
}

/// Largest spread (standard deviation of luma, 0..1) of the visible pixels of an image
/// whose shape is drawn by its transparency alone.
const ALPHA_INK_MAX_SPREAD: f32 = 0.12;

/// The ink of an image drawn by its transparency (strokes of one colour on a transparent
/// background, anti-aliased through alpha): the alpha channel itself, as white ink on
/// black. `None` for opaque images, and when the visible pixels differ in colour (ink on
/// an opaque paper with transparent margins), which [`flatten`] handles.
pub fn alpha_ink(img: &DynamicImage) -> Option<GrayF> {
    if !img.color().has_alpha() {
        return None;
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    let la = img.to_luma_alpha32f().into_raw();
    let (mut sum_a, mut sum_al, mut sum_all) = (0.0f64, 0.0f64, 0.0f64);
    let mut transparent = 0usize;
    for p in la.chunks_exact(2) {
        let (l, a) = (f64::from(p[0]), f64::from(p[1]));
        sum_a += a;
        sum_al += a * l;
        sum_all += a * l * l;
        transparent += usize::from(p[1] < 0.5);
    }
    // Mostly transparent and some visible: the transparency draws something.
    if sum_a < 1.0 || transparent * 10 < w * h {
        return None;
    }
    let mean = sum_al / sum_a;
    let spread = (sum_all / sum_a - mean * mean).max(0.0).sqrt() as f32;
    (spread <= ALPHA_INK_MAX_SPREAD)
        .then(|| GrayF::from_vec(w, h, la.chunks_exact(2).map(|p| p[1]).collect()))
}

/// Grayscale (luma, 0..1) with transparency composited onto a background chosen to
/// contrast with the visible content: dark strokes on transparent land on white,
/// light strokes on black. Opaque images just become luma.
pub fn flatten(img: &DynamicImage) -> GrayF {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if !img.color().has_alpha() {
        return GrayF::from_vec(w, h, img.to_luma32f().into_raw());
    }
    let la = img.to_luma_alpha32f().into_raw();
    let background = backdrop(&la);
    let data = la
        .chunks_exact(2)
        .map(|p| p[1] * p[0] + (1.0 - p[1]) * background)
        .collect();
    GrayF::from_vec(w, h, data)
}

/// The gray level [`flatten`] composites transparent pixels onto, from interleaved
/// luma–alpha pairs: white (1) when the visible content is dark on average (alpha-weighted
/// mean luma under 0.5), black (0) when it is light or nothing is visible.
pub(crate) fn backdrop(la: &[f32]) -> f32 {
    let (mut sum_a, mut sum_al) = (0.0f64, 0.0f64);
    for p in la.chunks_exact(2) {
        sum_a += f64::from(p[1]);
        sum_al += f64::from(p[0] * p[1]);
    }
    if sum_a > 0.0 && sum_al / sum_a < 0.5 {
        1.0
    } else {
        0.0
    }
}

/// Decides whether the ink is darker or lighter than the background. The background is
/// the median of the image's border (a digit is drawn inside its picture; a thick one
/// may cover more than half of it), or of the whole image when the border is too thin
/// to tell; the ink is whichever tail beyond the noise band (3 robust σ around the
/// background) holds more mass.
pub fn detect_polarity(g: &GrayF) -> Polarity {
    let samples = g.sample_values(1 << 16);
    let border = border_values(g);
    let reference = if border.len() >= 16 {
        &border
    } else {
        &samples
    };
    let median = quantile(reference, 0.5);
    let deviations: Vec<f32> = reference.iter().map(|v| (v - median).abs()).collect();
    let mad = quantile(&deviations, 0.5);
    let band = (3.0 * 1.4826 * mad).max(0.05);
    let (mut dark, mut light) = (0.0f64, 0.0f64);
    for &v in &samples {
        dark += f64::from((median - v - band).max(0.0));
        light += f64::from((v - median - band).max(0.0));
    }
    if dark > light {
        Polarity::DarkInk
    } else {
        Polarity::LightInk
    }
}

/// The values of the outer ring of `g`, 1/20 of the smaller side wide (at least 1 px).
fn border_values(g: &GrayF) -> Vec<f32> {
    let (w, h) = (g.width, g.height);
    let ring = (w.min(h) / 20).max(1);
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            if x < ring || y < ring || x + ring >= w || y + ring >= h {
                out.push(g.data[y * w + x]);
            }
        }
    }
    out
}

/// `v → 1 − v` for every pixel.
pub fn invert(g: &mut GrayF) {
    for v in &mut g.data {
        *v = 1.0 - *v;
    }
}

/// Subtracts the background, modelled as a plane `a + b·x + c·y` (paper level plus a
/// lighting gradient) fitted robustly to the non-ink pixels (ink is brighter: call after
/// [`invert`]). Returns the robust standard deviation of the remaining background noise.
pub fn remove_background(g: &mut GrayF) -> f32 {
    let samples = g.sample_points(1 << 16);
    if samples.is_empty() {
        return 0.0;
    }
    let values: Vec<f32> = samples.iter().map(|s| s.2).collect();
    // Start from the darker 30 %: background even when a thick digit covers half.
    let low = quantile(&values, 0.3);
    let mut selected: Vec<bool> = values.iter().map(|&v| v <= low).collect();
    let mut plane = [f64::from(low), 0.0, 0.0];
    let mut sigma = 0.0f32;
    for _ in 0..3 {
        if let Some(p) = fit_plane(&samples, &selected) {
            plane = p;
        }
        let residuals: Vec<f32> = samples
            .iter()
            .map(|&(x, y, v)| v - eval_plane(&plane, x, y))
            .collect();
        let background: Vec<f32> = residuals
            .iter()
            .zip(&selected)
            .filter(|(_, s)| **s)
            .map(|(r, _)| *r)
            .collect();
        if background.is_empty() {
            break;
        }
        let centre = quantile(&background, 0.5);
        let deviations: Vec<f32> = background.iter().map(|r| (r - centre).abs()).collect();
        sigma = 1.4826 * quantile(&deviations, 0.5);
        let cut = (2.5 * sigma).max(NOISE_FLOOR);
        selected = residuals.iter().map(|&r| r <= cut).collect();
    }
    let (w, h) = (g.width, g.height);
    for y in 0..h {
        for x in 0..w {
            let (nx, ny) = GrayF::normalized_coords(x, y, w, h);
            g.data[y * w + x] -= eval_plane(&plane, nx, ny);
        }
    }
    sigma
}

/// Maps the background-subtracted image to 0..1: values under the noise floor
/// (`max(3σ, 0.02)`) become 0 and the ink's 90th percentile becomes 1 (clamped).
/// Returns `false` when there is no ink worth the name (too few pixels above the noise,
/// or too little contrast); the image is then left untouched.
pub fn normalize_contrast(g: &mut GrayF, noise_sigma: f32) -> bool {
    let floor = (3.0 * noise_sigma).max(NOISE_FLOOR);
    let ink: Vec<f32> = g.data.iter().copied().filter(|&v| v > floor).collect();
    if ink.len() < 4 {
        return false;
    }
    let high = quantile(&ink, 0.9);
    if high - floor < MIN_CONTRAST || high < 5.0 * noise_sigma {
        return false;
    }
    let scale = 1.0 / (high - floor);
    for v in &mut g.data {
        *v = ((*v - floor) * scale).clamp(0.0, 1.0);
    }
    true
}

/// Finds the digit in a normalised image (white ink on black, 0..1): connected
/// components of solid ink (3 × 3 blur above 0.2, 8-connected), drops specks (components
/// under 5 % of the heaviest one's mass), and returns the bounding box of the kept
/// components, widened to their faint anti-aliased rim. Specks and everything outside
/// the box are erased from `g`.
/// `None` when the heaviest component is too light to be a digit.
pub fn ink_bbox(g: &mut GrayF) -> Option<BBox> {
    let (w, h) = (g.width, g.height);
    let blurred = box_blur3(g);
    let mut label = vec![u32::MAX; w * h];
    struct Component {
        mass: f32,
        pixels: Vec<usize>,
    }
    let mut components: Vec<Component> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if label[start] != u32::MAX || blurred.data[start] <= COMPONENT_THRESHOLD {
            continue;
        }
        let id = components.len() as u32;
        let mut comp = Component {
            mass: 0.0,
            pixels: Vec::new(),
        };
        label[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            comp.mass += g.data[i];
            comp.pixels.push(i);
            let (x, y) = (i % w, i / w);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if label[j] == u32::MAX && blurred.data[j] > COMPONENT_THRESHOLD {
                        label[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
        components.push(comp);
    }
    let heaviest = components.iter().map(|c| c.mass).fold(0.0f32, f32::max);
    let min_mass = MIN_INK_MASS.max(MIN_INK_MASS_FRACTION * (w * h) as f32);
    if heaviest < min_mass {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for comp in &components {
        if comp.mass >= KEEP_FRACTION * heaviest {
            for &i in &comp.pixels {
                let (x, y) = (i % w, i / w);
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        } else {
            for &i in &comp.pixels {
                g.data[i] = 0.0;
            }
        }
    }
    // The blurred mask reaches one pixel beyond the ink: shrink-wrap to actual ink
    // inside the core box widened by a margin for the faint rim.
    let margin = 1 + w.max(h) / 100;
    let (sx0, sy0) = (x0.saturating_sub(margin), y0.saturating_sub(margin));
    let (sx1, sy1) = ((x1 + margin).min(w - 1), (y1 + margin).min(h - 1));
    let (mut bx0, mut by0, mut bx1, mut by1) = (w, h, 0, 0);
    for y in sy0..=sy1 {
        for x in sx0..=sx1 {
            if g.data[y * w + x] > FRINGE {
                bx0 = bx0.min(x);
                by0 = by0.min(y);
                bx1 = bx1.max(x);
                by1 = by1.max(y);
            }
        }
    }
    if bx0 > bx1 || by0 > by1 {
        return None;
    }
    // Whatever lies outside the box is not part of the digit.
    for y in 0..h {
        for x in 0..w {
            if x < bx0 || x > bx1 || y < by0 || y > by1 {
                g.data[y * w + x] = 0.0;
            }
        }
    }
    Some(BBox {
        x: bx0,
        y: by0,
        width: bx1 - bx0 + 1,
        height: by1 - by0 + 1,
    })
}

/// The pixels of `g` inside `bbox` (which must lie within `g`).
pub fn crop(g: &GrayF, bbox: BBox) -> GrayF {
    let mut data = Vec::with_capacity(bbox.width * bbox.height);
    for y in bbox.y..bbox.y + bbox.height {
        let row = y * g.width;
        data.extend_from_slice(&g.data[row + bbox.x..row + bbox.x + bbox.width]);
    }
    GrayF::from_vec(bbox.width, bbox.height, data)
}

/// Estimated stroke width in pixels of a cropped digit: `2 · area / perimeter` of the
/// ink (≥ 0.5), exact for long strokes. `None` when there is no ink.
pub fn stroke_width(g: &GrayF) -> Option<f32> {
    let (w, h) = (g.width, g.height);
    let ink = |x: usize, y: usize| g.data[y * w + x] >= 0.5;
    let (mut area, mut perimeter) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            if !ink(x, y) {
                continue;
            }
            area += 1;
            perimeter += usize::from(x == 0 || !ink(x - 1, y));
            perimeter += usize::from(x + 1 == w || !ink(x + 1, y));
            perimeter += usize::from(y == 0 || !ink(x, y - 1));
            perimeter += usize::from(y + 1 == h || !ink(x, y + 1));
        }
    }
    (area > 0).then(|| 2.0 * area as f32 / perimeter as f32)
}

/// Thickens strokes that would end up thinner than MNIST's once the crop is fitted to
/// 20 × 20 (a thin pen on a big canvas), by a gray dilation (max filter) of the padded
/// crop. Strokes already thick enough are returned unchanged.
pub fn thicken_thin_strokes(g: &GrayF) -> GrayF {
    let Some(width) = stroke_width(g) else {
        return g.clone();
    };
    let scale = FIT as f32 / g.width.max(g.height) as f32;
    if width * scale >= MIN_FITTED_STROKE {
        return g.clone();
    }
    let missing = TARGET_FITTED_STROKE / scale - width;
    let radius = ((missing / 2.0).ceil() as usize).clamp(1, g.width.max(g.height) / 4 + 1);
    let padded = g.padded(radius);
    max_filter(&padded, radius)
}

/// Thins solid strokes with a crisp edge (a marker, a thick brush; see [`edge_softness`])
/// that would end up wider than MNIST's once the crop is fitted to 20 × 20 to about
/// MNIST's width: erodes the ink by the measured excess along the distance to the
/// background (upscaled first if small), which leaves an anti-aliased edge. Should the erosion make a thinner part of the
/// digit vanish (its extent shrinks), it is halved, up to three times, else the crop is
/// returned unchanged. Strokes of MNIST's width are returned unchanged.
pub fn thin_thick_strokes(g: &GrayF) -> GrayF {
    let Some(width) = stroke_width(g) else {
        return g.clone();
    };
    let scale = FIT as f32 / g.width.max(g.height) as f32;
    if width * scale <= MAX_FITTED_STROKE || edge_softness(g) > MAX_SOFTNESS {
        return g.clone();
    }
    // Erode at no less than THIN_SIDE px, so the new edge falls between pixels of the
    // fitted digit rather than on the crop's coarse grid.
    let longer = g.width.max(g.height);
    let (g, width) = if longer < THIN_SIDE {
        let up = THIN_SIDE as f32 / longer as f32;
        let w = ((g.width as f32 * up).round() as usize).max(1);
        let h = ((g.height as f32 * up).round() as usize).max(1);
        (resize(g, w, h), width * up)
    } else {
        (g.clone(), width)
    };
    let scale = FIT as f32 / g.width.max(g.height) as f32;
    let distance = g.distance_to_background(0.5);
    let Some(extent) = ink_extent(&g) else {
        return g;
    };
    let mut radius = (width - THINNED_FITTED_STROKE / scale) / 2.0;
    for _ in 0..3 {
        let data = g
            .data
            .iter()
            .zip(&distance)
            .map(|(&v, &d)| v.min((d - radius).clamp(0.0, 1.0)))
            .collect();
        let thinned = GrayF::from_vec(g.width, g.height, data);
        // Eroding takes `radius` off each side; anything more is a part that vanished.
        let floor = |side: usize| KEEP_EXTENT * (side as f32 - 2.0 * radius);
        if let Some(kept) = ink_extent(&thinned)
            && kept.0 as f32 >= floor(extent.0)
            && kept.1 as f32 >= floor(extent.1)
        {
            return thinned;
        }
        radius /= 2.0;
    }
    g
}

/// The fraction of a digit's ink pixels (above 0.05) that are partly inked (below 0.75,
/// so that the noise inside solid ink on a photo does not count):
/// small for a solid marker stroke with a crisp edge, large for a soft, blurred one.
pub fn edge_softness(g: &GrayF) -> f32 {
    let (mut ink, mut partial) = (0usize, 0usize);
    for &v in &g.data {
        if v > 0.05 {
            ink += 1;
            partial += usize::from(v < 0.75);
        }
    }
    partial as f32 / ink.max(1) as f32
}

/// `g` resized to `w` × `h` with a triangle filter.
pub(crate) fn resize(g: &GrayF, w: usize, h: usize) -> GrayF {
    let Some(src) = ImageBuffer::<Luma<f32>, Vec<f32>>::from_raw(
        g.width as u32,
        g.height as u32,
        g.data.clone(),
    ) else {
        return g.clone();
    };
    let out = imageops::resize(&src, w as u32, h as u32, imageops::FilterType::Triangle);
    GrayF::from_vec(w, h, out.into_raw())
}

/// Width and height of the box around the pixels at or above 0.5; `None` without any.
fn ink_extent(g: &GrayF) -> Option<(usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..g.height {
        for x in 0..g.width {
            if g.data[y * g.width + x] >= 0.5 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    (x0 <= x1).then(|| (x1 - x0 + 1, y1 - y0 + 1))
}

/// Resizes so the longer side is `side` pixels, keeping the aspect ratio, with an
/// anti-aliasing (triangle / area-like) filter; then rescales so the brightest pixel is 1.
pub fn fit_box(g: &GrayF, side: usize) -> GrayF {
    let longer = g.width.max(g.height).max(1) as f32;
    let scale = side as f32 / longer;
    let nw = ((g.width as f32 * scale).round() as usize).clamp(1, side);
    let nh = ((g.height as f32 * scale).round() as usize).clamp(1, side);
    let mut out = if (nw, nh) == (g.width, g.height) {
        g.clone()
    } else {
        resize(g, nw, nh)
    };
    let max = out.data.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 && max < 1.0 {
        for v in &mut out.data {
            *v = (*v / max).min(1.0);
        }
    }
    for v in &mut out.data {
        *v = v.clamp(0.0, 1.0);
    }
    out
}

/// Centre of mass `(x, y)` in pixel-index coordinates; `None` without ink.
pub fn center_of_mass(g: &GrayF) -> Option<(f32, f32)> {
    let (mut m, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..g.height {
        for x in 0..g.width {
            let v = f64::from(g.data[y * g.width + x]);
            m += v;
            mx += v * x as f64;
            my += v * y as f64;
        }
    }
    (m > 0.0).then(|| ((mx / m) as f32, (my / m) as f32))
}

/// Pastes a fitted digit (at most 28 × 28) into a 28 × 28 black image, shifted by a whole
/// number of pixels so its centre of mass lands on [`COM_TARGET`] (as MNIST did), but
/// never so far that ink would fall off the edge. `None` without ink.
pub fn place_centered(g: &GrayF) -> Option<GrayF> {
    let (cx, cy) = center_of_mass(g)?;
    let w = g.width.min(SIDE);
    let h = g.height.min(SIDE);
    let ox = ((COM_TARGET.0 - cx).round() as i64).clamp(0, (SIDE - w) as i64) as usize;
    let oy = ((COM_TARGET.1 - cy).round() as i64).clamp(0, (SIDE - h) as i64) as usize;
    let mut out = GrayF::new(SIDE, SIDE);
    for y in 0..h {
        for x in 0..w {
            out.data[(y + oy) * SIDE + x + ox] = g.data[y * g.width + x];
        }
    }
    Some(out)
}

/// Quantises a 28 × 28 0..1 image to MNIST bytes (round to nearest).
pub fn to_pixels(g: &GrayF) -> [u8; SIDE * SIDE] {
    let mut out = [0u8; SIDE * SIDE];
    for (o, v) in out.iter_mut().zip(&g.data) {
        *o = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    }
    out
}

/// The `q` quantile (0..=1) of `values` (nearest rank); 0 for no values.
pub fn quantile(values: &[f32], q: f32) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    let k = ((q.clamp(0.0, 1.0) * (v.len() - 1) as f32).round() as usize).min(v.len() - 1);
    let (_, x, _) = v.select_nth_unstable_by(k, f32::total_cmp);
    *x
}

fn eval_plane(p: &[f64; 3], x: f32, y: f32) -> f32 {
    (p[0] + p[1] * f64::from(x) + p[2] * f64::from(y)) as f32
}

/// Least squares `v ≈ a + b·x + c·y` over the selected samples; `None` if degenerate.
fn fit_plane(samples: &[(f32, f32, f32)], selected: &[bool]) -> Option<[f64; 3]> {
    let mut s = [0.0f64; 9]; // n, x, y, xx, xy, yy, v, xv, yv
    for (&(x, y, v), _) in samples.iter().zip(selected).filter(|(_, s)| **s) {
        let (x, y, v) = (f64::from(x), f64::from(y), f64::from(v));
        s[0] += 1.0;
        s[1] += x;
        s[2] += y;
        s[3] += x * x;
        s[4] += x * y;
        s[5] += y * y;
        s[6] += v;
        s[7] += x * v;
        s[8] += y * v;
    }
    if s[0] < 3.0 {
        return None;
    }
    let m = [[s[0], s[1], s[2]], [s[1], s[3], s[4]], [s[2], s[4], s[5]]];
    let r = [s[6], s[7], s[8]];
    let det = det3(&m);
    if det.abs() < 1e-9 * s[0].powi(3) {
        return Some([s[6] / s[0], 0.0, 0.0]);
    }
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut mk = m;
        for row in 0..3 {
            mk[row][k] = r[row];
        }
        *o = det3(&mk) / det;
    }
    Some(out)
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// 3 × 3 box blur (edges use the pixels available).
fn box_blur3(g: &GrayF) -> GrayF {
    let (w, h) = (g.width, g.height);
    let mut rows = GrayF::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let sum: f32 = g.data[y * w + a..=y * w + b].iter().sum();
            rows.data[y * w + x] = sum / (b - a + 1) as f32;
        }
    }
    let mut out = GrayF::new(w, h);
    for y in 0..h {
        let (a, b) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let sum: f32 = (a..=b).map(|yy| rows.data[yy * w + x]).sum();
            out.data[y * w + x] = sum / (b - a + 1) as f32;
        }
    }
    out
}

/// Square max filter of the given radius (separable).
fn max_filter(g: &GrayF, radius: usize) -> GrayF {
    let (w, h) = (g.width, g.height);
    let mut rows = GrayF::new(w, h);
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(radius), (x + radius).min(w - 1));
            rows.data[y * w + x] = g.data[y * w + a..=y * w + b]
                .iter()
                .copied()
                .fold(0.0, f32::max);
        }
    }
    let mut out = GrayF::new(w, h);
    for y in 0..h {
        let (a, b) = (y.saturating_sub(radius), (y + radius).min(h - 1));
        for x in 0..w {
            out.data[y * w + x] = (a..=b).map(|yy| rows.data[yy * w + x]).fold(0.0, f32::max);
        }
    }
    out
}
