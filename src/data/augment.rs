//! Data augmentation: each training image varied the way other people's handwriting
//! varies (slant, size, position, pen width, wobble), applied to the `u8` image as it
//! is put in a batch.
//!
//! Every draw comes from the run's seed, the epoch and the sample's index, so a seeded
//! run is reproducible whatever the order and the threads the samples are prepared on,
//! and each epoch sees a fresh variant of every image.

use super::idx::IMAGE_PIXELS;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Side of an MNIST image.
const SIDE: usize = 28;
/// The centre the affine part turns and scales about (MNIST centres digits by mass here).
const CENTRE: f32 = 13.5;
/// Control points per side of the elastic displacement grid.
const GRID: usize = 4;

/// How training images are varied (the `augment` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Augment {
    /// The images as they are (the tutorial's).
    #[default]
    Off,
    /// A random affine map: rotation, scale, aspect, shear (slant) and shift.
    Affine,
    /// The affine map, a random pen width (thinner or thicker strokes), a smooth
    /// elastic distortion, and now and then a low-resolution scan's blur.
    Full,
    /// A mirror image half the time and a shift of up to [`limits::CROP_SHIFT`] whole
    /// pixels (the usual random crop of a padded image): for clothes, whose mirror
    /// image is the same garment; never for digits or letters, which it would change.
    Flip,
}

impl Augment {
    /// Every value, in menu order.
    pub const ALL: [Augment; 4] = [Augment::Off, Augment::Affine, Augment::Full, Augment::Flip];

    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            Augment::Off => "off",
            Augment::Affine => "affine",
            Augment::Full => "full",
            Augment::Flip => "flip",
        }
    }
}

/// The ranges augmentation draws from. MNIST digits vary within these already; the
/// ranges widen that to writers MNIST does not have.
pub mod limits {
    /// Largest rotation either way, in degrees.
    pub const ROTATION_DEG: f32 = 12.0;
    /// Scale factor range.
    pub const SCALE: (f32, f32) = (0.85, 1.12);
    /// Largest relative difference between horizontal and vertical scale.
    pub const ASPECT: f32 = 0.1;
    /// Largest horizontal shear (slant), as a fraction of the height.
    pub const SHEAR: f32 = 0.25;
    /// Largest shift either way, in pixels.
    pub const SHIFT: f32 = 2.0;
    /// Standard deviation of the elastic grid's displacements, in pixels.
    pub const ELASTIC_SIGMA: f32 = 0.9;
    /// One sample in this many is blurred like a low-resolution scan…
    pub const LOW_RES_ONE_IN: u8 = 4;
    /// …by going down to this many pixels a side and back up.
    pub const LOW_RES_SIDE: (usize, usize) = (12, 20);
    /// Largest shift either way of the `flip` augmentation, in whole pixels.
    pub const CROP_SHIFT: i32 = 2;
}

/// The augmentation of one run in one epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augmentation {
    /// What is varied.
    pub kind: Augment,
    /// The run's seed.
    pub seed: u64,
    /// The epoch (1-based), so each epoch sees new variants.
    pub epoch: u32,
}

/// The pen-width change of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PenWidth {
    /// Strokes one pixel thinner (a gray min over 2 × 2).
    Thinner,
    /// Unchanged.
    Same,
    /// Strokes one pixel wider (a gray max over 2 × 2).
    Thicker,
    /// Dilated by a 3 × 3 gray max (about two pixels wider: a marker).
    Marker,
}

/// One sample's random variation, drawn by [`Augmentation::draw`].
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    /// Output-to-source linear map about [`CENTRE`], row-major `[a, b, c, d]`:
    /// `source = centre + [a b; c d]·(output − centre) − shift`.
    pub matrix: [f32; 4],
    /// Shift in pixels `(x, y)`.
    pub shift: (f32, f32),
    /// The pen-width change.
    pub pen: PenWidth,
    /// Elastic displacements `(dx, dy)` of the control grid, or `None`.
    pub elastic: Option<[[(f32, f32); GRID]; GRID]>,
    /// The side of the low resolution the image goes down to and back up from, or
    /// `None`.
    pub low_res: Option<usize>,
}

impl Augmentation {
    /// The variation of sample `index` (its index in the dataset).
    pub fn draw(&self, index: usize) -> Option<Variation> {
        if self.kind == Augment::Off {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(mix(self.seed, self.epoch, index as u64));
        if self.kind == Augment::Flip {
            return Some(Self::mirror_and_shift(&mut rng));
        }
        let angle = rng
            .gen_range(-limits::ROTATION_DEG..=limits::ROTATION_DEG)
            .to_radians();
        let scale = rng.gen_range(limits::SCALE.0..=limits::SCALE.1);
        let aspect = 1.0 + rng.gen_range(-limits::ASPECT..=limits::ASPECT);
        let shear = rng.gen_range(-limits::SHEAR..=limits::SHEAR);
        let shift = (
            rng.gen_range(-limits::SHIFT..=limits::SHIFT),
            rng.gen_range(-limits::SHIFT..=limits::SHIFT),
        );
        // The forward map (source → output) is rotate · shear · scale; its inverse maps
        // each output pixel to where it is read from.
        let (sx, sy) = (scale * aspect, scale / aspect);
        let (cos, sin) = (angle.cos(), angle.sin());
        // forward = R · H · S with H = [1 shear; 0 1], S = diag(sx, sy)
        let f = [
            cos * sx,
            (cos * shear - sin) * sy,
            sin * sx,
            (sin * shear + cos) * sy,
        ];
        let det = f[0] * f[3] - f[1] * f[2];
        let matrix = [f[3] / det, -f[1] / det, -f[2] / det, f[0] / det];
        let (pen, elastic, low_res) = if self.kind == Augment::Full {
            let pen = match rng.gen_range(0..20u8) {
                0..=2 => PenWidth::Thinner,
                3..=11 => PenWidth::Same,
                12..=16 => PenWidth::Thicker,
                _ => PenWidth::Marker,
            };
            let mut grid = [[(0.0, 0.0); GRID]; GRID];
            for row in &mut grid {
                for d in row.iter_mut() {
                    *d = (
                        gaussian(&mut rng) * limits::ELASTIC_SIGMA,
                        gaussian(&mut rng) * limits::ELASTIC_SIGMA,
                    );
                }
            }
            let low_res = (rng.gen_range(0..limits::LOW_RES_ONE_IN) == 0)
                .then(|| rng.gen_range(limits::LOW_RES_SIDE.0..=limits::LOW_RES_SIDE.1));
            (pen, Some(grid), low_res)
        } else {
            (PenWidth::Same, None, None)
        };
        Some(Variation {
            matrix,
            shift,
            pen,
            elastic,
            low_res,
        })
    }
}

impl Augmentation {
    /// The `flip` variation: mirrored half the time (a whole-pixel reflection about
    /// the centre column), shifted by whole pixels, so every pixel is read exactly.
    fn mirror_and_shift(rng: &mut StdRng) -> Variation {
        let mirror = rng.gen_bool(0.5);
        let mut shift = || rng.gen_range(-limits::CROP_SHIFT..=limits::CROP_SHIFT) as f32;
        Variation {
            matrix: [if mirror { -1.0 } else { 1.0 }, 0.0, 0.0, 1.0],
            shift: (shift(), shift()),
            pen: PenWidth::Same,
            elastic: None,
            low_res: None,
        }
    }
}

impl Variation {
    /// Applies the variation to a 28 × 28 image: pen width first, then the affine map
    /// and the elastic displacement in one bilinear resampling (ink outside the image
    /// reads as black).
    pub fn apply(&self, src: &[u8], out: &mut [u8; IMAGE_PIXELS]) {
        let mut pen = [0u8; IMAGE_PIXELS];
        let src: &[u8] = match self.pen {
            PenWidth::Same => src,
            PenWidth::Thinner => {
                morph(src, &mut pen, PAIR_AHEAD, u8::min);
                &pen
            }
            PenWidth::Thicker => {
                morph(src, &mut pen, PAIR_BEHIND, u8::max);
                &pen
            }
            PenWidth::Marker => {
                morph(src, &mut pen, SQUARE, u8::max);
                &pen
            }
        };
        let [a, b, c, d] = self.matrix;
        // The source with a border of black, so that every bilinear read is in bounds.
        let mut padded = [0.0f32; PADDED * PADDED];
        for (row, pixels) in src.chunks_exact(SIDE).enumerate() {
            let at = (row + 1) * PADDED + 1;
            for (p, &v) in padded[at..at + SIDE].iter_mut().zip(pixels) {
                *p = f32::from(v);
            }
        }
        // Where each output pixel reads from, in padded coordinates (+1): the displacement
        // field plus the affine map.
        let (mut xs, mut ys) = match &self.elastic {
            Some(grid) => displacement_field(grid),
            None => ([0.0; IMAGE_PIXELS], [0.0; IMAGE_PIXELS]),
        };
        for y in 0..SIDE {
            let v = y as f32 - CENTRE;
            let (row_x, row_y) = (
                CENTRE + 1.0 + b * v - self.shift.0,
                CENTRE + 1.0 + d * v - self.shift.1,
            );
            let at = y * SIDE;
            for (x, (sx, sy)) in xs[at..at + SIDE]
                .iter_mut()
                .zip(&mut ys[at..at + SIDE])
                .enumerate()
            {
                let u = x as f32 - CENTRE;
                *sx += row_x + a * u;
                *sy += row_y + c * u;
            }
        }
        sample(&padded, &xs, &ys, out);
        if let Some(side) = self.low_res {
            down_and_up(out, side);
        }
    }
}

/// Blurs `img` like a scan at `side` × `side` pixels upscaled back: box-averaged down
/// to `side` (each low pixel the mean of the pixels whose centres fall in it), then
/// bilinear back up to 28 × 28.
fn down_and_up(img: &mut [u8; IMAGE_PIXELS], side: usize) {
    let side = side.clamp(2, SIDE);
    let cell = |j: usize| (j * SIDE / side)..((j + 1) * SIDE / side);
    let mut low = [0.0f32; SIDE * SIDE];
    for j in 0..side {
        for i in 0..side {
            let (ys, xs) = (cell(j), cell(i));
            let n = (ys.len() * xs.len()).max(1) as f32;
            let mut sum = 0u32;
            for y in ys {
                sum += img[y * SIDE + xs.start..y * SIDE + xs.end]
                    .iter()
                    .map(|&v| u32::from(v))
                    .sum::<u32>();
            }
            low[j * side + i] = sum as f32 / n;
        }
    }
    // For each output column (and row): the low pixels either side and the weight of the
    // second, clamped at the edges. Coordinates are above −0.5: shifted by one, truncation
    // is the floor (no call into libm).
    let ratio = side as f32 / SIDE as f32;
    let taps: [(usize, usize, f32); SIDE] = std::array::from_fn(|x| {
        let f = (x as f32 + 0.5) * ratio - 0.5;
        let whole = (f + 1.0) as i64 - 1;
        let clamp = |k: i64| k.clamp(0, side as i64 - 1) as usize;
        (clamp(whole), clamp(whole + 1), f - whole as f32)
    });
    for (y, &(j0, j1, ty)) in taps.iter().enumerate() {
        let (r0, r1) = (
            &low[j0 * side..j0 * side + side],
            &low[j1 * side..j1 * side + side],
        );
        for (x, &(i0, i1, tx)) in taps.iter().enumerate() {
            let top = r0[i0] * (1.0 - tx) + r0[i1] * tx;
            let bottom = r1[i0] * (1.0 - tx) + r1[i1] * tx;
            img[y * SIDE + x] = (top * (1.0 - ty) + bottom * ty + 0.5) as u8;
        }
    }
}

/// Offsets of a 2 × 2 neighbourhood reaching right and down (erosion by it takes one
/// pixel off a stroke's width)…
const PAIR_AHEAD: &[(i32, i32)] = &[(0, 0), (1, 0), (0, 1), (1, 1)];
/// …and left and up (dilation by it adds one, with the stroke staying centred after
/// [`PAIR_AHEAD`]'s half-pixel the other way on average).
const PAIR_BEHIND: &[(i32, i32)] = &[(0, 0), (-1, 0), (0, -1), (-1, -1)];
/// Offsets of a 3 × 3 neighbourhood.
const SQUARE: &[(i32, i32)] = &[
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (0, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Gray morphology over `offsets` (`pick` = `max`: dilation, `min`: erosion); pixels
/// outside the image are left out.
fn morph(src: &[u8], out: &mut [u8; IMAGE_PIXELS], offsets: &[(i32, i32)], pick: fn(u8, u8) -> u8) {
    // A one-pixel border of the value `pick` ignores (0 for max, 255 for min) stands for
    // the pixels outside, so the loops below need no bounds test and vectorise.
    let neutral = pick(0, 255) ^ 255;
    let mut padded = [neutral; MORPH_PADDED * MORPH_PADDED];
    for (row, pixels) in src.chunks_exact(SIDE).enumerate() {
        let at = (row + 1) * MORPH_PADDED + 1;
        padded[at..at + SIDE].copy_from_slice(pixels);
    }
    for (y, out_row) in out.chunks_exact_mut(SIDE).enumerate() {
        let centre = (y + 1) * MORPH_PADDED + 1;
        out_row.copy_from_slice(&padded[centre..centre + SIDE]);
        for &(dx, dy) in offsets {
            let at = (centre as i64 + i64::from(dy) * MORPH_PADDED as i64 + i64::from(dx)) as usize;
            for (o, &v) in out_row.iter_mut().zip(&padded[at..at + SIDE]) {
                *o = pick(*o, v);
            }
        }
    }
}

/// Side of an image with a one-pixel border, for [`morph`].
const MORPH_PADDED: usize = SIDE + 2;

/// The elastic displacement `(dx, dy)` of every pixel: the control grid (spanning the
/// image) interpolated bilinearly, row by row.
fn displacement_field(
    grid: &[[(f32, f32); GRID]; GRID],
) -> ([f32; IMAGE_PIXELS], [f32; IMAGE_PIXELS]) {
    // The weight of each grid column (and row) at each pixel column (and row): the
    // bilinear "tent" around it, so that a row of the field is four multiply-adds per
    // pixel, with no lookup.
    let span = (GRID - 1) as f32 / (SIDE - 1) as f32;
    let weights: [[f32; SIDE]; GRID] = std::array::from_fn(|j| {
        std::array::from_fn(|t| (1.0 - (t as f32 * span - j as f32).abs()).max(0.0))
    });
    let (mut dx, mut dy) = ([0.0; IMAGE_PIXELS], [0.0; IMAGE_PIXELS]);
    for y in 0..SIDE {
        // The grid interpolated down to this row: one (dx, dy) per grid column.
        let row: [(f32, f32); GRID] = std::array::from_fn(|j| {
            (0..GRID).fold((0.0, 0.0), |acc, k| {
                let w = weights[k][y];
                (acc.0 + w * grid[k][j].0, acc.1 + w * grid[k][j].1)
            })
        });
        let (out_x, out_y) = (
            &mut dx[y * SIDE..(y + 1) * SIDE],
            &mut dy[y * SIDE..(y + 1) * SIDE],
        );
        for (j, w) in weights.iter().enumerate() {
            for ((ox, oy), &w) in out_x.iter_mut().zip(out_y.iter_mut()).zip(w) {
                *ox += w * row[j].0;
                *oy += w * row[j].1;
            }
        }
    }
    (dx, dy)
}

/// Side of the source with its one-pixel black border.
const PADDED: usize = SIDE + 2;

/// Samples the source (with its black border) at padded coordinates `(xs[i], ys[i])`
/// into `out[i]`, with bilinear interpolation; black outside the image. Compiled for
/// AVX2 where the CPU has it (the same operations, so the same bytes): this is most of
/// the cost of augmentation.
fn sample(
    padded: &[f32; PADDED * PADDED],
    xs: &[f32; IMAGE_PIXELS],
    ys: &[f32; IMAGE_PIXELS],
    out: &mut [u8; IMAGE_PIXELS],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        unsafe { sample_avx2(padded, xs, ys, out) };
        return;
    }
    sample_portable(padded, xs, ys, out);
}

/// [`sample_portable`] eight pixels at a time with AVX2 gathers: the same operations in
/// the same order (no fused multiply-add), so the same bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sample_avx2(
    padded: &[f32; PADDED * PADDED],
    xs: &[f32; IMAGE_PIXELS],
    ys: &[f32; IMAGE_PIXELS],
    out: &mut [u8; IMAGE_PIXELS],
) {
    use std::arch::x86_64::*;
    const _: () = assert!(IMAGE_PIXELS.is_multiple_of(8));
    let zero = _mm256_setzero_ps();
    let high = _mm256_set1_ps(SIDE as f32);
    let limit = _mm256_set1_ps((SIDE + 1) as f32);
    let half = _mm256_set1_ps(0.5);
    let stride = _mm256_set1_epi32(PADDED as i32);
    let one = _mm256_set1_epi32(1);
    let last = _mm256_set1_epi32(LAST as i32);
    let base = padded.as_ptr();
    let mut bytes = [0i32; 8];
    for ((o, x), y) in out
        .chunks_exact_mut(8)
        .zip(xs.chunks_exact(8))
        .zip(ys.chunks_exact(8))
    {
        // SAFETY: each chunk holds 8 floats; every gathered index is at most
        // LAST + PADDED + 1 < PADDED², inside `padded` (min_epi32 below).
        unsafe {
            let x = _mm256_loadu_ps(x.as_ptr());
            let y = _mm256_loadu_ps(y.as_ptr());
            let inside = _mm256_and_ps(
                _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_GT_OQ>(x, zero),
                    _mm256_cmp_ps::<_CMP_GT_OQ>(y, zero),
                ),
                _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_LT_OQ>(x, limit),
                    _mm256_cmp_ps::<_CMP_LT_OQ>(y, limit),
                ),
            );
            // max_ps(v, 0) is 0 for a NaN v, as f32::max is.
            let x = _mm256_min_ps(_mm256_max_ps(x, zero), high);
            let y = _mm256_min_ps(_mm256_max_ps(y, zero), high);
            let (ix, iy) = (_mm256_cvttps_epi32(x), _mm256_cvttps_epi32(y));
            let tx = _mm256_sub_ps(x, _mm256_cvtepi32_ps(ix));
            let ty = _mm256_sub_ps(y, _mm256_cvtepi32_ps(iy));
            let i = _mm256_min_epi32(_mm256_add_epi32(_mm256_mullo_epi32(iy, stride), ix), last);
            let below = _mm256_add_epi32(i, stride);
            let p00 = _mm256_i32gather_ps::<4>(base, i);
            let p01 = _mm256_i32gather_ps::<4>(base, _mm256_add_epi32(i, one));
            let p10 = _mm256_i32gather_ps::<4>(base, below);
            let p11 = _mm256_i32gather_ps::<4>(base, _mm256_add_epi32(below, one));
            let lerp = |a, b, t| _mm256_add_ps(a, _mm256_mul_ps(_mm256_sub_ps(b, a), t));
            let top = lerp(p00, p01, tx);
            let bottom = lerp(p10, p11, tx);
            let value = _mm256_add_ps(lerp(top, bottom, ty), half);
            let value = _mm256_cvttps_epi32(_mm256_and_ps(value, inside));
            _mm256_storeu_si256(bytes.as_mut_ptr().cast(), value);
        }
        for (o, &b) in o.iter_mut().zip(&bytes) {
            *o = b.clamp(0, 255) as u8;
        }
    }
}

/// The last index of a bilinear read's top-left pixel (the bottom-right corner).
const LAST: usize = PADDED * PADDED - PADDED - 2;

/// [`sample`]'s loop, one pixel at a time, with no call into libm.
fn sample_portable(
    padded: &[f32; PADDED * PADDED],
    xs: &[f32; IMAGE_PIXELS],
    ys: &[f32; IMAGE_PIXELS],
    out: &mut [u8; IMAGE_PIXELS],
) {
    for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
        let inside = x > 0.0 && y > 0.0 && x < (SIDE + 1) as f32 && y < (SIDE + 1) as f32;
        // Clamped into the padded image, both positive: truncation is the floor.
        let (x, y) = (x.max(0.0).min(SIDE as f32), y.max(0.0).min(SIDE as f32));
        let (ix, iy) = (x as i32, y as i32);
        let (tx, ty) = (x - ix as f32, y - iy as f32);
        // At most LAST (the bottom-right corner), so every read below is in bounds.
        let i = ((iy * PADDED as i32 + ix) as usize).min(LAST);
        let top = padded[i] + (padded[i + 1] - padded[i]) * tx;
        let bottom = padded[i + PADDED] + (padded[i + PADDED + 1] - padded[i + PADDED]) * tx;
        // Non-negative: adding 0.5 and truncating rounds (at most 255.5, so 255).
        let value = (top + (bottom - top) * ty + 0.5) as u8;
        *o = if inside { value } else { 0 };
    }
}

/// A standard normal draw (ziggurat: no call into libm).
fn gaussian(rng: &mut StdRng) -> f32 {
    rng.sample(StandardNormal)
}

/// Mixes seed, epoch and sample index into one well-spread RNG seed (SplitMix64
/// finaliser over each in turn).
fn mix(seed: u64, epoch: u32, index: u64) -> u64 {
    let mut z = seed;
    for part in [u64::from(epoch), index] {
        z ^= part.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vertical bar two pixels wide in columns 13–14, rows 6–21.
    fn bar() -> [u8; IMAGE_PIXELS] {
        let mut img = [0u8; IMAGE_PIXELS];
        for y in 6..22 {
            img[y * SIDE + 13] = 255;
            img[y * SIDE + 14] = 255;
        }
        img
    }

    fn ink(img: &[u8]) -> u32 {
        img.iter().map(|&p| u32::from(p)).sum()
    }

    fn identity() -> Variation {
        Variation {
            matrix: [1.0, 0.0, 0.0, 1.0],
            shift: (0.0, 0.0),
            pen: PenWidth::Same,
            elastic: None,
            low_res: None,
        }
    }

    #[test]
    fn off_draws_nothing_and_identity_changes_nothing() {
        let off = Augmentation {
            kind: Augment::Off,
            seed: 1,
            epoch: 1,
        };
        assert_eq!(off.draw(5), None);
        let mut out = [0u8; IMAGE_PIXELS];
        identity().apply(&bar(), &mut out);
        assert_eq!(out, bar());
    }

    #[test]
    fn flip_mirrors_and_shifts_by_whole_pixels_only() {
        // Every pixel distinct, so a read between pixels would show.
        let src: Vec<u8> = (0..IMAGE_PIXELS).map(|i| (i % 251) as u8 + 1).collect();
        let flip = Augmentation {
            kind: Augment::Flip,
            seed: 3,
            epoch: 1,
        };
        let (mut mirrored, mut kept) = (0, 0);
        for index in 0..64 {
            let v = flip.draw(index).unwrap();
            assert!(v.elastic.is_none() && v.low_res.is_none() && v.pen == PenWidth::Same);
            let (sx, sy) = (v.shift.0 as i32, v.shift.1 as i32);
            assert!(sx.abs() <= limits::CROP_SHIFT && sy.abs() <= limits::CROP_SHIFT);
            let mirror = v.matrix[0] < 0.0;
            if mirror {
                mirrored += 1
            } else {
                kept += 1
            }
            let mut out = [0u8; IMAGE_PIXELS];
            v.apply(&src, &mut out);
            for y in 0..SIDE as i32 {
                for x in 0..SIDE as i32 {
                    let from_x = if mirror { 27 - x } else { x } - sx;
                    let from_y = y - sy;
                    let want = if (0..28).contains(&from_x) && (0..28).contains(&from_y) {
                        src[(from_y * 28 + from_x) as usize]
                    } else {
                        0
                    };
                    assert_eq!(
                        out[(y * 28 + x) as usize],
                        want,
                        "sample {index} at ({x}, {y})"
                    );
                }
            }
        }
        assert!(
            mirrored > 16 && kept > 16,
            "about half mirrored: {mirrored} of 64"
        );
    }

    #[test]
    fn draws_depend_on_seed_epoch_and_index_only() {
        let a = Augmentation {
            kind: Augment::Full,
            seed: 7,
            epoch: 2,
        };
        assert_eq!(a.draw(10), a.draw(10));
        assert_ne!(a.draw(10), a.draw(11));
        assert_ne!(a.draw(10), Augmentation { epoch: 3, ..a }.draw(10));
        assert_ne!(a.draw(10), Augmentation { seed: 8, ..a }.draw(10));
        let affine = Augmentation {
            kind: Augment::Affine,
            ..a
        }
        .draw(10)
        .unwrap();
        assert_eq!(
            (affine.pen, affine.elastic, affine.low_res),
            (PenWidth::Same, None, None)
        );
    }

    #[test]
    fn draws_stay_within_the_limits() {
        let a = Augmentation {
            kind: Augment::Full,
            seed: 3,
            epoch: 1,
        };
        let mut pens = [0usize; 4];
        let mut low_res = 0;
        for i in 0..2000 {
            let v = a.draw(i).unwrap();
            assert!(v.shift.0.abs() <= limits::SHIFT && v.shift.1.abs() <= limits::SHIFT);
            // The inverse map's determinant is 1 / (scale²): within the scale range.
            let det = v.matrix[0] * v.matrix[3] - v.matrix[1] * v.matrix[2];
            let lo = 1.0 / (limits::SCALE.1 * limits::SCALE.1) - 1e-4;
            let hi = 1.0 / (limits::SCALE.0 * limits::SCALE.0) + 1e-4;
            assert!((lo..=hi).contains(&det), "det {det}");
            pens[v.pen as usize] += 1;
            if let Some(side) = v.low_res {
                assert!((limits::LOW_RES_SIDE.0..=limits::LOW_RES_SIDE.1).contains(&side));
                low_res += 1;
            }
        }
        assert!(
            pens.iter().all(|&n| n > 100),
            "every pen width drawn: {pens:?}"
        );
        let expected = 2000 / usize::from(limits::LOW_RES_ONE_IN);
        assert!(
            low_res > expected * 8 / 10 && low_res < expected * 12 / 10,
            "{low_res}"
        );
    }

    #[test]
    fn a_shift_moves_the_ink() {
        let mut v = identity();
        v.shift = (3.0, -2.0);
        let mut out = [0u8; IMAGE_PIXELS];
        v.apply(&bar(), &mut out);
        for y in 4..20 {
            assert_eq!(out[y * SIDE + 16], 255, "row {y}");
            assert_eq!(out[y * SIDE + 17], 255, "row {y}");
        }
        assert_eq!(ink(&out), ink(&bar()));
    }

    #[test]
    fn a_quarter_turn_lays_the_bar_down() {
        let mut v = identity();
        v.matrix = [0.0, 1.0, -1.0, 0.0];
        let mut out = [0u8; IMAGE_PIXELS];
        v.apply(&bar(), &mut out);
        // Columns 13–14 become rows 13–14 (about the centre 13.5).
        for x in 6..22 {
            assert_eq!(out[13 * SIDE + x], 255, "col {x}");
            assert_eq!(out[14 * SIDE + x], 255, "col {x}");
        }
        assert_eq!(ink(&out), ink(&bar()));
    }

    #[test]
    fn pen_widths_thin_and_thicken() {
        let width = |pen| {
            let mut v = identity();
            v.pen = pen;
            let mut out = [0u8; IMAGE_PIXELS];
            v.apply(&bar(), &mut out);
            (0..SIDE).filter(|&x| out[12 * SIDE + x] > 0).count()
        };
        assert_eq!(width(PenWidth::Same), 2);
        assert_eq!(width(PenWidth::Thinner), 1);
        assert_eq!(width(PenWidth::Thicker), 3);
        assert_eq!(width(PenWidth::Marker), 4);
    }

    #[test]
    fn elastic_displacement_interpolates_the_grid() {
        let mut grid = [[(0.0, 0.0); GRID]; GRID];
        grid[0][0] = (1.0, -1.0);
        let (dx, dy) = displacement_field(&grid);
        assert_eq!((dx[0], dy[0]), (1.0, -1.0));
        assert_eq!((dx[IMAGE_PIXELS - 1], dy[IMAGE_PIXELS - 1]), (0.0, 0.0));
        assert!(dx[4] > 0.0 && dx[4] < 1.0);
        assert!(dx[4 * SIDE] > 0.0 && dx[4 * SIDE] < 1.0);
        // Down the grid's spacing (9 pixels), the displacement has faded out.
        assert_eq!(dx[9 * SIDE + 9], 0.0);
        // A uniform grid is a plain shift.
        let uniform = [[(1.0, 0.0); GRID]; GRID];
        let mut v = identity();
        v.elastic = Some(uniform);
        let mut out = [0u8; IMAGE_PIXELS];
        v.apply(&bar(), &mut out);
        assert_eq!(out[10 * SIDE + 12], 255);
        assert_eq!(out[10 * SIDE + 14], 0);
    }

    #[test]
    fn a_low_resolution_blurs_but_keeps_the_ink_in_place() {
        let mut v = identity();
        v.low_res = Some(14);
        let mut out = [0u8; IMAGE_PIXELS];
        v.apply(&bar(), &mut out);
        // Half resolution: the 2-px bar becomes one low pixel, spread over about 4 px.
        let row: Vec<u8> = (0..SIDE).map(|x| out[12 * SIDE + x]).collect();
        assert!(row[12] > 0 && row[15] > 0, "{row:?}");
        assert_eq!(row[5], 0);
        let (before, after) = (ink(&bar()) as f32, ink(&out) as f32);
        assert!((after / before - 1.0).abs() < 0.1, "ink {before} → {after}");
        // Full resolution changes nothing.
        let mut same = bar();
        down_and_up(&mut same, SIDE);
        assert_eq!(same, bar());
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_avx2_sampler_gives_the_portable_bytes() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let mut padded = [0.0f32; PADDED * PADDED];
        for y in 1..=SIDE {
            for x in 1..=SIDE {
                padded[y * PADDED + x] = (next() * 255.0).round();
            }
        }
        // Inside, on the edges, outside, and NaN.
        let mut xs: [f32; IMAGE_PIXELS] = std::array::from_fn(|_| next() * 33.0 - 2.0);
        let mut ys: [f32; IMAGE_PIXELS] = std::array::from_fn(|_| next() * 33.0 - 2.0);
        xs[..4].copy_from_slice(&[0.0, 29.0, 28.999, f32::NAN]);
        ys[..4].copy_from_slice(&[1.0, 1.0, 28.999, 3.0]);
        let (mut a, mut b) = ([0u8; IMAGE_PIXELS], [0u8; IMAGE_PIXELS]);
        sample_portable(&padded, &xs, &ys, &mut a);
        // SAFETY: the CPU has AVX2 and FMA, checked above.
        unsafe { sample_avx2(&padded, &xs, &ys, &mut b) };
        assert_eq!(a, b);
        assert!(a.iter().filter(|&&v| v > 0).count() > 300, "mostly inside");
    }

    #[test]
    fn augmented_digits_keep_most_of_their_ink_on_the_image() {
        let a = Augmentation {
            kind: Augment::Full,
            seed: 11,
            epoch: 1,
        };
        let before = ink(&bar());
        for i in 0..200 {
            let mut out = [0u8; IMAGE_PIXELS];
            a.draw(i).unwrap().apply(&bar(), &mut out);
            let after = ink(&out);
            // Scale, pen width and resampling change the ink, but it stays a bar.
            assert!(
                after > before / 4 && after < before * 4,
                "sample {i}: {after}"
            );
        }
    }
}
