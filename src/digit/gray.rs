//! [`GrayF`]: the small floating-point grayscale buffer the preprocessing steps share.

use image::GrayImage;

/// A row-major grayscale image with `f32` intensities (0 = black, 1 = white).
#[derive(Debug, Clone, PartialEq)]
pub struct GrayF {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` intensities, row by row.
    pub data: Vec<f32>,
}

impl GrayF {
    /// A black image.
    pub fn new(width: usize, height: usize) -> Self {
        GrayF {
            width,
            height,
            data: vec![0.0; width * height],
        }
    }

    /// Wraps `data` (`width * height` values, row-major).
    ///
    /// # Panics
    /// If `data.len() != width * height` (a programming error).
    pub fn from_vec(width: usize, height: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), width * height, "GrayF size mismatch");
        GrayF {
            width,
            height,
            data,
        }
    }

    /// From 8-bit intensities (`width * height` bytes, row-major).
    pub fn from_u8(width: usize, height: usize, bytes: &[u8]) -> Self {
        Self::from_vec(
            width,
            height,
            bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
        )
    }

    /// The intensity at `(x, y)`.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Rounds to an 8-bit image (values clamped to 0..1).
    pub fn to_gray_image(&self) -> GrayImage {
        let bytes = self
            .data
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect();
        GrayImage::from_raw(self.width as u32, self.height as u32, bytes)
            .unwrap_or_else(|| GrayImage::new(self.width as u32, self.height as u32))
    }

    /// A copy with `pad` black pixels added on every side.
    pub fn padded(&self, pad: usize) -> GrayF {
        let (w, h) = (self.width + 2 * pad, self.height + 2 * pad);
        let mut out = GrayF::new(w, h);
        for y in 0..self.height {
            let src = &self.data[y * self.width..(y + 1) * self.width];
            out.data[(y + pad) * w + pad..(y + pad) * w + pad + self.width].copy_from_slice(src);
        }
        out
    }

    /// Pixel coordinates mapped to `[-1, 1]` (for well-conditioned plane fits).
    pub(crate) fn normalized_coords(x: usize, y: usize, w: usize, h: usize) -> (f32, f32) {
        let nx = if w > 1 {
            2.0 * x as f32 / (w - 1) as f32 - 1.0
        } else {
            0.0
        };
        let ny = if h > 1 {
            2.0 * y as f32 / (h - 1) as f32 - 1.0
        } else {
            0.0
        };
        (nx, ny)
    }

    /// The sampling stride giving at most about `max` samples.
    fn stride(&self, max: usize) -> usize {
        let n = self.width * self.height;
        if n <= max {
            1
        } else {
            ((n as f64 / max as f64).sqrt().ceil() as usize).max(1)
        }
    }

    /// At most about `max` intensities on a regular grid (all of them for small images).
    pub(crate) fn sample_values(&self, max: usize) -> Vec<f32> {
        let s = self.stride(max);
        let mut out = Vec::new();
        for y in (0..self.height).step_by(s) {
            for x in (0..self.width).step_by(s) {
                out.push(self.data[y * self.width + x]);
            }
        }
        out
    }

    /// Like [`sample_values`](Self::sample_values) with normalised coordinates: `(x, y, v)`.
    pub(crate) fn sample_points(&self, max: usize) -> Vec<(f32, f32, f32)> {
        let s = self.stride(max);
        let mut out = Vec::new();
        for y in (0..self.height).step_by(s) {
            for x in (0..self.width).step_by(s) {
                let (nx, ny) = Self::normalized_coords(x, y, self.width, self.height);
                out.push((nx, ny, self.data[y * self.width + x]));
            }
        }
        out
    }
}

impl GrayF {
    /// For each pixel at or above `threshold` (ink), the Euclidean distance from its
    /// centre to the centre of the nearest pixel below it (background), counting
    /// everything outside the image as background; 0 for background pixels.
    /// Exact, in linear time (Felzenszwalb & Huttenlocher's lower envelope of parabolas,
    /// rows then columns).
    pub fn distance_to_background(&self, threshold: f32) -> Vec<f32> {
        let (w, h) = (self.width, self.height);
        // Padded by one background pixel on every side.
        let (pw, ph) = (w + 2, h + 2);
        let mut d2 = vec![0.0f64; pw * ph];
        for y in 0..h {
            for x in 0..w {
                if self.data[y * w + x] >= threshold {
                    d2[(y + 1) * pw + x + 1] = f64::INFINITY;
                }
            }
        }
        let mut line = Vec::new();
        let mut out = Vec::new();
        for y in 0..ph {
            line.clear();
            line.extend_from_slice(&d2[y * pw..(y + 1) * pw]);
            squared_distance_1d(&line, &mut out);
            d2[y * pw..(y + 1) * pw].copy_from_slice(&out);
        }
        for x in 0..pw {
            line.clear();
            line.extend((0..ph).map(|y| d2[y * pw + x]));
            squared_distance_1d(&line, &mut out);
            for (y, v) in out.iter().enumerate() {
                d2[y * pw + x] = *v;
            }
        }
        let mut result = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                result.push(d2[(y + 1) * pw + x + 1].sqrt() as f32);
            }
        }
        result
    }
}

/// The 1-D squared distance transform of `f` (0 at background, ∞ at ink):
/// `out[q] = min_p (q − p)² + f[p]`. `f` must hold at least one finite value.
fn squared_distance_1d(f: &[f64], out: &mut Vec<f64>) {
    let n = f.len();
    out.clear();
    out.resize(n, f64::INFINITY);
    let mut hull = vec![0usize; n]; // parabola positions
    let mut bounds = vec![0.0f64; n + 1]; // where each parabola starts to win
    let mut k: usize = 0;
    let mut started = false;
    for q in 0..n {
        if !f[q].is_finite() {
            continue;
        }
        if !started {
            hull[0] = q;
            bounds[0] = f64::NEG_INFINITY;
            bounds[1] = f64::INFINITY;
            started = true;
            continue;
        }
        loop {
            let p = hull[k];
            let s = ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * (q - p) as f64);
            if s <= bounds[k] && k > 0 {
                k -= 1;
                continue;
            }
            if s <= bounds[k] {
                // k == 0: the new parabola wins everywhere.
                hull[0] = q;
                bounds[0] = f64::NEG_INFINITY;
                bounds[1] = f64::INFINITY;
                break;
            }
            k += 1;
            hull[k] = q;
            bounds[k] = s;
            bounds[k + 1] = f64::INFINITY;
            break;
        }
    }
    if !started {
        return;
    }
    let mut k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while bounds[k + 1] < q as f64 {
            k += 1;
        }
        let p = hull[k];
        let d = q as f64 - p as f64;
        *o = d * d + f[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance by brute force.
    fn brute(g: &GrayF, threshold: f32) -> Vec<f32> {
        let (w, h) = (g.width as i64, g.height as i64);
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                if g.data[(y * w + x) as usize] < threshold {
                    out.push(0.0);
                    continue;
                }
                let mut best = i64::MAX;
                for by in -1..=h {
                    for bx in -1..=w {
                        let outside = bx < 0 || by < 0 || bx >= w || by >= h;
                        if outside || g.data[(by * w + bx) as usize] < threshold {
                            best = best.min((bx - x).pow(2) + (by - y).pow(2));
                        }
                    }
                }
                out.push((best as f64).sqrt() as f32);
            }
        }
        out
    }

    #[test]
    fn distance_to_background_is_exact() {
        // Pseudo-random blobs of several densities, and edge cases.
        let mut state = 12345u64;
        for density in [0.0, 0.3, 0.7, 0.95, 1.0] {
            let (w, h) = (17, 11);
            let data: Vec<f32> = (0..w * h)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if ((state >> 33) as f64 / (1u64 << 31) as f64) < density {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let g = GrayF::from_vec(w, h, data);
            let fast = g.distance_to_background(0.5);
            let slow = brute(&g, 0.5);
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-5, "density {density}: {a} vs {b}");
            }
        }
        // A full 5 × 5 block: the centre is 3 from the outside.
        let g = GrayF::from_vec(5, 5, vec![1.0; 25]);
        assert_eq!(g.distance_to_background(0.5)[12], 3.0);
    }
}
